"""The text of an outbox row, composed at send time for the route that sends it.

The row holds the kind and its non-secret values; here they are joined by what is derived
from the booking now (reference, time, office, service in the booking's language and in
Chinese for Alibaba Cloud's templates; the manage or health link with its token, derived from
SECRET_KEY and the booking's salt, never stored), the sealed secrets (a verification code),
and the reply instruction: the plain keywords; the keyword with the reference when the phone
has several active upcoming bookings; the link when the route carries no replies.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from .. import bookings
from ..extensions import db
from ..hall import arrivals
from ..links import manage_url, public_url
from ..models import Booking, Slot, SmsMessage, SmsNotice, utcnow
from ..notify import sealed, texts
from . import routing
from .console import ConsoleGateway
from .gateway import Gateway, Text

LOCAL = "%Y-%m-%d %H:%M"  # Alibaba Cloud's 时间 variable: a standard date and time


def active_upcoming(phone: str, now: dt.datetime) -> list[Booking]:
    """The phone's active bookings still to come, soonest first."""
    return list(db.session.scalars(
        select(Booking).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.phone == phone, Booking.status.in_(bookings.CANCELLABLE),
               Slot.starts_at > now).order_by(Slot.starts_at, Booking.id)))


def _count_active(phone: str, now: dt.datetime) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Booking).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.phone == phone, Booking.status.in_(bookings.CANCELLABLE),
               Slot.starts_at > now))


def reply_way(phone: str, gateway: Gateway, now: dt.datetime) -> str:
    """How a text to `phone` over `gateway` asks for a reply (texts.ASK_WAYS)."""
    if not gateway.accepts_replies(phone):
        return "link"
    return "named" if _count_active(phone, now) > 1 else "single"


def page_reply_way(config, phone: str, now: dt.datetime | None = None) -> str:
    """The same for a page about a booking of `phone` (no provider client is built): "link"
    when the route texting it carries no replies, "named" with several active bookings."""
    if not routing.accepts_replies(config, phone):
        return "link"
    return "named" if _count_active(phone, now or utcnow()) > 1 else "single"


def link_of(kind: str, booking: Booking | None, token: str | None) -> str | None:
    """The link a kind carries (texts.LINKS), derived now."""
    which = texts.LINKS.get(kind)
    if which == "home":
        return public_url("/")
    if booking is None or which is None:
        return None
    if which == "health":
        return public_url(f"/bookings/{booking.reference}/health?token={token}")
    return manage_url(booking.reference, token)


def booking_values(booking: Booking, kind: str) -> dict:
    """What a text shows of a booking, as it stands now; its times are when to come (the
    start of its arrival window, else of its slot)."""
    token = bookings.manage_token(booking)
    office, service, start = booking.office, booking.service, arrivals.window_of(booking)[0]
    values = {**bookings.text_values(booking, token),
              "time": start.astimezone(office.tz).strftime("%H:%M"),
              "start": start.astimezone(office.tz).strftime(LOCAL),
              "office_zh": office.name("zh"), "service_zh": service.name("zh"),
              "manage_path": f"m/{booking.reference}/{token}"}
    link = link_of(kind, booking, token)
    if link is not None:
        values["link"] = link
    deadline = db.session.scalar(select(SmsNotice.deadline).where(
        SmsNotice.booking_id == booking.id, SmsNotice.kind == "release_warning"))
    if deadline is not None:
        values["deadline_at"] = deadline.astimezone(office.tz).strftime(LOCAL)
    return values


def text_for(message: SmsMessage, gateway: Gateway, now: dt.datetime) -> Text:
    """The Text to hand `gateway` for this row. Raises sealed.Unsealable, or KeyError when
    the kind's template needs a value nobody gave (checked by rendering it once)."""
    if message.body is not None:
        return Text(message.kind, message.lang, legacy_body=message.body)
    values = json.loads(message.params or "{}")
    booking = db.session.get(Booking, message.booking_id) if message.booking_id else None
    if booking is not None:
        values = {**booking_values(booking, message.kind), **values}
    elif message.kind in texts.LINKS:
        values["link"] = link_of(message.kind, None, None)
    values.update(sealed.unseal(message.sealed, message.phone))
    way = reply_way(message.phone, gateway, now) if message.kind in texts.ASKS else "single"
    values["reply"] = texts.ask(message.kind, message.lang, way, values.get("reference", ""))
    text = Text(message.kind, message.lang, values)
    text.body()  # every value the kind needs is there
    return text


def preview(message: SmsMessage, now: dt.datetime | None = None) -> str:
    """The row's text as it would go out now over a route that carries replies (the console
    backend): for development, support and tests. Holds any secret in memory only."""
    return text_for(message, ConsoleGateway(), now or utcnow()).body()
