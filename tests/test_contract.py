"""docs/contract.md, the public contract in the repository, agrees with the service: its HTTP
tables with the OpenAPI document and the URL map, its variables with booking/config.py; and the
README points only at files of the repository."""

from __future__ import annotations

import re
from pathlib import Path

from booking.api import openapi

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "contract.md"

# The one place for rows of the contract that other branches are building right now. Each is
# checked to be still absent: once a branch builds one, this test fails until it is removed.
NOT_YET_BUILT = {
    "routes": set(),
    "variables": set(),
}

ROUTE = re.compile(r"(GET|POST|PUT|PATCH|DELETE) (/\S*)")
PARAMETER = re.compile(r"\{[^}]*\}|<(?:[^:>]+:)?[^>]+>")


def shape(path: str) -> str:
    """A path with its parameters unnamed: /api/v1/bookings/{} (names differ between documents)."""
    return PARAMETER.sub("{}", path.split("?", 1)[0])


def tables(text: str, first_header: str) -> list[str]:
    """The first cells of the rows of every table whose first column is `first_header`."""
    cells, inside = [], False
    for line in text.splitlines():
        if not line.startswith("|"):
            inside = False
            continue
        first = line.split("|")[1].strip()
        if first == first_header:
            inside = True
        elif inside and not set(first) <= {"-", ":"}:
            cells.append(first)
    return cells


def contract_routes(text: str) -> set[tuple[str, str]]:
    """(method, path shape) of every row of the HTTP tables; `…/cancel` continues the row's
    previous path, as the contract writes it."""
    routes = set()
    for cell in tables(text, "method and path"):
        method = path = None
        for quoted in re.findall(r"`([^`]*)`", cell):
            found = ROUTE.match(quoted)
            if found:
                method, path = found.group(1).lower(), found.group(2)
            elif quoted.startswith("…/") and path:
                path = path.rsplit("/", 1)[0] + quoted[1:]
            else:
                continue
            routes.add((method, shape(path)))
    return routes


def contract_variables(text: str) -> set[str]:
    return {name for cell in tables(text, "variable")
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def the_contract_section(text: str) -> str:
    return text.split("## The contract", 1)[1].split("## Beyond the contract", 1)[0]


def openapi_routes(app) -> set[tuple[str, str]]:
    with app.test_request_context():
        document = openapi.build_document()
    return {(method, shape(path)) for path, item in document["paths"].items() for method in item}


def app_routes(app) -> set[tuple[str, str]]:
    return {(method.lower(), shape(rule.rule)) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_openapi_operation_is_in_the_contract_tables(app):
    missing = openapi_routes(app) - contract_routes(CONTRACT.read_text())
    assert not missing, f"add these to docs/contract.md: {sorted(missing)}"


def test_every_row_of_the_contract_tables_is_built_or_marked_not_yet_built(app):
    rows = contract_routes(CONTRACT.read_text())
    assert {("get", "/api/v1/offices"), ("post", "/api/v1/bookings/{}/reschedule"),
            ("get", "/bookings/{}.ics"), ("post", "/sms/status"), ("get", "/metrics"),
            ("post", "/api/v1/staff/bookings/{}/no-show")} <= rows
    built = app_routes(app)
    assert NOT_YET_BUILT["routes"] <= rows
    missing = rows - built - NOT_YET_BUILT["routes"]
    assert not missing, f"in docs/contract.md but not served: {sorted(missing)}"
    now_built = NOT_YET_BUILT["routes"] & built
    assert not now_built, f"built now: remove from NOT_YET_BUILT in this file: {sorted(now_built)}"


def test_every_api_row_of_the_contract_is_in_the_openapi_document(app):
    api = {(method, path) for method, path in contract_routes(CONTRACT.read_text())
           if path.startswith("/api/v1/") or path.endswith(".ics")} - NOT_YET_BUILT["routes"]
    missing = api - openapi_routes(app)
    assert not missing, f"in docs/contract.md but not in the OpenAPI document: {sorted(missing)}"


def config_variables() -> set[str]:
    source = (ROOT / "booking" / "config.py").read_text()
    return set(re.findall(r'(?:environ\.get\(|environ\[|_flag\()\s*"([A-Z][A-Z0-9_]+)"', source))


def test_every_variable_of_the_contract_is_read_by_config():
    contract = contract_variables(the_contract_section(CONTRACT.read_text()))
    assert {"DATABASE_URL", "SECRET_KEY", "METRICS_TOKEN", "RATELIMIT_STORAGE_URI"} <= contract
    assert NOT_YET_BUILT["variables"] <= contract
    read = config_variables()
    missing = contract - read - NOT_YET_BUILT["variables"]
    assert not missing, f"in the contract but not read by booking/config.py: {sorted(missing)}"
    now_read = NOT_YET_BUILT["variables"] & read
    assert not now_read, f"read now: remove from NOT_YET_BUILT in this file: {sorted(now_read)}"


def test_every_variable_config_reads_is_documented():
    missing = config_variables() - contract_variables(CONTRACT.read_text())
    assert not missing, f"read by booking/config.py but not in docs/contract.md: {sorted(missing)}"


def test_the_readme_points_only_at_files_of_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme
    for target in re.findall(r"\]\(([^)#]+)[^)]*\)", readme):
        if "://" not in target:
            assert (ROOT / target).exists(), target
    for path in re.findall(r"`((?:docs|tests|booking|bench|\.ci)/[\w./-]+)`", readme):
        assert (ROOT / path.split("::")[0]).exists(), path


def test_every_key_of_the_setup_file_is_documented():
    """docs/contract.md lists every key the setup file takes (booking/offices/setup_file.py)."""
    from booking.offices import setup_file

    documented = set(re.findall(r"`([a-z_]+)`", CONTRACT.read_text().split("### The setup file's keys", 1)[1]
                                .split("\n\n", 2)[2].split("\n\n", 1)[0]))
    keys = {*setup_file.REGION_KEYS, *setup_file.OFFICE_KEYS, *setup_file.SERVICE_KEYS, *setup_file.EXCEPTION_KEYS,
            "year", "closed", "workdays"}
    assert keys - documented == set()


def test_the_fields_the_contract_gives_an_office_are_in_the_openapi_office(app):
    """`GET /api/v1/offices`: every field its rows name (`counters` …) is a required property of
    the OpenAPI Office, which tests/api_schema.py checks each answer against."""
    rows = [line for line in CONTRACT.read_text().splitlines() if line.startswith("| `GET /api/v1/offices` |")]
    named = {name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split("|")[2])}
    with app.test_request_context():
        office = openapi.build_document()["components"]["schemas"]["Office"]
    assert "counters" in named and named <= set(office["required"])
