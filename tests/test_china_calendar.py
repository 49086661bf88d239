"""China's calendar (booking/offices/china_calendar.py): built-in arrangements, overrides, the days
fixed by law in unpublished years, and notable days checked against second sources.

Real libraries throughout: chinesecalendar (built-in data, and its solar-term formula as a second
source), lunar-python (what the module uses), lunardate (an independent second source for lunar
dates), plus dates read off the Hong Kong Observatory's Gregorian-Lunar Calendar Conversion Tables
(https://www.hko.gov.hk/en/gts/time/conversion.htm).
"""

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest
from babel.messages.pofile import read_po
from lunardate import LunarDate

from booking.offices import lunar
from booking.offices.china_calendar import (
    BUILTIN_YEARS,
    arrangement,
    arrangements,
    law_fixed_days,
    notable_days,
    notable_group,
    published_years,
)
from booking.offices.china_notable import is_palindrome

D = dt.date
BOTH = {"registry", "funeral"}


def days(first, last):
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def closed(first, last, overrides=None):
    return {a.day: a.holiday.name_zh for a in arrangements(first, last, overrides) if a.holiday}


def codes_on(year, groups=BOTH):
    found = {}
    for day, entries in notable_days(D(year, 1, 1), D(year, 12, 31), groups).items():
        for entry in entries:
            found.setdefault(entry.code, []).append(day)
    return found


# --- built-in years (chinesecalendar 1.11: the State Council's notice for 2026) ---------------------

def test_builtin_years_end_in_2026_and_are_published():
    assert BUILTIN_YEARS == range(2004, 2027)
    assert published_years() == set(range(2004, 2027))
    assert published_years({2027: {}}) == set(range(2004, 2028))


def test_2026_national_day_block_and_its_makeup_workdays():
    block = closed(D(2026, 9, 28), D(2026, 10, 11))
    assert block == {day: "国庆节" for day in days(D(2026, 10, 1), D(2026, 10, 7))}
    sunday, saturday = arrangement(D(2026, 9, 20)), arrangement(D(2026, 10, 10))
    assert (sunday.makeup_workday, sunday.holiday, sunday.published) == (True, None, True)
    assert (saturday.makeup_workday, saturday.holiday) == (True, None)
    assert arrangement(D(2026, 10, 3)).holiday.name_en == "National Day"
    ordinary_sunday = arrangement(D(2026, 10, 11))
    assert (ordinary_sunday.holiday, ordinary_sunday.makeup_workday) == (None, False)


def test_2026_spring_festival_nine_days_with_two_worked_saturdays():
    assert closed(D(2026, 2, 10), D(2026, 3, 1)) == {day: "春节" for day in days(D(2026, 2, 15), D(2026, 2, 23))}
    assert [a.day for a in arrangements(D(2026, 2, 1), D(2026, 3, 31)) if a.makeup_workday] == [
        D(2026, 2, 14), D(2026, 2, 28)]


def test_builtin_day_of_two_festivals_names_both():
    """1 October 2020 was National Day and Mid-Autumn (HKO 2020 table: 8th month, 15th day)."""
    holiday = arrangement(D(2020, 10, 1)).holiday
    assert (holiday.code, holiday.name_zh, holiday.name_en) == (
        "national_day+mid_autumn", "国庆节、中秋节", "National Day and Mid-Autumn Festival")
    assert holiday.codes == ("national_day", "mid_autumn")


def test_builtin_special_holiday_keeps_a_natural_name():
    holiday = arrangement(D(2015, 9, 3)).holiday
    assert holiday.code == "anti_fascist_70th_day"
    assert holiday.name_zh == "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"
    assert holiday.name_en.startswith("70th anniversary of the victory")


# --- overrides ----------------------------------------------------------------------------------

