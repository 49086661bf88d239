"""The outbox: a text owed is a row, added in the same transaction as the change causing it.

Life of a row: pending -> sending (claimed by a worker, with a lease) -> queued / sent ->
delivered, or undelivered / failed. Delivery statuses only move forward (see `record_status`),
so Twilio's callbacks may arrive late, twice or out of order.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import Booking, SmsMessage, utcnow
from . import texts

# How far along a text is; a status never moves to a lower (or equal) rank.
RANK = {"pending": 0, "sending": 0, "queued": 1, "sent": 2,
        "delivered": 3, "undelivered": 3, "failed": 3}
# Twilio's message statuses in our words (anything else is ignored).
FROM_TWILIO = {"accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "queued",
               "sent": "sent", "delivered": "delivered", "read": "delivered",
               "undelivered": "undelivered", "failed": "failed", "canceled": "failed"}
FAILED = ("failed", "undelivered")


def enqueue(kind: str, phone: str, lang: str, booking: Booking | None = None,
            **values) -> SmsMessage:
    """Render the text of `kind` in `lang` and add it to the session (the caller commits)."""
    message = SmsMessage(
        kind=kind, phone=phone, lang=lang, body=texts.render(kind, lang, **values),
        booking_id=booking.id if booking else None,
    )
    db.session.add(message)
    return message


def record_status(provider_sid: str, provider_status: str, *, message_id: int | None = None,
                  error_code: str | None = None) -> bool:
    """Apply a delivery status report (Twilio's status callback). Commits.

    Idempotent and order-proof: the row changes only when the new status ranks above the
    current one (delivered never goes back to sent), in one conditional UPDATE. The callback
    URL names our row, so a report that arrives before the worker recorded the provider's id
    still lands (and tells a retrying worker that the text already went out).
    """
    status = FROM_TWILIO.get((provider_status or "").strip().lower())
    if status is None or not provider_sid:
        return False
    lower = [name for name, rank in RANK.items() if rank < RANK[status]]
    target = (SmsMessage.id == message_id) if message_id else (SmsMessage.provider_sid == provider_sid)
    values = {"status": status, "provider_sid": provider_sid, "claimed_until": None,
              "updated_at": utcnow()}
    if status in FAILED:
        values["error_code"] = (error_code or "")[:16] or None
    result = db.session.execute(
        update(SmsMessage).where(
            target, SmsMessage.status.in_(lower),
            or_(SmsMessage.provider_sid.is_(None), SmsMessage.provider_sid == provider_sid))
        .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def failures(office_id: int | None = None, limit: int = 100) -> list[SmsMessage]:
    """Texts that will not arrive (permanent errors, undelivered), newest first, for staff.

    `office_id` narrows to texts about that office's bookings.
    """
    query = select(SmsMessage).where(SmsMessage.status.in_(FAILED))
    if office_id is not None:
        query = query.join(Booking, SmsMessage.booking_id == Booking.id).where(
            Booking.office_id == office_id)
    return list(db.session.scalars(query.order_by(SmsMessage.id.desc()).limit(limit)))
