"""schemathesis against /api/v1/openapi.json: every documented operation, with data it generates
from the schema (valid and invalid) and values no database takes (NUL, lone surrogates, ids past
PostgreSQL's `integer`), never answers 500, and every answer matches the document (status code,
content type, body schema, headers). On PostgreSQL, which refuses what SQLite lets through.

The examples per operation are few (the run stays well under a minute); the domain and field
fuzzing in tests/test_fuzz_domain.py and tests/test_fuzz_api.py go deeper.
"""

from __future__ import annotations

import itertools
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from booking import accounts, bookings, scheduling
from booking.extensions import db

from .conftest import _fresh_schema, make_app
from .factories import PHONE, make_office, make_service, make_slot, verified, visitor

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)  # schema-valid data, and data that is not
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


@pytest.fixture(scope="module")
def contract_app(postgres_url):
    """On PostgreSQL: it refuses what SQLite takes (a NUL in text, an id past `integer`)."""
    app = make_app(postgres_url, RATELIMIT_ENABLED=False)
    _fresh_schema(app)
    with app.app_context():
        service = make_service(make_office(code="registry"))
        slot = make_slot(service)
        scheduling.generate_slots(service, *window())
        db.session.commit()
        user = accounts.create_staff("contract-admin", "contract password 1", "admin", None)
        done = bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                             verification=verified())
        app.config["KNOWN"] = {"office": "registry", "service": "marriage", "slot_id": slot.id,
                               "reference": done.booking.reference, "token": done.token,
                               "staff_token": accounts.issue_token(user)}
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def window():
    import datetime as dt

    today = dt.date.today()
    return today, today + dt.timedelta(days=7)


def operations(app) -> list:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def shape(path: str) -> str:
    """A path with its parameters unnamed: /a/<x>/b and /a/{y}/b are the same route."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_the_document_lists_every_api_route(contract_app):
    documented = {(op.method.upper(), shape(op.path)) for op in operations(contract_app)}
    documented.add(("GET", "/api/v1/openapi.json"))  # the document itself
    for rule in contract_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, shape(rule.rule)) in documented, f"{method} {rule.rule} is not in the OpenAPI document"


def with_known_values(case, known: dict):
    """Half the cases name the real office, service, slot and booking, so they get past
    "not found" into the checks behind it."""
    for name in ("reference", "office"):
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = known[name]
    if case.query:
        for name in ("office", "service", "token"):
            if name in case.query:
                case.query[name] = known[name]
    if isinstance(case.body, dict):
        for name in ("office", "service", "slot_id"):
            if name in case.body:
                case.body[name] = known[name]
    return case


# Values no database takes (issue 27): for path and query parameters, and for JSON fields, where
# a lone surrogate can travel too (as its \ud800 escape).
HOSTILE_PARAMETERS = ("\x00", "a\x00b", str(2**63), "99999999999999999999", str(2**31))
HOSTILE_FIELDS = (*HOSTILE_PARAMETERS, "\ud800", "a\udfffb", 2**63, 2**31, -(2**63))


def with_hostile_value(case, pick: int):
    """One parameter or body field (chosen by `pick`) set to a hostile value."""
    places = [(case.path_parameters, name) for name in case.path_parameters or {}]
    places += [(case.query, name) for name in case.query or {}]
    fields = [(case.body, name) for name in case.body] if isinstance(case.body, dict) else []
    if not places + fields:
        return case
    where, name = (places + fields)[pick % len(places + fields)]
    values = HOSTILE_FIELDS if where is case.body else HOSTILE_PARAMETERS
    where[name] = values[pick % len(values)]
    return case


@pytest.mark.slow
def test_every_operation_answers_within_its_documented_contract(contract_app):
    """Each operation in turn (schemathesis's pytest plugin does not run under pytest 9, so
    the operations are driven through hypothesis directly)."""
    known = contract_app.config["KNOWN"]
    headers = {"Authorization": f"Bearer {known['staff_token']}", "X-Booking-Token": known["token"]}
    failures = {}
    for mode, operation in itertools.product(MODES, operations(contract_app)):
        @settings(max_examples=20, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans(),
               hostile=st.one_of(st.none(), st.integers(0, 100)))
        def run(case, real, hostile):
            if real:
                case = with_known_values(case, known)
            if hostile is not None:
                case = with_hostile_value(case, hostile)
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, "only an operation without inputs has no invalid case"
        except Exception as error:  # noqa: BLE001 (collected, reported together below)
            failures[f"{mode.value} {operation.method.upper()} {operation.path}"] = str(error)[:1500]
    assert not failures, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())


@pytest.mark.slow
def test_staff_operations_are_fuzzed_with_staff_credentials(contract_app):
    """The staff API is covered too (issue 15): with the staff token every staff operation gets
    past authentication into its own checks, and answers within the document."""
    known = contract_app.config["KNOWN"]
    headers = {"Authorization": f"Bearer {known['staff_token']}"}
    reached: dict[str, set[int]] = {}
    staff = [op for op in operations(contract_app) if op.path.startswith("/api/v1/staff/")]
    assert len(staff) >= 8
    for operation in staff:
        seen = reached.setdefault(f"{operation.method.upper()} {operation.path}", set())
        _fuzz_collecting(operation, known, headers, seen)
    unreached = {name: codes for name, codes in reached.items() if not codes - {401, 403}}
    assert not unreached, f"never got past authentication: {unreached}"


def _fuzz_collecting(operation, known: dict, headers: dict, seen: set) -> None:
    """Schema-valid cases of one operation with the known values; each status into `seen`."""

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def run(case):
        response = with_known_values(case, known).call_and_validate(headers=headers, checks=CHECKS)
        seen.add(response.status_code)

    run()
