"""Where a rush request's CPU goes: the hot requests through the whole WSGI app, in process.

    .venv/bin/python -m bench.profile_requests --db postgres --n 300 [--profile]

On a throw-away database with the popular day of bench/scenario.py it sends N requests of each
hot kind through the Flask app as gunicorn would call it (each WSGI environ built beforehand,
the whole stack run: request hooks, rate-limit decorators, metrics, JSON), and reports per
request the statements sent, the process's CPU and wall time (PostgreSQL's CPU is not in it:
it runs in its own processes). `--profile` adds a cProfile of the bookings grouped by package
(sqlalchemy, psycopg, flask/werkzeug, booking, ...): docs/benchmarks.md has the tables.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `booking` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from sqlalchemy import event  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from .common import bench_app, couple, create_schema, dispose, phone, temp_database  # noqa: E402
from .scenario import load_popular_day, verify_in_process  # noqa: E402

KINDS = ("booking", "availability", "phone_verification", "statements")
PACKAGES = ("sqlalchemy", "psycopg", "flask", "werkzeug", "flask_limiter", "limits",
            "prometheus_client", "jinja2", "json", "stdnum", "phonenumbers", "booking")


def _package(filename: str) -> str:
    """The package a profiled function belongs to (site-packages, the product or the stdlib)."""
    parts = Path(filename).parts
    for name in PACKAGES:
        if name in parts:
            return name
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    return "python" if filename.startswith(("<", "~")) or "lib/python" in filename else "other"


def by_package(profile: cProfile.Profile) -> dict[str, float]:
    """Own time (tottime) per package, as a share of the whole."""
    totals: Counter = Counter()
    for (filename, _, _), (_, _, tottime, _, _) in pstats.Stats(profile).stats.items():
        totals[_package(filename)] += tottime
    whole = sum(totals.values()) or 1.0
    return {name: round(100 * value / whole, 1) for name, value in totals.most_common()}


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.count += 1


def measure(app, requests, profile: cProfile.Profile | None = None) -> dict:
    """Send each (method, url, json) once; CPU and wall per request in ms and statuses.

    Each request's WSGI environ is built before the clock starts and the app is called as
    gunicorn calls it (environ, start_response, the body iterated), so the figures hold the
    server's work and not a test client's."""
    environs = [EnvironBuilder(url, method=method, json=body).get_environ()
                for method, url, body in requests]
    statuses: Counter = Counter()

    def start_response(status, headers, exc_info=None):
        statuses[int(status[:3])] += 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for environ in environs:
        answer = app(environ, start_response)
        for _ in answer:
            pass
        getattr(answer, "close", lambda: None)()
    if profile:
        profile.disable()
    n = max(len(requests), 1)
    return {"cpu_ms": round(1000 * (time.process_time() - cpu0) / n, 3),
            "wall_ms": round(1000 * (time.perf_counter() - wall0) / n, 3),
            "statuses": dict(statuses)}


def statements_alone(app, popular, citizens: list[int]) -> dict:
    """The floor under a booking request: its six statements and the commit, as bookings.book()
    sends them on PostgreSQL (booking.prepared, the session's transaction), with every value
    made beforehand: no HTTP, no Flask request, no rule, no hashing, no text. CPU and wall ms
    per booking, in this process."""
    import json
    import secrets

    from booking import verification
    from booking.bookings import places, rules
    from booking.extensions import db
    from booking.models import utcnow

    with app.app_context():
        service_id, office_id = db.session.execute(
            db.text("SELECT service_id, office_id FROM slot WHERE id = :id"), {"id": popular.slot_ids[0]}).one()
    now = utcnow()
    jobs = []
    for i, n in enumerate(citizens):
        hashes = [secrets.token_hex(32), secrets.token_hex(32)]
        people = json.dumps([{"position": k, "name": "张伟", "id_type": "resident_id",
                              "id_masked": "1101**********0011", "id_hash": h} for k, h in enumerate(hashes)])
        jobs.append((popular.slot_ids[i % len(popular.slot_ids)], phone(n), hashes, dict(
            reference=secrets.token_hex(4).upper(), token_salt=secrets.token_hex(8), token_hash=secrets.token_hex(32),
            service_id=service_id, office_id=office_id, phone=phone(n), lang="zh", party_size=2, source="api",
            now=now, arrive_from=None, arrive_until=None, held_bookings=0, held_people=0, visitors=people,
            day=popular.day, texted=True,
            text_kind="booked",
            text_params='{"reference": "ABCD2345"}', text_sealed=None, written=now, actor="citizen",
            action="booked", detail='{"source": "api"}', code=secrets.token_hex(16), staff_user_id=None)))
    with app.app_context():
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for slot_id, number, hashes, values in jobs:
            rules._SLOT_SEEN.first(slot_id=slot_id)
            verification._SPEND_TRY.scalar(v_id=values["code"], v_phone=number, v_now=now)
            rules._LOCK_KEYS.all(keys=[f"bookings-of-phone:{number}"], timeout="5000ms")
            rules._CLAIMS_OF_PEOPLE.all(hashes=hashes, service_id=service_id, day=popular.day)
            rules._ACTIVE_BOOKINGS_OF_PHONE.scalar(phone=number, now=now)
            places._WRITE_BOOKING.first(slot_id=slot_id, **values)
            db.session.commit()
        n = max(len(jobs), 1)
        return {"cpu_ms": round(1000 * (time.process_time() - cpu0) / n, 3),
                "wall_ms": round(1000 * (time.perf_counter() - wall0) / n, 3)}


def run(kind: str, n: int, with_profile: bool, only: tuple[str, ...] = KINDS, sort: str = "tottime") -> dict:
    with temp_database(kind) as url:
        app = bench_app(url)
        create_schema(app)
        # Room for every booking of the three passes (measured, statements alone, profiled),
        # each with citizens of its own and each starting at the first slot: a pass that found
        # the slots full would measure refusals.
        popular = load_popular_day(app, "prof", 48, (3 * n) // 48 + 4)
        citizens = list(range(10_000, 10_000 + 3 * n))
        proofs = verify_in_process(app, [phone(c) for c in citizens])
        day = popular.day.isoformat()
        from booking.extensions import db

        with app.app_context():
            counter = StatementCounter(db.engine)

        def bookings(people):
            return [("POST", "/api/v1/bookings",
                     {"slot_id": popular.slot_ids[i % len(popular.slot_ids)], "phone": phone(c),
                      "verification_id": proofs[phone(c)][0], "code": proofs[phone(c)][1],
                      "visitors": couple(c), "lang": "zh"}) for i, c in enumerate(people)]

        availability = [("GET", f"/api/v1/availability?office=prof&service=marriage&from={day}&to={day}",
                         None)] * n
        verifications = [("POST", "/api/v1/phone-verifications", {"phone": phone(9_000_000 + i)})
                         for i in range(n)]
        result = {}
        measure(app, bookings(citizens[:20]))  # warm: caches, pool, prepared statements
        gc.freeze()  # as gunicorn.conf.py does in each worker once the app is loaded
        for name, requests in (("booking", bookings(citizens[20:n])),
                               ("availability", availability),
                               ("phone_verification", verifications)):
            if name not in only:
                continue
            before = counter.count
            result[name] = measure(app, requests)
            result[name]["statements"] = round((counter.count - before) / len(requests), 2)
        if "statements" in only:
            result["statements_alone"] = statements_alone(app, popular, citizens[n:2 * n])
        if with_profile:
            profile = cProfile.Profile(time.process_time)  # CPU, not the wait for PostgreSQL
            result["booking_profile_statuses"] = measure(app, bookings(citizens[2 * n:3 * n]), profile)["statuses"]
            result["booking_profile"] = by_package(profile)
            stats = pstats.Stats(profile)
            stats.sort_stats(sort).print_stats(30)
        dispose(app)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--n", type=int, default=300, help="requests of each kind")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="the profile's order: tottime, cumulative")
    parser.add_argument("--only", choices=KINDS, action="append", help="measure only these kinds")
    args = parser.parse_args(argv)
    result = run(args.db, args.n, args.profile, tuple(args.only or KINDS), args.sort)
    for name, figures in result.items():
        print(name, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
