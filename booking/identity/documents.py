"""The six identity documents of the contract (docs/contract.md), read into a Document.

`read_document` is the one entry point: it puts the typed number in canonical form (full-width
to ASCII, spaces and hyphens dropped, upper case) and hands it to the parser of its type; a
refusal becomes InvalidIdentity on the visitor's id_number with the parser's reason, and any
unexpected failure of a parser is the same 422, never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

from ..errors import IdentityMissing, InvalidDocumentType, InvalidIdentity
from . import mainland, travel
from .numbers import Document, Refused
from .text import ascii_digits

log = logging.getLogger(__name__)

NUMBER_MAX = 40  # longer than any document number; longer input is refused unread
_SEPARATORS = re.compile(r"[\s\-‐‑–—]")


def _foreign_permanent_id(number: str) -> Document:
    if number[:1] == "9" and mainland.EIGHTEEN.fullmatch(number):
        return mainland.foreign_permanent_id_2023(number)
    return travel.foreign_permanent_id_old(number)


PARSERS = {
    "resident_id": mainland.resident_id,
    "residence_permit": mainland.residence_permit,
    "hk_mo_permit": travel.hk_mo_permit,
    "tw_permit": travel.tw_permit,
    "foreign_permanent_id": _foreign_permanent_id,
    "passport": travel.passport,
}


def canonical_number(raw) -> str:
    """The typed number as documents print it: ASCII, no spaces or hyphens, upper case."""
    return _SEPARATORS.sub("", ascii_digits(raw, NUMBER_MAX * 2)).upper()


def read_document(id_type, raw, visitor: str | None = None) -> Document:
    """The document of type `id_type` whose number was typed as `raw`.

    `visitor` is the field prefix of the visitor ("visitors.0"): an unknown type raises
    InvalidDocumentType on "<visitor>.id_type", a refused number InvalidIdentity on
    "<visitor>.id_number" with the reason in both languages.
    """
    prefix = f"{visitor}." if visitor else ""
    parser = PARSERS.get(id_type) if isinstance(id_type, str) else None
    if parser is None:
        raise InvalidDocumentType(f"{prefix}id_type")
    number = canonical_number(raw)
    if not number:
        raise IdentityMissing(f"{prefix}id_number")
    if len(number) > NUMBER_MAX:
        raise InvalidIdentity(f"{prefix}id_number")
    try:
        return parser(number)
    except Refused as refused:
        raise InvalidIdentity(f"{prefix}id_number", refused.reason) from None
    except Exception as error:  # a parser's own bug must read as a refused number, never a 500
        # No traceback: its messages could quote the number, and logs never hold one.
        log.warning("document parser for %s failed: %s", id_type, type(error).__name__)
        raise InvalidIdentity(f"{prefix}id_number") from None


def mask_identity(number: str) -> str:
    """For display: 110***********123X (long numbers), H1******78 (short ones)."""
    if len(number) >= 15:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    if len(number) <= 4:
        return number[0] + "*" * (len(number) - 1)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def identity_hash(secret_key: str, id_type: str, number: str) -> str:
    """HMAC-SHA256 of the canonical number, keyed by a key derived from SECRET_KEY: one person
    whatever type the number was given as (a permit number re-typed as a passport, an older
    foreign permanent ID typed as a passport), for the booking rules and the attempt limits
    alike (issue 27). `id_type` is the type the number was read as; it is not part of the hash.
    The number spaces hardly meet (GB 11643's 18 characters, permits' H/M prefixes): two
    people with one number under two types are judged as one, and a clerk sorts it out."""
    del id_type  # read by the parser; one number is one person, whatever its type
    key = hmac.new(secret_key.encode(), b"identity-number", hashlib.sha256).digest()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()
