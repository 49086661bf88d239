"""Visitors' names, as their documents print them.

One rule for the pages, the API and the OpenAPI document (NAME_MAX): 1 to 100 characters
after trimming, counted as Unicode characters (𠮷, outside the BMP, is one). Accepted: Chinese
names, minority and foreign names with a middle dot, Latin names with spaces, hyphens and
apostrophes, and private-use characters (category Co: how a character Unicode lacks is typed,
with a font or an input method that maps it there; GB 18030 names some of them). Refused:
control and format characters (zero-width, direction marks), line and paragraph separators
(U+2028, U+2029), lone surrogates and unassigned code points: the rule for single-line text,
booking.text_rules, less private use.

The name separator. 国家民委等12部门《关于在政府管理和社会公共服务信息系统中统一姓名采集应用规范的
通知》(民委发〔2016〕33号, May 2016): "对于姓名间隔符“·”，严格按照国家标准，统一采用“·”（GB13000编码
为00B7，GB18030编码为A1A4）表示". Keyboards offer look-alikes (•, ‧, ・, ．, ⋅, ∙ …: MIDDLE_DOTS),
and the notice names the full stop typed for it; each is stored as U+00B7, with no spaces around
it, so one person's name is written one way wherever it is typed. A full stop counts only
between two wide (Chinese, Japanese) characters: "John Q. Smith" keeps its.
"""

from __future__ import annotations

import re
import unicodedata

from .. import text_rules
from ..errors import InvalidName
from .text import plain_text

NAME_MAX = 100
SEPARATOR = "\u00b7"  # MIDDLE DOT: GB 13000 00B7, GB 18030 A1A4
# Look-alikes of the separator, before NFKC (which would turn U+FF0E into "." and U+FF65 into
# U+30FB): bullet, hyphenation point, katakana middle dot (full and half width), full-width
# full stop, dot operator, bullet operator, Greek ano teleia, runic punctuation, word separator
# middle dot, Latin letter sinological dot, Canadian syllabics final middle dot, one dot leader.
MIDDLE_DOTS = "\u2022\u2027\u30fb\uff65\uff0e\u22c5\u2219\u0387\u16eb\u2e31\ua78f\u1427\u2024"
NAME_FORBIDDEN = text_rules.FORBIDDEN_CATEGORIES - {"Co"}
_SPACES = re.compile(r" {2,}")
_DOTS = str.maketrans({dot: SEPARATOR for dot in MIDDLE_DOTS})
_SPACED_SEPARATOR = re.compile(r" *\u00b7 *")
_FULL_STOP = re.compile(r" *\. *")


def _wide_full_stops(name: str) -> str:
    """A full stop between two wide characters made the separator (the notice's 小数点)."""
    return _FULL_STOP.sub(lambda m: SEPARATOR if _wide(name, m.start() - 1) and _wide(name, m.end())
                          else m.group(0), name)


def _wide(text: str, at: int) -> bool:
    return 0 <= at < len(text) and unicodedata.east_asian_width(text[at]) in ("W", "F")


def standard_separator(name: str) -> str:
    """The name with every look-alike of the separator written U+00B7, without spaces around."""
    name = unicodedata.normalize("NFKC", name.translate(_DOTS))
    return _SPACED_SEPARATOR.sub(SEPARATOR, _wide_full_stops(name))


def clean_name(raw: str, field: str | None = None) -> str:
    """A visitor's name: the standard separator (above), NFKC form, trimmed, runs of spaces made
    one, 1 to NAME_MAX characters; InvalidName for that field otherwise (too long, empty, or an
    invisible character)."""
    name = _SPACES.sub(" ", standard_separator(plain_text(raw)).strip())
    if not name:
        raise InvalidName(field)
    if len(name) > NAME_MAX:
        raise InvalidName(field, reason="too_long")
    if text_rules.has_forbidden_characters(name, NAME_FORBIDDEN):
        raise InvalidName(field, reason="invisible")
    return name
