"""Property-based fuzzing of every HTML form: each POST route in the URL map gets hostile values
in the fields its page shows (with a valid CSRF token, so the view itself runs). Never a 500;
a citizen form that refuses its input (a 4xx answer) changes nothing in the database.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from booking import accounts, bookings
from booking.extensions import db
from booking.models import Booking, IdentityClaim, Slot, SmsMessage, Visitor

from .conftest import _fresh_schema, make_app
from .factories import PHONE, make_office, make_service, make_slot, verified, visitor
from .fuzzing import HOSTILE_TEXT

FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
EXEMPT_BLUEPRINTS = ("api.", "sms.")
EXTRA_FIELDS = ["phone", "code", "name", "id_number", "id_type", "slot_id", "reason", "people", "lang",
                "visitors-0-name", "visitors-0-id_number", "visitors-0-id_type", "temperature", "date"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('fuzzforms') / 'forms.db'}", RATELIMIT_ENABLED=False,
                   PROPAGATE_EXCEPTIONS=False)
    _fresh_schema(app)
    with app.app_context():
        # Room for one fresh booking per form route, whatever their number.
        service = make_service(make_office(code="registry"), slot_max_bookings=200, slot_max_people=400)
        slot, other = make_slot(service), make_slot(service, days_ahead=3)
        db.session.commit()
        done = bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                             verification=verified())
        accounts.create_staff("forms-admin", "forms password 1", "admin", None)
        known = {"slot_id": slot.id, "other_slot_id": other.id, "reference": done.booking.reference,
                 "token": done.token, "office_code": "registry", "position": 0}
    yield app, known
    with app.app_context():
        db.engine.dispose()


def raw_quote(text: str, *_args) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def url_of(rule, known: dict) -> str:
    return rule.build({name: known.get(name, 1) for name in rule.arguments}, append_unknown=False)[1]


def field_names(html: str) -> list[str]:
    names = re.findall(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"', html)
    return sorted(set(names) - {"csrf_token"})


def csrf_of(html: str) -> str | None:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else None


def page_for(client, url: str) -> str:
    """The form page of a POST url: the url itself, else its parent (…/code -> …)."""
    for candidate in (url, url.rsplit("/", 1)[0]):
        response = client.get(candidate)
        if response.status_code == 200 and response.mimetype == "text/html":
            return response.get_data(as_text=True)
    return ""


def snapshot(app) -> tuple:
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(t))
                       for t in (Booking, Visitor, IdentityClaim, SmsMessage))
        rows = tuple(db.session.execute(select(Booking.id, Booking.status, Booking.slot_id)).all())
        slots = tuple(db.session.execute(select(Slot.id, Slot.booked_bookings, Slot.booked_people)).all())
        db.session.remove()
    return counts, rows, slots


def staff_client(app):
    client = app.test_client()
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    answer = client.post("/staff/login", data={"csrf_token": token, "username": "forms-admin",
                                               "password": "forms password 1"})
    assert answer.status_code == 302
    return client


def form_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" in rule.methods and not rule.endpoint.startswith(EXEMPT_BLUEPRINTS):
            yield rule


def fresh_booking(app, known: dict, n: int) -> dict:
    """A new active booking for each form, so one form's success does not starve the next."""
    with app.app_context():
        phone = f"+86136{n:08d}"
        done = bookings.book(slot_id=known["slot_id"], phone=phone, visitors=[visitor(100 + 2 * n),
                             visitor(101 + 2 * n)], verification=verified(phone))
        result = {**known, "reference": done.booking.reference, "token": done.token}
        db.session.remove()
    return result


def fuzz_form(app, client, token: str, url: str, names: list[str], check_database: bool) -> None:
    @FUZZ
    @given(values=st.fixed_dictionaries({}, optional={name: HOSTILE_TEXT for name in names + EXTRA_FIELDS[:4]}))
    def run(values):
        before = snapshot(app) if check_database else None
        body = urlencode({**values, "csrf_token": token}, quote_via=raw_quote)
        response = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, f"POST {url}: {response.status_code}"
        if before is not None and response.status_code >= 400:  # a refusal (a valid phone may get its code)
            assert snapshot(app) == before, f"a refused POST {url} changed the database"

    run()


@pytest.mark.slow
def test_every_form_survives_hostile_values(site, caplog):
    app, known = site
    citizen, staff = app.test_client(), staff_client(app)
    tokens = {citizen: csrf_of(citizen.get(f"/book/slot/{known['slot_id']}").get_data(as_text=True)),
              staff: csrf_of(staff.get("/staff/registry/queue").get_data(as_text=True))}
    assert all(tokens.values()), "both clients hold a CSRF token"
    fuzzed = []
    for n, rule in enumerate(form_routes(app)):
        if rule.endpoint in ("staff.logout", "staff.login"):
            continue
        client = staff if rule.rule.startswith("/staff") else citizen
        url = url_of(rule, fresh_booking(app, known, n) if "reference" in rule.arguments else known)
        names = field_names(page_for(client, url)) or EXTRA_FIELDS
        fuzz_form(app, client, tokens[client], url, names, check_database=client is citizen)
        fuzzed.append(rule.endpoint)
    assert {"web.submit", "web.send_code", "web.cancel"} <= set(fuzzed)
    refused = [r.getMessage() for r in caplog.records if r.name == "flask_wtf.csrf"]
    assert refused == [], "every fuzzed post reached its view (a valid CSRF token)"
