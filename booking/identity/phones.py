"""Mobile numbers: E.164 form, mobile ranges only, masked for staff screens.

The numbering data comes from Google's libphonenumber metadata, through the `phonenumbers`
package (pinned in pyproject.toml). New mainland ranges (149, 16x, 19x …) are known as soon as
that package is upgraded; docs/operations.md says how and when.
"""

from __future__ import annotations

import phonenumbers

from ..errors import InvalidPhone
from .text import ascii_digits

MOBILE_KINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalize_phone(raw: str, default_region: str = "CN") -> str:
    """E.164 form of a mobile number (full-width digits accepted), or InvalidPhone."""
    text = ascii_digits(raw, 64).strip()
    if not text or len(text) > 32:
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone() from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in MOBILE_KINDS:
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86138****5678, for staff screens and logs."""
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"
