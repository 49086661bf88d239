"""The daily report of many offices and days at once, from a few grouped queries.

Each (office, local day) gets exactly the figures of the office's own daily report
(booking/hall/reports.daily_report: bookings and people, cancellations by whom, refusals at the
door, failed declarations, peak occupancy, stays, occupancy by hour), zeros where nothing
happened. Five queries whatever the number of offices and days: bookings counted per slot
(GROUP BY), the checked-in visits, the door refusals, the failed declarations and the
submissions; a month of fifty offices is not 6,000 queries (bench/bureau_rollup.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, case, func, select

from .. import scheduling
from ..extensions import db
from ..hall.reports import CANCELLED_BY, occupancy_curve, stays
from ..models import Booking, DailySubmission, DoorRefusal, HealthDeclaration, Office, Slot, utcnow

COUNTED = ("bookings", "confirmed", "cancelled", "checked_in", "completed", "no_show", "walk_ins",
           *(f"cancelled_by_{who}" for who in CANCELLED_BY))


def _conditions() -> dict:
    found = {"bookings": Booking.id.is_not(None), "confirmed": Booking.confirmed_at.is_not(None),
             "cancelled": Booking.status == "cancelled", "checked_in": Booking.checked_in_at.is_not(None),
             "completed": Booking.completed_at.is_not(None), "no_show": Booking.status == "no_show",
             "walk_ins": Booking.source == "walk_in"}
    for who in CANCELLED_BY:
        found[f"cancelled_by_{who}"] = and_(Booking.status == "cancelled", Booking.cancelled_by == who)
    return found


def _window(offices: list[Office], first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants from the earliest local start of `first` to the latest local end of `last`."""
    starts = [scheduling.local_datetime(o, first, dt.time(0)) for o in offices]
    ends = [scheduling.local_datetime(o, last + dt.timedelta(days=1), dt.time(0)) for o in offices]
    return min(starts).astimezone(dt.UTC), max(ends).astimezone(dt.UTC)


def _booked(ids, start, end):
    """Bookings and people per figure, per slot (the slot's office and start)."""
    columns = []
    for condition in _conditions().values():
        columns += [func.sum(case((condition, 1), else_=0)),
                    func.sum(case((condition, Booking.party_size), else_=0))]
    return db.session.execute(
        select(Slot.office_id, Slot.starts_at, *columns).join(Booking, Booking.slot_id == Slot.id)
        .where(Booking.office_id == Slot.office_id, Slot.office_id.in_(ids),
               Slot.starts_at >= start, Slot.starts_at < end)
        .group_by(Slot.id, Slot.office_id, Slot.starts_at)).all()


def _visits(ids, start, end):
    return db.session.execute(
        select(Booking.office_id, Slot.starts_at, Booking.checked_in_at, Booking.completed_at,
               Booking.party_size).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.office_id == Slot.office_id, Slot.office_id.in_(ids), Booking.checked_in_at.is_not(None),
               Slot.starts_at >= start, Slot.starts_at < end)).all()


def _refusals(ids, start, end):
    return db.session.execute(
        select(DoorRefusal.office_id, DoorRefusal.at, DoorRefusal.reason, DoorRefusal.detail, Booking.party_size)
        .outerjoin(Booking, DoorRefusal.booking_id == Booking.id)
        .where(DoorRefusal.office_id.in_(ids), DoorRefusal.at >= start, DoorRefusal.at < end)).all()


def _failed(ids, start, end):
    return db.session.execute(
        select(HealthDeclaration.office_id, HealthDeclaration.visit_at, HealthDeclaration.booking_id,
               HealthDeclaration.visitor_id)
        .where(HealthDeclaration.office_id.in_(ids), HealthDeclaration.passed.is_(False),
               HealthDeclaration.visit_at >= start, HealthDeclaration.visit_at < end)).all()


def submissions(offices: list[Office], first: dt.date, last: dt.date) -> dict:
    """(office id, day) → DailySubmission, one query."""
    rows = db.session.scalars(select(DailySubmission).where(
        DailySubmission.office_id.in_([o.id for o in offices]),
        DailySubmission.day >= first, DailySubmission.day <= last))
    return {(s.office_id, s.day): s for s in rows}


