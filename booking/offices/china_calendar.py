"""STAND-IN until the helper's module lands: built-in data only."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar


@dataclass(frozen=True)
class Holiday:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Notable:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class DayArrangement:
    day: dt.date
    holiday: Holiday | None
    makeup_workday: bool
    published: bool


def arrangement(day, overrides=None):
    overrides = overrides or {}
    year = overrides.get(day.year)
    if year is not None and day in year:
        closed = year[day]
        return DayArrangement(day, Holiday("holiday", "节假日", "Public holiday") if closed else None,
                              not closed and day.weekday() >= 5, True)
    try:
        rest, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayArrangement(day, None, False, day.year in overrides)
    holiday = Holiday(name, name, name) if rest and name else None
    return DayArrangement(day, holiday, not rest and day.weekday() >= 5, True)


def arrangements(first, last, overrides=None):
    return [arrangement(first + dt.timedelta(days=n), overrides) for n in range((last - first).days + 1)]


def notable_days(first, last, groups):
    return {}


def notable_group(kind):
    return "registry" if kind in ("marriage", "divorce") else "funeral"
