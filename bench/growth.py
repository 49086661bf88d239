"""Growth: do reads stay flat as bookings pile up? And how long do a year's slots take?

    .venv/bin/python bench/growth.py --db both --sizes 10000,100000,1000000

On a temp database: times slot generation for 50 offices x 365 days (and the idempotent
re-run), fills one measured day (every slot 8 couples), then grows the bookings stored
elsewhere in bulk SQL to each size and measures, in process (no HTTP), the availability API
for a week and the staff day-queue API for the measured day: latency percentiles and SQL
statements per request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from sqlalchemy import event, func, select, text  # noqa: E402

from .common import bench_app, create_schema, dispose, latency_summary, temp_database  # noqa: E402

OFFICES = 50
DAY_FILL = 8  # couples in each slot of the measured day
REPEAT = 200  # requests measured per size

NUMBERS_SQL = {"postgresql": "SELECT generate_series(CAST(:first AS INTEGER), CAST(:last AS INTEGER)) AS i",
               "sqlite": "WITH RECURSIVE r(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM r WHERE i < :last)"
                         " SELECT i FROM r"}
PHONE_SQL = {"postgresql": "'+86139' || lpad((n.i % 100000000)::text, 8, '0')",
             "sqlite": "'+86139' || substr('00000000' || n.i, -8)"}


def setup_offices(app) -> None:
    """50 registries, each with a marriage service open Monday to Friday 08:30-17:00."""
    from booking.accounts import create_staff
    from booking.extensions import db
    from booking.models import Office, OpeningHours, Service

    with app.app_context():
        for k in range(OFFICES):
            office = Office(code=f"o{k}", name_zh=f"登记处{k}", name_en=f"Registry {k}",
                            address_zh="人民路 1 号", address_en="1 Renmin Road")
            service = Service(office=office, code="marriage", kind="marriage", name_zh="结婚登记",
                              name_en="Marriage registration", party_size_min=2, party_size_max=2,
                              slot_minutes=30, slot_max_bookings=10, slot_max_people=20,
                              booking_opens_days=7, booking_closes_hours=2)
            service.hours = [OpeningHours(weekday=d, opens=dt.time(8, 30), closes=dt.time(17, 0))
                             for d in range(5)]
            db.session.add(office)
        db.session.commit()
        create_staff("bench-admin", "bench-password-123456", "admin", None)


def time_slot_generation(app) -> dict:
    from booking import scheduling
    from booking.extensions import db
    from booking.models import utcnow

    with app.app_context():
        first = utcnow().date()
        last = first + dt.timedelta(days=364)
        started = time.perf_counter()
        created = scheduling.generate_all(first, last)
        db.session.commit()
        took = time.perf_counter() - started
        started = time.perf_counter()
        again = scheduling.generate_all(first, last)
        db.session.commit()
        return {"slots": created, "seconds": round(took, 2), "rerun_created": again,
                "rerun_seconds": round(time.perf_counter() - started, 2)}


def measured_day(app) -> tuple[dt.date, list[int]]:
    """A weekday 3-7 days ahead at office o0 (bookable now), and its slot ids."""
    from booking.extensions import db
    from booking.models import Office, Slot, utcnow

    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.code == "o0"))
        day = utcnow().astimezone(office.tz).date() + dt.timedelta(days=3)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(0), tzinfo=office.tz)
        ids = db.session.scalars(select(Slot.id).where(
            Slot.office_id == office.id, Slot.starts_at >= start,
            Slot.starts_at < start + dt.timedelta(days=1))).all()
        return day, list(ids)


def insert_bookings(app, count: int, first_n: int, slots_table: str) -> int:
    """`count` bookings with two visitors each, spread round-robin over the slots listed in
    slots_table (id, rn); numbered from first_n. Returns how many rows went in."""
    from booking.extensions import db

    with app.app_context():
        dialect = db.engine.dialect.name
        before = db.session.scalar(text("SELECT COALESCE(MAX(id), 0) FROM booking"))
        db.session.execute(text(f"""
            INSERT INTO booking (reference, token_salt, token_hash, slot_id, service_id, office_id, phone,
                                 lang, party_size, status, source, created_at, updated_at, ics_sequence)
            SELECT 'G' || n.i, 'salt', 'hash', s.id, s.service_id, s.office_id, {PHONE_SQL[dialect]},
                   'zh', 2, CASE WHEN n.i % 10 = 0 THEN 'cancelled' ELSE 'booked' END, 'web',
                   CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0
            FROM ({NUMBERS_SQL[dialect]}) AS n
            JOIN {slots_table} t ON t.rn = n.i % (SELECT COUNT(*) FROM {slots_table}) + 1
            JOIN slot s ON s.id = t.id"""), {"first": first_n, "last": first_n + count - 1})
        for position, name in ((0, "张伟"), (1, "王芳")):
            db.session.execute(text(
                "INSERT INTO visitor (booking_id, position, name, id_type, id_masked, id_hash)"
                " SELECT id, :pos, :name, 'resident_id', '110***********123X', 'bulk-' || id || '-' || :pos"
                " FROM booking WHERE id > :before"), {"pos": position, "name": name, "before": before})
        db.session.execute(text(
            f"UPDATE slot SET booked_bookings = c.n, booked_people = 2 * c.n FROM (SELECT slot_id, COUNT(*) AS n"
            f" FROM booking WHERE status = 'booked' GROUP BY slot_id) AS c"
            f" WHERE slot.id = c.slot_id AND slot.id IN (SELECT id FROM {slots_table})"))
        db.session.commit()
        if dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does for a live table
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        return db.session.scalar(text("SELECT COUNT(*) FROM booking WHERE id > :b"), {"b": before})


def slot_list(app, name: str, ids: list[int], exclude: bool) -> None:
    """A work table (id, rn) of the given slot ids, or of every slot but them."""
    from booking.extensions import db

    with app.app_context():
        db.session.execute(text(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, rn INTEGER UNIQUE)"))
        listed = ", ".join(str(int(i)) for i in ids) or "0"
        db.session.execute(text(
            f"INSERT INTO {name} (id, rn) SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM slot"
            f" WHERE id {'NOT IN' if exclude else 'IN'} ({listed})"))
        db.session.commit()


def measure(app, day: dt.date, token: str) -> dict:
    """Latency and statements per request of the two reads, REPEAT times each, in process."""
    from booking.extensions import db

    client = app.test_client()
    first, last = day - dt.timedelta(days=3), day + dt.timedelta(days=3)
    week = f"/api/v1/availability?office=o0&service=marriage&from={first}&to={last}"
    queue = f"/api/v1/staff/queue?office=o0&date={day}"
    auth = {"Authorization": f"Bearer {token}"}
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
    result = {}
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does in each worker once the app is loaded
    try:
        for name, path, headers in (("availability_week", week, {}), ("day_queue", queue, auth)):
            for _ in range(5):
                warm = client.get(path, headers=headers)
                assert warm.status_code == 200, warm.get_data(as_text=True)[:300]
            statements.clear()
            latencies = []
            for _ in range(REPEAT):
                started = time.perf_counter()
                answer = client.get(path, headers=headers)
                latencies.append(time.perf_counter() - started)
            rows = answer.json.get("slots", answer.json.get("bookings"))
            result[name] = {**latency_summary(latencies), "rows": len(rows),
                            "statements_per_request": round(len(statements) / REPEAT, 1)}
    finally:
        gc.unfreeze()
    return result


def run(kind: str, sizes: list[int]) -> dict:
    from booking.accounts import issue_token
    from booking.extensions import db
    from booking.models import Booking, StaffUser

    with temp_database(kind) as url:
        # Every availability request computed afresh: the cost when the micro-cache is cold.
        app = bench_app(url, AVAILABILITY_CACHE_SECONDS=0)
        create_schema(app)
        setup_offices(app)
        report = {"slot_generation": time_slot_generation(app), "sizes": {}}
        day, ids = measured_day(app)
        slot_list(app, "bench_day", ids, exclude=False)
        slot_list(app, "bench_rest", ids, exclude=True)
        insert_bookings(app, DAY_FILL * len(ids), 1, "bench_day")
        with app.app_context():
            token = issue_token(db.session.scalar(select(StaffUser)))
        next_n = 10_000_000
        for size in sizes:
            with app.app_context():
                stored = db.session.scalar(select(func.count(Booking.id)))
            started = time.perf_counter()
            next_n += insert_bookings(app, size - stored, next_n, "bench_rest")
            took = time.perf_counter() - started
            report["sizes"][size] = {"insert_seconds": round(took, 1), **measure(app, day, token)}
            print(kind, size, json.dumps(report["sizes"][size]), flush=True)
        dispose(app)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {kind: run(kind, sizes) for kind in
               (("sqlite", "postgres") if args.db == "both" else (args.db,))}
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
