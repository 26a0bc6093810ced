"""Signed PDF receipts: written in Arabic (right to left, shaped) and French, signed,
and refused by the verification when one byte, the reference or the key differs."""

import base64
import os
import re
import zlib

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mizan.core.references import format_reference
from mizan.receipts.keys import key_id, signing_key
from mizan.receipts.services import (
    RECEIPT_MAX_BYTES,
    SIGNATURE_LINE_LENGTH,
    Reason,
    receipt_render,
    receipt_verify,
)

from .factories import file_complaint

ARABIC_NAME = "أمينة الإدريسي"


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def filing(reference_data):
    return file_complaint(language="ar", name=ARABIC_NAME)


@pytest.fixture
def receipt(filing):
    return receipt_render(case=filing.case, language="fr")


# --- reading the PDF, as a PDF reader would -------------------------------------------
# No PDF library is a dependency: these few lines read what WeasyPrint writes (objects,
# compressed object streams, ToUnicode maps, text-showing operators).


def _streams(pdf: bytes) -> dict[int, bytes]:
    streams = {}
    for match in re.finditer(rb"(\d+) 0 obj\s*<<(.*?)>>\s*stream\r?\n", pdf, re.S):
        length = int(re.search(rb"/Length (\d+)", match[2])[1])
        data = pdf[match.end() : match.end() + length]
        streams[int(match[1])] = zlib.decompress(data) if b"FlateDecode" in match[2] else data
    return streams


def _objects(pdf: bytes) -> dict[int, bytes]:
    """Every object's dictionary, those inside object streams included."""
    objects = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", pdf, re.S)}
    for number, data in _streams(pdf).items():
        if b"/ObjStm" not in objects[number]:
            continue
        first = int(re.search(rb"/First (\d+)", objects[number])[1])
        header = [int(value) for value in data[:first].split()]
        pairs = list(zip(header[::2], header[1::2], strict=True))
        for index, (inner, offset) in enumerate(pairs):
            end = pairs[index + 1][1] if index + 1 < len(pairs) else len(data) - first
            objects[inner] = data[first + offset : first + end]
    return objects


