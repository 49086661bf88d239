"""Flash crowd: the moment a popular day's slots open, measured end to end.

    .venv/bin/python bench/flash_crowd.py --db both --clients 200

For each database (a temp SQLite file in WAL mode; a temp PostgreSQL database, dropped after)
it starts the service under gunicorn (gunicorn.conf.py, loopback, rate limits off, console SMS),
loads one popular day, verifies the phones through the API, releases C clients at once and
checks the invariants; then measures the ceilings (bench/ceilings.py). Exit status 1 when
an invariant fails. docs/benchmarks.md explains the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import runpy
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `booking` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from .ceilings import database_ceiling, framework_ceiling, sql_ceiling  # noqa: E402
from .common import (  # noqa: E402
    ROOT,
    bench_app,
    create_schema,
    dispose,
    free_port,
    gunicorn,
    latency_summary,
    phone,
    server_env,
    temp_database,
)
from .load import Crowd, hammer, rush, verify_phones  # noqa: E402
from .scenario import check_invariants, codes_by_phone, load_popular_day  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--slots", type=int, default=48, help="slots on the popular day")
    parser.add_argument("--per-slot", type=int, default=10, help="couples per slot")
    parser.add_argument("--demand", type=float, default=1.5,
                        help="citizens as a multiple of the day's places (default 1.5)")
    parser.add_argument("--deadline", type=float, default=120, help="seconds before clients stop")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a person pauses before each booking attempt (default 1)")
    parser.add_argument("--trivial-seconds", type=float, default=5.0,
                        help="seconds of the trivial-endpoint and of each pgbench run")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY for this run")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS for this run")
    parser.add_argument("--worker-class", choices=("gthread", "sync"), help="GUNICORN_WORKER_CLASS")
    parser.add_argument("--no-ceilings", action="store_true", help="skip the ceilings")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    return parser.parse_args(argv)


def server_settings(args, database_url: str) -> dict:
    """The gunicorn settings gunicorn.conf.py gives for this database and these options,
    pinned in the environment so that both servers (product and trivial) get the same."""
    extra = {"DATABASE_URL": database_url}
    for option, name in ((args.workers, "WEB_CONCURRENCY"), (args.threads, "GUNICORN_THREADS"),
                         (args.worker_class, "GUNICORN_WORKER_CLASS")):
        if option is not None:
            extra[name] = str(option)
    saved = dict(os.environ)
    os.environ.update(extra)
    try:
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    env = {"WEB_CONCURRENCY": str(conf["workers"]), "GUNICORN_THREADS": str(conf["threads"]),
           "GUNICORN_WORKER_CLASS": conf["worker_class"]}
    return {"env": env, "workers": conf["workers"], "threads": conf["threads"],
            "worker_class": conf["worker_class"]}


PHASES = {"people": 0, "stress": 2_000_000}  # phase -> first citizen number (own phones)


def run_database(kind: str, args, log_dir: Path) -> dict:
    """One database: the framework ceiling with the same gunicorn settings, two rushes on one
    server (people who pause to read, then a crowd that never pauses: the saturated rate),
    their invariants, and the database ceiling."""
    with temp_database(kind) as url:
        settings = server_settings(args, url)
        result: dict = {"server": {k: settings[k] for k in ("workers", "threads", "worker_class")}}
        if not args.no_ceilings:
            result["framework_ceiling"] = framework_ceiling(args.clients, args.trivial_seconds,
                                                            free_port(), settings["env"], log_dir)
        app = bench_app(url)
        create_schema(app)
        days = {phase: load_popular_day(app, phase, args.slots, args.per_slot) for phase in PHASES}
        people = {phase: list(range(first, first + round(days[phase].capacity * args.demand)))
                  for phase, first in PHASES.items()}
        env = server_env(url, free_port(), settings["env"])
        with gunicorn("wsgi:app", env, "/healthz", log_dir) as server:
            everyone = people["people"] + people["stress"]
            ids = asyncio.run(verify_phones(server.url, everyone))
            codes = codes_by_phone(app, [phone(n) for n in everyone])
            asyncio.run(hammer(server.url + "/healthz", 20, 0.5))  # every worker connected
            for phase, popular in days.items():
                crowd = Crowd(server.url, popular.office, popular.service, popular.day.isoformat(),
                              {n: (ids[n], codes[phone(n)]) for n in people[phase]}, args.clients,
                              args.deadline, think_s=args.think if phase == "people" else 0.0)
                load_before = os.getloadavg()[0]
                tally = asyncio.run(rush(crowd))
                result[phase] = summarise(tally, popular)
                result[phase]["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
                result[phase]["invariants"] = invariants(app, popular, tally, len(people[phase]))
        if not args.no_ceilings:
            result["database_ceiling"] = database_ceiling(url, settings["workers"], args.slots,
                                                          args.per_slot)
            if kind == "postgres":
                result["sql_ceiling"] = sql_ceiling(
                    url, [1, settings["workers"], settings["workers"] * settings["threads"]],
                    args.trivial_seconds, args.slots)
        dispose(app)
    return result


def invariants(app, popular, tally, demand: int) -> dict:
    checks = {name: {"ok": ok, "detail": detail} for name, (ok, detail) in
              check_invariants(app, popular, tally.created, demand,
                               tally.gave_up["out of time"] + tally.gave_up["too many tries"]).items()}
    checks["no_5xx"] = {"ok": tally.server_errors == 0,
                        "detail": f"{tally.server_errors} 5xx or failed requests"}
    return checks


def summarise(tally, popular) -> dict:
    booked = len(tally.created)
    selling = max(tally.last_201_at - tally.first_at, 1e-9)
    requests = sum(len(v) for v in tally.latency.values())
    return {
        "capacity": popular.capacity, "booked": booked,
        "bookings_per_s": round(booked / selling, 1), "sold_in_s": round(selling, 2),
        "requests_per_s": round(requests / selling, 1) if booked else 0.0,
        "booking_latency_ms": latency_summary(tally.latency["booking"]),
        "availability_latency_ms": latency_summary(tally.latency["availability"]),
        # Where in the rush the slow answers were: the first seconds take the whole crowd at once.
        "booking_by_second": {second: latency_summary(values)
                              for second, values in sorted(tally.by_second("booking").items())},
        "statuses": dict(sorted(tally.statuses.items())), "gave_up": dict(tally.gave_up),
    }


def add_ratios(result: dict) -> None:
    """The saturated (stress) booking rate against each ceiling measured in the same run."""
    stress, framework = result["stress"], result.get("framework_ceiling")
    if framework:
        result["ratio_to_framework"] = round(stress["bookings_per_s"] / framework["requests_per_s"], 4)
        result["requests_ratio_to_framework"] = round(
            stress["requests_per_s"] / framework["requests_per_s"], 4)
    for ceiling in ("database", "sql"):
        if f"{ceiling}_ceiling" in result:
            result[f"ratio_to_{ceiling}"] = round(
                stress["bookings_per_s"] / result[f"{ceiling}_ceiling"]["bookings_per_s"], 3)


def report(results: dict) -> str:
    """The results as text for a terminal (the JSON has everything)."""
    lines = [f"clients: {results['clients']}, think: {results['think_s']} s, cpus: {results['cpus']}"]
    for kind in ("sqlite", "postgres"):
        if kind in results:
            lines += _report_database(kind, results[kind])
    return "\n".join(lines)


def _report_database(kind: str, r: dict) -> list[str]:
    lines = [f"\n[{kind}] gunicorn {r['server']}"]
    if r.get("framework_ceiling"):
        f = r["framework_ceiling"]
        lines.append(f"[{kind}] framework ceiling: {f['requests_per_s']} req/s, p99 {f['latency_ms']['p99']} ms")
    for phase in PHASES:
        p = r[phase]
        b, a = p["booking_latency_ms"], p["availability_latency_ms"]
        lines += [f"\n[{kind} {phase}] booked {p['booked']}/{p['capacity']} in {p['sold_in_s']} s: "
                  f"{p['bookings_per_s']} bookings/s, {p['requests_per_s']} requests/s "
                  f"(load average {p['load_average']})",
                  f"  booking      p50 {b['p50']} p95 {b['p95']} p99 {b['p99']} max {b['max']} ms (n={b['n']})",
                  f"  availability p50 {a['p50']} p95 {a['p95']} p99 {a['p99']} max {a['max']} ms (n={a['n']})",
                  "  booking by second of the rush (n, p99 ms): " + ", ".join(
                      f"{second}s {v['n']} {v['p99']}" for second, v in p["booking_by_second"].items()),
                  f"  statuses: {p['statuses']}", f"  gave up: {p['gave_up']}"]
        lines += [f"  {'PASS' if c['ok'] else 'FAIL'} {name}: {c['detail']}" for name, c in p["invariants"].items()]
    if "database_ceiling" in r:
        d = r["database_ceiling"]
        lines.append(f"\n[{kind}] database ceiling: {d['bookings_per_s']} bookings/s ({d['processes']} processes,"
                     f" p99 {d['latency_ms']['p99']} ms, errors {d['errors']}; by processes {d['by_processes']})")
    if "sql_ceiling" in r:
        q = r["sql_ceiling"]
        lines.append(f"[{kind}] SQL ceiling (pgbench): {q['bookings_per_s']} bookings/s ({q['clients']} clients,"
                     f" average {q['latency_avg_ms']} ms, failed {q['failed']}; by clients {q['by_clients']})")
    for name in ("ratio_to_framework", "requests_ratio_to_framework", "ratio_to_database", "ratio_to_sql"):
        if name in r:
            lines.append(f"[{kind}] stress {name}: {r[name]:.1%}")
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    results: dict = {"clients": args.clients, "think_s": args.think, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as folder:
        log_dir = Path(folder)
        for kind in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
            results[kind] = run_database(kind, args, log_dir)
            add_ratios(results[kind])
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    failed = [name for kind in ("sqlite", "postgres") if kind in results for phase in PHASES
              for name, check in results[kind][phase]["invariants"].items() if not check["ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
