"""Dates across a daylight-saving change, for an office in a zone that has one (Europe/Berlin:
clocks go forward on 2027-03-28 at 02:00 and back on 2027-10-31 at 03:00).

Slots keep their local opening hours on both sides of the change, the availability answer
shows local times with the right offset, the booking window opens at its local time, and the
texts show the local time of the slot.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking import bookings, scheduling
from booking.errors import NotYetOpen
from booking.extensions import db
from booking.models import Slot, SmsMessage
from booking.sms.compose import preview
from booking.verification import start_verification

from .factories import last_code, make_office, make_service, visitor

BERLIN = ZoneInfo("Europe/Berlin")
SPRING = dt.date(2027, 3, 28)   # a 23-hour day
AUTUMN = dt.date(2027, 10, 31)  # a 25-hour day
UTC = dt.UTC


def berlin_service(**fields):
    office = make_office(code="berlin", timezone="Europe/Berlin")
    values = dict(booking_opens_days=400, booking_opens_at=dt.time(8, 0), booking_closes_hours=2)
    values.update(fields)
    return make_service(office, **values)


def local_starts(service, day: dt.date) -> list[str]:
    first = scheduling.local_datetime(service.office, day, dt.time(0))
    last = scheduling.local_datetime(service.office, day + dt.timedelta(days=1), dt.time(0))
    starts = db.session.scalars(
        select(Slot.starts_at).where(Slot.service_id == service.id, Slot.starts_at >= first,
                                     Slot.starts_at < last).order_by(Slot.starts_at)).all()
    return [start.astimezone(BERLIN).strftime("%H:%M%z") for start in starts]


@pytest.mark.parametrize("change, before, after", [(SPRING, "+0100", "+0200"),
                                                   (AUTUMN, "+0200", "+0100")])
def test_slots_keep_local_opening_hours_across_the_change(ctx, change, before, after):
    service = berlin_service()
    scheduling.generate_slots(service, change - dt.timedelta(days=1), change + dt.timedelta(days=1))
    db.session.commit()
    expected_times = [f"{h:02d}:{m:02d}" for h in range(8, 17) for m in (0, 30)][1:]  # 08:30..16:30
    for day, offset in ((change - dt.timedelta(days=1), before), (change, after),
                        (change + dt.timedelta(days=1), after)):
        starts = local_starts(service, day)
        assert [s[:5] for s in starts] == expected_times, day
        assert {s[5:] for s in starts} == {offset}, day


@pytest.mark.parametrize("change", [SPRING, AUTUMN])
def test_night_opening_hours_through_the_change_make_each_real_half_hour_once(ctx, change):
    """A service open 01:00-04:00 local: 2 real hours on the spring day, 4 in autumn; no
    duplicate slot (which the unique (service, start) constraint would turn into a crash)."""
    service = berlin_service(opening=((range(7), dt.time(1, 0), dt.time(4, 0)),))
    created = scheduling.generate_slots(service, change, change)
    db.session.commit()
    starts = db.session.scalars(select(Slot.starts_at).where(Slot.service_id == service.id)
                                .order_by(Slot.starts_at)).all()
    real_hours = 2 if change == SPRING else 4
    assert created == len(starts) == real_hours * 2
    assert all(b - a == dt.timedelta(minutes=30) for a, b in zip(starts, starts[1:], strict=False))
    assert scheduling.generate_slots(service, change, change) == 0, "running again adds nothing"


def test_availability_answer_shows_local_times_with_each_days_offset(app, ctx):
    service = berlin_service()
    scheduling.generate_slots(service, SPRING - dt.timedelta(days=1), SPRING)
    db.session.commit()
    answer = app.test_client().get(
        "/api/v1/availability", query_string={"office": "berlin", "service": "marriage",
                                              "from": (SPRING - dt.timedelta(days=1)).isoformat(),
                                              "to": SPRING.isoformat()})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["timezone"] == "Europe/Berlin"
    starts = [slot["start"] for slot in body["slots"]]
    assert starts[0] == "2027-03-27T08:30:00+01:00"
    assert "2027-03-28T08:30:00+02:00" in starts
    assert starts[-1] == "2027-03-28T16:30:00+02:00"
    assert len(starts) == 2 * 17


def test_booking_window_opens_at_local_time_on_the_far_side_of_the_change(ctx):
    """Booking for 29 March (summer time) opens two days before at 08:00 local, which is
    08:00 winter time on 27 March: 07:00 UTC, not 06:00."""
    service = berlin_service(booking_opens_days=2)
    slot = make_slot_at(service, dt.datetime(2027, 3, 29, 9, 0, tzinfo=BERLIN))
    opens, closes = scheduling.booking_window(service, slot)
    assert opens == dt.datetime(2027, 3, 27, 7, 0, tzinfo=UTC)
    assert closes == dt.datetime(2027, 3, 29, 5, 0, tzinfo=UTC)  # 2 real hours before 07:00 UTC

    with pytest.raises(NotYetOpen) as refused:
        bookings.book(slot_id=slot.id, phone="+8613812345678", visitors=[visitor(1), visitor(2)],
                      verification=verified_at(opens - dt.timedelta(minutes=2)),
                      now=opens - dt.timedelta(minutes=1))
    assert "2027-03-27 08:00" in refused.value.message("en")


def test_texts_show_the_slots_local_time_after_the_change(ctx):
    service = berlin_service(booking_opens_days=2)
    slot = make_slot_at(service, dt.datetime(2027, 3, 28, 8, 30, tzinfo=BERLIN))
    now = dt.datetime(2027, 3, 27, 12, 0, tzinfo=UTC)  # still winter time
    done = bookings.book(slot_id=slot.id, phone="+8613812345678", visitors=[visitor(1), visitor(2)],
                         verification=verified_at(now), lang="en", now=now)
    body = preview(db.session.scalars(select(SmsMessage).where(SmsMessage.booking_id == done.booking.id)).one())
    assert "Sun, Mar 28, 08:30" in body
    assert "07:30" not in body and "06:30" not in body


def verified_at(now: dt.datetime, phone: str = "+8613812345678") -> tuple[str, str]:
    return start_verification(phone, now=now), last_code(phone)


def make_slot_at(service, start: dt.datetime) -> Slot:
    slot = Slot(service=service, office_id=service.office_id, starts_at=start,
                ends_at=start + dt.timedelta(minutes=service.slot_minutes),
                max_bookings=service.slot_max_bookings, max_people=service.slot_max_people)
    db.session.add(slot)
    db.session.commit()
    return slot
