"""Signed PDF receipts of filings, and their verification.

A receipt is the PDF as WeasyPrint writes it, followed by two lines after its
``%%EOF`` (PDF readers ignore what follows the end-of-file marker)::

    %MIZAN-RECEIPT v1 {"filed_at":"…","issued_at":"…","language":"fr",…,"reference":"…"}
    %MIZAN-RECEIPT-SIGNATURE v1 <key id> <signature>

The signature is Ed25519 over every byte before the signature line: the PDF and the
facts line. ``<signature>`` is its standard base64 (88 characters, padded), ``<key id>``
the first 8 bytes of the SHA-256 of the raw public key, in hex. The facts line repeats,
in a form a program can read, what the receipt shows, so that the verification page
tells what a genuine receipt says without reading the PDF or the database.
docs/receipts.md documents the format and how to verify a receipt offline.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy

from mizan.core import references
from mizan.notifications.services import tracking_link
from mizan.procedures.registry import PROCEDURES, get_procedure

from .keys import key_id, signing_key, verification_keys

# Receipts are printed in Morocco's legal time, whoever downloads them and wherever.
MOROCCO = ZoneInfo("Africa/Casablanca")
# A receipt is a page with subset fonts (20–30 KB); anything much larger
# presented for verification is not one, and is refused before any work.
RECEIPT_MAX_BYTES = 1024 * 1024

FACTS_PREFIX = b"%MIZAN-RECEIPT v1 "
SIGNATURE_PREFIX = b"%MIZAN-RECEIPT-SIGNATURE v1 "
# Fixed length: the line is found from the end of the file, never by searching it.
SIGNATURE_LINE_LENGTH = len(SIGNATURE_PREFIX) + 16 + 1 + 88 + 1
_SIGNATURE_LINE = re.compile(
    rb"%MIZAN-RECEIPT-SIGNATURE v1 (?P<key_id>[0-9a-f]{16}) (?P<signature>[A-Za-z0-9+/]{86}==)\n\Z"
)
_FACTS = ("reference", "procedure", "filed_at", "issued_at", "language")


class Reason:
    GENUINE = "genuine"
    NOT_A_RECEIPT = "not_a_receipt"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    ALTERED = "altered"
    OTHER_REFERENCE = "other_reference"
    TOO_LARGE = "too_large"


_MESSAGES = {
    Reason.GENUINE: gettext_lazy(
        "This receipt is genuine: Mizan issued it and it has not been altered since."
    ),
    Reason.NOT_A_RECEIPT: gettext_lazy(
        "This file is not a receipt issued by Mizan: it carries no Mizan signature. "
        "Choose the PDF file exactly as it was downloaded (a scan or a photo of a "
        "printed receipt cannot be checked here)."
    ),
    Reason.MALFORMED: gettext_lazy(
        "The signature of this receipt is damaged: the file was altered or cut short. "
        "Do not rely on it; ask for the PDF file exactly as it was downloaded."
    ),
    Reason.UNKNOWN_KEY: gettext_lazy(
        "This receipt was not signed with a Mizan key: it was not issued by Mizan, or "
        "it was altered. Do not rely on it."
    ),
    Reason.ALTERED: gettext_lazy(
        "This receipt was altered after Mizan issued it, or Mizan did not issue it. "
        "Do not rely on it."
    ),
    Reason.OTHER_REFERENCE: gettext_lazy(
        "This receipt is not for the reference you typed. Check the reference, or "
        "leave it empty to check the receipt alone."
    ),
    Reason.TOO_LARGE: gettext_lazy("This file is too large to be a Mizan receipt."),
}


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a receipt. The facts are only set for a genuine one:
    they come from the signed receipt itself, never from the database."""

    genuine: bool
    reason: str
    reference: str = ""
    procedure: str = ""
    filed_at: datetime | None = None
    issued_at: datetime | None = None
    language: str = ""
    key_id: str = ""

    @property
    def message(self) -> str:
        return str(_MESSAGES[self.reason])

    @property
    def procedure_label(self) -> str:
        procedure = PROCEDURES.get(self.procedure)
        return str(procedure.label) if procedure else self.procedure


# --- issuing ------------------------------------------------------------------------


