"""Mobile numbers: E.164 form, mobile ranges only, masked for staff screens.

The numbering data comes from Google's libphonenumber metadata, through the `phonenumbers`
package (its range in pyproject.toml; docs/operations.md says how it is kept current). It knows
the mainland's 16x and 19x mobile ranges; MAINLAND_SUPPLEMENT adds the ranges the Ministry of
Industry and Information Technology has opened that the metadata still lacks (checked against
phonenumbers 9.0.43): 149 (China Telecom).
"""

from __future__ import annotations

import re

import phonenumbers

from ..errors import InvalidPhone
from .text import ascii_digits

MOBILE_KINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
MAINLAND_SUPPLEMENT = re.compile(r"149\d{8}")  # national numbers, 11 digits


def _is_mobile(number: phonenumbers.PhoneNumber) -> bool:
    if phonenumbers.is_valid_number(number):
        return phonenumbers.number_type(number) in MOBILE_KINDS
    return number.country_code == 86 and bool(MAINLAND_SUPPLEMENT.fullmatch(str(number.national_number)))


def normalize_phone(raw: str, default_region: str = "CN") -> str:
    """E.164 form of a mobile number (full-width digits accepted), or InvalidPhone."""
    text = ascii_digits(raw, 64).strip()
    if not text or len(text) > 32:
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone() from None
    if not _is_mobile(number):
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86138****5678, for staff screens and logs."""
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"
