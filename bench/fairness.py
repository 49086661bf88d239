"""Who gets a popular day's places: scripted fast clients against paced people, before and
after the proof-of-work challenge (booking/challenge.py).

    .venv/bin/python -m bench.fairness [--db postgres] [--bots 20] [--people 60] [--slots 4]
        [--per-slot 5] [--bot-cores 1] [--json out.json]   (defaults: 10 bots, 30 people, 10 places)

One office's day opens at once under gunicorn (bench.common). Every client holds a verified
phone and its own couple. A bot asks for availability and books at once, again on every 409,
never pausing; with the challenge on, each try first fetches and solves a challenge, and the
whole bot farm shares --bot-cores CPU cores for that (a farm pays for its CPU). A person reacts
after 1-4 s (seeing the day open, choosing, typing), pauses 0.5-1.5 s before another try, and
with the challenge on their own phone solves it while they type (PHONE_SOLVE_S, measured in
tests/test_browser_waiting.py), so it costs them only what typing does not hide. Rate limits
are off (RATELIMIT_ENABLED=false): the run measures the challenge alone.

Prints, per run, the places each group got and their share; the same day's ledger is checked
(counters equal bookings, never above capacity).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from .common import bench_app, couple, create_schema, dispose, free_port, gunicorn, phone, server_env, temp_database
from .scenario import load_popular_day, verify_in_process

PHONE_SOLVE_S = 0.6  # a phone's solve time in the widget (PBKDF2/SHA-256, cost 5000)
REACTION_S = (1.0, 4.0)
PAUSE_S = (0.5, 1.5)


def call(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (loopback)
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        payload = error.read()
        error.close()
        return error.code, json.loads(payload) if payload else {}
    except (OSError, ValueError):  # a timeout on a loaded machine: this try failed
        return 0, {}


def solve(challenge: dict) -> str:
    """A solution as base64 (runs in the bot farm's process pool)."""
    import altcha

    parsed = altcha.v2.Challenge.from_dict(challenge)
    return altcha.Payload(parsed, altcha.solve_challenge(parsed)).to_base64()


class Client:
    """One citizen (a bot or a person) trying to book one place of the day."""

    def __init__(self, run, n: int, kind: str, verification: tuple[str, str]):
        self.run, self.n, self.kind, self.verification = run, n, kind, verification
        self.random = random.Random(n)

    def free_slot(self) -> int | None:
        _, answer = call(f"{self.run.base}/api/v1/availability?office={self.run.day.office}"
                         f"&service=marriage&from={self.run.day.day}&to={self.run.day.day}")
        free = [s["id"] for s in answer.get("slots", []) if s["remaining_bookings"] > 0]
        return self.random.choice(free) if free else None

    def solution(self, typing_s: float) -> dict:
        if not self.run.challenge:
            time.sleep(typing_s)
            return {}
        _, challenge = call(f"{self.run.base}/api/v1/challenge")
        if self.kind == "bot":
            return {"altcha": self.run.farm.submit(solve, challenge).result()}
        time.sleep(max(typing_s, PHONE_SOLVE_S))  # the widget solves while the person types
        return {"altcha": solve(challenge)}  # (the phone's work, done here for real)

    def __call__(self) -> str:
        self.run.start.wait()
        typing = 0.0 if self.kind == "bot" else self.random.uniform(*REACTION_S)
        while time.monotonic() < self.run.deadline:
            slot = self.free_slot()
            if slot is None:
                return "none"
            extra = self.solution(typing)
            status, _ = call(f"{self.run.base}/api/v1/bookings", {
                "slot_id": slot, "phone": phone(self.n), "verification_id": self.verification[0],
                "code": self.verification[1], "visitors": couple(self.n), **extra})
            if status == 201:
                return "booked"
            typing = 0.0 if self.kind == "bot" else self.random.uniform(*PAUSE_S)
        return "time"


class Run:
    def __init__(self, base: str, day, challenge: bool, farm, seconds: float):
        self.base, self.day, self.challenge, self.farm = base, day, challenge, farm
        self.deadline = time.monotonic() + seconds
        self.start = threading.Event()


def rush(app, base: str, args, challenge: bool, farm, first: int) -> dict:
    """One popular day, its office's challenge on or off; places per group."""
    from booking.extensions import db
    from booking.models import RationingSettings

    code = f"fair-{'on' if challenge else 'off'}"
    day = load_popular_day(app, code, args.slots, args.per_slot)
    with app.app_context():
        office_id = db.session.execute(db.text("SELECT id FROM office WHERE code = :c"), {"c": code}).scalar()
        db.session.add(RationingSettings(office_id=office_id, claim_minutes=30, holdback_minutes=0,
                                         challenge="always" if challenge else "off", challenge_days=""))
        db.session.commit()
    kinds = ["bot"] * args.bots + ["person"] * args.people
    numbers = list(range(first, first + len(kinds)))
    verified = verify_in_process(app, [phone(n) for n in numbers])
    run = Run(base, day, challenge, farm, args.deadline)
    clients = [Client(run, n, kind, verified[phone(n)]) for n, kind in zip(numbers, kinds, strict=True)]
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(client) for client in clients]
        time.sleep(0.2)
        run.start.set()
        outcomes = [(client.kind, future.result()) for client, future in zip(clients, futures, strict=True)]
    got = {kind: sum(1 for k, o in outcomes if k == kind and o == "booked") for kind in ("bot", "person")}
    return {"capacity": day.capacity, "places": got, "load_average": round(os.getloadavg()[0], 1),
            "share": {k: round(v / max(1, sum(got.values())), 3) for k, v in got.items()},
            "ledger_ok": ledger_ok(app, day)}


def ledger_ok(app, day) -> bool:
    from booking.extensions import db

    with app.app_context():
        rows = db.session.execute(db.text(
            "SELECT s.booked_bookings, s.max_bookings, (SELECT COUNT(*) FROM booking b WHERE b.slot_id = s.id"
            " AND b.status = 'booked') FROM slot s WHERE s.id IN :ids").bindparams(
                db.bindparam("ids", expanding=True)), {"ids": day.slot_ids}).all()
    return all(booked == active and booked <= limit for booked, limit, active in rows)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--bots", type=int, default=10)
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--per-slot", type=int, default=5)
    parser.add_argument("--bot-cores", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=60.0)
    parser.add_argument("--json", type=Path)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    results = {}
    with temp_database(args.db) as url, tempfile.TemporaryDirectory() as logs, \
            ProcessPoolExecutor(max_workers=args.bot_cores) as farm:
        app = bench_app(url)
        create_schema(app)
        env = server_env(url, free_port(), {"WEB_CONCURRENCY": str(args.workers)})
        with gunicorn("wsgi:app", env, "/healthz", Path(logs)) as server:
            for n, challenge in enumerate((False, True)):
                results["challenge_on" if challenge else "challenge_off"] = rush(
                    app, server.url, args, challenge, farm, first=n * 100_000)
        dispose(app)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0 if all(r["ledger_ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
