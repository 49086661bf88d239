"""Slots: generation from opening hours, availability, and the capacity-safe reserve/release."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager

from .errors import SlotFull
from .extensions import db
from .models import Booking, Closure, HoursException, Office, PopularDayPlan, Service, Slot, utcnow
from .offices import hours
from .prepared import Prepared


def local_datetime(office: Office, day: dt.date, time: dt.time) -> dt.datetime:
    """An office-local wall time as an aware datetime in the office's zone."""
    return dt.datetime.combine(day, time, tzinfo=office.tz)


def local_day(office: Office, moment: dt.datetime) -> dt.date:
    return moment.astimezone(office.tz).date()


def find_service(office_code, service_code) -> Service | None:
    """The service of that code at the office of that code, with its office (one query); None
    when either is unknown. The one lookup the faces use."""
    if not isinstance(office_code, str) or not isinstance(service_code, str):
        return None
    return db.session.scalars(
        select(Service).join(Service.office).options(contains_eager(Service.office))
        .where(Office.code == office_code[:40], Service.code == service_code[:40])).first()


def office_service(office: Office, service_code) -> Service | None:
    """The office's service of that code, None when it has none."""
    return find_service(office.code, service_code)


def days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    for n in range((last - first).days + 1):
        yield first + dt.timedelta(days=n)


def booking_window(service: Service, slot: Slot) -> tuple[dt.datetime, dt.datetime]:
    """When booking a slot opens (N days before its local date, at a local time) and closes."""
    office = service.office
    day = local_day(office, slot.starts_at) - dt.timedelta(days=service.booking_opens_days)
    opens = local_datetime(office, day, service.booking_opens_at)
    closes = slot.starts_at - dt.timedelta(hours=service.booking_closes_hours)
    return opens.astimezone(dt.UTC), closes


# Statements run on every booking or availability answer are built once, with bind
# parameters: building one costs about as much as running it.
CLOSURES_BETWEEN = select(Closure).where(
    Closure.office_id == bindparam("office_id"),
    Closure.reopened_at.is_(None),
    or_(Closure.service_id.is_(None), Closure.service_id == bindparam("service_id")),
    Closure.first_day <= bindparam("last"), Closure.last_day >= bindparam("first"),
)


def _closures(service: Service, first: dt.date, last: dt.date):
    return db.session.scalars(CLOSURES_BETWEEN, {"office_id": service.office_id,
                                                  "service_id": service.id, "first": first, "last": last})


def closure_for(service: Service, day: dt.date) -> Closure | None:
    """The closure in force for a service on a local day, if any."""
    return _closures(service, day, day).first()


def closed_days(service: Service, first: dt.date, last: dt.date) -> dict[dt.date, Closure]:
    """Every local day in first..last on which the service is closed, with its closure."""
    result = {}
    for closure in _closures(service, first, last).all():
        for day in days(max(first, closure.first_day), min(last, closure.last_day)):
            result.setdefault(day, closure)
    return result


def slot_times(service: Service, day: dt.date,
               plan: hours.DayPlan | None = None) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, end) in UTC of each slot the day's hours give (booking/offices/hours.py)."""
    length = dt.timedelta(minutes=service.slot_minutes)
    result = []
    for opens, closes in (plan or hours.day_plan(service, day)).periods:
        # Step in real (UTC) time: aware arithmetic in the local zone is wall-clock arithmetic,
        # which across a DST change gives a slot ending before it starts, or one hour twice.
        start = local_datetime(service.office, day, opens).astimezone(dt.UTC)
        end = period_end(service.office, day, closes)
        while start + length <= end:
            result.append((start, start + length))
            start += length
    return result


def period_end(office: Office, day: dt.date, closes: dt.time) -> dt.datetime:
    if closes == dt.time.max:  # "24:00": midnight ending the day
        return local_datetime(office, day + dt.timedelta(days=1), dt.time(0)).astimezone(dt.UTC)
    return local_datetime(office, day, closes).astimezone(dt.UTC)


