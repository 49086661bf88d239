"""The staff API of docs/contract.md, every answer checked against the OpenAPI document."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking import accounts
from booking.extensions import db
from booking.models import Booking, Closure, SmsMessage
from booking.sms.compose import preview
from tests.api_schema import CheckedClient
from tests.factories import resident_id, visitor
from tests.test_staff_support import book, clear, declaration, make_office2


@pytest.fixture
def day(app):
    with app.app_context():
        d = make_office2("registry-a")
        cleared, uncleared, feverish = (book(d.running, [2 * i, 2 * i + 1]) for i in range(3))
        clear(cleared)
        clear(feverish)
        tomorrow = [book(d.tomorrow, [10, 11]), book(d.tomorrow, [12, 13])]
        return SimpleNamespace(
            code=d.office.code, service=d.service.code, cleared=cleared.reference,
            uncleared=uncleared.reference, feverish=feverish.reference,
            tomorrow=[b.reference for b in tomorrow], tomorrow_day=d.tomorrow.starts_at.astimezone(d.office.tz).date(),
            clerk=accounts.issue_token(d.clerk), supervisor=accounts.issue_token(d.supervisor))


@pytest.fixture
def api(client):
    return CheckedClient(client)


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_queue_lists_the_day_with_masked_visitors(api, day):
    answer = api.get(f"/api/v1/staff/queue?office={day.code}", headers=auth(day.clerk))
    rows = answer.get_json()["bookings"]
    assert [r["reference"] for r in rows] == [day.cleared, day.uncleared, day.feverish]
    assert [r["cleared"] for r in rows] == [True, False, True]
    assert resident_id(0) not in answer.get_data(as_text=True)
    assert rows[0]["visitors"][0]["id_masked"].endswith(resident_id(0)[-4:])
    assert api.get(f"/api/v1/staff/queue?office={day.code}&date=tomorrow",
                   headers=auth(day.clerk)).status_code == 422


def test_check_in_call_complete_through_the_api(api, day):
    answer = api.post(f"/api/v1/staff/bookings/{day.cleared}/check-in", headers=auth(day.clerk),
                      json={"temperatures_c": [36.5, 36.4]})
    assert answer.status_code == 200 and answer.get_json()["ticket"] == "J001"
    called = api.post("/api/v1/staff/call-next", headers=auth(day.clerk), json={"office": day.code, "counter": 2})
    assert called.get_json() == {"ticket": "J001", "counter": "2", "reference": day.cleared}
    display = api.get(f"/api/v1/display/{day.code}").get_json()
    assert display["calling"] == [{"ticket": "J001", "counter": "2"}] and display["occupancy"] == 2
    assert api.post("/api/v1/staff/call-next", headers=auth(day.clerk),
                    json={"office": day.code, "counter": "2"}).status_code == 404
    done = api.post(f"/api/v1/staff/bookings/{day.cleared}/complete", headers=auth(day.clerk))
    assert done.get_json()["status"] == "completed"
    again = api.post(f"/api/v1/staff/bookings/{day.cleared}/complete", headers=auth(day.clerk))
    assert again.status_code == 409 and again.get_json()["error"] == "not_active"


@pytest.mark.parametrize("who, temperatures, code", [
    ("uncleared", [36.5, 36.5], "not_cleared"), ("feverish", [36.5, 37.8], "fever")])
def test_refusals_at_the_door_answer_409_with_the_reason(api, day, who, temperatures, code):
    answer = api.post(f"/api/v1/staff/bookings/{getattr(day, who)}/check-in", headers=auth(day.clerk),
                      json={"temperatures_c": temperatures})
    assert answer.status_code == 409 and answer.get_json()["error"] == code


def test_bad_bodies_answer_422_or_415(api, day):
    url = f"/api/v1/staff/bookings/{day.cleared}/check-in"
    assert api.post(url, headers=auth(day.clerk), json={"temperatures_c": "36.5"}).status_code == 422
    assert api.post(url, headers=auth(day.clerk), json={"temperatures_c": [36.5]}).status_code == 422
    assert api.post(url, headers=auth(day.clerk), data="x").status_code == 415
    assert api.post("/api/v1/staff/call-next", headers=auth(day.clerk), json={"office": day.code}).status_code == 422


def test_no_show_after_the_grace_period(api, day):
    answer = api.post(f"/api/v1/staff/bookings/{day.uncleared}/no-show", headers=auth(day.clerk))
    assert answer.status_code == 200 and answer.get_json()["status"] == "no_show"
    early = api.post(f"/api/v1/staff/bookings/{day.tomorrow[0]}/no-show", headers=auth(day.clerk))
    assert early.status_code == 409 and early.get_json()["error"] == "too_early"


def walk_in_body(day, people=(30, 31), temperatures=(36.5, 36.6)):
    return {"office": day.code, "service": day.service, "phone": "13912345678",
            "visitors": [visitor(n) for n in people], "temperatures_c": list(temperatures),
            "declarations": [declaration(i) for i in range(len(people))]}


def test_walk_ins_enter_like_a_check_in(app, api, day):
    answer = api.post("/api/v1/staff/walk-ins", headers=auth(day.clerk), json=walk_in_body(day))
    assert answer.status_code == 201 and answer.get_json()["ticket"] == "J001"
    fever = api.post("/api/v1/staff/walk-ins", headers=auth(day.clerk),
                     json=walk_in_body(day, (32, 33), (38.0, 36.5)))
    assert fever.status_code == 409 and fever.get_json()["error"] == "fever"
    with app.app_context():
        slot = db.session.scalar(select(Booking).where(Booking.reference == answer.get_json()["reference"])).slot
        slot.max_bookings = slot.booked_bookings
        db.session.commit()
    full = api.post("/api/v1/staff/walk-ins", headers=auth(day.clerk), json=walk_in_body(day, (34, 35)))
    assert full.status_code == 409 and full.get_json()["error"] == "no_room"


def test_closures_are_for_supervisors_and_text_every_citizen(app, api, day):
    body = {"office": day.code, "from": day.tomorrow_day.isoformat(), "to": day.tomorrow_day.isoformat(),
            "reason": "设备检修"}
    assert api.post("/api/v1/staff/closures", headers=auth(day.clerk), json=body).status_code == 403
    answer = api.post("/api/v1/staff/closures", headers=auth(day.supervisor), json=body)
    assert answer.status_code == 201 and answer.get_json()["cancelled"] == 2
    with app.app_context():
        texted = db.session.scalars(select(Booking.reference).join(SmsMessage, SmsMessage.booking_id == Booking.id)
                                    .where(SmsMessage.kind == "cancelled_by_office")).all()
    assert sorted(texted) == sorted(day.tomorrow)
    past = {**body, "from": "2020-01-01", "to": "2020-01-02"}
    bad = api.post("/api/v1/staff/closures", headers=auth(day.supervisor), json=past)
    assert bad.status_code == 409 and bad.get_json()["error"] == "closure_past"


def test_a_closure_reason_in_english_reaches_english_texts(app, api, day):
    body = {"office": day.code, "from": day.tomorrow_day.isoformat(), "to": day.tomorrow_day.isoformat(),
            "reason": "设备检修", "reason_en": "maintenance of the hall"}
    assert api.post("/api/v1/staff/closures", headers=auth(day.supervisor), json=body).status_code == 201
    with app.app_context():
        sent = db.session.scalars(select(SmsMessage).where(SmsMessage.kind == "cancelled_by_office"))
        bodies = [preview(message) for message in sent]
        closure = db.session.scalar(select(Closure))
    assert bodies and all("原因：设备检修。" in body for body in bodies)  # these citizens booked in Chinese
    assert (closure.reason, closure.reason_en) == ("设备检修", "maintenance of the hall")
    too_long = {**body, "reason_en": "x" * 201}
    assert api.post("/api/v1/staff/closures", headers=auth(day.supervisor), json=too_long).status_code == 422


def test_the_openapi_document_describes_the_staff_api(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/staff/queue", "/api/v1/staff/call-next", "/api/v1/staff/walk-ins",
                 "/api/v1/staff/closures", "/api/v1/staff/reports/daily", "/api/v1/display/{office}"):
        assert path in doc["paths"]
    assert doc["paths"]["/api/v1/staff/closures"]["post"]["security"] == [{"staffBearer": []}]


def test_offices_list_their_counters_and_call_next_names_them_when_refusing_another(api, app, day):
    from booking.models import Office
    with app.app_context():
        db.session.scalar(select(Office).where(Office.code == day.code)).counters = "1号窗口\n2号窗口\n"
        db.session.commit()
    offices = {o["code"]: o for o in api.get("/api/v1/offices").get_json()["offices"]}
    assert offices[day.code]["counters"] == ["1号窗口", "2号窗口"]
    assert all(o["counters"] == [] for code, o in offices.items() if code != day.code)
    for lang in ("zh", "en"):
        refused = api.post(f"/api/v1/staff/call-next?lang={lang}", headers=auth(day.clerk),
                           json={"office": day.code, "counter": "9号窗口"})
        answer = refused.get_json()
        assert (refused.status_code, answer["error"]) == (422, "invalid_counter")
        assert "1号窗口" in answer["fields"]["counter"] and "2号窗口" in answer["fields"]["counter"]
    called = api.post("/api/v1/staff/call-next", headers=auth(day.clerk),
                      json={"office": day.code, "counter": "2号窗口"})
    assert called.status_code == 404  # a listed counter is taken; nobody is checked in yet
