"""Many requests race for one slot: exactly its limit is booked, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from booking import bookings
from booking.errors import BookingError
from booking.extensions import db
from booking.models import Booking, Slot

from . import race_worker
from .factories import make_office, make_service, make_slot, verified, visitor

LIMIT_BOOKINGS, LIMIT_PEOPLE = 10, 20


def racing_slot() -> Slot:
    """A marriage slot (two people a booking) with max 10 bookings and 20 people."""
    service = make_service(make_office(), slot_max_bookings=LIMIT_BOOKINGS,
                           slot_max_people=LIMIT_PEOPLE)
    slot = make_slot(service)
    db.session.commit()
    return slot


def contenders(n: int) -> list[dict]:
    """n citizens, each with their own phone, verified code and two distinct visitors."""
    result = []
    for i in range(n):
        phone = f"+86139{i:08d}"
        verification_id, code = verified(phone)
        result.append({"phone": phone, "verification_id": verification_id, "code": code,
                       "visitors": [visitor(2 * i), visitor(2 * i + 1)]})
    return result


def assert_exactly_full(slot_id: int) -> None:
    db.session.expire_all()
    slot = db.session.get(Slot, slot_id)
    rows = db.session.execute(
        select(func.count(Booking.id), func.coalesce(func.sum(Booking.party_size), 0))
        .where(Booking.slot_id == slot_id, Booking.status == "booked")).one()
    assert (slot.booked_bookings, slot.booked_people) == (LIMIT_BOOKINGS, LIMIT_PEOPLE)
    assert tuple(rows) == (slot.booked_bookings, slot.booked_people), "counters equal the rows"


def test_fifty_threads_on_sqlite_book_exactly_the_limit(sqlite_app):
    with sqlite_app.app_context():
        slot_id = racing_slot().id
        people = contenders(50)
    start = threading.Barrier(50)

    def one(item):
        with sqlite_app.app_context():
            start.wait()
            try:
                bookings.book(slot_id=slot_id, phone=item["phone"], visitors=item["visitors"],
                              verification=(item["verification_id"], item["code"]))
                return "booked"
            except BookingError as error:
                return type(error).__name__
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(one, people))
    assert outcomes == {"booked": LIMIT_BOOKINGS, "SlotFull": 50 - LIMIT_BOOKINGS}
    with sqlite_app.app_context():
        assert_exactly_full(slot_id)


@pytest.mark.postgres
@pytest.mark.slow
def test_eight_processes_on_postgres_book_exactly_the_limit(pg_app, postgres_url):
    with pg_app.app_context():
        slot_id = racing_slot().id
        people = contenders(200)
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager:
        start = manager.Event()
        with spawn.Pool(8) as pool:
            results = [pool.apply_async(race_worker.race,
                                        (postgres_url, slot_id, people[i * 25:(i + 1) * 25], start))
                       for i in range(8)]
            start.set()
            outcomes = Counter(o for r in results for o in r.get(timeout=120))
    assert outcomes == {"booked": LIMIT_BOOKINGS, "SlotFull": 200 - LIMIT_BOOKINGS}
    with pg_app.app_context():
        assert_exactly_full(slot_id)


def test_two_racing_bookings_for_one_person_give_one_booking_and_one_clear_conflict(any_app):
    """The identity claim is a primary key: the race is settled by the database, as a 409."""
    with any_app.app_context():
        slot_id = racing_slot().id
        people = contenders(8)
    same_couple = [visitor(900), visitor(901)]
    start = threading.Barrier(8)

    def one(item):
        with any_app.app_context():
            start.wait()
            try:
                bookings.book(slot_id=slot_id, phone=item["phone"], visitors=same_couple,
                              verification=(item["verification_id"], item["code"]))
                return "booked"
            except BookingError as error:
                return (error.code, error.status)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(one, people))
    assert outcomes == {"booked": 1, ("identity_already_booked", 409): 7}


def test_racing_marriage_bookings_of_one_person_on_different_days_give_one_booking(any_app):
    """Marriage holds one active booking per person whatever the day: no claim key covers two
    days, so a lock on the person (PostgreSQL) or the single writer (SQLite) settles the race."""
    with any_app.app_context():
        service = make_service(make_office())
        slot_ids = [make_slot(service, days_ahead=d, at=dt.time(h)).id for d in (2, 3, 4, 5) for h in (10, 14)]
        db.session.commit()
        people = contenders(8)
    start = threading.Barrier(8)

    def one(pair):
        slot_id, item = pair
        with any_app.app_context():
            start.wait()
            try:
                # the same man, each time with a different woman
                bookings.book(slot_id=slot_id, phone=item["phone"], visitors=[visitor(901), item["visitors"][0]],
                              verification=(item["verification_id"], item["code"]))
                return "booked"
            except BookingError as error:
                return (error.code, error.status)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(one, zip(slot_ids, people, strict=True)))
    assert outcomes == {"booked": 1, ("identity_already_booked", 409): 7}
    with any_app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 1
