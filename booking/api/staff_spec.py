"""OpenAPI description of the staff API and the hall display (booking/api/staff.py), merged by
openapi.py. Schemas are JSON Schema 2020-12 (OpenAPI 3.1); tests check real answers against them."""

from __future__ import annotations

from ..i18n import LANGUAGES
from ..models import SERVICE_KINDS


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def answer(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error(description: str) -> dict:
    return answer(description, ref("Error"))


def body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


BEARER = [{"staffBearer": []}]
AUTH = {"401": error("No, a wrong or a revoked bearer token."),
        "403": error("The token's user has not the role for this."),
        "404": error("No such office or booking in the token user's scope.")}
BAD_BODY = {"400": error("The body is not a JSON object."),
            "415": error("The body is not sent as application/json."),
            "422": error("Invalid input: `fields` names each bad field.")}
REFERENCE = {"name": "reference", "in": "path", "required": True,
             "schema": {"type": "string", "maxLength": 12}}
OFFICE_QUERY = {"name": "office", "in": "query", "required": True, "schema": {"type": "string"},
                "description": "The office's code."}
DATE_QUERY = {"name": "date", "in": "query", "required": False,
              "schema": {"type": "string", "format": "date"},
              "description": "A local date of the office; default today."}
CONTACT_PHONE = {"type": "string", "maxLength": 32,
                 "description": "Optional: a mobile gets the texts; a landline or nothing gets none (not kept)."}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
TEMPERATURES = {"type": "array", "items": {"type": "number", "minimum": 30, "maximum": 45},
                "description": "One measured temperature (°C) per visitor, in booking order."}
FIGURE = {"type": "integer", "minimum": 0}
REFUSED_CODES = ["not_cleared", "fever", "hall_full", "wrong_day", "too_early", "too_late",
                 "not_active"]


def _figures() -> dict:
    props = {name: FIGURE for name in ("bookings", "confirmed", "cancelled", "checked_in",
                                       "completed", "no_show", "walk_ins", "declarations_failed",
                                       "peak_occupancy")}
    props["cancelled_by"] = {"type": "object", "additionalProperties": FIGURE}
    props["refused"] = {"type": "object", "additionalProperties": FIGURE,
                        "description": "Refusals at the door by reason: " + ", ".join(REFUSED_CODES)}
    props["stay_minutes"] = {"type": "object", "required": ["average", "longest"],
                             "properties": {"average": {"type": "number"}, "longest": {"type": "number"}}}
    return props


OPENAPI_SCHEMAS = {
    "StaffBooking": {
        "type": "object",
        "required": ["reference", "status", "slot", "visitors", "cleared", "ticket"],
        "properties": {
            "reference": {"type": "string"}, "status": {"type": "string"},
            "source": {"type": "string", "enum": ["web", "api", "walk_in"]},
            "service": {"type": "string"}, "ticket": {"type": ["string", "null"]},
            "counter": {"type": ["string", "null"]},
            "slot": {"type": "object", "required": ["id", "start", "end"], "properties": {
                "id": {"type": "integer"}, "start": {"type": "string", "format": "date-time"},
                "end": {"type": "string", "format": "date-time"}}},
            "arrive_from": {"type": "string", "format": "date-time",
                            "description": "When the party is asked to come: its arrival window, "
                                           "else its slot."},
            "arrive_until": {"type": "string", "format": "date-time"},
            "visitors": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "id_type": {"type": "string"},
                "id_masked": {"type": "string", "description": "Masked, never the full number."}}}},
            "cleared": {"type": "boolean"}, "confirmed": {"type": "boolean"},
            "checked_in_at": NULLABLE_TIME, "called_at": NULLABLE_TIME, "completed_at": NULLABLE_TIME,
        },
    },
    "DailyReport": {
        "type": "object",
        "required": ["office", "date", "bookings", "confirmed", "cancelled", "checked_in", "completed",
                     "no_show", "walk_ins", "refused", "declarations_failed", "peak_occupancy",
                     "stay_minutes", "people"],
        "properties": {**_figures(), "office": {"type": "string"}, "date": {"type": "string", "format": "date"},
                       "people": {"type": "object", "properties": _figures(),
                                  "description": "The same figures counted in people."},
                       "occupancy_by_hour": {"type": "array", "items": FIGURE, "minItems": 24,
                                             "maxItems": 24}},
    },
    "Display": {
        "type": "object", "required": ["calling", "waiting", "occupancy", "limit"],
        "properties": {
            "calling": {"type": "array", "items": {"type": "object", "required": ["ticket", "counter"],
                                                   "properties": {"ticket": {"type": "string"},
                                                                  "counter": {"type": "string"}}}},
            "waiting": {"type": "array", "items": {"type": "object", "required": ["ticket"],
                                                   "properties": {"ticket": {"type": "string"}}}},
            "occupancy": {"type": "integer", "description": "People in the hall now."},
            "limit": {"type": "integer", "description": "The hall limit, in people."},
            "level": {"type": "string", "enum": ["ok", "warning", "full"]},
            "office": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"},
        },
    },
}

