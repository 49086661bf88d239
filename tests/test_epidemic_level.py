"""The epidemic level through the API (docs/contract.md, third-wave additions), with the hall already full: the
limit falls at once, the display shows it, nobody inside is sent out, the door admits nobody
until occupancy plus the party fits, and future slots shrink through the capacity review (a
move texts the citizen). The door runs under a moving clock; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking import accounts
from booking.extensions import db
from booking.hall import door, queue
from booking.models import Booking, CapacityReview, Office, Slot, SmsMessage, utcnow
from booking.offices import admin as office_admin

from .api_schema import CheckedClient
from .test_staff_support import book, clear, make_office2

M = dt.timedelta(minutes=1)


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def full_hall(any_app):
    """An office with a hall limit of 8 and four couples inside (checked in a minute apart in
    a running slot), a fifth couple cleared at the door, six bookings tomorrow."""
    with any_app.app_context():
        d = make_office2("registry-l", hall_limit=8)
        parties = [book(d.running, [2 * i, 2 * i + 1]) for i in range(5)]
        for booking in parties:
            clear(booking)
        start = utcnow() + M  # the running slot started 20 minutes ago; declared just now
        for minute, booking in enumerate(parties[:4]):
            door.check_in(booking, [36.5, 36.5], d.clerk, now=start + minute * M)
        tomorrow = [book(d.tomorrow, [100 + 2 * i, 101 + 2 * i]) for i in range(6)]
        yield {"d": d, "parties": parties, "start": start, "tomorrow": tomorrow,
               "supervisor": accounts.issue_token(d.supervisor), "clerk": accounts.issue_token(d.clerk)}
        db.session.remove()


def test_a_level_change_with_a_full_hall_lowers_the_limit_at_once_and_sends_nobody_out(any_app, full_hall):
    d, parties, start = full_hall["d"], full_hall["parties"], full_hall["start"]
    api = CheckedClient(any_app.test_client())
    assert door.hall_limit(d.office) == 8 and door.occupancy(d.office, start + 5 * M) == 8

    answer = api.post("/api/v1/staff/epidemic-level", headers=auth(full_hall["supervisor"]),
                      json={"office": d.office.code, "level": "heightened"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"level": "heightened", "limit": 4, "listed": 1}
    display = api.get(f"/api/v1/display/{d.office.code}").get_json()
    assert (display["occupancy"], display["limit"], display["level"]) == (8, 4, "full")
    db.session.expire_all()
    assert [b.status for b in parties[:4]] == ["checked_in"] * 4, "nobody inside is sent out"

    fifth, clock = parties[4], start + 6 * M
    with pytest.raises(door.DoorRefused) as refused:
        door.check_in(fifth, [36.5, 36.5], d.clerk, now=clock)
    assert refused.value.code == "hall_full" and refused.value.details["limit"] == 4
    for leaving in parties[:2]:  # two couples leave: 4 inside, 4 + 2 > 4 still
        clock += 5 * M
        queue.complete(leaving, d.clerk, now=clock)
    with pytest.raises(door.DoorRefused):
        door.check_in(fifth, [36.5, 36.5], d.clerk, now=clock + M)
    queue.complete(parties[2], d.clerk, now=clock + 2 * M)  # 2 inside: the couple fits
    door.check_in(fifth, [36.5, 36.5], d.clerk, now=clock + 3 * M)
    assert fifth.status == "checked_in" and door.occupancy(d.office, clock + 3 * M) == 4

    emergency = api.post("/api/v1/staff/epidemic-level", headers=auth(full_hall["supervisor"]),
                         json={"office": d.office.code, "level": "emergency"})
    assert emergency.get_json()["limit"] == 2  # a quarter of 8
    back = api.post("/api/v1/staff/epidemic-level", headers=auth(full_hall["supervisor"]),
                    json={"office": d.office.code, "level": "normal"})
    assert back.get_json()["limit"] == 8


def test_future_slots_shrink_through_the_capacity_review_and_a_move_is_texted(any_app, full_hall):
    d, tomorrow = full_hall["d"], full_hall["tomorrow"]
    api = CheckedClient(any_app.test_client())
    api.post("/api/v1/staff/epidemic-level", headers=auth(full_hall["supervisor"]),
             json={"office": d.office.code, "level": "heightened"})
    db.session.expire_all()
    assert (d.tomorrow.max_bookings, d.tomorrow.booked_bookings) == (6, 6), "room kept for what is booked"
    (review,) = office_admin.open_reviews(d.office)
    assert review.booking_id == tomorrow[-1].id and review.target_bookings == 5
    later = Slot(service=d.service, office_id=d.office.id,
                            starts_at=d.tomorrow.starts_at + 2 * dt.timedelta(hours=1),
                            ends_at=d.tomorrow.ends_at + 2 * dt.timedelta(hours=1), max_bookings=5, max_people=10)
    db.session.add(later)
    db.session.commit()
    office_admin.move(review, later.id, d.supervisor)
    db.session.expire_all()
    assert d.tomorrow.max_bookings == 5 and db.session.get(Booking, tomorrow[-1].id).slot_id == later.id
    assert db.session.scalar(select(SmsMessage.kind).where(SmsMessage.booking_id == tomorrow[-1].id,
                                                           SmsMessage.kind == "rescheduled")) == "rescheduled"


def test_only_a_supervisor_of_the_office_sets_a_known_level(any_app, full_hall):
    d = full_hall["d"]
    api = CheckedClient(any_app.test_client())
    url = "/api/v1/staff/epidemic-level"
    body = {"office": d.office.code, "level": "heightened"}
    assert api.post(url, headers=auth(full_hall["clerk"]), json=body).status_code == 403
    other = make_office2("registry-m")
    elsewhere = accounts.issue_token(other.supervisor)
    assert api.post(url, headers=auth(elsewhere), json=body).status_code == 404
    bad = api.post(url, headers={**auth(full_hall["supervisor"]), "Accept-Language": "zh"},
                   json={**body, "level": "red"})
    assert bad.status_code == 422 and "只能是以下之一" in bad.get_json()["fields"]["level"]
    assert api.post(url, headers=auth(full_hall["supervisor"]), json={"office": d.office.code}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Office, d.office.id).epidemic_level == "normal"
    assert db.session.scalars(select(CapacityReview)).all() == []
