"""The door: every refusal code, a check-in with its queue ticket, and the hall limit and ticket
numbering under concurrent check-ins (SQLite and PostgreSQL)."""

import datetime as dt
import threading

import pytest

from booking import bookings, health
from booking.errors import BookingError
from booking.extensions import db
from booking.hall import door
from booking.health.judge import read_temperature
from booking.models import AuditEvent, Booking, DoorRefusal, Slot

from .factories import make_service
from .health_factories import answers, book, marriage_slot, staff

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def cleared_booking(slot: Slot, n: int = 0) -> Booking:
    booking, _ = book(slot, n=n)
    health.declare(booking, [answers(i) for i in range(booking.party_size)], now=slot.starts_at - 2 * H)
    return booking


def refusal(booking, temperatures, now, staff_user=None) -> door.DoorRefused:
    with pytest.raises(door.DoorRefused) as refused:
        door.check_in(booking, temperatures, staff_user, now=now)
    return refused.value


def test_a_cleared_booking_is_checked_in_with_a_ticket(ctx):
    slot = marriage_slot()
    clerk = staff(slot.office_id)
    booking = cleared_booking(slot)
    now = slot.starts_at - 10 * M
    door.check_in(booking, [36.4, 36.9], clerk, now=now)
    assert (booking.status, booking.ticket, booking.checked_in_at) == ("checked_in", "J001", now)
    event = db.session.query(AuditEvent).filter_by(action="checked_in").one()
    assert (event.staff_user_id, event.booking_id) == (clerk.id, booking.id)
    assert door.occupancy(slot.office, now) == 2


def test_tickets_count_per_prefix_per_office_per_local_day(ctx):
    slot = marriage_slot()
    now = slot.starts_at - 10 * M
    first, second = cleared_booking(slot, 1), cleared_booking(slot, 2)
    divorce = make_service(slot.office, code="divorce", kind="divorce", name_zh="离婚登记")
    divorce_slot = Slot(service=divorce, office_id=slot.office_id, starts_at=slot.starts_at,
                        ends_at=slot.ends_at, max_bookings=5, max_people=10)
    next_day = Slot(service=slot.service, office_id=slot.office_id, starts_at=slot.starts_at + 24 * H,
                    ends_at=slot.ends_at + 24 * H, max_bookings=5, max_people=10)
    db.session.add_all([divorce_slot, next_day])
    db.session.commit()
    third = cleared_booking(divorce_slot, 3)
    tomorrow, _ = book(next_day, n=4)
    health.declare(tomorrow, [answers(0), answers(1)], now=next_day.starts_at - H)
    for booking in (first, second, third):
        door.check_in(booking, [36.5, 36.5], None, now=now)
    door.check_in(tomorrow, [36.5, 36.5], None, now=next_day.starts_at - 10 * M)
    assert [b.ticket for b in (first, second, third, tomorrow)] == ["J001", "J002", "L001", "J001"]
    assert door.next_ticket(slot.office, slot.service, now.astimezone(slot.office.tz).date()) == "J003"


# --- every refusal, recorded before it is raised ----------------------------------------------

def test_a_refusal_is_recorded_committed_and_raised_as_a_booking_error(ctx):
    slot = marriage_slot()
    clerk = staff(slot.office_id)
    booking, _ = book(slot)
    now = slot.starts_at - 5 * M
    refused = refusal(booking, [36.5, 36.5], now, clerk)
    assert isinstance(refused, BookingError) and refused.status == 409 and refused.code == "not_cleared"
    assert "张" in refused.message("zh") or refused.message("zh").startswith("尚有办事人未通过健康申报")
    # Not having declared is not having failed: the message says which.
    assert "(not declared)" in refused.message("en") and "（未申报）" in refused.message("zh")
    assert "failed" not in refused.message("en") and "未通过）" not in refused.message("zh")
    db.session.rollback()  # whatever the caller does next, the refusal is already committed
    row = db.session.query(DoorRefusal).one()
    assert (row.reason, row.booking_id, row.office_id, row.staff_user_id, row.at) == (
        "not_cleared", booking.id, slot.office_id, clerk.id, now)
    assert db.session.query(AuditEvent).filter_by(action="door_refused").one().staff_user_id == clerk.id
    assert db.session.get(Booking, booking.id).status == "booked"


