"""The bureau's reach, route by route from the app's URL map (as tests/test_access_staff.py):
a bureau reads every staff page and API call of its region's offices (those of the regions
below it too), takes no door, counter or capacity action there, closes services, sees nothing
of another region; a supervisor and another region's bureau are refused the region's views."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking import accounts
from booking.extensions import db
from booking.models import StaffUser
from tests.bureau_support import bureau_world
from tests.test_access_staff import _fill, b_state, login, staff_rules
from tests.test_staff_support import book


@pytest.fixture
def world(app):
    with app.app_context():
        w = bureau_world()
        reference = book(w.b.tomorrow, [1, 2]).reference
        book(w.d.tomorrow, [3, 4])
        tokens = {name: accounts.issue_token(db.session.scalar(select(StaffUser).where(StaffUser.username == name)))
                  for name in ("bureau-shanghai", "bureau-suzhou", "super-reg-a")}
        feed = accounts.issue_token(w.bureau, "feed")
        return {"reference": reference, "a_slot": w.a.tomorrow.id, "tokens": tokens, "feed": feed}


def url(rule, office: str, world) -> str:
    return _fill(rule, {"office_code": office, "office": office, "reference": world["reference"],
                        "closure_id": 999999, "slot_id": world["a_slot"], "review_id": 999999,
                        "user_id": 1, "unknown": f"{office}/no-such-page", "region_code": "shanghai", "kind": "csv",
                        "service_code": "marriage", "position": 0, "year": 2027, "day": "2030-05-20"})


def body(office: str) -> dict:
    return {"office": office, "service": "marriage", "counter": "1", "from": "2030-01-01", "to": "2030-01-01",
            "reason": "x", "temperatures_c": [36.5, 36.5], "visitors": [], "level": "emergency",
            "max_bookings": "1", "max_people": "2", "date": "2030-01-01", "incident": False}


def office_pages(app):
    return [(r, m, v) for r, m, v in staff_rules(app)
            if not r.rule.startswith("/api/") and "<office_code>" in r.rule and r.endpoint != "staff.unknown_page"]


def test_a_bureau_reads_every_page_of_an_office_below_it(app, world):
    client = app.test_client()
    login(client, "bureau-shanghai")
    gets = [(r, v) for r, m, v in office_pages(app) if m == "GET"]
    assert len(gets) >= 10
    for rule, view in gets:
        response = client.get(url(rule, "reg-b", world), query_string={"token": world["feed"]})
        expected = (403,) if view.min_role == "admin" else (200, 302)  # 302: no-show not yet due
        assert response.status_code in expected, (rule.rule, response.status_code)
        assert "/login" not in response.headers.get("Location", "")


def test_a_bureau_takes_no_door_counter_or_capacity_action_and_changes_nothing(app, world):
    client = app.test_client()
    csrf = login(client, "bureau-shanghai")
    before = b_state(app)
    posts = [(r, m, v) for r, m, v in office_pages(app) if m != "GET" and not v.bureau_acts]
    assert {"staff.check_in", "staff.call_next", "staff.complete", "staff.no_show", "staff.walk_in",
            "staff.epidemic_level", "staff.slot_capacity"} <= {r.endpoint for r, _, _ in posts}
    for rule, method, _ in posts:
        response = client.open(url(rule, "reg-a", world), method=method, data={**body("reg-a"), "csrf_token": csrf})
        assert response.status_code == 403, (method, rule.rule, response.status_code)
    assert b_state(app) == before


def test_a_bureau_sees_nothing_of_another_region(app, world):
    client = app.test_client()
    csrf = login(client, "bureau-shanghai")
    before = b_state(app)
    for rule, method, view in office_pages(app):
        data = {**body("reg-d"), "csrf_token": csrf}
        response = client.open(url(rule, "reg-d", world), method=method, data=None if method == "GET" else data,
                               query_string={"token": world["feed"]})
        assert response.status_code in ((403, 404) if view.min_role == "admin" else (404,)), (method, rule.rule)
    assert b_state(app) == before


def api_calls(app):
    return [(r, m, v) for r, m, v in staff_rules(app) if r.rule.startswith("/api/")]


def test_a_bureau_token_reads_the_api_and_acts_only_where_bureaus_act(app, world):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['tokens']['bureau-shanghai']}"}
    before = b_state(app)
    for rule, method, view in api_calls(app):
        response = client.open(url(rule, "reg-a", world), method=method, headers=headers,
                               json=None if method == "GET" else body("reg-a"),
                               query_string={"office": "reg-a", "region": "shanghai"})
        if method == "GET":
            assert response.status_code == 200, (rule.rule, response.get_json())
        elif not view.bureau_acts:
            assert response.status_code == 403, (method, rule.rule, response.status_code)
        else:  # closures: the office's own, as a supervisor would
            assert response.status_code == 201, (method, rule.rule, response.get_json())
    after = b_state(app)
    assert after[1] == before[1] + 1 and after[:1] + after[2:] == before[:1] + before[2:]


@pytest.mark.parametrize("action", ["check-in", "complete", "no-show"])
def test_a_bureau_cannot_check_in_or_end_a_visit(app, world, action):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['tokens']['bureau-shanghai']}"}
    response = client.post(f"/api/v1/staff/bookings/{world['reference']}/{action}", headers=headers,
                           json={"temperatures_c": [36.5, 36.5]})
    assert response.status_code == 403
    assert client.post("/api/v1/staff/call-next", headers=headers,
                       json={"office": "reg-a", "counter": "1"}).status_code == 403


@pytest.mark.parametrize("who", ["bureau-suzhou", "super-reg-a"])
def test_a_supervisor_and_another_regions_bureau_are_refused_the_regions_views(app, world, who):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['tokens'][who]}"}
    expected = 404 if who.startswith("bureau") else 403
    for path in ("/api/v1/staff/reports/daily?region=shanghai", "/api/v1/staff/overview?region=shanghai",
                 "/api/v1/staff/reports/daily?region=jingan"):
        assert client.get(path, headers=headers).status_code == expected, path
    closing = client.post("/api/v1/staff/closures", headers=headers,
                          json={"region": "shanghai", "from": "2030-01-01", "to": "2030-01-01", "reason": "x"})
    assert closing.status_code == expected
    page_client = app.test_client()
    login(page_client, who)
    for rule, _, view in staff_rules(app):
        if "<region_code>" in rule.rule and "GET" in rule.methods:  # a region's setup: administrators only
            refused = 403 if view.min_role == "admin" else expected
            assert page_client.get(url(rule, "reg-a", world)).status_code == refused, rule.rule


def test_the_bureau_above_a_district_sees_it_and_the_district_does_not_see_up(app, world):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['tokens']['bureau-shanghai']}"}
    answer = client.get("/api/v1/staff/reports/daily?region=jingan&date=2030-01-01", headers=headers)
    assert [o["office"] for o in answer.get_json()["offices"]] == ["reg-b"]
    with app.app_context():
        accounts.create_staff("bureau-jingan", "correct horse battery", "bureau", None, region_code="jingan")
        token = accounts.issue_token(db.session.scalar(select(StaffUser).where(StaffUser.username == "bureau-jingan")))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/staff/reports/daily?region=shanghai", headers=headers).status_code == 404
    assert client.get("/api/v1/staff/queue?office=reg-a", headers=headers).status_code == 404
    assert client.get("/api/v1/staff/queue?office=reg-b", headers=headers).status_code == 200


def test_staff_create_makes_a_bureau_of_a_region_and_refuses_what_does_not_fit(app, runner, world):
    made = runner.invoke(args=["staff", "create", "city", "--region", "shanghai", "--role", "bureau",
                               "--password", "correct horse battery"])
    assert made.exit_code == 0, made.output
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "city"))
        assert (user.role, user.region.code, user.office_id) == ("bureau", "shanghai", None)
    for args, said in ((["--role", "bureau"], "give --region"),
                       (["--role", "bureau", "--region", "nowhere"], "no region with code 'nowhere'"),
                       (["--role", "bureau", "--region", "shanghai", "--office", "reg-a"], "not an office"),
                       (["--role", "clerk", "--region", "shanghai", "--office", "reg-a"], "only a bureau")):
        refused = runner.invoke(args=["staff", "create", "x2", *args, "--password", "correct horse battery"])
        assert refused.exit_code == 1 and said in refused.output, (args, refused.output)
