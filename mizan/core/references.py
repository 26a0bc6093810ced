"""Case references a person can type from an SMS, e.g. ``PLT-2026-004817-K``.

Layout: procedure code, year, a zero-padded sequence and one check character.

The check character is a weighted sum modulo 31 over an alphabet of exactly 31
symbols (digits and the letters that are hard to confuse: no I, O, U, Y, Z). Because
31 is prime, the weights 1..n are distinct and non-zero, and any two symbols differ by
a non-zero amount, every single substitution and every swap of two adjacent
different symbols changes the sum, so the reference no longer validates. Input is
normalised first: case, spaces and hyphens do not matter, and O/I read as 0/1.
"""

import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTVWX"
MODULUS = len(ALPHABET)
assert MODULUS == 31
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_CONFUSABLES = str.maketrans({"O": "0", "I": "1"})
SEQUENCE_DIGITS = 6
_SHAPE = re.compile(r"^([A-Z]{3})(\d{4})(\d{6,9})([0-9A-Z])$")


def _weighted_sum(compact: str) -> int:
    return sum((position + 1) * _VALUE[symbol] for position, symbol in enumerate(compact))


def check_character(payload: str) -> str:
    """The symbol that makes the weighted sum of ``payload + symbol`` zero mod 31."""
    weight = len(payload) + 1
    partial = _weighted_sum(payload) % MODULUS
    # weight * c ≡ -partial (mod 31); weight < 31 so it has an inverse.
    inverse = pow(weight, -1, MODULUS)
    return ALPHABET[(-partial * inverse) % MODULUS]


def format_reference(procedure_code: str, year: int, sequence: int) -> str:
    sequence_text = str(sequence).zfill(SEQUENCE_DIGITS)
    payload = f"{procedure_code}{year:04d}{sequence_text}"
    if len(payload) + 1 >= MODULUS:
        raise ValueError("reference too long for its check character")
    return f"{procedure_code}-{year:04d}-{sequence_text}-{check_character(payload)}"


def normalise(text: str) -> str:
    """Upper-case, without separators, with O/I read as digits."""
    compact = re.sub(r"[\s\-_.]", "", text or "").upper()
    # Only the numeric and check parts may contain digits typed as letters; the
    # procedure code is letters only.
    if len(compact) > 3:
        compact = compact[:3] + compact[3:].translate(_CONFUSABLES)
    return compact


def is_valid(text: str) -> bool:
    compact = normalise(text)
    if not _SHAPE.match(compact) or any(symbol not in _VALUE for symbol in compact):
        return False
    return _weighted_sum(compact) % MODULUS == 0


def canonical(text: str) -> str | None:
    """The stored form of a typed reference, or None if it cannot be one."""
    if not is_valid(text):
        return None
    compact = normalise(text)
    match = _SHAPE.match(compact)
    assert match is not None
    code, year, sequence, check = match.groups()
    return f"{code}-{year}-{sequence}-{check}"