def wanted_slots(service: Service, first: dt.date, last: dt.date,
                 calendar: hours.OfficeCalendar | None = None) -> dict[dt.date, list[tuple[dt.datetime, dt.datetime]]]:
    """The slots the service's hours give on each local day first..last (closures aside)."""
    plans = hours.day_plans(service, first, last, calendar)
    return {day: slot_times(service, day, plan) for day, plan in plans.items()}


def live_slots(service: Service, first: dt.date, last: dt.date):
    """The service's slots (open or closed, not removed) starting on local days first..last, in
    order, as rows (id, starts_at, ends_at, booked_bookings, status): a province's re-import
    reads 143,000 of them, and ORM objects cost most of its time."""
    start = local_datetime(service.office, first, dt.time(0))
    end = local_datetime(service.office, last + dt.timedelta(days=1), dt.time(0))
    return db.session.execute(
        select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.booked_bookings, Slot.status)
        .where(Slot.service_id == service.id, Slot.starts_at >= start, Slot.starts_at < end,
               Slot.status != "removed").order_by(Slot.starts_at)).all()


class LiveTimes:
    """Whether a new slot would overlap a live one: live slots never overlap each other, so
    only the last one starting before the new one ends can (a binary search, not a scan)."""

    def __init__(self, slots):
        self.starts = [slot.starts_at for slot in slots]
        self.ends = [slot.ends_at for slot in slots]

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        before = bisect.bisect_left(self.starts, end) - 1
        return before >= 0 and self.ends[before] > start


def generate_slots(service: Service, first: dt.date, last: dt.date,
                   calendar: hours.OfficeCalendar | None = None) -> int:
    """Create the missing slots of a service for local days first..last; returns how many.

    Only adds: a slot the hours give is made unless it would overlap a live slot of the service
    (a booked slot of an earlier length keeps its place; booking/offices/slots.py removes what
    no longer fits). Running it again creates nothing; closed days are skipped. The caller commits.
    """
    closed = closed_days(service, first, last)
    existing = LiveTimes(live_slots(service, first, last))
    plans = popular_days(service, first, last)
    new = [
        {"service_id": service.id, "office_id": service.office_id, "starts_at": start,
         "ends_at": end, **new_slot_limits(service, plans.get(day)), "booked_bookings": 0,
         "booked_people": 0, "status": "open"}
        for day, times in wanted_slots(service, first, last, calendar).items() if day not in closed
        for start, end in times if not existing.overlaps(start, end)
    ]
    if not new:
        return 0
    return len(db.session.execute(_insert_missing().returning(Slot.id), new).all())


