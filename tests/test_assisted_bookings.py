"""Every channel (docs/contract.md): bookings a clerk takes for a caller on the telephone or at the
counter, walk-ins without a mobile, the assisted reserve and its release, the no-show bar and
its lifting. Real HTTP through the API (answers checked against the OpenAPI document), real
SQLite; the clock moves with `now=`."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from booking import accounts, bookings, scheduling
from booking.bookings import noshows
from booking.errors import BookingError
from booking.extensions import db
from booking.hall import queue
from booking.models import AuditEvent, BarLifted, Booking, Service, Slot, SmsMessage, StaffUser, utcnow
from booking.sms import reminders
from tests.api_schema import CheckedClient
from tests.factories import make_office, make_service, make_slot, visitor

MOBILE = "13912345678"
LANDLINE = "010-62345678"


@pytest.fixture
def world(app):
    """A funeral home's farewell service (1-5 people, 4 bookings a slot, one kept for assisted
    bookings until 24 h before), a slot in three days, a clerk and a supervisor, and another
    office's slot."""
    with app.app_context():
        office = make_office("farewell-home")
        service = make_service(office, code="farewell", kind="farewell", slot_max_bookings=4,
                               slot_max_people=20, assisted_reserve=1, assisted_release_hours=24)
        slot = make_slot(service, days_ahead=3)
        other = make_slot(make_service(make_office("elsewhere"), code="farewell", kind="farewell"), days_ahead=3)
        db.session.commit()
        clerk = accounts.create_staff("clerk-fh", "clerk password 1", "clerk", office.code)
        supervisor = accounts.create_staff("super-fh", "super password 1", "supervisor", office.code)
        return {"slot": slot.id, "other": other.id, "service": service.id, "clerk": accounts.issue_token(clerk),
                "clerk_id": clerk.id, "supervisor_id": supervisor.id}


@pytest.fixture
def api(client):
    return CheckedClient(client)


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def staff_book(api, world, people=(1,), phone: str | None = MOBILE, channel="phone", lang="zh", slot=None):
    body = {"slot_id": slot or world["slot"], "visitors": [visitor(n) for n in people], "channel": channel,
            "lang": lang}
    if phone is not None:
        body["phone"] = phone
    return api.post("/api/v1/staff/bookings", headers=auth(world["clerk"]), json=body)


def texts_of(reference: str) -> list[str]:
    return db.session.scalars(select(SmsMessage.kind).join(Booking, SmsMessage.booking_id == Booking.id)
                              .where(Booking.reference == reference)).all()


def test_a_telephone_booking_with_a_mobile_is_texted_and_names_the_clerk(app, api, world):
    answer = staff_book(api, world)
    assert answer.status_code == 201
    made = answer.get_json()
    assert made["token"] and made["manage_url"].startswith("http")
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.reference == made["reference"]))
        assert (booking.source, booking.phone) == ("phone", "+8613912345678")
        assert texts_of(booking.reference) == ["booked"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.booking_id == booking.id))
        assert (event.action, event.actor, event.staff_user_id) == ("booked", "staff", world["clerk_id"])


@pytest.mark.parametrize("phone", [LANDLINE, "", None])
def test_a_counter_booking_with_a_landline_or_no_phone_texts_nobody_and_is_never_released(app, api, client, world,
                                                                                          phone):
    answer = staff_book(api, world, people=(1, 2), phone=phone, channel="counter")
    assert answer.status_code == 201
    reference = answer.get_json()["reference"]
    manage = client.get(urlsplit(answer.get_json()["manage_url"]).path)
    assert manage.status_code == 200 and reference in manage.get_data(as_text=True)  # the link read out works
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference))
        assert (booking.source, booking.phone, booking.party_size) == ("counter", "", 2)
        booking.service.requires_confirmation = True
        db.session.commit()
        # The day before, the reminder and the release warning go out; then the release hour.
        eve = booking.slot.starts_at - dt.timedelta(hours=14)
        for moment in (eve, eve + dt.timedelta(hours=4), eve + dt.timedelta(hours=6)):
            reminders.run_due(moment)
        db.session.refresh(booking)
        assert booking.status == "booked" and texts_of(reference) == []
        # Cancelling texts nobody either, and the per-phone limit never counted "" as one phone.
        bookings.cancel(booking)
        assert db.session.scalar(select(func.count(SmsMessage.id))) == 0


