"""Notable days: the dates that bring crowds to a kind of office (docs/contract.md, `notable`).

Registries (marriage, divorce): `valentines` 14 February, `may20` and `may21` (5·20 sounds like
"我爱你"), `qixi` (7th day of the 7th lunar month), `repeating` (a month and day that repeat, such as
7 July, and dates whose eight digits YYYYMMDD read the same both ways, such as 2030-03-02).
Funeral homes and cemeteries: `qingming` (the solar term), `winter_solstice` (the solar term 冬至),
`chongyang` (9/9 lunar), `zhongyuan` (7/15 lunar), `hanyi` (10/1 lunar). Lunar dates are those of
the ordinary month only (a leap month never counts); see `lunar`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from . import lunar

GROUPS = ("registry", "funeral")
_GROUP_OF_KIND = {"marriage": "registry", "divorce": "registry", "farewell": "funeral",
                  "cremation": "funeral", "ash_collection": "funeral", "tomb_sweeping": "funeral"}


@dataclass(frozen=True)
class Notable:
    """A notable day's `code` (docs/contract.md) and its natural Simplified Chinese and English names."""
    code: str
    name_zh: str
    name_en: str


_NOTABLE = {n.code: n for n in (
    Notable("valentines", "情人节", "Valentine's Day"),
    Notable("may20", "5·20", "May 20 (520)"),
    Notable("may21", "5·21", "May 21 (521)"),
    Notable("qixi", "七夕", "Qixi Festival"),
    Notable("qingming", "清明", "Qingming"),
    Notable("winter_solstice", "冬至", "Winter Solstice"),
    Notable("chongyang", "重阳节", "Double Ninth Festival"),
    Notable("zhongyuan", "中元节", "Zhongyuan Festival"),
    Notable("hanyi", "寒衣节", "Hanyi Festival (Winter Clothes Day)"),
)}
REPEATING = Notable("repeating", "重复日期", "Repeating date")
PALINDROME = Notable("repeating", "回文日期", "Palindrome date")
_GROUP_CODES = {"registry": ("valentines", "may20", "may21", "qixi", "repeating"),
                "funeral": ("qingming", "winter_solstice", "chongyang", "zhongyuan", "hanyi")}


def notable_group(service_kind: str) -> str:
    """The group of notable days of a service kind: "registry" for marriage and divorce, "funeral"
    for farewell, cremation, ash_collection and tomb_sweeping. Raises ValueError for another kind."""
    try:
        return _GROUP_OF_KIND[service_kind]
    except KeyError:
        raise ValueError(f"unknown service kind {service_kind!r}") from None


def is_palindrome(day: dt.date) -> bool:
    """Whether the eight digits YYYYMMDD of `day` read the same both ways (2030-03-02)."""
    digits = day.strftime("%Y%m%d")
    return digits == digits[::-1]


def _repeating(day: dt.date) -> Notable | None:
    if is_palindrome(day):
        return PALINDROME
    return REPEATING if day.month == day.day else None


@functools.lru_cache(maxsize=64)
def _year(year: int) -> Mapping[dt.date, tuple[Notable, ...]]:
    """Every notable day of `year`, both groups, each day's entries in code order."""
    days: dict[dt.date, list[Notable]] = {}
    fixed = {"valentines": dt.date(year, 2, 14), "may20": dt.date(year, 5, 20), "may21": dt.date(year, 5, 21),
             "qixi": lunar.lunar_day(year, 7, 7), "qingming": lunar.solar_term(year, "清明"),
             "winter_solstice": lunar.solar_term(year, "冬至"), "chongyang": lunar.lunar_day(year, 9, 9),
             "zhongyuan": lunar.lunar_day(year, 7, 15), "hanyi": lunar.lunar_day(year, 10, 1)}
    for code, day in fixed.items():
        if day is not None:
            days.setdefault(day, []).append(_NOTABLE[code])
    day = dt.date(year, 1, 1)
    while day.year == year:
        repeating = _repeating(day)
        if repeating:
            days.setdefault(day, []).append(repeating)
        day += dt.timedelta(days=1)
    return {day: tuple(entries) for day, entries in sorted(days.items())}


def notable_days(first: dt.date, last: dt.date, groups: set[str] | frozenset[str]) -> dict[dt.date, list[Notable]]:
    """The notable days from `first` to `last` inclusive of the given groups ("registry",
    "funeral"), each date with its entries; dates with none are left out. Cached per year: 400 days
    take well under a millisecond once a year is computed. Raises ValueError for an unknown group."""
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown notable group {sorted(unknown)[0]!r}")
    codes = {code for group in groups for code in _GROUP_CODES[group]}
    found: dict[dt.date, list[Notable]] = {}
    for year in range(first.year, last.year + 1):
        for day, entries in _year(year).items():
            wanted = [entry for entry in entries if entry.code in codes]
            if first <= day <= last and wanted:
                found[day] = wanted
    return found


def codes_of_group(group: str) -> tuple[str, ...]:
    """The notable-day codes of a group ("registry" or "funeral"); ValueError for another."""
    if group not in GROUPS:
        raise ValueError(f"unknown notable group {group!r}")
    return _GROUP_CODES[group]


def a_year_before(day: dt.date, notable: Notable) -> dt.date | None:
    """The day the same notable day fell on a year before `day` (Qixi moves with the moon; 5·20
    does not); None for a palindrome date, which no other year repeats, and for a code that did not
    fall in that year."""
    if notable == PALINDROME:
        return None
    if notable == REPEATING:
        return day.replace(year=day.year - 1)
    return next((other for other, entries in _year(day.year - 1).items() if notable in entries), None)