def _insert_missing():
    """INSERT of slots that skips a start another process made meanwhile (SMS workers and cron
    generate at once): ON CONFLICT on the one-live-slot-per-start index, on either database."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[db.engine.dialect.name]
    return dialect.insert(Slot.__table__).on_conflict_do_nothing(
        index_elements=["service_id", "starts_at"], index_where=text("status <> 'removed'"))


def generate_all(first: dt.date, last: dt.date) -> int:
    """Slots for every service of every office; the caller commits."""
    services = db.session.scalars(select(Service).order_by(Service.id)).all()
    return sum(generate_slots(service, first, last) for service in services)


@dataclass(frozen=True)
class Availability:
    """A bookable slot and what is left of it for the asker: online, the assisted reserve left
    out while it is kept; for staff (assisted=True), every place. `held`: the (bookings,
    people) kept for assisted bookings now."""

    slot: Slot
    remaining_bookings: int
    remaining_people: int
    held: tuple[int, int] = (0, 0)


def assisted_held(service: Service, slot, now: dt.datetime) -> tuple[int, int]:
    """(bookings, people) of a slot kept for telephone and counter bookings at `now` (docs/contract.md,
    third-wave additions): the slot's `assisted_reserve` (a popular-day plan's) or else the
    service's bookings, each counted at its smallest party, until
    `assisted_release_hours` before the slot; then (0, 0), the reserve open to everyone. The
    reserve is the last places of the slot: an online booking may not take the slot past its
    limit less the reserve; a staff booking may fill it."""
    reserve = service.assisted_reserve if slot.assisted_reserve is None else slot.assisted_reserve
    if reserve <= 0 or now >= slot.starts_at - dt.timedelta(hours=service.assisted_release_hours):
        return 0, 0
    return reserve, reserve * max(service.party_size_min, 1)


def availability(service: Service, first: dt.date, last: dt.date,
                 now: dt.datetime | None = None, assisted: bool = False) -> list[Availability]:
    """The service's slots on local days first..last that can still be booked now, in order,
    with what is left online (the assisted reserve left out while kept) or, `assisted`, for a
    clerk's booking (every place).

    Slots outside the booking window, on closed days or of a suspended service are left out.
    """
    slots = _slots_between(service, first, last, open_only=True)
    return _bookable(service, slots, closed_days(service, first, last), now or utcnow(), assisted)


def _slots_between(service: Service, first: dt.date, last: dt.date,
                   open_only: bool = False) -> list[Slot]:
    """The service's slots on local days first..last, in order (one query)."""
    start = local_datetime(service.office, first, dt.time(0))
    end = local_datetime(service.office, last + dt.timedelta(days=1), dt.time(0))
    query = select(Slot).where(Slot.service_id == service.id, Slot.starts_at >= start,
                               Slot.starts_at < end, Slot.status != "removed")
    if open_only:
        query = query.where(Slot.status == "open")
    return list(db.session.scalars(query.order_by(Slot.starts_at)))


def _bookable(service: Service, slots: list[Slot], closed: dict[dt.date, Closure],
              now: dt.datetime, assisted: bool = False) -> list[Availability]:
    if service.suspended:
        return []
    result = []
    for slot in slots:
        opens, closes = booking_window(service, slot)
        if (slot.status != "open" or not opens <= now < closes
                or local_day(service.office, slot.starts_at) in closed):
            continue
        held = assisted_held(service, slot, now)
        kept = (0, 0) if assisted else held
        result.append(Availability(slot, slot.remaining_bookings(service.party_size_min, kept),
                                   slot.remaining_people(kept[1]), held))
    return result


# The condition every place is taken under; :held_bookings and :held_people are what the
# channel may not take (assisted_held: the assisted reserve, for an online booking while kept).
PLACES_CONDITION = (
    "status = 'open' AND booked_bookings + 1 + :held_bookings <= max_bookings"
    " AND booked_people + :people + :held_people <= max_people"
    " AND booked_bookings + 1 + :held_bookings <= coalesce(cut_bookings, max_bookings)"
    " AND booked_people + :people + :held_people <= coalesce(cut_people, max_people)")
_TAKE_PLACES = Prepared(
    "UPDATE slot SET booked_bookings = booked_bookings + 1, booked_people = booked_people + :people"
    # PLACES_CONDITION is a constant of this module: no input is ever formatted into the SQL.
    f" WHERE id = :slot_id AND {PLACES_CONDITION}")  # nosec B608


def limits(slot) -> tuple[int, int]:
    """(bookings, people) a slot takes now: its maximum, or a capacity cut's lower limit while
    bookings above the cut remain (offices/admin.py). A Slot or a bookings SlotSeen."""
    cut_bookings, cut_people = slot.cut_bookings, slot.cut_people
    return (slot.max_bookings if cut_bookings is None else min(slot.max_bookings, cut_bookings),
            slot.max_people if cut_people is None else min(slot.max_people, cut_people))


