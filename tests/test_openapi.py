"""The OpenAPI document: valid OpenAPI 3.1, and it describes every route the API really has."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from booking.api import openapi

CITIZEN_PATHS = {
    ("get", "/api/v1/offices"), ("get", "/api/v1/availability"),
    ("post", "/api/v1/phone-verifications"), ("post", "/api/v1/bookings"),
    ("get", "/api/v1/bookings/{reference}"), ("post", "/api/v1/bookings/{reference}/cancel"),
    ("post", "/api/v1/bookings/{reference}/reschedule"), ("get", "/bookings/{reference}.ics"),
}


def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def documented(doc: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in doc["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def test_the_document_is_valid_openapi_3_1(client):
    doc = document(client)
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_the_document_describes_the_citizen_contract(client):
    assert CITIZEN_PATHS <= documented(document(client))


def test_every_api_route_of_the_app_is_documented(app, client):
    doc = document(client)
    real = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        real |= {(method.lower(), path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = real - documented(doc)
    assert not missing, f"routes without a description in OPENAPI_PATHS: {sorted(missing)}"


def test_every_documented_api_path_exists(app, client):
    rules = {re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()}
    assert set(document(client)["paths"]) <= rules


def test_the_server_address_and_security_schemes_are_given(client):
    doc = document(client)
    assert doc["servers"] == [{"url": "https://booking.example.gov.cn"}]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["staffBearer"] == {**schemes["staffBearer"], "type": "http", "scheme": "bearer"}
    assert (schemes["bookingToken"]["in"], schemes["bookingToken"]["name"]) == ("header", "X-Booking-Token")
    assert doc["components"]["schemas"]["Error"]["required"] == ["error", "message", "fields"]


def test_a_module_without_a_description_adds_nothing_and_breaks_nothing(monkeypatch, ctx):
    import types

    empty = types.ModuleType("booking.api.empty")
    monkeypatch.setattr(openapi, "API_MODULES", ("citizen", "empty"))
    monkeypatch.setattr(openapi, "_module", lambda name: empty if name == "empty" else
                        __import__("booking.api.citizen", fromlist=["x"]))
    with ctx.test_request_context():
        doc = openapi.build_document()
    validate(doc)
    assert CITIZEN_PATHS <= documented(doc)
