"""Races for one freed place through gunicorn (2 workers) on PostgreSQL (TESTING.md, Races).

A barrier releases at once: many claims of the offered entry (a double-tapping phone, a
script with the leaked link), claims of the entries behind it that hold no offer, and public
bookings of the same slot. Exactly one booking comes of it, and a sampler reading the ledger in
single statements all along never sees the slot's counters differ from its bookings + holds.
The second race sets a claim against the expiry job at the end of the window: either the
claim wins (one booking) or the next in line is offered, never both.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text, update

from booking import bookings
from booking.extensions import db
from booking.models import Booking, WaitingEntry, utcnow
from booking.waiting import holds

from .conftest import _fresh_schema
from .factories import verified, visitor
from .gunicorn_server import post_json
from .waiting_helpers import assert_ledger, full_day, join

LEDGER = text("""
    SELECT s.booked_bookings - (SELECT count(*) FROM booking b WHERE b.slot_id = s.id
                                AND b.status IN ('booked', 'confirmed', 'checked_in', 'called'))
                             - (SELECT count(*) FROM waiting_hold h WHERE h.slot_id = s.id
                                AND h.status IN ('held', 'offered'))
    FROM slot s WHERE s.id = :slot_id""")


class Sampler(threading.Thread):
    """Reads the ledger difference of one slot again and again until stopped."""

    def __init__(self, app, slot_id: int):
        super().__init__(daemon=True)
        self.app, self.slot_id, self.seen = app, slot_id, Counter()
        self.stop = threading.Event()

    def run(self):
        with self.app.app_context():
            while not self.stop.is_set():
                self.seen[db.session.scalar(LEDGER, {"slot_id": self.slot_id})] += 1
                db.session.rollback()
            db.session.remove()


def claim(base: str, entry: dict) -> str:
    status, answer = post_json(f"{base}/api/v1/waiting-list/{entry['reference']}/claim?token={entry['token']}", {})
    return "booked" if status == 201 else (answer or {}).get("error", str(status))


@pytest.mark.postgres
@pytest.mark.slow
def test_many_parallel_claims_for_one_freed_place_give_exactly_one_booking(pg_app, gunicorn):  # noqa: F811
    base, _ = gunicorn
    with pg_app.app_context():
        service, slot, day, (taken,) = full_day()
        line = [join(service, day, n) for n in range(1, 6)]
        line = [{"reference": j.entry.reference, "token": j.token} for j in line]
        public = []
        for n in range(20, 30):
            phone = f"+86134{n:08d}"
            verification_id, code = verified(phone)
            public.append({"slot_id": slot.id, "phone": phone, "verification_id": verification_id,
                           "code": code, "visitors": [visitor(2 * n), visitor(2 * n + 1)]})
        bookings.cancel(taken.booking)  # the place is held and offered to line[0]
        slot_id = slot.id
        db.session.remove()
    sampler = Sampler(pg_app, slot_id)
    sampler.start()
    tasks = ([("claim", line[0])] * 20 + [("claim", entry) for entry in line[1:]] * 2
             + [("book", body) for body in public])
    start = threading.Barrier(len(tasks))

    def one(task):
        kind, item = task
        start.wait()
        if kind == "claim":
            return kind, claim(base, item)
        status, answer = post_json(base + "/api/v1/bookings", item)
        return kind, "booked" if status == 201 else (answer or {}).get("error", str(status))

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        outcomes = Counter(pool.map(one, tasks))
    sampler.stop.set()
    sampler.join(10)
    assert outcomes == {("claim", "booked"): 1, ("claim", "no_offer"): 27, ("book", "slot_full"): 10}
    assert set(sampler.seen) == {0} and sum(sampler.seen.values()) > 10
    with pg_app.app_context():
        assert_ledger(slot_id)
        active = db.session.query(Booking).filter(Booking.slot_id == slot_id,
                                                  Booking.status == "booked").count()
        assert active == 1


def expiry_round(app, base: str) -> tuple[Counter, int, str]:
    """One race of 8 claimers and the expiry job at the end of a 1-second window:
    (claim outcomes, bookings of the slot, status of the second in line)."""
    _fresh_schema(app)
    with app.app_context():
        service, slot, day, (taken,) = full_day(claim_minutes=30)
        first, second = join(service, day, 1), join(service, day, 2)
        bookings.cancel(taken.booking)
        ends = utcnow() + dt.timedelta(seconds=1)
        db.session.execute(update(WaitingEntry).where(WaitingEntry.id == first.entry.id)
                           .values(offer_expires_at=ends))
        db.session.commit()
        mine = {"reference": first.entry.reference, "token": first.token}
        slot_id, second_id = slot.id, second.entry.id
        db.session.remove()
    start = threading.Barrier(9)
    until = ends + dt.timedelta(seconds=0.5)

    def claimer():
        start.wait()
        results = []
        while utcnow() < until:
            results.append(claim(base, mine))
        return results

    def expirer():
        start.wait()
        with app.app_context():
            while utcnow() < until:
                holds.run_due(utcnow())
            db.session.remove()
        return []

    with ThreadPoolExecutor(max_workers=9) as pool:
        futures = [pool.submit(claimer) for _ in range(8)] + [pool.submit(expirer)]
        outcomes = Counter(o for f in futures for o in f.result())
    with app.app_context():
        assert_ledger(slot_id)
        second_status = db.session.get(WaitingEntry, second_id).status
        booked = db.session.query(Booking).filter(Booking.slot_id == slot_id,
                                                  Booking.status == "booked").count()
        db.session.remove()
    return outcomes, booked, second_status


@pytest.mark.postgres
@pytest.mark.slow
def test_a_claim_racing_the_expiry_either_books_or_passes_the_place_on_never_both(pg_app, gunicorn):  # noqa: F811
    base, _ = gunicorn
    for round_ in range(3):
        outcomes, booked, second_status = expiry_round(pg_app, base)
        assert outcomes["booked"] == booked <= 1, (round_, outcomes)
        assert second_status == ("waiting" if booked else "offered"), (round_, outcomes)
        assert set(outcomes) <= {"booked", "no_offer", "offer_expired"}