def reserve(slot_id: int, people: int, held: tuple[int, int] = (0, 0)) -> None:
    """Take one booking and `people` places in a slot, leaving `held` (bookings, people) free
    (the assisted reserve an online booking may not take: assisted_held), or raise SlotFull.

    One conditional UPDATE: the database checks and changes the counters in one step, so two
    racing requests can never both take the last place, on SQLite or PostgreSQL; a capacity
    cut (cut_bookings, cut_people) and the reserve are limits it enforces at once. Only the
    booking pipeline calls it (booking/bookings/places.py). Objects the session holds for the
    slot are not refreshed: the caller expires what it keeps.
    """
    if _TAKE_PLACES.rowcount(slot_id=slot_id, people=people, held_bookings=held[0], held_people=held[1]) != 1:
        raise SlotFull()


def release(slot_id: int, people: int) -> None:
    """Give back one booking and `people` places; never below zero."""
    db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, and_(Slot.booked_bookings >= 1, Slot.booked_people >= people))
        .values(booked_bookings=Slot.booked_bookings - 1,
                booked_people=Slot.booked_people - people)
        .execution_options(synchronize_session=False)
    )


# --- summaries for the citizen calendar ------------------------------------------------------

@dataclass(frozen=True)
class DaySummary:
    """One local day of a service, as a calendar shows it.

    state: "open" (has room), "full", "closed" (a closure, or no hours that day), "later"
    (booking opens at opens_at), "past" (booking for the day has closed), "none" (open, but
    no appointments offered).
    """

    day: dt.date
    state: str
    free: int = 0
    closure: Closure | None = None
    opens_at: dt.datetime | None = None
    exception: HoursException | None = None  # the setup's exception that closed the day


def day_summaries(service: Service, first: dt.date, last: dt.date,
                  now: dt.datetime | None = None) -> list[DaySummary]:
    """A summary of every local day first..last for one service (one query for the slots)."""
    slots = _slots_between(service, first, last)
    return _summaries(service, first, last, slots, closed_days(service, first, last), now or utcnow())


