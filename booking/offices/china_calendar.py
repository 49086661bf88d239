"""China's public-holiday calendar: statutory rest days, make-up working days (调休上班), and which
years' arrangements are known. Pure functions of dates; no database, no Flask.

Sources and rules (docs/contract.md, "Setting up offices"):

- Built-in years: `chinesecalendar` carries the yearly notices of the General Office of the State
  Council (国务院办公厅关于 YYYY 年部分节假日安排的通知), 2004 to 2026 in version 1.11. Those years are
  published.
- Overrides: a `[[holidays]]` table for a year makes that year published; each date it names
  overrides the built-in data (True: closed as a holiday, False: worked). Dates of a published year
  that no override names come from the built-in data when the year has it, else are ordinary days.
- Any other year (2027 on, with chinesecalendar 1.11) is unpublished: only the days fixed by law
  are closed, and nothing else is guessed (no make-up day). The law is
  《全国年节及纪念日放假办法》 article 2 as amended by
  《国务院关于修改〈全国年节及纪念日放假办法〉的决定》
  (published 12 November 2024, in force 1 January 2025):
  元旦 1 January; 春节 农历除夕 and 正月初一至初三; 清明节 农历清明当日;
  劳动节 5月1日、2日; 端午节 农历端午当日; 中秋节 农历中秋当日; 国庆节 10月1日至3日.

A day on which two festivals fall (Mid-Autumn is 3 October 2028) names both, National Day first:
"国庆节、中秋节" / "National Day and Mid-Autumn Festival", code "national_day+mid_autumn".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from chinese_calendar import constants as _builtin

from . import lunar
from .china_notable import Notable, a_year_before, codes_of_group, notable_days, notable_group

__all__ = ["BUILTIN_YEARS", "DayArrangement", "Holiday", "Notable", "Overrides", "arrangement",
           "a_year_before", "arrangements", "codes_of_group", "law_fixed_days", "notable_days", "notable_group",
           "published_years"]

Overrides = Mapping[int, Mapping[dt.date, bool]]
"""year -> {date: True if closed (a rest day), False if worked}; every date lies in its year."""


@dataclass(frozen=True)
class Holiday:
    """A statutory holiday's name: `code` such as "national_day" ("+"-joined when two fall on one
    day), natural Simplified Chinese and English names."""
    code: str
    name_zh: str
    name_en: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.code.split("+"))


@dataclass(frozen=True)
class DayArrangement:
    """What China's arrangement says about one day.

    `holiday`: the holiday whose statutory rest day this is (None on working days and on ordinary
    weekends); `makeup_workday`: a Saturday or Sunday worked as a weekday; `published`: the year's
    arrangement is known (built in, or given in overrides)."""
    day: dt.date
    holiday: Holiday | None
    makeup_workday: bool
    published: bool


# In the order of the law's article 2, except that National Day names a shared day first.
_NAMES = {
    "new_year": ("元旦", "New Year's Day"),
    "spring_festival": ("春节", "Spring Festival"),
    "qingming": ("清明节", "Qingming Festival"),
    "labour_day": ("劳动节", "Labour Day"),
    "dragon_boat": ("端午节", "Dragon Boat Festival"),
    "national_day": ("国庆节", "National Day"),
    "mid_autumn": ("中秋节", "Mid-Autumn Festival"),
    "anti_fascist_70th_day": ("中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
                              "70th anniversary of the victory of the War of Resistance against "
                              "Japanese Aggression and the World Anti-Fascist War"),
}
_ORDER = {code: position for position, code in enumerate(_NAMES)}
# Names of shared days written out whole, so that the Traditional catalogue finds them (booking.i18n.hant).
_SHARED = {("national_day", "mid_autumn"): ("国庆节、中秋节", "National Day and Mid-Autumn Festival")}
PUBLIC_HOLIDAY = Holiday("public_holiday", "节假日", "Public holiday")
# chinesecalendar's English label -> our code; a special holiday it adds later keeps its own names.
_BUILTIN_CODES = {"New Year's Day": "new_year", "Spring Festival": "spring_festival",
                  "Tomb-sweeping Day": "qingming", "Labour Day": "labour_day",
                  "Dragon Boat Festival": "dragon_boat", "National Day": "national_day",
                  "Mid-autumn Festival": "mid_autumn"}
_LIBRARY = {member.value: member for member in _builtin.Holiday}  # English label -> member
BUILTIN_YEARS = range(min(_builtin.holidays).year, max(_builtin.holidays).year + 1)
_BLOCK_REACH = 16  # days looked at on each side for the holiday block around an override


def _name(code: str) -> tuple[str, str]:
    if code in _NAMES:
        return _NAMES[code]
    member = _builtin.Holiday[code]  # a special holiday of the built-in data we have no names for
    return member.chinese, member.value


@functools.lru_cache(maxsize=256)
def _holiday(codes: tuple[str, ...]) -> Holiday:
    ordered = tuple(sorted(set(codes), key=lambda code: _ORDER.get(code, len(_ORDER))))
    name_zh, name_en = _SHARED.get(ordered) or ("、".join(_name(c)[0] for c in ordered),
                                                " and ".join(_name(c)[1] for c in ordered))
    return Holiday("+".join(ordered), name_zh, name_en)


def _builtin_code(label: str) -> str:
    return _BUILTIN_CODES.get(label) or _LIBRARY[label].name


@functools.lru_cache(maxsize=64)
def _law_fixed(year: int) -> Mapping[dt.date, tuple[str, ...]]:
    days: dict[dt.date, list[str]] = {}
    eve = lunar.new_years_eve(year)
    fixed = [(dt.date(year, 1, 1), "new_year"), (lunar.solar_term(year, "清明"), "qingming"),
             (dt.date(year, 5, 1), "labour_day"), (dt.date(year, 5, 2), "labour_day"),
             (lunar.lunar_day(year, 5, 5), "dragon_boat"), (lunar.lunar_day(year, 8, 15), "mid_autumn")]
    fixed += [(eve + dt.timedelta(days=n), "spring_festival") for n in range(4)]
    fixed += [(dt.date(year, 10, n), "national_day") for n in (1, 2, 3)]
    for day, code in fixed:
        days.setdefault(day, []).append(code)
    return {day: tuple(codes) for day, codes in sorted(days.items())}


def law_fixed_days(year: int) -> dict[dt.date, Holiday]:
    """The days closed by law in `year` (the 2025 rules, see the module's docstring), each with its
    holiday; a day of two festivals has both in one Holiday: 13 dates, or 12 when two festivals share
    one (2028). The Spring Festival eve is the 29th or the 30th of the 12th lunar month."""
    return {day: _holiday(codes) for day, codes in _law_fixed(year).items()}


@functools.lru_cache(maxsize=64)
def _builtin_year(year: int) -> tuple[Mapping[dt.date, str], frozenset[dt.date]]:
    """(closed date -> code, worked weekend dates) of a built-in year."""
    closed = {day: _builtin_code(label) for day, label in _builtin.holidays.items() if day.year == year}
    worked = frozenset(day for day in _builtin.workdays if day.year == year)
    return closed, worked


def published_years(overrides: Overrides | None = None) -> set[int]:
    """The years whose arrangement is known: the built-in years and every year in `overrides`."""
    return set(BUILTIN_YEARS) | set(overrides or ())


def _check(overrides: Overrides | None) -> Overrides:
    for year, days in (overrides or {}).items():
        strays = sorted(day for day in days if day.year != year)
        if strays:
            raise ValueError(f"holidays for {year} name {strays[0].isoformat()}, a day of another year")
    return overrides or {}


def _state(day: dt.date, overrides: Overrides) -> tuple[bool, bool, bool, tuple[str, ...]]:
    """(closed as a holiday, make-up working day, published, codes of the holiday if known)."""
    year_overrides = overrides.get(day.year)
    builtin = day.year in BUILTIN_YEARS
    law = _law_fixed(day.year).get(day, ())
    if year_overrides is None and not builtin:
        return bool(law), False, False, law
    closed, worked = _builtin_year(day.year) if builtin else ({}, frozenset())
    if year_overrides is not None and day in year_overrides:
        if year_overrides[day]:
            return True, False, True, ((closed[day],) if day in closed else ()) + law
        return False, day.weekday() >= 5, True, ()
    if day in closed:
        return True, False, True, (closed[day],) + law
    return False, day in worked, True, ()


def _block_codes(day: dt.date, overrides: Overrides) -> tuple[str, ...]:
    """The festivals of the run of rest days (holidays and unworked weekends) around `day`."""
    codes: list[str] = []
    for step in (-1, 1):
        other = day + dt.timedelta(days=step)
        for _ in range(_BLOCK_REACH):
            closed, makeup, _, own = _state(other, overrides)
            if not (closed or (other.weekday() >= 5 and not makeup)):
                break
            codes += own or _law_fixed(other.year).get(other, ())
            other += dt.timedelta(days=step)
    return tuple(codes)


def arrangement(day: dt.date, overrides: Overrides | None = None) -> DayArrangement:
    """China's arrangement for `day` (a date), given `overrides` (see `Overrides`).

    Raises ValueError when an override names a day outside its year."""
    return _arrangement(day, _check(overrides))


def _arrangement(day: dt.date, overrides: Overrides) -> DayArrangement:
    closed, makeup, published, codes = _state(day, overrides)
    holiday = None
    if closed:
        codes = codes or _block_codes(day, overrides)
        holiday = _holiday(codes) if codes else PUBLIC_HOLIDAY
    return DayArrangement(day, holiday, makeup, published)


def arrangements(first: dt.date, last: dt.date, overrides: Overrides | None = None) -> list[DayArrangement]:
    """Every day from `first` to `last` inclusive (an empty list when `last` is before `first`).

    Per-year data is cached: 400 days take a few milliseconds. Raises ValueError as `arrangement`."""
    checked = _check(overrides)
    return [_arrangement(first + dt.timedelta(days=n), checked) for n in range((last - first).days + 1)]
