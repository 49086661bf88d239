"""Dates and times for the citizen pages: in the office's time zone, formatted for the locale."""

from __future__ import annotations

import datetime as dt

from babel import dates as babel_dates
from flask_babel import get_locale

from ..i18n import local, local_time
from ..models import Office
from . import bp
from .pages import closure_reason


def _locale() -> str:
    return str(get_locale() or "zh")


def day_label(day: dt.date) -> str:
    """11月24日周二 / 11月24日 週二 / Tue, Nov 24."""
    return babel_dates.format_skeleton("MMMEd", day, locale=_locale())


def long_day(day: dt.date) -> str:
    """2026年11月24日周二 / Tue, Nov 24, 2026."""
    return babel_dates.format_skeleton("yMMMEd", day, locale=_locale())


def weekday(day: dt.date) -> str:
    return babel_dates.format_skeleton("EEE", day, locale=_locale())


def month_day(day: dt.date) -> str:
    return babel_dates.format_skeleton("MMMd", day, locale=_locale())


def clock(moment: dt.datetime, office: Office) -> str:
    """09:30 in the office's zone (24-hour clock in every language, as on the SMS)."""
    return local_time(moment, office, form="clock")


def span(start: dt.datetime, end: dt.datetime, office: Office) -> str:
    return f"{clock(start, office)}–{clock(end, office)}"


def when(moment: dt.datetime, office: Office) -> str:
    """A day and a time in the office's zone: 11月24日周二 09:30 / Tue, Nov 24, 09:30."""
    here = local(moment, office)
    return f"{day_label(here.date())} {here:%H:%M}"


def weekday_names() -> list[str]:
    """Monday to Sunday, short: 周一 … / Mon …"""
    names = babel_dates.get_day_names("abbreviated", locale=_locale())
    return [names[i] for i in range(7)]


# Available in every template.
for _helper in (day_label, long_day, weekday, month_day):
    bp.add_app_template_filter(_helper)
for _helper in (clock, span, when, weekday_names, closure_reason):
    bp.add_app_template_global(_helper)