def receipt_render(*, case, language: str) -> bytes:
    """The signed PDF receipt of ``case``, written in ``language``."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"no receipt language {language!r}")
    filed_at = timezone.localtime(case.submitted_at, MOROCCO)
    issued_at = timezone.localtime(timezone.now(), MOROCCO)
    facts = {
        "reference": case.reference,
        "procedure": case.procedure,
        "filed_at": filed_at.isoformat(timespec="seconds"),
        "issued_at": issued_at.isoformat(timespec="seconds"),
        "language": language,
    }
    with translation.override(language):
        html = render_to_string(
            "receipts/receipt.html", _receipt_context(case, language, filed_at, issued_at)
        )
    # Everything the receipt shows is inline: no file, no network, whatever the text.
    # Imported here: WeasyPrint (Pango, fonts) costs ~50 MB in every process that
    # loads the URLs — task workers included — and only this function needs it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    return _sign(pdf, facts)


def _receipt_context(case, language: str, filed_at: datetime, issued_at: datetime) -> dict:
    procedure = get_procedure(case.procedure)
    tracking_url = tracking_link(reference=case.reference, language=language)
    verify_url = settings.SITE_URL + reverse("receipts:verify")
    return {
        "language": language,
        "rtl": translation.get_language_bidi(),
        "case": case,
        "procedure_label": procedure.label,
        "office": str(case.unit),
        "filed_at": _moment(filed_at),
        "issued_at": _moment(issued_at),
        "summary": [(str(label), str(value)) for label, value in procedure.summary(case)],
        "tracking_url": tracking_url,
        "verify_url": verify_url,
        # Vector, so it stays sharp when printed; the URL carries no secret.
        "qr_data_uri": segno.make(tracking_url, error="m").svg_data_uri(scale=4, border=0),
    }


def _moment(moment: datetime) -> dict:
    """A date-time as the receipt prints it, with its UTC offset (Morocco's changes
    around Ramadan, so the offset is printed rather than implied)."""
    return {
        "text": formats.date_format(moment, "DATETIME_FORMAT"),
        "offset": moment.isoformat()[-6:],
    }


def _sign(pdf: bytes, facts: dict) -> bytes:
    if not pdf.endswith(b"\n"):
        pdf += b"\n"
    # ASCII only, keys sorted: the same facts always give the same bytes.
    facts_json = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    signed = pdf + FACTS_PREFIX + facts_json.encode("ascii") + b"\n"
    key = signing_key()
    signature = base64.b64encode(key.sign(signed))
    return (
        signed + SIGNATURE_PREFIX + key_id(key.public_key()).encode("ascii") + b" " + signature
    ) + b"\n"


# --- verifying ----------------------------------------------------------------------


def receipt_verify(*, pdf_bytes: bytes, reference: str | None = None) -> Verification:
    """Whether ``pdf_bytes`` is a receipt Mizan issued, byte for byte, and (when
    ``reference`` is given) one for that reference."""
    if len(pdf_bytes) > RECEIPT_MAX_BYTES:
        return Verification(False, Reason.TOO_LARGE)
    if SIGNATURE_PREFIX.strip() not in pdf_bytes[-2 * SIGNATURE_LINE_LENGTH :]:
        return Verification(False, Reason.NOT_A_RECEIPT)
    signed, line = pdf_bytes[:-SIGNATURE_LINE_LENGTH], pdf_bytes[-SIGNATURE_LINE_LENGTH:]
    match = _SIGNATURE_LINE.match(line)
    if match is None or not signed.endswith(b"\n"):
        return Verification(False, Reason.MALFORMED)
    try:
        signature = base64.b64decode(match["signature"], validate=True)
    except binascii.Error:
        return Verification(False, Reason.MALFORMED)
    # Base64 ignores the low bits of its last character: without this, a changed
    # character could decode to the same signature and the altered file still pass.
    if base64.b64encode(signature) != match["signature"]:
        return Verification(False, Reason.MALFORMED)
    signer = verification_keys().get(match["key_id"].decode("ascii"))
    if signer is None:
        return Verification(False, Reason.UNKNOWN_KEY)
    try:
        signer.public_key.verify(signature, signed)
    except InvalidSignature:
        return Verification(False, Reason.ALTERED)
    facts = _read_facts(signed)
    if facts is None:
        return Verification(False, Reason.MALFORMED)
    if reference and references.normalise(reference) != references.normalise(facts["reference"]):
        return Verification(False, Reason.OTHER_REFERENCE)
    return Verification(
        True,
        Reason.GENUINE,
        reference=facts["reference"],
        procedure=facts["procedure"],
        filed_at=datetime.fromisoformat(facts["filed_at"]),
        issued_at=datetime.fromisoformat(facts["issued_at"]),
        language=facts["language"],
        key_id=signer.key_id,
    )


def _read_facts(signed: bytes) -> dict | None:
    """The facts line of a correctly signed receipt (None if it has none we can read)."""
    line = signed[:-1].rpartition(b"\n")[2]
    if not line.startswith(FACTS_PREFIX):
        return None
    try:
        facts = json.loads(line[len(FACTS_PREFIX) :].decode("ascii"))
        if not isinstance(facts, dict) or not all(isinstance(facts.get(k), str) for k in _FACTS):
            return None
        for moment in ("filed_at", "issued_at"):
            if datetime.fromisoformat(facts[moment]).tzinfo is None:
                return None
    except ValueError:
        return None
    return facts
