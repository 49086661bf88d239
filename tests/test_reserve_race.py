"""Races on the assisted reserve (docs/contract.md): online bookers can never take the places a slot
keeps for telephone and counter bookings, assisted ones can, however the requests interleave.
The place-taking statement itself enforces the channel's allowance. On PostgreSQL through
gunicorn with two workers, on SQLite through a threaded server (tests/test_races.py's server)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking import accounts
from booking.extensions import db
from booking.models import ACTIVE_STATUSES, Booking, Slot

from .factories import make_office, make_service, make_slot, verified, visitor
from .test_races import PARALLEL, at_once, server  # noqa: F401  (server: the fixture)

MAX, RESERVE = 4, 2


def reserve_world(app, slots: int = 1) -> tuple[list[int], str]:
    """Slots of MAX bookings keeping RESERVE for assisted bookings until 24 h before (they are
    two days ahead: kept), and a clerk's token."""
    with app.app_context():
        office = make_office("reserve-race")
        service = make_service(office, slot_max_bookings=MAX, slot_max_people=2 * MAX,
                               assisted_reserve=RESERVE, assisted_release_hours=24)
        ids = [make_slot(service, at=dt.time(9 + i)).id for i in range(slots)]
        db.session.commit()
        clerk = accounts.create_staff("clerk-race", "clerk password 1", "clerk", office.code)
        return ids, accounts.issue_token(clerk)


def online_calls(app, base: str, slot_id: int, first: int) -> list:
    """PARALLEL online bookings of couples numbered from `first`, each with its own phone and code."""
    calls = []
    with app.app_context():
        for n in range(first, first + PARALLEL):
            phone = f"+86136{n:08d}"
            verification_id, code = verified(phone)
            calls.append((base + "/api/v1/bookings", {
                "slot_id": slot_id, "phone": phone, "verification_id": verification_id, "code": code,
                "visitors": [visitor(2 * n), visitor(2 * n + 1)], "lang": "zh"}, None))
    return calls


def assisted_calls(base: str, token: str, slot_id: int, first: int) -> list:
    """PARALLEL telephone bookings without a phone, couples numbered from `first`."""
    return [(base + "/api/v1/staff/bookings", {
        "slot_id": slot_id, "channel": "phone", "visitors": [visitor(2 * n), visitor(2 * n + 1)]},
        {"Authorization": f"Bearer {token}"}) for n in range(first, first + PARALLEL)]


def ledger(app, slot_id: int) -> dict[str, int]:
    """Active bookings of the slot by source, after checking its counters equal them."""
    with app.app_context():
        db.session.expire_all()
        slot = db.session.get(Slot, slot_id)
        rows = db.session.execute(select(Booking.source, func.count(Booking.id), func.sum(Booking.party_size))
                                  .where(Booking.slot_id == slot_id, Booking.status.in_(ACTIVE_STATUSES))
                                  .group_by(Booking.source)).all()
        assert slot.booked_bookings == sum(r[1] for r in rows) <= MAX
        assert slot.booked_people == sum(r[2] for r in rows)
        db.session.remove()
        return {source: count for source, count, _ in rows}


def statuses(outcomes) -> list[int | None]:
    return sorted(status for status, _ in outcomes)


@pytest.mark.slow
def test_online_bookers_racing_for_a_slot_never_take_its_reserve_and_assisted_ones_take_it(any_app, server):  # noqa: F811
    [slot], token = reserve_world(any_app)
    online = at_once(online_calls(any_app, server, slot, 100))
    assert statuses(online) == [201] * (MAX - RESERVE) + [409] * (PARALLEL - MAX + RESERVE), online
    assert {answer["error"] for status, answer in online if status == 409} == {"slot_full"}
    assert ledger(any_app, slot) == {"api": MAX - RESERVE}
    assisted = at_once(assisted_calls(server, token, slot, 200))
    assert statuses(assisted) == [201] * RESERVE + [409] * (PARALLEL - RESERVE), assisted
    assert ledger(any_app, slot) == {"api": MAX - RESERVE, "phone": RESERVE}


@pytest.mark.slow
def test_online_and_assisted_bookers_racing_together_leave_online_within_its_share(any_app, server):  # noqa: F811
    [slot], token = reserve_world(any_app)
    calls = online_calls(any_app, server, slot, 300) + assisted_calls(server, token, slot, 400)
    outcomes = at_once(calls)
    assert statuses(outcomes).count(201) == MAX, outcomes  # the assisted ones can always fill it
    booked = ledger(any_app, slot)
    assert sum(booked.values()) == MAX and booked.get("api", 0) <= MAX - RESERVE, booked
