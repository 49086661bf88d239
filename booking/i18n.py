"""The languages we speak, which one a request gets, and local times in words.

Three languages, by their BCP 47 codes: `zh` (Simplified Chinese, the default), `zh-Hant`
(Traditional Chinese, for readers from Hong Kong, Macau and Taiwan) and `en`.

- `request_lang()` is the one resolver every face uses (pages, the API, error pages, Flask-Babel's
  locale selector): `lang` in a JSON body, else `?lang=`, else the choice remembered in the
  session (pages only; the API keeps none), else Accept-Language (zh-TW, zh-HK, zh-MO and
  zh-Hant mean Traditional), else `zh`.
- `choose(lang, zh, en)` picks a text kept in Python (domain errors, SMS texts, calendar files)
  in the language; Traditional is looked up, by the Simplified text, in the reviewed catalogue
  booking/translations/from_zh/zh_Hant (see booking/translations/hant.py to regenerate it). A
  Simplified text missing there is shown as it is (tests/test_i18n_catalogues.py fails in CI).
- `local_time(moment, office, lang, form)` is the one formatter of a moment in an office's zone.
"""

from __future__ import annotations

import datetime as dt
import gettext
from functools import cache
from pathlib import Path

from flask import has_request_context, request, session
from werkzeug.exceptions import HTTPException

LANGUAGES = ("zh", "zh-Hant", "en")
DEFAULT = "zh"
LANG_LENGTH = 8  # the columns that keep a language: zh-Hant and room to spare
HANT = "zh-Hant"
# Each language by its own name (never translated: a reader finds their language by it).
NAMES = {"zh": "简体中文", "zh-Hant": "繁體中文", "en": "English"}
# Babel's names of our languages (folder names of the catalogues, Flask-Babel's locales).
BABEL_LOCALES = {"zh": "zh", "zh-Hant": "zh_Hant", "en": "en"}
# Chinese tags that mean Traditional script (RFC 5646 script subtag, or the region's usage).
HANT_TAGS = ("hant", "tw", "hk", "mo")
FROM_ZH = Path(__file__).parent / "translations" / "from_zh" / "zh_Hant" / "LC_MESSAGES" / "messages.mo"


# --- which language -----------------------------------------------------------------------------

def normalise(tag: str | None) -> str | None:
    """One of LANGUAGES for a language tag (zh-TW, zh_Hant_HK, en-GB ...), None when not ours."""
    parts = (tag or "").strip().lower().replace("_", "-").split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    if "hans" in parts[1:]:
        return "zh"
    return HANT if any(part in HANT_TAGS for part in parts[1:]) else "zh"


def from_accept_language(accept) -> str:
    """The best of our languages in a werkzeug LanguageAccept (quality order), else `zh`."""
    for tag, quality in accept:
        found = normalise(tag)
        if found and quality > 0:
            return found
    return DEFAULT


def request_lang() -> str:
    """The language of this request (see the module docstring for the order); `zh` outside one."""
    if not has_request_context():
        return DEFAULT
    try:
        data = request.get_json(silent=True) if request.is_json else None
    except HTTPException:  # a body too large to read: fall back to the rest
        data = None
    remembered = None if request.path.startswith("/api/") else session.get("lang")
    for chosen in (data.get("lang") if isinstance(data, dict) else None, request.args.get("lang"), remembered):
        if chosen in LANGUAGES:
            return chosen
    return from_accept_language(request.accept_languages)


def babel_locale(lang: str) -> str:
    """Flask-Babel's locale (the catalogue folder name) for one of LANGUAGES."""
    return BABEL_LOCALES.get(lang, DEFAULT)


def select_locale() -> str:
    """Flask-Babel's locale selector: the request's language, in Babel's spelling."""
    return babel_locale(request_lang())


def html_lang(lang: str) -> str:
    """The value of an HTML lang attribute: zh-CN, zh-Hant or en."""
    return {"zh": "zh-CN"}.get(lang, lang)


# --- texts kept in Python -----------------------------------------------------------------------

@cache
def _from_zh() -> gettext.NullTranslations:
    try:
        with open(FROM_ZH, "rb") as compiled:
            return gettext.GNUTranslations(compiled)
    except FileNotFoundError:
        return gettext.NullTranslations()


def hant(text: str) -> str:
    """The reviewed Traditional form of a Simplified text kept in Python; the text itself if none."""
    return _from_zh().gettext(text) if text else text


def choose(lang: str, zh: str, en: str, zh_hant: str = "") -> str:
    """The text in `lang`: English, Traditional or Simplified.

    Traditional is `zh_hant` when given (what staff typed, or its OpenCC draft kept beside it),
    else looked up from the Simplified in the reviewed catalogue.
    """
    if lang == "en":
        return en
    if lang == HANT:
        return zh_hant or hant(zh)
    return zh


# --- local times --------------------------------------------------------------------------------

FORMS = ("when", "clock", "stamp", "day")


def local(moment: dt.datetime, office) -> dt.datetime:
    """An aware moment in the office's time zone (`office`: an Office, by its `tz`, or a ZoneInfo)."""
    return moment.astimezone(getattr(office, "tz", office))


def local_time(moment: dt.datetime, office, lang: str = DEFAULT, form: str = "when") -> str:
    """A moment in the office's zone, in words, 24-hour clock in every language.

    form: "when" 11月24日 09:30 / Tue, Nov 24, 09:30 (texts, pages); "clock" 09:30; "stamp"
    2026-11-24 09:30 (error messages, staff pages); "day" 11月24日 / Tue, Nov 24.
    Raises ValueError for another form.
    """
    here = local(moment, office)
    if form == "clock":
        return here.strftime("%H:%M")
    if form == "stamp":
        return here.strftime("%Y-%m-%d %H:%M")
    if form == "day":
        return day_text(here.date(), lang)
    if form == "when":
        return f"{day_text(here.date(), lang)}{',' if lang == 'en' else ''} {here:%H:%M}"
    raise ValueError(f"form must be one of {FORMS}, not {form!r}")


# What people call their time zone; a zone not listed is named by its identifier.
ZONE_WORDS = {"Asia/Shanghai": ("北京时间", "Beijing time"), "Asia/Urumqi": ("乌鲁木齐时间", "Urumqi time"),
              "Asia/Hong_Kong": ("香港时间", "Hong Kong time"), "Asia/Macau": ("澳门时间", "Macau time"),
              "Asia/Taipei": ("台北时间", "Taipei time")}


def zone_words(office, lang: str = DEFAULT) -> str:
    """The office's time zone as people say it: 北京时间 / Beijing time (else its identifier)."""
    names = ZONE_WORDS.get(office.timezone)
    return choose(lang, *names) if names else office.timezone


def day_text(day: dt.date, lang: str = DEFAULT) -> str:
    """A local day, short: 11月24日 (both scripts) or Tue, Nov 24 (the English pages' format)."""
    return f"{day:%a}, {day:%b} {day.day}" if lang == "en" else f"{day.month}月{day.day}日"
