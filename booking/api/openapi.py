"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the whole API.

Each API module describes its own routes in `OPENAPI_PATHS` (and its shapes in
`OPENAPI_SCHEMAS`); this module only assembles them with what every route shares: the
error shape, the security schemes and the server address.
"""

from __future__ import annotations

import copy
import re

from flask import current_app, jsonify
from flask_limiter.util import get_qualified_name

from ..extensions import limiter
from ..links import public_url
from . import bp

API_MODULES = ("citizen", "calendar", "health", "staff", "bureau", "waiting")

SECURITY_SCHEMES = {
    "staffBearer": {
        "type": "http", "scheme": "bearer",
        "description": "A staff API token made by `flask --app wsgi staff token USERNAME`. "
                       "The office scope and role of its user apply.",
    },
    "bookingToken": {
        "type": "apiKey", "in": "header", "name": "X-Booking-Token",
        "description": "The booking's secret token, answered once when it was booked.",
    },
    "bookingTokenQuery": {
        "type": "apiKey", "in": "query", "name": "token",
        "description": "The same token as a query parameter (as in manage_url and ics_url).",
    },
}

# Shared by every module: each error answer refers to it as #/components/schemas/Error.
ERROR_SCHEMA = {
    "type": "object", "required": ["error", "message", "fields"],
    "properties": {
        "error": {"type": "string", "description": "A stable code, e.g. slot_full, not_found."},
        "message": {"type": "string", "description": "For people, in the request's language."},
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Field (dotted path, e.g. visitors.0.id_number) -> message."},
    },
}

DESCRIPTION = """Appointments at civil-affairs offices: marriage registries, funeral homes and
cemeteries.

Errors are always JSON: `{"error": code, "message": text, "fields": {field: message}}`, with the
message in the request's language (`lang` in the JSON body, else Accept-Language, else Chinese).
Times are ISO 8601 with the office's UTC offset; dates are the office's local dates."""


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "string"}}}
TOO_MANY = "Too many requests (a rate limit of this operation); try again later."
UNAVAILABLE = ("The database is unreachable for a moment (`unavailable`), or another booking of the same "
               "phone or person held it up (`busy`); nothing was changed: try again after Retry-After seconds.")
UNSTORABLE = ("`invalid_characters`: the path, query, a header or the body holds text no database can "
              "store (a NUL character, U+0000, or a lone surrogate); nothing was done.")


def _shared_answer(path: str, description: str, headers: dict | None = RETRY_AFTER) -> dict:
    """A 400, 429 or 503 as the path answers it: the JSON error under /api/, a page elsewhere."""
    content = ({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
               if path.startswith("/api/") else {"text/html": {"schema": {"type": "string"}}})
    return {"description": description, "headers": copy.deepcopy(headers or {}), "content": content}


def limited_operations() -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every route that has a rate limit of its own, read from
    Flask-Limiter's registrations, so a limit added to a view is documented the same day."""
    found = set()
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions[rule.endpoint]
        if limiter.limit_manager.decorated_limits(get_qualified_name(view)):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found.update((path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"})
    return found


def _add_shared_answers(paths: dict) -> None:
    """429 on every rate-limited operation, 503 on every operation that reads the database
    (all but this document), 400 on every one (booking.input_edge), unless the module
    described them more precisely."""
    limited = limited_operations()
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", _shared_answer(path, UNSTORABLE, headers=None))
            if (path, method) in limited:
                responses.setdefault("429", _shared_answer(path, TOO_MANY))
            responses.setdefault("503", _shared_answer(path, UNAVAILABLE))


def _module(name: str):
    from importlib import import_module

    return import_module(f"{__package__}.{name}")


def build_document() -> dict:
    """The whole document, merged from the API modules (a module without a description adds nothing)."""
    paths: dict = {}
    schemas: dict = {"Error": copy.deepcopy(ERROR_SCHEMA)}
    for name in API_MODULES:
        module = _module(name)
        for path, operations in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(copy.deepcopy(operations))
        schemas.update(copy.deepcopy(getattr(module, "OPENAPI_SCHEMAS", {})))
    _add_shared_answers(paths)
    paths["/api/v1/openapi.json"] = {"get": {
        "tags": ["meta"], "operationId": "openapi", "summary": "This document",
        "responses": {"200": {"description": "The OpenAPI document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Civil-affairs appointment booking", "version": "1.0.0",
                 "description": DESCRIPTION},
        "servers": [{"url": public_url("/").rstrip("/") or "/"}],
        "tags": [{"name": "citizen"}, {"name": "health"}, {"name": "staff"}, {"name": "meta"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document; built per request so PUBLIC_BASE_URL (or the host) is right."""
    return jsonify(build_document())
