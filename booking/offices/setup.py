"""Offices exist through this module alone: a Setup (read from the setup file, or built by the
admin pages) is applied as one use case, and the database's setup is exported as one.

`apply(setup, cancel_bookings=False, dry_run=False)` creates or updates regions, offices,
services, weekly hours, exceptions and holiday corrections, then keeps every slot of the
offices named in step (booking/offices/slots.py) from each office's local today to the end of
each service's booking window. It returns a Report of what changed. Entries not named in the
setup are left as they are (a file may describe part of a province).

Refusals (nothing written): SetupError for a reference the database does not know either;
HoursTaken when the new hours leave active bookings outside them and `cancel_bookings` is not
given. A dry run computes everything, then rolls back: its report lists the bookings affected
(or, with `cancel_bookings`, those it would cancel) and never raises HoursTaken.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from .. import audit, scheduling
from ..extensions import db
from ..hant import to_hant
from ..health.rules import seed_default_rules
from ..models import Booking, HolidayDate, HoursException, Office, OpeningHours, Region, Service, StaffUser, utcnow
from ..uow import use_case
from . import admin, china_calendar, hours, slots
from .setup_file import OFFICE_KEYS, SERVICE_KEYS, WEEKDAYS, Exception_, Setup, fail

# The Traditional Chinese beside each Chinese text citizens read: drafted when not given.
HANT_FIELDS = {"name_zh": "name_zh_hant", "address_zh": "address_zh_hant", "bring_zh": "bring_zh_hant"}
CAPACITY = ("slot_max_bookings", "slot_max_people", "party_size_max")
OFFICE_COLUMNS = [name for name in OFFICE_KEYS if name not in ("code", "region", "counters")]
SERVICE_COLUMNS = [name for name in SERVICE_KEYS if name not in ("hours", "booking_opens_at")]


class HoursTaken(Exception):
    """The new hours leave active bookings outside them; `bookings` lists them."""

    def __init__(self, bookings: list[Booking]):
        super().__init__(f"{len(bookings)} bookings are in hours the setup takes away")
        self.bookings = bookings


class _DryRun(Exception):
    def __init__(self, report: Report):
        super().__init__("dry run")
        self.report = report


@dataclass
class Report:
    """What an import changed (or, in a dry run, would change)."""

    changes: list[str] = field(default_factory=list)
    slots_added: int = 0
    slots_removed: int = 0
    bookings_affected: list[Booking] = field(default_factory=list)
    bookings_cancelled: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.slots_added or self.slots_removed or self.bookings_cancelled)


def apply(setup: Setup, *, cancel_bookings: bool = False, dry_run: bool = False,
          staff: StaffUser | None = None, now: dt.datetime | None = None) -> Report:
    """Apply a setup as one transaction; see the module docstring. Raises SetupError, HoursTaken."""
    try:
        return _apply(setup, cancel_bookings=cancel_bookings, dry_run=dry_run, staff=staff, now=now)
    except _DryRun as done:
        return done.report


@use_case
def _apply(setup: Setup, *, cancel_bookings: bool, dry_run: bool, staff: StaffUser | None,
           now: dt.datetime | None) -> Report:
    report = Report()
    with db.session.no_autoflush:  # a new row is added before its values are set
        _regions(setup, report)
        offices = [_office(entry, report) for entry in setup.offices]
        _holidays(setup, report)
    db.session.flush()
    for office, entry in zip(offices, setup.offices, strict=True):
        resized: set[int] = set()
        with db.session.no_autoflush:
            services = [_service(office, item, report, resized) for item in entry["services"]]
        _keep_slots(office, services, resized, report, cancel_bookings, staff, now or utcnow())
    if dry_run:  # the preview lists the bookings affected; only applying refuses
        raise _DryRun(report)
    if report.bookings_affected and not cancel_bookings:
        raise HoursTaken(report.bookings_affected)
    if report.changes:
        audit.record("setup_applied", actor="staff" if staff else "system",
                     staff_user_id=staff.id if staff else None, changes=len(report.changes),
                     slots_added=report.slots_added, slots_removed=report.slots_removed,
                     cancelled=report.bookings_cancelled)
    return report


def _set(row, values: dict, label: str, report: Report, created: bool) -> None:
    """Set the columns that differ; one change line naming them."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    if created:
        report.changes.append(f"{label}: created")
    elif changed:
        report.changes.append(f"{label}: " + ", ".join(changed) + " changed")


def _drafted(values: dict) -> dict:
    values = dict(values)
    for zh, hant in HANT_FIELDS.items():
        if zh in values and not values.get(hant):
            values[hant] = to_hant(values[zh])
    return values


