"""Typed text made fit to judge: only strings, digits of any width as ASCII digits.

Citizens type on Chinese phone keyboards, where full-width digits (１２３) are one tap away;
every numeric field (phone, identity number, SMS code) goes through `ascii_digits` first.
"""

from __future__ import annotations

import unicodedata


def plain_text(raw) -> str:
    """Input as text; anything that is not a string counts as empty, and so is refused."""
    return raw if isinstance(raw, str) else ""


def safe_text(raw, limit: int) -> str:
    """At most `limit` characters of a string fit to compare with the database; a non-string,
    or text with a lone surrogate (which no database can store), counts as empty."""
    text = plain_text(raw)[:limit]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return ""
    return text


def _ascii_digit(char: str) -> str:
    value = unicodedata.decimal(char, None)
    return str(value) if value is not None else char


def ascii_digits(raw, limit: int = 64) -> str:
    """NFKC form of at most `limit` characters (full-width letters and digits become ASCII),
    with every other decimal digit (Arabic-Indic, Devanagari …) written as its ASCII digit.
    A non-string counts as empty."""
    text = unicodedata.normalize("NFKC", plain_text(raw)[:limit])
    return "".join(_ascii_digit(c) if not c.isascii() else c for c in text)
