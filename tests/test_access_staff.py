"""Access to every staff URL and staff API call, generated from the app's URL map.

A clerk of office A gets 403 or 404 on everything of office B and on every supervisor route;
no, a wrong or a revoked token gets 401. Nothing of office B changes on the way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from booking import accounts
from booking.extensions import db
from booking.hall import queue
from booking.models import Booking, Closure, Office, Slot, StaffUser
from booking.offices import admin as office_admin
from booking.offices import closures as closure_rules
from tests.test_staff_support import PASSWORD, admin, book, make_office2

PUBLIC = {"staff.login", "staff.logout", "staff.index"}  # no office in them
SAFE = {"GET"}


def staff_rules(app):
    """(rule, method, view) for every staff page and staff API route."""
    found = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/staff") or rule.rule.startswith("/api/v1/staff")):
            continue
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method, app.view_functions[rule.endpoint]))
    return found


@dataclass
class World:
    """Plain values (no ORM rows), so tests send requests outside any app context: a shared
    context would share flask.g (Flask-Login's user, Flask-WTF's token) between requests."""

    a_code: str
    b_code: str
    b_service: str
    b_reference: str
    b_closure: int
    b_slot: int
    b_review: int
    a_slot: int
    token_a: str
    feed_a: str


@pytest.fixture
def world(app):
    with app.app_context():
        a, b = make_office2("office-a"), make_office2("office-b")
        b_booking = book(b.tomorrow, [1, 2])
        book(b.tomorrow, [3, 4])
        later = queue.today(b.office) + dt.timedelta(days=30)
        closure, _ = closure_rules.close_days(b.office, None, later, later, "test", b.supervisor)
        reviews = office_admin.set_slot_capacity(b.tomorrow, 1, 2, b.supervisor)
        return World(a.office.code, b.office.code, b.service.code, b_booking.reference, closure.id,
                     b.tomorrow.id, reviews[0].id, a.tomorrow.id, accounts.issue_token(a.clerk),
                     accounts.issue_token(a.clerk, "feed"))


def _fill(rule, values: dict) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
    return path


def url_for_b(rule, w: World) -> str:
    return _fill(rule, {"office_code": w.b_code, "office": w.b_code, "reference": w.b_reference,
                        "closure_id": w.b_closure, "slot_id": w.b_slot, "review_id": w.b_review,
                        "user_id": 3, "unknown": f"{w.b_code}/no-such-page", "service_code": w.b_service,
                        "position": 0, "year": 2027, "day": "2030-05-20", "region_code": "region-b", "kind": "csv"})


def url_for_own(rule, w: World) -> str:
    return _fill(rule, {"office_code": w.a_code, "office": w.a_code, "reference": "ZZZZZZZZ",
                        "closure_id": 999999, "slot_id": w.a_slot, "review_id": 999999, "user_id": 1,
                        "unknown": f"{w.a_code}/no-such-page", "service_code": "marriage", "position": 0,
                        "year": 2027, "day": "2030-05-20", "region_code": "region-a", "kind": "csv"})


def login(client, username):
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": token})
    assert response.status_code == 302
    # The session is new after login: take the form token of a page of the new session.
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def b_state(app):
    """What a forbidden call could change: cancellations, closures, levels, capacity."""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "cancelled")),
                db.session.scalar(select(func.count()).select_from(Closure).where(Closure.reopened_at.is_(None))),
                tuple(db.session.scalars(select(Office.epidemic_level).order_by(Office.id))),
                tuple(db.session.scalars(select(Slot.max_bookings).order_by(Slot.id))),
                tuple(db.session.scalars(select(Booking.status).order_by(Booking.id))),
                tuple(db.session.scalars(select(StaffUser.active).order_by(StaffUser.id))))


def body_for_b(w: World) -> dict:
    return {"office": w.b_code, "service": w.b_service, "counter": "1", "from": "2030-01-01",
            "to": "2030-01-01", "reason": "x", "temperatures_c": [36.5, 36.5], "phone": "+8613900000000",
            "visitors": [], "level": "emergency", "max_bookings": "1", "max_people": "2", "slot_id": w.b_slot,
            "channel": "phone",
            "date": "2030-01-01", "reference": w.b_reference, "temperature": ["36.5", "36.5"]}


def test_every_staff_route_is_generated_and_guarded(app, world):
    rules = staff_rules(app)
    assert len(rules) >= 25  # the whole staff side, not a hand-picked few
    for rule, _, view in rules:
        assert getattr(view, "min_role", None) in ("clerk", "supervisor", "bureau", "admin"), rule.rule


def test_clerk_of_office_a_gets_403_or_404_on_every_page_of_office_b(app, world):
    client = app.test_client()
    csrf = login(client, "clerk-office-a")
    before = b_state(app)
    for rule, method, _ in staff_rules(app):
        if rule.rule.startswith("/api/"):
            continue
        url = url_for_b(rule, world)
        if method in SAFE:
            response = client.get(url, query_string={"token": world.feed_a})
        else:
            response = client.open(url, method=method, data={**body_for_b(world), "csrf_token": csrf})
        assert response.status_code in (403, 404), (method, url, response.status_code)
    assert b_state(app) == before


@pytest.mark.parametrize("username", ["clerk-office-a", "super-office-a"])
def test_lower_roles_get_403_on_every_higher_page_of_their_own_office(app, world, username):
    client = app.test_client()
    csrf = login(client, username)
    above = ("supervisor", "bureau", "admin") if username.startswith("clerk") else ("bureau", "admin")
    supervisor_rules = [(r, m) for r, m, v in staff_rules(app)
                        if v.min_role in above and not r.rule.startswith("/api/")]
    assert len(supervisor_rules) >= (10 if username.startswith("clerk") else 3)
    for rule, method in supervisor_rules:
        url = url_for_own(rule, world)
        if method in SAFE:
            response = client.get(url)
        else:
            response = client.open(url, method=method, data={"csrf_token": csrf, "level": "emergency"})
        assert response.status_code == 403, (method, url, response.status_code)
    assert b_state(app)[2] == ("normal", "normal")
    with app.app_context():
        assert all(db.session.scalars(select(StaffUser.active)))


def test_supervisor_reaches_the_pages_the_clerk_cannot(app, world):
    client = app.test_client()
    login(client, "super-office-a")
    for rule, method, view in staff_rules(app):
        if view.min_role == "supervisor" and method == "GET" and not rule.rule.startswith("/api/"):
            assert client.get(url_for_own(rule, world)).status_code == 200, rule.rule


def test_clerk_token_of_office_a_gets_403_or_404_on_every_api_call_of_office_b(app, world):
    client = app.test_client()
    before = b_state(app)
    headers = {"Authorization": f"Bearer {world.token_a}"}
    for rule, method, _ in staff_rules(app):
        if not rule.rule.startswith("/api/"):
            continue
        url = url_for_b(rule, world)
        response = client.open(url, method=method, headers=headers, json=None if method == "GET" else body_for_b(world),
                               query_string={"office": world.b_code, "date": "2030-01-01"})
        assert response.status_code in (403, 404), (method, url, response.status_code)
        assert response.is_json
    assert b_state(app) == before


def _token(app, username, revoke=False, scope="api") -> str:
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        token = accounts.issue_token(user, scope)
        if revoke:
            accounts.revoke_tokens(user)
        return token


@pytest.mark.parametrize("case", ["none", "wrong", "revoked", "basic"])
def test_missing_wrong_or_revoked_token_gets_401_everywhere(app, world, case):
    client = app.test_client()
    token = _token(app, "super-office-a", revoke=case == "revoked")
    headers = {"none": {}, "wrong": {"Authorization": "Bearer not-a-token"},
               "revoked": {"Authorization": f"Bearer {token}"},
               "basic": {"Authorization": f"Basic {token}"}}[case]
    for rule, method, _ in staff_rules(app):
        if not rule.rule.startswith("/api/"):
            continue
        url = url_for_own(rule, world)
        response = client.open(url, method=method, headers=headers, json=None if method == "GET" else {},
                               query_string={"office": world.a_code})
        assert response.status_code == 401, (method, url)
        assert response.get_json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    feed_token = _token(app, "super-office-a", revoke=case == "revoked", scope="feed")
    feed = client.get(f"/staff/{world.a_code}/calendar.ics",
                      query_string={"token": feed_token if case == "revoked" else "wrong"})
    assert feed.status_code == 401


def test_a_valid_token_works_until_revoked(app, world):
    client = app.test_client()
    token, feed = _token(app, "clerk-office-a"), _token(app, "clerk-office-a", scope="feed")
    url = f"/api/v1/staff/queue?office={world.a_code}"
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get(f"/staff/{world.a_code}/calendar.ics?token={feed}").status_code == 200
    with app.app_context():
        accounts.revoke_tokens(db.session.scalar(select(StaffUser).where(StaffUser.username == "clerk-office-a")))
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get(f"/staff/{world.a_code}/calendar.ics?token={feed}").status_code == 401


def test_pages_need_a_login_and_administrators_see_every_office(app, world):
    client = app.test_client()
    page = f"/staff/{world.b_code}/queue"
    response = client.get(page)
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    with app.app_context():
        admin()
    login(client, "admin")
    assert client.get(page).status_code == 200
    assert client.get(f"/staff/{world.b_code}/reports").status_code == 200
