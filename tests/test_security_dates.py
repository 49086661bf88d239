"""Every date a visitor or staff member types is bounded where it is read (issue 15): outside
2000-01-01..2100-12-31 it gets a 422 (API), a 404 (a date in a page's path) or the page's
message, never a 500, and nothing is committed on the way."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from booking import accounts, date_input
from booking.extensions import db
from booking.models import AuditEvent, Closure, utcnow
from booking.offices import admin as office_admin
from booking.offices import closures as closure_rules
from tests.health_factories import answers, book, funeral_slot
from tests.test_staff_pages import csrf, login
from tests.test_staff_support import make_office2

FAR = ["9999-12-31", "9999-12-30", "0001-01-01", "1999-12-31", "2101-01-01"]


@pytest.fixture
def office(app):
    with app.app_context():
        d = make_office2("registry-a")
        return SimpleNamespace(code=d.office.code, service=d.service.code,
                               clerk=accounts.issue_token(d.clerk),
                               supervisor=accounts.issue_token(d.supervisor))


def _no_closure_committed(app) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Closure)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "closure_created")) == 0


def test_the_window_and_its_edges():
    assert date_input.parse_day("2000-01-01") == date_input.FIRST_DAY
    assert date_input.parse_day("2100-12-31") == date_input.LAST_DAY
    for raw in FAR:
        with pytest.raises(date_input.DateOutOfRange):
            date_input.parse_day(raw)
    for raw in ("", "garbage", "2026-02-30", None, 20260101, "2026-01-01T00:00"):
        with pytest.raises(date_input.InvalidDate):
            date_input.parse_day(raw)
    with pytest.raises(date_input.DateOutOfRange):
        date_input.parse_moment("0001-01-01T00:00:00")
    assert date_input.parse_moment("2026-01-01T08:00:00Z").tzinfo == dt.UTC


@pytest.mark.parametrize("far", FAR)
def test_availability_answers_422_for_a_date_outside_the_window(client, office, far):
    for query in ({"from": far, "to": far}, {"from": "2030-01-01", "to": far}, {"from": far, "to": "2030-01-01"}):
        response = client.get("/api/v1/availability", query_string={
            "office": office.code, "service": office.service, **query})
        assert response.status_code == 422, (query, response.status_code)
        body = response.get_json()
        assert set(body["fields"]) & {"from", "to"} and "2000-01-01" in next(iter(body["fields"].values()))


@pytest.mark.parametrize("far", FAR)
def test_a_booking_page_for_a_date_outside_the_window_is_not_found(client, office, far):
    assert client.get(f"/book/{office.code}/{office.service}/{far}").status_code == 404


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
def test_the_staff_api_answers_422_for_such_dates(client, office, far):
    for url, token in ((f"/api/v1/staff/queue?office={office.code}&date={far}", office.clerk),
                       (f"/api/v1/staff/reports/daily?office={office.code}&date={far}", office.supervisor)):
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 422 and "date" in response.get_json()["fields"], url


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
def test_staff_pages_show_today_with_a_message_for_such_dates(app, office, far):
    client = app.test_client()
    login(client, "super-registry-a")
    for url in (f"/staff/{office.code}/queue?date={far}", f"/staff/{office.code}/capacity?date={far}",
                f"/staff/{office.code}/reports?from={far}", f"/staff/{office.code}/reports?from=2030-01-01&to={far}",
                f"/staff/{office.code}/reports.csv?from={far}&to={far}"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/staff/{office.code}/queue?date={far}").get_data(as_text=True)
    assert "2000-01-01" in page  # the message says which dates are served


@pytest.mark.parametrize("days", [("2026-12-01", "9999-12-31"), ("9999-12-31", "9999-12-31"),
                                  ("0001-01-01", "0001-01-01")])
def test_a_closure_outside_the_window_is_refused_before_anything_is_committed(app, office, days):
    client = app.test_client()
    login(client, "super-registry-a")
    first = days[0] if days[0] != "2026-12-01" else (dt.date.today() + dt.timedelta(days=1)).isoformat()
    page = client.get(f"/staff/{office.code}/closures").get_data(as_text=True)
    response = client.post(f"/staff/{office.code}/closures", data={
        "from": first, "to": days[1], "reason": "装修", "csrf_token": csrf(page)})
    assert response.status_code == 200 and "2000-01-01" in response.get_data(as_text=True)
    api = client.post("/api/v1/staff/closures", headers={"Authorization": f"Bearer {office.supervisor}"},
                      json={"office": office.code, "from": first, "to": days[1], "reason": "装修"})
    assert api.status_code == 422
    _no_closure_committed(app)


def test_the_domain_refuses_a_closure_outside_the_window_before_committing(app, office):
    with app.app_context():
        d = SimpleNamespace(office=db.session.scalar(select(office_admin.Office)),
                            staff=accounts.user_for_token(office.supervisor))
        today = utcnow().date()
        with pytest.raises(date_input.DateOutOfRange):
            closure_rules.close_days(d.office, None, today + dt.timedelta(days=1), dt.date(9999, 12, 31), "x", d.staff)
        with pytest.raises(date_input.DateOutOfRange):
            closure_rules.close_days(d.office, None, dt.date.max, dt.date.max, "x", d.staff)
    _no_closure_committed(app)


@pytest.mark.parametrize("tested_at", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+08:00", "1999-12-31T23:00:00"])
def test_a_declaration_with_a_test_time_in_year_one_answers_422(app, client, tested_at):
    with app.app_context():
        slot = funeral_slot(days_ahead=0, at=dt.time(0, 0))  # a funeral asks for a NAT time
        start = utcnow() + dt.timedelta(hours=3)
        slot.starts_at, slot.ends_at = start, start + dt.timedelta(minutes=30)
        db.session.commit()
        booking, token = book(slot)
        reference = booking.reference
    response = client.post(f"/api/v1/bookings/{reference}/health-declarations", headers={"X-Booking-Token": token},
                           json={"declarations": [answers(0, nat_negative_at=tested_at)]})
    assert response.status_code == 422
    assert "declarations.0.nat_negative_at" in response.get_json()["fields"]
