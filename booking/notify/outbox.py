"""The outbox: a text owed is a row, added in the same transaction as the change causing it.

Life of a row: pending -> sending (claimed by a worker, with a lease) -> queued / sent ->
delivered, or undelivered / failed. Delivery statuses only move forward (see `record_status`),
so Twilio's callbacks may arrive late, twice or out of order.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import Booking, SmsMessage, UTCDateTime, utcnow
from ..prepared import Prepared
from ..uow import use_case
from . import sealed, texts

# How far along a text is; a status never moves to a lower (or equal) rank.
RANK = {"pending": 0, "sending": 0, "queued": 1, "sent": 2,
        "delivered": 3, "undelivered": 3, "failed": 3}
# Twilio's message statuses in our words (anything else is ignored).
FROM_TWILIO = {"accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "queued",
               "sent": "sent", "delivered": "delivered", "read": "delivered",
               "undelivered": "undelivered", "failed": "failed", "canceled": "failed"}
FAILED = ("failed", "undelivered")
FINAL = ("sent", "delivered", "undelivered", "failed")  # no secret is kept past these
# Values that are secrets: never stored in clear. A link the sender can derive again from the
# booking (texts.LINKS) is not stored at all; anything else secret is sealed.
SECRET_VALUES = ("code", "link", "token")


def enqueue(kind: str, phone: str, lang: str, booking: Booking | None = None,
            **values) -> SmsMessage | None:
    """Add the text of `kind` owed to `phone` to the session (the caller commits); None and
    nothing added for no phone ("": a booking a clerk took for someone without a mobile,
    or one whose phone was purged).

    `values` are the kind's template values (texts.TEXTS), as strings: see message_values
    for what is stored. Raises KeyError for an unknown kind.
    """
    if not phone:
        texts.TEXTS[kind]  # noqa: B018 - an unknown kind still fails
        return None
    message = SmsMessage(**message_values(kind, phone, lang, booking.id if booking else None, **values))
    db.session.add(message)
    return message


# The outbox row written by the hot paths without the ORM (bookings/places.place_booking on SQLite,
# verification.start_verification): the same columns enqueue() stores.
_INSERT = Prepared(
    "INSERT INTO sms_message (booking_id, phone, lang, kind, params, sealed, status, attempts,"
    " next_attempt_at, created_at, updated_at) VALUES (:booking_id, :phone, :lang, :kind, :params,"
    " :sealed, 'pending', 0, :now, :now, :now)",
    params={"now": UTCDateTime()})


def insert(values: dict, now: dt.datetime) -> None:
    """Write a text row now, in the caller's transaction: `values` as message_values gives
    them, due at `now`."""
    _INSERT.rowcount(now=now, **values)


def message_values(kind: str, phone: str, lang: str, booking_id: int | None, **values) -> dict:
    """A text's columns as the outbox stores it: the non-secret values as JSON; a `link` of a
    kind in texts.LINKS not at all (the worker derives it from the booking at send time);
    other secret ones (a verification code) sealed. The gateway renders the text when it sends
    it. KeyError for an unknown kind. enqueue() and the booking's own insert
    (bookings/places.place_booking) both store these."""
    texts.TEXTS[kind]  # noqa: B018 - an unknown kind fails here, in the caller's transaction
    public = {k: str(v) for k, v in values.items() if k not in SECRET_VALUES}
    secret = {k: str(v) for k, v in values.items() if k in SECRET_VALUES}
    if booking_id is not None and kind in texts.LINKS:
        secret.pop("link", None)
    return {"kind": kind, "phone": phone, "lang": lang,
            "params": json.dumps(public, ensure_ascii=False),
            "sealed": sealed.seal(secret, phone) if secret else None, "booking_id": booking_id}


@use_case
def record_status(provider_sid: str, provider_status: str, *, message_id: int | None = None,
                  error_code: str | None = None) -> bool:
    """Apply a delivery status report (Twilio's status callback, Alibaba Cloud's receipt,
    already in Twilio's words). Commits.

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
              "updated_at": utcnow(), "sealed": None, "body": None}
    if status in FAILED:
        values["error_code"] = (error_code or "")[:40] or None
    result = db.session.execute(
        update(SmsMessage).where(
            target, SmsMessage.status.in_(lower),
            or_(SmsMessage.provider_sid.is_(None), SmsMessage.provider_sid == provider_sid))
        .values(**values).execution_options(synchronize_session=False))
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
