"""The outbox: a text owed is a row, added in the same transaction as the change causing it."""

from __future__ import annotations

from ..extensions import db
from ..models import Booking, SmsMessage
from . import texts


def enqueue(kind: str, phone: str, lang: str, booking: Booking | None = None,
            **values) -> SmsMessage:
    """Render the text of `kind` in `lang` and add it to the session (the caller commits)."""
    message = SmsMessage(
        kind=kind, phone=phone, lang=lang, body=texts.render(kind, lang, **values),
        booking_id=booking.id if booking else None,
    )
    db.session.add(message)
    return message