def test_override_corrects_builtin_dates():
    extended = arrangement(D(2026, 10, 8), {2026: {D(2026, 10, 8): True}})
    assert extended.holiday.name_zh == "国庆节" and extended.published  # named by its block
    overrides = {2026: {D(2026, 10, 8): True, D(2026, 10, 7): False, D(2026, 10, 10): True}}
    worked = arrangement(D(2026, 10, 7), overrides)
    assert (worked.holiday, worked.makeup_workday) == (None, False)  # a Wednesday: an ordinary day
    assert arrangement(D(2026, 10, 8), overrides).holiday.name_zh == "节假日"  # its block is gone
    saturday = arrangement(D(2026, 10, 10), overrides)  # no longer worked; no festival in its block
    assert (saturday.holiday.code, saturday.holiday.name_zh, saturday.holiday.name_en, saturday.makeup_workday) == (
        "public_holiday", "节假日", "Public holiday", False)
    untouched = arrangement(D(2026, 10, 1), overrides)
    assert untouched.holiday.name_zh == "国庆节" and arrangement(D(2026, 9, 20), overrides).makeup_workday


def test_override_year_2027_is_published_and_only_its_dates_close():
    spring = [*days(D(2027, 2, 5), D(2027, 2, 11))]
    overrides = {2027: {**{day: True for day in spring}, D(2027, 2, 14): False, D(2027, 3, 3): True}}
    year = arrangements(D(2027, 1, 1), D(2027, 12, 31), overrides)
    assert all(a.published for a in year)
    assert {a.day: a.holiday.name_zh for a in year if a.holiday} == {
        **{day: "春节" for day in spring}, D(2027, 3, 3): "节假日"}
    assert [a.day for a in year if a.makeup_workday] == [D(2027, 2, 14)]
    # docs/contract.md: a published year's dates not named are ordinary days, law-fixed ones included.
    assert arrangement(D(2027, 10, 1), overrides).holiday is None


def test_override_on_a_law_fixed_date_takes_its_festival_name():
    holiday = arrangement(D(2028, 10, 3), {2028: {D(2028, 10, 3): True}}).holiday
    assert holiday.name_zh == "国庆节、中秋节"


def test_override_naming_a_day_of_another_year_is_refused():
    with pytest.raises(ValueError, match="2028-01-01"):
        arrangements(D(2027, 1, 1), D(2027, 1, 2), {2027: {D(2028, 1, 1): True}})


# --- unpublished years: only the days fixed by law --------------------------------------------------

LAW_2027 = {D(2027, 1, 1): "元旦", **{day: "春节" for day in days(D(2027, 2, 5), D(2027, 2, 8))},
            D(2027, 4, 5): "清明节", D(2027, 5, 1): "劳动节", D(2027, 5, 2): "劳动节", D(2027, 6, 9): "端午节",
            D(2027, 9, 15): "中秋节", D(2027, 10, 1): "国庆节", D(2027, 10, 2): "国庆节", D(2027, 10, 3): "国庆节"}
# 2028: the 12th lunar month has 29 days (HKO 2028 table: 1st lunar month begins 26 January), so the
# eve is 25 January; Mid-Autumn falls on 3 October, inside National Day.
LAW_2028 = {D(2028, 1, 1): "元旦", **{day: "春节" for day in days(D(2028, 1, 25), D(2028, 1, 28))},
            D(2028, 4, 4): "清明节", D(2028, 5, 1): "劳动节", D(2028, 5, 2): "劳动节", D(2028, 5, 28): "端午节",
            D(2028, 10, 1): "国庆节", D(2028, 10, 2): "国庆节", D(2028, 10, 3): "国庆节、中秋节"}


def test_chinesecalendar_has_no_2027():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_holiday(D(2027, 1, 4))


@pytest.mark.parametrize("year, law", [(2027, LAW_2027), (2028, LAW_2028)])
def test_unpublished_year_closes_exactly_the_law_fixed_days(year, law):
    assert {day: h.name_zh for day, h in law_fixed_days(year).items()} == law
    whole = arrangements(D(year, 1, 1), D(year, 12, 31))
    assert len(whole) in (365, 366)
    assert {a.day: a.holiday.name_zh for a in whole if a.holiday} == law
    assert not any(a.published or a.makeup_workday for a in whole)
    assert year not in published_years()


