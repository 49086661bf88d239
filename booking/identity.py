"""Phone numbers and identity documents: validation, normalisation, masking, keyed hashing.

Identity numbers are never stored in the clear: a masked form for display and an HMAC,
keyed by a key derived from SECRET_KEY, for matching the same person across bookings.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import phonenumbers
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from .errors import IdentityMissing, InvalidIdentity, InvalidName, InvalidPhone

# Formats of the documents accepted besides the resident identity card.
_DOCUMENT_FORMATS = {
    # Chinese passports (E/G + 8), and foreign passports: 5 to 17 letters and digits.
    "passport": re.compile(r"[A-Z0-9]{5,17}"),
    # Mainland travel permit for Hong Kong and Macao residents: H or M + 8 or 10 digits.
    "hk_macau_permit": re.compile(r"[HM]\d{8}(\d{2})?"),
    # Mainland travel permit for Taiwan residents: 8 digits (older 10-character forms too).
    "taiwan_permit": re.compile(r"\d{8}|\d{10}|[A-Z]\d{9}"),
}


def _text(raw) -> str:
    """Input as text; anything that is not a string counts as empty, and so is refused."""
    return raw if isinstance(raw, str) else ""


def safe_text(raw, limit: int) -> str:
    """At most `limit` characters of a string fit to compare with the database; a non-string,
    or text with a lone surrogate (which no database can store), counts as empty."""
    text = _text(raw)[:limit]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return ""
    return text


def normalize_phone(raw: str, default_region: str = "CN") -> str:
    """E.164 form of a mobile number, or InvalidPhone."""
    text = unicodedata.normalize("NFKC", _text(raw)).strip()
    if not text or len(text) > 32:
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone() from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone()
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE,
                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_identity(id_type: str, raw: str, field: str | None = None) -> str:
    """The canonical form of an identity number, or InvalidIdentity for that field."""
    number = unicodedata.normalize("NFKC", _text(raw)).replace(" ", "").upper()
    if not number:
        raise IdentityMissing(field)
    if id_type == "resident_id":
        try:
            return ric.validate(number)
        except stdnum_errors.ValidationError:
            raise InvalidIdentity(field) from None
    pattern = _DOCUMENT_FORMATS.get(id_type) if isinstance(id_type, str) else None
    if pattern is None or not pattern.fullmatch(number):
        raise InvalidIdentity(field)
    return number


def mask_identity(number: str) -> str:
    """Show only the first and last characters: 110***********123X."""
    if len(number) <= 6:
        return number[0] + "*" * (len(number) - 2) + number[-1]
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def identity_hash(secret_key: str, id_type: str, number: str) -> str:
    key = hmac.new(secret_key.encode(), b"identity-number", hashlib.sha256).digest()
    return hmac.new(key, f"{id_type}:{number}".encode(), hashlib.sha256).hexdigest()


def clean_name(raw: str, field: str | None = None) -> str:
    """A visitor's name: trimmed, 1 to 40 characters, no control characters."""
    name = unicodedata.normalize("NFKC", _text(raw)).strip()
    if not 1 <= len(name) <= 40 or any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidName(field)
    return name


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86138****5678, for staff screens and logs."""
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"
