"""One input edge (issue 27, "Never a 500"): text PostgreSQL cannot hold (a NUL byte) in a path,
query, form field, JSON body or header, and an integer outside the database's range as an id,
are refused with a 4xx on every route of the URL map, on both databases, and change nothing.

The routes are the URL map's own (no hand list): a route added later is covered the day it is
added. The known values (office, service, booking, token, slot) get each case past "not found"
into the code behind it, where the database would have seen the input.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from booking import accounts, bookings
from booking.extensions import db
from booking.models import Booking, Closure, IdentityClaim, SmsMessage, StaffUser, Visitor

from .factories import PHONE, make_office, make_service, make_slot, verified, visitor

NUL = "a\x00b"
HUGE_IDS = (2**63, 99999999999999999999)
SKIPPED = ("static", "staff.logout")  # files on disk; logging out is no database input
QUERY_NAMES = ("date", "office", "service", "token", "reference", "lang", "before", "q", "m", "people")
FORM_NAMES = ("username", "password", "phone", "code", "name", "reason", "slot_id", "counter",
              "reference", "date", "from", "to", "lang", "visitors-0-name", "visitors-0-id_number")
JSON_NAMES = ("office", "service", "phone", "code", "reference", "reason", "counter", "date",
              "from", "to", "lang", "token")


def seed(app) -> dict:
    with app.app_context():
        service = make_service(make_office(code="registry"), slot_max_bookings=50, slot_max_people=100)
        slot = make_slot(service)
        db.session.commit()
        done = bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                             verification=verified())
        user = accounts.create_staff("edge-admin", "edge password 1", "admin", None)
        known = {"office_code": "registry", "office": "registry", "service_code": "marriage",
                 "reference": done.booking.reference, "token": done.token, "slot_id": slot.id,
                 "day": slot.starts_at.date().isoformat(), "position": 0, "closure_id": 1,
                 "review_id": 1, "user_id": user.id, "unknown": "x", "_rest": "x",
                 "year": 2027, "region_code": "none", "kind": "csv", "staff_token": accounts.issue_token(user)}
        db.session.remove()
    return known


def snapshot(app) -> tuple:
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(t))
                       for t in (Booking, Visitor, IdentityClaim, SmsMessage, Closure, StaffUser))
        rows = tuple(db.session.execute(select(Booking.id, Booking.status, Booking.slot_id)).all())
        db.session.remove()
    return counts, rows


def staff_session(app):
    """A test client signed in as an admin, and its CSRF token (valid for every form)."""
    client = app.test_client()
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    answer = client.post("/staff/login", data={"csrf_token": token, "username": "edge-admin",
                                               "password": "edge password 1"})
    assert answer.status_code == 302
    return client, csrf_of(client.get("/staff/registry/queue").get_data(as_text=True))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def routes(app):
    """(rule, method) for every route of the URL map, HEAD and OPTIONS aside."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def path_of(rule, values: dict) -> str:
    """The rule's path with `values` (raw text percent-encoded as the client would send it)."""
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", quote(str(values[name]), safe=""), path)
    return path


def int_arguments(rule) -> list[str]:
    return [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]


def text_arguments(rule) -> list[str]:
    """The rule's text parts written in its path (a default, as /services/new's, is not)."""
    return [name for name in rule.arguments if name not in int_arguments(rule) and name not in (rule.defaults or {})]


def nul_cases(rule, method: str, known: dict):
    """(label, path, request kwargs) putting a NUL byte in each place a request carries text."""
    path = path_of(rule, known)
    for name in text_arguments(rule):
        yield f"path {name}", path_of(rule, {**known, name: NUL}), {}
    query = "&".join(f"{name}=a%00b" for name in QUERY_NAMES)
    yield "query", f"{path}?{query}", {}
    yield "query name", f"{path}?a%00b=1", {}
    yield "header", path, {"headers": {"X-Booking-Token": NUL, "Accept-Language": "zh\x00"}}
    if method != "GET":
        yield "form", path, {"data": {name: NUL for name in FORM_NAMES}}
        yield "json", path, {"data": json.dumps({name: NUL for name in JSON_NAMES}),
                             "content_type": "application/json"}
        yield "json array", path, {"data": json.dumps([{"out_id": NUL, "biz_id": NUL}]),
                                   "content_type": "application/json"}


def huge_cases(rule, known: dict):
    for name in int_arguments(rule):
        for value in HUGE_IDS:
            yield f"path {name}={value}", path_of(rule, {**known, name: value}), {}


def send(client, method, path, csrf, known, kwargs):
    headers = {"Authorization": f"Bearer {known['staff_token']}", **kwargs.pop("headers", {})}
    data = kwargs.pop("data", None)
    if isinstance(data, dict):
        data = {**data, "csrf_token": csrf}
    return client.open(path, method=method, headers=headers, data=data, **kwargs)


