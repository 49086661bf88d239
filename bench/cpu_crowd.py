"""What a booking costs the server: CPU per attempt in a crowd with no think time, on PostgreSQL.

    .venv/bin/python -m bench.cpu_crowd                  # ~1 min on 2 cores
    .venv/bin/python -m bench.cpu_crowd --json out.json --pgbench-seconds 5

Two crowds, each against the product under gunicorn (gunicorn.conf.py, loopback, rate limits
off, console SMS) on a throw-away PostgreSQL database, with phones verified beforehand:

- **quota**: 48 keep-alive clients race for one quota of 240 places (one slot taking 240
  bookings) with 370 citizens, one booking attempt each, no think time: the shape used to
  compare with other systems (pretix's own benchmark crowd). Reports attempts/s.
- **rush**: 48 clients, no think time, a day with room for everyone: each citizen reads the
  day's availability and books, so every attempt books. Reports CPU per booking.

For each: the gunicorn processes' own CPU (master and workers, from /proc) and PostgreSQL's
(the postmaster and all its processes) over the crowd, per attempt; bookings per second per web
core used; each worker's resident memory afterwards; the invariants (no slot over its limits,
counters equal bookings, every 201 stored); and, in the same run, the ceilings: the booking's
SQL alone through pgbench (bench/booking_lean.pgbench, the statements sent now, on the rush's
slots and on one slot as the quota's crowd queues on it; bench/booking.pgbench, those the ORM
sent before issue 19), and the framework's floor: the CPU gunicorn and Flask spend on a request
to an endpoint that does nothing (bench/trivial_app.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `booking` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

import aiohttp  # noqa: E402

from .ceilings import ORM_SCRIPT, framework_ceiling, hammer_with_cpu, sql_ceiling  # noqa: E402
from .common import (  # noqa: E402
    bench_app,
    children,
    couple,
    cpu_seconds,
    cpu_split,
    create_schema,
    dispose,
    free_port,
    gunicorn,
    latency_summary,
    phone,
    postgres_pids,
    rss_mb,
    server_env,
    temp_database,
)
from .load import Crowd, Tally, hammer, rush, verify_phones  # noqa: E402
from .scenario import check_invariants, codes_by_phone, load_popular_day  # noqa: E402

QUOTA_FROM, RUSH_FROM = 3_000_000, 3_100_000  # citizen numbers no other run uses (common.couple)


async def quota_rush(base_url: str, slot_id: int, proofs: dict[int, tuple[str, str]],
                     clients: int) -> Tally:
    """Every citizen tries once to book the one slot; `clients` keep-alive connections."""
    tally = Tally()
    queue = list(proofs)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def client():
            while queue:
                n = queue.pop()
                verification_id, code = proofs[n]
                body = {"slot_id": slot_id, "phone": phone(n), "verification_id": verification_id,
                        "code": code, "visitors": couple(n), "lang": "zh"}
                started = time.monotonic()
                try:
                    async with session.post(base_url + "/api/v1/bookings", json=body) as answer:
                        payload = await answer.json(content_type=None)
                        tally.record("booking", started, f"{answer.status} {payload.get('error', '')}".strip())
                        if answer.status == 201:
                            tally.created[payload["reference"]] = payload["slot"]["id"]
                            tally.last_201_at = time.monotonic()
                except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                    tally.record("booking", started, f"exception {type(exc).__name__}")
        tally.first_at = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
    tally.ended_at = time.monotonic()
    return tally


def measured(server, database_url: str, crowd) -> tuple[Tally, dict]:
    """Run the crowd (a coroutine factory) and what the web and database processes spent."""
    web = [server.process.pid, *children(server.process.pid)]
    database = postgres_pids(database_url)
    web0, db0, load0 = cpu_split(web), cpu_seconds(database), os.getloadavg()[0]
    client0 = time.process_time()
    started = time.monotonic()
    tally = asyncio.run(crowd())
    elapsed = time.monotonic() - started
    client = time.process_time() - client0
    web1 = cpu_split(web)
    spent = {"elapsed_s": round(elapsed, 3), "web_cpu_s": round(sum(web1) - sum(web0), 3),
             "web_system_share": round((web1[1] - web0[1]) / max(sum(web1) - sum(web0), 1e-9), 2),
             "db_cpu_s": round(cpu_seconds(database) - db0, 3),
             "load_generator_cpu_s": round(client, 3),
             "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)],
             "worker_rss_mb": [rss_mb(pid) for pid in children(server.process.pid)]}
    return tally, spent


def figures(tally: Tally, spent: dict, attempts: int, workers: int) -> dict:
    booked = len(tally.created)
    elapsed = spent["elapsed_s"]
    return {
        **spent, "attempts": attempts, "booked": booked,
        "attempts_per_s": round(attempts / elapsed, 1), "bookings_per_s": round(booked / elapsed, 1),
        "web_cpu_ms_per_attempt": round(1000 * spent["web_cpu_s"] / attempts, 2),
        "db_cpu_ms_per_attempt": round(1000 * spent["db_cpu_s"] / attempts, 2),
        "load_generator_cpu_ms_per_attempt": round(1000 * spent["load_generator_cpu_s"] / attempts, 2),
        "web_cpu_ms_per_booking": round(1000 * spent["web_cpu_s"] / max(booked, 1), 2),
        # bookings a second that one fully used web core would make at this cost
        "bookings_per_web_core_s": round(booked / max(spent["web_cpu_s"], 1e-9), 1),
        "web_cores_used": round(spent["web_cpu_s"] / elapsed, 2), "workers": workers,
        "booking_latency_ms": latency_summary(tally.latency["booking"]),
        "availability_latency_ms": latency_summary(tally.latency["availability"]),
        "statuses": dict(sorted(tally.statuses.items())),
    }


def run(args) -> dict:
    result: dict = {"cpus": os.cpu_count(), "clients": args.clients}
    with temp_database("postgres") as url, tempfile.TemporaryDirectory(prefix="bench-logs-") as logs:
        app = bench_app(url)
        create_schema(app)
        quota = load_popular_day(app, "quota", 1, args.quota)
        day = load_popular_day(app, "rush", args.rush_slots, 10)
        quota_citizens = range(QUOTA_FROM, QUOTA_FROM + args.quota_citizens)
        rush_citizens = range(RUSH_FROM, RUSH_FROM + args.rush_citizens)
        extra = {"WEB_CONCURRENCY": str(args.workers), "GUNICORN_THREADS": str(args.threads)}
        env = server_env(url, free_port(), extra)
        with gunicorn("wsgi:app", env, "/healthz", Path(logs)) as server:
            everyone = [*quota_citizens, *rush_citizens]
            ids = asyncio.run(verify_phones(server.url, everyone))
            codes = codes_by_phone(app, [phone(n) for n in everyone])
            proofs = {n: (ids[n], codes[phone(n)]) for n in everyone}
            asyncio.run(hammer(server.url + "/healthz", 20, 0.5))  # every worker connected
            tally, spent = measured(server, url, lambda: quota_rush(
                server.url, quota.slot_ids[0], {n: proofs[n] for n in quota_citizens}, args.clients))
            result["quota"] = figures(tally, spent, len(quota_citizens), args.workers)
            result["quota"]["invariants"] = _invariants(app, quota, tally, len(quota_citizens))
            crowd = Crowd(server.url, day.office, day.service, day.day.isoformat(),
                          {n: proofs[n] for n in rush_citizens}, args.clients, 120, think_s=0.0)
            tally, spent = measured(server, url, lambda: rush(crowd))
            result["rush"] = figures(tally, spent, len(rush_citizens), args.workers)
            result["rush"]["invariants"] = _invariants(app, day, tally, len(rush_citizens))
            if args.pgbench_seconds:
                result["rush"]["posts"] = _posts_alone(server, day, result["rush"], args.clients,
                                                        args.pgbench_seconds)
        if args.pgbench_seconds:
            seconds, best = args.pgbench_seconds, [1, args.workers, args.workers * args.threads]
            result["sql_ceiling"] = sql_ceiling(url, best, seconds, args.rush_slots)
            result["sql_ceiling_orm"] = sql_ceiling(url, best, seconds, args.rush_slots, ORM_SCRIPT, "pgbench_orm")
            # the quota's shape: every client queues on one slot's row
            result["quota_sql_ceiling"] = sql_ceiling(url, [1, args.workers * args.threads, args.clients],
                                                      seconds, 1, office_code="pgbench_quota")
            result["rush_ratio_to_sql"] = round(
                result["rush"]["bookings_per_s"] / result["sql_ceiling"]["bookings_per_s"], 3)
            result["quota_ratio_to_sql"] = round(
                result["quota"]["attempts_per_s"] / result["quota_sql_ceiling"]["bookings_per_s"], 3)
            result["framework_floor"] = framework_ceiling(args.clients, seconds, free_port(), extra, Path(logs))
        dispose(app)
    return result


def _posts_alone(server, day, rush_figures: dict, clients: int, seconds: float) -> dict:
    """The rush's CPU split by request: its day's availability (the same cached answer) asked
    alone by `clients` for `seconds`, CPU per request; what is left of the rush's web CPU is
    its booking posts' (201s and 409s)."""
    path = (f"/api/v1/availability?office={day.office}&service={day.service}"
            f"&from={day.day.isoformat()}&to={day.day.isoformat()}")
    per_read = hammer_with_cpu(server, path, clients, seconds)[3] / 1000
    statuses = rush_figures["statuses"]
    reads = sum(n for status, n in statuses.items() if status.startswith("availability"))
    posts = sum(n for status, n in statuses.items() if status.startswith("booking"))
    return {"availability_cpu_ms_per_request": round(1000 * per_read, 3),
            "post_cpu_ms_per_request": round(1000 * (rush_figures["web_cpu_s"] - reads * per_read) / max(posts, 1), 3),
            "posts_per_booking": round(posts / max(rush_figures["booked"], 1), 2),
            "availability_reads_per_booking": round(reads / max(rush_figures["booked"], 1), 2)}


def _invariants(app, popular, tally: Tally, demand: int) -> dict:
    checks = {name: ok for name, (ok, _) in check_invariants(app, popular, tally.created, demand).items()}
    checks["no_5xx"] = tally.server_errors == 0
    return checks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=48)
    parser.add_argument("--quota", type=int, default=240, help="places in the one quota")
    parser.add_argument("--quota-citizens", type=int, default=370, help="attempts at the quota")
    parser.add_argument("--rush-slots", type=int, default=48, help="slots of 10 places in the rush's day")
    parser.add_argument("--rush-citizens", type=int, default=400, help="citizens in the rush")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pgbench-seconds", type=float, default=5.0, help="0 skips the SQL ceiling")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    failed = [f"{crowd}.{name}" for crowd in ("quota", "rush")
              for name, ok in result[crowd]["invariants"].items() if not ok]
    if failed:
        print("FAILED:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