def test_one_failed_visitor_keeps_the_booking_out(ctx):
    slot = marriage_slot()
    booking, _ = book(slot)
    health.declare(booking, [answers(0), answers(1, risk_area_travel=True)], now=slot.starts_at - H)
    refused = refusal(booking, [36.5, 36.5], slot.starts_at)
    assert refused.code == "not_cleared" and booking.visitors[1].name in refused.message("en")
    assert f"{booking.visitors[1].name} (declaration failed)" in refused.message("en")
    assert f"{booking.visitors[1].name}（申报未通过）" in refused.message("zh")


def test_a_measured_fever_refuses_entry_and_records_why(ctx):
    slot = marriage_slot()
    booking = cleared_booking(slot)
    refused = refusal(booking, [36.5, 37.8], slot.starts_at)
    assert refused.code == "fever"
    assert refused.message("en") == "37.8 °C is at or above 37.3 °C: entry refused."
    assert refused.message("zh") == "体温 37.8 °C 达到或超过 37.3 °C，不能入场。"
    row = db.session.query(DoorRefusal).one()
    assert row.reason == "fever" and row.detail["temperature"] == "37.8" and row.detail["visitor"] == 1


def test_the_fever_threshold_is_exactly_the_limit(ctx):
    slot = marriage_slot()
    booking = cleared_booking(slot)
    assert refusal(booking, [37.3, 36.0], slot.starts_at).code == "fever"
    door.check_in(booking, [37.2, 36.0], None, now=slot.starts_at)
    assert booking.status == "checked_in"


def test_the_fever_threshold_follows_the_service_rules(ctx):
    slot = marriage_slot()
    booking = cleared_booking(slot)
    health.update_rules(slot.service, {"temperature_limit_c": 37.0}, None)
    assert refusal(booking, [37.1, 36.0], slot.starts_at).code == "fever"


def test_only_active_bookings_enter(ctx):
    slot = marriage_slot()
    booking = cleared_booking(slot)
    door.check_in(booking, [36.5, 36.5], None, now=slot.starts_at)
    assert refusal(booking, [36.5, 36.5], slot.starts_at).code == "not_active"  # twice
    cancelled = cleared_booking(slot, 1)
    bookings.cancel(cancelled)
    assert refusal(cancelled, [36.5, 36.5], slot.starts_at).code == "not_active"


def test_the_door_admits_only_on_the_local_day_of_the_slot(ctx):
    slot = marriage_slot(timezone="America/New_York")
    booking = cleared_booking(slot)
    local_midnight = slot.starts_at.astimezone(slot.office.tz).replace(hour=0, minute=0)
    refused = refusal(booking, [36.5, 36.5], local_midnight - dt.timedelta(seconds=1))
    assert refused.code == "wrong_day"
    assert slot.starts_at.astimezone(slot.office.tz).date().isoformat() in refused.message("en")
    assert refusal(booking, [36.5, 36.5], slot.starts_at + 24 * H).code == "wrong_day"


def test_check_in_opens_30_minutes_before_the_slot(ctx):
    slot = marriage_slot()
    booking = cleared_booking(slot)
    refused = refusal(booking, [36.5, 36.5], slot.starts_at - 30 * M - dt.timedelta(seconds=1))
    assert refused.code == "too_early" and "09:30" in refused.message("en")
    door.check_in(booking, [36.5, 36.5], None, now=slot.starts_at - 30 * M)
    assert booking.status == "checked_in"


def test_check_in_stays_open_until_the_office_closes(ctx):
    slot = marriage_slot()  # the office's services close at 17:00 local
    late, _ = book(slot, n=1)
    health.declare(late, [answers(0), answers(1)], now=slot.starts_at)
    closes = slot.starts_at.astimezone(slot.office.tz).replace(hour=17, minute=0)
    assert refusal(late, [36.5, 36.5], closes).code == "too_late"
    door.check_in(late, [36.5, 36.5], None, now=closes - M)
    assert late.status == "checked_in"


