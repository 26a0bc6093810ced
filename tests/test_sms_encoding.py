"""SMS encoding and segmentation, checked against known GSM 03.38 / SMPP values."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mizan.notifications.encoding import (
    GSM7,
    UCS2,
    SmppPart,
    SmsShape,
    gsm7_decode,
    gsm7_encode,
    smpp_parts,
    smpp_reassemble,
    sms_cost,
    sms_encoding,
    sms_length,
    sms_segments,
    sms_shape,
)

ALEF = "ا"
BEH = "ب"
EMOJI = "😀"  # U+1F600, outside the BMP: a surrogate pair in UTF-16

MIZAN_SMS = (
    "ميزان: توصلنا بشكايتك، المرجع PLT-2026-000001-N. "
    "تتبعها: http://127.0.0.1:8000/ar/track/PLT-2026-000001-N/"
)

# Known septet values, from the 3GPP TS 23.038 tables (not from the module).
KNOWN_BASIC = {
    "@": 0x00,
    "£": 0x01,
    "$": 0x02,
    "¥": 0x03,
    "è": 0x04,
    "é": 0x05,
    "ù": 0x06,
    "ì": 0x07,
    "ò": 0x08,
    "Ç": 0x09,
    "\n": 0x0A,
    "Ø": 0x0B,
    "ø": 0x0C,
    "\r": 0x0D,
    "Å": 0x0E,
    "å": 0x0F,
    "Δ": 0x10,
    "_": 0x11,
    "Φ": 0x12,
    "Γ": 0x13,
    "Λ": 0x14,
    "Ω": 0x15,
    "Π": 0x16,
    "Ψ": 0x17,
    "Σ": 0x18,
    "Θ": 0x19,
    "Ξ": 0x1A,
    "Æ": 0x1C,
    "æ": 0x1D,
    "ß": 0x1E,
    "É": 0x1F,
    " ": 0x20,
    '"': 0x22,
    "#": 0x23,
    "¤": 0x24,
    "%": 0x25,
    "0": 0x30,
    "9": 0x39,
    "?": 0x3F,
    "¡": 0x40,
    "A": 0x41,
    "Z": 0x5A,
    "Ä": 0x5B,
    "Ö": 0x5C,
    "Ñ": 0x5D,
    "Ü": 0x5E,
    "§": 0x5F,
    "¿": 0x60,
    "a": 0x61,
    "z": 0x7A,
    "ä": 0x7B,
    "ö": 0x7C,
    "ñ": 0x7D,
    "ü": 0x7E,
    "à": 0x7F,
}
KNOWN_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}


# --- encoding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello, world!",
        "Votre plainte a été enregistrée à 10h.",  # é, è, à are GSM
        "Ça marche",  # capital C-cedilla is GSM (0x09)
        "Prière de vous présenter au tribunal",  # è, é are GSM
        "a{b}c[d]e~f|g^h\\i€\f",
        "Tél: +212 5 22 00 00 00 @ 50% _x_ ¿¡",
    ],
)
def test_gsm7_texts(text):
    assert sms_encoding(text) == GSM7


@pytest.mark.parametrize(
    "text",
    [
        "Votre plainte a été reçue",  # lowercase ç is NOT in the GSM basic table
        "fenêtre",  # ê
        "château",  # â
        "hôtel",  # ô
        "ميزان",
        "ok " + EMOJI,
        "naïve",  # ï
        "`",  # backtick is not GSM
    ],
)
def test_ucs2_texts(text):
    assert sms_encoding(text) == UCS2


def test_french_with_c_cedilla_is_ucs2_and_not_transliterated():
    text = "Votre plainte a été reçue."
    shape = sms_shape(text)
    assert shape == SmsShape(encoding=UCS2, length=26, segments=1, per_segment=70, remaining=44)
    with pytest.raises(ValueError):
        gsm7_encode(text)
    [part] = smpp_parts(text, reference=1)
    assert part.data_coding == 0x08
    assert part.short_message == text.encode("utf-16-be")
    assert "ç".encode("utf-16-be") in part.short_message


# --- length -------------------------------------------------------------------------


def test_lengths():
    assert sms_length("") == 0
    assert sms_length("abc") == 3
    assert sms_length("5 €") == 4  # € is ESC + 0x65
    assert sms_length("[x]") == 5
    assert sms_length("ميزان") == 5
    assert sms_length(EMOJI) == 2
    assert sms_length("ب" + EMOJI) == 3
    assert sms_length("€ ب") == 3  # in UCS2, € is one code unit


def test_euro_counts_two_septets_in_segments():
    assert sms_shape("a" * 158 + "€") == SmsShape(GSM7, 160, 1, 160, 0)
    assert sms_shape("a" * 159 + "€") == SmsShape(GSM7, 161, 2, 153, 145)


# --- segments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "segments"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_segment_boundaries(count, segments):
    assert sms_segments("a" * count) == segments


@pytest.mark.parametrize(
    ("count", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_segment_boundaries(count, segments):
    assert sms_segments(BEH * count) == segments


def test_shapes():
    assert sms_shape("") == SmsShape(GSM7, 0, 1, 160, 160)
    assert sms_shape("a" * 160) == SmsShape(GSM7, 160, 1, 160, 0)
    assert sms_shape("a" * 161) == SmsShape(GSM7, 161, 2, 153, 145)
    assert sms_shape("a" * 307) == SmsShape(GSM7, 307, 3, 153, 152)
    assert sms_shape(ALEF * 70) == SmsShape(UCS2, 70, 1, 70, 0)
    assert sms_shape(ALEF * 71) == SmsShape(UCS2, 71, 2, 67, 63)
    assert sms_shape(ALEF * 135) == SmsShape(UCS2, 135, 3, 67, 66)


def test_typical_arabic_mizan_sms():
    shape = sms_shape(MIZAN_SMS)
    assert shape == SmsShape(encoding=UCS2, length=106, segments=2, per_segment=67, remaining=28)
    parts = smpp_parts(MIZAN_SMS, reference=7)
    assert [len(p.short_message) for p in parts] == [6 + 134, 6 + 78]
    assert smpp_reassemble([(p.short_message, p.esm_class, p.data_coding) for p in parts]) == (
        MIZAN_SMS
    )


def test_escape_pair_straddling_153_moves_to_next_part():
    # 152 + 2 + 152 = 306 septets: a naive ceil says 2, but € cannot start at septet 153.
    text = "a" * 152 + "€" + "b" * 152
    assert sms_shape(text) == SmsShape(GSM7, 306, 3, 153, 152)
    parts = smpp_parts(text, reference=0x42)
    assert len(parts) == 3
    assert parts[0].short_message == b"\x05\x00\x03\x42\x03\x01" + b"a" * 152
    assert parts[1].short_message == b"\x05\x00\x03\x42\x03\x02" + b"\x1b\x65" + b"b" * 151
    assert parts[2].short_message == b"\x05\x00\x03\x42\x03\x03" + b"b"


def test_escape_pair_that_fits_exactly_stays():
    text = "a" * 151 + "€" + "b" * 10
    parts = smpp_parts(text, reference=1)
    assert [len(p.short_message) - 6 for p in parts] == [153, 10]
    assert parts[0].short_message.endswith(b"a\x1b\x65")


def test_emoji_surrogate_pair_at_67_boundary_moves_to_next_part():
    # 66 + 2 + 66 = 134 code units: a naive ceil says 2, the split gives 66 | 67 | 1.
    text = BEH * 66 + EMOJI + BEH * 66
    assert sms_shape(text) == SmsShape(UCS2, 134, 3, 67, 66)
    parts = smpp_parts(text, reference=9)
    payloads = [p.short_message[6:] for p in parts]
    assert [len(p) for p in payloads] == [132, 134, 2]
    assert payloads[0] == "ب".encode("utf-16-be") * 66
    assert payloads[1][:4] == b"\xd8\x3d\xde\x00"  # U+1F600 as UTF-16-BE
    for payload in payloads:
        payload.decode("utf-16-be")  # no part holds half a surrogate pair


# --- GSM 7-bit codec ----------------------------------------------------------------


def test_gsm7_known_values():
    assert gsm7_encode("@£$") == b"\x00\x01\x02"
    assert gsm7_encode("é") == b"\x05"
    assert gsm7_encode("à") == b"\x7f"
    assert gsm7_encode("€") == b"\x1b\x65"
    assert gsm7_encode("Hi!") == b"\x48\x69\x21"
    for char, code in KNOWN_BASIC.items():
        assert gsm7_encode(char) == bytes([code]), char
    for char, code in KNOWN_EXTENSION.items():
        assert gsm7_encode(char) == bytes([0x1B, code]), char


def test_gsm7_whole_basic_table_round_trips():
    septets = bytes(code for code in range(128) if code != 0x1B)
    text = gsm7_decode(septets)
    assert len(text) == 127
    assert len(set(text)) == 127
    assert sms_encoding(text) == GSM7
    assert gsm7_encode(text) == septets
    extension = "".join(KNOWN_EXTENSION)
    assert gsm7_decode(gsm7_encode(extension)) == extension
    assert sms_length(extension) == 20


@pytest.mark.parametrize("text", ["ç", "ê", "ب", EMOJI, "`", "\t"])
def test_gsm7_encode_rejects_non_gsm(text):
    with pytest.raises(ValueError):
        gsm7_encode(text)


def test_gsm7_decode_edge_cases():
    assert gsm7_decode(b"") == ""
    assert gsm7_decode(b"\x1b\x41") == "A"  # undefined extension: the basic character
    assert gsm7_decode(b"\x1b\x1b") == " "
    with pytest.raises(ValueError):
        gsm7_decode(b"a\x1b")
    with pytest.raises(ValueError):
        gsm7_decode(b"\x80")


# --- SMPP parts ---------------------------------------------------------------------


def test_single_gsm7_part():
    assert smpp_parts("Hello", reference=5) == [SmppPart(b"Hello", 0x00, 0x00)]
    [part] = smpp_parts("a" * 160, reference=5)
    assert part.short_message == b"a" * 160
    assert part.esm_class == 0x00


def test_single_ucs2_part():
    [part] = smpp_parts("ميزان", reference=5)
    assert part == SmppPart("ميزان".encode("utf-16-be"), 0x00, 0x08)
    assert len(part.short_message) == 10


def test_three_part_gsm7_udh_bytes():
    parts = smpp_parts("a" * 307, reference=0x1234)  # only the low byte is sent
    assert [p.short_message[:6] for p in parts] == [
        b"\x05\x00\x03\x34\x03\x01",
        b"\x05\x00\x03\x34\x03\x02",
        b"\x05\x00\x03\x34\x03\x03",
    ]
    assert [len(p.short_message) for p in parts] == [159, 159, 7]
    assert {p.esm_class for p in parts} == {0x40}
    assert {p.data_coding for p in parts} == {0x00}


def test_three_part_ucs2_udh_bytes():
    parts = smpp_parts(BEH * 135, reference=0xFF)
    assert [p.short_message[:6] for p in parts] == [
        b"\x05\x00\x03\xff\x03\x01",
        b"\x05\x00\x03\xff\x03\x02",
        b"\x05\x00\x03\xff\x03\x03",
    ]
    assert [len(p.short_message) for p in parts] == [140, 140, 8]
    assert {p.esm_class for p in parts} == {0x40}
    assert {p.data_coding for p in parts} == {0x08}


def test_part_limit():
    assert len(smpp_parts("a" * (153 * 255), reference=1)) == 255
    with pytest.raises(ValueError):
        smpp_parts("a" * (153 * 255 + 1), reference=1)


def test_reassemble_in_any_order():
    text = "a" * 200 + "€ ok"
    parts = [(p.short_message, p.esm_class, p.data_coding) for p in smpp_parts(text, 3)]
    assert smpp_reassemble(list(reversed(parts))) == text


def test_reassemble_rejects_incomplete_or_mixed_messages():
    parts = [(p.short_message, p.esm_class, p.data_coding) for p in smpp_parts("a" * 307, 1)]
    other = [(p.short_message, p.esm_class, p.data_coding) for p in smpp_parts("b" * 307, 2)]
    with pytest.raises(ValueError):
        smpp_reassemble(parts[:2])
    with pytest.raises(ValueError):
        smpp_reassemble([*parts, parts[0]])
    with pytest.raises(ValueError):
        smpp_reassemble([*parts[:2], other[2]])
    with pytest.raises(ValueError):
        smpp_reassemble([])


def test_reassemble_accepts_16_bit_reference_udh():
    parts = [
        (b"\x06\x08\x04\x12\x34\x02\x02" + "ب".encode("utf-16-be"), 0x40, 0x08),
        (b"\x06\x08\x04\x12\x34\x02\x01" + "ميزان ".encode("utf-16-be"), 0x40, 0x08),
    ]
    assert smpp_reassemble(parts) == "ميزان ب"


gsm_chars = st.sampled_from(sorted(set(KNOWN_BASIC) | set(KNOWN_EXTENSION) | set("bcxyz")))
any_chars = st.one_of(
    gsm_chars,
    st.sampled_from([ALEF, BEH, "ç", "ê", EMOJI, "👍", "€"]),
    st.characters(exclude_categories=("Cs",)),
)
texts = st.one_of(st.text(gsm_chars, max_size=500), st.text(any_chars, max_size=300))


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(min_value=0, max_value=0xFFFF))
def test_parts_round_trip_and_fit_in_140_octets(text, reference):
    parts = smpp_parts(text, reference)
    shape = sms_shape(text)
    assert len(parts) == shape.segments
    assert smpp_reassemble([(p.short_message, p.esm_class, p.data_coding) for p in parts]) == text
    for part in parts:
        udh = 6 if part.esm_class == 0x40 else 0
        if part.data_coding == 0x08:
            assert len(part.short_message) <= 140
        else:
            # GSM7 goes over SMPP unpacked (one byte per septet, up to 6 + 153 = 159
            # bytes); on the air the septets are packed: UDH + fill bits + 7 bits each.
            assert part.data_coding == 0x00
            septets = len(part.short_message) - udh
            assert udh * 8 + septets * 7 <= 140 * 8


# --- cost ---------------------------------------------------------------------------


def test_cost():
    assert sms_cost(1, Decimal("0.25")) == Decimal("0.2500")
    assert sms_cost(3, Decimal("0.12345")) == Decimal("0.3704")  # 0.37035, half up
    assert sms_cost(0, Decimal("0.30")) == Decimal("0.0000")
    assert sms_cost(sms_segments(MIZAN_SMS), Decimal("0.35")) == Decimal("0.7000")
    assert str(sms_cost(2, Decimal("0.1"))) == "0.2000"
