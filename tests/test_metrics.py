"""GET /metrics: the token rule of the contract, and after a scripted morning (bookings, a full
slot, a wrong code, the door, the SMS worker) every figure agrees with the database, on SQLite
and on PostgreSQL. Counters are process-wide, so the morning is measured as the change
between a scrape before it and one after it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from flask.logging import default_handler
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from booking import accounts, health, observability
from booking.extensions import db
from booking.hall import door
from booking.models import Booking, DoorRefusal, Slot, SmsMessage, StaffUser, utcnow
from booking.sms import worker
from booking.verification import start_verification

from .conftest import _fresh_schema, make_app
from .factories import last_code, make_office, make_service, make_slot, visitor
from .health_factories import answers

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-test-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def noon_zone() -> str:
    """A fixed-offset zone where it is about noon now: the slots of the morning stay on one
    local day whenever the test runs."""
    offset = 12 - utcnow().hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    figures = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            figures[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return figures


def changed(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.fixture(params=["sqlite", "postgres"])
def metrics_app(request):
    url = (f"sqlite:///{request.getfixturevalue('tmp_path') / 'metrics.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    app = make_app(url, METRICS_TOKEN=TOKEN)
    _fresh_schema(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_metrics_answers_404_without_a_token_configured_and_401_without_the_bearer(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'm.db'}")
    assert app.test_client().get("/metrics").status_code == 404
    app = make_app(f"sqlite:///{tmp_path / 'm.db'}", METRICS_TOKEN=TOKEN)
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401


def book_by_api(client, slot_id: int, n: int, wrong_code: bool = False):
    phone = f"+86139{n:08d}"
    verification = client.post("/api/v1/phone-verifications", json={"phone": phone}).get_json()
    code = "000000" if wrong_code else last_code(phone)
    if wrong_code and code == last_code(phone):
        code = "111111"
    return client.post("/api/v1/bookings", json={
        "slot_id": slot_id, "phone": phone, "verification_id": verification["id"], "code": code,
        "visitors": [visitor(2 * n), visitor(2 * n + 1)], "lang": "zh"})


def a_morning(client, now: dt.datetime) -> dict:
    """The scripted morning; returns what the clients were told."""
    office = make_office(code="metrics-registry", timezone=noon_zone(), hall_limit=25)
    service = make_service(office, slot_max_bookings=3, slot_max_people=6, booking_closes_hours=0)
    local = (now + dt.timedelta(minutes=10)).astimezone(office.tz)
    soon = make_slot(service, days_ahead=0, at=local.time().replace(second=0, microsecond=0))
    tomorrow = make_slot(service, days_ahead=1, at=dt.time(10, 0))
    clerk = StaffUser(username="metrics-clerk", password_hash="-", role="clerk", office_id=office.id)
    db.session.add(clerk)
    db.session.commit()
    ids = (soon.id, tomorrow.id)
    answers_ = Counter()
    for n, slot_id in enumerate([ids[0]] * 4 + [ids[1]]):
        answers_[book_by_api(client, slot_id, n).status_code] += 1
    answers_[book_by_api(client, ids[1], 9, wrong_code=True).status_code] += 1
    token = accounts.issue_token(clerk)
    first, second, third = db.session.scalars(
        select(Booking).where(Booking.slot_id == ids[0]).order_by(Booking.id)).all()
    for booking in (first, second):
        health.declare(booking, [answers(0), answers(1)], source="staff")
    for booking, temperatures in ((first, [36.5, 36.6]), (second, [36.5, 38.2]), (third, [36.5, 36.5])):
        answers_[("door", client.post(f"/api/v1/staff/bookings/{booking.reference}/check-in",
                                      headers={"Authorization": f"Bearer {token}"},
                                      json={"temperatures_c": temperatures}).status_code)] += 1
    worker.drain()
    start_verification("+8613900000077")  # one text left waiting in the outbox
    return answers_


def test_metrics_after_a_scripted_morning_match_the_database(metrics_app):
    client = metrics_app.test_client()
    with metrics_app.app_context():
        before = scrape(client)
        told = a_morning(client, utcnow())
        after = scrape(client)
        now = utcnow()
        office = db.session.scalar(select(DoorRefusal.office_id).limit(1))
        db_bookings = db.session.scalar(select(func.count()).select_from(Booking))
        refusals = Counter(db.session.scalars(select(DoorRefusal.reason)))
        sent = db.session.scalar(select(func.count()).where(SmsMessage.sent_at.is_not(None)))
        pending = db.session.scalars(select(SmsMessage.created_at).where(SmsMessage.status == "pending")).all()
        slots = db.session.scalars(select(Slot).order_by(Slot.starts_at)).all()
        occupancy = door.occupancy(slots[0].office, now)
        assert office == slots[0].office_id

    assert told == {201: 4, 409: 1, 422: 1, ("door", 200): 1, ("door", 409): 2}
    assert db_bookings == 4
    assert changed(before, after, "booking_bookings_total", source="api", outcome="booked") == db_bookings
    assert changed(before, after, "booking_bookings_total", source="api", outcome="slot_full") == 1
    assert changed(before, after, "booking_bookings_total", source="api", outcome="verification_failed") == 1
    route = "/api/v1/bookings"
    assert changed(before, after, "booking_http_requests_total", route=route, method="POST", status="201") == 4
    assert changed(before, after, "booking_http_requests_total", route=route, method="POST", status="409") == 1
    assert changed(before, after, "booking_http_requests_total", route=route, method="POST", status="422") == 1

    assert refusals == {"fever": 1, "not_cleared": 1}
    for reason, count in refusals.items():
        assert changed(before, after, "booking_door_refusals_total", reason=reason) == count
    assert occupancy == 2
    assert after[("booking_hall_occupancy", (("office", "metrics-registry"), ("region", "")))] == occupancy
    assert after[("booking_hall_limit", (("office", "metrics-registry"), ("region", "")))] == 25

    assert sent > 0
    assert changed(before, after, "booking_sms_sends_total", gateway="console", result="sent") == sent
    assert len(pending) == 1
    assert after[("booking_outbox_backlog", (("status", "pending"),))] == 1
    assert after[("booking_outbox_backlog", (("status", "sending"),))] == 0
    assert 0 <= after[("booking_outbox_oldest_age_seconds", ())] <= (now - pending[0]).total_seconds()

    soon, tomorrow = slots
    assert (soon.booked_people, tomorrow.booked_people) == (6, 2)
    tz = soon.office.tz
    for slot, free_people, free_bookings in ((soon, 0, 0), (tomorrow, 4, 2)):
        day = slot.starts_at.astimezone(tz).date().isoformat()
        labels = (("day", day), ("office", "metrics-registry"), ("region", ""))
        assert after[("booking_places_left", (*labels, ("unit", "people")))] == free_people
        assert after[("booking_places_left", (*labels, ("unit", "bookings")))] == free_bookings
        assert free_people == slot.max_people - slot.booked_people


@contextlib.contextmanager
def json_log_lines(app):
    """The app's JSON log handler writing into a StringIO (yielded) for the block; Flask's
    default handler back afterwards (the `booking` logger is shared by every app)."""
    handler = observability.json_logs(app)
    stream = StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)
        app.logger.removeHandler(handler)
        app.logger.addHandler(default_handler)


def test_json_logs_carry_no_personal_data(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'logs.db'}", LOG_FORMAT="json")
    with json_log_lines(app) as stream, app.app_context():
        db.create_all()
        start_verification("+8613912345678")
        code = last_code("+8613912345678")  # read before sending: a sent code is erased
        worker.drain()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "the console gateway logs each text"
    assert all(set(line) == {"time", "level", "logger", "message"} for line in lines)
    text = stream.getvalue()
    assert "13912345678" not in text and code not in text


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


def test_a_metrics_folder_that_vanished_is_logged_and_never_fails_the_caller(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    done = run_python(
        "import logging, shutil\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from booking import metrics\n"
        f"shutil.rmtree({str(folder)!r})\n"
        "metrics.sms_handled('console', 'sent')\n"
        "metrics.door_refused('fever')\n"
        "print('still here')\n",
        {"PROMETHEUS_MULTIPROC_DIR": str(folder)})
    assert done.returncode == 0, done.stderr
    assert "still here" in done.stdout
    assert "metric booking_sms_sends not counted: FileNotFoundError" in done.stderr


@pytest.mark.slow
def test_a_missing_metrics_folder_is_made_when_the_app_starts(tmp_path):
    folder = tmp_path / "not-yet" / "metrics"
    done = run_python("import wsgi", {"PROMETHEUS_MULTIPROC_DIR": str(folder),
                                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert done.returncode == 0, done.stderr
    assert folder.is_dir()


def test_unknown_methods_add_no_label_values(tmp_path):
    """Issue 27: each made-up method was a new `method` label value, a new series without bound.
    Fifty random methods add one value at most: "other"."""
    import random

    app = make_app(f"sqlite:///{tmp_path / 'methods.db'}", METRICS_TOKEN=TOKEN)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    pick = random.Random(27)
    made_up = {"".join(pick.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ_-", k=pick.randint(3, 12))) for _ in range(50)}
    before = scrape(client)
    for method in made_up:
        assert client.open("/healthz", method=method).status_code < 500
        client.open("/no/such/page", method=method)
    after = scrape(client)
    methods = {dict(labels).get("method") for name, labels in after if name == "booking_http_requests_total"}
    assert not methods & made_up, sorted(methods & made_up)
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "other"}
    others = {labels: value for (name, labels), value in after.items()
              if name == "booking_http_requests_total" and dict(labels)["method"] == "other"}
    counted = sum(value - before.get(("booking_http_requests_total", labels), 0.0) for labels, value in others.items())
    assert counted == 2 * len(made_up)


def test_json_log_times_are_iso_8601(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'logs.db'}", LOG_FORMAT="json")
    with json_log_lines(app) as stream:
        app.logger.warning("a line")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"]), line["time"]
    moment = dt.datetime.fromisoformat(line["time"])
    assert abs((moment - dt.datetime.now(dt.UTC)).total_seconds()) < 60
