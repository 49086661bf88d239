"""A gunicorn worker killed with SIGKILL in the middle of a flood of bookings loses nothing that
was acknowledged: every 201 booking persists with its outbox text, every slot's counters equal
its rows, and a request cut off with the worker is either wholly there or wholly absent.

gunicorn runs on 127.0.0.1 with two workers against this run's PostgreSQL database; client
threads book through the public API (codes verified beforehand through the domain, as a
citizen reads them from the text); the test kills each worker once while requests are in flight.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, PhoneVerification, Slot, SmsMessage

from .factories import make_office, make_service, make_slot, verified, visitor

ROOT = Path(__file__).resolve().parent.parent
BOOKINGS = 90
CLIENTS = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The worker processes of a gunicorn master (their parent pid is the master's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


@pytest.fixture
def gunicorn(pg_app, postgres_url, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": postgres_url, "SECRET_KEY": pg_app.config["SECRET_KEY"],
           "RATELIMIT_ENABLED": "false", "SMS_BACKEND": "console",
           "PUBLIC_BASE_URL": "https://booking.example.gov.cn"}
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--timeout", "30", "--graceful-timeout", "2", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:  # noqa: S310 (loopback)
                if answer.status == 200 and len(children(master.pid)) == 2:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        master.terminate()
        pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
    yield base, master
    master.send_signal(signal.SIGTERM)
    try:
        master.wait(15)
    except subprocess.TimeoutExpired:
        master.kill()
        master.wait(5)
    log.close()


def post_json(url: str, body: dict) -> tuple[int | None, dict | None]:
    """(status, body); (None, None) when the connection broke (outcome unknown)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        payload = error.read()
        error.close()
        return error.code, json.loads(payload) if payload else None
    except (OSError, ValueError, http.client.HTTPException):  # e.g. IncompleteRead: killed mid-answer
        return None, None


@pytest.mark.postgres
@pytest.mark.slow
def test_sigkilled_workers_lose_no_acknowledged_booking(pg_app, gunicorn):
    base, master = gunicorn
    with pg_app.app_context():
        service = make_service(make_office(), slot_max_bookings=40, slot_max_people=80)
        slots = [make_slot(service, at=dt.time(9 + i)) for i in range(3)]
        db.session.commit()
        requests = []
        for i in range(BOOKINGS):
            phone = f"+86135{i:08d}"
            verification_id, code = verified(phone)
            requests.append({"slot_id": slots[i % 3].id, "phone": phone, "verification_id": verification_id,
                             "code": code, "visitors": [visitor(2 * i), visitor(2 * i + 1)], "lang": "zh"})
        db.session.remove()

    acknowledged, unknown, refused = [], [], []
    lock = threading.Lock()
    done = threading.Event()

    def book(body: dict) -> None:
        status, answer = post_json(base + "/api/v1/bookings", body)
        with lock:
            if status == 201:
                acknowledged.append(answer["reference"])
            elif status is None or status >= 500:
                unknown.append(body["phone"])
            else:
                refused.append((status, answer))

    victims = children(master.pid)

    def killer() -> None:
        """Kill each of the two original workers once, while bookings are in flight."""
        for victim, after in zip(victims, (BOOKINGS // 5, BOOKINGS // 2), strict=True):
            while len(acknowledged) < after and not done.is_set():
                time.sleep(0.005)
            os.kill(victim, signal.SIGKILL)

    assassin = threading.Thread(target=killer)
    assassin.start()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(book, requests))
    done.set()
    assassin.join(10)

    print(f"acknowledged {len(acknowledged)}, cut off {len(unknown)}")
    assert refused == [], "no booking was refused (room and codes for all)"
    assert len(acknowledged) >= BOOKINGS // 2, "the flood went on through the kills"
    assert len(acknowledged) + len(unknown) == BOOKINGS
    assert len(victims) == 2 and not set(victims) & set(children(master.pid))
    assert len(children(master.pid)) == 2, "gunicorn replaced the killed workers"

    with pg_app.app_context():
        db.session.expire_all()
        rows = {b.reference: b for b in db.session.scalars(select(Booking))}
        for reference in acknowledged:
            assert reference in rows, f"acknowledged booking {reference} was lost"
        for booking in rows.values():
            kinds = db.session.scalars(select(SmsMessage.kind).where(SmsMessage.booking_id == booking.id)).all()
            assert kinds == ["booked"], f"booking {booking.reference} has exactly its text"
            assert len(booking.visitors) == 2
        assert set(rows) >= set(acknowledged)
        assert len(rows) <= BOOKINGS, "a cut-off request is wholly there or wholly absent"
        for slot in db.session.scalars(select(Slot)):
            count, people = db.session.execute(
                select(func.count(Booking.id), func.coalesce(func.sum(Booking.party_size), 0))
                .where(Booking.slot_id == slot.id, Booking.status == "booked")).one()
            assert (slot.booked_bookings, slot.booked_people) == (count, people), "counters equal rows"
        used = db.session.scalar(select(func.count()).select_from(PhoneVerification)
                                 .where(PhoneVerification.used_at.is_not(None)))
        assert used == len(rows), "a code is spent exactly when its booking exists"
        db.session.remove()
