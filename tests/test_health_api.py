"""POST /api/v1/bookings/{reference}/health-declarations, as the contract says: the verdicts,
409 outside the window (saying when it opens, in the office's time), 422 for bad input."""

import datetime as dt

import pytest

from booking.extensions import db
from booking.models import HealthDeclaration, utcnow

from .health_factories import answers, book, funeral_slot, marriage_slot

URL = "/api/v1/bookings/{}/health-declarations"


@pytest.fixture
def booked(app):
    """A marriage booking whose slot starts in 3 hours: its window is open now."""
    with app.app_context():
        slot = marriage_slot(days_ahead=0, at=dt.time(0, 0))
        start = utcnow() + dt.timedelta(hours=3)
        slot.starts_at, slot.ends_at = start, start + dt.timedelta(minutes=30)
        slot.max_people = 20
        db.session.commit()
        booking, token = book(slot)
        return booking.reference, token


def post(client, reference, token, payload, **headers):
    return client.post(URL.format(reference), json=payload,
                       headers={"X-Booking-Token": token, **headers})


def test_declarations_are_judged_and_answered_per_visitor(client, booked):
    reference, token = booked
    response = post(client, reference, token, {"declarations": [
        answers(0), answers(1, temperature_c=37.8)], "lang": "en"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["cleared"] is False
    assert [(d["visitor"], d["passed"]) for d in data["declarations"]] == [(0, True), (1, False)]
    failing = [r for r in data["declarations"][1]["reasons"] if not r["passed"]]
    assert failing == [{"question": "temperature_c", "code": "temperature_at_or_above_limit",
                        "passed": False, "text": "37.8 °C is at or above 37.3 °C",
                        "text_zh": "体温 37.8 °C，达到或超过 37.3 °C",
                        "text_en": "37.8 °C is at or above 37.3 °C"}]
    assert len(data["declarations"][0]["reasons"]) == 5  # every answer judged
    assert data["declarations"][0]["rules_version"] == 1
    assert data["reschedule_url"].startswith(f"https://booking.example.gov.cn/m/{reference}/")


def test_a_correction_clears_the_booking_and_get_shows_it(client, booked):
    reference, token = booked
    post(client, reference, token, {"declarations": [answers(0), answers(1, symptoms=True)]})
    fixed = post(client, reference, token, {"declarations": [answers(1)]})
    assert fixed.status_code == 200 and fixed.get_json()["cleared"] is True
    assert "reschedule_url" not in fixed.get_json()
    shown = client.get(f"/api/v1/bookings/{reference}", headers={"X-Booking-Token": token})
    assert shown.status_code == 200 and shown.get_json()["cleared"] is True


def test_the_token_may_come_as_a_query_parameter(client, booked):
    reference, token = booked
    response = client.post(URL.format(reference) + f"?token={token}", json={"declarations": [answers(0)]})
    assert response.status_code == 200


def test_a_wrong_token_is_404_and_writes_nothing(app, client, booked):
    reference, _ = booked
    response = post(client, reference, "wrong-token", {"declarations": [answers(0)]})
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    with app.app_context():
        assert db.session.query(HealthDeclaration).count() == 0


def test_outside_the_window_is_409_saying_when_it_opens_in_office_time(app, client):
    with app.app_context():
        slot = marriage_slot(days_ahead=3)
        booking, token = book(slot)
        opens = (slot.starts_at - dt.timedelta(hours=24)).astimezone(slot.office.tz)
        reference = booking.reference
    response = post(client, reference, token, {"declarations": [answers(0)]},
                    **{"Accept-Language": "zh-CN"})
    assert response.status_code == 409
    data = response.get_json()
    assert data["error"] == "declaration_not_open" and data["fields"] == {}
    assert data["opens_at"] == opens.isoformat() and data["opens_at"].endswith("+08:00")
    # In the office's own words: 北京时间, and the citizen pages' date format.
    assert f"{opens.month}月{opens.day}日" in data["message"] and "10:00（北京时间）开放" in data["message"]
    assert "Asia/Shanghai" not in data["message"]


def test_a_cancelled_booking_is_409(client, booked):
    reference, token = booked
    assert client.post(f"/api/v1/bookings/{reference}/cancel", headers={"X-Booking-Token": token}).status_code == 200
    response = post(client, reference, token, {"declarations": [answers(0)]})
    assert response.status_code == 409 and response.get_json()["error"] == "not_active"


BAD = [
    ({"declarations": []}, "declarations"),
    ({"declarations": "all fine"}, "declarations"),
    ({}, "declarations"),
    ({"declarations": [answers(2)]}, "declarations.0.visitor"),
    ({"declarations": [answers(-1)]}, "declarations.0.visitor"),
    ({"declarations": [answers(True)]}, "declarations.0.visitor"),
    ({"declarations": [answers(0), answers(0)]}, "declarations.1.visitor"),
    ({"declarations": [answers(0, temperature_c=60)]}, "declarations.0.temperature_c"),
    ({"declarations": [answers(0, temperature_c="hot")]}, "declarations.0.temperature_c"),
    ({"declarations": [answers(0, temperature_c=None)]}, "declarations.0.temperature_c"),
    ({"declarations": [answers(0, symptoms="no")]}, "declarations.0.symptoms"),
    ({"declarations": [answers(0, case_contact=0)]}, "declarations.0.case_contact"),
    ({"declarations": [answers(0, health_code="blue")]}, "declarations.0.health_code"),
    ({"declarations": [{"visitor": 0}]}, "declarations.0.risk_area_travel"),
    ({"declarations": ["yes"]}, "declarations.0"),
]


@pytest.mark.parametrize("payload, field", BAD, ids=[b[1] + "-" + str(i) for i, b in enumerate(BAD)])
def test_bad_input_is_422_naming_the_field_in_the_users_language(app, client, booked, payload, field):
    reference, token = booked
    response = post(client, reference, token, {**payload, "lang": "en"})
    assert response.status_code == 422
    data = response.get_json()
    assert data["error"] == "invalid_declaration" and field in data["fields"]
    assert data["message"] == "Some answers need attention."
    chinese = post(client, reference, token, payload, **{"Accept-Language": "zh-CN"}).get_json()
    assert all("\u4e00" <= ch <= "\u9fff" for ch in chinese["fields"][field][:1])
    with app.app_context():
        assert db.session.query(HealthDeclaration).count() == 0


def test_a_test_time_in_the_future_or_malformed_is_422(app, client):
    with app.app_context():
        slot = funeral_slot(days_ahead=0, at=dt.time(0, 0))
        start = utcnow() + dt.timedelta(hours=3)
        slot.starts_at, slot.ends_at = start, start + dt.timedelta(minutes=60)
        db.session.commit()
        booking, token = book(slot)
        reference, tz = booking.reference, slot.office.tz
    future = (utcnow() + dt.timedelta(hours=1)).isoformat()
    for value in (future, "yesterday", 12):
        response = post(client, reference, token, {"declarations": [answers(0, nat_negative_at=value)]})
        assert response.status_code == 422
        assert "declarations.0.nat_negative_at" in response.get_json()["fields"]
    # a local time without an offset is read in the office's zone
    local = (utcnow() - dt.timedelta(hours=2)).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    ok = post(client, reference, token, {"declarations": [answers(0, nat_negative_at=local)], "lang": "en"})
    assert ok.status_code == 200 and ok.get_json()["cleared"] is True


def test_a_body_that_is_not_json_is_415_or_400(client, booked):
    reference, token = booked
    response = client.post(URL.format(reference), data="declarations", headers={"X-Booking-Token": token})
    assert response.status_code == 415 and response.is_json
    response = client.post(URL.format(reference), data="[1,", content_type="application/json",
                           headers={"X-Booking-Token": token})
    assert response.status_code == 400 and response.is_json


def test_the_openapi_document_describes_the_endpoint(client):
    from booking.api.health import OPENAPI_PATHS

    operation = OPENAPI_PATHS["/api/v1/bookings/{reference}/health-declarations"]["post"]
    assert set(operation["responses"]) >= {"200", "404", "409", "422"}
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert "/api/v1/bookings/{reference}/health-declarations" in document.get_json()["paths"]
