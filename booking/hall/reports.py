"""The daily report of an office ("daily report, zero report"): what happened on local days.

Every figure is counted twice: in bookings (parties) and in people (visitors). A day on which
nothing happened gives a report of zeros, never an empty answer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select

from .. import scheduling
from ..extensions import db
from ..models import REFUSAL_REASONS, Booking, DoorRefusal, HealthDeclaration, Office, Slot, utcnow

MAX_DAYS = 92
FIGURES = ("bookings", "confirmed", "cancelled", "checked_in", "completed", "no_show", "walk_ins",
           "declarations_failed", "peak_occupancy")
CANCELLED_BY = ("citizen", "office", "auto_release")


def _bounds(office: Office, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (scheduling.local_datetime(office, day, dt.time(0)).astimezone(dt.UTC),
            scheduling.local_datetime(office, day + dt.timedelta(days=1), dt.time(0)).astimezone(dt.UTC))


def _day_bookings(office: Office, start: dt.datetime, end: dt.datetime) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.office_id == office.id, Slot.office_id == office.id,  # (see queue.day_bookings)
               Slot.starts_at >= start, Slot.starts_at < end)))


def _visits(bookings: list[Booking], end: dt.datetime, now: dt.datetime):
    """(arrived, left, people) of each checked-in party; one still inside counts until now or
    the end of the day, whichever is first."""
    for b in bookings:
        if b.checked_in_at is not None:
            yield b.checked_in_at, b.completed_at or min(end, max(now, b.checked_in_at)), b.party_size


def occupancy_curve(bookings, start, end, now) -> tuple[int, int, list[int]]:
    """Peak people, peak parties and the peak people in each local hour of the day."""
    events = []
    for arrived, left, people in _visits(bookings, end, now):
        events += [(arrived, 1, people), (left, -1, -people)]
    events.sort(key=lambda e: (e[0], e[1]))  # leaving before arriving at the same instant
    people = parties = peak_people = peak_parties = 0
    for _, step, count in events:
        people, parties = people + count, parties + step
        peak_people, peak_parties = max(peak_people, people), max(peak_parties, parties)
    return peak_people, peak_parties, [_hour_peak(events, start, h) for h in range(24)]


def _hour_peak(events, start: dt.datetime, hour: int) -> int:
    """The most people inside at any moment of one hour (those already inside count too)."""
    begins, ends = start + dt.timedelta(hours=hour), start + dt.timedelta(hours=hour + 1)
    inside = sum(count for at, _, count in events if at <= begins)
    best = inside
    for at, _, count in events:
        if begins < at < ends:
            inside += count
            best = max(best, inside)
    return best


def stays(bookings: list[Booking]) -> tuple[dict, dict]:
    """Average and longest stay in minutes, per party and per person, of completed visits
    (anything with checked_in_at, completed_at and party_size: bookings, or rows of them)."""
    done = [(int((b.completed_at - b.checked_in_at).total_seconds() // 60), b.party_size)
            for b in bookings if b.completed_at and b.checked_in_at]
    if not done:
        return {"average": 0, "longest": 0}, {"average": 0, "longest": 0}
    longest = max(m for m, _ in done)
    per_party = round(sum(m for m, _ in done) / len(done), 1)
    per_person = round(sum(m * n for m, n in done) / sum(n for _, n in done), 1)
    return {"average": per_party, "longest": longest}, {"average": per_person, "longest": longest}


def _refusals(office: Office, start, end) -> tuple[dict, dict]:
    rows = db.session.execute(
        select(DoorRefusal.reason, DoorRefusal.detail, Booking.party_size)
        .outerjoin(Booking, DoorRefusal.booking_id == Booking.id)
        .where(DoorRefusal.office_id == office.id, DoorRefusal.at >= start, DoorRefusal.at < end)
    ).all()
    by_booking, by_people = {}, {}
    for reason, detail, people in rows:
        if people is None:  # a refused walk-in: no booking was kept, its party size was
            people = int((detail or {}).get("party") or 1)
        by_booking[reason] = by_booking.get(reason, 0) + 1
        by_people[reason] = by_people.get(reason, 0) + people
    return by_booking, by_people


def _failed_declarations(office: Office, start, end) -> tuple[int, int]:
    rows = db.session.execute(
        select(HealthDeclaration.booking_id, HealthDeclaration.visitor_id)
        .where(HealthDeclaration.office_id == office.id, HealthDeclaration.passed.is_(False),
               HealthDeclaration.visit_at >= start, HealthDeclaration.visit_at < end)
    ).all()
    return len({b for b, _ in rows}), len({v for _, v in rows})


def _count(bookings, test) -> tuple[int, int]:
    chosen = [b for b in bookings if test(b)]
    return len(chosen), sum(b.party_size for b in chosen)


def daily_report(office: Office, day: dt.date, now: dt.datetime | None = None) -> dict:
    """The report of one local day: figures in bookings, the same in `people`, occupancy by hour."""
    now = now or utcnow()
    start, end = _bounds(office, day)
    rows = _day_bookings(office, start, end)
    tests = {
        "bookings": lambda b: True,
        "confirmed": lambda b: b.confirmed_at is not None,
        "cancelled": lambda b: b.status == "cancelled",
        "checked_in": lambda b: b.checked_in_at is not None,
        "completed": lambda b: b.completed_at is not None,
        "no_show": lambda b: b.status == "no_show",
        "walk_ins": lambda b: b.source == "walk_in",
    }
    report = {"office": office.code, "date": day.isoformat()}
    people = {}
    for name, test in tests.items():
        report[name], people[name] = _count(rows, test)
    by = {who: _count(rows, lambda b, w=who: b.status == "cancelled" and b.cancelled_by == w)
          for who in CANCELLED_BY}
    report["cancelled_by"] = {who: n for who, (n, _) in by.items()}
    people["cancelled_by"] = {who: p for who, (_, p) in by.items()}
    report["refused"], people["refused"] = _refusals(office, start, end)
    report["declarations_failed"], people["declarations_failed"] = _failed_declarations(office, start, end)
    peak_people, peak_parties, hours = occupancy_curve(rows, start, end, now)
    report["peak_occupancy"], people["peak_occupancy"] = peak_parties, peak_people
    report["stay_minutes"], people["stay_minutes"] = stays(rows)
    report["people"] = people
    report["occupancy_by_hour"] = hours  # people, local hours 0..23
    return report


def range_report(office: Office, first: dt.date, last: dt.date,
                 now: dt.datetime | None = None) -> list[dict]:
    """Daily reports for each local day first..last (at most MAX_DAYS)."""
    last = min(last, first + dt.timedelta(days=MAX_DAYS - 1))
    return [daily_report(office, day, now) for day in scheduling.days(first, last)]


def totals(reports: list[dict]) -> dict:
    """The reports of several days added up (peaks and the longest stay: their maximum)."""
    result = {"bookings": 0}
    people: dict = {}
    for target, key in ((result, None), (people, "people")):
        for name in FIGURES:
            values = [(r[key] if key else r)[name] for r in reports]
            target[name] = max(values, default=0) if name == "peak_occupancy" else sum(values)
        target["refused"] = {}
        for r in reports:
            for reason, n in (r[key] if key else r)["refused"].items():
                target["refused"][reason] = target["refused"].get(reason, 0) + n
        target["stay_minutes"] = {"longest": max(((r[key] if key else r)["stay_minutes"]["longest"]
                                                  for r in reports), default=0)}
    result["people"] = people
    return result


# One column per refusal reason, so a spreadsheet can add them up.
CSV_COLUMNS = ["date", "office", *FIGURES[:-2], "cancelled_by_citizen", "cancelled_by_office",
               "cancelled_by_auto_release", "refused", *(f"refused_{r}" for r in REFUSAL_REASONS),
               "declarations_failed", "peak_occupancy", "stay_average_minutes", "stay_longest_minutes"]


def _csv_row(report: dict, figures: dict) -> list:
    row = [report["date"], report["office"]] + [figures[n] for n in FIGURES[:-2]]
    row += [figures["cancelled_by"][w] for w in CANCELLED_BY]
    refused = figures["refused"]
    row += [sum(refused.values()), *(refused.get(r, 0) for r in REFUSAL_REASONS),
            figures["declarations_failed"], figures["peak_occupancy"],
            figures["stay_minutes"]["average"], figures["stay_minutes"]["longest"]]
    return row


def to_csv(reports: list[dict]) -> str:
    """CSV: one row per day counted in bookings, then one per day counted in people."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", *CSV_COLUMNS])
    for unit in ("bookings", "people"):
        for report in reports:
            writer.writerow([unit, *_csv_row(report, report if unit == "bookings" else report["people"])])
    return out.getvalue()
