"""The day's queue: calling tickets, ending visits, no-shows, walk-ins and crowding."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking.errors import BookingError, NotActive
from booking.extensions import db
from booking.hall import door, queue, walkins
from booking.models import AuditEvent, Booking, DoorRefusal, HealthDeclaration, SmsMessage, utcnow
from booking.offices import admin as office_admin
from booking.sms.compose import preview
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
    booking = walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                            temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)],
                            staff=day.clerk)
    assert booking.source == "walk_in" and booking.slot_id == day.running.id
    assert booking.status == "checked_in" and booking.ticket.startswith("J")


def test_walk_in_into_a_full_slot_answers_no_room_and_books_nothing(ctx):
    day = make_office2("full")
    day.running.max_bookings = 1
    db.session.commit()
    book(day.running, [1, 2])
    with pytest.raises(walkins.NoRoom) as error:
        walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                      temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)],
                      staff=day.clerk)
    assert error.value.code == "no_room"
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_a_refused_walk_in_leaves_no_booking_and_no_text_and_its_refusal_is_recorded(day):
    with pytest.raises(door.DoorRefused) as refused:
        walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                        temperatures=[37.8, 36.7], declarations=[declaration(0), declaration(1)],
                        staff=day.clerk)
    assert refused.value.code == "fever"
    db.session.refresh(day.running)
    assert day.running.booked_bookings == 0 and day.running.booked_people == 0
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(SmsMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(HealthDeclaration)) == 0
    refusal = db.session.scalar(select(DoorRefusal))
    assert (refusal.booking_id, refusal.reason, refusal.staff_user_id) == (None, "fever", day.clerk.id)
    assert refusal.detail["walk_in"] == day.service.code and refusal.detail["party"] == 2
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "door_refused"))


def test_an_admitted_walk_in_gets_one_text_with_its_ticket_and_no_reply_request(day):
    booking = walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                              temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)],
                              staff=day.clerk, lang="en")
    texts = db.session.scalars(select(SmsMessage).where(SmsMessage.booking_id == booking.id)).all()
    assert [t.kind for t in texts] == ["walk_in"]
    assert booking.ticket in preview(texts[0]) and "eply" not in preview(texts[0])


def test_walk_in_declarations_are_taken_by_staff(day):
    booking = walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                              temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)],
                              staff=day.clerk)
    rows = db.session.scalars(select(HealthDeclaration).where(HealthDeclaration.booking_id == booking.id)).all()
    assert [(r.source, r.taken_by_id) for r in rows] == [("staff", day.clerk.id)] * 2


def test_a_walk_in_party_must_fit_the_service(day):
    with pytest.raises(BookingError) as error:  # marriage: two people, never one
        walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7)],
                        temperatures=[36.4], declarations=[declaration(0)], staff=day.clerk)
    assert error.value.code == "party_size"
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_a_walk_in_with_an_unanswered_question_books_nothing(day):
    with pytest.raises(BookingError):
        walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                        temperatures=[36.4, 36.7],
                        declarations=[declaration(0), declaration(1, health_code=None)], staff=day.clerk)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    db.session.refresh(day.running)
    assert day.running.booked_people == 0


def test_counters_come_from_the_office_list(day):
    office_admin.set_counters(day.office, "1号窗口\n3号窗口\n\n", day.supervisor)
    assert day.office.counter_names == ["1号窗口", "3号窗口"]
    checked_in(day, [1, 2])
    with pytest.raises(queue.UnknownCounter):
        queue.call_next(day.office, "3", day.clerk)
    called = queue.call_next(day.office, "3号窗口", day.clerk)
    assert called.counter == "3号窗口"
    assert queue.display_state(day.office)["calling"] == [{"ticket": called.ticket, "counter": "3号窗口"}]


def test_a_counter_list_refuses_repeats_and_long_names(day):
    for text in ("1号窗口\n1号窗口", "一二三四五六七八九十一"):
        with pytest.raises(office_admin.InvalidCounters):
            office_admin.set_counters(day.office, text, day.supervisor)


def test_a_no_show_can_be_undone_within_the_grace_period_and_is_audited(day):
    booking = book(day.running, [1, 2])
    later = utcnow() + dt.timedelta(minutes=queue.grace_minutes())
    queue.no_show(booking, day.clerk, now=later)
    assert queue.can_undo_no_show(booking, now=utcnow())
    queue.undo_no_show(booking, day.clerk, now=utcnow())
    assert booking.status == "booked"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.booking_id == booking.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["no_show", "no_show_undone"]


def test_a_no_show_cannot_be_undone_after_the_grace_period(day):
    booking = book(day.running, [1, 2])
    queue.no_show(booking, day.clerk, now=utcnow() + dt.timedelta(minutes=queue.grace_minutes()))
    too_late = utcnow() + dt.timedelta(minutes=queue.grace_minutes() + 1)
    with pytest.raises(queue.UndoTooLate):
        queue.undo_no_show(booking, day.clerk, now=too_late)
    assert booking.status == "no_show"


@pytest.mark.postgres
def test_walk_ins_are_one_transaction_on_both_databases(any_app):
    """Admitted: booking, declarations, ticket and text together; refused: nothing at all."""
    with any_app.app_context():
        day = make_office2("both")
        admitted = walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                                   temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)],
                                   staff=day.clerk)
        with pytest.raises(door.DoorRefused):  # the hall cannot take two more
            day.office.hall_limit = 3
            db.session.commit()
            walkins.walk_in(day.office, day.service, phone=new_phone(), visitors=[visitor(9), visitor(10)],
                            temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)],
                            staff=day.clerk)
        assert db.session.scalars(select(Booking.reference)).all() == [admitted.reference]
        assert db.session.scalar(select(func.count()).select_from(HealthDeclaration)) == 2
        assert db.session.scalars(select(SmsMessage.kind)).all() == ["walk_in"]
        refusal = db.session.scalar(select(DoorRefusal))
        assert (refusal.reason, refusal.booking_id) == ("hall_full", None)
        db.session.refresh(day.running)
        assert (day.running.booked_bookings, day.running.booked_people) == (1, 2)
