"""Who a visitor is: phone numbers, names and identity documents, checked and kept safe.

Identity numbers are never stored in the clear: a masked form for display and an HMAC,
keyed by a key derived from SECRET_KEY, for matching the same person across bookings.

  text.py       typed text made fit to judge (full-width and other digits to ASCII)
  phones.py     mobile numbers (phonenumbers)
  names.py      visitors' names: one rule for pages, API and OpenAPI (NAME_MAX)
  numbers.py    the parsed Document, birth dates, check characters (GB 11643, ICAO 9303)
  mainland.py   resident_id, residence_permit, the 2023 foreign permanent ID (GB 11643)
  travel.py     hk_mo_permit, tw_permit, the older foreign permanent ID, passport
  documents.py  read_document: one entry point for the six types; masking and hashing
"""

from .documents import NUMBER_MAX, PARSERS, canonical_number, identity_hash, mask_identity, read_document
from .names import NAME_MAX, clean_name
from .numbers import Document
from .phones import contact_phone, mask_phone, normalize_phone
from .text import ascii_digits, plain_text, safe_text

__all__ = [
    "NAME_MAX", "NUMBER_MAX", "PARSERS", "Document", "ascii_digits", "canonical_number", "clean_name",
    "contact_phone", "identity_hash", "mask_identity", "mask_phone", "normalize_identity", "normalize_phone",
    "plain_text",
    "read_document", "safe_text",
]


def normalize_identity(id_type, raw, field: str | None = None) -> str:
    """The canonical number of a document, or InvalidIdentity (see read_document).

    `field` is the id_number field ("visitors.0.id_number"); errors name it or its id_type.
    """
    visitor = field.rsplit(".", 1)[0] if field and "." in field else None
    return read_document(id_type, raw, visitor).number
