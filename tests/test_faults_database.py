"""The database unreachable or locked for a while: a clear 503, nothing half-written, and the
service recovers by itself when the database is back (no restart).

SQLite: another connection holds BEGIN EXCLUSIVE longer than a short busy timeout.
PostgreSQL: the app reaches the server through a TCP relay that the test takes down (and every
open connection with it) and brings back; and another connection holds the slot's row lock
longer than the app's lock_timeout.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from booking import accounts
from booking.extensions import db
from booking.models import AuditEvent, Booking, IdentityClaim, PhoneVerification, Slot, SmsMessage, Visitor

from . import web_helpers
from .conftest import _fresh_schema, make_app
from .factories import PHONE, last_code, setup_marriage_slot, verified, visitor

# The lock is held for the whole of each check, so any wait gives up the same way; each locked
# request waits this long (the walk over every page sends ~40: 8 s at 200 ms).
BUSY_TIMEOUT_MS = 50


def counts() -> dict:
    """Every row a booking or a code request writes, and the slot counters."""
    db.session.expire_all()
    tables = (Booking, Visitor, IdentityClaim, SmsMessage, AuditEvent, PhoneVerification)
    result = {table.__tablename__: db.session.scalar(select(func.count()).select_from(table))
              for table in tables}
    result["slot_counters"] = tuple(db.session.execute(
        select(func.sum(Slot.booked_bookings), func.sum(Slot.booked_people))).one())
    result["codes_used"] = db.session.scalar(
        select(func.count()).select_from(PhoneVerification).where(PhoneVerification.used_at.is_not(None)))
    db.session.rollback()
    return result


def booking_body(slot_id: int, verification_id: str, code: str) -> dict:
    return {"slot_id": slot_id, "phone": PHONE, "verification_id": verification_id, "code": code,
            "visitors": [visitor(1), visitor(2)], "lang": "en"}


def assert_unavailable_json(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.is_json
    assert response.get_json()["error"] == "unavailable"
    assert response.get_json()["fields"] == {}
    assert int(response.headers["Retry-After"]) > 0


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "服务暂时不可用" in page and "Service briefly unavailable" in page
    assert "Traceback" not in page and "sqlite" not in page.lower() and "psycopg" not in page.lower()


# --- SQLite: a writer holding the database past the busy timeout ------------------------------

@pytest.fixture
def short_busy_sqlite(tmp_path):
    """The app on a SQLite file whose connections give up waiting for a lock after 50 ms."""
    path = tmp_path / "locked.db"
    app = make_app(f"sqlite:///{path}")
    _fresh_schema(app)
    with app.app_context():
        # Runs after the app's own connect hook (which sets 30 s), on every new connection.
        event.listen(db.engine, "connect",
                     lambda conn, _record: conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"))
        db.engine.dispose()
    yield app, path
    with app.app_context():
        db.engine.dispose()


@contextmanager
def sqlite_exclusive_lock(path):
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_sqlite_locked_booking_answers_503_writes_nothing_and_recovers(short_busy_sqlite):
    app, path = short_busy_sqlite
    client = app.test_client()
    with app.app_context():
        slot_id = setup_marriage_slot().id
        verification_id, code = verified()
        before = counts()

    with sqlite_exclusive_lock(path):
        locked = client.post("/api/v1/bookings", json=booking_body(slot_id, verification_id, code))
        code_request = client.post("/api/v1/phone-verifications", json={"phone": "+8613900000001"})
    assert_unavailable_json(locked)
    assert_unavailable_json(code_request)
    with app.app_context():
        assert counts() == before, "nothing half-written"

    # The lock is gone: the very same request now succeeds, with no restart.
    again = client.post("/api/v1/bookings", json=booking_body(slot_id, verification_id, code))
    assert again.status_code == 201, again.get_json()
    with app.app_context():
        after = counts()
    assert after["booking"] == before["booking"] + 1
    assert after["slot_counters"] == (1, 2)
    assert after["sms_message"] == before["sms_message"] + 1


def test_sqlite_locked_page_is_a_bilingual_503_then_the_page_works(short_busy_sqlite):
    app, path = short_busy_sqlite
    client = app.test_client()
    with app.app_context():
        setup_marriage_slot()
    with sqlite_exclusive_lock(path):
        page = client.get("/")
        message = client.get("/api/v1/offices", headers={"Accept-Language": "zh-CN"})
    assert_unavailable_page(page)
    assert_unavailable_json(message)
    assert "服务暂时不可用" in message.get_json()["message"]
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/offices").status_code == 200


def test_sqlite_locked_page_speaks_the_readers_chinese_script(short_busy_sqlite):
    app, path = short_busy_sqlite
    client = app.test_client()
    with app.app_context():
        setup_marriage_slot()
    with sqlite_exclusive_lock(path):
        page = client.get("/", headers={"Accept-Language": "zh-HK"})
        message = client.get("/api/v1/offices", headers={"Accept-Language": "zh-TW"})
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert '<html lang="zh-Hant">' in html and "服務暫時不可用" in html and "返回首頁" in html
    assert "Service briefly unavailable" in html
    assert message.get_json()["message"].startswith("服務暫時不可用")


def test_sqlite_locked_booking_form_is_a_503_page_and_the_same_form_books_afterwards(short_busy_sqlite):
    app, path = short_busy_sqlite
    client = app.test_client()
    with app.app_context():
        slot_id = setup_marriage_slot().id
    people = [visitor(3), visitor(4)]
    sent = web_helpers.send_code(client, slot_id, people)
    assert sent.status_code == 200
    with app.app_context():
        data = web_helpers.form_data(sent.get_data(as_text=True), people, code=last_code(PHONE))
        before = counts()

    with sqlite_exclusive_lock(path):
        locked = client.post(f"/book/slot/{slot_id}", data=data)
    assert_unavailable_page(locked)
    with app.app_context():
        assert counts() == before, "nothing half-written"
    booked = client.post(f"/book/slot/{slot_id}", data=data)
    assert booked.status_code in (302, 303), booked.status_code
    with app.app_context():
        assert counts()["booking"] == before["booking"] + 1


def test_sqlite_locked_every_page_and_call_is_a_503_never_a_500(short_busy_sqlite):
    """Walks every GET route of the URL map (a staff user logged in first) while the database
    is locked: each answers normally (it needs no database) or with the 503, in its format."""
    app, path = short_busy_sqlite
    with app.app_context():
        slot = setup_marriage_slot()
        values = {"office_code": "registry", "office": "registry", "service_code": "marriage", "slot_id": slot.id,
                  "day": "2030-01-01", "reference": "ABCDEFGH", "token": "x", "position": 0, "filename": "site.css"}
        accounts.create_staff("outage-admin", "outage password 1", "admin", None)
    client = app.test_client()
    login = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    assert client.post("/staff/login", data={"csrf_token": token, "username": "outage-admin",
                                             "password": "outage password 1"}).status_code == 302
    unavailable = 0
    with sqlite_exclusive_lock(path):
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static" or not set(rule.arguments) <= set(values):
                continue
            url = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
            response = client.get(url)
            response.close()
            assert response.status_code != 500, f"GET {rule.rule}: a 500 during the outage"
            if response.status_code == 503 and rule.endpoint != "web.healthz":
                (assert_unavailable_json if url.startswith("/api/") else assert_unavailable_page)(response)
                unavailable += 1
    assert unavailable >= 10


def test_sqlite_locked_health_check_reports_the_database(short_busy_sqlite):
    app, path = short_busy_sqlite
    client = app.test_client()
    with sqlite_exclusive_lock(path):
        assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").status_code == 200


# --- PostgreSQL: the server unreachable for a while, through a relay the test controls --------

class TcpRelay:
    """Forwards 127.0.0.1:<port> to the PostgreSQL server; down() refuses and cuts everything."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = _free_port()
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Stop listening (new connections are refused) and cut every open connection."""
        listener, self.listener = self.listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
            except OSError:
                pass
            listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            server = socket.create_connection(self.target)
            with self.lock:
                self.sockets.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def relayed_pg(postgres_url):
    url = make_url(postgres_url)
    relay = TcpRelay(url.host, url.port or 5432)
    relay.up()
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    app = make_app(relayed, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_pre_ping": True, "hide_parameters": True, "connect_args": {"connect_timeout": 2}})
    _fresh_schema(app)
    yield app, relay
    relay.down()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_postgres_unreachable_answers_503_and_recovers_without_restart(relayed_pg):
    app, relay = relayed_pg
    client = app.test_client()
    with app.app_context():
        slot_id = setup_marriage_slot().id
        verification_id, code = verified()
        before = counts()
    assert client.get("/api/v1/offices").status_code == 200  # a pooled connection exists now

    relay.down()
    assert_unavailable_json(client.post("/api/v1/bookings", json=booking_body(slot_id, verification_id, code)))
    assert_unavailable_json(client.get("/api/v1/offices"))
    assert_unavailable_page(client.get("/"))
    assert client.get("/healthz").status_code == 503

    relay.up()
    with app.app_context():
        assert counts() == before, "nothing half-written"
    booked = client.post("/api/v1/bookings", json=booking_body(slot_id, verification_id, code))
    assert booked.status_code == 201, booked.get_json()
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        assert counts()["slot_counters"] == (1, 2)


@contextmanager
def pg_app_with_a_slot(postgres_url: str, **overrides):
    """A PostgreSQL app with a marriage slot and a verified code, and another engine for the
    test to hold locks with: yields (app, client, other engine, booking body, counts before)."""
    app = make_app(postgres_url, **overrides)
    _fresh_schema(app)
    other = create_engine(postgres_url)
    try:
        with app.app_context():
            slot_id = setup_marriage_slot().id
            verification_id, code = verified()
            before = counts()
        yield app, app.test_client(), other, booking_body(slot_id, verification_id, code), before
    finally:
        other.dispose()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def post_while_held(client, other, body: dict, lock_sql: str, **params):
    """Post the booking while another session holds a lock (`lock_sql`), then let it go."""
    with other.connect() as conn:
        conn.execute(text(lock_sql), params)
        answer = client.post("/api/v1/bookings", json=body)
        conn.rollback()
    return answer


@pytest.mark.postgres
def test_postgres_slot_row_locked_past_lock_timeout_answers_503_and_writes_nothing(postgres_url):
    with pg_app_with_a_slot(postgres_url, SQLALCHEMY_ENGINE_OPTIONS={
            "pool_pre_ping": True, "hide_parameters": True,
            "connect_args": {"options": "-c lock_timeout=300"}}) as (app, client, other, body, before):
        locked = post_while_held(client, other, body, "SELECT id FROM slot WHERE id = :id FOR UPDATE",
                                 id=body["slot_id"])
        assert_unavailable_json(locked)
        with app.app_context():
            assert counts() == before, "nothing half-written: no booking, no text, code still unused"
        again = client.post("/api/v1/bookings", json=body)
        assert again.status_code == 201, again.get_json()


@pytest.mark.postgres
def test_no_free_pooled_connection_is_a_503_not_a_500(postgres_url):
    """Every pooled connection busy past pool_timeout: the API says "try again", as for an outage."""
    app = make_app(postgres_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0,
                                                             "pool_timeout": 0.3})
    _fresh_schema(app)
    with app.app_context():
        held = db.engine.connect()  # the only connection in the pool
        try:
            response = app.test_client().get("/api/v1/offices")
            assert response.status_code == 503
            assert response.get_json()["error"] == "unavailable"
        finally:
            held.close()
        assert app.test_client().get("/api/v1/offices").status_code == 200
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_postgres_a_phone_locked_by_a_stuck_booking_answers_busy_after_the_lock_timeout(postgres_url):
    """bookings.lock_booker waits for another booking of the same phone (or person) only so
    long: past BOOKER_LOCK_TIMEOUT_MS a clear 503 `busy` (with Retry-After), nothing written."""
    with pg_app_with_a_slot(postgres_url, BOOKER_LOCK_TIMEOUT_MS=300) as (app, client, other, body, before):
        locked = post_while_held(client, other, body, "SELECT pg_advisory_xact_lock(hashtext(:key))",
                                 key=f"bookings-of-phone:{PHONE}")  # a booking of the phone hangs
        assert (locked.status_code, locked.get_json()["error"]) == (503, "busy"), locked.get_json()
        assert "Another booking" in locked.get_json()["message"]
        assert int(locked.headers["Retry-After"]) > 0
        with app.app_context():
            assert counts() == before
        again = client.post("/api/v1/bookings", json=body)
        assert again.status_code == 201, again.get_json()
