"""Reads stay flat: the SQL statements a request runs do not grow with the slots or bookings
it shows (no N+1 queries). Counted with SQLAlchemy's before_cursor_execute event."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

from sqlalchemy import event

from booking import accounts, bookings, challenge
from booking.extensions import db
from booking.models import Service, utcnow
from tests.factories import SHANGHAI, make_office, make_service, make_slot, verified, visitor
from tests.test_staff_support import PASSWORD, clear, make_office2, running_slot
from tests.test_staff_support import book as staff_book


@contextlib.contextmanager
def counting(app):
    """Yields a list that collects every SQL statement sent while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(app, client, path: str, **kwargs) -> int:
    client.get(path, **kwargs)  # warm: the first request of a process loads more (e.g. the locale)
    with counting(app) as statements:
        answer = client.get(path, **kwargs)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return len(statements)


def add_slots(service, days_ahead: int, count: int) -> list:
    """`count` half-hour slots from 08:00 on the local day `days_ahead` from today."""
    start = dt.datetime(2000, 1, 1, 8, 0)
    return [make_slot(service, days_ahead=days_ahead, at=(start + dt.timedelta(minutes=30 * i)).time())
            for i in range(count)]


def book_some(slots, first: int, count: int) -> None:
    for k in range(count):
        n = first + k
        phone = f"+86138{n:08d}"
        bookings.book(slot_id=slots[k % len(slots)].id, phone=phone,
                      visitors=[visitor(2 * n), visitor(2 * n + 1)], verification=verified(phone))


def test_availability_runs_the_same_statements_for_2_slots_or_40_slots_with_bookings(any_app):
    client = any_app.test_client()
    with any_app.app_context():
        service = make_service(make_office())
        slots = add_slots(service, 2, 2)
        db.session.commit()
        book_some(slots, 0, 1)
        day = utcnow().astimezone(SHANGHAI).date()
    path = (f"/api/v1/availability?office=registry&service=marriage"
            f"&from={day}&to={day + dt.timedelta(days=6)}")
    few = statements_for(any_app, client, path)
    with any_app.app_context():
        service = db.session.merge(service)
        more = [slot for days_ahead in (3, 4, 5) for slot in add_slots(service, days_ahead, 13)]
        db.session.commit()
        book_some(more, 100, 12)
    many = statements_for(any_app, client, path)
    assert len(client.get(path).json["slots"]) == 2 + 39
    assert 0 < many == few


def test_home_page_runs_the_same_statements_however_many_slots_and_bookings(any_app):
    client = any_app.test_client()
    with any_app.app_context():
        service = make_service(make_office())
        slots = add_slots(service, 1, 1)
        db.session.commit()
    few = statements_for(any_app, client, "/")
    with any_app.app_context():
        service = db.session.merge(service)
        more = [slot for days_ahead in (2, 3, 4, 5, 6) for slot in add_slots(service, days_ahead, 10)]
        db.session.commit()
        book_some(more + slots, 200, 15)
    many = statements_for(any_app, client, "/")
    assert 0 < many == few


def queue_day(app, code: str):
    """An office with 3 bookings today in one running slot, two of them cleared at the door."""
    with app.app_context():
        d = make_office2(code)
        for i in range(3):
            booking = staff_book(d.running, [2 * i, 2 * i + 1])
            if i < 2:
                clear(booking)
        return d.service.id, accounts.issue_token(d.clerk)


def add_queue_bookings(app, service_id: int, count: int) -> None:
    """`count` more bookings today, spread over six more slots, every other one cleared."""
    with app.app_context():
        service = db.session.get(Service, service_id)
        start = utcnow().replace(second=0, microsecond=0)  # still today: the zone has it near noon
        slots = [running_slot(service, starts_at=start + dt.timedelta(minutes=10 * k),
                              ends_at=start + dt.timedelta(minutes=10 * k + 60)) for k in range(6)]
        db.session.commit()
        for k in range(count):
            booking = staff_book(slots[k % 6], [1000 + 2 * k, 1001 + 2 * k])
            if k % 2 == 0:
                clear(booking)


