"""Visitors' names, as their documents print them.

One rule for the pages, the API and the OpenAPI document (NAME_MAX): 1 to 100 characters
after trimming, counted as Unicode characters (𠮷, outside the BMP, is one). Accepted: Chinese
names, minority and foreign names with a middle dot (·, •, ・), Latin names with spaces,
hyphens and apostrophes. Refused: control and format characters (zero-width, direction
marks), line and paragraph separators (U+2028, U+2029), private-use and unassigned code points:
the one rule for single-line text, booking.text_rules.
"""

from __future__ import annotations

import re
import unicodedata

from .. import text_rules
from ..errors import InvalidName
from .text import plain_text

NAME_MAX = 100
_SPACES = re.compile(r" {2,}")


def clean_name(raw: str, field: str | None = None) -> str:
    """A visitor's name: NFKC form, trimmed, runs of spaces made one, 1 to NAME_MAX characters;
    InvalidName for that field otherwise (too long, empty, or an invisible character)."""
    name = _SPACES.sub(" ", unicodedata.normalize("NFKC", plain_text(raw)).strip())
    if not name:
        raise InvalidName(field)
    if len(name) > NAME_MAX:
        raise InvalidName(field, reason="too_long")
    if text_rules.has_forbidden_characters(name):
        raise InvalidName(field, reason="invisible")
    return name
