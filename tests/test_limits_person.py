"""Limits follow the person: many people behind one address (a carrier NAT) are not refused
while each stays within their own limits; one phone or one identity number is limited whatever
address or face (page or API) it uses; every 429 says when to try again, in the request's
language and in Retry-After."""

from __future__ import annotations

import pytest

from .factories import setup_marriage_slot, visitor


@pytest.fixture
def limited(app):
    app.config.update(PHONE_ATTEMPT_LIMIT="3 per 10 minutes", PERSON_ATTEMPT_LIMIT="3 per 10 minutes")
    return app


def attempt(client, slot_id: int, n: int, phone: str | None = None, person: int | None = None,
            address: str = "10.0.0.1", lang: str = "zh"):
    """A booking post with a wrong code (422 when allowed through)."""
    body = {"slot_id": slot_id, "phone": phone or f"+86139{n:08d}", "verification_id": "x" * 32,
            "code": "000000", "lang": lang,
            "visitors": [visitor(person if person is not None else 2 * n), visitor(2 * n + 1)]}
    return client.post("/api/v1/bookings", json=body, environ_base={"REMOTE_ADDR": address})


def test_sixty_people_behind_one_address_are_not_refused(limited, client):
    with limited.app_context():
        slot_id = setup_marriage_slot().id
    statuses = {attempt(client, slot_id, n).status_code for n in range(60)}
    assert statuses == {422}


def test_one_phone_is_limited_across_addresses_with_retry_after(limited, client):
    with limited.app_context():
        slot_id = setup_marriage_slot().id
    phone = "+8613800000001"
    answers = [attempt(client, slot_id, n, phone=phone, address=f"10.0.0.{n}", lang="en")
               for n in range(4)]
    assert [a.status_code for a in answers] == [422, 422, 422, 429]
    refused = answers[-1]
    assert refused.get_json()["error"] == "rate_limited"
    assert refused.get_json()["message"] == "Too many attempts. Please try again in 10 minutes."
    assert 590 < int(refused.headers["Retry-After"]) <= 601


def test_one_person_is_limited_across_phones_and_faces(limited, client):
    with limited.app_context():
        slot_id = setup_marriage_slot().id
    answers = [attempt(client, slot_id, n, person=7, address=f"10.0.1.{n}") for n in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 422]
    page = client.get(f"/book/slot/{slot_id}?lang=zh").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    form = {"csrf_token": token, "people": "2", "phone": "+8613800000099", "lang": "zh",
            "verification_id": "x" * 32, "code": "000000"}
    for i, person in enumerate([visitor(7), visitor(8)]):
        form.update({f"visitors-{i}-{k}": v for k, v in person.items()})
    refused = client.post(f"/book/slot/{slot_id}", data=form, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert refused.status_code == 429
    assert "尝试次数过多，请在 10 分钟后再试。" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 590
