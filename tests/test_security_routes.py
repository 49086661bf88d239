"""Walks every route in the app's URL map (new routes are covered as they appear):

- CSRF: every state-changing HTML form route refuses a POST without the token (400, never 500);
  only the JSON API and the signature-checked SMS webhooks are exempt, and the API does not
  accept the staff session cookie, so the exemption opens nothing.
- Staff: every /staff page needs a login, and every /api/v1/staff call a bearer token; a user
  of one office is refused every page and call of another office.
- SMS: every route that can make the service send a text message is rate-limited.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
import types

import pytest

import booking
from booking import accounts, bookings
from booking.extensions import csrf, db

from .factories import PHONE, make_office, make_service, make_slot, verified, visitor

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Blueprints without CSRF tokens, and why that is safe.
CSRF_EXEMPT = {
    "api": "JSON API: no cookie is accepted as proof; codes, booking tokens and bearer tokens are",
    "sms": "Twilio webhooks: every request's X-Twilio-Signature is checked instead",
}
# Routes that cause texts but are not rate-limited by address, and why.
SMS_RATE_LIMIT_EXEMPT = {
    "sms.inbound_sms": "only Twilio can call it (signature-checked); replies are answered in-line",
    "sms.aliyun_uplink": "only Alibaba Cloud can call it (secret token in the path, else 404); "
                         "each reply is answered once, to the number that wrote",
}
PASSWORD = "a long staff password 1"


def rules(app, prefix: str = ""):
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith(prefix) and r.endpoint != "static"),
                  key=lambda r: (r.rule, r.endpoint))


def path(rule, **values) -> str:
    """The rule's URL with every argument filled (1 fits both int and string converters)."""
    filled = {name: 1 for name in rule.arguments}
    filled.update({k: v for k, v in values.items() if k in rule.arguments})
    return rule.build(filled, append_unknown=False)[1]


def blueprint_of(rule) -> str:
    return rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else ""


def csrf_token(client, page: str = "/staff/login") -> str:
    html = client.get(page).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


# --- CSRF ----------------------------------------------------------------------------------------

def test_csrf_exemptions_are_only_the_api_and_the_webhooks(app):
    assert {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints} == set(CSRF_EXEMPT)
    assert set(csrf._exempt_views) == set(), "no single view is exempt"


def test_every_state_changing_form_route_refuses_a_post_without_csrf_token(app):
    client = app.test_client()
    checked = []
    for rule in rules(app):
        if not rule.methods & STATE_CHANGING or blueprint_of(rule) in CSRF_EXEMPT:
            continue
        for method in sorted(rule.methods & STATE_CHANGING):
            response = client.open(path(rule), method=method, data={"anything": "1"})
            assert response.status_code == 400, f"{method} {rule.rule}: {response.status_code}"
            checked.append(rule.endpoint)
    assert {"web.submit", "web.send_code", "web.cancel", "staff.login", "staff.logout"} <= set(checked)


@pytest.fixture
def offices(app):
    """Two offices, each with a slot and a booking; a supervisor and a token of the first.

    No app context stays open: requests must each get their own `g` (Flask-Login, Flask-WTF
    and Flask-Limiter keep per-request state there).
    """
    result = {}
    with app.app_context():
        own, other = make_office(code="own"), make_office(code="other")
        for office in (own, other):
            slot = make_slot(make_service(office))
            db.session.commit()
            n = 10 if office is own else 20
            done = bookings.book(slot_id=slot.id, phone=f"+8613{n}0000000", visitors=[visitor(n), visitor(n + 1)],
                                 verification=verified(f"+8613{n}0000000"))
            result[office.code] = {"slot_id": slot.id, "reference": done.booking.reference, "token": done.token}
        user = accounts.create_staff("supervisor-own", PASSWORD, "supervisor", "own")
        result["token"] = accounts.issue_token(user)
    return result


