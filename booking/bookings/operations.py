"""The operations on a booking: book, confirm, cancel, release unconfirmed, reschedule.

Every operation here is a use case (booking.uow): it validates, changes the rows, adds the
outbox text and the audit event, and commits once when it is the outermost call; on any error
nothing is written. Pages, the API, SMS replies and staff screens all call these functions, so
each rule lives in one place. Taking a place (book, reschedule) goes through the pipeline
(pipeline.py), whose channel says which checks apply. Every change that a race could break is
one conditional UPDATE (a status, a slot's counters, a code's use) or runs under a lock.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, update

from .. import audit, metrics, scheduling
from ..errors import NotActive
from ..extensions import db
from ..hall import arrivals
from ..models import Booking, IdentityClaim, utcnow
from ..notify import outbox, texts
from ..uow import use_case
from ..waiting import holds
from . import channels, pipeline, rules
from .records import Booked, text_values

CANCELLABLE = ("booked", "confirmed")


def book(*, channel: str | None = None, **fields) -> Booked:
    """Book a slot through `channel` (default: "walk_in" for source walk_in, else "online"):
    pipeline.take's arguments, errors and transaction. Counted for /metrics as `booked` or as
    the code of the BookingError that refused it."""
    name = channel or ("walk_in" if fields.get("source") == "walk_in" else "online")
    return metrics.count_booking_outcome(lambda **given: pipeline.take(name, **given), **fields)


def _set_status(booking: Booking, allowed: tuple[str, ...], *conditions, **values) -> None:
    """Move a booking on only from an allowed status (and any further `conditions`), in one
    conditional UPDATE; NotActive when it has moved meanwhile.

    Two racing cancels (a text and a click) cannot both release the place.
    """
    result = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(allowed), *conditions)
        .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NotActive()
    db.session.refresh(booking)


@use_case
def confirm(booking: Booking, *, actor: str = "citizen") -> Booking:
    """Confirm a booked place (confirming twice changes nothing). A use case."""
    if booking.status == "confirmed":
        return booking
    _set_status(booking, ("booked",), status="confirmed", confirmed_at=utcnow())
    audit.record("confirmed", actor=actor, booking=booking)
    return booking


@use_case
def cancel(booking: Booking, *, by: str = "citizen", reason: str | None = None,
           staff_user_id: int | None = None, notify: bool = True) -> Booking:
    """Cancel, give the place back to the slot and text the citizen. A use case."""
    _set_status(booking, CANCELLABLE, status="cancelled", cancelled_at=utcnow(),
                cancelled_by=by, cancel_reason=reason, ics_sequence=booking.ics_sequence + 1)
    holds.free_place(booking.slot, booking.party_size)  # held for the waiting list, or released
    db.session.execute(delete(IdentityClaim).where(IdentityClaim.booking_id == booking.id))
    if notify:
        kind = "cancelled_by_office" if by == "office" else "cancelled"
        outbox.enqueue(kind, booking.phone, booking.lang, booking, reason=reason or "",
                       **text_values(booking))
    audit.record("cancelled", actor="staff" if staff_user_id else by, booking=booking,
                 staff_user_id=staff_user_id, by=by, reason=reason)
    return booking


@use_case
def release_unconfirmed(booking: Booking, *, deadline: dt.datetime,
                        now: dt.datetime | None = None) -> Booking:
    """Auto-release: a booking still unconfirmed at the deadline its warning named gives its
    place back to the slot, and the citizen is texted. A use case; NotActive if it was confirmed
    or cancelled meanwhile (the conditional update decides a race with a late "1")."""
    now = now or utcnow()
    _set_status(booking, ("booked",), status="cancelled", cancelled_at=now,
                cancelled_by="auto_release", cancel_reason="not confirmed",
                ics_sequence=booking.ics_sequence + 1)
    holds.free_place(booking.slot, booking.party_size, now)
    db.session.execute(delete(IdentityClaim).where(IdentityClaim.booking_id == booking.id))
    outbox.enqueue("released", booking.phone, booking.lang, booking,
                   deadline=texts.when(deadline, booking.office, booking.lang),
                   **text_values(booking))
    audit.record("released", actor="system", booking=booking, deadline=deadline)
    return booking


def reschedule(booking: Booking, new_slot_id, *, channel: str = "reschedule", work: str | None = None,
               now: dt.datetime | None = None) -> Booking:
    """Move a booking to another free slot of the same service, through the pipeline's channel
    (the citizen's "reschedule": its attempt limits and proof of work; "office_move": a
    supervisor's). A use case from the guard on.

    Atomic: the new place is taken before the old one is given back, in one transaction,
    so a full new slot leaves the booking exactly where it was. The booking is given an arrival
    window in the new slot (hall.arrivals.choose), which its text names.
    """
    pipeline.move_guard(channel, booking, new_slot_id, work)
    return _reschedule(booking, new_slot_id, channel, now or utcnow())


@use_case
def _reschedule(booking: Booking, new_slot_id, channel: str, now: dt.datetime) -> Booking:
    old_slot_id, old_slot = booking.slot_id, booking.slot
    slot = pipeline.move(channel, booking, new_slot_id, now)
    # The new slot's row is held since its places were taken: the window is chosen as it stands.
    arrive_from, arrive_until = arrivals.choose(slot, booking.service.arrival_windows) or (None, None)
    # Still in the slot we read: of two racing moves, one gives the old place back, not both.
    _set_status(booking, CANCELLABLE, Booking.slot_id == old_slot_id, slot_id=slot.id,
                ics_sequence=booking.ics_sequence + 1, arrive_from=arrive_from, arrive_until=arrive_until)
    holds.free_place(old_slot, booking.party_size, now)
    db.session.execute(delete(IdentityClaim).where(IdentityClaim.booking_id == booking.id))
    day = scheduling.local_day(booking.office, slot.starts_at)
    rules.claim_identities(booking.id, booking.service_id, [v.id_hash for v in booking.visitors], day)
    outbox.enqueue("rescheduled", booking.phone, booking.lang, booking, **text_values(booking))
    ch = channels.channel(channel)
    audit.record(ch.action, actor=ch.actor, booking=booking,
                 from_slot=old_slot_id, to_slot=slot.id)
    return booking