VISIT_END = {"200": answer("Done.", {"type": "object", "required": ["reference", "status"], "properties": {
    "reference": {"type": "string"}, "status": {"type": "string"}}}),
    "409": error("`not_active`: the booking is not in a state for this; `too_early` for a no-show "
                 "before its grace period."), **AUTH}

OPENAPI_PATHS = {
    "/api/v1/staff/queue": {"get": {
        "tags": ["staff"], "operationId": "staffQueue", "summary": "The day's bookings of an office",
        "security": BEARER, "parameters": [OFFICE_QUERY, DATE_QUERY,
                                           {"name": "q", "in": "query", "required": False,
                                            "schema": {"type": "string"},
                                            "description": "Reference, phone ending or visitor name."}],
        "responses": {"200": answer("The bookings by slot.", {"type": "object", "properties": {
            "office": {"type": "string"}, "date": {"type": "string", "format": "date"},
            "bookings": {"type": "array", "items": ref("StaffBooking")}}}), **AUTH, "422": error("Bad date.")},
    }},
    "/api/v1/staff/bookings/{reference}/check-in": {"post": {
        "tags": ["staff"], "operationId": "staffCheckIn", "summary": "Admit a booking at the door",
        "security": BEARER, "parameters": [REFERENCE],
        "requestBody": body({"type": "object", "required": ["temperatures_c"],
                             "properties": {"temperatures_c": TEMPERATURES}}),
        "responses": {"200": answer("Admitted, with a queue ticket.", {"type": "object", "required": ["ticket"],
                                    "properties": {"ticket": {"type": "string"}, "reference": {"type": "string"},
                                                   "status": {"type": "string"}}}),
                      "409": error("Refused; `error` is one of " + ", ".join(REFUSED_CODES) + "."),
                      **AUTH, **BAD_BODY},
    }},
    "/api/v1/staff/call-next": {"post": {
        "tags": ["staff"], "operationId": "staffCallNext", "summary": "Call the next waiting ticket to a counter",
        "security": BEARER,
        "requestBody": body({"type": "object", "required": ["office", "counter"], "properties": {
            "office": {"type": "string"}, "counter": {"type": ["string", "integer"], "maxLength": 10}}}),
        "responses": {"200": answer("The ticket now called.", {"type": "object",
                                                               "required": ["ticket", "counter", "reference"],
                                    "properties": {"ticket": {"type": "string"}, "counter": {"type": "string"},
                                                   "reference": {"type": "string"}}}),
                      **AUTH, "404": error("`none_waiting`: no ticket waits (or no such office)."), **BAD_BODY,
                      "422": error("`invalid_counter`: no counter given, or one not in the office's "
                                   "`counters` (`GET /api/v1/offices`); `fields.counter` then names them.")},
    }},
    "/api/v1/staff/bookings/{reference}/complete": {"post": {
        "tags": ["staff"], "operationId": "staffComplete", "summary": "End a visit (the party leaves the hall)",
        "security": BEARER, "parameters": [REFERENCE], "responses": VISIT_END}},
    "/api/v1/staff/bookings/{reference}/no-show": {"post": {
        "tags": ["staff"], "operationId": "staffNoShow", "summary": "Mark a booking nobody came for",
        "security": BEARER, "parameters": [REFERENCE], "responses": VISIT_END}},
    "/api/v1/staff/walk-ins": {"post": {
        "tags": ["staff"], "operationId": "staffWalkIn",
        "summary": "A walk-in: a place in the running slot, declarations and check-in",
        "security": BEARER,
        "requestBody": body({"type": "object", "required": ["office", "service", "visitors", "temperatures_c"],
                             "properties": {
                                 "office": {"type": "string"}, "service": {"type": "string"},
                                 "phone": CONTACT_PHONE, "lang": {"type": "string", "enum": list(LANGUAGES)},
                                 # the citizen API's visitor: one rule for names and documents
                                 "visitors": {"type": "array", "items": {"$ref": "#/components/schemas/VisitorInput"}},
                                 "temperatures_c": TEMPERATURES,
                                 "declarations": {"type": "array", "items": {"type": "object"},
                                                  "description": "As in POST /api/v1/bookings/{reference}/"
                                                                 "health-declarations."}}}),
        "responses": {"201": answer("Booked and checked in.", {"type": "object", "required": ["reference", "ticket"],
                                    "properties": {"reference": {"type": "string"}, "ticket": {"type": "string"},
                                                   "status": {"type": "string"}}}),
                      "409": error("`no_room` (the running slot is full or none runs), `hall_full`, `fever`, "
                                   "`not_cleared`; the place is given back."), **AUTH, **BAD_BODY},
    }},
    "/api/v1/staff/bookings": {"post": {
        "tags": ["staff"], "operationId": "staffBook",
        "summary": "Book any open slot for a caller on the telephone or at the counter (no code)",
        "security": BEARER,
        "requestBody": body({"type": "object", "required": ["slot_id", "visitors", "channel"], "properties": {
            "slot_id": {"type": "integer", "minimum": 1},
            "channel": {"type": "string", "enum": ["phone", "counter"]},
            "phone": CONTACT_PHONE, "lang": {"type": "string", "enum": list(LANGUAGES)},
            "visitors": {"type": "array", "items": {"$ref": "#/components/schemas/VisitorInput"}}}}),
        "responses": {"201": answer("Booked as POST /api/v1/bookings answers, with the secret token: read out "
                                    "or print the reference and `manage_url` when nobody is texted.",
                                    ref("NewBooking")),
                      "409": error("`slot_full` (the assisted reserve is open to this channel), `barred` (no-shows: "
                                   "the message says until when), and every refusal of POST /api/v1/bookings."),
                      **AUTH, **BAD_BODY},
    }},
    "/api/v1/staff/closures": {"post": {
        "tags": ["staff"], "operationId": "staffClose",
        "summary": "Close an office (or one service) for local dates (supervisors, or the office's bureau); "
                   "with `region`, a kind of service (or every one) in every office of a region (bureau or admin)",
        "security": BEARER,
        "requestBody": body({"type": "object", "required": ["from", "to", "reason"],
                             "oneOf": [{"required": ["office"]}, {"required": ["region"]}], "properties": {
            "office": {"type": "string"},
            "service": {"type": ["string", "null"], "description": "Omit for the whole office."},
            "region": {"type": "string", "description": "Every office of the region and of the regions below "
                                                        "it, one closure each (per service of the kind)."},
            "service_kind": {"type": ["string", "null"], "enum": [*SERVICE_KINDS, None],
                             "description": "With `region`: omit for every service."},
            "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
            "reason": {"type": "string", "maxLength": 200,
                       "description": "In Chinese; sent to every affected citizen texted in Chinese."},
            "reason_en": {"type": ["string", "null"], "maxLength": 200,
                          "description": "In English, for citizens texted in English; without it they get "
                                         "a neutral English sentence."}}}),
        "responses": {"201": answer("Closed; every affected citizen is texted.", {"type": "object",
                                                                                  "required": ["cancelled"],
                                    "properties": {"id": {"type": "integer"}, "cancelled": {"type": "integer"},
                                                   "offices": {"type": "array", "items": {"type": "string"},
                                                               "description": "With `region`: the offices closed."}}}),
                      "409": error("`closure_past`: a past date; `nothing_to_close`: no office of the region "
                                   "offers that kind."), **AUTH, **BAD_BODY},
    }},
    "/api/v1/staff/epidemic-level": {"post": {
        "tags": ["staff"], "operationId": "staffEpidemicLevel",
        "summary": "Set an office's epidemic level; supervisors",
        "description": "As on the capacity page: the hall limit follows at once (heightened a half, "
                       "emergency a quarter), nobody inside is sent out, the door admits nobody while "
                       "occupancy plus the party would exceed it; future slots shrink, and bookings "
                       "beyond a smaller slot are listed for review (keep, or move with a text).",
        "security": BEARER,
        "requestBody": body({"type": "object", "required": ["office", "level"], "properties": {
            "office": {"type": "string"},
            "level": {"type": "string", "enum": ["normal", "heightened", "emergency"]}}}),
        "responses": {"200": answer("Set.", {"type": "object", "required": ["level", "limit"], "properties": {
            "level": {"type": "string", "enum": ["normal", "heightened", "emergency"]},
            "limit": {"type": "integer", "description": "The hall limit now, in people."},
            "listed": {"type": "integer", "description": "Bookings beyond the new slot limits, listed "
                                                         "for review on the capacity page."}}}),
                      **AUTH, **BAD_BODY},
    }},
    "/api/v1/staff/reports/daily": {"get": {
        "tags": ["staff"], "operationId": "staffDailyReport",
        "summary": "The daily report of an office (supervisors) or, with `region`, of every office of a region "
                   "(bureau or admin)",
        "security": BEARER,
        "parameters": [{**OFFICE_QUERY, "required": False, "description": "The office's code (or give region)."},
                       {"name": "region", "in": "query", "required": False, "schema": {"type": "string"},
                        "description": "A region's code: the city's report (its offices and the regions below)."},
                       DATE_QUERY,
                       {"name": "format", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]},
                        "description": "xlsx: with `region` only."},
                       {"name": "lang", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["zh", "en"]},
                        "description": "Column headings of a region's CSV or xlsx: Chinese unless `en`."}],
        "responses": {"200": {"description": "The report (a zero report when nothing happened).",
                              "content": {"application/json": {"schema": {"oneOf": [ref("DailyReport"),
                                                                                    ref("RegionDailyReport")]}},
                                          "text/csv": {"schema": {"type": "string"}},
                                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                                              {"schema": {"type": "string", "format": "binary"}}}}, **AUTH,
                      "422": error("Bad date.")},
    }},
    "/api/v1/display/{office}": {"get": {
        "tags": ["staff"], "operationId": "hallDisplay", "summary": "What the hall display shows (public)",
        "parameters": [{"name": "office", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": answer("Now calling, the next tickets and occupancy.", ref("Display")),
                      "404": error("No such office.")},
    }},
}
