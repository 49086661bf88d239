"""The door: check-in with the health rules, the hall limit and the queue ticket.

`check_in` is the one place these rules live; the staff pages, the staff API and walk-ins
call it. A refusal is recorded (door_refusal row and audit event) and committed before
DoorRefused is raised, so the daily report counts every refusal and its reason.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, metrics, scheduling
from ..errors import BookingError
from ..extensions import db
from ..health.declarations import is_cleared, visitor_statuses
from ..health.judge import format_temperature, read_temperature
from ..health.rules import current_rules
from ..i18n import local_time
from ..models import Booking, DoorDay, DoorRefusal, Office, Service, StaffUser, TicketCounter, utcnow
from ..uow import after_rollback, unit_of_work
from . import arrivals

ADMITTABLE = ("booked", "confirmed")
IN_HALL = ("checked_in", "called")
TICKET_PREFIXES = {"marriage": "J", "divorce": "L", "farewell": "G", "cremation": "H",
                   "ash_collection": "Q", "tomb_sweeping": "S"}

REFUSALS = {
    "not_active": ("该预约已取消、已签到或已结束，不能签到。",
                   "This booking is cancelled, already checked in or finished."),
    "wrong_day": ("该预约是 {day} 的，不是今天。", "This booking is for {day}, not today."),
    "too_early": ("签到从 {opens_at} 开始（预约时段前 {minutes} 分钟），请稍候。",
                  "Check-in opens at {opens_at}, {minutes} minutes before the slot. Please wait."),
    # too_early for a booking with an arrival window (hall.arrivals): the same code, saying when.
    "too_early_window": ("您的到场时段是 {window}，签到从 {opens_at} 开始，请稍候。",
                         "Your arrival window is {window}; check-in opens at {opens_at}. Please wait."),
    "too_late": ("今天的签到已于 {closes_at} 结束。", "Check-in closed at {closes_at} today."),
    "not_cleared": ("尚有办事人未通过健康申报：{names_zh}。",
                    "Not every visitor is cleared by the health declaration: {names_en}."),
    "fever": ("体温 {temperature} °C 达到或超过 {limit} °C，不能入场。",
              "{temperature} °C is at or above {limit} °C: entry refused."),
    "hall_full": ("大厅现有 {occupancy} 人，再进 {party} 人将超过 {limit} 人的上限，请稍候。",
                  "The hall has {occupancy} people; {party} more would exceed the limit of {limit}. "
                  "Please wait."),
}


class DoorRefused(BookingError):
    """Entry refused; `.code` says why (a key of REFUSALS), `wording` names another entry of
    REFUSALS to word it (too_early_window)."""

    status = 409

    def __init__(self, code: str, wording: str | None = None, **details):
        self.code = code
        self.message_zh, self.message_en = REFUSALS[wording or code]
        super().__init__(**details)


class TemperaturesInvalid(BookingError):
    code, status, field = "invalid_temperatures", 422, "temperatures_c"
    message_zh = "请为每位办事人填写一个体温（共 {count} 个），数值在 30–45 °C 之间。"
    message_en = "Enter one temperature per visitor ({count} in all), each between 30 and 45 °C."


# --- hours -----------------------------------------------------------------------------------

def door_opens_at(booking: Booking) -> dt.datetime:
    """Check-in opens 10 minutes before the booking's arrival window (docs/contract.md, third-wave additions;
    hall.arrivals), or, for a whole-slot booking, `checkin_opens_minutes` before the slot (an
    office setting, section 3)."""
    return arrivals.door_opens(booking) or (
        booking.slot.starts_at - dt.timedelta(minutes=booking.office.checkin_opens_minutes))


# --- the hall --------------------------------------------------------------------------------

def _day_bounds(office: Office, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = scheduling.local_datetime(office, day, dt.time(0))
    return start, scheduling.local_datetime(office, day + dt.timedelta(days=1), dt.time(0))


def occupancy(office: Office, now: dt.datetime | None = None) -> int:
    """People in the hall: checked in (or called) today, local day, and not yet completed."""
    start, end = _day_bounds(office, scheduling.local_day(office, now or utcnow()))
    return db.session.scalar(
        select(func.coalesce(func.sum(Booking.party_size), 0))
        .where(Booking.office_id == office.id, Booking.status.in_(IN_HALL),
               Booking.checked_in_at >= start, Booking.checked_in_at < end)) or 0


def hall_limit(office: Office) -> int:
    """People allowed in the hall at once now: the office's `hall_limit` at its epidemic level
    (normal: all of it; heightened: a half; emergency: a quarter, rounded down, at least 1;
    scheduling.LEVEL_FACTORS, docs/contract.md, third-wave additions). A level change applies to the next
    admission; nobody inside is sent out."""
    return scheduling.scaled(office.hall_limit, office.epidemic_level)


def _lock_row(model, key: dict, bump) -> None:
    """Take the row's write lock by updating it, creating it first if it is not there yet.

    Two first check-ins of a day may both try to create it: the loser's insert fails (after
    the winner commits, on PostgreSQL) and it then updates, waiting on the winner's lock.
    """
    where = [getattr(model, name) == value for name, value in key.items()]
    changed = db.session.execute(update(model).where(*where).values(bump)
                                 .execution_options(synchronize_session=False)).rowcount
    if changed:
        return
    try:
        with db.session.begin_nested():
            db.session.add(model(**key, **{name: 1 for name in bump}))
    except IntegrityError:
        db.session.execute(update(model).where(*where).values(bump)
                           .execution_options(synchronize_session=False))


def next_ticket(office: Office, service: Service, day: dt.date) -> str:
    """The next queue number for the service's prefix at the office on a local day: J001, J002…
    A counter row updated in the caller's transaction, so racing check-ins never share one."""
    prefix = TICKET_PREFIXES.get(service.kind, "A")
    key = {"office_id": office.id, "day": day, "prefix": prefix}
    _lock_row(TicketCounter, key, {"last_number": TicketCounter.last_number + 1})
    number = db.session.scalar(select(TicketCounter.last_number).filter_by(**key))
    return f"{prefix}{number:03d}"


