"""Issue 27, capacity and limits: the attempt limits and the proof of work meet a reschedule as
they meet a booking; one normalisation of phones and identity numbers serves the limits and the
rules (other digit forms, the person second in the party, a permit re-typed as a passport open
no fresh allowance); the staff API's limits follow the token however the header spells its
scheme; the citizen's day pages are throttled like availability."""

from __future__ import annotations

import altcha
import pytest

from booking import accounts, bookings, challenge
from booking.errors import IdentityAlreadyBooked
from booking.extensions import db
from booking.models import Booking, RationingSettings

from .documents import gb11643
from .factories import make_office, make_service, make_slot, verified, visitor

LIMITED = {"PHONE_ATTEMPT_LIMIT": "3 per 10 minutes", "PERSON_ATTEMPT_LIMIT": "3 per 10 minutes"}


@pytest.fixture
def limited(app):
    app.config.update(LIMITED, CHALLENGE_COST=200)
    return app


def two_slots():
    """A marriage service with a slot with room and a full one (two days later)."""
    service = make_service(make_office())
    free = make_slot(service, days_ahead=2)
    full = make_slot(service, days_ahead=4, max_bookings=1, max_people=2)
    db.session.commit()
    bookings.book(slot_id=full.id, phone="+8613700000077", visitors=[visitor(77), visitor(78)],
                  verification=verified("+8613700000077"))
    return free, full


def own_booking(slot, n: int = 1) -> tuple[str, str]:
    phone = f"+86139{n:08d}"
    done = bookings.book(slot_id=slot.id, phone=phone, visitors=[visitor(2 * n), visitor(2 * n + 1)],
                         verification=verified(phone))
    return done.made.reference, done.token


def move(client, reference: str, token: str, slot_id: int, **extra):
    return client.post(f"/api/v1/bookings/{reference}/reschedule", json={"slot_id": slot_id, **extra},
                       headers={"X-Booking-Token": token}, environ_base={"REMOTE_ADDR": "10.1.2.3"})


# --- a reschedule meets the limits and the proof of work of a booking -------------------------

def test_reschedules_meet_the_phone_and_person_attempt_limits(limited, client):
    with limited.app_context():
        free, full = two_slots()
        reference, token = own_booking(free)  # the booking itself is the phone's first attempt
        full_id = full.id
    answers = [move(client, reference, token, full_id) for _ in range(3)]
    assert [a.status_code for a in answers] == [409, 409, 429]
    assert answers[-1].get_json()["error"] == "rate_limited"
    assert 500 < int(answers[-1].headers["Retry-After"]) <= 601


def booked_before_a_popular_day() -> tuple[str, str, int, str]:
    """A booking, and a later day the office marks popular: (reference, token, the popular
    day's slot id, the day)."""
    free, _ = two_slots()
    later = make_slot(free.service, days_ahead=3)
    popular = later.starts_at.astimezone(later.office.tz).date().isoformat()
    db.session.add(RationingSettings(office_id=free.office_id, claim_minutes=30, holdback_minutes=0,
                                     challenge="days", challenge_days=popular))
    db.session.commit()
    challenge.forget_rules()  # read by the bookings above, before the office chose its day
    reference, token = own_booking(free)
    return reference, token, later.id, popular


def test_a_reschedule_into_a_popular_day_needs_a_proof_of_work(limited, client):
    with limited.app_context():
        reference, token, later_id, _ = booked_before_a_popular_day()
    refused = move(client, reference, token, later_id)
    assert refused.status_code == 422 and refused.get_json()["error"] == "challenge_failed"
    puzzle = altcha.v2.Challenge.from_dict(client.get("/api/v1/challenge").get_json())
    payload = altcha.Payload(puzzle, altcha.solve_challenge(puzzle)).to_base64()
    moved = move(client, reference, token, later_id, altcha=payload)
    assert moved.status_code == 200 and moved.get_json()["slot"]["id"] == later_id


def test_the_reschedule_page_asks_for_the_proof_of_work_on_a_popular_day(limited, client):
    with limited.app_context():
        reference, token, _, popular = booked_before_a_popular_day()
    page = client.get(f"/m/{reference}/{token}/reschedule?day={popular}").get_data(as_text=True)
    assert "<altcha-widget" in page and 'auto="onload"' in page


# --- one normalisation for the limits and the rules -------------------------------------------

def attempt(client, slot_id: int, phone: str, people: list, n: int):
    """A booking post with a wrong code: 422 while the limits let it through."""
    return client.post("/api/v1/bookings", environ_base={"REMOTE_ADDR": f"10.0.3.{n}"}, json={
        "slot_id": slot_id, "phone": phone, "verification_id": "x" * 32, "code": "000000", "visitors": people})


