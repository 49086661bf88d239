"""Slots kept in step with the setup (docs/contract.md, "Setting up offices").

For each service and local day: a slot the hours give is added unless it would overlap a live
slot; a live slot the hours no longer give is removed when nothing is booked in it (deleted, or
marked removed when bookings of its past still point at it); a booked slot still inside the
day's hours stays (a booking of an earlier slot length keeps its time), and a booked slot
outside them is a conflict: refused with the bookings listed, or, when asked, its bookings are
cancelled by the office as a closure cancels them (a text each, in its language, with the
reason) and the slot removed. Days under a closure are left as the closure made them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update

from .. import bookings, scheduling
from ..errors import NotActive
from ..extensions import db
from ..models import Booking, Office, Service, Slot, StaffUser, WaitingHold
from ..models.staff import CapacityReview
from . import hours

# Said in texts when hours are taken away without an exception's own reason.
HOURS_CHANGED = ("办理时间调整", "the office's opening hours changed")


@dataclass
class SlotChanges:
    """What keeping a service's slots in step does: counts, and the bookings in hours taken away."""

    added: int = 0
    removed: int = 0
    conflicts: list[Booking] = field(default_factory=list)
    cancelled: int = 0


def _inside(slot, plan: hours.DayPlan, service: Service) -> bool:
    day = plan.day
    for opens, closes in plan.periods:
        start = scheduling.local_datetime(service.office, day, opens)
        if start <= slot.starts_at and slot.ends_at <= scheduling.period_end(service.office, day, closes):
            return True
    return False


def _active_bookings(slot_ids: list[int]) -> list[Booking]:
    if not slot_ids:
        return []
    return list(db.session.scalars(
        select(Booking).where(Booking.slot_id.in_(slot_ids), Booking.status.in_(bookings.CANCELLABLE))
        .order_by(Booking.slot_id, Booking.id)))


def sync(service: Service, first: dt.date, last: dt.date, *, cancel_bookings: bool = False,
         staff: StaffUser | None = None, calendar: hours.OfficeCalendar | None = None) -> SlotChanges:
    """Bring the service's slots on local days first..last in line with its hours; the caller
    commits (or rolls back: a dry run). Conflicts are reported in the result, and their
    bookings cancelled only with `cancel_bookings`; the caller refuses otherwise."""
    calendar = calendar or hours.OfficeCalendar(service.office, first, last)
    plans = hours.day_plans(service, first, last, calendar)
    closed = scheduling.closed_days(service, first, last)
    wanted = {day: set(scheduling.slot_times(service, day, plan)) for day, plan in plans.items()}
    changes, stale, booked_outside = SlotChanges(), [], []
    for slot in scheduling.live_slots(service, first, last):
        day = scheduling.local_day(service.office, slot.starts_at)
        if day in closed or (slot.starts_at, slot.ends_at) in wanted[day]:
            continue
        if slot.booked_bookings == 0:
            stale.append(slot)
        elif not _inside(slot, plans[day], service):
            booked_outside.append(slot)
    changes.conflicts = _active_bookings([slot.id for slot in booked_outside])
    if cancel_bookings:
        changes.cancelled = _cancel(changes.conflicts, calendar, service, staff)
        stale += booked_outside
    changes.removed = _remove([slot.id for slot in stale])
    changes.added = scheduling.generate_slots(service, first, last, calendar)
    return changes


def _cancel(conflicts: list[Booking], calendar: hours.OfficeCalendar, service: Service,
            staff: StaffUser | None) -> int:
    cancelled = 0
    for booking in conflicts:
        day = scheduling.local_day(service.office, booking.slot.starts_at)
        exception = calendar.exception_for(service, day)
        reason = (exception.reason(booking.lang) if exception and exception.reason_zh else "") or (
            HOURS_CHANGED[1] if booking.lang == "en" else HOURS_CHANGED[0])
        try:
            bookings.cancel(booking, by="office", reason=reason,
                            staff_user_id=staff.id if staff else None)
        except NotActive:  # cancelled by its citizen a moment ago
            continue
        cancelled += 1
    return cancelled


def _remove(ids: list[int]) -> int:
    """Delete the slots nothing points at; mark the others removed (their history stays)."""
    if not ids:
        return 0
    kept = set()
    for column in (Booking.slot_id, WaitingHold.slot_id, CapacityReview.slot_id):
        kept |= set(db.session.scalars(select(column).where(column.in_(ids)).distinct()))
    db.session.execute(update(Slot).where(Slot.id.in_(kept)).values(status="removed")
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(Slot).where(Slot.id.in_(set(ids) - kept))
                       .execution_options(synchronize_session=False))
    db.session.expire_all()  # what the session holds of those slots is stale
    return len(ids)


def generate_ahead(now: dt.datetime, at_least_days: int = 0) -> int:
    """Add the missing slots of every service from its office's local today to the end of its
    booking window (at least `at_least_days` days); returns how many. The caller commits.

    What `slots generate` and the SMS worker (every minute, SLOTS_AHEAD_DAYS > 0) run: only adds,
    so it is safe to repeat and to run from several processes (a slot made meanwhile by another
    is skipped by the unique live start, which the caller retries on its next run)."""
    created = 0
    for office in db.session.scalars(select(Office).order_by(Office.id)):
        first = scheduling.local_day(office, now)
        ends = {service.id: first + dt.timedelta(days=max(service.booking_opens_days, at_least_days - 1))
                for service in office.services}
        if not ends:
            continue
        calendar = hours.OfficeCalendar(office, first, max(ends.values()))
        for service in office.services:
            created += scheduling.generate_slots(service, first, ends[service.id], calendar)
    return created
