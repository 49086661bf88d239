"""Setting up a province: how long does `setup import` take for 200 offices and 1,000 services
with 15 days of slots, and re-importing it unchanged (issue 24)?

    .venv/bin/python bench/setup_import.py --db both [--offices 200] [--services 5] [--days 15]

On a temp database, in process (what `flask --app wsgi setup import` runs, without the click
wrapper): reads and checks the TOML, applies it (offices, services, hours, exceptions, slots),
then applies the same file again (nothing to change: every slot checked, none written), then
exports it. Reports wall time, the process's CPU time, SQL statements and slots made.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from sqlalchemy import event, func, select  # noqa: E402

from .common import bench_app, create_schema, dispose, temp_database  # noqa: E402

KINDS = ("marriage", "divorce", "farewell", "ash_collection", "tomb_sweeping", "cremation")
WEEK = '["09:00-12:00", "13:30-17:00"]'


def province(offices: int, services: int, days: int) -> str:
    """A setup file: a province, 10 cities, `offices` offices of `services` services each, open
    Monday to Friday with a lunch break and one exception each."""
    lines = ['[[regions]]\ncode = "sichuan"\nname_zh = "四川省"\nname_en = "Sichuan"\n']
    for city in range(10):
        lines.append(f'[[regions]]\ncode = "city-{city}"\nname_zh = "第{city}市"\nname_en = "City {city}"\n'
                     'parent = "sichuan"\n')
    for n in range(offices):
        lines.append(f'[[offices]]\ncode = "office-{n}"\nregion = "city-{n % 10}"\nname_zh = "第{n}号婚姻登记处"\n'
                     f'name_en = "Registry {n}"\naddress_zh = "人民路 {n} 号"\naddress_en = "{n} Renmin Road"\n'
                     'counters = ["1号窗口", "2号窗口"]\n')
        for m in range(services):
            kind = KINDS[m % len(KINDS)]
            lines.append(f'[[offices.services]]\ncode = "s{m}"\nkind = "{kind}"\nname_zh = "业务{m}"\n'
                         f'name_en = "Service {m}"\nslot_minutes = 30\nslot_max_bookings = 8\n'
                         f'slot_max_people = 16\nbooking_opens_days = {days - 1}\n'
                         f'hours = {{ mon = {WEEK}, tue = {WEEK}, wed = {WEEK}, thu = {WEEK}, fri = {WEEK} }}\n')
        lines.append('[[offices.exceptions]]\ndates = ["2027-05-20"]\nhours = ["09:00-12:00"]\n'
                     'reason_zh = "特别开放"\n')
    return "\n".join(lines)


def timed(app, fn) -> dict:
    """Run fn() in the app's context: wall and CPU seconds, SQL statements."""
    from booking.extensions import db

    statements = [0]

    def count(*_):
        statements[0] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        figures = {"seconds": round(time.perf_counter() - wall, 2), "cpu_seconds": round(time.process_time() - cpu, 2),
                   "statements": statements[0]}
        event.remove(db.engine, "before_cursor_execute", count)
        return {**figures, **(result or {})}


def run(kind: str, offices: int, services: int, days: int) -> dict:
    from booking.extensions import db
    from booking.models import Slot
    from booking.offices import setup, setup_file

    text = province(offices, services, days)
    now = dt.datetime(2026, 12, 7, 8, tzinfo=dt.UTC)  # a Monday morning: three weeks of weekdays
    with temp_database(kind) as url:
        app = bench_app(url)
        create_schema(app)

        def first():
            report = setup.apply(setup_file.read(text), now=now)
            return {"slots": db.session.scalar(select(func.count()).select_from(Slot)), "changes": len(report.changes)}

        def again():
            report = setup.apply(setup_file.read(text), now=now)
            return {"changed": report.changed}

        def export():
            return {"characters": len(setup_file.render(setup.export()))}

        results = {"import": timed(app, first), "reimport_unchanged": timed(app, again),
                   "export": timed(app, export)}
        dispose(app)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--offices", type=int, default=200)
    parser.add_argument("--services", type=int, default=5)
    parser.add_argument("--days", type=int, default=15)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = {"offices": args.offices, "services": args.offices * args.services, "days": args.days}
    for kind in kinds:
        results[kind] = run(kind, args.offices, args.services, args.days)
        print(kind, json.dumps(results[kind]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
