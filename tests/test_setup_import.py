"""A real office goes live from a setup file (issue 24, docs/contract.md "Setting up offices"):
the Chengdu registry of the contract's example, imported into an empty database under a moving
clock and checked through the public calendar API and the slots it made."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking import bookings
from booking.extensions import db
from booking.models import Booking, HoursException, Office, Region, Service, Slot, SmsMessage
from booking.offices import setup, setup_file

from .factories import PHONE, verified, visitor

CHENGDU = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=CHENGDU)  # a Monday; the office goes live today
WEEK = '["09:00-12:00", "13:30-17:00"]'
FILE = f"""
[[regions]]
code = "sichuan"
name_zh = "四川省"
name_en = "Sichuan"

[[regions]]
code = "chengdu"
name_zh = "成都市"
name_en = "Chengdu"
parent = "sichuan"

[[offices]]
code = "jinjiang-registry"
region = "chengdu"
name_zh = "成都市锦江区婚姻登记处"
name_en = "Jinjiang District Marriage Registry"
address_zh = "成都市锦江区东大街 1 号"
address_en = "1 Dongda Street, Jinjiang District, Chengdu"
timezone = "Asia/Shanghai"
hall_limit = 30
stay_limit_minutes = 40
checkin_opens_minutes = 30
counters = ["1号窗口", "2号窗口", "3号窗口"]
holidays = "CN"

[[offices.services]]
code = "marriage"
kind = "marriage"
name_zh = "结婚登记"
name_en = "Marriage registration"
slot_minutes = 30
slot_max_bookings = 8
slot_max_people = 16
booking_opens_days = 15
booking_opens_at = "08:30"
requires_confirmation = true
hours = {{ mon = {WEEK}, tue = {WEEK}, wed = {WEEK}, thu = {WEEK}, fri = {WEEK} }}

[[offices.exceptions]]
dates = ["2026-12-19"]
services = ["marriage"]
hours = ["09:00-12:00"]
reason_zh = "周六特别开放"
reason_en = "Open specially this Saturday"

[[offices.exceptions]]
dates = ["2026-12-16"]
hours = []
reason_zh = "系统升级，暂停办理"
reason_en = "Closed for a system upgrade"

