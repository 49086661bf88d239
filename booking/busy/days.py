"""Busy days ahead (docs/contract.md, "Busy days ahead"): the notable days of the next twelve
months at an office (booking/offices/china_notable.py: 5·20, Qixi, repeating dates at a
registry; Qingming, the Winter Solstice, Chongyang at a cemetery), each with the bookings the
same notable day had a year before and the settings in force for the day.

Reads only. Days are the office's local days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from .. import challenge, scheduling
from ..extensions import db
from ..models import Booking, Office, PopularDayPlan, Service, Slot
from ..offices import china_calendar, hours
from ..offices.hours import Period
from ..waiting import holds

AHEAD_DAYS = 366  # twelve months from tomorrow
USUAL_WEEKS = 4  # "a usual day": the same weekday in the four weeks before


@dataclass(frozen=True)
class ServiceDay:
    """One service on one local day: its hours ([] closed), its slots (made, or that the hours
    will make), the capacity of each (bookings, people) and the bookings a slot keeps for the
    telephone and the counter, the places offered (bookings), what is booked, and the minutes a
    freed place is held for the waiting list."""

    service: Service
    periods: list[Period]
    slots: int
    capacity: tuple[int, int]
    assisted_reserve: int
    places: int
    booked: int
    booked_people: int
    holdback: int


@dataclass(frozen=True)
class DaySettings:
    """An office's local day as it is set now: each service, whether posts need a proof of work
    ("on", "auto" under load, "off") and the popular-day plan in force, if any."""

    day: dt.date
    services: list[ServiceDay]
    proof_of_work: str
    plan: PopularDayPlan | None

    def of(self, service: Service) -> ServiceDay | None:
        return next((item for item in self.services if item.service.id == service.id), None)


@dataclass(frozen=True)
class BusyDay:
    """A notable day ahead at an office: what it is, the services it brings crowds to, the day it
    fell on a year before with that day's bookings and people (None: the office had no slots
    then, so nobody knows) and a usual day's bookings then, and the day's settings now."""

    office: Office
    day: dt.date
    notable: list[china_calendar.Notable]
    services: list[Service]
    year_before: dt.date | None
    bookings_then: int | None
    people_then: int | None
    usual_then: float | None
    settings: DaySettings

    @property
    def times_usual(self) -> float | None:
        """Last year's bookings against a usual day's then (3.5: three and a half times)."""
        if not self.bookings_then or not self.usual_then:
            return None
        return self.bookings_then / self.usual_then


class OfficeDays:
    """What the settings of an office's local days first..last are read from, in a few queries
    (plans, slots, closures of each service, rationing settings): `settings(day)` for each day."""

    def __init__(self, office: Office, first: dt.date, last: dt.date):
        self.office = office
        self.calendar = hours.OfficeCalendar(office, first, last)
        self.plans = {plan.day: plan for plan in db.session.scalars(select(PopularDayPlan).where(
            PopularDayPlan.office_id == office.id, PopularDayPlan.undone_at.is_(None),
            PopularDayPlan.day >= first, PopularDayPlan.day <= last))}
        start = scheduling.local_datetime(office, first, dt.time(0))
        end = scheduling.local_datetime(office, last + dt.timedelta(days=1), dt.time(0))
        self.slots: dict[tuple[int, dt.date], list[Slot]] = defaultdict(list)
        for slot in db.session.scalars(select(Slot).where(Slot.office_id == office.id, Slot.status != "removed",
                                                          Slot.starts_at >= start, Slot.starts_at < end)):
            self.slots[(slot.service_id, scheduling.local_day(office, slot.starts_at))].append(slot)
        self.closed = {service.id: scheduling.closed_days(service, first, last) for service in office.services}
        self.rationing = holds.settings_for(office.id)

    def settings(self, day: dt.date) -> DaySettings:
        plan = self.plans.get(day)
        services = []
        for service in self.office.services:
            planned = plan if plan is not None and service.code in plan.service_codes else None
            hours_plan = self.calendar.plan(service, day)
            periods = [] if service.suspended or day in self.closed[service.id] else hours_plan.periods
            made = self.slots.get((service.id, day), [])
            capacity = scheduling.slot_capacity(service, planned)
            count = len(made) if made else len(scheduling.slot_times(service, day, hours_plan)) * bool(periods)
            kept = service.assisted_reserve if planned is None or planned.assisted_reserve is None \
                else planned.assisted_reserve
            services.append(ServiceDay(
                service, periods, count, capacity, kept,
                sum(scheduling.limits(slot)[0] for slot in made) if made else count * capacity[0],
                sum(slot.booked_bookings for slot in made), sum(slot.booked_people for slot in made),
                holds.holdback_of(self.rationing, planned)))
        return DaySettings(day, services, challenge.day_rule(self.rationing, plan, day), plan)


def day_settings(office: Office, day: dt.date) -> DaySettings:
    """The settings in force on the office's local `day`."""
    return OfficeDays(office, day, day).settings(day)


