"""City-wide suspension (docs/contract.md, "The bureau": `POST /api/v1/staff/closures` with a
region): services of one kind, or every service, closed in every office of a region for local
dates, as one closure per office (per service of that kind), each made by
booking.offices.closures.close_days, so every affected citizen is texted in their language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..errors import BookingError
from ..models import SERVICE_KINDS, Office, Region, Service, StaffUser
from ..offices import closures as office_closures
from ..uow import use_case
from .regions import region_offices


class UnknownKind(BookingError):
    code, field = "invalid_service_kind", "service_kind"
    message_zh = ("业务类型无效：应为 marriage、divorce、farewell、cremation、ash_collection、tomb_sweeping "
                  "之一，或不填（全部业务）。")
    message_en = ("Unknown kind of service: one of marriage, divorce, farewell, cremation, ash_collection, "
                  "tomb_sweeping, or none for every service.")


class NothingToClose(BookingError):
    code, status, field = "nothing_to_close", 409, "service_kind"
    message_zh, message_en = "该地区没有这类业务的机构。", "No office of the region offers that kind of service."


@dataclass(frozen=True)
class OfficeCount:
    """What a region-wide closure would cancel at one office."""

    office: Office
    services: list[Service | None]  # None: the whole office
    bookings: int
    people: int


def targets(region: Region, kind: str | None) -> list[tuple[Office, list[Service | None]]]:
    """Each office of the region with what a closure of `kind` closes there: its services of
    that kind, or [None] (the whole office) when no kind is given; offices without the kind
    are left out. UnknownKind for a kind that does not exist; NothingToClose when none is left."""
    if kind is not None and kind not in SERVICE_KINDS:
        raise UnknownKind()
    found = []
    for office in region_offices(region):
        services = [None] if kind is None else [s for s in office.services if s.kind == kind]
        if services:
            found.append((office, services))
    if not found:
        raise NothingToClose()
    return found


def preview(region: Region, kind: str | None, first: dt.date, last: dt.date,
            now: dt.datetime | None = None) -> list[OfficeCount]:
    """Bookings and people a region-wide closure would cancel, per office. Reads only; raises
    as office_closures.preview does (a reversed, over-long or past range)."""
    counts = []
    for office, services in targets(region, kind):
        found = [office_closures.preview(office, s, first, last, now) for s in services]
        counts.append(OfficeCount(office, services, sum(p.bookings for p in found), sum(p.people for p in found)))
    return counts


@use_case
def close_region(region: Region, kind: str | None, first: dt.date, last: dt.date, reason: str,
                 staff: StaffUser, reason_en: str = "", now: dt.datetime | None = None) -> tuple[int, list[str]]:
    """Close `kind` (every service when None) in every office of the region for first..last:
    (bookings cancelled, codes of the offices closed). One use case: every office or none."""
    cancelled, closed = 0, []
    for office, services in targets(region, kind):
        for service in services:
            _, count = office_closures.close_days(office, service, first, last, reason, staff,
                                                  reason_en=reason_en, now=now)
            cancelled += count
        closed.append(office.code)
    return cancelled, closed
