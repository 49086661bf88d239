"""The scale-out drill of the README ("PostgreSQL, Redis and several processes"): gunicorn with
two web workers and two SMS workers on PostgreSQL, rate limits in Redis, all sharing one
PROMETHEUS_MULTIPROC_DIR. A short crowd books two small slots; then no slot holds more than its
limits, every booking has its one text, every text was sent exactly once, the per-address limit
held across both web processes, and /metrics, added up over the four processes, agrees with
the database and with what the crowd was told."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, Slot, SmsMessage

from .conftest import REDIS_URL
from .factories import make_office, make_service, make_slot, visitor
from .gunicorn_server import children, free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "scale-out-metrics-token"
CROWD = 40
PER_SLOT = 8  # bookings a slot takes: two slots, 16 places for a crowd of 40
CODE_LIMIT = 10  # API_CODE_LIMIT_PER_IP: 10 per minute from one address


def request(base: str, path: str, body: dict | None = None, address: str = "192.0.2.1",
            headers: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    sent = urllib.request.Request(base + path, data=data, method="POST" if body is not None else "GET",
                                  headers={"Content-Type": "application/json", "X-Forwarded-For": address,
                                           "Connection": "close", **(headers or {})})
    try:
        with urllib.request.urlopen(sent, timeout=30) as answer:  # noqa: S310 (loopback)
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        error.close()
        return error.code, text


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s")


@pytest.fixture
def stack(pg_app, postgres_url, tmp_path):
    """gunicorn (2 workers) and 2 SMS workers on this run's PostgreSQL database and Redis."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**os.environ, "DATABASE_URL": postgres_url, "SECRET_KEY": pg_app.config["SECRET_KEY"],
           "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_ENABLED": "true", "PROXY_COUNT": "1",
           "API_CODE_LIMIT_PER_IP": f"{CODE_LIMIT} per minute",
           "SMS_BACKEND": "console", "METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
           "PUBLIC_BASE_URL": "https://booking.example.gov.cn"}
    env.pop("FLASK_APP", None)
    port = free_port()
    log = open(tmp_path / "processes.log", "w")  # noqa: SIM115 (closed below)
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                            "--graceful-timeout", "5", "wsgi:app"],
                           cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    # The workers print each text they send (SMS_DEV_DELIVERY): the phones the crowd reads its
    # codes from. A sent code is erased from the outbox, so the outbox cannot be read instead.
    phones = [tmp_path / f"sms-worker-{i}.log" for i in range(2)]
    outputs = [open(path, "w") for path in phones]  # noqa: SIM115 (closed below)
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "sms", "worker", "--poll", "0.2"],
                                cwd=ROOT, env={**env, "SMS_DEV_DELIVERY": "true"}, stdout=log, stderr=output)
               for output in outputs]
    base = f"http://127.0.0.1:{port}"

    def web_up():
        try:
            return request(base, "/healthz")[0] == 200 and len(children(web.pid)) == 2
        except OSError:
            return False

    try:
        wait_until(web_up, 30, "gunicorn answered with two workers")
        yield base, web, workers, metrics_dir, phones
    finally:
        for process in (*workers, web):
            process.send_signal(signal.SIGTERM)
        for process in (*workers, web):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for output in (log, *outputs):
            output.close()


def texted_code(phones: list[Path], phone: str, timeout: float = 30) -> str:
    """The code in the text an SMS worker printed for `phone`, once it has gone out."""
    found: list[str] = []

    def arrived() -> bool:
        for path in phones:
            match = re.search(rf"--- SMS to {re.escape(phone)} ---\n.*?(\d{{6}})", path.read_text(), re.S)
            if match:
                found.append(match.group(1))
                return True
        return False

    wait_until(arrived, timeout, f"the code's text to {phone}")
    return found[0]


