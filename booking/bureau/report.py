"""The city's daily report (docs/contract.md, "The bureau"): every office of a region with every
figure of its own daily report, the supervisor's submission, who has not submitted, and totals.

A day: `region_day`. A date range (the bureau's page): `region_range`, each office's figures
added up over the days (hall.reports.totals) and how many of those days it has submitted.
"""

from __future__ import annotations

import datetime as dt

from .. import scheduling
from ..hall.reports import CANCELLED_BY, FIGURES
from ..models import DailySubmission, Office, Region, utcnow
from . import rollup
from .regions import region_offices


def _submission(office: Office, found: DailySubmission | None) -> dict:
    if found is None:
        return {"submitted_at": None, "incident": None, "note": None}
    return {"submitted_at": found.submitted_at.astimezone(office.tz).isoformat(),
            "incident": found.incident, "note": found.note}


def _row(office: Office, report: dict, submission: DailySubmission | None) -> dict:
    row = {"office": office.code, "name_zh": office.name_zh, "name_en": office.name_en,
           **_submission(office, submission)}
    row.update({key: value for key, value in report.items() if key not in ("office", "date")})
    return row


def region_day(region: Region, day: dt.date, now: dt.datetime | None = None) -> dict:
    """`{region, date, offices:[{office, name_zh, name_en, submitted_at, incident, note, …every
    figure of hall.reports.daily_report}], totals, not_submitted:[office codes]}` (7 queries)."""
    offices = region_offices(region)
    reports = rollup.rollup(offices, day, day, now)
    submitted = rollup.submissions(offices, day, day)
    rows = [_row(o, reports[(o.id, day)], submitted.get((o.id, day))) for o in offices]
    return {"region": region.code, "date": day.isoformat(), "offices": rows, "totals": add_up(rows),
            "not_submitted": [o.code for o in offices if (o.id, day) not in submitted]}


def region_range(region: Region, first: dt.date, last: dt.date, now: dt.datetime | None = None) -> dict:
    """The region over local days first..last: per office its figures added up over the days,
    `days_submitted` and `days_missing` (local dates without a submission, up to the office's
    today), the incidents reported and their notes; totals over all offices."""
    offices = region_offices(region)
    reports = rollup.by_office(rollup.rollup(offices, first, last, now))
    submitted = rollup.submissions(offices, first, last)
    rows = []
    for office in offices:
        days = reports[office.id]
        due = [d for d in scheduling.days(first, last) if d <= scheduling.local_day(office, now or utcnow())]
        mine = [submitted[(office.id, d)] for d in scheduling.days(first, last) if (office.id, d) in submitted]
        row = {"office": office.code, "name_zh": office.name_zh, "name_en": office.name_en,
               **add_up(days, peaks=max), "days_submitted": len(mine),
               "days_missing": [d.isoformat() for d in due if (office.id, d) not in submitted],
               "incidents": [{"date": s.day.isoformat(), "note": s.note} for s in mine if s.incident],
               "notes": [{"date": s.day.isoformat(), "incident": s.incident, "note": s.note} for s in mine if s.note]}
        rows.append(row)
    return {"region": region.code, "from": first.isoformat(), "to": last.isoformat(), "offices": rows,
            "totals": add_up(rows), "not_submitted": [r["office"] for r in rows if r["days_missing"]]}


def add_up(reports: list[dict], peaks=sum) -> dict:
    """Reports added up, in bookings and in `people`: every count summed; peaks summed across
    offices (the most the region's halls held, each at its busiest), or `peaks=max` across the
    days of one office; refusals by reason summed; stays as the average weighted by completed
    visits, and the longest."""
    top: dict = {}
    people: dict = {}
    for target, unit in ((top, None), (people, "people")):
        figures = [r[unit] if unit else r for r in reports]
        for name in FIGURES:
            values = [f[name] for f in figures]
            target[name] = (peaks(values) if values else 0) if name == "peak_occupancy" else sum(values)
        target["cancelled_by"] = {who: sum(f["cancelled_by"][who] for f in figures) for who in CANCELLED_BY}
        target["refused"] = {}
        for f in figures:
            for reason, n in f["refused"].items():
                target["refused"][reason] = target["refused"].get(reason, 0) + n
        target["stay_minutes"] = _stay(figures)
    top["people"] = people
    return top


def _stay(figures: list[dict]) -> dict:
    done = sum(f["completed"] for f in figures)
    total = sum(f["stay_minutes"]["average"] * f["completed"] for f in figures)
    return {"average": round(total / done, 1) if done else 0,
            "longest": max((f["stay_minutes"]["longest"] for f in figures), default=0)}