def test_the_hall_limit_counts_people(ctx):
    slot = marriage_slot(hall_limit=3)
    now = slot.starts_at
    inside, waiting = cleared_booking(slot, 1), cleared_booking(slot, 2)
    door.check_in(inside, [36.5, 36.5], None, now=now)
    refused = refusal(waiting, [36.5, 36.5], now)
    assert refused.code == "hall_full" and "3" in refused.message("en")
    inside.status = "completed"  # a finished visit frees its places
    db.session.commit()
    assert door.occupancy(slot.office, now) == 0
    door.check_in(waiting, [36.5, 36.5], None, now=now)
    assert waiting.ticket == "J002"


def test_occupancy_counts_checked_in_and_called_people_of_today_only(ctx):
    slot = marriage_slot()
    a, b, c = (cleared_booking(slot, n) for n in (1, 2, 3))
    for booking in (a, b, c):
        door.check_in(booking, [36.5, 36.5], None, now=slot.starts_at)
    b.status, c.status = "called", "completed"
    db.session.commit()
    assert door.occupancy(slot.office, slot.starts_at) == 4
    assert door.occupancy(slot.office, slot.starts_at + 24 * H) == 0


@pytest.mark.parametrize("temperatures", [[36.5], [36.5, 36.5, 36.5], ["hot", 36.5], [36.5, 60], None,
                                          [True, 36.5], [float("nan"), 36.5]])
def test_bad_temperatures_are_a_422_and_change_nothing(ctx, temperatures):
    slot = marriage_slot()
    booking = cleared_booking(slot)
    with pytest.raises(door.TemperaturesInvalid) as invalid:
        door.check_in(booking, temperatures, None, now=slot.starts_at)
    assert invalid.value.status == 422 and invalid.value.field == "temperatures_c"
    assert db.session.query(DoorRefusal).count() == 0
    assert db.session.get(Booking, booking.id).status == "booked"


# --- racing doors ----------------------------------------------------------------------------------

def _race(app, booking_ids, now, temperatures):
    """Check in each booking from its own thread and session, all at once."""
    barrier = threading.Barrier(len(booking_ids))
    results: dict[int, str] = {}

    def enter(booking_id):
        with app.app_context():
            booking = db.session.get(Booking, booking_id)
            db.session.commit()  # hold no transaction (on SQLite: no write lock) while waiting
            barrier.wait()
            try:
                results[booking_id] = door.check_in(booking, temperatures, None, now=now).ticket
            except door.DoorRefused as refused:
                results[booking_id] = refused.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=enter, args=(i,)) for i in booking_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.postgres
def test_concurrent_check_ins_get_distinct_tickets(any_app):
    with any_app.app_context():
        slot = marriage_slot()
        ids = [cleared_booking(slot, n).id for n in range(4)]
        now = slot.starts_at
    results = _race(any_app, ids, now, [36.5, 36.5])
    assert sorted(results.values()) == ["J001", "J002", "J003", "J004"]


@pytest.mark.postgres
def test_concurrent_check_ins_never_overfill_the_hall(any_app):
    with any_app.app_context():
        slot = marriage_slot(hall_limit=5)
        ids = [cleared_booking(slot, n).id for n in range(4)]
        now, slot_id = slot.starts_at, slot.id
    results = _race(any_app, ids, now, [36.5, 36.5])
    assert sorted(results.values()) == ["J001", "J002", "hall_full", "hall_full"]
    with any_app.app_context():
        office = db.session.get(Slot, slot_id).office
        assert door.occupancy(office, now) == 4
        assert db.session.query(DoorRefusal).filter_by(reason="hall_full").count() == 2


def test_one_temperature_parser_reads_what_a_clerk_types_and_refuses_slips():
    """The door, the walk-in form and the declarations read temperatures with one function."""
    assert read_temperature("３６．８") == 36.8 and read_temperature("36,8") == 36.8
    assert read_temperature(" 37 ") == 37.0 and read_temperature(36.789) == 36.79
    for slip in ("", "abc", "nan", "inf", "1e400", True, None, [], 29.9, 45.1):
        assert read_temperature(slip) is None, slip
    assert read_temperature(33.0, (34.0, 43.0)) is None  # a declaration's narrower range
