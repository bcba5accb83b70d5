"""Phone numbers in E.164, by the `phonenumbers` library."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from booking.errors import Reason, Refused

# A personal phone that can receive SMS; fixed lines with SMS exist but are not who books.
_PERSONAL = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise(raw: str, region: str = "ID") -> str:
    """The number in E.164, or Refused(PHONE_INVALID) if it cannot be a personal mobile."""
    text = (raw or "").strip()[:32]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise Refused(Reason.PHONE_INVALID) from error
    if not phonenumbers.is_valid_number(number):
        raise Refused(Reason.PHONE_INVALID)
    if phonenumbers.number_type(number) not in _PERSONAL:
        raise Refused(Reason.PHONE_INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_personal(raw: str, region: str = "ID") -> bool:
    try:
        normalise(raw, region)
    except Refused:
        return False
    return True