def _to_unicode(cmap: bytes) -> dict[int, str]:
    glyphs = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for glyph, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            glyphs[int(glyph, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(rb"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            first = ord(bytes.fromhex(start.decode()).decode("utf-16-be"))
            for glyph in range(int(low, 16), int(high, 16) + 1):
                glyphs[glyph] = chr(first + glyph - int(low, 16))
    return glyphs


def fonts(pdf: bytes) -> dict[str, dict[int, str]]:
    """Each font's resource name and what its glyphs stand for."""
    objects, streams = _objects(pdf), _streams(pdf)
    found = {}
    for number, body in objects.items():
        to_unicode = re.search(rb"/Subtype /Type0.*?/ToUnicode (\d+) 0 R", body, re.S)
        if to_unicode is None:
            continue
        for other in objects.values():
            for name in re.findall(rb"/(\w+) %d 0 R" % number, other):
                found[name.decode()] = _to_unicode(streams[int(to_unicode[1])])
    return found


def text_runs(pdf: bytes) -> list[tuple[float, str]]:
    """(x, text) of each run of text drawn, its glyphs in visual (left-to-right) order."""
    by_font, runs = fonts(pdf), []
    operators = re.compile(
        rb"/(?P<font>\w+) [\d.]+ Tf|(?P<tm>(?:-?[\d.]+\s+){4})(?P<x>-?[\d.]+)\s+-?[\d.]+\s+Tm"
        rb"|\[(?P<tj>[^\]]*)\]\s*TJ"
    )
    for data in _streams(pdf).values():
        if b"BT" not in data or b"TJ" not in data:
            continue
        font, x = None, 0.0
        for match in operators.finditer(data):
            if match["font"]:
                font = by_font[match["font"].decode()]
            elif match["x"]:
                x = float(match["x"])
            else:
                glyphs = re.findall(rb"<([0-9a-fA-F]{4})", match["tj"])
                runs.append((x, [font.get(int(g, 16), "?") for g in glyphs]))
    return [(x, "".join(glyphs)) for x, glyphs in runs] + [
        # Right-to-left runs read back in logical order.
        (x, "".join(reversed(glyphs)))
        for x, glyphs in runs
    ]


def x_of(runs, text: str) -> float:
    return next(x for x, run in runs if text in run)


def is_arabic(text: str) -> bool:
    return bool(text) and all("\u0600" <= c <= "\u06ff" or "\ufb50" <= c <= "\ufeff" for c in text)


# --- the receipt ----------------------------------------------------------------------


def test_french_receipt_shows_the_filing(filing, receipt):
    runs = text_runs(receipt)
    text = "\n".join(run for _x, run in runs)
    case = filing.case
    assert case.reference in text
    assert "Plainte au parquet" in text  # the procedure
    assert "Déposée le" in text
    assert f"/fr/track/{case.reference}/" in text  # printed under the QR code
    assert "/fr/verify/" in text
    assert "Carte nationale d'identité (CIN) AB123456" in text  # the summary lines
    assert b"/Lang (fr)" in b"".join(_objects(receipt).values())
    # Left to right: the label on the left of its value.
    assert x_of(runs, "Référence") < x_of(runs, case.reference)


def test_arabic_receipt_is_right_to_left_and_shaped(filing):
    receipt = receipt_render(case=filing.case, language="ar")
    runs = text_runs(receipt)
    text = "\n".join(run for _x, run in runs)
    assert filing.case.reference in text
    # The surname: this test's text reader cannot map the shaped initial alef-hamza back.
    assert "الإدريسي" in text
    assert "شكاية إلى النيابة العامة" in text
    assert b"/Lang (ar)" in b"".join(_objects(receipt).values())
    # Right to left: the label "Reference" on the right of its value.
    assert x_of(runs, "المرجع") > x_of(runs, filing.case.reference)
    # Shaped: letters take their joined forms (one character, several glyphs, e.g. the
    # medial and final yeh of the name) and lam-alef is one ligature glyph. Unshaped text
    # would draw every character with its one isolated glyph.
    arabic_glyphs = [
        {gid: text for gid, text in glyphs.items() if is_arabic(text)}
        for glyphs in fonts(receipt).values()
    ]
    assert any(len(set(glyphs)) > len(set(glyphs.values())) for glyphs in arabic_glyphs), (
        "every Arabic letter has one glyph: not shaped"
    )
    assert any(len(text) == 2 for glyphs in arabic_glyphs for text in glyphs.values()), (
        "no lam-alef ligature"
    )


def test_the_signature_verifies_and_tells_what_the_receipt_says(filing, receipt):
    verification = receipt_verify(pdf_bytes=receipt)
    assert verification.genuine and verification.reason == Reason.GENUINE
    assert verification.reference == filing.case.reference
    assert verification.procedure == "complaint"
    assert verification.filed_at == filing.case.submitted_at.replace(microsecond=0)
    assert verification.filed_at.utcoffset() is not None
    assert verification.key_id == key_id(signing_key().public_key())
    assert receipt.startswith(b"%PDF-")
    assert receipt_verify(pdf_bytes=receipt, reference=filing.case.reference).genuine
    # Typed as a person types it: case, spaces and hyphens do not matter.
    typed = filing.case.reference.lower().replace("-", " ")
    assert receipt_verify(pdf_bytes=receipt, reference=typed).genuine


def test_one_altered_byte_anywhere_fails(receipt):
    tail = len(receipt) - 2 * SIGNATURE_LINE_LENGTH - 200  # the two lines after %%EOF
    positions = {0, 1, receipt.rindex(b"%%EOF") + 2, *range(0, tail, 97)}
    positions |= set(range(tail, len(receipt)))  # every byte of the facts and signature
    for position in sorted(positions):
        for flip in (0x01, 0x20, 0x80):
            altered = bytearray(receipt)
            altered[position] ^= flip
            verification = receipt_verify(pdf_bytes=bytes(altered))
            assert not verification.genuine, (position, flip)
            assert verification.reference == ""  # nothing is read from a forged receipt


def test_cut_or_lengthened_receipts_fail(receipt):
    for changed in (receipt[:-1], receipt[1:], receipt + b"\n", receipt + b"x", b"\n" + receipt):
        assert not receipt_verify(pdf_bytes=changed).genuine


def test_a_different_reference_fails(filing, receipt):
    other = format_reference("PLT", filing.case.submitted_at.year, 999_999)
    verification = receipt_verify(pdf_bytes=receipt, reference=other)
    assert not verification.genuine and verification.reason == Reason.OTHER_REFERENCE
    # Nor can the reference in the receipt be changed to another valid one.
    forged = receipt.replace(filing.case.reference.encode(), other.encode())
    assert forged != receipt
    assert receipt_verify(pdf_bytes=forged).reason == Reason.ALTERED
    assert receipt_verify(pdf_bytes=forged, reference=other).reason == Reason.ALTERED


def test_a_receipt_signed_with_another_key_fails(filing, receipt, settings):
    settings.MIZAN_RECEIPT_SIGNING_KEY = new_key()
    stranger = receipt_render(case=filing.case, language="fr")
    settings.MIZAN_RECEIPT_SIGNING_KEY = ""
    assert receipt_verify(pdf_bytes=stranger).reason == Reason.UNKNOWN_KEY
    # Another key's signature presented under our key id.
    our_id = key_id(signing_key().public_key()).encode()
    line = stranger[-SIGNATURE_LINE_LENGTH:]
    impostor = stranger[:-SIGNATURE_LINE_LENGTH] + re.sub(
        rb" [0-9a-f]{16} ", b" " + our_id + b" ", line
    )
    assert receipt_verify(pdf_bytes=impostor).reason == Reason.ALTERED
    assert receipt_verify(pdf_bytes=receipt).genuine


def test_receipts_signed_before_a_key_change_still_verify(filing, settings):
    old_key = new_key()
    settings.MIZAN_RECEIPT_SIGNING_KEY = old_key
    old_receipt = receipt_render(case=filing.case, language="ar")
    old_public = base64.b64encode(signing_key().public_key().public_bytes_raw()).decode()
    settings.MIZAN_RECEIPT_SIGNING_KEY = new_key()
    assert receipt_verify(pdf_bytes=old_receipt).reason == Reason.UNKNOWN_KEY
    settings.MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS = [old_public]
    assert receipt_verify(pdf_bytes=old_receipt).genuine
    assert receipt_verify(pdf_bytes=receipt_render(case=filing.case, language="fr")).genuine


def test_files_that_are_not_receipts_are_refused(receipt):
    for garbage in (b"", b"\n", b"%PDF-1.7\n%%EOF\n", os.urandom(4096), receipt[:-300]):
        assert receipt_verify(pdf_bytes=garbage).reason == Reason.NOT_A_RECEIPT
    assert receipt_verify(pdf_bytes=b"x" * (RECEIPT_MAX_BYTES + 1)).reason == Reason.TOO_LARGE
    garbled = receipt[:-SIGNATURE_LINE_LENGTH] + b"%MIZAN-RECEIPT-SIGNATURE v1 garbage\n"
    assert receipt_verify(pdf_bytes=garbled).reason == Reason.MALFORMED


# --- pages ----------------------------------------------------------------------------


def upload(content: bytes, name: str = "receipt.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_the_verification_page_confirms_a_genuine_receipt(filing, receipt):
    # In English, the source wording the assertions are written in.
    client = Client()
    assert client.get("/en/verify/").status_code == 200
    response = client.post("/en/verify/", {"receipt": upload(receipt), "reference": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Genuine receipt" in page and filing.case.reference in page
    # Nothing beyond what the receipt says, and nothing from the database.
    assert ARABIC_NAME not in page and "AB123456" not in page


def test_the_verification_page_explains_a_refusal_and_keeps_the_form(filing, receipt):
    client = Client()
    altered = bytearray(receipt)
    altered[len(receipt) // 2] ^= 0x01
    cases = [
        (bytes(altered), filing.case.reference, "altered after Mizan issued it"),
        (os.urandom(2048), "", "not a receipt issued by Mizan"),
        (receipt, format_reference("PLT", 2026, 999_999), "not for the reference you typed"),
    ]
    for content, reference, message in cases:
        response = client.post("/en/verify/", {"receipt": upload(content), "reference": reference})
        page = response.content.decode()
        assert response.status_code == 200
        assert message in page and "Genuine receipt" not in page
        assert f'value="{reference}"' in page or not reference
        assert 'name="receipt"' in page
    response = client.post("/fr/verify/", {"reference": "x"})
    assert response.status_code == 200 and 'id="error-summary"' in response.content.decode()
    too_large = upload(b"%PDF-" + b"0" * RECEIPT_MAX_BYTES)
    response = client.post("/en/verify/", {"receipt": too_large})
    assert "a Mizan receipt is never larger than" in response.content.decode()


def test_the_public_key_page_lets_anyone_verify_offline(receipt):
    response = Client().get("/en/verify/key/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    pem = re.search(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----\n", text, re.S)[0]
    # What docs/receipts.md tells a third party to do.
    signed, last_line = receipt[:-SIGNATURE_LINE_LENGTH], receipt[-SIGNATURE_LINE_LENGTH:]
    _marker, _version, receipt_key_id, signature = last_line.split()
    assert f"key-id: {receipt_key_id.decode()}" in text
    load_pem_public_key(pem.encode()).verify(base64.b64decode(signature), signed)


def test_the_download_needs_a_session_that_tracks_the_case(filing):
    reference = filing.case.reference
    stranger = Client()
    response = stranger.get(f"/fr/receipt/{reference}.pdf")
    assert response.status_code == 302
    assert response["Location"] == f"/fr/track/?reference={reference}"

    citizen = Client()
    citizen.post("/fr/track/", {"reference": reference, "access_code": filing.access_code})
    detail = citizen.get(f"/fr/track/{reference}/").content.decode()
    assert f"/fr/receipt/{reference}.pdf" in detail
    response = citizen.get(f"/fr/receipt/{reference}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{reference}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    verification = receipt_verify(pdf_bytes=response.content)
    assert verification.genuine and verification.language == "fr"
    assert citizen.get(f"/ar/receipt/{reference}.pdf").status_code == 200


# --- configuration --------------------------------------------------------------------


def test_deploy_check_warns_without_a_receipt_key_and_refuses_a_bad_one(settings):
    from mizan.core.checks import receipt_keys_are_valid, receipts_have_their_own_key

    settings.MIZAN_RECEIPT_SIGNING_KEY = ""
    assert [w.id for w in receipts_have_their_own_key(None)] == ["mizan.W004"]
    assert receipt_keys_are_valid(None) == []
    settings.MIZAN_RECEIPT_SIGNING_KEY = new_key()
    assert receipts_have_their_own_key(None) == []
    settings.MIZAN_RECEIPT_SIGNING_KEY = base64.b64encode(b"short").decode()
    assert [e.id for e in receipt_keys_are_valid(None)] == ["mizan.E002"]
    settings.MIZAN_RECEIPT_SIGNING_KEY = new_key()
    settings.MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS = ["not base64!"]
    assert [e.id for e in receipt_keys_are_valid(None)] == ["mizan.E002"]


def test_check_deploy_warns_when_receipts_have_no_key_of_their_own():
    from .test_settings import PRODUCTION, manage

    without = {
        key: value for key, value in PRODUCTION.items() if key != "MIZAN_RECEIPT_SIGNING_KEY"
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=without)
    assert result.returncode != 0 and "mizan.W004" in result.stdout + result.stderr
