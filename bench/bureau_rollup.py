"""The bureau's roll-up of a city's daily reports: a month of bookings in 50 offices, read for
one day and for 31 days, by the grouped roll-up (booking/bureau/rollup.py) and, for comparison,
office by office and day by day (booking/hall/reports.daily_report, what opening 50 office
pages means). Prints the SELECT statements and time of each (the grouped one as the API answers
it: offices, figures, submissions, totals), and checks both give the same figures. Then the
region's busy days ahead (booking/busy/days.py, the bureau's busy-days page) a year after the
month, whose notable days look back at it: statements, wall and CPU seconds.

    .venv/bin/python bench/bureau_rollup.py --db postgres --offices 50 --days 31   # ~2 min

The month: each office has one service with 16 half-hour slots a day and `--per-slot` parties in
each (two people), most checked in and completed, some no-shows, cancellations by citizens and
by the release of unconfirmed bookings, walk-ins, a refusal at the door a day, and 70 % of the
office days submitted. Data goes in with bulk inserts on a throw-away database (bench/common.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select  # noqa: E402

from bench.common import bench_app, create_schema, dispose, temp_database  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=8))  # the offices' zone: Asia/Shanghai, without DST
SLOTS_A_DAY = 16


def populate(app, offices: int, days: int, per_slot: int, last_day: dt.date) -> dict:
    """The region, its offices, a month of slots and bookings; returns counts."""
    from booking.extensions import db
    from booking.models import Booking, DailySubmission, DoorRefusal, Office, Region, Service, Slot, StaffUser

    with app.app_context():
        region = Region(code="city", name_zh="某市", name_en="City")
        db.session.add(region)
        db.session.flush()
        staff = StaffUser(username="bench", password_hash="x", role="admin")
        db.session.add(staff)
        rows = [Office(code=f"office-{n:03d}", region_id=region.id, name_zh=f"第{n}登记处", name_en=f"Registry {n}",
                       address_zh="某路", address_en="Some Road", timezone="Asia/Shanghai") for n in range(offices)]
        db.session.add_all(rows)
        db.session.flush()
        services = [Service(office_id=o.id, code="marriage", kind="marriage", name_zh="结婚登记",
                            name_en="Marriage registration", party_size_min=2, party_size_max=2, slot_minutes=30,
                            slot_max_bookings=per_slot, slot_max_people=2 * per_slot, booking_opens_days=7,
                            booking_closes_hours=2) for o in rows]
        db.session.add_all(services)
        db.session.flush()
        first_day = last_day - dt.timedelta(days=days - 1)
        slots = []
        for service in services:
            for d in range(days):
                day = first_day + dt.timedelta(days=d)
                for k in range(SLOTS_A_DAY):
                    start = dt.datetime.combine(day, dt.time(9), tzinfo=TZ) + dt.timedelta(minutes=30 * k)
                    slots.append({"service_id": service.id, "office_id": service.office_id, "starts_at": start,
                                  "ends_at": start + dt.timedelta(minutes=30), "max_bookings": per_slot,
                                  "max_people": 2 * per_slot, "booked_bookings": per_slot,
                                  "booked_people": 2 * per_slot, "status": "open"})
        db.session.execute(insert(Slot), slots)
        slot_rows = db.session.execute(select(Slot.id, Slot.service_id, Slot.office_id, Slot.starts_at)).all()
        bookings = [_booking(n, i, row) for n, row in enumerate(slot_rows) for i in range(per_slot)]
        for start in range(0, len(bookings), 20_000):
            db.session.execute(insert(Booking), bookings[start:start + 20_000])
        refusals = [{"office_id": o.id, "at": dt.datetime.combine(first_day + dt.timedelta(days=d), dt.time(10),
                                                                 tzinfo=TZ), "reason": "fever",
                     "staff_user_id": staff.id, "detail": {"party": 2}} for o in rows for d in range(days)]
        db.session.execute(insert(DoorRefusal), refusals)
        submitted = [{"office_id": o.id, "day": first_day + dt.timedelta(days=d), "incident": (n + d) % 9 == 0,
                      "note": "", "submitted_at": dt.datetime.combine(first_day + dt.timedelta(days=d),
                                                                      dt.time(18), tzinfo=TZ),
                      "submitted_by_id": staff.id}
                     for n, o in enumerate(rows) for d in range(days) if (n + d) % 10 < 7]
        db.session.execute(insert(DailySubmission), submitted)
        db.session.commit()
        _analyze(db)
        return {"offices": offices, "days": days, "slots": len(slots), "bookings": len(bookings),
                "refusals": len(refusals), "submissions": len(submitted)}


def _booking(n: int, i: int, row) -> dict:
    """The i-th party of the n-th slot: mostly completed visits, with the usual exceptions."""
    slot_id, service_id, office_id, starts_at = row
    kind = (n * 7 + i) % 20
    values = {"reference": f"B{n:07d}{i:02d}", "token_salt": "s", "token_hash": "h", "slot_id": slot_id,
              "service_id": service_id, "office_id": office_id, "phone": f"+8613{n % 10**9:09d}", "lang": "zh",
              "party_size": 2, "status": "completed", "source": "walk_in" if kind == 3 else "web",
              "created_at": starts_at - dt.timedelta(days=3), "updated_at": starts_at, "ics_sequence": 0,
              "confirmed_at": starts_at - dt.timedelta(days=1) if kind % 2 else None}
    if kind in (0, 1):
        values.update(status="cancelled", cancelled_by="citizen" if kind == 0 else "auto_release",
                      cancelled_at=starts_at - dt.timedelta(hours=5))
    elif kind == 2:
        values.update(status="no_show")
    else:
        arrived = starts_at + dt.timedelta(minutes=3 * i)
        values.update(checked_in_at=arrived, called_at=arrived + dt.timedelta(minutes=5),
                      completed_at=arrived + dt.timedelta(minutes=15 + kind))
    return values


def _analyze(db) -> None:
    from sqlalchemy import text

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def counted(run) -> tuple[object, int, float]:
    """(result, SELECT statements, seconds) of one call, in the app context."""
    from booking.extensions import db

    count = [0]

    def seen(_conn, _cursor, statement, *_):
        count[0] += statement.lstrip().upper().startswith("SELECT")

    event.listen(db.engine, "before_cursor_execute", seen)
    began = time.perf_counter()
    try:
        result = run()
    finally:
        seconds = time.perf_counter() - began
        event.remove(db.engine, "before_cursor_execute", seen)
    return result, count[0], seconds


def say(what: str) -> None:
    print(time.strftime("%H:%M:%S"), what, file=sys.stderr, flush=True)


def measure(app, first: dt.date, last: dt.date, naive: bool, repeat: int) -> dict:
    """The roll-up of first..last (best of `repeat`), and office by office if `naive`; checks
    that both give the same figures."""
    from booking.bureau import report, rollup
    from booking.bureau.regions import region_by_code, region_offices
    from booking.extensions import db
    from booking.hall import reports

    now = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(12), tzinfo=TZ)
    with app.app_context():
        region = region_by_code("city")
        whole = (lambda: report.region_day(region, first, now)) if first == last else (
            lambda: report.region_range(region, first, last, now))
        runs = [counted(whole) for _ in range(repeat)]  # what the API and the page answer
        result = {"days": (last - first).days + 1, "grouped": {"queries": runs[0][1],
                                                              "seconds": round(min(r[2] for r in runs), 3)}}
        offices = region_offices(region)
        grouped = rollup.rollup(offices, first, last, now)
        if naive:
            db.session.expire_all()
            per_office, queries, seconds = counted(
                lambda: {o.id: reports.range_report(o, first, last, now) for o in offices})
            result["office_by_office"] = {"queries": queries, "seconds": round(seconds, 3)}
            same = all(grouped[(o.id, dt.date.fromisoformat(r["date"]))] == r
                       for o in offices for r in per_office[o.id])
            result["same_figures"] = same
            result["speed_up"] = round(seconds / max(result["grouped"]["seconds"], 1e-6), 1)
        return result


def busy(app, today: dt.date, repeat: int) -> dict:
    """The region's busy days after `today` (best of `repeat`): statements, seconds, CPU seconds."""
    from booking.bureau.regions import region_by_code, region_offices
    from booking.busy import days as busy_days

    with app.app_context():
        offices = region_offices(region_by_code("city"))
        runs = []
        for _ in range(repeat):
            cpu = time.process_time()
            found, queries, seconds = counted(lambda: busy_days.busy_days(offices, today))
            runs.append((queries, seconds, time.process_time() - cpu))
        known = sum(item.bookings_then is not None for item in found)
        return {"today": today.isoformat(), "days_listed": len(found), "with_a_year_before": known,
                "queries": runs[0][0], "seconds": round(min(r[1] for r in runs), 3),
                "cpu_seconds": round(min(r[2] for r in runs), 3)}