# --- the checks, in the order the door applies them ------------------------------------------

def clean_temperatures(measured, count: int | None = None) -> list[float]:
    """The measured temperatures (°C), one per visitor when `count` is given; each read by
    health.judge.read_temperature. TemperaturesInvalid (422) otherwise."""
    if not isinstance(measured, list | tuple):
        raise TemperaturesInvalid(count=count or "?")
    values = [read_temperature(value) for value in measured]
    if None in values or (count is not None and len(values) != count):
        raise TemperaturesInvalid(count=count or "?")
    return values


def _time_refusal(booking: Booking, now: dt.datetime) -> tuple[str, dict] | None:
    office = booking.office
    day = scheduling.local_day(office, booking.slot.starts_at)
    if scheduling.local_day(office, now) != day:
        return "wrong_day", {"day": day.isoformat()}
    if now < door_opens_at(booking):
        opens_at = local_time(door_opens_at(booking), office, form="clock")
        if arrivals.has_window(booking):
            return "too_early", {"wording": "too_early_window", "opens_at": opens_at,
                                 "window": arrivals.clock(booking)}
        return "too_early", {"opens_at": opens_at, "minutes": office.checkin_opens_minutes}
    if now >= scheduling.door_closes_at(booking):
        return "too_late", {"closes_at": local_time(scheduling.door_closes_at(booking), office, form="clock")}
    return None


def _fever(booking: Booking, temperatures: list[float]) -> tuple[str, dict] | None:
    if len(temperatures) != booking.party_size:
        raise TemperaturesInvalid(count=booking.party_size)
    return fever(booking.service, temperatures)


def fever(service: Service, temperatures: list[float]) -> tuple[str, dict] | None:
    """("fever", details) for the first temperature at or above the service's limit, else None."""
    limit = current_rules(service).temperature_limit_c
    for position, value in enumerate(temperatures):
        if round(value, 2) >= round(limit, 2):
            return "fever", {"temperature": format_temperature(value),
                             "limit": format_temperature(limit), "visitor": position}
    return None


def _refusal(booking: Booking, temperatures: list[float], now: dt.datetime):
    if booking.status not in ADMITTABLE:
        return "not_active", {}
    found = _time_refusal(booking, now)
    if found:
        return found
    if not is_cleared(booking, now):
        waiting = [s for s in visitor_statuses(booking, now) if s.state != "cleared"]
        return "not_cleared", {  # who, and whether they have not declared or failed
            "names_zh": "、".join(f"{s.name}（{s.label('zh')}）" for s in waiting),
            "names_en": ", ".join(f"{s.name} ({s.label('en').lower()})" for s in waiting)}
    return _fever(booking, temperatures)


