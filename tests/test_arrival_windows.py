"""Arrival windows (docs/contract.md, third-wave additions, "Crowd safety"), under a moving clock: a slot's
parties are spread evenly over its windows (one after another, after a cancellation, and when
they book at the same moment, on SQLite and PostgreSQL); the booking JSON, the texts, the
manage page, the calendar file and the staff queue say when to come; the door admits from 10
minutes before the window and says when otherwise; a reschedule gets a window in the new slot."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import vobject
from sqlalchemy import select

from booking import accounts, bookings, calendar, health
from booking.extensions import db
from booking.hall import arrivals, door, queue
from booking.models import Booking, SmsMessage, StaffUser
from booking.notify import texts
from booking.notify.texts import segments
from booking.sms.compose import preview
from booking.verification import start_verification

from .api_schema import CheckedClient
from .factories import last_code, make_office, make_service, make_slot, verified, visitor
from .health_factories import answers
from .test_access_staff import login
from .test_races import assert_ledger, at_once, server  # noqa: F401  (a fixture)
from .test_sms_texts import all_kinds, values
from .test_staff_support import PASSWORD

M = dt.timedelta(minutes=1)
PHONES = iter(range(1000, 100_000))


def windowed_slots(windows: int = 4, count: int = 1, max_bookings: int = 8, **service_fields):
    """An office whose marriage service splits each 30-minute slot into `windows`; `count`
    slots on the day after tomorrow from 10:00, committed."""
    service = make_service(make_office(), arrival_windows=windows, slot_max_bookings=max_bookings,
                           slot_max_people=2 * max_bookings, **service_fields)
    slots = [make_slot(service, at=dt.time(10 + i)) for i in range(count)]
    db.session.commit()
    return slots


def book(slot, lang: str = "zh") -> Booking:
    """A couple's booking of the slot through bookings.book, made the day before."""
    n = next(PHONES)
    phone, then = f"+86137{n:08d}", slot.starts_at - dt.timedelta(days=1)
    verification = (start_verification(phone, now=then), last_code(phone))
    done = bookings.book(slot_id=slot.id, phone=phone, visitors=[visitor(2 * n), visitor(2 * n + 1)],
                         lang=lang, verification=verification, now=then)
    return done.booking


def clock(moment: dt.datetime, office) -> str:
    return moment.astimezone(office.tz).strftime("%H:%M")


def window_clocks(booking: Booking) -> str:
    return f"{clock(booking.arrive_from, booking.office)}–{clock(booking.arrive_until, booking.office)}"


# --- spreading --------------------------------------------------------------------------------

def test_windows_split_a_slot_evenly_on_whole_minutes(ctx):
    (slot,) = windowed_slots()
    edges = [(clock(a, slot.office), clock(b, slot.office)) for a, b in arrivals.windows(slot, 4)]
    assert edges == [("10:00", "10:07"), ("10:07", "10:15"), ("10:15", "10:22"), ("10:22", "10:30")]
    assert arrivals.windows(slot, 1) == [(slot.starts_at, slot.ends_at)]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_slots_parties_are_spread_evenly_earliest_first_and_refill_a_cancelled_window(request, backend):
    app = request.getfixturevalue("sqlite_app" if backend == "sqlite" else "pg_app")
    with app.app_context():
        (slot,) = windowed_slots()
        made = [book(slot) for _ in range(6)]
        assert [window_clocks(b) for b in made] == ["10:00–10:07", "10:07–10:15", "10:15–10:22",
                                                    "10:22–10:30", "10:00–10:07", "10:07–10:15"]
        bookings.cancel(made[2])  # 10:15–10:22 now has nobody: the next party goes there
        assert window_clocks(book(slot)) == "10:15–10:22"
        assert window_clocks(book(slot)) == "10:15–10:22"
        assert window_clocks(book(slot)) == "10:22–10:30"
        active = db.session.scalars(select(Booking).where(Booking.status != "cancelled")).all()
        assert sorted(Counter(b.arrive_from for b in active).values()) == [2, 2, 2, 2]
        db.session.remove()