def run(kind: str, offices: int, days: int, per_slot: int, naive: bool, repeat: int,
        naive_month: bool = True) -> dict:
    last = dt.date(2026, 11, 30)
    with temp_database(kind) as url:
        app = bench_app(url)
        try:
            create_schema(app)
            began = time.perf_counter()
            data = populate(app, offices, days, per_slot, last)
            data["load_seconds"] = round(time.perf_counter() - began, 1)
            say(f"loaded {data}")
            one_day = measure(app, last, last, naive, repeat)
            say(f"one day {one_day}")
            month = measure(app, last - dt.timedelta(days=days - 1), last, naive and naive_month, repeat)
            say(f"month {month}")
            ahead = busy(app, last - dt.timedelta(days=days) + dt.timedelta(days=365), repeat)
        finally:
            dispose(app)
    return {"db": kind, "data": data, "one_day": one_day, "month": month, "busy_days": ahead}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--offices", type=int, default=50)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--per-slot", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-naive", action="store_true", help="Skip the office-by-office comparison.")
    parser.add_argument("--naive-day-only", action="store_true",
                        help="Compare office by office for the one day only (the month that way is slow).")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = run(args.db, args.offices, args.days, args.per_slot, not args.no_naive, args.repeat,
                  not args.naive_day_only)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    checks = [results[k].get("same_figures", True) for k in ("one_day", "month")]
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
