"""SMS encoding, length, segmentation and SMPP parts (GSM 03.38 / 3GPP TS 23.038).

Why this exists: an SMS is billed per *segment*, and what fits in a segment depends on
the encoding the text forces. A message written only with the GSM 7-bit default alphabet
(and its extension table) carries 160 characters in one SMS, or 153 per segment once it
has to be concatenated (the 6-byte concatenation header takes the rest). A single
character outside that alphabet (any Arabic letter, but also the French 'ç', 'ê', 'â' or
'ô') switches the whole message to UCS-2: 70 characters in one SMS, 67 per segment when
concatenated. Most Mizan notifications are in Arabic, so a routine acknowledgement with a
reference and a tracking link already costs two segments, and each segment is billed by
the operator. Counting them properly (rather than ``len(text) / 160``) is what lets us
show the cost before sending and keep templates short.

Details the naive count gets wrong, and which are handled here:

* GSM extension characters (``^ { } \\ [ ~ ] | €`` and form feed) are sent as ESC + char
  and so count two septets;
* in UCS-2 a character outside the Basic Multilingual Plane (an emoji) is a surrogate
  pair and counts two UTF-16 code units;
* a segment boundary never cuts an escape pair or a surrogate pair: the pair moves to the
  next segment, so the real number of segments can exceed ``ceil(length / 153)``.

Nothing is transliterated: 'ç' is not replaced by 'c' to save segments, as real SMS
tooling does not do it either and a citizen's name must arrive as written.

This module is pure Python (no Django) so that the SMPP gateway, the test SMSC, the
back-office cost estimate and the tests can all share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

GSM7 = "gsm7"
UCS2 = "ucs2"

# Single-message and per-segment (concatenated) capacities, in septets / code units.
GSM7_SINGLE = 160
GSM7_MULTI = 153
UCS2_SINGLE = 70
UCS2_MULTI = 67
MAX_PARTS = 255

ESC = 0x1B
UDHI = 0x40
DATA_CODING_DEFAULT = 0x00  # SMSC default alphabet (GSM 7-bit, sent unpacked over SMPP)
DATA_CODING_UCS2 = 0x08

# GSM 03.38 default alphabet, septet 0x00 to 0x7F in order. Position 0x1B is the escape
# to the extension table, not a character: a placeholder keeps the indices right.
_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10-0x1F (0x1B: escape)
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)
assert len(_BASIC) == 128

GSM7_BASIC: dict[str, int] = {char: code for code, char in enumerate(_BASIC) if code != ESC}

# Extension table: sent as ESC (0x1B) followed by this code.
GSM7_EXTENSION: dict[str, int] = {
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

_BASIC_BY_CODE = {code: char for char, code in GSM7_BASIC.items()}
_EXTENSION_BY_CODE = {code: char for char, code in GSM7_EXTENSION.items()}


def _is_gsm7(char: str) -> bool:
    return char in GSM7_BASIC or char in GSM7_EXTENSION


def sms_encoding(text: str) -> str:
    """GSM7 if every character is in the GSM default alphabet or its extension, else UCS2."""
    return GSM7 if all(_is_gsm7(char) for char in text) else UCS2


def _width(char: str, encoding: str) -> int:
    """Septets (GSM7) or UTF-16 code units (UCS2) that one character takes."""
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def sms_length(text: str) -> int:
    """Length as the network counts it: septets in GSM7, UTF-16 code units in UCS2."""
    encoding = sms_encoding(text)
    return sum(_width(char, encoding) for char in text)


def _split(text: str, encoding: str) -> list[str]:
    """The text as it is sent: one chunk if it fits a single SMS, else concatenated chunks.

    Splitting is by whole characters, so an escape pair or a surrogate pair is never cut.
    """
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == GSM7 else (UCS2_SINGLE, UCS2_MULTI)
    if sum(_width(char, encoding) for char in text) <= single:
        return [text]
    chunks: list[str] = []
    start = 0
    used = 0
    for index, char in enumerate(text):
        width = _width(char, encoding)
        if used + width > multi:
            chunks.append(text[start:index])
            start, used = index, 0
        used += width
    chunks.append(text[start:])
    return chunks


@dataclass(frozen=True)
class SmsShape:
    encoding: str  # GSM7 or UCS2
    length: int  # as sms_length
    segments: int  # SMS actually sent (by splitting, not by a naive ceil)
    per_segment: int  # 160/70 for a single message, 153/67 when concatenated
    remaining: int  # septets / code units left in the last segment


def sms_shape(text: str) -> SmsShape:
    """Encoding, length and segmentation of a text (empty text is one segment)."""
    encoding = sms_encoding(text)
    chunks = _split(text, encoding)
    if encoding == GSM7:
        per_segment = GSM7_SINGLE if len(chunks) == 1 else GSM7_MULTI
    else:
        per_segment = UCS2_SINGLE if len(chunks) == 1 else UCS2_MULTI
    last = sum(_width(char, encoding) for char in chunks[-1])
    return SmsShape(
        encoding=encoding,
        length=sms_length(text),
        segments=len(chunks),
        per_segment=per_segment,
        remaining=per_segment - last,
    )


def sms_segments(text: str) -> int:
    """Number of SMS the text is sent (and billed) as."""
    return sms_shape(text).segments


def gsm7_encode(text: str) -> bytes:
    """Unpacked GSM 7-bit: one byte per septet, ESC (0x1B) before extension characters."""
    out = bytearray()
    for position, char in enumerate(text):
        code = GSM7_BASIC.get(char)
        if code is not None:
            out.append(code)
            continue
        code = GSM7_EXTENSION.get(char)
        if code is None:
            raise ValueError(
                f"character {char!r} (U+{ord(char):04X}) at position {position} "
                "is not in the GSM 7-bit alphabet"
            )
        out += bytes((ESC, code))
    return bytes(out)


def gsm7_decode(data: bytes) -> str:
    """Inverse of gsm7_encode (unpacked septets), also for inbound SMS.

    As TS 23.038 asks of a receiver, ESC followed by a code the extension table does not
    define shows the default-alphabet character for that code, and ESC ESC shows a space.
    Bytes above 0x7F and a trailing lone ESC raise ValueError.
    """
    chars: list[str] = []
    index = 0
    while index < len(data):
        code = data[index]
        if code > 0x7F:
            raise ValueError(f"byte 0x{code:02X} at position {index} is not a GSM septet")
        if code != ESC:
            chars.append(_BASIC_BY_CODE[code])
            index += 1
            continue
        if index + 1 >= len(data):
            raise ValueError("GSM 7-bit data ends with a lone escape")
        code = data[index + 1]
        if code > 0x7F:
            raise ValueError(f"byte 0x{code:02X} at position {index + 1} is not a GSM septet")
        if code in _EXTENSION_BY_CODE:
            chars.append(_EXTENSION_BY_CODE[code])
        elif code == ESC:
            chars.append(" ")
        else:
            chars.append(_BASIC_BY_CODE[code])
        index += 2
    return "".join(chars)


@dataclass(frozen=True)
class SmppPart:
    short_message: bytes  # UDH (when multipart) + payload
    esm_class: int  # 0x40 (UDHI) when a UDH is present, else 0x00
    data_coding: int  # 0x00 for GSM7 (SMSC default alphabet), 0x08 for UCS2


def _payload(chunk: str, encoding: str) -> bytes:
    return gsm7_encode(chunk) if encoding == GSM7 else chunk.encode("utf-16-be")


def smpp_parts(text: str, reference: int) -> list[SmppPart]:
    """The submit_sm parts of a text: one without UDH, or concatenated parts with a UDH.

    Each concatenated part starts with the 8-bit-reference concatenation header
    ``05 00 03 <reference & 0xFF> <total> <sequence from 1>``. GSM7 payloads are unpacked
    (one byte per septet, at most 153); UCS2 payloads are UTF-16-BE (at most 67 code
    units, 134 bytes). More than 255 parts raise ValueError.
    """
    encoding = sms_encoding(text)
    data_coding = DATA_CODING_DEFAULT if encoding == GSM7 else DATA_CODING_UCS2
    chunks = _split(text, encoding)
    if len(chunks) == 1:
        return [SmppPart(_payload(text, encoding), 0x00, data_coding)]
    total = len(chunks)
    if total > MAX_PARTS:
        raise ValueError(f"message needs {total} parts, more than the {MAX_PARTS} allowed")
    ref = reference & 0xFF
    return [
        SmppPart(
            bytes((0x05, 0x00, 0x03, ref, total, sequence)) + _payload(chunk, encoding),
            UDHI,
            data_coding,
        )
        for sequence, chunk in enumerate(chunks, start=1)
    ]


def _concatenation_header(short_message: bytes) -> tuple[tuple[int, int, int], bytes]:
    """((reference, total, sequence), payload) from a message that starts with a UDH."""
    if not short_message:
        raise ValueError("UDHI set but the message is empty")
    udh_length = short_message[0]
    if len(short_message) < 1 + udh_length:
        raise ValueError("user data header longer than the message")
    header = short_message[1 : 1 + udh_length]
    payload = short_message[1 + udh_length :]
    concatenation = None
    index = 0
    while index < len(header):
        if index + 2 > len(header):
            raise ValueError("truncated information element in user data header")
        iei, iel = header[index], header[index + 1]
        data = header[index + 2 : index + 2 + iel]
        if len(data) != iel:
            raise ValueError("truncated information element in user data header")
        if iei == 0x00 and iel == 3:  # concatenation, 8-bit reference
            concatenation = (data[0], data[1], data[2])
        elif iei == 0x08 and iel == 4:  # concatenation, 16-bit reference
            concatenation = ((data[0] << 8) | data[1], data[2], data[3])
        index += 2 + iel
    if concatenation is None:
        raise ValueError("user data header has no concatenation element")
    return concatenation, payload


def _decode_payload(payload: bytes, data_coding: int) -> str:
    if data_coding == DATA_CODING_DEFAULT:
        return gsm7_decode(payload)
    if data_coding == DATA_CODING_UCS2:
        if len(payload) % 2:
            raise ValueError("UCS2 payload has an odd number of bytes")
        return payload.decode("utf-16-be")
    raise ValueError(f"unsupported data_coding 0x{data_coding:02X}")


def smpp_reassemble(parts: list[tuple[bytes, int, int]]) -> str:
    """The text of one message from its (short_message, esm_class, data_coding) parts.

    The parts may come in any order. Missing, duplicate or mismatched parts raise
    ValueError.
    """
    if not parts:
        raise ValueError("no parts")
    if len(parts) == 1 and not parts[0][1] & UDHI:
        short_message, _esm_class, data_coding = parts[0]
        return _decode_payload(short_message, data_coding)
    codings = {data_coding for _, _, data_coding in parts}
    if len(codings) != 1:
        raise ValueError("parts of one message have different data_coding")
    (data_coding,) = codings
    by_sequence: dict[int, bytes] = {}
    identities = set()
    for short_message, esm_class, _ in parts:
        if not esm_class & UDHI:
            raise ValueError("a part of a concatenated message has no user data header")
        (ref, total, sequence), payload = _concatenation_header(short_message)
        identities.add((ref, total))
        if sequence in by_sequence:
            raise ValueError(f"duplicate part {sequence}")
        by_sequence[sequence] = payload
    if len(identities) != 1:
        raise ValueError("parts belong to different messages")
    ((_ref, total),) = identities
    if sorted(by_sequence) != list(range(1, total + 1)):
        raise ValueError(f"expected parts 1 to {total}, got {sorted(by_sequence)}")
    # Concatenate the payloads before decoding: robust even if a sender split a pair.
    payload = b"".join(by_sequence[sequence] for sequence in range(1, total + 1))
    return _decode_payload(payload, data_coding)


def sms_cost(segments: int, rate_per_segment: Decimal) -> Decimal:
    """Cost of sending `segments` SMS at `rate_per_segment`, to 0.0001 (half up)."""
    if segments < 0:
        raise ValueError("segments cannot be negative")
    return (Decimal(segments) * Decimal(rate_per_segment)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )
