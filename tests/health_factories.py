"""Test data for the health-check and door tests, built through the real domain functions."""

from __future__ import annotations

import datetime as dt

from booking import bookings
from booking.extensions import db
from booking.models import Booking, Slot, StaffUser

from .factories import make_office, make_service, make_slot, verified, visitor

GOOD = {"temperature_c": 36.5, "symptoms": False, "risk_area_travel": False,
        "case_contact": False, "health_code": "green", "nat_negative_at": None}


def answers(position: int = 0, **changes) -> dict:
    """A passing declaration for one visitor (in the API's shape), with changes."""
    return {"visitor": position, **GOOD, **changes}


def phone(n: int) -> str:
    return f"+86138{n:08d}"


_people = iter(range(100, 100_000))


def book(slot: Slot, people: int | None = None, n: int = 0) -> tuple[Booking, str]:
    """A booking of the slot for `people` distinct visitors, through bookings.book()."""
    service = slot.service
    size = people or service.party_size_min
    number = phone(n + slot.id * 100)
    done = bookings.book(slot_id=slot.id, phone=number,
                         visitors=[visitor(next(_people)) for _ in range(size)],
                         verification=verified(number))
    return done.booking, done.token


def marriage_slot(days_ahead: int = 2, at: dt.time = dt.time(10, 0), timezone: str = "Asia/Shanghai",
                  code: str = "registry", **office_fields) -> Slot:
    office = make_office(code=code, timezone=timezone, **office_fields)
    slot = make_slot(make_service(office), days_ahead=days_ahead, at=at)
    db.session.commit()
    return slot


def funeral_slot(days_ahead: int = 2, at: dt.time = dt.time(10, 0), kind: str = "farewell") -> Slot:
    office = make_office(code="funeral", name_zh="测试殡仪馆", name_en="Test Funeral Home")
    service = make_service(office, code=kind, kind=kind, name_zh="告别仪式", name_en="Farewell ceremony")
    slot = make_slot(service, days_ahead=days_ahead, at=at)
    db.session.commit()
    return slot


def staff(office_id: int | None, role: str = "clerk", name: str = "clerk") -> StaffUser:
    user = StaffUser(username=name, password_hash="-", role=role, office_id=office_id)
    db.session.add(user)
    db.session.commit()
    return user