@pytest.mark.slow
def test_parties_booking_the_same_slot_at_the_same_moment_are_spread_evenly(any_app, server):  # noqa: F811
    with any_app.app_context():
        (slot,) = windowed_slots()
        slot_id = slot.id
        calls = []
        for n in range(8):
            phone = f"+86136{n:08d}"
            verification_id, code = verified(phone)
            calls.append((server + "/api/v1/bookings", {
                "slot_id": slot_id, "phone": phone, "verification_id": verification_id, "code": code,
                "visitors": [visitor(2 * n + 500), visitor(2 * n + 501)], "lang": "zh"}, {}))
        db.session.remove()
    outcomes = at_once(calls)
    assert [status for status, _ in outcomes] == [201] * 8, outcomes
    assert_ledger(any_app)
    assert sorted(Counter(answer["arrive_from"] for _, answer in outcomes).values()) == [2, 2, 2, 2]


def test_a_service_with_one_window_gives_the_whole_slot(ctx):
    (slot,) = windowed_slots(windows=1)
    booking = book(slot)
    assert (booking.arrive_from, booking.arrive_until) == (None, None)
    assert arrivals.window_of(booking) == (slot.starts_at, slot.ends_at)


# --- what the citizen is told -----------------------------------------------------------------

def test_the_booking_json_on_create_and_get_carries_the_window_with_the_offices_offset(ctx, client):
    (slot,) = windowed_slots()
    api = CheckedClient(client)
    book(slot)  # the first window is taken: the next booking is given 10:07–10:15
    phone = "+8613512345678"
    verification_id, code = verified(phone)
    created = api.post("/api/v1/bookings", json={
        "slot_id": slot.id, "phone": phone, "verification_id": verification_id, "code": code,
        "visitors": [visitor(901), visitor(902)], "lang": "en"})
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    day = slot.starts_at.astimezone(slot.office.tz).date().isoformat()
    assert (answer["arrive_from"], answer["arrive_until"]) == (f"{day}T10:07:00+08:00", f"{day}T10:15:00+08:00")
    again = api.get(f"/api/v1/bookings/{answer['reference']}", headers={"X-Booking-Token": answer["token"]})
    assert (again.get_json()["arrive_from"], again.get_json()["arrive_until"]) == (
        answer["arrive_from"], answer["arrive_until"])


def test_a_whole_slot_booking_shows_its_slot_as_when_to_come(ctx, client):
    (slot,) = windowed_slots(windows=1)
    booking = book(slot)
    answer = CheckedClient(client).get(f"/api/v1/bookings/{booking.reference}",
                                       headers={"X-Booking-Token": bookings.manage_token(booking)}).get_json()
    assert (answer["arrive_from"], answer["arrive_until"]) == (answer["slot"]["start"], answer["slot"]["end"])


@pytest.mark.parametrize("lang, expected", [("zh", "10:07–10:15"), ("en", "10:07-10:15"), ("zh-Hant", "10:07–10:15")])
def test_the_booked_text_names_the_window_within_two_segments(ctx, lang, expected):
    (slot,) = windowed_slots()
    book(slot)
    booking = book(slot, lang=lang)
    text = preview(db.session.scalars(select(SmsMessage).where(
        SmsMessage.booking_id == booking.id, SmsMessage.kind == "booked")).one())
    assert expected in text and segments(text) <= 2


def test_the_manage_page_and_the_calendar_file_say_when_to_come(ctx, client):
    (slot,) = windowed_slots()
    book(slot)
    booking = book(slot)
    token = bookings.manage_token(booking)
    page = client.get(f"/m/{booking.reference}/{token}").get_data(as_text=True)
    assert "到场时段" in page and "10:07" in page and "10:15" in page and "入口提前 10 分钟开放" in page
    event = vobject.readOne(calendar.booking_calendar(booking, token).decode(), validate=True).vevent
    assert event.dtstart.value.strftime("%H:%M") == "10:07" and event.dtend.value.strftime("%H:%M") == "10:30"
    assert "到场时段：10:07–10:15" in event.description.value


def test_the_staff_queue_shows_each_partys_window(ctx, client):
    (slot,) = windowed_slots()
    book(slot)
    book(slot)
    accounts.create_staff("clerk-w", PASSWORD, "clerk", slot.office.code)
    login(client, "clerk-w")
    day = slot.starts_at.astimezone(slot.office.tz).date().isoformat()
    page = client.get(f"/staff/{slot.office.code}/queue?date={day}").get_data(as_text=True)
    assert "到场 10:00–10:07" in page and "到场 10:07–10:15" in page


