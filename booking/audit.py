"""The audit trail: who did what to which booking, written in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json

from .extensions import db
from .models import AuditEvent, Booking, UTCDateTime
from .prepared import Prepared


def record(action: str, *, actor: str, booking: Booking | None = None,
           office_id: int | None = None, staff_user_id: int | None = None, **detail) -> None:
    """Add an audit event to the session; it commits (or not) with the change it describes."""
    db.session.add(AuditEvent(**event_values(
        action, actor=actor, booking_id=booking.id if booking else None,
        office_id=office_id if office_id is not None else (booking.office_id if booking else None),
        staff_user_id=staff_user_id, **detail)))


def event_values(action: str, *, actor: str, booking_id: int | None, office_id: int | None,
                 staff_user_id: int | None = None, **detail) -> dict:
    """An audit event's columns (without `at`): what record() adds, and what the booking's
    own insert writes (bookings/places.place_booking, insert below)."""
    return {"action": action, "actor": actor, "staff_user_id": staff_user_id,
            "booking_id": booking_id, "office_id": office_id,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else ""}


# The event row written without the ORM (bookings/places.place_booking on SQLite): the same columns.
_INSERT = Prepared(
    "INSERT INTO audit_event (at, actor, staff_user_id, office_id, booking_id, action, detail)"
    " VALUES (:at, :actor, :staff_user_id, :office_id, :booking_id, :action, :detail)",
    params={"at": UTCDateTime()})


def insert(values: dict, at: dt.datetime) -> None:
    """Write an event row now, in the caller's transaction: `values` as event_values gives them."""
    _INSERT.rowcount(at=at, **values)
