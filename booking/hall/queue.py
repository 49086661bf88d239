"""The day's queue at an office: the list, call next, complete, no-show (and its undo).

Check-in itself is the door's rule (booking.hall.door.check_in); walk-ins are walkins.py.
Each operation owns its transaction and records an audit event for the staff member who did
it. Status moves are conditional UPDATEs, so two counters pressing "call next"
at once never get the same ticket.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from .. import audit, scheduling
from ..errors import BookingError, NotActive, NotFound
from ..extensions import db
from ..models import AuditEvent, Booking, Office, Service, Slot, StaffUser, Visitor, utcnow
from ..uow import use_case
from . import arrivals
from .door import hall_limit, occupancy

DISPLAY_CALLING = 4  # tickets shown as "now calling"
DISPLAY_WAITING = 8


class NothingWaiting(BookingError):
    code, status = "none_waiting", 404
    message_zh, message_en = "没有等候中的号码。", "No ticket is waiting."


class TooEarlyForNoShow(BookingError):
    code, status = "too_early", 409
    message_zh = "预约时间开始 {minutes} 分钟后才能标记为未到。"
    message_en = "A booking can be marked as a no-show {minutes} minutes after its start."


class InvalidCounter(BookingError):
    code, field = "invalid_counter", "counter"
    message_zh, message_en = "请填写窗口号（1–10 个字符）。", "Please give a counter (1 to 10 characters)."


class UnknownCounter(InvalidCounter):
    """A counter not in the office's list; the message names the list (docs/contract.md)."""

    message_zh = "请从本办事处的窗口中选择：{counters}。"
    message_en = "Please choose one of this office's counters: {counters}."

    def __init__(self, names: list[str]):
        super().__init__()
        self.names = list(names)

    def message(self, lang: str) -> str:
        self.details["counters"] = (", " if lang == "en" else "、").join(self.names)
        return super().message(lang)


class UndoTooLate(BookingError):
    code, status = "undo_too_late", 409
    message_zh = "标记未到超过 {minutes} 分钟后不能撤销。"
    message_en = "A no-show can be undone only within {minutes} minutes of marking it."


@dataclass(frozen=True)
class Stay:
    booking: Booking
    minutes: int
    too_long: bool


# --- reading --------------------------------------------------------------------------------

