"""The citizen JSON API, end to end through HTTP; every answer checked against the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from booking.extensions import db
from booking.models import Booking, Closure, Slot, SmsMessage, utcnow
from booking.sms.compose import preview

from .api_schema import CheckedClient
from .factories import PHONE, last_code, make_office, make_service, make_slot, setup_marriage_slot, visitor


@pytest.fixture
def api(ctx, client):
    return CheckedClient(client)


def code_for(api, phone: str = PHONE, lang: str = "zh") -> dict:
    response = api.post("/api/v1/phone-verifications", json={"phone": phone, "lang": lang})
    assert response.status_code == 201, response.get_json()
    return {"verification_id": response.get_json()["id"], "code": last_code(phone)}


def book_body(api, slot, people=(1, 2), phone: str = PHONE, **extra) -> dict:
    body = {"slot_id": slot.id, "phone": phone, "visitors": [visitor(n) for n in people],
            "lang": "zh", **code_for(api, phone)}
    body.update(extra)
    return body


def book(api, slot, people=(1, 2), **extra) -> dict:
    response = api.post("/api/v1/bookings", json=book_body(api, slot, people, **extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def counters(slot_id: int) -> tuple[int, int]:
    db.session.expire_all()
    slot = db.session.get(Slot, slot_id)
    return slot.booked_bookings, slot.booked_people


# --- offices and availability ------------------------------------------------------------------

def test_offices_lists_each_office_with_its_services(api):
    setup_marriage_slot()
    offices = api.get("/api/v1/offices").get_json()["offices"]
    assert [o["code"] for o in offices] == ["registry"]
    service = offices[0]["services"][0]
    assert (service["code"], service["kind"], service["party_size_min"], service["party_size_max"]) == (
        "marriage", "marriage", 2, 2)


def test_availability_gives_slots_in_the_offices_offset_and_counts_places(api):
    slot = setup_marriage_slot()
    day = slot.starts_at.astimezone(slot.office.tz).date()
    url = f"/api/v1/availability?office=registry&service=marriage&from={day}&to={day}"
    [before] = api.get(url).get_json()["slots"]
    assert before == {"id": slot.id, "remaining_bookings": 10, "remaining_people": 20,
                      "start": f"{day}T10:00:00+08:00", "end": f"{day}T10:30:00+08:00"}
    book(api, slot)
    [after] = api.get(url).get_json()["slots"]
    assert (after["remaining_bookings"], after["remaining_people"]) == (9, 18)


def test_availability_in_another_time_zone_uses_that_offset(api):
    service = make_service(make_office(code="nyc", timezone="America/New_York"))
    slot = make_slot(service, at=dt.time(9, 0))
    db.session.commit()
    local = slot.starts_at.astimezone(service.office.tz)
    url = f"/api/v1/availability?office=nyc&service=marriage&from={local.date()}&to={local.date()}"
    [item] = api.get(url).get_json()["slots"]
    assert item["start"] == local.isoformat()
    assert dt.datetime.fromisoformat(item["start"]) == slot.starts_at


def test_availability_shows_zero_when_the_people_limit_cannot_take_a_couple(api):
    slot = setup_marriage_slot(max_people=3)
    day = slot.starts_at.astimezone(slot.office.tz).date()
    book(api, slot)
    [item] = api.get(f"/api/v1/availability?office=registry&service=marriage&from={day}&to={day}"
                      ).get_json()["slots"]
    assert (item["remaining_bookings"], item["remaining_people"]) == (0, 1)


def test_availability_lists_closed_days_with_their_reason_and_hides_their_slots(api):
    slot = setup_marriage_slot()
    day = slot.starts_at.astimezone(slot.office.tz).date()
    db.session.add(Closure(office_id=slot.office_id, first_day=day, last_day=day, reason="疫情防控"))
    db.session.commit()
    answer = api.get(f"/api/v1/availability?office=registry&service=marriage&from={day}&to={day}"
                     ).get_json()
    assert answer["slots"] == []
    assert answer["closed"] == [{"date": day.isoformat(), "reason": "疫情防控"}]


def test_availability_summarises_each_day_including_when_booking_opens(api):
    slot = setup_marriage_slot()
    far = make_slot(slot.service, days_ahead=10)
    db.session.add(Closure(office_id=slot.office_id, first_day=local_date(slot, 1),
                           last_day=local_date(slot, 1), reason="疫情防控"))
    db.session.commit()
    first, last = local_date(slot), local_date(far)
    days = api.get(f"/api/v1/availability?office=registry&service=marriage&from={first}&to={last}"
                   ).get_json()["days"]
    assert [d["date"] for d in days] == [str(first + dt.timedelta(days=n)) for n in range(9)]
    assert (days[0]["state"], days[0]["free"]) == ("open", 10)
    assert (days[1]["state"], days[1]["reason"]) == ("closed", "疫情防控")
    assert days[-1]["state"] == "later"
    opens = dt.datetime.fromisoformat(days[-1]["opens_at"])
    assert opens.utcoffset() == dt.timedelta(hours=8) and opens.date() == local_date(far, -7)


def local_date(slot, plus: int = 0) -> dt.date:
    return slot.starts_at.astimezone(slot.office.tz).date() + dt.timedelta(days=plus)


@pytest.mark.parametrize(("query", "fields"), [
    ("", {"office", "service", "from", "to"}),
    ("office=registry&service=marriage&from=2026-13-01&to=2026-12-01", {"from"}),
    ("office=registry&service=marriage&from=tomorrow&to=2026-12-01", {"from"}),
    ("office=registry&service=marriage&from=2026-12-10&to=2026-12-01", {"to"}),
    ("office=registry&service=marriage&from=2026-01-01&to=2026-12-31", {"to"}),
    ("office=" + "x" * 5000 + "&service=marriage&from=2026-12-01&to=2026-12-02", {"office"}),
])
def test_availability_refuses_bad_queries_with_field_errors(api, query, fields):
    setup_marriage_slot()
    response = api.get(f"/api/v1/availability?{query}")
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields


def test_availability_of_an_unknown_office_or_service_is_404(api):
    setup_marriage_slot()
    dates = "from=2026-12-01&to=2026-12-02"
    office = api.get(f"/api/v1/availability?office=nowhere&service=marriage&{dates}")
    service = api.get(f"/api/v1/availability?office=registry&service=nothing&{dates}")
    assert (office.status_code, office.get_json()["error"]) == (404, "unknown_office")
    assert (service.status_code, service.get_json()["error"]) == (404, "unknown_service")


# --- phone verification --------------------------------------------------------------------------

def test_phone_verification_texts_a_code_in_the_chosen_language(api):
    response = api.post("/api/v1/phone-verifications", json={"phone": "138 1234 5678", "lang": "en"})
    assert response.status_code == 201
    message = db.session.query(SmsMessage).one()
    assert (message.phone, message.kind, message.lang) == (PHONE, "verification_code", "en")
    assert "your code is" in preview(message)


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "phone"),
    ({"phone": 13812345678}, "phone"),
    ({"phone": "12345"}, "phone"),
    ({"phone": "1" * 100}, "phone"),
    ({"phone": PHONE, "lang": "fr"}, "lang"),
])
def test_phone_verification_refuses_bad_input_with_a_field_error(api, payload, field):
    response = api.post("/api/v1/phone-verifications", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert db.session.query(SmsMessage).count() == 0


@pytest.mark.parametrize(("phone", "lang", "hint"), [
    ("9123 4567", "zh-Hant", "+852 9123 4567"), ("0912345678", "en", "+886 912 345 678"),
    ("852 6123 4567", "zh", "+852 6123 4567")])
def test_a_local_hong_kong_or_taiwan_number_is_refused_with_its_country_code(api, phone, lang, hint):
    response = api.post("/api/v1/phone-verifications", json={"phone": phone, "lang": lang})
    assert (response.status_code, response.get_json()["error"]) == (422, "invalid_phone")
    assert hint in response.get_json()["fields"]["phone"]
    assert db.session.query(SmsMessage).count() == 0


def test_the_sixth_code_for_one_phone_within_an_hour_is_429_on_each_database(any_app):
    with any_app.app_context():
        api = CheckedClient(any_app.test_client())
        for _ in range(5):
            assert api.post("/api/v1/phone-verifications", json={"phone": PHONE}).status_code == 201
        sixth = api.post("/api/v1/phone-verifications", json={"phone": PHONE, "lang": "en"})
        assert sixth.status_code == 429
        assert sixth.get_json()["error"] == "too_many_codes"
        assert "hour" in sixth.get_json()["message"]
        assert db.session.query(SmsMessage).count() == 5
        other = api.post("/api/v1/phone-verifications", json={"phone": "+8613912345678"})
        assert other.status_code == 201  # the limit is per phone


def test_code_requests_are_limited_per_address(app, client):
    app.config["API_CODE_LIMIT_PER_IP"] = "2 per minute"
    with app.app_context():
        api = CheckedClient(client)
        phones = ["+8613812345601", "+8613812345602", "+8613812345603"]
        answers = [api.post("/api/v1/phone-verifications", json={"phone": p}) for p in phones]
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert answers[2].get_json()["error"] == "rate_limited"
        assert db.session.query(SmsMessage).count() == 2


# --- booking -------------------------------------------------------------------------------------

def test_booking_answers_201_with_reference_token_and_links(api):
    slot = setup_marriage_slot()
    response = api.post("/api/v1/bookings", json=book_body(api, slot, lang="en"))
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["status"] == "booked" and answer["cleared"] is False
    assert answer["slot"]["id"] == slot.id
    assert answer["manage_url"].endswith(f"/m/{answer['reference']}/{answer['token']}")
    assert answer["ics_url"].endswith(f"/bookings/{answer['reference']}.ics?token={answer['token']}")
    assert response.headers["Location"] == f"/api/v1/bookings/{answer['reference']}"
    assert [v["id_masked"][-4:] for v in answer["visitors"]] == [visitor(1)["id_number"][-4:],
                                                                 visitor(2)["id_number"][-4:]]
    booking = db.session.query(Booking).one()
    assert (booking.source, booking.lang) == ("api", "en")
    assert counters(slot.id) == (1, 2)


def test_a_wrong_code_is_a_field_error_and_books_nothing(api):
    slot = setup_marriage_slot()
    response = api.post("/api/v1/bookings", json=book_body(api, slot, code="000000"))
    assert response.status_code == 422
    assert response.get_json()["error"] == "verification_failed"
    assert "code" in response.get_json()["fields"]
    assert counters(slot.id) == (0, 0)


def test_booking_an_unknown_slot_is_422(api):
    setup_marriage_slot()
    response = api.post("/api/v1/bookings", json=book_body(api, SimpleNamespace(id=99999)))
    assert (response.status_code, response.get_json()["error"]) == (422, "unknown_slot")


def test_booking_a_full_slot_is_409(api):
    slot = setup_marriage_slot(max_bookings=1)
    book(api, slot)
    response = api.post("/api/v1/bookings", json=book_body(api, slot, people=(3, 4)))
    assert (response.status_code, response.get_json()["error"]) == (409, "slot_full")
    assert counters(slot.id) == (1, 2)


def test_a_second_booking_with_the_same_identity_that_day_is_409(api):
    slot = setup_marriage_slot()
    later = make_slot(slot.service, at=dt.time(15, 0))
    db.session.commit()
    book(api, slot, people=(1, 2))
    response = api.post("/api/v1/bookings",
                        json=book_body(api, later, people=(2, 3), phone="+8613912345678"))
    assert (response.status_code, response.get_json()["error"]) == (409, "identity_already_booked")
    assert counters(later.id) == (0, 0)


def test_too_many_active_bookings_for_one_phone_is_409(api):
    slot = setup_marriage_slot()
    for n in range(3):
        book(api, slot, people=(10 + 2 * n, 11 + 2 * n))
    response = api.post("/api/v1/bookings", json=book_body(api, slot, people=(30, 31)))
    assert (response.status_code, response.get_json()["error"]) == (409, "too_many_bookings")


def test_a_marriage_needs_exactly_two_visitors(api):
    slot = setup_marriage_slot()
    response = api.post("/api/v1/bookings", json=book_body(api, slot, people=(1,)))
    assert (response.status_code, response.get_json()["error"]) == (422, "party_size")
    assert "visitors" in response.get_json()["fields"]


def test_an_invalid_identity_number_is_named_by_its_position(api):
    slot = setup_marriage_slot()
    body = book_body(api, slot)
    body["visitors"][1]["id_number"] = "110105199001011234"
    response = api.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["visitors.1.id_number"]


def test_wrong_types_and_missing_fields_are_all_reported_at_once(api):
    setup_marriage_slot()
    body = {"slot_id": "12", "phone": ["+8613812345678"], "code": 123456,
            "visitors": [{"name": True, "id_type": "driving_licence"}, "me"], "lang": "de"}
    response = api.post("/api/v1/bookings", json=body, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {
        "slot_id", "phone", "verification_id", "code", "visitors.0.name", "visitors.0.id_type",
        "visitors.0.id_number", "visitors.1", "lang"}
    assert response.get_json()["fields"]["slot_id"] == "Must be an integer."


def test_huge_strings_are_refused_not_truncated(api):
    slot = setup_marriage_slot()
    body = book_body(api, slot)
    body["visitors"][0]["name"] = "张" * 10_000
    response = api.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["visitors.0.name"]
    assert counters(slot.id) == (0, 0)


def test_booking_attempts_are_limited_per_address(app, client):
    app.config["API_BOOKING_LIMIT_PER_IP"] = "2 per minute"
    with app.app_context():
        api = CheckedClient(client)
        answers = [api.post("/api/v1/bookings", json={}) for _ in range(3)]
        assert [a.status_code for a in answers] == [422, 422, 429]
        assert answers[2].get_json()["error"] == "rate_limited"


# --- one booking: view, cancel, reschedule ----------------------------------------------------------

def test_a_booking_is_shown_with_its_token_in_the_header_or_the_query(api):
    slot = setup_marriage_slot()
    made = book(api, slot)
    ref, token = made["reference"], made["token"]
    by_header = api.get(f"/api/v1/bookings/{ref}", headers={"X-Booking-Token": token})
    by_query = api.get(f"/api/v1/bookings/{ref.lower()}?token={token}")
    assert by_header.status_code == by_query.status_code == 200
    assert by_header.get_json() == by_query.get_json()
    assert by_header.get_json()["status"] == "booked" and "token" not in by_header.get_json()


@pytest.mark.parametrize("how", ["wrong", "missing", "other_reference"])
def test_a_booking_without_its_own_token_is_404_and_unchanged(api, how):
    slot = setup_marriage_slot()
    made = book(api, slot)
    ref, token = made["reference"], made["token"]
    headers = {} if how == "missing" else {"X-Booking-Token": token[:-1] + ("B" if token.endswith("A") else "A")}
    if how == "other_reference":
        ref, headers = "ZZZZZZZZ", {"X-Booking-Token": token}
    for method, path in (("GET", ""), ("POST", "/cancel"), ("POST", "/reschedule")):
        response = api.open(method, f"/api/v1/bookings/{ref}{path}", headers=headers,
                             json={"slot_id": slot.id} if path == "/reschedule" else None)
        assert (response.status_code, response.get_json()["error"]) == (404, "not_found")
    assert counters(slot.id) == (1, 2)


def test_cancel_gives_the_place_back_and_a_second_cancel_is_409(api):
    slot = setup_marriage_slot()
    made = book(api, slot)
    headers = {"X-Booking-Token": made["token"]}
    response = api.post(f"/api/v1/bookings/{made['reference']}/cancel", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert counters(slot.id) == (0, 0)
    again = api.post(f"/api/v1/bookings/{made['reference']}/cancel", headers=headers)
    assert (again.status_code, again.get_json()["error"]) == (409, "not_active")
    assert counters(slot.id) == (0, 0)


def test_reschedule_moves_the_booking_and_both_counters(api):
    slot = setup_marriage_slot()
    target = make_slot(slot.service, days_ahead=3)
    db.session.commit()
    made = book(api, slot)
    response = api.post(f"/api/v1/bookings/{made['reference']}/reschedule?token={made['token']}",
                        json={"slot_id": target.id})
    assert response.status_code == 200
    assert response.get_json()["slot"]["id"] == target.id
    assert counters(slot.id) == (0, 0) and counters(target.id) == (1, 2)


def test_reschedule_to_a_full_slot_is_409_and_keeps_the_old_place(api):
    slot = setup_marriage_slot()
    target = make_slot(slot.service, days_ahead=3, max_bookings=1)
    db.session.commit()
    made = book(api, slot)
    book(api, target, people=(5, 6))
    response = api.post(f"/api/v1/bookings/{made['reference']}/reschedule",
                        headers={"X-Booking-Token": made["token"]}, json={"slot_id": target.id})
    assert (response.status_code, response.get_json()["error"]) == (409, "slot_full")
    assert counters(slot.id) == (1, 2) and counters(target.id) == (1, 2)
    shown = api.get(f"/api/v1/bookings/{made['reference']}?token={made['token']}").get_json()
    assert shown["slot"]["id"] == slot.id and shown["status"] == "booked"


@pytest.mark.parametrize(("target", "status", "code"), [
    ("same", 409, "same_slot"),
    ("unknown", 422, "unknown_slot"),
    ("other_service", 422, "unknown_slot"),
    ("text", 422, "invalid"),
    ("missing", 422, "invalid"),
])
def test_reschedule_refuses_bad_targets(api, target, status, code):
    slot = setup_marriage_slot()
    other = make_slot(make_service(slot.office, code="divorce", kind="divorce"))
    db.session.commit()
    made = book(api, slot)
    slot_id = {"same": slot.id, "unknown": 99999, "other_service": other.id, "text": "soon"}
    body = {"slot_id": slot_id[target]} if target in slot_id else {}
    response = api.post(f"/api/v1/bookings/{made['reference']}/reschedule",
                        headers={"X-Booking-Token": made["token"]}, json=body)
    assert (response.status_code, response.get_json()["error"]) == (status, code)
    assert counters(slot.id) == (1, 2)


# --- the main path on both databases ----------------------------------------------------------------

def test_book_view_reschedule_cancel_on_each_database(any_app):
    with any_app.app_context():
        api = CheckedClient(any_app.test_client())
        slot = setup_marriage_slot()
        target = make_slot(slot.service, days_ahead=4)
        db.session.commit()
        made = book(api, slot)
        headers = {"X-Booking-Token": made["token"]}
        base = f"/api/v1/bookings/{made['reference']}"
        assert api.get(base, headers=headers).get_json()["status"] == "booked"
        moved = api.post(f"{base}/reschedule", headers=headers, json={"slot_id": target.id})
        assert moved.get_json()["slot"]["start"] == target.starts_at.astimezone(
            slot.office.tz).isoformat()
        assert api.post(f"{base}/cancel", headers=headers).get_json()["status"] == "cancelled"
        assert counters(slot.id) == (0, 0) and counters(target.id) == (0, 0)
        assert db.session.get(Booking, 1).cancelled_at <= utcnow()


def test_cleared_turns_true_once_every_visitor_has_passed_the_health_check(api):
    from booking import health

    service = make_service(make_office())
    soon = (utcnow() + dt.timedelta(hours=20)).replace(second=0, microsecond=0)
    slot = make_slot(service, starts_at=soon, ends_at=soon + dt.timedelta(minutes=30))
    db.session.commit()
    made = book(api, slot)
    url = f"/api/v1/bookings/{made['reference']}?token={made['token']}"
    assert api.get(url).get_json()["cleared"] is False
    tested = (utcnow() - dt.timedelta(hours=3)).isoformat()
    answers = {"temperature_c": 36.5, "symptoms": False, "risk_area_travel": False,
               "case_contact": False, "health_code": "green", "nat_negative_at": tested}
    booking = db.session.query(Booking).one()
    health.declare(booking, [{"visitor": 0, **answers}, {"visitor": 1, **answers}])
    assert api.get(url).get_json()["cleared"] is True
