"""The audit trail: who did what to which booking, written in the caller's transaction."""

from __future__ import annotations

import json

from .extensions import db
from .models import AuditEvent, Booking


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
    own insert writes (bookings.place_booking)."""
    return {"action": action, "actor": actor, "staff_user_id": staff_user_id,
            "booking_id": booking_id, "office_id": office_id,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else ""}
