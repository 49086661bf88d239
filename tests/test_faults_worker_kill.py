"""A gunicorn worker killed with SIGKILL in the middle of a flood of bookings loses nothing that
was acknowledged: every 201 booking persists with its outbox text, every slot's counters equal
its rows, and a request cut off with the worker is either wholly there or wholly absent.

gunicorn runs on 127.0.0.1 with two workers against this run's PostgreSQL database; client
threads book through the public API (codes verified beforehand through the domain, as a
citizen reads them from the text); the test kills each worker once while requests are in flight.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, PhoneVerification, Slot, SmsMessage

from .factories import make_office, make_service, make_slot, verified, visitor
from .gunicorn_server import children, post_json

ROOT = Path(__file__).resolve().parent.parent
BOOKINGS = 90
CLIENTS = 6


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
