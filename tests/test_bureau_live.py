"""The bureau's live view and city-wide suspension, on both databases: the overview counts each
hall as its display does; a region's closure of a kind of service closes it in every office of
the region (the district below included) and nowhere else, texting each citizen in their own
language; the page previews bookings and people per office before anything changes."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from booking import accounts, observability
from booking.extensions import db
from booking.hall import door, queue
from booking.models import Booking, Closure, Office, SmsMessage, StaffUser, utcnow
from tests.bureau_support import bureau_world
from tests.test_access_staff import login
from tests.test_staff_support import book, clear


def _token(username: str) -> str:
    return accounts.issue_token(db.session.scalar(select(StaffUser).where(StaffUser.username == username)))


@pytest.fixture
def city(any_app):
    with any_app.app_context():
        w = bureau_world()
        inside = [book(w.a.running, [2 * i, 2 * i + 1]) for i in range(2)]
        for b in inside:
            clear(b)
        now = utcnow()
        for b in inside:
            door.check_in(b, [36.5, 36.6], w.a.clerk, now=now)
        queue.call_next(w.a.office, "1", w.a.clerk, now=now)
        w.b.office.epidemic_level = "heightened"
        later = {"a": book(w.a.tomorrow, [10, 11], lang="en").reference,
                 "b": book(w.b.tomorrow, [12, 13]).reference,
                 "c": book(w.c.tomorrow, [14]).reference,
                 "d": book(w.d.tomorrow, [15, 16]).reference}
        found = {"app": any_app, "later": later, "tomorrow": queue.today(w.a.office) + dt.timedelta(days=1),
                 "bureau": _token("bureau-shanghai")}
        db.session.commit()
    return found


def _api(city, method, path, **kwargs):
    client = city["app"].test_client()
    return client.open(path, method=method, headers={"Authorization": f"Bearer {city['bureau']}"}, **kwargs)


def test_the_overview_counts_every_hall_of_the_region_now(city):
    answer = _api(city, "GET", "/api/v1/staff/overview", query_string={"region": "shanghai"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    offices = {o["office"]: o for o in answer.get_json()["offices"]}
    assert list(offices) == ["cem-c", "reg-a", "reg-b"]
    a = offices["reg-a"]
    assert (a["occupancy"], a["limit"], a["waiting"], a["booked_today"], a["checked_in_today"]) == (4, 30, 2, 2, 2)
    assert (a["level"], a["crowding"], a["booked_people_today"], a["checked_in_people_today"]) == ("normal", "ok", 4, 4)
    assert offices["reg-b"]["level"] == "heightened" and offices["reg-b"]["occupancy"] == 0
    assert offices["reg-b"]["limit"] == 15  # the hall limit follows the level: half of 30
    assert offices["cem-c"]["booked_today"] == 0
    with city["app"].app_context():
        office = db.session.scalar(select(Office).where(Office.code == "reg-a"))
        assert queue.display_state(office)["occupancy"] == a["occupancy"]


def _status(app, reference: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Booking.status).where(Booking.reference == reference))


def test_a_city_wide_closure_closes_both_registries_and_no_other_kind_or_region(city):
    day = city["tomorrow"].isoformat()
    answer = _api(city, "POST", "/api/v1/staff/closures",
                  json={"region": "shanghai", "service_kind": "marriage", "from": day, "to": day,
                        "reason": "疫情防控需要", "reason_en": "epidemic control measures"})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json() == {"cancelled": 2, "offices": ["reg-a", "reg-b"]}
    statuses = {k: _status(city["app"], ref) for k, ref in city["later"].items()}
    assert statuses == {"a": "cancelled", "b": "cancelled", "c": "booked", "d": "booked"}
    with city["app"].app_context():
        closures = db.session.scalars(select(Closure).order_by(Closure.office_id)).all()
        assert [(c.office.code, c.service.kind, c.first_day.isoformat()) for c in closures] == [
            ("reg-a", "marriage", day), ("reg-b", "marriage", day)]
        texts = db.session.execute(select(Booking.reference, SmsMessage.lang, SmsMessage.params)
                                   .join(Booking, SmsMessage.booking_id == Booking.id)
                                   .where(SmsMessage.kind == "cancelled_by_office")).all()
    said = {ref: (lang, params) for ref, lang, params in texts}
    a, b = said[city["later"]["a"]], said[city["later"]["b"]]
    assert set(said) == {city["later"]["a"], city["later"]["b"]}
    assert a[0] == "en" and "epidemic control measures" in a[1]
    assert b[0] == "zh" and "疫情防控需要" in json.dumps(json.loads(b[1]), ensure_ascii=False)


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"service_kind": "parking"}, 422, "invalid"),
    ({"service_kind": "cremation"}, 409, "nothing_to_close"),
    ({"reason": "   "}, 422, "invalid"),
    ({"from": "2020-01-01", "to": "2020-01-02"}, 409, "closure_past"),
])
def test_a_bad_city_wide_closure_is_refused_and_changes_nothing(city, body, status, code):
    day = city["tomorrow"].isoformat()
    answer = _api(city, "POST", "/api/v1/staff/closures",
                  json={"region": "shanghai", "from": day, "to": day, "reason": "x", **body})
    assert (answer.status_code, answer.get_json()["error"]) == (status, code)
    assert {k: _status(city["app"], ref) for k, ref in city["later"].items()} == dict.fromkeys("abcd", "booked")


def test_the_suspension_page_previews_each_office_then_closes_every_service(city):
    client = city["app"].test_client()
    csrf = login(client, "bureau-shanghai")
    day = city["tomorrow"].isoformat()
    form = {"csrf_token": csrf, "service_kind": "", "from": day, "to": day, "reason": "设备检修"}
    preview = client.post("/staff/regions/shanghai/closures", data=form)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="closure-preview"' in page
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td></tr>", page)
    assert [(int(b), int(p)) for _, b, p in rows] == [(1, 1), (1, 2), (1, 2)]  # cem-c, reg-a, reg-b
    assert {k: _status(city["app"], ref) for k, ref in city["later"].items()} == dict.fromkeys("abcd", "booked")
    done = client.post("/staff/regions/shanghai/closures", data={**form, "confirm": "yes"}, follow_redirects=True)
    assert done.status_code == 200
    statuses = {k: _status(city["app"], ref) for k, ref in city["later"].items()}
    assert statuses == {"a": "cancelled", "b": "cancelled", "c": "cancelled", "d": "booked"}


def test_the_region_pages_show_the_report_and_the_live_view(city):
    client = city["app"].test_client()
    login(client, "bureau-shanghai")
    report = client.get("/staff/regions/shanghai/reports").get_data(as_text=True)
    assert report.count('class="missing"') == 3 and 'id="not-submitted"' in report
    overview = client.get("/staff/regions/shanghai/overview")
    assert overview.status_code == 200 and "<script>" not in overview.get_data(as_text=True)
    live = client.get("/staff/regions/shanghai/overview.json").get_json()
    assert [o["office"] for o in live["offices"]] == ["cem-c", "reg-a", "reg-b"]
    sheet = client.get("/staff/regions/shanghai/reports.xlsx")
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"


def test_a_supervisor_submits_from_the_report_page_and_the_bureau_sees_it(city):
    client = city["app"].test_client()
    csrf = login(client, "super-reg-a")
    with city["app"].app_context():
        today = queue.today(db.session.scalar(select(Office).where(Office.code == "reg-a"))).isoformat()
    page = client.get(f"/staff/reg-a/reports?from={today}&to={today}").get_data(as_text=True)
    assert 'id="submission"' in page
    sent = client.post("/staff/reg-a/reports/submit", data={"csrf_token": csrf, "date": today, "incident": "no",
                                                          "note": "平稳"}, follow_redirects=True)
    assert sent.status_code == 200
    bureau = city["app"].test_client()
    login(bureau, "bureau-shanghai")
    report = bureau.get(f"/staff/regions/shanghai/reports?from={today}&to={today}").get_data(as_text=True)
    assert report.count('class="missing"') == 2 and "平稳" in report


def test_the_metrics_label_each_office_with_its_region(city):
    with city["app"].app_context():
        text = observability.exposition().decode()
    assert 'booking_hall_occupancy{office="reg-a",region="shanghai"} 4.0' in text
    assert 'booking_hall_limit{office="reg-b",region="jingan"} 15.0' in text  # heightened: half
