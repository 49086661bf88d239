"""Steering to a quieter office (issue 25): when a day is full at one office, the other offices of
its region (and of the regions below it) offering the same kind of service, with the days they
still have places on: the day asked for, or the nearest days after it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import scheduling
from ..models import Office, Service
from .regions import region_offices

NEAREST_DAYS = 3  # days after the full one that are looked at, and at most shown


@dataclass(frozen=True)
class Alternative:
    office: Office
    service: Service
    days: list[dt.date]  # local days with a place for a party of the smallest size, nearest first
    same_day: bool  # the day asked for is among them


def quieter_offices(service: Service, day: dt.date, now: dt.datetime | None = None) -> list[Alternative]:
    """Offices of the service's region, other than its own, whose services of the same kind have
    places on `day` or on the NEAREST_DAYS after it; by whether the day itself has room, then
    by office code. Empty for an office in no region. Reads only."""
    office = service.office
    if office.region is None:
        return []
    found = []
    for other in region_offices(office.region):
        if other.id == office.id:
            continue
        for candidate in other.services:
            if candidate.kind != service.kind:
                continue
            days = _free_days(candidate, day, now)
            if days:
                found.append(Alternative(other, candidate, days, days[0] == day))
    return sorted(found, key=lambda a: (not a.same_day, a.office.code))


def _free_days(service: Service, day: dt.date, now: dt.datetime | None) -> list[dt.date]:
    days: list[dt.date] = []
    for item in scheduling.availability(service, day, day + dt.timedelta(days=NEAREST_DAYS), now):
        local = scheduling.local_day(service.office, item.slot.starts_at)
        if item.remaining_bookings > 0 and local not in days:
            days.append(local)
    return days[:NEAREST_DAYS]
