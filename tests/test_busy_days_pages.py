"""The busy-days pages (docs/contract.md, "Busy days ahead"): an office's and a region's notable
days ahead, and a day's popular-day plan previewed, applied and undone on the pages; a bad value
beside its field in the reader's language with nothing changed; a clerk, another office's
supervisor and another region's bureau refused. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re

import altcha
import pytest
from sqlalchemy import func, select

from booking import bookings, challenge
from booking.extensions import db
from booking.hall import queue
from booking.models import AuditEvent, Booking, Office, OpeningHours, PopularDayPlan, Slot, utcnow
from booking.verification import start_verification
from tests.bureau_support import bureau_world
from tests.factories import last_code, visitor
from tests.test_access_staff import login


def next_may20(today: dt.date) -> dt.date:
    day = dt.date(today.year, 5, 20)
    return day if day > today else dt.date(today.year + 1, 5, 20)


@pytest.fixture
def world(any_app):
    """The bureau's two regions (tests/bureau_support.py); reg-a's marriage service opens on
    weekdays 09:00-12:00."""
    with any_app.app_context():
        w = bureau_world()
        w.a.service.hours = [OpeningHours(weekday=d, opens=dt.time(9), closes=dt.time(12)) for d in range(5)]
        db.session.commit()
        day = next_may20(queue.today(w.a.office))
        db.session.remove()  # the pages' requests write: no transaction of the test's stays open
    return w, day, any_app


def client_of(app, username):
    client = app.test_client()
    client.csrf = login(client, username)
    return client


def post(client, url, data, lang="zh"):
    return client.post(url, data={**data, "csrf_token": client.csrf}, query_string={"lang": lang})


PLAN = {"services": "marriage", "capacity_percent": "50", "assisted_reserve": "", "holdback_minutes": "30",
        "proof_of_work": "on", "extra_hours": "08:00-12:00", "reason_zh": "5·20 特别安排", "reason_en": ""}


def hidden_fields(page: str) -> dict:
    form = page[page.index('id="confirm-form"'):]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    found: dict = {}
    for name, value in fields:
        found.setdefault(name, []).append(html.unescape(value))
    return found


def in_force(app, office_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(PopularDayPlan.id)).where(
            PopularDayPlan.office_id == office_id, PopularDayPlan.undone_at.is_(None)))


def test_the_office_page_lists_the_notable_days_ahead(world):
    w, day, app = world
    page = client_of(app, "super-reg-a").get("/staff/reg-a/busy-days?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-date="{day.isoformat()}"' in text and 'data-notable="may20"' in text
    assert "Plan this day" in text and "Busy days ahead" in text
    cemetery = client_of(app, "super-cem-c").get("/staff/cem-c/busy-days").get_data(as_text=True)
    assert 'data-notable="qingming"' in cemetery and 'data-notable="may20"' not in cemetery


def test_a_plan_is_previewed_applied_and_undone_on_the_pages(world):
    w, day, app = world
    client = client_of(app, "super-reg-a")
    url = f"/staff/reg-a/busy-days/{day.isoformat()}"
    assert client.get(url).status_code == 200
    preview = post(client, url, PLAN)
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "改动内容" in text and 'id="work-change"' in text and in_force(app, w.a.office.id) == 0, "a dry run"

    applied = client.post(f"{url}/apply", data={**hidden_fields(text), "csrf_token": client.csrf})
    assert applied.status_code == 302 and in_force(app, w.a.office.id) == 1
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "popular_day_plan"))
    listing = client.get("/staff/reg-a/busy-days").get_data(as_text=True)
    assert 'data-plan="yes"' in listing

    undo_preview = post(client, f"{url}/undo", {})
    assert undo_preview.status_code == 200 and in_force(app, w.a.office.id) == 1
    undone = client.post(f"{url}/undo", data={**hidden_fields(undo_preview.get_data(as_text=True)),
                                              "csrf_token": client.csrf})
    assert undone.status_code == 302 and in_force(app, w.a.office.id) == 0
    again = post(client, f"{url}/undo", {"confirm": "yes"})
    assert again.status_code == 302, "nothing in force: said, not a 500"


@pytest.mark.parametrize(("lang", "words"), [("zh", "名额比例须为 1 到 100 之间的整数"),
                                             ("zh-Hant", "名額比例須為 1 到 100 之間的整數"),
                                             ("en", "The share of capacity must be a whole number")])
def test_a_bad_value_is_shown_beside_its_field_and_changes_nothing(world, lang, words):
    w, day, app = world
    client = client_of(app, "super-reg-a")
    with app.app_context():
        before = list(db.session.scalars(select(Slot.max_bookings).order_by(Slot.id)))
    refused = post(client, f"/staff/reg-a/busy-days/{day.isoformat()}/apply", {**PLAN, "capacity_percent": "150"},
                   lang=lang)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert words in text and 'id="f-capacity_percent-error"' in text
    assert in_force(app, w.a.office.id) == 0
    with app.app_context():
        assert list(db.session.scalars(select(Slot.max_bookings).order_by(Slot.id))) == before


def test_scope_a_clerk_another_office_and_another_region_are_refused_a_bureau_reads(world):
    w, day, app = world
    path = f"/staff/reg-a/busy-days/{day.isoformat()}"
    assert client_of(app, "clerk-reg-a").get("/staff/reg-a/busy-days").status_code == 403
    assert client_of(app, "super-reg-b").get("/staff/reg-a/busy-days").status_code == 404
    assert client_of(app, "bureau-suzhou").get("/staff/reg-a/busy-days").status_code == 404
    assert post(client_of(app, "bureau-suzhou"), f"{path}/apply", PLAN).status_code == 404
    assert in_force(app, w.a.office.id) == 0

    bureau = client_of(app, "bureau-shanghai")
    region = bureau.get("/staff/regions/shanghai/busy-days").get_data(as_text=True)
    assert {'data-office="reg-a"', 'data-office="reg-b"', 'data-office="cem-c"'} <= set(
        re.findall(r'data-office="[^"]+"', region)) and 'data-office="reg-d"' not in region
    assert client_of(app, "bureau-suzhou").get("/staff/regions/shanghai/busy-days").status_code == 404
    day_page = bureau.get(path).get_data(as_text=True)
    assert 'id="bureau-reads"' in day_page and 'id="plan-form"' not in day_page
    assert post(bureau, path, PLAN).status_code == 403
    assert post(bureau, f"{path}/apply", PLAN).status_code == 403
    assert in_force(app, w.a.office.id) == 0, "a bureau reads; the office's supervisors plan"


def test_a_day_that_is_no_date_is_not_found(world):
    w, day, app = world
    client = client_of(app, "super-reg-a")
    assert client.get("/staff/reg-a/busy-days/2027-02-30").status_code == 404
    assert client.get("/staff/reg-a/busy-days/tomorrow").status_code == 404
    assert 'id="day-passed"' in client.get("/staff/reg-a/busy-days/2020-05-20").get_data(as_text=True)
    past = post(client, "/staff/reg-a/busy-days/2020-05-20", PLAN)
    summary = past.get_data(as_text=True)
    assert past.status_code == 422 and in_force(app, w.a.office.id) == 0
    assert "只能为今天以后的日期制定高峰预案" in summary[summary.index('id="error-summary"'):], "said at the top"


def test_undoing_hours_that_hold_a_booking_needs_the_box_and_then_cancels_it(world):
    w, day, app = world
    client = client_of(app, "super-reg-a")
    app.config["CHALLENGE_COST"] = 200
    with app.app_context():
        tomorrow = queue.today(db.session.get(Office, w.a.office.id)) + dt.timedelta(days=1)
    url = f"/staff/reg-a/busy-days/{tomorrow.isoformat()}"
    plan = {**PLAN, "extra_hours": "08:00-12:00", "capacity_percent": "100"}
    preview = post(client, url, plan).get_data(as_text=True)
    assert client.post(f"{url}/apply", data={**hidden_fields(preview), "csrf_token": client.csrf}).status_code == 302
    listing = client.get("/staff/reg-a/busy-days").get_data(as_text=True)
    assert f'data-date="{tomorrow.isoformat()}"' in listing, "a plan on an ordinary day is listed too"
    with app.app_context():
        office = db.session.get(Office, w.a.office.id)
        early = db.session.scalar(select(Slot).where(Slot.office_id == office.id, Slot.status == "open",
                                                     Slot.starts_at > utcnow()).order_by(Slot.starts_at))
        assert early.starts_at.astimezone(office.tz) == dt.datetime.combine(tomorrow, dt.time(8), tzinfo=office.tz)
        reference, early_id = book_with_work(early).reference, early.id

    undo = hidden_fields(post(client, f"{url}/undo", {}).get_data(as_text=True))
    assert undo["reference"] == [reference]
    refused = client.post(f"{url}/undo", data={"confirm": "yes", "reference": reference, "csrf_token": client.csrf})
    assert refused.status_code == 409 and in_force(app, w.a.office.id) == 1
    done = client.post(f"{url}/undo", data={"confirm": "yes", "reference": reference, "cancel_bookings": "yes",
                                            "csrf_token": client.csrf})
    assert done.status_code == 302 and in_force(app, w.a.office.id) == 0
    with app.app_context():
        assert db.session.scalar(select(Booking.status).where(Booking.reference == reference)) == "cancelled"
        removed = db.session.scalar(select(Slot).where(Slot.id == early_id))
        assert removed.status == "removed", "its booking's history points at it"
    capacity = client.get(f"/staff/reg-a/capacity?date={tomorrow.isoformat()}").get_data(as_text=True)
    assert f"/slots/{early_id}/" not in capacity, "a removed slot is not offered for editing"


def book_with_work(slot):
    """A couple's online booking now, with the proof of work the plan asks for."""
    puzzle = altcha.v2.Challenge.from_dict(challenge.new_challenge())
    work = altcha.Payload(puzzle, altcha.solve_challenge(puzzle)).to_base64()
    phone = "+8613700000001"
    verification = start_verification(phone)
    return bookings.book(slot_id=slot.id, phone=phone, visitors=[visitor(901), visitor(902)], lang="zh",
                         verification=(verification, last_code(phone)), work=work).booking