[[offices.exceptions]]
dates = ["2027-05-20"]
services = ["marriage"]
hours = ["09:00-12:00", "13:00-16:00"]
reason_zh = "5·20 特别开放"
reason_en = "Open specially on 20 May"
"""


def load(text: str = FILE, **options) -> setup.Report:
    return setup.apply(setup_file.read(text), now=NOW, **options)


def slots_on(day: dt.date, status: str = "open") -> list[Slot]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=CHENGDU)
    return list(db.session.scalars(select(Slot).where(
        Slot.starts_at >= start, Slot.starts_at < start + dt.timedelta(days=1), Slot.status == status)
        .order_by(Slot.starts_at)))


def times(day: dt.date) -> list[str]:
    return [f"{s.starts_at.astimezone(CHENGDU):%H:%M}-{s.ends_at.astimezone(CHENGDU):%H:%M}" for s in slots_on(day)]


def calendar(client, first: str, last: str) -> dict[str, dict]:
    answer = client.get(f"/api/v1/offices/jinjiang-registry/calendar?from={first}&to={last}")
    assert answer.status_code == 200, answer.get_json()
    return {day["date"]: day for day in answer.get_json()["days"]}


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(table))
                 for table in (Office, Service, Slot, HoursException, Region, Booking, SmsMessage))


def test_the_chengdu_registry_goes_live_from_its_file(any_app):
    client = any_app.test_client()
    with any_app.app_context():
        report = load()
        assert "office jinjiang-registry: created" in report.changes
        office = db.session.scalar(select(Office).where(Office.code == "jinjiang-registry"))
        assert office.region.code == "chengdu" and office.region.parent.code == "sichuan"
        assert office.counter_names == ["1号窗口", "2号窗口", "3号窗口"]
        assert office.name_zh_hant == "成都市錦江區婚姻登記處"  # drafted with OpenCC, editable
        morning = [f"{9 + i // 2:02d}:{30 * (i % 2):02d}" for i in range(6)]
        afternoon = [f"{13 + (i + 1) // 2:02d}:{30 * ((i + 1) % 2):02d}" for i in range(7)]
        # Weekly hours with the lunch break as a gap: 13 slots of 30 minutes a weekday.
        assert [t[:5] for t in times(dt.date(2026, 12, 8))] == morning + afternoon
        assert times(dt.date(2026, 12, 12)) == [] and times(dt.date(2026, 12, 13)) == []  # the weekend
        # The exception that opens a Saturday with its own hours, and the one that closes a Wednesday.
        assert times(dt.date(2026, 12, 19)) == [f"{t}-{t[:3]}{int(t[3:]) + 30:02d}" if t[3:] == "00"
                                                else f"{t}-{int(t[:2]) + 1:02d}:00" for t in morning]
        assert times(dt.date(2026, 12, 16)) == []
        # The booking window: today .. today + 15 days, nothing beyond.
        last = max(s.starts_at for s in db.session.scalars(select(Slot)))
        assert last.astimezone(CHENGDU).date() == dt.date(2026, 12, 22)
    days = calendar(client, "2026-12-14", "2026-12-20")
    assert days["2026-12-16"]["open"] is False
    assert days["2026-12-16"]["exception"]["reason_en"] == "Closed for a system upgrade"
    assert days["2026-12-19"]["hours"]["marriage"] == ["09:00-12:00"]
    assert days["2026-12-14"]["hours"]["marriage"] == ["09:00-12:00", "13:30-17:00"]
    assert days["2026-12-20"]["open"] is False


def test_china_s_holidays_and_make_up_working_days_shape_the_calendar(any_app):
    client = any_app.test_client()
    with any_app.app_context():
        load()
    days = calendar(client, "2026-09-28", "2026-10-11")
    # National Day 2026: 1-7 October closed; Saturday 10 October worked with the Monday hours.
    assert [day["open"] for date, day in days.items() if "2026-10-01" <= date <= "2026-10-07"] == [False] * 7
    assert days["2026-10-01"]["holiday"]["name_en"]
    assert days["2026-10-10"]["makeup_workday"] is True
    assert days["2026-10-10"]["hours"]["marriage"] == ["09:00-12:00", "13:30-17:00"]
    assert days["2026-10-11"]["open"] is False  # an ordinary Sunday
    assert all(day["arrangement_published"] for day in days.values())
    # 20 May 2027 opens with its own hours through the exception (a Thursday, its own hours win).
    special = calendar(client, "2027-05-20", "2027-05-20")["2027-05-20"]
    assert special["hours"]["marriage"] == ["09:00-12:00", "13:00-16:00"]
    assert special["exception"]["reason_en"] == "Open specially on 20 May"


def test_a_year_not_yet_published_closes_only_what_the_law_fixes(any_app):
    client = any_app.test_client()
    with any_app.app_context():
        load()
    days = calendar(client, "2027-01-01", "2027-01-04")
    assert days["2027-01-01"]["open"] is False and days["2027-01-01"]["holiday"] is not None
    assert not any(day["arrangement_published"] for day in days.values())
    assert days["2027-01-04"]["open"] is True  # a Monday: nothing guessed
    # A [[holidays]] table publishes the year: its dates close and open as it says.
    with any_app.app_context():
        report = load(FILE + '\n[[holidays]]\nyear = 2027\nclosed = ["2027-01-01/2027-01-03"]\n'
                             'workdays = ["2027-01-09"]\n')
    # The table publishes 2027: the Spring Festival it does not list would open, and the import says so.
    assert "2027-02-05" in report.warnings[0] and "2027-01-01" not in report.warnings[0]
    days = calendar(client, "2027-01-01", "2027-01-09")
    assert all(day["arrangement_published"] for day in days.values())
    assert days["2027-01-09"]["makeup_workday"] is True and days["2027-01-09"]["open"] is True


def test_importing_again_and_export_import_change_nothing(any_app):
    runner = any_app.test_cli_runner()
    with any_app.app_context():
        load()
        before = counts()
        assert not load().changed
        exported = setup_file.render(setup.export())
        assert not setup.apply(setup_file.read(exported), now=NOW).changed
        assert counts() == before
        assert setup_file.render(setup.export()) == exported
    result = runner.invoke(args=["setup", "export"])
    assert result.exit_code == 0 and 'code = "jinjiang-registry"' in result.output


def test_a_dry_run_says_what_would_change_and_writes_nothing(any_app, tmp_path):
    path = tmp_path / "chengdu.toml"
    path.write_text(FILE, encoding="utf-8")
    with any_app.app_context():
        before = counts()
    result = any_app.test_cli_runner().invoke(args=["setup", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written" in result.output and "office jinjiang-registry: created" in result.output
    assert "slots added: " in result.output
    with any_app.app_context():
        assert counts() == before


@pytest.mark.parametrize("change, key", [
    ("slot_minutes = 30", "slot_minutes = 0"),
    ('kind = "marriage"', 'kind = "wedding"'),
    ("hall_limit = 30", "hall_limt = 30"),
    ('hours = ["09:00-12:00"]', 'hours = ["12:00-09:00"]'),
    ('region = "chengdu"', 'region = "chongqing"'),
])
def test_a_bad_file_names_the_key_and_writes_nothing(app, tmp_path, change, key):
    path = tmp_path / "bad.toml"
    path.write_text(FILE.replace(change, key, 1), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["setup", "import", str(path)])
    assert result.exit_code == 1
    expected = {"slot_minutes = 0": "offices[0].services[0].slot_minutes",
                'kind = "wedding"': "offices[0].services[0].kind", "hall_limt = 30": "offices[0].hall_limt",
                'hours = ["12:00-09:00"]': "offices[0].exceptions[0].hours",
                'region = "chongqing"': "offices[jinjiang-registry].region"}[key]
    assert expected in result.output and "nothing was written" in result.output
    with app.app_context():
        assert counts()[:5] == (0, 0, 0, 0, 0)


def test_a_toml_syntax_error_gives_its_line(app, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(FILE.replace('hall_limit = 30', 'hall_limit = = 30'), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["setup", "import", str(path)])
    line = FILE.splitlines().index("hall_limit = 30") + 1
    assert result.exit_code == 1 and f"line {line}" in result.output


def book_afternoon(any_app) -> str:
    with any_app.app_context():
        slot = next(s for s in slots_on(dt.date(2026, 12, 17)) if s.starts_at.astimezone(CHENGDU).hour == 14)
        booked = bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2, "李娜")],
                               verification=verified(), lang="en", now=NOW)
        return booked.made.reference


def test_hours_taken_from_a_booked_afternoon_are_refused_then_cancelled_with_a_text(any_app):
    with any_app.app_context():
        load()
    reference = book_afternoon(any_app)
    mornings_only = FILE.replace("thu = " + WEEK, 'thu = ["09:00-12:00"]')
    with any_app.app_context():
        before = counts()
        with pytest.raises(setup.HoursTaken) as refused:
            load(mornings_only)
        assert [b.reference for b in refused.value.bookings] == [reference]
        db.session.rollback()
        assert counts() == before
        report = load(mornings_only, cancel_bookings=True)
        assert report.bookings_cancelled == 1
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        assert booking.status == "cancelled" and booking.cancelled_by == "office"
        text = db.session.scalars(select(SmsMessage).where(SmsMessage.booking_id == booking.id)
                                  .order_by(SmsMessage.id.desc())).first()
        assert text.kind == "cancelled_by_office" and "opening hours changed" in text.params
        assert all(s.starts_at.astimezone(CHENGDU).hour < 12 for s in slots_on(dt.date(2026, 12, 17)))


def test_a_new_slot_length_leaves_no_overlap_and_keeps_the_booked_slot(any_app):
    with any_app.app_context():
        load()
    reference = book_afternoon(any_app)
    with any_app.app_context():
        report = load(FILE.replace("slot_minutes = 30", "slot_minutes = 45"))
        assert report.slots_removed and report.slots_added and not report.bookings_affected
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        assert booking.status == "booked" and booking.slot.status == "open"
        live = list(db.session.scalars(select(Slot).where(Slot.status != "removed").order_by(Slot.starts_at)))
        for first, second in itertools.pairwise(live):
            assert first.ends_at <= second.starts_at, (first.starts_at, second.starts_at)
        lengths = {s.ends_at - s.starts_at for s in live if s.id != booking.slot_id}
        assert lengths == {dt.timedelta(minutes=45)}
        assert not load(FILE.replace("slot_minutes = 30", "slot_minutes = 45")).changed


def test_the_staff_calendar_page_marks_holidays_make_up_days_unpublished_years_and_notable_days(any_app):
    from booking import accounts

    with any_app.app_context():
        load()
        accounts.create_staff("clerk-jinjiang", "correct horse battery", "clerk", "jinjiang-registry")
    client = any_app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"username": "clerk-jinjiang", "password": "correct horse battery",
                                      "csrf_token": token})

    def day(date: str) -> str:
        page = client.get(f"/staff/jinjiang-registry/calendar?from={date}&lang=en").get_data(as_text=True)
        return page.split(f'data-date="{date}"', 1)[1].split("</li>\n{% ", 1)[0].split('class="card calendar-day', 1)[0]

    assert 'data-mark="holiday"' in day("2026-10-01")
    assert 'data-mark="makeup"' in day("2026-10-10") and "09:00-12:00, 13:30-17:00" in day("2026-10-10")
    assert 'data-mark="unpublished"' in day("2027-01-04")
    assert 'data-notable="may20"' in day("2027-05-20") and "Open specially on 20 May" in day("2027-05-20")
    assert 'data-notable="qixi"' in day("2027-08-08")  # 7th of the 7th lunar month (HKO almanac)
    assert 'data-mark="holiday"' not in day("2026-12-14") and "closed" in day("2026-12-13")


def test_a_dry_run_lists_the_bookings_in_hours_it_would_take_away(any_app, tmp_path):
    with any_app.app_context():
        load()
    reference = book_afternoon(any_app)
    path = tmp_path / "mornings.toml"
    path.write_text(FILE.replace("thu = " + WEEK, 'thu = ["09:00-12:00"]'), encoding="utf-8")
    result = any_app.test_cli_runner().invoke(args=["setup", "import", str(path), "--dry-run"])
    assert result.exit_code == 0 and "bookings affected: 1" in result.output and reference in result.output
    refused = any_app.test_cli_runner().invoke(args=["setup", "import", str(path)])
    assert refused.exit_code == 1 and reference in refused.output and "--cancel-bookings" in refused.output
    with any_app.app_context():
        assert db.session.scalar(select(Booking.status).where(Booking.reference == reference)) == "booked"
