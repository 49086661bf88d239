"""Shared set-up for the staff tests (no tests here): two offices, their staff, a running slot.

Offices use a fixed-offset time zone in which it is about noon now, so a slot that started
20 minutes ago is on today's local date whatever the hour the tests run at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking import accounts, bookings, health
from booking.extensions import db
from booking.models import Office, Service, Slot, StaffUser, utcnow
from booking.verification import start_verification
from tests.factories import last_code, make_office, make_service, visitor

PASSWORD = "correct horse battery"
SLOT_STARTED_MINUTES_AGO = 20


def noon_zone(now: dt.datetime | None = None) -> str:
    """A fixed-offset zone (Etc/GMT±N) in which the local hour is now 10 to 14."""
    hour = (now or utcnow()).hour
    offset = max(-12, min(14, 12 - hour))
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


@dataclass
class Office2:
    office: Office
    service: Service
    running: Slot  # started 20 minutes ago, ends in 40
    tomorrow: Slot
    clerk: StaffUser
    supervisor: StaffUser


def running_slot(service: Service, now: dt.datetime | None = None, **fields) -> Slot:
    now = (now or utcnow()).replace(second=0, microsecond=0)
    start = now - dt.timedelta(minutes=SLOT_STARTED_MINUTES_AGO)
    values = dict(service=service, office_id=service.office_id, starts_at=start,
                  ends_at=start + dt.timedelta(minutes=60), max_bookings=10, max_people=20)
    values.update(fields)
    slot = Slot(**values)
    db.session.add(slot)
    db.session.flush()
    return slot


def tomorrow_slot(service: Service, **fields) -> Slot:
    tz = service.office.tz
    day = utcnow().astimezone(tz).date() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(10, 0), tzinfo=tz)
    values = dict(service=service, office_id=service.office_id, starts_at=start,
                  ends_at=start + dt.timedelta(minutes=30), max_bookings=10, max_people=20)
    values.update(fields)
    slot = Slot(**values)
    db.session.add(slot)
    db.session.flush()
    return slot


def make_office2(code: str, hall_limit: int = 30) -> Office2:
    """An office with a marriage service, a running slot, a slot tomorrow, a clerk and a
    supervisor (user names clerk-<code>, super-<code>). Commits."""
    office = make_office(code, timezone=noon_zone(), hall_limit=hall_limit, stay_limit_minutes=30)
    service = make_service(office, opening=())
    running, tomorrow = running_slot(service), tomorrow_slot(service)
    db.session.commit()
    clerk = accounts.create_staff(f"clerk-{code}", PASSWORD, "clerk", code)
    supervisor = accounts.create_staff(f"super-{code}", PASSWORD, "supervisor", code)
    return Office2(office, service, running, tomorrow, clerk, supervisor)


_phones = iter(range(10, 10_000))


def new_phone() -> str:
    return f"+86139{next(_phones):08d}"


def book(slot: Slot, people: list[int], phone: str | None = None, lang: str = "zh"):
    """A citizen's booking of `slot` for visitors numbered `people`, made the day before."""
    phone = phone or new_phone()
    then = slot.starts_at - dt.timedelta(days=1)
    verification_id = start_verification(phone, now=then)
    return bookings.book(slot_id=slot.id, phone=phone, visitors=[visitor(n) for n in people],
                         lang=lang, verification=(verification_id, last_code(phone)), now=then).booking


def declaration(position: int, temperature: float = 36.5, **answers) -> dict:
    values = {"visitor": position, "temperature_c": temperature, "symptoms": False,
              "risk_area_travel": False, "case_contact": False, "health_code": "green",
              "nat_negative_at": None}
    values.update(answers)
    return values


def clear(booking, **answers) -> None:
    """Every visitor declares (passing unless answers say otherwise)."""
    health.declare(booking, [declaration(i, **answers) for i in range(len(booking.visitors))])


def admin() -> StaffUser:
    return accounts.create_staff("admin", PASSWORD, "admin", None)
