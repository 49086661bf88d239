"""The live view of a region's halls (docs/contract.md, "The bureau": `GET /api/v1/staff/overview`).

For each office, on its own local today: the epidemic level, people in the hall against the
limit (as the hall display counts them, booking.hall.door.occupancy), bookings and people booked
for today, parties and people checked in today, people waiting for a counter. Two queries
whatever the number of offices.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from .. import scheduling
from ..extensions import db
from ..hall.door import IN_HALL, hall_limit
from ..models import Booking, Office, Region, Slot, utcnow
from .regions import region_offices


def _today_rows(offices: list[Office], now: dt.datetime):
    starts = [scheduling.local_datetime(o, scheduling.local_day(o, now), dt.time(0)) for o in offices]
    start, end = min(starts), max(starts) + dt.timedelta(days=1)
    return db.session.execute(
        select(Booking.office_id, Slot.starts_at, Booking.status, Booking.party_size, Booking.checked_in_at)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.office_id.in_([o.id for o in offices]),
               ((Slot.starts_at >= start) & (Slot.starts_at < end))
               | ((Booking.checked_in_at >= start) & (Booking.checked_in_at < end)))).all()


def _blank(office: Office) -> dict:
    return {"office": office.code, "name_zh": office.name_zh, "name_en": office.name_en,
            "level": office.epidemic_level, "occupancy": 0, "limit": hall_limit(office),  # at its level
            "booked_today": 0, "booked_people_today": 0, "checked_in_today": 0,
            "checked_in_people_today": 0, "waiting": 0}


def overview(region: Region, now: dt.datetime | None = None) -> dict:
    """`{region, offices:[{office, name_zh, name_en, level, occupancy, limit, crowding,
    booked_today, booked_people_today, checked_in_today, checked_in_people_today, waiting}]}`;
    `crowding` is "ok", "warning" (80 % of the limit) or "full", as the hall display says it."""
    now = now or utcnow()
    offices = region_offices(region)
    rows = {o.id: _blank(o) for o in offices}
    by_id = {o.id: o for o in offices}
    if offices:
        for office_id, starts_at, status, people, checked_in_at in _today_rows(offices, now):
            _count(rows[office_id], by_id[office_id], now, starts_at, status, people, checked_in_at)
    for row in rows.values():
        limit = row["limit"]
        row["crowding"] = ("full" if row["occupancy"] >= limit
                           else "warning" if row["occupancy"] >= 0.8 * limit else "ok")
    return {"region": region.code, "offices": [rows[o.id] for o in offices]}


def _count(row: dict, office: Office, now, starts_at, status, people, checked_in_at) -> None:
    today = scheduling.local_day(office, now)
    if scheduling.local_day(office, starts_at) == today and status != "cancelled":
        row["booked_today"] += 1
        row["booked_people_today"] += people
    if checked_in_at is not None and scheduling.local_day(office, checked_in_at) == today:
        row["checked_in_today"] += 1
        row["checked_in_people_today"] += people
        if status in IN_HALL:
            row["occupancy"] += people
        if status == "checked_in":
            row["waiting"] += people