@pytest.mark.parametrize("spellings", [
    ["+8613800000001", "+86 138 0000 0001", "0086 138-0000-0001", "１３８００００００01"],
    ["13800000001", "8613800000001", "(+86) 138 0000 0001", "＋８６１３８００００００01"],
])
def test_one_phone_however_spelled_has_one_allowance(limited, client, spellings):
    with limited.app_context():
        slot_id, _ = (s.id for s in two_slots())
    answers = [attempt(client, slot_id, phone, [visitor(10 + 2 * n), visitor(11 + 2 * n)], n)
               for n, phone in enumerate(spellings)]
    assert [a.status_code for a in answers] == [422, 422, 422, 429]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def test_one_person_however_typed_and_wherever_in_the_party_has_one_allowance(limited, client):
    with limited.app_context():
        slot_id, _ = (s.id for s in two_slots())
    woman = next(number for order in range(0, 1000, 2)  # a woman's number ending in X
                 if (number := gb11643(f"11010519900101{order:03d}"))[-1] == "X")
    typed = [woman, full_width(woman), " ".join([woman[:6], woman[6:14], woman[14:]]).lower()]
    parties = [[{"name": "王芳", "id_type": "resident_id", "id_number": number}, visitor(21 + 2 * n)]
               for n, number in enumerate(typed)]
    parties.append([visitor(31), {"name": "王芳", "id_type": "resident_id", "id_number": woman}])  # second
    answers = [attempt(client, slot_id, f"+86139{n:08d}", party, n) for n, party in enumerate(parties)]
    assert [a.status_code for a in answers] == [422, 422, 422, 429]


def test_a_permit_retyped_as_a_passport_is_the_same_person(limited, client):
    with limited.app_context():
        slot_id, _ = (s.id for s in two_slots())
    as_permit = {"name": "陈大文", "id_type": "hk_mo_permit", "id_number": "H12345678"}
    as_passport = {**as_permit, "id_type": "passport"}
    parties = [[as_permit, visitor(41)], [as_passport, visitor(43)], [as_permit, visitor(45)],
               [as_passport, visitor(47)]]
    answers = [attempt(client, slot_id, f"+86139{n:08d}", party, n) for n, party in enumerate(parties)]
    assert [a.status_code for a in answers] == [422, 422, 422, 429]


def test_a_permit_retyped_as_a_passport_cannot_book_twice(app):
    """The rules judge by the same key: one active marriage booking per person."""
    with app.app_context():
        free, _ = two_slots()
        other = make_slot(free.service, days_ahead=3)
        db.session.commit()
        permit = {"name": "陈大文", "id_type": "hk_mo_permit", "id_number": "H12345678"}
        bookings.book(slot_id=free.id, phone="+8613900000001", visitors=[permit, visitor(50)],
                      verification=verified("+8613900000001"))
        with pytest.raises(IdentityAlreadyBooked):
            bookings.book(slot_id=other.id, phone="+8613900000002",
                          visitors=[{**permit, "id_type": "passport"}, visitor(52)],
                          verification=verified("+8613900000002"))
        assert db.session.query(Booking).count() == 2  # the full slot's and the first


# --- the staff API's limits follow the token -------------------------------------------------

def test_the_staff_api_limits_follow_the_token_however_the_scheme_is_spelled(app, client):
    with app.app_context():
        office = make_office()
        db.session.commit()
        token = accounts.issue_token(accounts.create_staff("boss", "boss password 1", "supervisor", office.code))
        code = office.code
    body = {"office": code, "from": "2020-01-01", "to": "2020-01-02", "reason": "设备检修"}
    spellings = ["Bearer", "bearer", "BEARER", "bEaReR"]
    statuses = [client.post("/api/v1/staff/closures", json=body,
                            headers={"Authorization": f"{spellings[n % 4]}{' ' * (1 + n % 3)}{token}  "},
                            environ_base={"REMOTE_ADDR": f"10.0.4.{n}"}).status_code for n in range(11)]
    assert statuses[:10] == [409] * 10 and statuses[10] == 429


# --- the day pages are throttled like availability -------------------------------------------

@pytest.mark.parametrize("page", ["/book/registry/marriage", "/book/registry/marriage/{day}",
                                  "/wait/registry/marriage/{day}"])
def test_the_day_pages_are_throttled_like_availability(app, client, page):
    app.config["WEB_AVAILABILITY_LIMIT_PER_IP"] = "5 per minute"
    with app.app_context():
        free, _ = two_slots()
        day = free.starts_at.astimezone(free.office.tz).date().isoformat()
    statuses = [client.get(page.format(day=day)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
