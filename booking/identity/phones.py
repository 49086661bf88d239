"""Mobile numbers: E.164 form, mobile ranges only, masked for staff screens.

The numbering data comes from Google's libphonenumber metadata, through the `phonenumbers`
package (its range in pyproject.toml; docs/operations.md says how it is kept current). It knows
the mainland's 16x and 19x mobile ranges; MAINLAND_SUPPLEMENT adds the ranges the Ministry of
Industry and Information Technology has opened that the metadata still lacks (checked against
phonenumbers 9.0.43): 149 (China Telecom).

A number typed the local way in Hong Kong or Macau (8 digits) or Taiwan (09xx xxx xxx), or with
its country code but no "+" (852 6123 4567), is no mainland number and is refused, but the
refusal offers the number with its country code (InvalidPhone.suggestions): the citizen only
has to add it. The number is never guessed: the citizen confirms by typing it.
"""

from __future__ import annotations

import re

import phonenumbers

from ..errors import InvalidContactPhone, InvalidPhone
from .text import ascii_digits

MOBILE_KINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
MAINLAND_SUPPLEMENT = re.compile(r"149\d{8}")  # national numbers, 11 digits
HINT_REGIONS = ("HK", "MO", "TW")  # where numbers are commonly typed without a country code


def _is_mobile(number: phonenumbers.PhoneNumber) -> bool:
    if phonenumbers.is_valid_number(number):
        return phonenumbers.number_type(number) in MOBILE_KINDS
    return number.country_code == 86 and bool(MAINLAND_SUPPLEMENT.fullmatch(str(number.national_number)))


def normalize_phone(raw: str, default_region: str = "CN") -> str:
    """E.164 form of a mobile number (full-width digits accepted), or InvalidPhone (with the
    Hong Kong, Macau or Taiwan numbers it would be, if any: see above)."""
    text = ascii_digits(raw, 64).strip()
    if not text or len(text) > 32:
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(suggestions=local_suggestions(text)) from None
    if not _is_mobile(number):
        raise InvalidPhone(suggestions=local_suggestions(text))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _mobile_in(text: str, region: str | None) -> tuple[str, str] | None:
    """(region, international form: +852 6123 4567) of `text` as a mobile number of one of
    HINT_REGIONS, read as typed in `region` (None: the text carries its own country code)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    where = phonenumbers.region_code_for_number(number)
    if where not in HINT_REGIONS or not _is_mobile(number):
        return None
    return where, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def local_suggestions(text: str) -> tuple[tuple[str, str], ...]:
    """(region, international form) for each Hong Kong, Macau or Taiwan mobile number that
    `text` (ASCII digits) is when typed the local way or without its "+", in HINT_REGIONS order."""
    readings = [_mobile_in(text, region) for region in HINT_REGIONS]
    found = dict(reading for reading in [*readings, _mobile_in("+" + text.lstrip("+"), None)] if reading)
    return tuple(sorted(found.items(), key=lambda item: HINT_REGIONS.index(item[0])))


def contact_phone(raw: str | None, default_region: str = "CN") -> str:
    """The mobile a booking taken by a clerk texts (docs/contract.md, third-wave additions, every channel): its E.164
    form; "" for no phone or a landline (nobody is texted, and a landline is not kept: the
    clerk reads out or prints the reference). InvalidContactPhone for something that is
    neither."""
    text = ascii_digits(raw or "", 64).strip()
    if not text:
        return ""
    try:
        return normalize_phone(text, default_region)
    except InvalidPhone:
        try:
            number = phonenumbers.parse(text, default_region)
        except phonenumbers.NumberParseException:
            raise InvalidContactPhone() from None
        if phonenumbers.is_valid_number(number):
            return ""  # a landline: valid, but it cannot take a text
        raise InvalidContactPhone() from None


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86138****5678, for staff screens and logs."""
    if not phone:
        return ""  # a booking without a mobile (contact_phone), or one purged
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"
