"""Administrators set up offices on pages (issue 24 item 2): every change is previewed by a dry
run of setup.apply (nothing written), then applied once on confirmation; bookings in hours taken
away are cancelled only with the explicit box; a bad value is shown beside its field in the
reader's language and changes nothing; clerks and supervisors are refused."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.hall import queue
from booking.models import AuditEvent, Booking, HolidayDate, HoursException, Office, Service, Slot, SmsMessage
from booking.offices import china_calendar, setup_file
from booking.staff import setup_forms
from tests.test_access_staff import login
from tests.test_staff_support import admin, book, make_office2

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_FORM = {"code": "jinjiang", "region": "", "name_zh": "成都市锦江区婚姻登记处", "name_zh_hant": "",
               "name_en": "Jinjiang District Marriage Registry", "address_zh": "成都市锦江区东大街 1 号",
               "address_zh_hant": "", "address_en": "1 East Street, Jinjiang", "timezone": "Asia/Shanghai",
               "hall_limit": "30", "stay_limit_minutes": "40", "checkin_opens_minutes": "30",
               "counters": "1号窗口\n2号窗口", "holidays": "none"}
WEEK = {f"hours_{d}": "09:00-12:00, 13:30-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
SERVICE_FORM = {"code": "marriage", "kind": "marriage", "name_zh": "结婚登记", "name_zh_hant": "",
                "name_en": "Marriage registration", "slot_minutes": "30", "slot_max_bookings": "8",
                "slot_max_people": "16", "party_size_min": "2", "party_size_max": "2", "arrival_windows": "1",
                "booking_opens_days": "7", "booking_opens_at": "08:30", "booking_closes_hours": "2",
                "person_limit": "service", "assisted_reserve": "0", "assisted_release_hours": "24",
                "no_show_limit": "0", "no_show_window_days": "30", "no_show_bar_days": "15",
                "bring_zh": "双方身份证、户口簿", "bring_zh_hant": "", "bring_en": "ID cards",
                **WEEK, "hours_sat": "", "hours_sun": ""}


@pytest.fixture
def admin_client(any_app):
    with any_app.app_context():
        admin()
        db.session.commit()
    client = any_app.test_client()
    client.csrf = login(client, "admin")
    client.app = any_app
    return client


def post(client, url, data, lang="zh"):
    return client.post(url, data={**data, "csrf_token": client.csrf}, query_string={"lang": lang})


def confirm_form(page: str) -> dict:
    """The hidden fields of the preview's confirmation form, as a browser would send them."""
    form = page[page.index('id="confirm-form"'):]
    data = {"setup": html.unescape(re.search(r'<textarea name="setup"[^>]*>(.*?)</textarea>', form, re.S).group(1)),
            "back": html.unescape(re.search(r'name="back" value="([^"]*)"', form).group(1))}
    references = re.findall(r'name="reference" value="([^"]+)"', form)
    return {**data, "reference": references} if references else data


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def create_office(client):
    preview = post(client, "/staff/admin/offices/new", OFFICE_FORM)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    response = post(client, "/staff/admin/setup", confirm_form(preview.get_data(as_text=True)))
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/jinjiang/admin/office")


def add_service(client, **changes):
    preview = post(client, "/staff/jinjiang/admin/services/new", {**SERVICE_FORM, **changes})
    assert preview.status_code == 200, preview.get_data(as_text=True)
    return preview


def test_preview_writes_nothing_and_the_confirmation_applies_once(admin_client):
    app = admin_client.app
    preview = post(admin_client, "/staff/admin/offices/new", OFFICE_FORM)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "成都市锦江区婚姻登记处" in page
    assert "成都市錦江區婚姻登記處" in page  # the Traditional Chinese, drafted
    assert count(app, Office, Office.code == "jinjiang") == 0
    form = confirm_form(page)
    first = post(admin_client, "/staff/admin/setup", form)
    assert first.status_code == 302
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == "jinjiang"))
        assert office.name_zh_hant == "成都市錦江區婚姻登記處"
        assert (office.counters, office.holidays) == ("1号窗口\n2号窗口", "none")
    again = post(admin_client, "/staff/admin/setup", form)  # a second click changes nothing
    assert again.status_code == 302
    assert "已在生效" in admin_client.get(again.headers["Location"]).get_data(as_text=True)
    assert count(app, AuditEvent, AuditEvent.action == "setup_applied") == 1


def test_a_service_with_a_break_makes_slots_around_it(admin_client):
    app = admin_client.app
    create_office(admin_client)
    preview = add_service(admin_client)
    page = preview.get_data(as_text=True)
    added = int(re.search(r"新增时段：(\d+)", page).group(1))
    assert added > 0 and count(app, Service) == 0 and count(app, Slot) == 0
    post(admin_client, "/staff/admin/setup", confirm_form(page))
    assert count(app, Slot) == added
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == "jinjiang"))
        starts = {s.starts_at.astimezone(office.tz).time() for s in db.session.scalars(select(Slot))}
    assert dt.time(11, 30) in starts and dt.time(13, 30) in starts
    assert not {dt.time(12, 0), dt.time(13, 0), dt.time(17, 0)} & starts