def record_refusal(refusal: DoorRefused, *, office_id: int, booking_id: int | None,
                   staff: StaffUser | None, now: dt.datetime, **detail) -> DoorRefused:
    """Have the refusal recorded (door_refusal row, audit event, metric) once the attempted
    admission has been rolled back: booking.uow.after_rollback. Returns `refusal` to raise.

    `booking_id` is None for a walk-in (its booking was rolled back with the rest); `detail`
    adds to the refusal's own details (the walk-in's service, say).
    """
    staff_id = staff.id if staff is not None else None

    def record() -> None:
        details = {**refusal.details, **detail}
        db.session.add(DoorRefusal(booking_id=booking_id, office_id=office_id, staff_user_id=staff_id,
                                   reason=refusal.code, at=now, detail=details or None))
        audit.record("door_refused", actor="staff" if staff_id else "system", office_id=office_id,
                     staff_user_id=staff_id,
                     booking=db.session.get(Booking, booking_id) if booking_id else None,
                     reason=refusal.code, **detail)
        metrics.door_refused(refusal.code)

    return after_rollback(refusal, record)


def latest_refusals(bookings: list[Booking]) -> dict[int, DoorRefusal]:
    """{booking id: its latest refusal at the door} for those of `bookings` turned away (one
    query), for the queue card's mark."""
    ids = [booking.id for booking in bookings]
    if not ids:
        return {}
    rows = db.session.scalars(select(DoorRefusal).where(DoorRefusal.booking_id.in_(ids))
                              .order_by(DoorRefusal.at, DoorRefusal.id))
    return {row.booking_id: row for row in rows}


def admit(booking: Booking, measured_temperatures: list[float], staff: StaffUser | None,
          now: dt.datetime) -> str:
    """The door's rule, in the caller's transaction: returns the ticket given; no commit.

    In order: active booking, its day, the check-in hours, every visitor cleared, one
    temperature per visitor each below the service's limit, and room in the hall. A refusal
    raises DoorRefused and records nothing (the caller rolls back, then `record_refusal`);
    bad temperatures raise TemperaturesInvalid (422).
    """
    temperatures = clean_temperatures(measured_temperatures)
    found = _refusal(booking, temperatures, now)
    if found:
        raise DoorRefused(found[0], **found[1])
    office = booking.office
    day = scheduling.local_day(office, now)
    # Serialise admissions per office and day, then count: the hall limit holds under races.
    _lock_row(DoorDay, {"office_id": office.id, "day": day}, {"admissions": DoorDay.admissions + 1})
    present, limit = occupancy(office, now), hall_limit(office)
    if present + booking.party_size > limit:
        raise DoorRefused("hall_full", occupancy=present, party=booking.party_size, limit=limit)
    ticket = next_ticket(office, booking.service, day)
    changed = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(ADMITTABLE))
        .values(status="checked_in", checked_in_at=now, ticket=ticket, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:  # checked in by another door a moment ago
        raise DoorRefused("not_active")
    audit.record("checked_in", actor="staff" if staff else "system", booking=booking,
                 staff_user_id=staff.id if staff else None, ticket=ticket)
    return ticket


def check_in(booking: Booking, measured_temperatures: list[float], staff: StaffUser | None,
             now: dt.datetime | None = None) -> Booking:
    """Admit a booking at the door and give it a queue ticket (see `admit`). A use case.

    A refusal rolls the attempt back, is recorded (door_refusal row and audit event) in a
    transaction of its own, and is raised as DoorRefused; bad temperatures raise
    TemperaturesInvalid (422) and change nothing.
    """
    now = now or utcnow()
    booking_id, office_id = booking.id, booking.office_id
    with unit_of_work():
        try:
            admit(booking, measured_temperatures, staff, now)
        except DoorRefused as refusal:
            raise record_refusal(refusal, office_id=office_id, booking_id=booking_id, staff=staff, now=now) from None
    db.session.refresh(booking)
    return booking
