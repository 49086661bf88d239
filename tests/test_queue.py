"""The day's queue: calling tickets, ending visits, no-shows, walk-ins and crowding."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking.errors import NotActive
from booking.extensions import db
from booking.hall import door, queue
from booking.models import Booking, SmsMessage, utcnow
from tests.factories import visitor
from tests.test_staff_support import book, clear, declaration, make_office2, new_phone


@pytest.fixture
def day(ctx):
    return make_office2("registry-a")


def checked_in(day, people):
    booking = book(day.running, people)
    clear(booking)
    return door.check_in(booking, [36.5] * len(people), day.clerk)


def test_call_next_takes_the_longest_waiting_ticket_to_the_counter(day):
    first, second = checked_in(day, [1, 2]), checked_in(day, [3, 4])
    called = queue.call_next(day.office, "2", day.clerk)
    assert (called.id, called.status, called.counter) == (first.id, "called", "2")
    assert queue.call_next(day.office, 3, day.clerk).id == second.id
    state = queue.display_state(day.office)
    assert state["calling"] == [{"ticket": second.ticket, "counter": "3"},
                                {"ticket": first.ticket, "counter": "2"}]
    assert state["waiting"] == [] and state["occupancy"] == 4 and state["limit"] == 30


def test_call_next_with_nobody_waiting_answers_none_waiting(day):
    with pytest.raises(queue.NothingWaiting):
        queue.call_next(day.office, "1", day.clerk)


def test_a_counter_must_be_named(day):
    checked_in(day, [1, 2])
    with pytest.raises(queue.InvalidCounter):
        queue.call_next(day.office, "  ", day.clerk)
    assert len(queue.waiting(day.office)) == 1


def test_complete_ends_the_stay_and_frees_the_hall(day):
    booking = checked_in(day, [1, 2])
    queue.call_next(day.office, "1", day.clerk)
    assert door.occupancy(day.office) == 2
    done = queue.complete(booking, day.clerk, now=utcnow() + dt.timedelta(minutes=12))
    assert done.status == "completed" and door.occupancy(day.office) == 0
    with pytest.raises(NotActive):
        queue.complete(booking, day.clerk)


def test_no_show_waits_for_the_grace_period_and_keeps_the_place(day):
    booking = book(day.running, [1, 2])
    early = day.running.starts_at + dt.timedelta(minutes=5)
    with pytest.raises(queue.TooEarlyForNoShow):
        queue.no_show(booking, day.clerk, now=early)
    queue.no_show(booking, day.clerk, now=day.running.starts_at + dt.timedelta(minutes=16))
    db.session.refresh(day.running)
    assert booking.status == "no_show" and day.running.booked_people == 2


def test_over_long_stays_are_flagged(day):
    booking = checked_in(day, [1, 2])
    later = booking.checked_in_at + dt.timedelta(minutes=31)
    (stay,) = queue.stays(day.office, now=later)
    assert stay.too_long and stay.minutes == 31


def test_crowding_warns_before_the_hall_is_full(ctx):
    day = make_office2("small", hall_limit=5)
    checked_in(day, [1, 2])
    assert queue.crowding(day.office)["level"] == "ok"
    checked_in(day, [3, 4])
    assert queue.crowding(day.office)["level"] == "warning"
    booking = book(day.running, [5, 6])
    clear(booking)
    with pytest.raises(door.DoorRefused) as refused:
        door.check_in(booking, [36.5, 36.6], day.clerk)
    assert refused.value.code == "hall_full"


def test_search_by_reference_phone_ending_and_name(day):
    phone = new_phone()
    booking = book(day.running, [1, 2], phone=phone)
    book(day.running, [3, 4])
    today = queue.today(day.office)
    assert [b.id for b in queue.day_bookings(day.office, today, booking.reference.lower())] == [booking.id]
    assert [b.id for b in queue.day_bookings(day.office, today, phone[-4:])] == [booking.id]
    assert [b.id for b in queue.day_bookings(day.office, today, visitor(1)["name"])] == [booking.id]
    assert len(queue.day_bookings(day.office, today)) == 2


def test_walk_in_takes_a_place_in_the_running_slot_and_gets_a_ticket(day):
    booking = queue.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                            temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)],
                            staff=day.clerk)
    assert booking.source == "walk_in" and booking.slot_id == day.running.id
    assert booking.status == "checked_in" and booking.ticket.startswith("J")


def test_walk_in_into_a_full_slot_answers_no_room_and_books_nothing(ctx):
    day = make_office2("full")
    day.running.max_bookings = 1
    db.session.commit()
    book(day.running, [1, 2])
    with pytest.raises(queue.NoRoom) as error:
        queue.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                      temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)],
                      staff=day.clerk)
    assert error.value.code == "no_room"
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_walk_in_with_fever_is_refused_and_gives_the_place_back(day):
    with pytest.raises(door.DoorRefused) as refused:
        queue.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                      temperatures=[37.8, 36.7], declarations=[declaration(0), declaration(1)],
                      staff=day.clerk)
    assert refused.value.code == "fever"
    db.session.refresh(day.running)
    assert day.running.booked_bookings == 0
    walk_in = db.session.scalar(select(Booking))
    assert walk_in.status == "cancelled"
    kinds = db.session.scalars(select(SmsMessage.kind).where(SmsMessage.booking_id == walk_in.id)).all()
    assert "cancelled_by_office" not in kinds
