"""Dates and times from outside (query strings, forms, JSON, URLs), bounded where they are read.

Python's dates run from year 1 to 9999, and a day added to 9999-12-31 (or a time zone applied
to 0001-01-01) overflows: every date a visitor or a staff member types is therefore checked
against the window the service can serve, FIRST_DAY to LAST_DAY, before anything uses it. A
date outside is refused like a malformed one (422 in the API, the form's message on a page).
"""

from __future__ import annotations

import datetime as dt

from .errors import BookingError

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


class InvalidDate(BookingError):
    code, field = "invalid_date", "date"
    message_zh, message_en = "日期格式应为 YYYY-MM-DD。", "Must be a date as YYYY-MM-DD."


class InvalidMoment(BookingError):
    code, field = "invalid_datetime", "date"
    message_zh, message_en = "时间格式应为 ISO 8601。", "Must be an ISO 8601 time."


class DateOutOfRange(BookingError):
    code, field = "date_out_of_range", "date"
    message_zh = "日期须在 2000-01-01 至 2100-12-31 之间。"
    message_en = "The date must be between 2000-01-01 and 2100-12-31."


def in_window(day: dt.date) -> bool:
    """Whether a date (or a datetime's date) lies in FIRST_DAY..LAST_DAY."""
    return FIRST_DAY <= (day.date() if isinstance(day, dt.datetime) else day) <= LAST_DAY


def check_day(day: dt.date, field: str = "date") -> dt.date:
    """The date itself if it lies in the window; DateOutOfRange (for that field) otherwise."""
    if not in_window(day):
        raise DateOutOfRange(field)
    return day


def parse_day(raw, field: str = "date") -> dt.date:
    """A date as YYYY-MM-DD inside the window. InvalidDate for anything that is not such a
    text (a non-string too), DateOutOfRange for a date outside FIRST_DAY..LAST_DAY."""
    if not isinstance(raw, str) or len(raw) != 10:
        raise InvalidDate(field)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidDate(field) from None
    return check_day(day, field)


def parse_moment(raw, field: str = "date") -> dt.datetime:
    """An ISO 8601 time (a trailing Z means UTC; an offset is kept, none is not added) whose
    date lies inside the window. InvalidMoment or DateOutOfRange, for that field."""
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidMoment(field)
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidMoment(field) from None
    if not in_window(moment):
        raise DateOutOfRange(field)
    return moment
