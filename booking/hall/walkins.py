"""Walk-ins: people at the door without a booking (often the elderly relatives at a farewell).

One transaction does it all: a place in the running slot (the same reserve function as an
online booking), the declarations the clerk takes for each visitor, the door's check-in and
the one text, sent only once they are admitted and never asking for a reply: one use case
(booking.uow). A walk-in the door refuses leaves nothing behind, no booking and no text:
everything is rolled back, and the refusal is recorded afterwards, in a transaction of its own,
without a booking.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from .. import audit, bookings, health
from ..errors import BookingError, SlotFull
from ..extensions import db
from ..models import Booking, Office, Service, Slot, StaffUser, utcnow
from ..notify import outbox
from ..uow import unit_of_work
from . import door


class NoRoom(BookingError):
    code, status, field = "no_room", 409, "service"
    message_zh, message_en = "当前时段已满，无法现场加号。", "The current slot is full: no walk-in place."


class NoCurrentSlot(NoRoom):
    code = "no_room"
    message_zh, message_en = "当前没有可办理的时段。", "There is no slot running now for this service."


def current_slot(service: Service, now: dt.datetime | None = None) -> Slot:
    """The service's slot running now (or the next one, if its check-in has opened)."""
    now = now or utcnow()
    opens = dt.timedelta(minutes=service.office.checkin_opens_minutes)
    slot = db.session.scalars(
        select(Slot).where(Slot.service_id == service.id, Slot.ends_at > now,
                           Slot.starts_at <= now + opens)
        .order_by(Slot.starts_at).limit(1)).first()
    if slot is None:
        raise NoCurrentSlot()
    return slot


def walk_in(office: Office, service: Service, *, phone: str, visitors: list,
            temperatures: list, declarations: list[dict], staff: StaffUser,
            lang: str = "zh", now: dt.datetime | None = None) -> Booking:
    """Book, declare (taken by `staff`) and check in a party at the door, in one transaction.

    Raises NoCurrentSlot / NoRoom (no slot running, or it is full), TemperaturesInvalid, the
    booking's own errors (party size, identity numbers) and DeclarationInvalid, all changing
    nothing; DoorRefused (fever, not cleared, hall full) is recorded without a booking.
    Returns the checked-in booking, texted once in `lang` with its ticket.
    """
    if service.office_id != office.id:
        raise NoCurrentSlot()
    bookings.check_party_size(service, len(visitors))
    temperatures = door.clean_temperatures(temperatures, len(visitors))  # before any place is taken
    now = now or utcnow()
    slot = current_slot(service, now)
    try:
        with unit_of_work():
            try:
                booking = _admit(slot, phone, visitors, temperatures, declarations, staff, lang, now)
            except door.DoorRefused as refusal:
                raise door.record_refusal(refusal, office_id=office.id, booking_id=None, staff=staff,
                                          now=now, walk_in=service.code, party=len(visitors)) from None
    except SlotFull:
        raise NoRoom() from None
    db.session.refresh(booking)
    return booking


def _admit(slot: Slot, phone: str, visitors: list, temperatures: list[float],
           declarations: list[dict], staff: StaffUser, lang: str, now: dt.datetime) -> Booking:
    found = door.fever(slot.service, temperatures)  # the door's rule, said first: a fever is a fever
    if found:
        raise door.DoorRefused(found[0], **found[1])
    booked = bookings.book(slot_id=slot.id, phone=phone, visitors=visitors, lang=lang,
                           source="walk_in", staff_user_id=staff.id, now=now)
    booking = booked.booking
    audit.record("walk_in", actor="staff", booking=booking, staff_user_id=staff.id)
    if declarations:
        health.declare(booking, declarations, source="staff", taken_by=staff, now=now)
    ticket = door.admit(booking, temperatures, staff, now)
    outbox.enqueue("walk_in", booking.phone, booking.lang, booking, ticket=ticket,
                   **bookings.text_values(booking, booked.token))
    return booking