@pytest.mark.parametrize(("lang", "words"), [("zh", "请输入 1 到 100000 之间的整数"),
                                             ("zh-Hant", "請輸入 1 到 100000 之間的整數"),
                                             ("en", "Enter a whole number from 1 to 100000.")])
def test_a_bad_value_is_shown_beside_its_field_and_changes_nothing(admin_client, lang, words):
    response = post(admin_client, "/staff/admin/offices/new", {**OFFICE_FORM, "hall_limit": "三十"}, lang)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="f-hall_limit-error" role="alert">' + re.escape(words), page)
    assert 'value="三十"' in page  # what was typed stays
    assert count(admin_client.app, Office) == 0


def test_bad_hours_name_the_weekday(admin_client):
    create_office(admin_client)
    response = post(admin_client, "/staff/jinjiang/admin/services/new",
                    {**SERVICE_FORM, "hours_tue": "09:00-12:00, 11:00-13:00"})
    assert response.status_code == 422
    assert re.search(r'id="f-hours_tue-error" role="alert">[^<]*不能重叠', response.get_data(as_text=True))
    assert count(admin_client.app, Service) == 0


def test_the_confirmation_needs_the_csrf_token(admin_client):
    preview = post(admin_client, "/staff/admin/offices/new", OFFICE_FORM)
    response = admin_client.post("/staff/admin/setup", data=confirm_form(preview.get_data(as_text=True)))
    assert response.status_code == 400
    assert count(admin_client.app, Office) == 0


@pytest.mark.parametrize("username", ["clerk-office-a", "super-office-a"])
def test_clerks_and_supervisors_are_refused(app, username):
    with app.app_context():
        make_office2("office-a")
    client = app.test_client()
    csrf = login(client, username)
    for url in ("/staff/admin/offices", "/staff/admin/offices/new", "/staff/office-a/admin/office",
                "/staff/office-a/admin/services/new", "/staff/office-a/admin/exceptions", "/staff/admin/holidays/2027"):
        assert client.get(url).status_code == 403, url
    response = client.post("/staff/office-a/admin/office", data={**OFFICE_FORM, "hall_limit": "1", "csrf_token": csrf})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Office.hall_limit)) == 30


def test_hours_taken_from_a_booking_need_the_explicit_box(admin_client):
    app = admin_client.app
    with app.app_context():
        day = make_office2("office-a")  # a slot tomorrow at 10:00, and weekly hours none
        booking = book(day.tomorrow, [1, 2])
        reference = booking.reference
    preview = post(admin_client, "/staff/office-a/admin/exceptions",
                   {"from": (day_of(app) + dt.timedelta(days=1)).isoformat(), "opens": "closed",
                    "reason_zh": "设备检修", "action": "preview"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and reference in page and "取消这 1 个预约" in page
    form = confirm_form(page)
    refused = post(admin_client, "/staff/admin/setup", form)
    assert refused.status_code == 409
    assert count(app, HoursException) == 0
    assert count(app, Booking, Booking.status == "cancelled") == 0
    done = post(admin_client, "/staff/admin/setup", {**form, "cancel_bookings": "yes"})
    assert done.status_code == 302
    assert count(app, Booking, Booking.reference == reference, Booking.status == "cancelled") == 1
    assert count(app, HoursException) == 1
    with app.app_context():
        kind, params = db.session.execute(select(SmsMessage.kind, SmsMessage.params)
                                          .order_by(SmsMessage.id.desc()).limit(1)).one()
    assert "cancel" in kind and "设备检修" in params


def day_of(app) -> dt.date:
    with app.app_context():
        return queue.today(db.session.scalar(select(Office)))


def test_an_exception_starts_from_that_weekdays_hours(admin_client):
    create_office(admin_client)
    post(admin_client, "/staff/admin/setup", confirm_form(add_service(admin_client).get_data(as_text=True)))
    monday = dt.date(2030, 6, 3)
    page = admin_client.get(f"/staff/jinjiang/admin/exceptions?date={monday}").get_data(as_text=True)
    assert 'value="09:00-12:00, 13:30-17:00"' in page
    refill = post(admin_client, "/staff/jinjiang/admin/exceptions",
                  {"from": "2030-06-08", "hours": "", "action": "regular"}).get_data(as_text=True)
    assert 'name="hours" value=""' in refill  # a Saturday has no regular hours


def test_the_holiday_calendar_of_an_unpublished_year_says_so_and_takes_corrections(admin_client):
    app = admin_client.app
    page = admin_client.get("/staff/admin/holidays/2031", query_string={"lang": "zh-Hant"}).get_data(as_text=True)
    assert "尚未公佈" in page
    preview = post(admin_client, "/staff/admin/holidays/2031", {"from": "2031-10-01", "to": "2031-10-07",
                                                               "closed": "closed"})
    assert preview.status_code == 200 and count(app, HolidayDate) == 0
    left_open = preview.get_data(as_text=True).split('id="left-open"')[1].split("</p>")[0]
    assert "各登记处当天照常办理" in left_open and "2031年1月1日" in left_open and "10月1日" not in left_open
    post(admin_client, "/staff/admin/setup", confirm_form(preview.get_data(as_text=True)))
    assert count(app, HolidayDate, HolidayDate.year == 2031, HolidayDate.closed.is_(True)) == 7
    page = admin_client.get("/staff/admin/holidays/2031", query_string={"lang": "en"}).get_data(as_text=True)
    assert "not yet published" not in page.split('id="holiday-days"')[0]
    wrong = post(admin_client, "/staff/admin/holidays/2031", {"from": "2032-01-01", "closed": "closed"}, "en")
    assert wrong.status_code == 422 and count(app, HolidayDate) == 7


def test_a_refusal_keeps_its_english_words_for_the_cli_and_has_a_code_for_the_pages():
    with pytest.raises(setup_file.SetupError) as refused:
        setup_file.read('[[offices]]\ncode = "x"\nname_zh = "甲"\nname_en = "A"\naddress_zh = "乙"\n'
                        'address_en = "B"\nhall_limit = 0\n')
    assert str(refused.value) == "offices[0].hall_limit: must be a whole number from 1 to 100000"
    assert (refused.value.code, refused.value.values) == ("int", {"low": 1, "high": 100000})
    assert setup_forms.field_of(refused.value) == "hall_limit"


def test_an_office_is_edited_through_a_preview(admin_client):
    app = admin_client.app
    create_office(admin_client)
    form = {**OFFICE_FORM, "code": "ignored", "hall_limit": "50", "name_zh_hant": "錦江區婚姻登記處"}
    preview = post(admin_client, "/staff/jinjiang/admin/office", form).get_data(as_text=True)
    assert re.search(r"<del>30</del> → <strong>50</strong>", preview)
    assert "錦江區婚姻登記處" in preview
    with app.app_context():
        assert db.session.scalar(select(Office.hall_limit).where(Office.code == "jinjiang")) == 30
    post(admin_client, "/staff/admin/setup", confirm_form(preview))
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == "jinjiang"))
        assert (office.hall_limit, office.name_zh_hant) == (50, "錦江區婚姻登記處")
    assert count(app, Office) == 1  # the code is not editable