def logged_in(app, username: str = "supervisor-own"):
    client = app.test_client()
    token = csrf_token(client)
    answer = client.post("/staff/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert answer.status_code == 302, "logged in"
    return client, csrf_token(client, answer.headers["Location"])


def test_the_csrf_exempt_api_ignores_a_staff_session_cookie(app, offices):
    client, _ = logged_in(app)
    for rule in rules(app, "/api/v1/staff/"):
        for method in sorted(rule.methods & ({"GET"} | STATE_CHANGING)):
            response = client.open(path(rule, reference=offices["own"]["reference"]), method=method,
                                   json={"office": "own"}, query_string={"office": "own"})
            assert response.status_code == 401, f"{method} {rule.rule} took the cookie: {response.status_code}"


# --- staff: authentication and office scope -------------------------------------------------------

PUBLIC_STAFF = {"staff.login"}


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_every_staff_page_needs_a_login(app, offices):
    client = app.test_client()
    token = csrf_token(client)
    checked = 0
    for rule in rules(app, "/staff"):
        if rule.endpoint in PUBLIC_STAFF:
            continue
        url = path(rule, office_code="own")
        for method in sorted(rule.methods & ({"GET"} | STATE_CHANGING)):
            data = {"csrf_token": token} if method != "GET" else None
            response = client.open(url, method=method, data=data)
            assert is_login_redirect(response) or response.status_code in (401, 403), \
                f"anonymous {method} {rule.rule}: {response.status_code}"
            checked += 1
    assert checked >= 10


def test_every_staff_api_call_needs_a_valid_bearer_token(app, offices):
    client = app.test_client()
    for rule in rules(app, "/api/v1/staff/"):
        for method in sorted(rule.methods & ({"GET"} | STATE_CHANGING)):
            for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
                response = client.open(path(rule), method=method, headers=headers, json={})
                assert response.status_code == 401, f"{method} {rule.rule} {headers}: {response.status_code}"
                assert response.is_json


def test_a_supervisor_is_refused_every_page_of_another_office(app, offices):
    client, token = logged_in(app)
    own_queue = client.get("/staff/own/queue")
    assert own_queue.status_code == 200, "the supervisor's own office works"
    checked = 0
    for rule in rules(app, "/staff"):
        if "office_code" not in rule.arguments:
            continue
        url = path(rule, office_code="other", reference=offices["other"]["reference"],
                   slot_id=offices["other"]["slot_id"])
        for method in sorted(rule.methods & ({"GET"} | STATE_CHANGING)):
            data = {"csrf_token": token, "reference": offices["other"]["reference"]} if method != "GET" else None
            response = client.open(url, method=method, data=data)
            # 401: a page for calendar apps takes its own feed token, never the session
            assert response.status_code in (401, 403, 404), \
                f"{method} {rule.rule} for another office: {response.status_code}"
            checked += 1
    assert checked >= 10


def staff_api_body(offices: dict) -> dict:
    """A body carrying every field a staff call may read, all naming the other office."""
    today = dt.date.today().isoformat()
    return {"office": "other", "service": "marriage", "from": today, "to": today, "date": today,
            "reason": "test", "counter": "1", "level": "emergency", "temperatures_c": [36.5, 36.5], "phone": PHONE,
            "visitors": [visitor(50), visitor(51)], "declarations": [], "reference": offices["other"]["reference"],
            "slot_id": offices["other"]["slot_id"], "channel": "phone", "incident": False, "note": ""}


def test_a_staff_token_is_refused_every_call_about_another_office(app, offices):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {offices['token']}"}
    assert client.get("/api/v1/staff/queue", query_string={"office": "own"}, headers=headers).status_code == 200
    body = staff_api_body(offices)
    for rule in rules(app, "/api/v1/staff/"):
        for method in sorted(rule.methods & ({"GET"} | STATE_CHANGING)):
            response = client.open(path(rule, reference=offices["other"]["reference"]), method=method,
                                   headers=headers, json=body if method != "GET" else None,
                                   query_string={"office": "other", "date": body["date"]})
            assert response.status_code in (403, 404), \
                f"{method} {rule.rule} for another office: {response.status_code} {response.get_json()}"
    with app.app_context():
        assert {b.status for b in db.session.scalars(db.select(booking.models.Booking))} == {"booked"}


# --- rate limits on every route that can send a text ---------------------------------------------

def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _package_functions():
    for info in pkgutil.walk_packages(booking.__path__, "booking."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                yield inspect.unwrap(value)  # a use case: the function under @use_case


def sms_senders() -> set[str]:
    """Names of every function in booking/ that adds a text to the outbox, directly or through
    another such function (by name: a generous over-approximation, on purpose)."""
    functions = list(_package_functions())
    senders = {"enqueue", "message_values"}  # message_values: a text row the caller inserts itself
    while True:
        grown = senders | {f.__name__ for f in functions if _code_names(f.__code__) & senders}
        if grown == senders:
            return senders
        senders = grown


def sends_sms(view, senders: set[str]) -> bool:
    view = inspect.unwrap(view)
    return bool(_code_names(view.__code__) & senders)


def test_sms_sender_detection_finds_the_known_senders(app):
    senders = sms_senders()
    assert {"start_verification", "book", "cancel", "reschedule"} <= senders
    found = {rule.endpoint for rule in rules(app) if sends_sms(app.view_functions[rule.endpoint], senders)}
    assert {"api.phone_verification", "api.create_booking", "web.send_code", "web.submit"} <= found


def hammer(client, method: str, url: str, limit: int = 400, **kwargs) -> int:
    """Requests until the first 429; how many it took (or limit + 1 if none came)."""
    for n in range(1, limit + 1):
        if client.open(url, method=method, **kwargs).status_code == 429:
            return n
    return limit + 1


@pytest.mark.slow
def test_every_route_that_can_send_a_text_is_rate_limited(app, offices):
    senders = sms_senders()
    staff_client, staff_csrf = logged_in(app)
    citizen = app.test_client()
    citizen_csrf = csrf_token(citizen, f"/book/slot/{offices['own']['slot_id']}")
    bearer = {"Authorization": f"Bearer {offices['token']}"}
    unlimited = []
    for rule in rules(app):
        if rule.endpoint in SMS_RATE_LIMIT_EXEMPT or not sends_sms(app.view_functions[rule.endpoint], senders):
            continue
        method = sorted(rule.methods & STATE_CHANGING or {"GET"})[0]
        url = path(rule, office_code="own", reference=offices["own"]["reference"], token="wrong-token")
        if blueprint_of(rule) in CSRF_EXEMPT:
            taken = hammer(app.test_client(), method, url, json={}, headers=bearer)
        elif rule.rule.startswith("/staff"):
            taken = hammer(staff_client, method, url, data={"csrf_token": staff_csrf})
        else:
            taken = hammer(citizen, method, url, data={"csrf_token": citizen_csrf})
        if taken > 400:
            unlimited.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert unlimited == [], "routes that can send texts without a rate limit:\n" + "\n".join(unlimited)
