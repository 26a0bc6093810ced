"""Phone numbers as operators send them, read the way filing phones are stored (E.164)."""

import contextlib

import phonenumbers


def e164(address: str, *, region: str = "MA", international: bool | None = None) -> str:
    """ "+2126…", "2126…" or "06…" → "+2126…"; anything that is no number comes back as is.

    Many SMSCs and gateways send international numbers without '+' (SMPP with TON 0,
    "unknown"); `international` says what the sender's type of number claims, when known.
    """
    address = (address or "").strip()
    candidates = [address]
    if address.isdigit() and not address.startswith("0"):
        candidates.insert(0 if international is not False else 1, "+" + address)
    numbers = []
    for candidate in candidates:
        # An alphanumeric sender id, for one, is no number at all.
        with contextlib.suppress(phonenumbers.NumberParseException):
            numbers.append(phonenumbers.parse(candidate, region))
    for check in (phonenumbers.is_valid_number, phonenumbers.is_possible_number):
        for number in numbers:
            if check(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return address


def masked(phone: str) -> str:
    """The phone as a page may show it to whoever holds the session: "+212•••••678"."""
    return phone[:4] + "•" * max(len(phone) - 7, 0) + phone[-3:]