@pytest.fixture
def site(any_app):
    any_app.config.update(RATELIMIT_ENABLED=False, PROPAGATE_EXCEPTIONS=False,
                          ALIYUN_SMS_CALLBACK_TOKEN="edge-push-token")
    known = seed(any_app)
    return any_app, {**known, "token_of_push": "edge-push-token"}


def run_cases(app, known, make_cases) -> dict[str, int]:
    client, csrf = staff_session(app)
    answers = {}
    for rule, method in routes(app):
        values = {**known, "token": "edge-push-token"} if rule.endpoint.startswith("sms.aliyun") else known
        for label, path, kwargs in make_cases(rule, method, values):
            response = send(client, method, path, csrf, known, dict(kwargs))
            answers[f"{method} {rule.rule} [{label}]"] = response.status_code
    return answers


def listing(answers: dict[str, int]) -> str:
    return f"{len(answers)} cases:\n" + "\n".join(f"{status} {case}" for case, status in answers.items())


def assert_no_server_errors(answers: dict[str, int]) -> None:
    errors = {case: status for case, status in answers.items() if status >= 500}
    assert not errors, listing(errors)


def test_nul_bytes_anywhere_are_refused_with_a_4xx_on_every_route(site):
    app, known = site
    before = snapshot(app)
    answers = run_cases(app, known, lambda rule, method, values: nul_cases(rule, method, values))
    assert len(answers) > 300
    assert_no_server_errors(answers)
    wrong = {case: status for case, status in answers.items() if not 400 <= status < 500}
    assert not wrong, listing(wrong)
    assert snapshot(app) == before, "a refused request changed the database"


def test_ids_beyond_the_database_range_are_not_found_on_every_route(site):
    app, known = site
    before = snapshot(app)
    answers = run_cases(app, known, lambda rule, method, values: huge_cases(rule, values))
    assert len(answers) >= 20
    assert_no_server_errors(answers)
    # no route matches: 404, or 405 where another route (a GET-only catch-all) has the path
    wrong = {case: status for case, status in answers.items() if status not in (404, 405)}
    assert not wrong, listing(wrong)
    assert snapshot(app) == before


@pytest.mark.parametrize("value", [2**31, 2**63, 99999999999999999999, -(2**63)])
def test_ids_beyond_the_database_range_in_bodies_and_queries_are_refused(site, value):
    app, known = site
    client, csrf = staff_session(app)
    before = snapshot(app)
    api = {"Authorization": f"Bearer {known['staff_token']}", "X-Booking-Token": known["token"]}
    body = {"slot_id": value, "office": "registry", "service": "marriage", "phone": PHONE,
            "visitors": [visitor(3)], "code": "000000"}
    answers = {
        "book": client.post("/api/v1/bookings", json=body, headers=api),
        "reschedule": client.post(f"/api/v1/bookings/{known['reference']}/reschedule", json=body, headers=api),
        "audit": client.get(f"/staff/registry/audit?before={value}"),
        "move": client.post("/staff/registry/reviews/1/move", data={"slot_id": value, "csrf_token": csrf}),
    }
    for name in ("book", "reschedule"):
        assert answers[name].status_code == 422, (name, answers[name].get_json())
        assert "slot_id" in answers[name].get_json()["fields"], answers[name].get_json()
    assert all(answer.status_code < 500 for answer in answers.values()), \
        {name: answer.status_code for name, answer in answers.items()}
    assert snapshot(app) == before


def test_the_refusal_speaks_the_readers_language(site):
    app, _ = site
    client = app.test_client()
    api = client.get("/api/v1/availability?office=a%00b", headers={"Accept-Language": "en"})
    assert api.status_code == 400 and api.is_json
    assert api.get_json()["error"] == "invalid_characters"
    assert "character" in api.get_json()["message"]
    zh = client.get("/api/v1/availability?office=a%00b&lang=zh")
    assert "字符" in zh.get_json()["message"]
    hant = client.get("/api/v1/availability?office=a%00b", headers={"Accept-Language": "zh-TW"})
    assert "字元" in hant.get_json()["message"] or "字符" in hant.get_json()["message"]
    page = client.get("/book/registry/a%00b", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "无法处理的字符" in html and "<html" in html
    english = client.get("/book/registry/a%00b?lang=en").get_data(as_text=True)
    assert "cannot be stored" in english


@pytest.mark.parametrize("out_id", ["²", "٣", "1" * 30, "-1", "1.5", "\u0000", None, [], {"a": 1}, 2**70])
def test_an_aliyun_receipt_with_an_unusual_out_id_is_accepted(site, out_id):
    """The provider's receipt names our message id in `out_id`; an odd one is not ours, and the
    receipt is still acknowledged (or refused as a bad request), never a 500."""
    app, _ = site
    client = app.test_client()
    response = client.post("/sms/aliyun/edge-push-token/report",
                           json=[{"out_id": out_id, "biz_id": "b-1", "success": True}])
    assert response.status_code in (200, 400), response.status_code
