"""The two ceilings our booking rate is measured against, on the same machine and setup.

- framework: a Flask endpoint that does nothing (bench/trivial_app.py), served by the same
  gunicorn config and loaded by the same client code: what HTTP + gunicorn + Flask cost.
- database: the booking transaction alone, bookings.book() called in a tight loop by as many
  processes as gunicorn has workers, no HTTP: what the database and our domain code cost.
- SQL (PostgreSQL): the same transaction's statements alone, run by pgbench: what PostgreSQL
  itself can do on this machine, with no Python at all. bench/booking_lean.pgbench is the
  booking as it is sent now (issue 19); bench/booking.pgbench as the ORM sent it before.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import re
import subprocess
import time
from pathlib import Path

from .common import bench_app, children, couple, cpu_seconds, dispose, gunicorn, latency_summary, phone, server_env
from .load import hammer
from .scenario import load_popular_day, verify_in_process

CEILING_CITIZENS_FROM = 1_000_000  # citizen numbers of the database ceiling (own phones and people)


def framework_ceiling(clients: int, seconds: float, port: int, env_extra: dict, log_dir: Path) -> dict:
    """Requests per second of the trivial endpoint under the crowd's concurrency, and the CPU
    the gunicorn processes spend on each: the floor under every request of ours."""
    env = server_env("sqlite:///unused.db", port, env_extra)
    with gunicorn("bench.trivial_app:app", env, "/ping", log_dir) as server:
        asyncio.run(hammer(server.url + "/ping", min(clients, 20), 1.0))  # warm up
        elapsed, latencies, statuses, cpu_ms = hammer_with_cpu(server, "/ping", clients, seconds)
    return {"requests_per_s": round(len(latencies) / elapsed, 1), "latency_ms": latency_summary(latencies),
            "web_cpu_ms_per_request": round(cpu_ms, 3), "statuses": dict(statuses)}


def hammer_with_cpu(server, path: str, clients: int, seconds: float):
    """load.hammer on the server's `path`, and the CPU its gunicorn processes spent per request
    (ms): (elapsed, latencies, statuses, cpu_ms)."""
    web = [server.process.pid, *children(server.process.pid)]
    cpu0 = cpu_seconds(web)
    elapsed, latencies, statuses = asyncio.run(hammer(server.url + path, clients, seconds))
    return elapsed, latencies, statuses, 1000 * (cpu_seconds(web) - cpu0) / max(len(latencies), 1)


def database_ceiling(database_url: str, processes: int, slots: int, per_slot: int) -> dict:
    """The better of one process and `processes` processes (one writer is SQLite's best case):
    see _database_ceiling."""
    runs = [_database_ceiling(database_url, n, slots, per_slot, f"ceiling{n}")
            for n in sorted({1, processes})]
    best = max(runs, key=lambda run: run["bookings_per_s"])
    return {**best, "by_processes": {run["processes"]: run["bookings_per_s"] for run in runs}}


def _database_ceiling(database_url: str, processes: int, slots: int, per_slot: int, office: str) -> dict:
    """Bookings per second of bookings.book() alone, each process booking its share of a
    fresh day of the same shape (every attempt finds room: the pure success path)."""
    app = bench_app(database_url)
    popular = load_popular_day(app, office, slots, per_slot)
    first = CEILING_CITIZENS_FROM + processes * 100_000  # each run its own phones and people
    citizens = range(first, first + popular.capacity)
    proofs = verify_in_process(app, [phone(n) for n in citizens])
    dispose(app)
    jobs = [(n, popular.slot_ids[i % len(popular.slot_ids)], *proofs[phone(n)])
            for i, n in enumerate(citizens)]
    context = multiprocessing.get_context("spawn")  # children build their own app and pool
    ready, results, start = context.Queue(), context.Queue(), context.Event()
    workers = [context.Process(target=_book_loop, args=(database_url, jobs[k::processes], ready,
                                                         results, start))
               for k in range(processes)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    start.set()
    outcomes = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(30)
    booked = sum(o["booked"] for o in outcomes)
    elapsed = max(o["ended"] for o in outcomes) - min(o["started"] for o in outcomes)
    latencies = [x for o in outcomes for x in o["latencies"]]
    return {"bookings_per_s": round(booked / elapsed, 1), "booked": booked, "processes": processes,
            "errors": sum(o["errors"] for o in outcomes), "latency_ms": latency_summary(latencies)}


def _book_loop(database_url: str, jobs: list, ready, results, start) -> None:
    """One process of the database ceiling: book each job, one app context per booking (as a
    request would have), and report what happened."""
    from sqlalchemy import text

    from booking import bookings
    from booking.errors import BookingError
    from booking.extensions import db

    app = bench_app(database_url)
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # open the pool's connection before the clock
    ready.put(True)
    start.wait()
    started, latencies, booked, errors = time.monotonic(), [], 0, 0
    for n, slot_id, verification_id, code in jobs:
        began = time.monotonic()
        with app.app_context():
            try:
                bookings.book(slot_id=slot_id, phone=phone(n), visitors=couple(n), lang="zh",
                              source="api", verification=(verification_id, code))
                booked += 1
            except BookingError:
                errors += 1
        latencies.append(time.monotonic() - began)
    dispose(app)
    results.put({"booked": booked, "errors": errors, "started": started, "ended": time.monotonic(),
                 "latencies": latencies})


LEAN_SCRIPT = Path(__file__).with_name("booking_lean.pgbench")  # the booking's SQL now
ORM_SCRIPT = Path(__file__).with_name("booking.pgbench")  # as the ORM sent it, before issue 19


def sql_ceiling(database_url: str, client_counts: list[int], seconds: float, slots: int,
                script: Path = LEAN_SCRIPT, office_code: str = "pgbench") -> dict:
    """Bookings per second of the booking's SQL (`script`) run by pgbench, for each number of
    clients; the best is the ceiling. On its own day of `slots` slots that never fill (one slot:
    every client queues on the same row, as a crowd at one quota does)."""
    from sqlalchemy import text

    from booking.extensions import db

    app = bench_app(database_url)
    popular = load_popular_day(app, office_code, slots, 1_000_000)
    with app.app_context():
        office, service = db.session.execute(text(
            "SELECT office.id, service.id FROM office JOIN service ON service.office_id = office.id"
            " WHERE office.code = :code"), {"code": office_code}).one()
    dispose(app)
    variables = {"office": office, "service": service, "first_slot": min(popular.slot_ids),
                 "last_slot": max(popular.slot_ids),
                 "day": (popular.day - dt.date(1970, 1, 1)).days}  # pgbench has no quoting
    runs = {clients: _pgbench(database_url, script, clients, seconds, variables)
            for clients in sorted(set(client_counts))}
    best = max(runs, key=lambda clients: runs[clients]["bookings_per_s"])
    return {**runs[best], "clients": best,
            "by_clients": {clients: run["bookings_per_s"] for clients, run in runs.items()}}


def _pgbench(database_url: str, script: Path, clients: int, seconds: float, variables: dict) -> dict:
    libpq_url = database_url.replace("postgresql+psycopg://", "postgresql://")
    command = ["pgbench", "--no-vacuum", "--file", str(script), "--client", str(clients),
               "--jobs", str(min(clients, 2)), "--time", str(max(1, round(seconds)))]
    command += [arg for name, value in variables.items() for arg in ("--define", f"{name}={value}")]
    out = subprocess.run([*command, libpq_url], capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed: {out.stderr[-2000:]}")
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return {"bookings_per_s": round(tps, 1), "latency_avg_ms": latency,
            "failed": int(failed.group(1)) if failed else 0}
