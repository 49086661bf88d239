"""Lunar dates and solar terms as Gregorian dates, in China Standard Time (UTC+8).

Computed with `lunar-python` (the maintained Python port of 6tail's lunar calendar, astronomical
new moons and solar terms for Beijing time). Only the ordinary (non-leap) month is ever meant: a
leap month repeating the 5th or 6th month (2028, 2025) holds no festival.
"""

from __future__ import annotations

import datetime as dt
import functools

from lunar_python import Lunar, Solar

# Where each solar term used here can fall (every year of 1900-2100 is inside these windows).
_TERM_WINDOWS = {"清明": (4, range(3, 7)), "冬至": (12, range(20, 24))}


def lunar_day(year: int, month: int, day: int) -> dt.date | None:
    """The Gregorian date in `year` of day `day` of the ordinary lunar month `month`: that of lunar
    year `year` when it falls in `year`, else that of lunar year `year - 1`, else None (a 12th-month
    day can fall twice in one Gregorian year, or not at all; the days of months 5-10 asked for here
    fall exactly once).

    `month` is 1-12 and never a leap month; `day` 1-30. Raises ValueError for other numbers.
    """
    if not (1 <= month <= 12 and 1 <= day <= 30):
        raise ValueError(f"no lunar month {month}, day {day}")
    for lunar_year in (year, year - 1):
        solar = Lunar.fromYmd(lunar_year, month, day).getSolar()
        if solar.getYear() == year:
            return dt.date(year, solar.getMonth(), solar.getDay())
    return None


@functools.lru_cache(maxsize=512)
def new_year(year: int) -> dt.date:
    """The first day of the first lunar month (春节, Spring Festival) in Gregorian year `year`."""
    solar = Lunar.fromYmd(year, 1, 1).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def new_years_eve(year: int) -> dt.date:
    """除夕: the last day (29th or 30th) of the 12th lunar month, the eve of `new_year(year)`."""
    return new_year(year) - dt.timedelta(days=1)


@functools.lru_cache(maxsize=512)
def solar_term(year: int, name: str) -> dt.date:
    """The day in Beijing time on which the solar term `name` ("清明" or "冬至") begins in `year`.

    Raises KeyError for another term, LookupError if the term is outside its usual window.
    """
    month, days = _TERM_WINDOWS[name]
    for day in days:
        if Solar.fromYmd(year, month, day).getLunar().getJieQi() == name:
            return dt.date(year, month, day)
    raise LookupError(f"{name} not found in {year}")