def test_staff_queue_page_runs_the_same_statements_with_3_or_30_bookings(any_app):
    client = any_app.test_client()
    service_id, _ = queue_day(any_app, "registry-q")
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"username": "clerk-registry-q", "password": PASSWORD,
                                      "csrf_token": token})
    path = "/staff/registry-q/queue"
    few = statements_for(any_app, client, path)
    add_queue_bookings(any_app, service_id, 27)
    many = statements_for(any_app, client, path)
    assert client.get(path).get_data(as_text=True).count('class="booking status-') == 30
    assert 0 < many == few


def test_staff_queue_api_runs_the_same_statements_with_3_or_30_bookings(any_app):
    client = any_app.test_client()
    service_id, token = queue_day(any_app, "registry-q")
    path, headers = "/api/v1/staff/queue?office=registry-q", {"Authorization": f"Bearer {token}"}
    few = statements_for(any_app, client, path, headers=headers)
    add_queue_bookings(any_app, service_id, 27)
    many = statements_for(any_app, client, path, headers=headers)
    rows = client.get(path, headers=headers).json["bookings"]
    assert len(rows) == 30 and sum(row["cleared"] for row in rows) == 2 + 14
    assert 0 < many == few


def test_a_booking_request_runs_seven_statements_on_postgresql_in_one_transaction(any_app):
    """The hot path of a flash crowd: the slot with the reference version (its service, office
    and closures come from the process's copy: booking.reference), the code's try spent and
    read in one UPDATE, the reads that check the rules (on PostgreSQL after one statement that
    locks the phone, and for a marriage the couple: bookings.lock_booker), and on PostgreSQL
    every write in one statement (the places, the booking, its visitors and claims, its text
    and audit event, the code's use); SQLite writes them one after another. Nothing is read
    after the commit, which would take a second connection and transaction.
    docs/benchmarks.md has the numbers."""
    client = any_app.test_client()
    with any_app.app_context():
        slot_id = make_slot(make_service(make_office())).id
        db.session.commit()
        proofs = [verified(f"+86138000000{n:02d}") for n in range(2)]

    def post(n: int):
        verification_id, code = proofs[n]
        return client.post("/api/v1/bookings", json={
            "slot_id": slot_id, "phone": f"+86138000000{n:02d}", "verification_id": verification_id,
            "code": code, "visitors": [visitor(2 * n), visitor(2 * n + 1)]})

    assert post(0).status_code == 201  # warm
    with counting(any_app) as statements:
        answer = post(1)
    assert answer.status_code == 201
    assert answer.json["visitors"][1]["name"] and answer.json["slot"]["id"] == slot_id
    assert answer.json["cleared"] is False
    sqlite = any_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    assert len([s for s in statements if s.startswith("BEGIN")]) == (1 if sqlite else 0)
    sql = [s for s in statements if not s.startswith("BEGIN")]
    assert len(sql) == (11 if sqlite else 6), "\n".join(sql)  # SQLite: no lock, writes in steps
    assert not [s for s in sql if "FROM service" in s or "FROM office" in s], "reference data read again"



def test_a_booking_for_a_slot_seen_full_is_refused_after_two_reads(any_app):
    """Most refusals in a rush are for slots taken a moment ago: they cost the slot and the
    closure read, not the whole check (bookings.check_room)."""
    client = any_app.test_client()
    with any_app.app_context():
        slot = make_slot(make_service(make_office()), max_bookings=1, max_people=2)
        db.session.commit()
        book_some([slot], 0, 1)
        slot_id = slot.id
        verification_id, code = verified("+8613900000001")
        challenge.may_be_required()  # the offices' challenge rules: read once per process per 5 s
    with counting(any_app) as statements:
        answer = client.post("/api/v1/bookings", json={
            "slot_id": slot_id, "phone": "+8613900000001", "verification_id": verification_id,
            "code": code, "visitors": [visitor(8), visitor(9)]})
    assert (answer.status_code, answer.json["error"]) == (409, "slot_full")
    sql = [s for s in statements if not s.startswith(("BEGIN", "ROLLBACK"))]
    assert len(sql) <= 2, "\n".join(sql)
