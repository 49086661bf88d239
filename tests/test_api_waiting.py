"""The waiting-list API (docs/contract.md) through HTTP, every answer checked against the
OpenAPI document: join a full day, see the position, claim the offer, leave."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.extensions import db
from booking.models import utcnow
from booking.waiting import holds

from .api_schema import CheckedClient
from .factories import last_code, visitor
from .waiting_helpers import assert_ledger, full_day


@pytest.fixture
def api(ctx, client):
    return CheckedClient(client)


def join_body(api, day: dt.date, n: int, lang: str = "zh") -> dict:
    phone = f"+86135{n:08d}"
    verification = api.post("/api/v1/phone-verifications", json={"phone": phone})
    return {"office": "registry", "service": "marriage", "date": day.isoformat(), "phone": phone,
            "verification_id": verification.get_json()["id"], "code": last_code(phone),
            "visitors": [visitor(2 * n), visitor(2 * n + 1)], "lang": lang}


def join(api, day: dt.date, n: int) -> dict:
    response = api.post("/api/v1/waiting-list", json=join_body(api, day, n))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_joining_a_day_with_places_is_409_not_full(api):
    service, slot, day, (taken,) = full_day()
    api.post(f"/api/v1/bookings/{taken.booking.reference}/cancel",
             headers={"X-Booking-Token": taken.token})
    response = api.post("/api/v1/waiting-list", json=join_body(api, day, 1))
    assert response.status_code == 409 and response.get_json()["error"] == "not_full"


def test_join_see_the_position_claim_the_offer(api):
    _, slot, day, (taken,) = full_day()
    first, second = join(api, day, 1), join(api, day, 2)
    assert (first["status"], first["position"], second["position"]) == ("waiting", 1, 2)
    assert first["manage_url"].endswith(f"/w/{first['reference']}/{first['token']}")
    mine = {"X-Booking-Token": first["token"]}
    early = api.post(f"/api/v1/waiting-list/{first['reference']}/claim", headers=mine)
    assert early.status_code == 409 and early.get_json()["error"] == "no_offer"

    cancelled = api.post(f"/api/v1/bookings/{taken.booking.reference}/cancel",
                         headers={"X-Booking-Token": taken.token})
    assert cancelled.status_code == 200
    shown = api.get(f"/api/v1/waiting-list/{first['reference']}", headers=mine).get_json()
    assert shown["status"] == "offered" and shown["offer"]["slot"]["id"] == slot.id
    assert api.get(f"/api/v1/waiting-list/{second['reference']}",
                   headers={"X-Booking-Token": second["token"]}).get_json()["position"] == 1

    claimed = api.post(f"/api/v1/waiting-list/{first['reference']}/claim", headers=mine)
    assert claimed.status_code == 201, claimed.get_json()
    booking = claimed.get_json()
    assert booking["status"] == "booked" and booking["slot"]["id"] == slot.id and booking["token"]
    assert api.get(f"/api/v1/bookings/{booking['reference']}",
                   headers={"X-Booking-Token": booking["token"]}).status_code == 200
    assert_ledger(slot.id)


def test_a_late_claim_is_409_offer_expired_and_leaving_passes_the_place_on(api):
    _, slot, day, (taken,) = full_day(claim_minutes=5)
    first, second = join(api, day, 1), join(api, day, 2)
    api.post(f"/api/v1/bookings/{taken.booking.reference}/cancel",
             headers={"X-Booking-Token": taken.token})
    holds.run_due(utcnow() + dt.timedelta(minutes=6))
    late = api.post(f"/api/v1/waiting-list/{first['reference']}/claim",
                    headers={"X-Booking-Token": first["token"]})
    assert late.status_code == 409 and late.get_json()["error"] in ("offer_expired", "no_offer")
    theirs = {"X-Booking-Token": second["token"]}
    assert api.get(f"/api/v1/waiting-list/{second['reference']}", headers=theirs).get_json()["status"] == "offered"
    left = api.post(f"/api/v1/waiting-list/{second['reference']}/leave", headers=theirs)
    assert left.status_code == 200 and left.get_json()["status"] == "left"
    again = api.post(f"/api/v1/waiting-list/{second['reference']}/leave", headers=theirs)
    assert again.status_code == 409 and again.get_json()["error"] == "not_waiting"
    db.session.expire_all()
    assert_ledger(slot.id)


def test_a_wrong_token_is_404_in_the_requests_language(api):
    _, _, day, _ = full_day()
    first = join(api, day, 1)
    response = api.get(f"/api/v1/waiting-list/{first['reference']}?token=wrong",
                       headers={"Accept-Language": "en"})
    assert response.status_code == 404 and response.get_json()["message"] == "No such waiting-list entry."


def test_bad_visitors_are_422_and_nothing_is_written(api):
    _, _, day, _ = full_day()
    body = join_body(api, day, 1) | {"visitors": [visitor(2)]}  # a marriage needs two
    response = api.post("/api/v1/waiting-list", json=body)
    assert response.status_code == 422 and response.get_json()["error"] == "party_size"