def test_many_bookings_without_a_phone_are_not_one_phone_at_its_limit(app, api, world):
    app.config["MAX_ACTIVE_BOOKINGS_PER_PHONE"] = 1
    assert [staff_book(api, world, people=(n,), phone="").status_code for n in (1, 2, 3)] == [201, 201, 201]
    assert staff_book(api, world, people=(4,)).status_code == 201  # the mobile's first


def test_staff_bookings_refuse_what_is_not_a_phone_another_office_and_other_channels(api, world):
    bad = staff_book(api, world, phone="12345")
    assert bad.status_code == 422 and bad.get_json()["error"] == "invalid_phone"
    assert "landline" in staff_book(api, world, phone="12345", lang="en").get_json()["message"]
    assert staff_book(api, world, slot=world["other"]).status_code == 404
    assert staff_book(api, world, channel="online").status_code == 422
    unknown = staff_book(api, world, slot=10**9)
    assert unknown.status_code == 422 and unknown.get_json()["error"] == "unknown_slot"
    assert api.post("/api/v1/staff/bookings", json={"slot_id": world["slot"]}).status_code == 401


def test_a_walk_in_needs_no_mobile(app, api):
    from tests.test_staff_support import declaration, make_office2

    with app.app_context():
        d = make_office2("registry-w")
        token = accounts.issue_token(d.clerk)
        body = {"office": d.office.code, "service": d.service.code, "visitors": [visitor(40), visitor(41)],
                "temperatures_c": [36.5, 36.6], "declarations": [declaration(0), declaration(1)]}
    answer = api.post("/api/v1/staff/walk-ins", headers=auth(token), json=body)
    assert answer.status_code == 201 and answer.get_json()["ticket"] == "J001"
    with app.app_context():
        assert texts_of(answer.get_json()["reference"]) == []


# --- the assisted reserve ------------------------------------------------------------------------

def online(slot_id: int, n: int, now: dt.datetime):
    return bookings.book(slot_id=slot_id, phone=f"+86137{n:08d}", visitors=[visitor(n)], now=now,
                         verification=_code(f"+86137{n:08d}", now))


def _code(phone: str, now: dt.datetime) -> tuple[str, str]:
    from booking.verification import start_verification
    from tests.factories import last_code

    return start_verification(phone, now=now), last_code(phone)


def test_the_reserve_is_kept_from_online_booking_until_its_release(app, world):
    with app.app_context():
        slot = db.session.get(Slot, world["slot"])
        service, day = slot.service, scheduling.local_day(slot.service.office, slot.starts_at)
        early = slot.starts_at - dt.timedelta(days=2)

        def seen(now, assisted=False):
            [item] = scheduling.availability(service, day, day, now=now, assisted=assisted)
            return item.remaining_bookings, item.held

        assert seen(early) == (3, (1, 1)) and seen(early, assisted=True) == (4, (1, 1))
        for n in (1, 2, 3):
            online(slot.id, n, early)
        assert seen(early) == (0, (1, 1))
        with pytest.raises(BookingError) as full:
            online(slot.id, 4, early)
        assert full.value.code == "slot_full"
        # 24 hours before the slot the reserve is released: online sees it and may take it.
        released = slot.starts_at - dt.timedelta(hours=24)
        assert seen(released - dt.timedelta(seconds=1)) == (0, (1, 1))
        assert seen(released) == (1, (0, 0))
        online(slot.id, 4, released)
        db.session.refresh(slot)
        assert slot.booked_bookings == 4


def test_an_assisted_booking_takes_the_reserve_online_cannot(app, world):
    with app.app_context():
        slot = db.session.get(Slot, world["slot"])
        clerk = db.session.get(StaffUser, world["clerk_id"])
        early = slot.starts_at - dt.timedelta(days=2)
        for n in (1, 2, 3):
            online(slot.id, n, early)
        booked = bookings.book(channel="phone", source="phone", slot_id=slot.id, phone="", visitors=[visitor(9)],
                               staff_user_id=clerk.id, now=early)
        assert booked.made.source == "phone"
        with pytest.raises(BookingError) as full:
            bookings.book(channel="counter", source="counter", slot_id=slot.id, phone="", visitors=[visitor(10)],
                          staff_user_id=clerk.id, now=early)
        assert full.value.code == "slot_full"