def test_a_bureau_is_shown_no_counter_door_or_capacity_button_it_may_not_press(world):
    w, day, app = world
    buttons = re.compile(r'action="/staff/reg-a/(call-next|check-in|epidemic-level|counters|slots/\d+/capacity)"')
    for username, shown in (("super-reg-a", True), ("bureau-shanghai", False)):
        client = client_of(app, username)
        pages = "".join(client.get(f"/staff/reg-a/{page}").get_data(as_text=True) for page in ("queue", "capacity"))
        assert bool(buttons.search(pages)) == shown, username
        assert "测试婚姻登记处" in pages, "the bureau still reads both pages"


def test_too_many_previews_get_the_staff_page_in_chinese_and_a_bureau_is_told_why_it_is_refused(world):
    w, day, app = world
    client = client_of(app, "super-reg-a")
    url = f"/staff/reg-a/busy-days/{day.isoformat()}"
    answers = [post(client, url, {**PLAN, "capacity_percent": "0"}).status_code for _ in range(31)]
    assert answers[:30] == [422] * 30 and answers[30] == 429
    limited = post(client, url, PLAN).get_data(as_text=True)
    assert "操作过于频繁" in limited and "未做任何更改" in limited and 'data-status="429"' in limited
    refused = post(client_of(app, "bureau-shanghai"), url, PLAN)
    assert refused.status_code == 403 and "民政局可以查看所辖办事处的页面" in refused.get_data(as_text=True)