def _regions(setup: Setup, report: Report) -> None:
    rows = {}
    for entry in setup.regions:
        row = db.session.scalar(select(Region).where(Region.code == entry["code"]))
        created = row is None
        if created:
            row = Region(code=entry["code"])
            db.session.add(row)
        names = _drafted({"name_zh": entry["name_zh"], "name_zh_hant": entry["name_zh_hant"],
                          "name_en": entry["name_en"]})
        _set(row, names, f"region {entry['code']}", report, created)
        rows[entry["code"]] = row
    db.session.flush()
    for entry in setup.regions:
        parent = _region(entry["parent"], f"regions[{entry['code']}].parent") if entry["parent"] else None
        row = rows[entry["code"]]
        ancestor = parent
        while ancestor is not None:
            if ancestor is row:
                raise fail(f"regions[{entry['code']}].parent", "region_loop")
            ancestor = ancestor.parent
        if row.parent_id != (parent.id if parent else None):
            row.parent = parent
            if not any(line.startswith(f"region {entry['code']}:") for line in report.changes):
                report.changes.append(f"region {entry['code']}: parent changed")


def _region(code: str, key: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise fail(key, "no_region", code=code)
    return region


def _office(entry: dict, report: Report) -> Office:
    row = db.session.scalar(select(Office).where(Office.code == entry["code"]))
    created = row is None
    if created:
        row = Office(code=entry["code"])
        db.session.add(row)
    values = {k: v for k, v in entry.items() if k not in ("services", "exceptions", "region", "counters")}
    values["counters"] = "\n".join(entry["counters"])
    values["region_id"] = _region(entry["region"], f"offices[{entry['code']}].region").id if entry["region"] else None
    _set(row, _drafted(values), f"office {entry['code']}", report, created)
    db.session.flush()
    _exceptions(row, entry["exceptions"], report)
    return row


def _service(office: Office, entry: dict, report: Report, resized: set[int]) -> Service:
    """Create or update one service; its id joins `resized` when its capacity changed."""
    row = db.session.scalar(select(Service).where(Service.office_id == office.id, Service.code == entry["code"]))
    created = row is None
    label = f"service {office.code}/{entry['code']}"
    if created:
        row = Service(office=office, code=entry["code"], kind=entry["kind"])
        db.session.add(row)
    elif row.kind != entry["kind"]:
        raise fail(f"offices[{office.code}].services[{entry['code']}].kind", "kind_fixed")
    values = {k: v for k, v in entry.items() if k not in ("hours", "booking_opens_at")}
    values["booking_opens_at"] = dt.time.fromisoformat(entry["booking_opens_at"])
    before = {name: getattr(row, name) for name in CAPACITY}
    _set(row, _drafted(values), label, report, created)
    db.session.flush()
    if created:
        seed_default_rules(row)
    _weekly_hours(row, entry["hours"], label, report, created)
    if not created and any(before[name] != getattr(row, name) for name in CAPACITY):
        resized.add(row.id)
    return row


def _weekly_hours(service: Service, weekly: dict[str, list[str]], label: str, report: Report,
                  created: bool) -> None:
    wanted = sorted((WEEKDAYS.index(day), *hours.parse_period(p)) for day, periods in weekly.items()
                    for p in periods)
    current = sorted((h.weekday, h.opens, h.closes) for h in service.hours)
    if wanted == current:
        return
    for row in list(service.hours):
        db.session.delete(row)
    db.session.flush()
    service.hours = [OpeningHours(weekday=d, opens=a, closes=b) for d, a, b in wanted]
    if not created:
        report.changes.append(f"{label}: weekly hours changed")


def exception_values(exception: Exception_) -> dict:
    return {"first_day": exception.first, "last_day": exception.last, "services": "\n".join(exception.services),
            "hours": "\n".join(exception.hours), "reason_zh": exception.reason_zh,
            "reason_zh_hant": exception.reason_zh_hant or (to_hant(exception.reason_zh) if exception.reason_zh else ""),
            "reason_en": exception.reason_en}


def _exceptions(office: Office, exceptions: list[Exception_], report: Report) -> None:
    wanted = [exception_values(e) for e in exceptions]
    rows = list(db.session.scalars(select(HoursException).where(HoursException.office_id == office.id)
                                   .order_by(HoursException.position, HoursException.id)))
    current = [{name: getattr(row, name) for name in wanted[0]} for row in rows] if wanted else [{}] * len(rows)
    if current == wanted:
        return
    db.session.execute(delete(HoursException).where(HoursException.office_id == office.id))
    db.session.add_all(HoursException(office_id=office.id, position=n, **values) for n, values in enumerate(wanted))
    report.changes.append(f"office {office.code}: exceptions {len(rows)} -> {len(wanted)}")


def _holidays(setup: Setup, report: Report) -> None:
    for year, days in sorted(setup.holidays.items()):
        rows = {row.day: row.closed for row in db.session.scalars(select(HolidayDate).where(HolidayDate.year == year))}
        if rows == days:
            continue
        db.session.execute(delete(HolidayDate).where(HolidayDate.year == year))
        taken = set(db.session.scalars(select(HolidayDate.day).where(HolidayDate.day.in_(days))))
        if taken:
            raise fail(f"holidays[{year}]", "other_year", day=min(taken))
        db.session.add_all(HolidayDate(day=day, year=year, closed=closed) for day, closed in days.items())
        report.changes.append(f"holidays {year}: {sum(days.values())} closed, "
                              f"{len(days) - sum(days.values())} worked")
        _warn_unlisted(year, days, report)


def _warn_unlisted(year: int, days: dict[dt.date, bool], report: Report) -> None:
    """A table publishes its year: for a year without built-in data, a day fixed by law that it
    does not close is open. Say so (a table meant as a few corrections reopens them)."""
    if year in china_calendar.BUILTIN_YEARS:
        return
    unlisted = sorted(day for day in china_calendar.law_fixed_days(year) if not days.get(day))
    if unlisted:
        report.warnings.append(f"holidays {year}: days fixed by law not listed as closed, so open: "
                               + ", ".join(day.isoformat() for day in unlisted))


def horizon(service: Service, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The local days whose slots a service needs now: today to the end of its booking window."""
    first = scheduling.local_day(service.office, now)
    return first, first + dt.timedelta(days=service.booking_opens_days)


def _keep_slots(office: Office, services: list[Service], resized: set[int], report: Report,
                cancel_bookings: bool, staff: StaffUser | None, now: dt.datetime) -> None:
    db.session.flush()
    for service in services:
        first, last = horizon(service, now)
        latest = db.session.scalar(select(scheduling.Slot.starts_at).where(
            scheduling.Slot.service_id == service.id, scheduling.Slot.status != "removed")
            .order_by(scheduling.Slot.starts_at.desc()).limit(1))
        if latest is not None:  # slots made under a longer window are kept in step too
            last = max(last, scheduling.local_day(office, latest))
        changes = slots.sync(service, first, last, cancel_bookings=cancel_bookings, staff=staff)
        report.slots_added += changes.added
        report.slots_removed += changes.removed
        report.bookings_affected += changes.conflicts
        report.bookings_cancelled += changes.cancelled
        if service.id in resized:
            admin.apply_capacity(service, now)


# --- export ---------------------------------------------------------------------------------------

def export(offices: list[str] | None = None) -> Setup:
    """The whole setup in the database, as apply() takes it (every region, office and year);
    only the offices whose codes are given, when given (the admin pages edit one)."""
    regions = list(db.session.scalars(select(Region).order_by(Region.id)))
    by_id = {region.id: region.code for region in regions}
    chosen = select(Office).order_by(Office.id)
    if offices is not None:
        chosen = chosen.where(Office.code.in_(offices))
    return Setup(
        regions=[{"code": r.code, "name_zh": r.name_zh, "name_zh_hant": r.name_zh_hant, "name_en": r.name_en,
                  "parent": by_id.get(r.parent_id, "")} for r in regions],
        offices=[_export_office(office, by_id) for office in db.session.scalars(chosen)],
        holidays={year: {row.day: row.closed for row in db.session.scalars(
            select(HolidayDate).where(HolidayDate.year == year))}
            for year in db.session.scalars(select(HolidayDate.year).distinct().order_by(HolidayDate.year))})


def _export_office(office: Office, regions: dict[int, str]) -> dict:
    values = {name: getattr(office, name) for name in OFFICE_COLUMNS}
    values.update(code=office.code, region=regions.get(office.region_id, ""), counters=office.counter_names)
    values = {name: values[name] for name in OFFICE_KEYS}  # the file's order: code first
    values["services"] = [_export_service(service) for service in office.services]
    values["exceptions"] = [
        Exception_(row.first_day, row.last_day, row.service_codes, row.periods, row.reason_zh,
                   row.reason_zh_hant, row.reason_en)
        for row in db.session.scalars(select(HoursException).where(HoursException.office_id == office.id)
                                      .order_by(HoursException.position, HoursException.id))]
    return values


def _export_service(service: Service) -> dict:
    values = {name: getattr(service, name) for name in SERVICE_COLUMNS}
    values["booking_opens_at"] = f"{service.booking_opens_at:%H:%M}"
    values["hours"] = {day: [hours.format_period(p) for p in hours.weekly_periods(service, n)]
                       for n, day in enumerate(WEEKDAYS) if hours.weekly_periods(service, n)}
    return values
