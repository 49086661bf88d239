"""The calendar of days and the slots of a day: has room, full, closed (and why), opens later
(and when); places left counted honestly, the people limit included."""

from __future__ import annotations

import datetime as dt

import pytest

from booking import scheduling
from booking.extensions import db
from booking.models import Closure, utcnow
from tests.factories import make_office, make_service, make_slot
from tests.web_helpers import text


def local_today(service):
    return utcnow().astimezone(service.office.tz).date()


def make_week():
    """A service open 7 days a week, bookable 7 days ahead, with days in every state."""
    service = make_service(make_office(), booking_opens_days=7, booking_opens_at=dt.time(8, 0))
    today = local_today(service)
    make_slot(service, days_ahead=2, at=dt.time(10, 0), booked_bookings=7)  # 3 places left
    make_slot(service, days_ahead=3, at=dt.time(10, 0), booked_bookings=10)  # full by bookings
    make_slot(service, days_ahead=3, at=dt.time(11, 0), booked_people=19)  # full by people (2 a party)
    db.session.add(Closure(office_id=service.office_id, first_day=today + dt.timedelta(days=4),
                           last_day=today + dt.timedelta(days=5), reason="场所消毒"))
    make_slot(service, days_ahead=10)  # opens later
    db.session.commit()
    return service, today


@pytest.fixture
def week(app):
    """The same, for page tests: made in a context of its own (each request has its own)."""
    with app.app_context():
        return make_week()[1]


def test_day_summaries_give_each_state(ctx):
    service, today = make_week()
    summary = {s.day: s for s in scheduling.day_summaries(service, today, today + dt.timedelta(days=10))}
    assert (summary[today + dt.timedelta(days=2)].state, summary[today + dt.timedelta(days=2)].free) == ("open", 3)
    assert summary[today + dt.timedelta(days=3)].state == "full"
    closed = summary[today + dt.timedelta(days=4)]
    assert closed.state == "closed" and closed.closure.reason == "场所消毒"
    assert summary[today + dt.timedelta(days=6)].state == "none"  # open, but no slots made
    later = summary[today + dt.timedelta(days=10)]
    assert later.state == "later"
    assert later.opens_at.astimezone(service.office.tz) == dt.datetime.combine(
        today + dt.timedelta(days=3), dt.time(8, 0), tzinfo=service.office.tz)


def test_a_day_without_opening_hours_is_closed(ctx):
    service = make_service(make_office(), opening=((range(0, 5), dt.time(9), dt.time(17)),))
    db.session.commit()
    today = local_today(service)
    summaries = scheduling.day_summaries(service, today, today + dt.timedelta(days=6))
    weekend = [s for s in summaries if s.day.weekday() >= 5]
    assert len(weekend) == 2 and all(s.state == "closed" and s.closure is None for s in weekend)


def test_nearest_free_skips_full_and_fitting_slots_and_orders_by_time(ctx):
    service = make_service(make_office(), kind="tomb_sweeping", code="tomb", slot_max_people=10)
    taken = make_slot(service, days_ahead=2, at=dt.time(10, 0), booked_bookings=10)
    make_slot(service, days_ahead=2, at=dt.time(9, 0))
    make_slot(service, days_ahead=2, at=dt.time(11, 0), booked_people=8)  # room for 2, not for 3
    make_slot(service, days_ahead=2, at=dt.time(12, 0))
    make_slot(service, days_ahead=4, at=dt.time(10, 0))
    db.session.commit()
    found = scheduling.nearest_free(service, taken.starts_at, count=2, people=3)
    assert [item.slot.starts_at.astimezone(service.office.tz).hour for item in found] == [9, 12]
    assert all(item.slot.id != taken.id for item in found)
    with_two = scheduling.nearest_free(service, taken.starts_at, count=1, people=2)
    assert with_two[0].slot.starts_at.astimezone(service.office.tz).hour in (9, 11)


def test_service_page_shows_the_rules_and_each_day_state(week, client):
    today = week
    page = text(client.get("/book/registry/marriage?lang=zh"))
    assert "预约须知" in page and "双方本人到场" in page and "入口处测量体温" in page
    assert "场所消毒" in page  # the closure and its reason
    assert "入内。请" in page and "入内。 请" not in page  # Chinese sentences side by side, no space
    assert "剩余 3 个名额" in page and "已约满" in page and "开放预约" in page
    day = (today + dt.timedelta(days=2)).isoformat()
    assert f'href="/book/registry/marriage/{day}' in page
    english = text(client.get("/book/registry/marriage?lang=en"))
    assert "Before you book" in english and "3 places left" in english
    # No English reason was written: the English page says "closed", not the Chinese reason.
    assert "closed" in english and "场所消毒" not in english


def test_slots_page_counts_the_people_limit_honestly(week, client):
    today = week
    page = text(client.get(f"/book/registry/marriage/{(today + dt.timedelta(days=3)).isoformat()}?lang=en"))
    # 10:00 is full by bookings, 11:00 has 1 seat for people but a party is two: both full.
    assert page.count("Full") >= 2 and "place left" not in page and "/book/slot/" not in page
    open_day = text(client.get(f"/book/registry/marriage/{(today + dt.timedelta(days=2)).isoformat()}?lang=zh"))
    assert "剩余 3 个名额" in open_day and "/book/slot/" in open_day


def test_suspended_service_shows_its_note_and_no_calendar(app, client):
    with app.app_context():
        make_service(make_office(), suspended=True, suspension_note_zh="疫情防控期间暂停办理",
                     suspension_note_en="Suspended during the epidemic")
        db.session.commit()
    page = text(client.get("/book/registry/marriage?lang=en"))
    assert "Booking is suspended." in page and "Suspended during the epidemic" in page
    assert "cal-grid" not in page


def test_unknown_office_service_or_day_is_a_friendly_404(app, client):
    with app.app_context():
        make_service(make_office())
        db.session.commit()
    for path in ("/book/nowhere/marriage", "/book/registry/nothing", "/book/registry/marriage/2026-13-40",
                 "/book/slot/999999"):
        response = client.get(path)
        assert response.status_code == 404 and "页面不存在" in text(response)
