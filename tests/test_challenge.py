"""The proof-of-work challenge (ALTCHA) through the API: off by default, required on an
office's popular days or always, automatically under load; a solution is good once."""

from __future__ import annotations

import altcha
import pytest

from booking.extensions import db
from booking.models import RationingSettings

from .api_schema import CheckedClient
from .factories import last_code, setup_marriage_slot, visitor


@pytest.fixture
def api(ctx, client):
    ctx.config["CHALLENGE_COST"] = 200  # the protocol, not the price, is under test
    return CheckedClient(client)


def solved(api) -> str:
    """A solution, as the widget or a client computes it."""
    challenge = altcha.v2.Challenge.from_dict(api.get("/api/v1/challenge").get_json())
    return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()


def booking_body(api, slot, n: int, **extra) -> dict:
    phone = f"+86139{n:08d}"
    sent = api.post("/api/v1/phone-verifications", json={"phone": phone, **extra})
    assert sent.status_code == 201, sent.get_json()
    return {"slot_id": slot.id, "phone": phone, "verification_id": sent.get_json()["id"],
            "code": last_code(phone), "visitors": [visitor(2 * n), visitor(2 * n + 1)]}


def set_challenge(slot, mode: str, days: str = "") -> None:
    db.session.add(RationingSettings(office_id=slot.office_id, claim_minutes=30, holdback_minutes=0,
                                     challenge=mode, challenge_days=days))
    db.session.commit()


def test_without_a_popular_day_nothing_is_asked(api):
    slot = setup_marriage_slot()
    assert api.post("/api/v1/bookings", json=booking_body(api, slot, 1)).status_code == 201


def test_on_a_popular_day_a_booking_needs_a_solution_once(api):
    slot = setup_marriage_slot()
    set_challenge(slot, "days", slot.starts_at.astimezone(slot.office.tz).date().isoformat())
    body = booking_body(api, slot, 1)
    refused = api.post("/api/v1/bookings", json=body)
    assert refused.status_code == 422 and refused.get_json()["error"] == "challenge_failed"
    assert "预约高峰" in refused.get_json()["message"]
    payload = solved(api)
    assert api.post("/api/v1/bookings", json={**body, "altcha": payload}).status_code == 201
    again = api.post("/api/v1/bookings", json={**booking_body(api, slot, 2), "altcha": payload})
    assert again.status_code == 422 and again.get_json()["fields"]["altcha"]


def test_always_on_also_guards_code_requests_and_a_forged_solution_fails(api):
    slot = setup_marriage_slot()
    set_challenge(slot, "always")
    refused = api.post("/api/v1/phone-verifications", json={"phone": "+8613900000001"})
    assert refused.status_code == 422 and refused.get_json()["error"] == "challenge_failed"
    forged = api.post("/api/v1/phone-verifications", json={"phone": "+8613900000001",
                                                            "altcha": "bm90IGEgc29sdXRpb24="})
    assert forged.status_code == 422
    booking_body(api, slot, 3, altcha=solved(api))  # 201 with a solution


def test_auto_turns_on_under_load(api):
    api.client.application.config["CHALLENGE_AUTO_PER_MINUTE"] = 3
    slot = setup_marriage_slot()
    set_challenge(slot, "auto")
    statuses = [api.post("/api/v1/phone-verifications", json={"phone": f"+86139000000{n:02d}"}).status_code
                for n in range(5)]
    assert statuses == [201, 201, 201, 422, 422]


def test_the_load_that_turns_auto_on_is_read_from_the_environment(tmp_path, monkeypatch):
    """CHALLENGE_AUTO_PER_MINUTE, as an operator sets it (README, "Popular days"), takes effect."""
    from tests.conftest import _fresh_schema, make_app
    monkeypatch.setenv("CHALLENGE_AUTO_PER_MINUTE", "2")
    app = make_app(f"sqlite:///{tmp_path / 'load.db'}", CHALLENGE_COST=200)
    _fresh_schema(app)
    with app.app_context():
        api = CheckedClient(app.test_client())
        set_challenge(setup_marriage_slot(), "auto")
        statuses = [api.post("/api/v1/phone-verifications", json={"phone": f"+86139000000{n:02d}"}).status_code
                    for n in range(4)]
        assert statuses == [201, 201, 422, 422]
        db.engine.dispose()