def citizen(base: str, slot_id: int, n: int, phones: list[Path]) -> int:
    """One person of the crowd, from an address of their own: a code, then a booking."""
    phone, address = f"+86137{n:08d}", f"198.51.100.{n + 1}"
    status, text = request(base, "/api/v1/phone-verifications", {"phone": phone}, address)
    assert status == 201, text
    code = texted_code(phones, phone)
    status, text = request(base, "/api/v1/bookings", {
        "slot_id": slot_id, "phone": phone, "verification_id": json.loads(text)["id"], "code": code,
        "visitors": [visitor(2 * n), visitor(2 * n + 1)], "lang": "zh"}, address)
    assert status == 201 or json.loads(text)["error"] == "slot_full", text
    return status


def scrape(base: str) -> dict[tuple[str, tuple], float]:
    status, text = request(base, "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def figure(figures: dict, name: str, **labels) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_web_and_two_sms_workers_keep_the_invariants_and_their_metrics_agree(pg_app, stack):
    base, web, workers, metrics_dir, phones = stack
    with pg_app.app_context():
        service = make_service(make_office(code="drill"), slot_max_bookings=PER_SLOT, slot_max_people=2 * PER_SLOT)
        slot_ids = [make_slot(service, days_ahead=3, at=dt.time(9 + i)).id for i in range(2)]
        db.session.commit()
        db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        told = Counter(pool.map(lambda n: citizen(base, slot_ids[n % 2], n, phones), range(CROWD)))
        flood = Counter(pool.map(lambda n: request(base, "/api/v1/phone-verifications",
                                                   {"phone": f"+86136{n:08d}"}, "203.0.113.9")[0],
                                 range(CODE_LIMIT + 4)))
    assert told == {201: 2 * PER_SLOT, 409: CROWD - 2 * PER_SLOT}
    assert flood == {201: CODE_LIMIT, 429: 4}, "the per-address limit counts across both web processes"

    def outbox_empty():
        with pg_app.app_context():
            waiting = db.session.scalar(select(func.count()).where(SmsMessage.status.in_(("pending", "sending"))))
            db.session.remove()
            return waiting == 0

    wait_until(outbox_empty, 60, "the two SMS workers emptied the outbox")
    figures = scrape(base)

    with pg_app.app_context():
        bookings = db.session.scalars(select(Booking)).all()
        texts = db.session.scalars(select(SmsMessage)).all()
        slots = db.session.scalars(select(Slot).order_by(Slot.starts_at)).all()
        assert len(bookings) == 2 * PER_SLOT
        for slot in slots:
            mine = [b for b in bookings if b.slot_id == slot.id]
            assert (slot.booked_bookings, slot.booked_people) == (len(mine), sum(b.party_size for b in mine))
            assert slot.booked_bookings <= slot.max_bookings and slot.booked_people <= slot.max_people
        assert Counter(t.booking_id for t in texts if t.kind == "booked") == {b.id: 1 for b in bookings}
        assert all(t.sent_at is not None and t.attempts == 1 for t in texts), "each text sent exactly once"
        day = slots[0].starts_at.astimezone(slots[0].office.tz).date().isoformat()
        free_people = sum(s.max_people - s.booked_people for s in slots)
        db.session.remove()

    assert figure(figures, "booking_bookings_total", source="api", outcome="booked") == len(bookings)
    assert figure(figures, "booking_bookings_total", source="api", outcome="slot_full") == told[409]
    assert figure(figures, "booking_sms_sends_total", gateway="console", result="sent") == len(texts)
    assert len(texts) == CROWD + CODE_LIMIT + len(bookings)
    assert figure(figures, "booking_http_requests_total", route="/api/v1/phone-verifications",
                  method="POST", status="429") == 4
    assert figure(figures, "booking_http_requests_total", route="/api/v1/bookings",
                  method="POST", status="201") == len(bookings)
    assert figure(figures, "booking_places_left", office="drill", region="", day=day, unit="people") == free_people == 0
    assert figure(figures, "booking_outbox_backlog", status="pending") == 0
    # Each process kept its own file: two web processes or more served (a worker gunicorn
    # replaced under load keeps its file, and its counts stay in the sum), and the SMS workers'.
    pids = {int(path.stem.rsplit("_", 1)[1]) for path in metrics_dir.glob("counter_*.db")}
    assert len(pids - {worker.pid for worker in workers} - {web.pid}) >= 2
    assert pids & {worker.pid for worker in workers}, "the SMS workers' sends are in the sum"