def day_bounds(office: Office, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = scheduling.local_datetime(office, day, dt.time(0))
    return start, scheduling.local_datetime(office, day + dt.timedelta(days=1), dt.time(0))


def today(office: Office, now: dt.datetime | None = None) -> dt.date:
    return scheduling.local_day(office, now or utcnow())


def day_bookings(office: Office, day: dt.date, query: str = "") -> list[Booking]:
    """Every booking of the office's local day, by slot then booking time; optionally searched.

    The search matches a reference, the last digits of a phone number or a visitor's name.
    Slots, services and visitors come with them in a fixed number of queries (no N+1).
    """
    start, end = day_bounds(office, day)
    stmt = (select(Booking).join(Slot, Booking.slot_id == Slot.id)
            .options(contains_eager(Booking.slot), joinedload(Booking.service),
                     selectinload(Booking.visitors))
            # The slot's office too, so the day's slots come from ix_slot_office_starts: with a
            # million bookings stored PostgreSQL otherwise scanned every slot (30 ms, not 1).
            .where(Booking.office_id == office.id, Slot.office_id == office.id,
                   Slot.starts_at >= start, Slot.starts_at < end)
            .order_by(Slot.starts_at, Booking.created_at))
    query = (query or "").strip()[:40]
    if query:
        like = f"%{query}%"
        stmt = stmt.where(or_(
            Booking.reference == query.upper(),
            Booking.phone.endswith(query) if query.isdigit() and len(query) >= 4 else False,
            Booking.id.in_(select(Visitor.booking_id).where(Visitor.name.like(like))),
        ))
    return list(db.session.scalars(stmt))


def booking_in_office(office: Office, reference: str) -> Booking:
    """The booking with this reference at this office; NotFound for another office's."""
    booking = db.session.scalar(
        select(Booking).where(Booking.reference == str(reference or "").strip().upper()[:12]))
    if booking is None or booking.office_id != office.id:
        raise NotFound()
    return booking


def waiting(office: Office, now: dt.datetime | None = None) -> list[Booking]:
    """Today's checked-in tickets not yet called, first come first served."""
    start, end = day_bounds(office, today(office, now))
    return list(db.session.scalars(
        select(Booking).where(Booking.office_id == office.id, Booking.status == "checked_in",
                              Booking.checked_in_at >= start, Booking.checked_in_at < end)
        .order_by(Booking.checked_in_at, Booking.id)))


def calling(office: Office, now: dt.datetime | None = None) -> list[Booking]:
    """Today's called tickets, the most recently called first."""
    start, end = day_bounds(office, today(office, now))
    return list(db.session.scalars(
        select(Booking).where(Booking.office_id == office.id, Booking.status == "called",
                              Booking.called_at >= start, Booking.called_at < end)
        .order_by(Booking.called_at.desc(), Booking.id.desc())))


def stays(office: Office, now: dt.datetime | None = None) -> list[Stay]:
    """People in the hall now and how long each party has stayed, against the office's limit."""
    now = now or utcnow()
    inside = sorted(waiting(office, now) + calling(office, now), key=lambda b: b.checked_in_at)
    result = []
    for booking in inside:
        minutes = int((now - booking.checked_in_at).total_seconds() // 60)
        result.append(Stay(booking, minutes, minutes > office.stay_limit_minutes))
    return result


def crowding(office: Office, now: dt.datetime | None = None) -> dict:
    """Occupancy against the hall limit at the office's level (door.hall_limit): 'ok',
    'warning' (80 % or more) or 'full' (at or above it, as after a level change)."""

    people = occupancy(office, now)
    limit = hall_limit(office)
    level = "full" if people >= limit else "warning" if people >= 0.8 * limit else "ok"
    return {"occupancy": people, "limit": limit, "level": level}


def display_state(office: Office, now: dt.datetime | None = None) -> dict:
    """What the hall display shows: now calling, the next few, occupancy against the limit."""
    state = crowding(office, now)
    return {
        "office": office.code, "name_zh": office.name_zh, "name_en": office.name_en,
        "calling": [{"ticket": b.ticket, "counter": b.counter}
                    for b in calling(office, now)[:DISPLAY_CALLING]],
        "waiting": [{"ticket": b.ticket} for b in waiting(office, now)[:DISPLAY_WAITING]],
        "occupancy": state["occupancy"], "limit": state["limit"], "level": state["level"],
    }


# --- operations ------------------------------------------------------------------------------

def _clean_counter(office: Office, counter) -> str:
    """The counter as staff wrote it in the office's list (UnknownCounter otherwise); an
    office without a list takes any name of 1 to 10 characters (InvalidCounter)."""
    counter = str(counter if counter is not None else "").strip()
    if office.counter_names and counter not in office.counter_names:
        raise UnknownCounter(office.counter_names)
    if not 1 <= len(counter) <= 10:
        raise InvalidCounter()
    return counter


@use_case
def call_next(office: Office, counter, staff: StaffUser, service: Service | None = None,
              now: dt.datetime | None = None) -> Booking:
    """Call the longest-waiting ticket to a counter. A use case; NothingWaiting when none waits."""
    counter = _clean_counter(office, counter)
    now = now or utcnow()
    for candidate in waiting(office, now):
        if service is not None and candidate.service_id != service.id:
            continue
        changed = db.session.execute(
            update(Booking).where(Booking.id == candidate.id, Booking.status == "checked_in")
            .values(status="called", called_at=now, counter=counter, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if changed == 1:  # else another counter took it a moment ago: try the next one
            db.session.refresh(candidate)
            audit.record("called", actor="staff", booking=candidate, staff_user_id=staff.id,
                         counter=counter, ticket=candidate.ticket)
            return candidate
    raise NothingWaiting()


@use_case
def recall(booking: Booking, staff: StaffUser, now: dt.datetime | None = None) -> Booking:
    """Call a called ticket again (it goes back to the top of the display). A use case."""
    now = now or utcnow()
    _move(booking, ("called",), called_at=now)
    audit.record("recalled", actor="staff", booking=booking, staff_user_id=staff.id,
                 counter=booking.counter, ticket=booking.ticket)
    return booking


@use_case
def complete(booking: Booking, staff: StaffUser, now: dt.datetime | None = None) -> Booking:
    """End a visit: the party leaves the hall and its stay is measured. A use case."""
    now = now or utcnow()
    _move(booking, ("checked_in", "called"), status="completed", completed_at=now)
    stay = int((now - booking.checked_in_at).total_seconds() // 60)
    audit.record("completed", actor="staff", booking=booking, staff_user_id=staff.id,
                 ticket=booking.ticket, stay_minutes=stay)
    return booking


def grace_minutes() -> int:
    return int(current_app.config["NO_SHOW_GRACE_MINUTES"])


@use_case
def no_show(booking: Booking, staff: StaffUser, now: dt.datetime | None = None) -> Booking:
    """Mark a booking nobody came for, once its grace period has passed since it was due: its
    arrival window's start (hall.arrivals), else its slot's. A use case.

    The place stays taken: the time has passed, so giving it back would help no one.
    """
    now = now or utcnow()
    if now < arrivals.window_of(booking)[0] + dt.timedelta(minutes=grace_minutes()):
        raise TooEarlyForNoShow(minutes=grace_minutes())
    _move(booking, ("booked", "confirmed"), status="no_show")
    audit.record("no_show", actor="staff", booking=booking, staff_user_id=staff.id)
    return booking


def no_show_marked_at(booking: Booking) -> dt.datetime | None:
    """When the booking was last marked a no-show (its audit event), if it was."""
    return db.session.scalar(
        select(AuditEvent.at).where(AuditEvent.booking_id == booking.id, AuditEvent.action == "no_show")
        .order_by(AuditEvent.id.desc()).limit(1))


def can_undo_no_show(booking: Booking, now: dt.datetime | None = None) -> bool:
    """A no-show may be undone within the grace period (NO_SHOW_GRACE_MINUTES) of marking it."""
    marked = no_show_marked_at(booking) if booking.status == "no_show" else None
    return marked is not None and (now or utcnow()) <= marked + dt.timedelta(minutes=grace_minutes())


@use_case
def undo_no_show(booking: Booking, staff: StaffUser, now: dt.datetime | None = None) -> Booking:
    """Take back a no-show marked by mistake, within the grace period: the booking is again
    confirmed (or booked, if it never was) and can check in. A use case; audited.

    NotActive when it is not a no-show; UndoTooLate after the grace period.
    """
    if booking.status != "no_show":
        raise NotActive()
    if not can_undo_no_show(booking, now):
        raise UndoTooLate(minutes=grace_minutes())
    _move(booking, ("no_show",), status="confirmed" if booking.confirmed_at else "booked")
    audit.record("no_show_undone", actor="staff", booking=booking, staff_user_id=staff.id)
    return booking


def _move(booking: Booking, allowed: tuple[str, ...], **values) -> None:
    changed = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(allowed))
        .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise NotActive()
    db.session.refresh(booking)
