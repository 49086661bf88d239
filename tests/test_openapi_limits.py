"""429 and 503 in the OpenAPI document (issue 15): every operation that can answer them says so.

Each documented operation is called until its rate limit answers (limits lowered where the app
reads them from its config), and every answer is checked against the document: a 429 that the
document does not list fails here."""

from __future__ import annotations

import pytest

from booking import accounts
from booking.extensions import db

from .api_schema import CheckedClient
from .conftest import _fresh_schema, make_app
from .factories import make_office, make_service

LOWERED = {name: "3 per minute" for name in ("API_AVAILABILITY_LIMIT_PER_IP", "API_CODE_LIMIT_PER_IP",
                                             "API_BOOKING_LIMIT_PER_IP", "API_MANAGE_LIMIT_PER_IP")}
TRIES = 40  # above every per-minute limit of a staff or citizen call, once lowered
DISPLAY_TRIES = 601  # the hall display allows 600 a minute (many screens behind one router)


@pytest.fixture
def limited(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'limits.db'}", **LOWERED)
    _fresh_schema(app)
    with app.app_context():
        make_service(make_office(code="registry"))
        db.session.commit()
        token = accounts.issue_token(accounts.create_staff("limits-admin", "limits password 1", "admin", None))
    yield app, token
    with app.app_context():
        db.engine.dispose()


def _url(template: str) -> str:
    values = {"reference": "ABCD2345", "office": "registry"}
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    if template == "/api/v1/availability":
        return template + "?office=registry&service=marriage&from=2030-01-01&to=2030-01-02"
    return template


@pytest.mark.slow
def test_every_operation_that_answers_429_documents_it(limited):
    app, token = limited
    client = CheckedClient(app.test_client())
    headers = {"Authorization": f"Bearer {token}", "X-Booking-Token": "not-the-token"}
    limited_seen = set()
    for template, operations in client.doc["paths"].items():
        for method in operations:
            tries = DISPLAY_TRIES if template.startswith("/api/v1/display/") else TRIES
            for _ in range(tries):
                response = client.open(method.upper(), _url(template), headers=headers,
                                       json={} if method == "post" else None)
                if response.status_code == 429:
                    assert not response.is_json or response.get_json()["error"] == "rate_limited", template
                    limited_seen.add((method, template))
                    break
    assert limited_seen >= {("get", "/api/v1/availability"), ("post", "/api/v1/staff/walk-ins"),
                            ("post", "/api/v1/staff/closures"), ("get", "/bookings/{reference}.ics"),
                            ("get", "/api/v1/display/{office}"),
                            ("post", "/api/v1/bookings/{reference}/health-declarations")}


def test_every_operation_that_reads_the_database_documents_503(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for template, operations in doc["paths"].items():
        for method, operation in operations.items():
            if template == "/api/v1/openapi.json":
                continue
            answer = operation["responses"].get("503")
            assert answer is not None, f"{method} {template} does not document 503"
            assert "Retry-After" in answer["headers"]
