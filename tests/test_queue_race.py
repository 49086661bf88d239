"""Counters pressing "call next" at the same moment never get the same ticket (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.hall import door, queue
from booking.models import Booking, Office, StaffUser
from tests.test_staff_support import book, clear, make_office2

pytestmark = pytest.mark.postgres


def test_racing_counters_each_call_a_different_ticket(pg_app):
    with pg_app.app_context():
        day = make_office2("registry-a")
        for i in range(5):
            booking = book(day.running, [2 * i, 2 * i + 1])
            clear(booking)
            door.check_in(booking, [36.5, 36.5], day.clerk)
    results, start = [], threading.Barrier(8)

    def counter(n: int) -> None:
        with pg_app.app_context():
            office = db.session.scalar(select(Office))
            clerk = db.session.scalar(select(StaffUser).where(StaffUser.role == "clerk"))
            start.wait()
            try:
                results.append(queue.call_next(office, str(n), clerk).id)
            except queue.NothingWaiting:
                results.append(None)

    threads = [threading.Thread(target=counter, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    called = [r for r in results if r is not None]
    assert len(results) == 8 and len(called) == 5 and len(set(called)) == 5
    with pg_app.app_context():
        counters = db.session.scalars(select(Booking.counter).where(Booking.status == "called")).all()
    assert len(set(counters)) == 5