def test_2028_collision_is_one_day_named_for_both():
    holiday = arrangement(D(2028, 10, 3)).holiday
    assert (holiday.code, holiday.name_en) == ("national_day+mid_autumn", "National Day and Mid-Autumn Festival")
    assert len(law_fixed_days(2028)) == 12 and len(law_fixed_days(2027)) == 13


def test_spring_festival_eve_is_the_last_day_of_the_12th_month():
    """HKO 2009 table: 25 January 2009 is the 30th of the 12th month, 26 January the 1st of the 1st."""
    assert lunar.new_years_eve(2009) == D(2009, 1, 25)
    for year in range(2026, 2036):
        eve = LunarDate.from_solar_date(*lunar.new_years_eve(year).timetuple()[:3])
        assert (eve.month, eve.is_leap_month) == (12, False) and eve.day in (29, 30)
        assert LunarDate(year, 1, 1).to_solar_date() == lunar.new_years_eve(year) + dt.timedelta(days=1)


def test_a_range_across_published_and_unpublished_years():
    span = arrangements(D(2026, 12, 31), D(2027, 1, 4))
    assert [a.published for a in span] == [True, False, False, False, False]
    assert [a.holiday and a.holiday.name_zh for a in span] == [None, "元旦", None, None, None]
    assert arrangements(D(2027, 1, 2), D(2027, 1, 1)) == []


# --- notable days ------------------------------------------------------------------------------

LUNAR = {"qixi": (7, 7), "zhongyuan": (7, 15), "chongyang": (9, 9), "hanyi": (10, 1)}


@pytest.mark.parametrize("year", range(2026, 2031))
def test_lunar_notable_days_agree_with_lunardate(year):
    found = codes_on(year)
    for code, (month, day) in LUNAR.items():
        assert found[code] == [LunarDate(year, month, day, False).to_solar_date()], code
    assert law_fixed_days(year)[LunarDate(year, 5, 5).to_solar_date()].code == "dragon_boat"
    assert law_fixed_days(year)[LunarDate(year, 8, 15).to_solar_date()].codes[-1] == "mid_autumn"


@pytest.mark.parametrize("year", range(2026, 2031))
def test_solar_terms_agree_with_chinesecalendars_formula(year):
    terms = {name: day for day, name in chinese_calendar.get_solar_terms(D(year, 1, 1), D(year, 12, 31))}
    found = codes_on(year, {"funeral"})
    assert found["qingming"] == [terms["清明"]] and found["winter_solstice"] == [terms["冬至"]]


def test_notable_days_of_2020_as_the_hong_kong_observatory_publishes_them():
    """Read off HKO's Gregorian-Lunar Calendar Conversion Table of 2020 (Geng-zi year of the Mouse):
    7th lunar month from 19 August, 9th from 17 October, 10th from 15 November; Bright & Clear 4 April,
    Winter Solstice 21 December."""
    found = codes_on(2020, {"funeral"}) | {"qixi": codes_on(2020, {"registry"})["qixi"]}
    assert found == {
        "qingming": [D(2020, 4, 4)], "qixi": [D(2020, 8, 25)], "zhongyuan": [D(2020, 9, 2)],
        "chongyang": [D(2020, 10, 25)], "hanyi": [D(2020, 11, 15)], "winter_solstice": [D(2020, 12, 21)]}
    assert lunar.new_year(2028) == D(2028, 1, 26)  # HKO 2028 table


@pytest.mark.parametrize("year, leap_month", [(2006, 7), (2014, 9), (2020, 4), (2025, 6), (2028, 5), (2044, 7)])
def test_leap_months_never_count_twice(year, leap_month):
    assert LunarDate.leap_month_for_year(year) == leap_month
    found = codes_on(year)
    assert all(len(found[code]) == 1 for code in (*LUNAR, "qingming", "winter_solstice"))
    for code, (month, day) in LUNAR.items():
        assert found[code] == [LunarDate(year, month, day, False).to_solar_date()], code
        if month == leap_month:
            leap_day = LunarDate(year, month, day, True).to_solar_date()
            assert leap_day not in notable_days(leap_day, leap_day, BOTH)
    dragon_boat = [day for day, h in law_fixed_days(year).items() if "dragon_boat" in h.codes]
    assert dragon_boat == [LunarDate(year, 5, 5, False).to_solar_date()]