def test_dated_hours_are_added_and_removed(admin_client):
    app = admin_client.app
    create_office(admin_client)
    post(admin_client, "/staff/admin/setup", confirm_form(add_service(admin_client).get_data(as_text=True)))
    saturday = day_of(app) + dt.timedelta(days=(5 - day_of(app).weekday()) % 7 or 7)
    added = post(admin_client, "/staff/jinjiang/admin/exceptions",
                 {"from": saturday.isoformat(), "hours": "09:00-11:00", "reason_zh": "周六加班", "action": "preview"})
    post(admin_client, "/staff/admin/setup", confirm_form(added.get_data(as_text=True)))
    assert count(app, HoursException) == 1 and count(app, Slot) > 0
    with app.app_context():
        saturday_slots = sum(1 for slot in db.session.scalars(select(Slot))
                             if slot.starts_at.astimezone(SHANGHAI).date() == saturday)
    assert saturday_slots == 4
    removal = post(admin_client, "/staff/jinjiang/admin/exceptions/0/remove", {}).get_data(as_text=True)
    assert "周六加班" in removal and "移除时段：4 个" in removal
    post(admin_client, "/staff/admin/setup", confirm_form(removal))
    assert count(app, HoursException) == 0
    assert post(admin_client, "/staff/jinjiang/admin/exceptions/0/remove", {}).status_code == 404


def test_a_holiday_correction_moves_the_slots_of_offices_keeping_chinas_calendar(admin_client):
    app = admin_client.app
    preview = post(admin_client, "/staff/admin/offices/new", {**OFFICE_FORM, "holidays": "CN"})
    post(admin_client, "/staff/admin/setup", confirm_form(preview.get_data(as_text=True)))
    every_day = {f"hours_{d}": "09:00-11:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    service = add_service(admin_client, **every_day)
    post(admin_client, "/staff/admin/setup", confirm_form(service.get_data(as_text=True)))
    day = next(d for d in (day_of(app) + dt.timedelta(days=n) for n in range(1, 7))
               if china_calendar.arrangement(d).holiday is None)
    preview = post(admin_client, f"/staff/admin/holidays/{day.year}", {"from": day.isoformat(), "closed": "closed"})
    page = preview.get_data(as_text=True)
    assert "移除时段：4 个" in page and count(app, HolidayDate) == 0
    post(admin_client, "/staff/admin/setup", confirm_form(page))
    assert count(app, HolidayDate) == 1
    with app.app_context():
        days = {slot.starts_at.astimezone(SHANGHAI).date() for slot in db.session.scalars(select(Slot))}
    assert day not in days and any(other > day for other in days)


def test_a_refusal_of_the_database_is_shown_beside_its_field(admin_client):
    response = post(admin_client, "/staff/admin/offices/new", {**OFFICE_FORM, "region": "nowhere"}, "en")
    assert response.status_code == 422
    assert 'id="f-region-error" role="alert">No such region: nowhere.' in response.get_data(as_text=True)
    assert count(admin_client.app, Office) == 0
