"""Shared steps of the waiting-list tests: a full day, parties joining, the ledger check."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from booking import bookings, scheduling
from booking.extensions import db
from booking.models import ACTIVE_STATUSES, Booking, RationingSettings, Slot, WaitingHold
from booking.waiting import entries

from .factories import make_office, make_service, make_slot, verified, visitor


def full_day(holdback_minutes: int = 0, claim_minutes: int = 30, places: int = 1):
    """A marriage service with one slot of `places` bookings, every place booked. Returns
    (service, slot, day, the bookings that fill it)."""
    office = make_office()
    db.session.add(RationingSettings(office_id=office.id, claim_minutes=claim_minutes,
                                     holdback_minutes=holdback_minutes, challenge="off",
                                     challenge_days=""))
    service = make_service(office, slot_max_bookings=places, slot_max_people=2 * places)
    slot = make_slot(service)
    db.session.commit()
    made = [book(slot.id, 7000 + i) for i in range(places)]
    return service, slot, scheduling.local_day(office, slot.starts_at), made


def book(slot_id: int, n: int) -> bookings.Booked:
    phone = f"+86137{n:08d}"
    return bookings.book(slot_id=slot_id, phone=phone, visitors=[visitor(2 * n), visitor(2 * n + 1)],
                         verification=verified(phone))


def join(service, day: dt.date, n: int, lang: str = "zh") -> entries.Joined:
    phone = f"+86136{n:08d}"
    return entries.join_list(service, day, phone=phone, lang=lang,
                        visitors=[visitor(2 * n), visitor(2 * n + 1)], verification=verified(phone))


def assert_ledger(slot_id: int) -> None:
    """The slot's counters equal its active bookings plus its live holds, people too."""
    db.session.expire_all()
    slot = db.session.get(Slot, slot_id)
    booked = db.session.execute(
        select(func.count(Booking.id), func.coalesce(func.sum(Booking.party_size), 0))
        .where(Booking.slot_id == slot_id, Booking.status.in_(ACTIVE_STATUSES))).one()
    held = db.session.execute(
        select(func.count(WaitingHold.id), func.coalesce(func.sum(WaitingHold.people), 0))
        .where(WaitingHold.slot_id == slot_id, WaitingHold.status.in_(("held", "offered")))).one()
    assert (slot.booked_bookings, slot.booked_people) == (booked[0] + held[0], booked[1] + held[1])
    assert slot.booked_bookings <= slot.max_bookings and slot.booked_people <= slot.max_people
