"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the whole API.

Each API module describes its own routes in `OPENAPI_PATHS` (and its shapes in
`OPENAPI_SCHEMAS`); this module only assembles them with what every route shares: the
error shape, the security schemes and the server address.
"""

from __future__ import annotations

import copy

from flask import jsonify

from ..links import public_url
from . import bp

API_MODULES = ("citizen", "health", "staff", "waiting")

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