# --- the door ---------------------------------------------------------------------------------

def cleared(slot):
    booking = book(slot)
    health.declare(booking, [answers(i) for i in range(2)], now=slot.starts_at - dt.timedelta(hours=2))
    return booking


def test_the_door_admits_from_ten_minutes_before_the_window_and_says_when_before(ctx):
    (slot,) = windowed_slots()
    first, second, third = cleared(slot), cleared(slot), cleared(slot)
    assert window_clocks(third) == "10:15–10:22"
    with pytest.raises(door.DoorRefused) as refused:
        door.check_in(third, [36.5, 36.5], None, now=third.arrive_from - 10 * M - dt.timedelta(seconds=1))
    assert refused.value.code == "too_early" and refused.value.status == 409
    assert refused.value.message("zh") == "您的到场时段是 10:15–10:22，签到从 10:05 开始，请稍候。"
    assert refused.value.message("en") == "Your arrival window is 10:15–10:22; check-in opens at 10:05. Please wait."
    door.check_in(third, [36.5, 36.5], None, now=third.arrive_from - 10 * M)
    assert third.status == "checked_in"
    # The first window's party: from 09:50, not from the office's 30 minutes before the slot.
    with pytest.raises(door.DoorRefused):
        door.check_in(first, [36.5, 36.5], None, now=slot.starts_at - 11 * M)
    door.check_in(first, [36.5, 36.5], None, now=slot.starts_at - 10 * M)
    # Late: the existing rule, the door stays open for it until the office closes.
    door.check_in(second, [36.5, 36.5], None, now=slot.ends_at + 45 * M)
    assert (first.status, second.status) == ("checked_in", "checked_in")


def test_a_whole_slot_booking_keeps_the_offices_check_in_opening(ctx):
    (slot,) = windowed_slots(windows=1)
    booking = cleared(slot)
    opens = slot.starts_at - dt.timedelta(minutes=slot.office.checkin_opens_minutes)
    with pytest.raises(door.DoorRefused) as refused:
        door.check_in(booking, [36.5, 36.5], None, now=opens - M)
    assert "minutes before the slot" in refused.value.message("en")
    door.check_in(booking, [36.5, 36.5], None, now=opens)


def test_a_party_is_a_no_show_only_once_its_window_is_past_the_grace_period(ctx):
    (slot,) = windowed_slots()
    clerk = StaffUser(username="clerk-n", password_hash="-", role="clerk", office_id=slot.office_id)
    db.session.add(clerk)
    db.session.commit()
    last = [book(slot) for _ in range(4)][-1]
    assert window_clocks(last) == "10:22–10:30"
    grace = dt.timedelta(minutes=queue.grace_minutes())
    with pytest.raises(queue.TooEarlyForNoShow):  # the slot's start plus the grace: not yet due
        queue.no_show(last, clerk, now=slot.starts_at + grace)
    queue.no_show(last, clerk, now=last.arrive_from + grace)
    assert last.status == "no_show"


# --- reschedules --------------------------------------------------------------------------------

def test_a_reschedule_gets_a_window_in_the_new_slot_and_its_text_says_it(ctx):
    first, second = windowed_slots(count=2)
    book(second)  # 11:00–11:07 taken in the new slot
    booking = book(first)
    assert window_clocks(booking) == "10:00–10:07"
    bookings.reschedule(booking, second.id, now=first.starts_at - dt.timedelta(days=1))
    assert booking.slot_id == second.id and window_clocks(booking) == "11:07–11:15"
    text = preview(db.session.scalars(select(SmsMessage).where(
        SmsMessage.booking_id == booking.id, SmsMessage.kind == "rescheduled")).one())
    assert "11:07–11:15" in text


@pytest.mark.parametrize("kind,lang", all_kinds())
def test_every_text_fits_two_segments_with_a_window_and_long_values(kind, lang):
    window = "Wed 24 Dec 09:30-09:37" if lang == "en" else "12月24日 09:30–09:37"
    text = texts.render(kind, lang, **{**values(kind, lang), "when": window})
    assert texts.segments(text) <= 2, (len(text), text)
    if "{when}" in texts.variants(texts.TEXTS[kind], lang)[0] and kind != "walk_in":
        assert window in text or "09:30" in text
