"""The availability micro-cache: answers up to AVAILABILITY_CACHE_SECONDS old, never an extra
place; and on SQLite, availability reads do not wait for the write lock."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import sqlite3
import time

import pytest
import redis
from sqlalchemy import select

from booking import bookings
from booking.config import availability_cache_url
from booking.extensions import db
from booking.microcache import MicroCache, SharedAnswers
from booking.models import Booking, Office, Slot
from tests.conftest import REDIS_URL, make_app
from tests.factories import make_office, make_service, make_slot, verified, visitor
from tests.test_query_counts import counting

PHONES = ["+8613800000001", "+8613800000002", "+8613800000003"]


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def one_slot_day(app, max_bookings: int = 2) -> tuple[int, str]:
    """A service with one slot two days ahead taking `max_bookings` couples: (slot id, path)."""
    with app.app_context():
        service = make_service(make_office(), slot_max_bookings=max_bookings)
        slot = make_slot(service, days_ahead=2, max_bookings=max_bookings, max_people=2 * max_bookings)
        db.session.commit()
        day = slot.starts_at.astimezone(service.office.tz).date()
        return slot.id, f"/api/v1/availability?office=registry&service=marriage&from={day}&to={day}"


def cached(app, seconds: float = 1.0) -> Clock:
    clock = Clock()
    app.extensions["availability_cache"] = MicroCache(seconds, clock=clock)
    return clock


def book(app, slot_id: int, n: int):
    with app.app_context():
        return bookings.book(slot_id=slot_id, phone=PHONES[n], visitors=[visitor(2 * n), visitor(2 * n + 1)],
                             verification=verified(PHONES[n]))


def remaining(answer) -> int:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json["slots"][0]["remaining_bookings"] if answer.json["slots"] else 0


def test_an_answer_is_reused_for_its_seconds_then_made_again(any_app):
    slot_id, path = one_slot_day(any_app)
    clock = cached(any_app, seconds=1.0)
    client = any_app.test_client()
    assert remaining(client.get(path)) == 2
    book(any_app, slot_id, 0)

    with counting(any_app) as statements:
        again = client.get(path)
    assert remaining(again) == 2 and statements == []  # served from the cache, no SQL

    clock.now += 1.01
    assert remaining(client.get(path)) == 1


def test_a_stale_answer_never_sells_a_place_twice(any_app):
    slot_id, path = one_slot_day(any_app, max_bookings=1)
    cached(any_app, seconds=60.0)
    client = any_app.test_client()
    assert remaining(client.get(path)) == 1
    book(any_app, slot_id, 0)
    assert remaining(client.get(path)) == 1  # stale on purpose: it says a place is left

    with any_app.app_context():
        phone = PHONES[1]
        verification_id, code = verified(phone)
    answer = client.post("/api/v1/bookings", json={
        "slot_id": slot_id, "phone": phone, "verification_id": verification_id, "code": code,
        "visitors": [visitor(2), visitor(3)]})
    assert (answer.status_code, answer.json["error"]) == (409, "slot_full")
    with any_app.app_context():
        slot = db.session.get(Slot, slot_id)
        assert (slot.booked_bookings, slot.booked_people) == (1, 2)
        assert db.session.query(Booking).count() == 1


def test_each_question_has_its_own_answer_and_errors_are_not_kept(sqlite_app):
    slot_id, path = one_slot_day(sqlite_app)
    cached(sqlite_app, seconds=60.0)
    client = sqlite_app.test_client()
    missing = path.replace("service=marriage", "service=funeral")
    assert client.get(missing).status_code == 404
    with sqlite_app.app_context():
        office = db.session.scalars(select(Office).where(Office.code == "registry")).one()
        make_service(office, code="funeral", kind="farewell")
        db.session.commit()
    assert client.get(missing).status_code == 200  # the 404 was not kept

    assert remaining(client.get(path)) == 2
    day = dt.date.fromisoformat(path.rsplit("=", 1)[1])
    longer = path.replace(f"to={day}", f"to={day + dt.timedelta(days=7)}")
    book(sqlite_app, slot_id, 0)
    assert remaining(client.get(longer)) == 1  # a range reaching another week: asked afresh
    assert remaining(client.get(path)) == 2    # this range: still the kept answer


def test_ranges_within_the_same_weeks_share_one_database_read(sqlite_app):
    """The cache key is bounded (issue 15): any from/to inside the same Monday-to-Sunday weeks
    is cut from one kept answer, so varying the dates does not reach the database each time."""
    slot_id, path = one_slot_day(sqlite_app)
    cached(sqlite_app, seconds=60.0)
    client = sqlite_app.test_client()
    day = dt.date.fromisoformat(path.rsplit("=", 1)[1])
    monday = day - dt.timedelta(days=day.weekday())
    base = path.split("&from=")[0]
    full = client.get(f"{base}&from={monday}&to={monday + dt.timedelta(days=6)}").json
    asked = 0
    with counting(sqlite_app) as statements:
        for start in range(7):
            for end in range(start, 7):
                first, last = monday + dt.timedelta(days=start), monday + dt.timedelta(days=end)
                answer = client.get(f"{base}&from={first}&to={last}").json
                asked += 1
                assert [d["date"] for d in answer["days"]] == [
                    str(first + dt.timedelta(days=n)) for n in range(end - start + 1)]
                assert answer["slots"] == [s for s in full["slots"] if str(first) <= s["start"][:10] <= str(last)]
    assert asked == 28 and statements == []  # 28 different questions, not one SQL statement


def test_availability_is_rate_limited_per_address(sqlite_app):
    _, path = one_slot_day(sqlite_app)
    sqlite_app.config["API_AVAILABILITY_LIMIT_PER_IP"] = "5 per minute"
    client = sqlite_app.test_client()
    statuses = [client.get(path).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    other = client.get(path, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200  # another address has its own budget


@pytest.mark.slow
def test_the_hall_display_is_rate_limited_per_address(sqlite_app):
    with sqlite_app.app_context():
        make_office()
        db.session.commit()
    client = sqlite_app.test_client()
    statuses = [client.get("/api/v1/display/registry").status_code for _ in range(601)]
    assert statuses[:600] == [200] * 600 and statuses[600] == 429
    page = [client.get("/display/registry", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code
            for _ in range(601)]
    assert page[-1] == 429


def test_zero_seconds_turns_the_cache_off(sqlite_app):
    slot_id, path = one_slot_day(sqlite_app)
    cached(sqlite_app, seconds=0)
    client = sqlite_app.test_client()
    assert remaining(client.get(path)) == 2
    book(sqlite_app, slot_id, 0)
    assert remaining(client.get(path)) == 1


def test_sqlite_availability_reads_while_another_connection_holds_the_write_lock(sqlite_app):
    """Readers begin deferred: with a booking's write transaction open elsewhere they answer
    from their snapshot at once instead of waiting up to the 30 s busy timeout."""
    slot_id, path = one_slot_day(sqlite_app)
    client = sqlite_app.test_client()
    writer = sqlite3.connect(sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"),
                             isolation_level=None, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE slot SET booked_bookings = 1, booked_people = 2 WHERE id = ?", (slot_id,))
        assert remaining(client.get(path)) == 2  # the uncommitted write is not seen
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert remaining(client.get(path)) == 1


def test_an_answer_cut_from_a_block_is_as_old_as_the_block(sqlite_app):
    """A day's answer cut from its week's block, read 0.9 s before, may live 0.1 s more: not a
    whole second more, which made answers up to twice AVAILABILITY_CACHE_SECONDS old."""
    slot_id, path = one_slot_day(sqlite_app)
    clock = cached(sqlite_app, seconds=1.0)
    client = sqlite_app.test_client()
    day = dt.date.fromisoformat(path.rsplit("=", 1)[1])
    monday = day - dt.timedelta(days=day.weekday())
    week = f"{path.split('&from=')[0]}&from={monday}&to={monday + dt.timedelta(days=6)}"
    assert remaining(client.get(week)) == 2  # the block is read now
    book(sqlite_app, slot_id, 0)
    clock.now += 0.9
    assert remaining(client.get(path)) == 2  # cut from the block: 0.9 s old, allowed
    clock.now += 0.2
    assert remaining(client.get(path)) == 1  # the block and its cut are 1.1 s old: read again


def share(app, seconds: float, url: str = REDIS_URL) -> None:
    """The app's caches on the real clock, sharing answers through `url`."""
    app.extensions["availability_cache"] = MicroCache(seconds)
    app.extensions["shared_availability"] = SharedAnswers(url, seconds)