def test_repeating_and_palindrome_dates():
    found = notable_days(D(2030, 1, 1), D(2030, 12, 31), {"registry"})
    repeating = {day: found[day][-1].name_zh for day in found if found[day][-1].code == "repeating"}
    assert repeating == {D(2030, m, m): "重复日期" for m in range(1, 13)} | {D(2030, 3, 2): "回文日期"}
    assert found[D(2030, 3, 2)][0].name_en == "Palindrome date"
    both = notable_days(D(2020, 2, 2), D(2020, 2, 2), {"registry"})[D(2020, 2, 2)]
    assert [(n.code, n.name_zh) for n in both] == [("repeating", "回文日期")]  # 20200202, also 2 February
    assert is_palindrome(D(2021, 12, 2)) and not is_palindrome(D(2021, 12, 3))
    for year in range(2000, 2100):
        palindromes = [day for day in days(D(year, 1, 1), D(year, 12, 31)) if is_palindrome(day)]
        assert len(palindromes) <= 1


def test_registry_and_funeral_groups_are_separate():
    registry = codes_on(2026, {"registry"})
    funeral = codes_on(2026, {"funeral"})
    assert set(registry) == {"valentines", "may20", "may21", "qixi", "repeating"}
    assert set(funeral) == {"qingming", "winter_solstice", "chongyang", "zhongyuan", "hanyi"}
    assert registry["valentines"] == [D(2026, 2, 14)] and registry["may20"] == [D(2026, 5, 20)]
    assert codes_on(2026) == registry | funeral
    assert notable_days(D(2026, 1, 1), D(2026, 12, 31), set()) == {}
    may20 = notable_days(D(2026, 5, 20), D(2026, 5, 20), {"registry"})[D(2026, 5, 20)][0]
    assert (may20.name_zh, may20.name_en) == ("5·20", "May 20 (520)")


@pytest.mark.parametrize("kind, group", [("marriage", "registry"), ("divorce", "registry"), ("farewell", "funeral"),
                                         ("cremation", "funeral"), ("ash_collection", "funeral"),
                                         ("tomb_sweeping", "funeral")])
def test_notable_group_of_each_service_kind(kind, group):
    assert notable_group(kind) == group


def test_unknown_kind_and_group_are_refused():
    with pytest.raises(ValueError, match="adoption"):
        notable_group("adoption")
    with pytest.raises(ValueError, match="hospital"):
        notable_days(D(2026, 1, 1), D(2026, 1, 2), {"hospital"})


def test_a_range_over_a_year_end_keeps_both_years():
    found = notable_days(D(2026, 12, 1), D(2027, 1, 31), BOTH)
    assert [day for day in found] == [D(2026, 12, 12), D(2026, 12, 22), D(2027, 1, 1)]


def test_every_chinese_name_has_a_reviewed_traditional_form():
    """booking.i18n.hant looks names up whole in the from_zh catalogue (`make translations`)."""
    names = {a.holiday.name_zh for a in arrangements(D(2004, 1, 1), D(2030, 12, 31)) if a.holiday}
    names |= {h.name_zh for year in range(2025, 2061) for h in law_fixed_days(year).values()}
    names |= {n.name_zh for entries in notable_days(D(2020, 1, 1), D(2030, 12, 31), BOTH).values() for n in entries}
    names.add(arrangement(D(2026, 10, 10), {2026: {D(2026, 10, 10): True}}).holiday.name_zh)
    catalogue = Path(__file__).parents[1] / "booking/translations/from_zh/zh_Hant/LC_MESSAGES/messages.po"
    with catalogue.open("rb") as po:
        reviewed = {message.id: message.string for message in read_po(po) if message.id}
    assert "国庆节、中秋节" in names and "节假日" in names and "回文日期" in names
    assert {name for name in names if not reviewed.get(name)} - {"5·20", "5·21"} == set()