def _empty(office: Office, day: dt.date) -> dict:
    figures = {name: 0 for name in COUNTED}
    return {"office": office, "day": day, "bookings": dict(figures), "people": dict(figures),
            "refused": ({}, {}), "declarations": (set(), set()), "visits": []}


def rollup(offices: list[Office], first: dt.date, last: dt.date,
           now: dt.datetime | None = None) -> dict[tuple[int, dt.date], dict]:
    """(office id, local day) → that day's report, in the shape of hall.reports.daily_report,
    for every office and every day first..last (zeros where nothing happened)."""
    now = now or utcnow()
    if not offices:
        return {}
    by_id = {o.id: o for o in offices}
    ids, (start, end) = list(by_id), _window(offices, first, last)
    acc = {(o.id, d): _empty(o, d) for o in offices for d in scheduling.days(first, last)}

    def cell(office_id: int, moment: dt.datetime) -> dict | None:
        return acc.get((office_id, scheduling.local_day(by_id[office_id], moment)))

    for office_id, starts_at, *sums in _booked(ids, start, end):
        day = cell(office_id, starts_at)
        if day is not None:
            for n, name in enumerate(COUNTED):
                day["bookings"][name] += int(sums[2 * n] or 0)
                day["people"][name] += int(sums[2 * n + 1] or 0)
    for row in _visits(ids, start, end):
        day = cell(row.office_id, row.starts_at)
        if day is not None:
            day["visits"].append(row)
    _add_refusals(cell, _refusals(ids, start, end))
    for office_id, visit_at, booking_id, visitor_id in _failed(ids, start, end):
        day = cell(office_id, visit_at)
        if day is not None:
            day["declarations"][0].add(booking_id)
            day["declarations"][1].add(visitor_id)
    return {key: _report(day, now) for key, day in acc.items()}


def _add_refusals(cell, rows) -> None:
    for office_id, at, reason, detail, people in rows:
        day = cell(office_id, at)
        if day is None:
            continue
        if people is None:  # a refused walk-in: no booking was kept, its party size was
            people = int((detail or {}).get("party") or 1)
        by_booking, by_people = day["refused"]
        by_booking[reason] = by_booking.get(reason, 0) + 1
        by_people[reason] = by_people.get(reason, 0) + people


def _report(day: dict, now: dt.datetime) -> dict:
    """One accumulated (office, day) as hall.reports.daily_report words it."""
    office = day["office"]
    start = scheduling.local_datetime(office, day["day"], dt.time(0)).astimezone(dt.UTC)
    end = scheduling.local_datetime(office, day["day"] + dt.timedelta(days=1), dt.time(0)).astimezone(dt.UTC)
    report = {"office": office.code, "date": day["day"].isoformat()}
    people: dict = {}
    for target, unit in ((report, "bookings"), (people, "people")):
        counted = day[unit]
        for name in COUNTED[:7]:
            target[name] = counted[name]
        target["cancelled_by"] = {who: counted[f"cancelled_by_{who}"] for who in CANCELLED_BY}
    report["refused"], people["refused"] = day["refused"]
    report["declarations_failed"], people["declarations_failed"] = (len(day["declarations"][0]),
                                                                     len(day["declarations"][1]))
    peak_people, peak_parties, hours = occupancy_curve(day["visits"], start, end, now)
    report["peak_occupancy"], people["peak_occupancy"] = peak_parties, peak_people
    report["stay_minutes"], people["stay_minutes"] = stays(day["visits"])
    report["people"] = people
    report["occupancy_by_hour"] = hours
    return report


def by_office(reports: dict[tuple[int, dt.date], dict]) -> dict[int, list[dict]]:
    """The roll-up's reports grouped per office id, in date order."""
    found: dict[int, list[dict]] = defaultdict(list)
    for (office_id, _), report in sorted(reports.items(), key=lambda item: item[0]):
        found[office_id].append(report)
    return found
