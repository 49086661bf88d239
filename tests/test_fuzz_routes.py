"""Property-based fuzzing of every route in the URL map, pages included, on PostgreSQL (issue 27):
hostile text (NUL bytes, lone surrogates, control characters, huge strings), ids far past the
database's `integer`, and made-up methods, in path segments, the query, a form and a JSON body,
as a signed-in admin with a valid CSRF token (so forms reach their views). Never a 5xx.

The API's own contract fuzzing is tests/test_fuzz_openapi.py (schemathesis); the forms' deeper
fuzzing tests/test_fuzz_forms.py. This one is wide rather than deep: a few hundred requests.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.extensions import db

from .conftest import _fresh_schema, make_app
from .fuzzing import HOSTILE_TEXT
from .test_input_edge import int_arguments, routes, seed, staff_session

HUGE = st.sampled_from([2**31, 2**63, 99999999999999999999, -1, 0, 10**400])
ODD_METHODS = st.one_of(st.sampled_from(["FOO", "PROPFIND", "TRACE", "PATCH", "DELETE", "PUT", "get"]),
                        st.from_regex(r"[A-Z]{1,12}", fullmatch=True))
NAMES = st.sampled_from(["date", "office", "service", "token", "reference", "lang", "before", "phone",
                         "code", "slot_id", "people", "reason", "from", "to", "counter", "username"])
# What no database takes, drawn as often as all the rest of the hostile text together.
UNSTORABLE = st.sampled_from(["\x00", "a\x00b", "REF\x00", "\ud800", "a\udfffb"])
VALUES = st.one_of(UNSTORABLE, HOSTILE_TEXT, HUGE.map(str))
JSON_VALUES = st.one_of(UNSTORABLE, HOSTILE_TEXT, HUGE, st.none(), st.booleans(), st.lists(HOSTILE_TEXT, max_size=2))


@pytest.fixture(scope="module")
def site(postgres_url):
    app = make_app(postgres_url, RATELIMIT_ENABLED=False, PROPAGATE_EXCEPTIONS=False,
                   ALIYUN_SMS_CALLBACK_TOKEN="fuzz-push-token")
    _fresh_schema(app)
    known = seed(app)
    known["user_id"] += 1000  # never the admin signed in: deactivating it would end the session
    client, csrf = staff_session(app)
    yield app, known, client, csrf, sorted(routes(app), key=lambda pair: (pair[0].rule, pair[1]))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def raw(text: str) -> str:
    """Percent-encoded as a client could send it, lone surrogates as their raw bytes."""
    return quote(str(text).encode("utf-8", "surrogatepass"), safe="")


@st.composite
def requests(draw, all_routes, known: dict):
    rule, method = draw(st.sampled_from(all_routes))
    method = draw(st.one_of(st.just(method), st.just(method), st.just(method), ODD_METHODS))  # 3 in 4: its own
    path = rule.rule
    for name in rule.arguments:
        value = draw(st.one_of(st.just(known[name]), st.just(known[name]),
                               HUGE if name in int_arguments(rule) else st.one_of(UNSTORABLE, VALUES)))
        path = path.replace(f"<{name}>", raw(value))
        for converter in ("int", "path"):
            path = path.replace(f"<{converter}:{name}>", raw(value))
    query = draw(st.one_of(st.just({}), st.just({}), st.dictionaries(NAMES, VALUES, max_size=3)))
    body = draw(st.one_of(st.none(), st.dictionaries(NAMES, VALUES, max_size=4).map(lambda d: ("form", d)),
                          st.one_of(st.dictionaries(NAMES, JSON_VALUES, max_size=4),
                                    st.lists(st.dictionaries(st.sampled_from(["out_id", "phone_number",
                                                                              "sequence_id", "content"]),
                                                             JSON_VALUES, max_size=3), max_size=2))
                          .map(lambda d: ("json", d))))
    return method, path + ("?" + urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in query.items()})
                           if query else ""), body


def send(client, csrf: str, method: str, path: str, body):
    if body is None:
        return client.open(path, method=method)
    kind, data = body
    if kind == "form":
        encoded = urlencode({**{k: v.encode("utf-8", "surrogatepass") for k, v in data.items()},
                             "csrf_token": csrf})
        return client.open(path, method=method, data=encoded, content_type="application/x-www-form-urlencoded")
    text = json.dumps(data)  # lone surrogates travel as their \\ud800 escapes
    return client.open(path, method=method, data=text, content_type="application/json")


def test_no_route_answers_a_server_error_whatever_it_is_sent(site):
    app, known, client, csrf, all_routes = site
    seen: dict[int, int] = {}

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=requests(all_routes, known))
    def run(request):
        method, path, body = request
        response = send(client, csrf, method, path, body)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, f"{method} {path} {body!r}: {response.status_code}"

    run()
    assert seen.get(400, 0) and seen.get(404, 0) and seen.get(405, 0), seen  # the edge was reached
    assert sum(n for status, n in seen.items() if status < 400) > 10, seen  # and the views behind it