def _summaries(service: Service, first: dt.date, last: dt.date, slots: list[Slot],
               closed: dict[dt.date, Closure], now: dt.datetime) -> list[DaySummary]:
    by_day: dict[dt.date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(local_day(service.office, slot.starts_at), []).append(slot)
    # Days without slots (not generated yet, or closed by the hours) are read from the hours.
    missing = [day for day in days(first, last) if day not in by_day]
    plans = hours.day_plans(service, missing[0], missing[-1]) if missing else {}
    return [_summarise(service, day, by_day.get(day, []), closed.get(day), now, plans.get(day))
            for day in days(first, last)]


@dataclass(frozen=True)
class ServiceDays:
    """What a calendar of local days first..last shows of one service."""

    available: list[Availability]
    closed: dict[dt.date, Closure]
    summaries: list[DaySummary]


def service_days(service: Service, first: dt.date, last: dt.date,
                 now: dt.datetime | None = None) -> ServiceDays:
    """availability, closed_days and day_summaries at once, from one query for the slots and
    one for the closures (the availability answer needs all three)."""
    now = now or utcnow()
    slots = _slots_between(service, first, last)
    closed = closed_days(service, first, last)
    return ServiceDays(_bookable(service, slots, closed, now), closed,
                       _summaries(service, first, last, slots, closed, now))


def _summarise(service: Service, day: dt.date, slots: list[Slot], closure: Closure | None,
               now: dt.datetime, plan: hours.DayPlan | None) -> DaySummary:
    if closure is not None or service.suspended:
        return DaySummary(day, "closed", closure=closure)
    times = [slot.starts_at for slot in slots] or [start for start, _ in slot_times(service, day, plan)]
    if not times:
        return DaySummary(day, "closed", exception=plan.exception if plan else None)
    opens, _ = booking_window(service, _Moment(times[0]))
    if now < opens:
        return DaySummary(day, "later", opens_at=opens)
    if not slots:
        return DaySummary(day, "none")
    bookable = [s for s in slots if s.status == "open" and now < booking_window(service, s)[1]]
    if not bookable:
        return DaySummary(day, "past")
    free = sum(s.remaining_bookings(service.party_size_min, assisted_held(service, s, now)) for s in bookable)
    return DaySummary(day, "open" if free else "full", free=free)


@dataclass(frozen=True)
class _Moment:
    """Stands in for a slot not generated yet: the booking window needs only its start."""

    starts_at: dt.datetime


def nearest_free(service: Service, around: dt.datetime, count: int = 3, people: int | None = None,
                 now: dt.datetime | None = None, exclude: int | None = None) -> list[Availability]:
    """The `count` bookable slots nearest in time to `around` (within a week either side)
    that still take a party of `people` (default: the service's smallest party)."""
    people = people or service.party_size_min
    day = local_day(service.office, around)
    found = [item for item in availability(service, day - dt.timedelta(days=7),
                                           day + dt.timedelta(days=7), now=now)
             if item.remaining_bookings > 0 and item.remaining_people >= people
             and item.slot.id != exclude]
    found.sort(key=lambda item: abs((item.slot.starts_at - around).total_seconds()))
    return sorted(found[:count], key=lambda item: item.slot.starts_at)


def door_closes_at(booking: Booking) -> dt.datetime:
    """The office's closing time on the slot's day: the latest closing of any of its services
    that day, exceptions and holidays included (at least the slot's end)."""
    office = booking.office
    day = local_day(office, booking.slot.starts_at)
    calendar = hours.OfficeCalendar(office, day, day)
    ends = [period_end(office, day, closes) for service in office.services
            for _, closes in calendar.plan(service, day).periods]
    return max([booking.slot.ends_at, *ends])


# --- capacity at an epidemic level --------------------------------------------------------------

LEVELS = ("normal", "heightened", "emergency")
# Share of a service's normal capacity offered at each level.
LEVEL_FACTORS = {"normal": 1.0, "heightened": 0.5, "emergency": 0.25}


def scaled(value: int, level: str, minimum: int = 1) -> int:
    """A normal capacity scaled for an epidemic level, never below `minimum`."""
    return max(minimum, math.floor(value * LEVEL_FACTORS[level]))


def level_capacity(service: Service, level: str | None = None, percent: int = 100) -> tuple[int, int]:
    """(max bookings, max people) of a new slot of the service at the office's level, and at
    `percent` % of that on a popular day whose plan caps it (1..100): never below one booking
    and one largest party."""
    level = level or service.office.epidemic_level
    if LEVEL_FACTORS[level] >= 1:
        bookings, people = service.slot_max_bookings, service.slot_max_people
    else:
        bookings, people = scaled(service.slot_max_bookings, level), scaled(
            service.slot_max_people, level, service.party_size_max)
    if percent >= 100:
        return bookings, people
    return max(1, bookings * percent // 100), min(people, max(service.party_size_max, people * percent // 100))


def popular_days(service: Service, first: dt.date, last: dt.date | None = None) -> dict[dt.date, PopularDayPlan]:
    """The popular-day plans in force for the service on local days first..last (None: every
    day from `first`), by day (one query)."""
    query = select(PopularDayPlan).where(PopularDayPlan.office_id == service.office_id,
                                         PopularDayPlan.undone_at.is_(None), PopularDayPlan.day >= first)
    if last is not None:
        query = query.where(PopularDayPlan.day <= last)
    return {plan.day: plan for plan in db.session.scalars(query) if service.code in plan.service_codes}


def slot_capacity(service: Service, plan: PopularDayPlan | None, level: str | None = None) -> tuple[int, int]:
    """(max bookings, max people) of the service's slots on a day with this plan (None: none)."""
    return level_capacity(service, level, plan.capacity_percent if plan else 100)


def new_slot_limits(service: Service, plan: PopularDayPlan | None) -> dict:
    """The limit columns of a new slot of the service on a day with this plan (None: none)."""
    max_bookings, max_people = slot_capacity(service, plan)
    return {"max_bookings": max_bookings, "max_people": max_people,
            "assisted_reserve": plan.assisted_reserve if plan else None}