def test_processes_share_answers_through_redis_and_no_answer_grows_older(sqlite_app):
    """Two apps on one database stand for two gunicorn workers: the second takes the first's
    answer from Redis without a statement, and keeps it only until the first's would expire."""
    slot_id, path = one_slot_day(sqlite_app)
    other = make_app(sqlite_app.config["SQLALCHEMY_DATABASE_URI"])
    redis.Redis.from_url(REDIS_URL).flushdb()
    share(sqlite_app, 2.0)
    share(other, 2.0)
    assert remaining(sqlite_app.test_client().get(path)) == 2
    made = time.monotonic()  # the answer was made before this: it expires before made + 2
    book(sqlite_app, slot_id, 0)
    time.sleep(1.2)
    with counting(other) as statements:
        assert remaining(other.test_client().get(path)) == 2  # the first worker's answer
    assert statements == []
    time.sleep(max(0.0, made + 2.05 - time.monotonic()))
    with counting(other) as statements:
        assert remaining(other.test_client().get(path)) == 1  # expired with the first's: read afresh
    assert statements
    with other.app_context():
        db.engine.dispose()


def test_an_unreachable_redis_answers_from_the_database_and_warns_once(sqlite_app, caplog):
    """Redis down: every answer comes from the database, Redis is tried again every 5 s, and
    the log says so once, not at every try; when it answers again, one line says that too."""
    slot_id, path = one_slot_day(sqlite_app)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = Clock()
    shared = SharedAnswers(f"redis://127.0.0.1:{port}/0", 60.0, clock=clock)
    sqlite_app.extensions["availability_cache"] = MicroCache(0)  # every request asks Redis
    sqlite_app.extensions["shared_availability"] = shared
    client = sqlite_app.test_client()
    with caplog.at_level(logging.INFO, logger="booking.microcache"):
        assert remaining(client.get(path)) == 2
        book(sqlite_app, slot_id, 0)
        assert remaining(client.get(path)) == 1
        clock.now += 6  # past the rest: Redis is tried again, and fails again
        assert remaining(client.get(path)) == 1
        lines = [r.getMessage() for r in caplog.records if r.name == "booking.microcache"]
        assert len(lines) == 1 and "ConnectionError" in lines[0]

        shared._redis = redis.Redis.from_url(REDIS_URL)  # Redis is back
        clock.now += 6
        assert remaining(client.get(path)) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "booking.microcache"]
    assert len(lines) == 2 and "reachable again" in lines[1]


def test_answers_are_shared_through_the_rate_limits_redis_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("AVAILABILITY_CACHE_URL", raising=False)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert availability_cache_url() is None
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://cache.internal:6379/2")
    assert availability_cache_url() == "redis://cache.internal:6379/2"
    monkeypatch.setenv("AVAILABILITY_CACHE_URL", "redis://other:6379/0")
    assert availability_cache_url() == "redis://other:6379/0"
    monkeypatch.setenv("AVAILABILITY_CACHE_URL", "none")
    assert availability_cache_url() is None
