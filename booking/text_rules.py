"""One rule for single-line free text: closure reasons, visitors' names, staff user names.

Such text ends up in citizens' texts, staff screens, CSV files, calendar feeds and logs, where
a line break, a control character or an invisible format character (a bidirectional override,
U+2028 LINE SEPARATOR, a zero-width joiner) splits lines, forges entries or hides what is really
written. So none of them is accepted: Unicode general categories Cc (controls, CR and LF among
them), Cf (format), Cs (lone surrogates), Co (private use), Cn (unassigned), Zl (line
separator) and Zp (paragraph separator). Ordinary spaces and all letters, digits and
punctuation of any script (Chinese full-width punctuation included) stay as typed.
"""

from __future__ import annotations

import unicodedata

from .errors import BookingError

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def has_forbidden_characters(text: str, forbidden: frozenset[str] = FORBIDDEN_CATEGORIES) -> bool:
    """Whether the text holds a character of the `forbidden` categories (by default those no
    single line of ours may hold, see above; names allow private use: booking.identity.names)."""
    return any(unicodedata.category(c) in forbidden for c in text)


def single_line(raw, limit: int, error: type[BookingError] = BookingError) -> str:
    """The text trimmed of surrounding whitespace: 1 to `limit` characters, none forbidden.

    Raises `error` (a BookingError class, with its own field and message) for a non-string,
    empty or too long text, or one with a forbidden character. Nothing is removed silently:
    inside the text, what is stored is what was typed.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    if not 1 <= len(text) <= limit or has_forbidden_characters(text):
        raise error()
    return text