def _groups(office: Office) -> set[str]:
    return {china_calendar.notable_group(service.kind) for service in office.services}


def concerned(office: Office, notable: list[china_calendar.Notable]) -> list[Service]:
    """The office's services the notable days bring crowds to (5·20 a registry's, not a cemetery's)."""
    codes = {item.code for item in notable}
    return [service for service in office.services
            if codes & set(china_calendar.codes_of_group(china_calendar.notable_group(service.kind)))]


def _bookings_by_day(offices: list[Office], first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], list[int]]:
    """(office id, local day) -> (bookings, people) of every booking not cancelled, and (0, 0) for
    a day with slots and no bookings; one query for slots, one for bookings."""
    if not offices:
        return {}
    tz = {office.id: office for office in offices}
    start = min(scheduling.local_datetime(o, first, dt.time(0)) for o in offices)
    end = max(scheduling.local_datetime(o, last + dt.timedelta(days=1), dt.time(0)) for o in offices)
    found: dict[tuple[int, dt.date], list[int]] = {}
    slot_rows = db.session.execute(
        select(Slot.office_id, Slot.starts_at).where(Slot.office_id.in_(tz), Slot.starts_at >= start,
                                                     Slot.starts_at < end).distinct())
    for office_id, starts_at in slot_rows:  # a day with slots and no bookings had none
        found.setdefault((office_id, scheduling.local_day(tz[office_id], starts_at)), [0, 0])
    rows = db.session.execute(
        select(Slot.office_id, Slot.starts_at, func.count(Booking.id), func.sum(Booking.party_size))
        .join(Booking, Booking.slot_id == Slot.id)
        .where(Slot.office_id.in_(tz), Slot.starts_at >= start, Slot.starts_at < end,
               Booking.status != "cancelled")
        .group_by(Slot.office_id, Slot.starts_at))
    for office_id, starts_at, count, people in rows:
        cell = found.setdefault((office_id, scheduling.local_day(tz[office_id], starts_at)), [0, 0])
        cell[0] += count
        cell[1] += people or 0
    return found


def _usual(counts: dict, office: Office, day: dt.date) -> float | None:
    """Average bookings of the same weekday in the USUAL_WEEKS weeks before `day`, over the days
    that had slots; None when none had."""
    days = [counts.get((office.id, day - dt.timedelta(weeks=n))) for n in range(1, USUAL_WEEKS + 1)]
    known = [cell[0] for cell in days if cell is not None]
    return sum(known) / len(known) if known else None


def busy_days(offices: list[Office], today: dt.date, ahead: int = AHEAD_DAYS) -> list[BusyDay]:
    """The notable days after `today` (within `ahead` days) of each office, and the other days
    a popular-day plan is in force on, by day then office code."""
    last = today + dt.timedelta(days=ahead)
    notable = {office.id: china_calendar.notable_days(today + dt.timedelta(days=1), last, _groups(office))
               for office in offices}
    before = {office.id: {day: china_calendar.a_year_before(day, entries[0]) for day, entries in days.items()}
              for office, days in ((o, notable[o.id]) for o in offices)}
    wanted = [d for days in before.values() for d in days.values() if d is not None]
    counts = _bookings_by_day(offices, min(wanted) - dt.timedelta(weeks=USUAL_WEEKS), max(wanted)) if wanted else {}
    result = []
    for office in offices:
        days = OfficeDays(office, today, last)
        for day, entries in notable[office.id].items():
            then = before[office.id][day]
            cell = counts.get((office.id, then)) if then else None
            result.append(BusyDay(office, day, entries, concerned(office, entries), then,
                                  cell[0] if cell else None, cell[1] if cell else None,
                                  _usual(counts, office, then) if cell else None,
                                  days.settings(day)))
        for day, plan in days.plans.items():  # a plan on another day (a local fair, a campaign)
            if day > today and day not in notable[office.id]:
                services = [service for service in office.services if service.code in plan.service_codes]
                result.append(BusyDay(office, day, [], services, None, None, None, None, days.settings(day)))
    return sorted(result, key=lambda item: (item.day, item.office.code))