# --- the no-show bar -------------------------------------------------------------------------------

def missed(slot_id: int, n: int, staff_id: int) -> Booking:
    """A booking of visitor `n` made the day before its slot, marked a no-show an hour after."""
    slot = db.session.get(Slot, slot_id)
    booking = online(slot_id, n, slot.starts_at - dt.timedelta(days=1)).booking
    return queue.no_show(booking, db.session.get(StaffUser, staff_id),
                         now=slot.starts_at + dt.timedelta(hours=1))


def test_two_no_shows_within_the_window_bar_a_person_until_a_day_in_the_office_zone(app, api, world):
    with app.app_context():
        service = db.session.get(Service, world["service"])
        service.no_show_limit, service.no_show_window_days, service.no_show_bar_days = 2, 30, 15
        first, second = make_slot(service, days_ahead=-20), make_slot(service, days_ahead=-2, at=dt.time(9, 0))
        db.session.commit()
        missed(first.id, 7, world["clerk_id"])
        hashes = [bookings.pipeline.typed_party([visitor(7)]).hashes[0]]
        assert noshows.bars(service, hashes, utcnow()) == {}  # one no-show: no bar yet
        missed(second.id, 7, world["clerk_id"])
        last_day = scheduling.local_day(service.office, second.starts_at)
        [bar] = noshows.bars(service, hashes, utcnow()).values()
        assert (bar.until, bar.no_shows) == (last_day + dt.timedelta(days=15), 2)
        # The bar ends with its last local day (Beijing time): 23:59 that day barred, 00:00 after free.
        end = scheduling.local_datetime(service.office, bar.until + dt.timedelta(days=1), dt.time(0))
        assert noshows.bars(service, hashes, end - dt.timedelta(minutes=1))
        assert noshows.bars(service, hashes, end) == {}
        until = bar.until
    refused = staff_book(api, world, people=(3, 7))
    assert refused.status_code == 409 and refused.get_json()["error"] == "barred"
    assert refused.get_json()["message"] == (
        f"第 2 位办事人近期多次预约未到，{until.year}年{until.month}月{until.day}日（含）之前不能预约此事项。")
    english = staff_book(api, world, people=(7,), lang="en").get_json()["message"]
    assert english.startswith("Visitor 1 missed") and f"{until.day}, {until.year} (inclusive)" in english
    with app.app_context():
        with pytest.raises(BookingError) as online_refused:
            online(world["slot"], 7, utcnow())
        assert online_refused.value.code == "barred"


def test_a_supervisor_lifts_a_bar_for_one_person_with_a_reason(app, api, world):
    with app.app_context():
        service = db.session.get(Service, world["service"])
        service.no_show_limit = 1
        past = make_slot(service, days_ahead=-2)
        db.session.commit()
        missed(past.id, 7, world["clerk_id"])
        missed(past.id, 8, world["clerk_id"])
        supervisor = db.session.get(StaffUser, world["supervisor_id"])
        digest = bookings.pipeline.typed_party([visitor(7)]).hashes[0]
        with pytest.raises(BookingError):
            noshows.lift_bar(service, digest, "  ", supervisor)
        noshows.lift_bar(service, digest, "家属住院，已电话核实", supervisor)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bar_lifted"))
        assert event.staff_user_id == supervisor.id and json.loads(event.detail)["reason"] == "家属住院，已电话核实"
        assert db.session.scalar(select(func.count(BarLifted.id))) == 1
    assert staff_book(api, world, people=(7,)).status_code == 201  # lifted for them
    assert staff_book(api, world, people=(8,)).get_json()["error"] == "barred"  # not for the other


def test_online_availability_leaves_the_reserve_out(app, api, world):
    with app.app_context():
        slot = db.session.get(Slot, world["slot"])
        day = scheduling.local_day(slot.service.office, slot.starts_at).isoformat()
    answer = api.get(f"/api/v1/availability?office=farewell-home&service=farewell&from={day}&to={day}")
    [seen] = [s for s in answer.get_json()["slots"] if s["id"] == world["slot"]]
    assert (seen["remaining_bookings"], seen["remaining_people"]) == (3, 19)  # 4 and 20, less one farewell party
