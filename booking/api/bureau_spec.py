"""OpenAPI description of the bureau's staff API (booking/api/bureau.py), merged by openapi.py.
The region variants of `GET /staff/reports/daily` and `POST /staff/closures` are described
with those operations in staff_spec.py."""

from __future__ import annotations

from .staff_spec import AUTH, BAD_BODY, BEARER, FIGURE, _figures, answer, body, error, ref

REGION_QUERY = {"name": "region", "in": "query", "required": True, "schema": {"type": "string"},
                "description": "The region's code: its offices and those of the regions below it."}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _row() -> dict:
    return {"type": "object",
            "required": ["office", "name_zh", "name_en", "submitted_at", "incident", "note", "bookings", "people"],
            "properties": {**_figures(), "office": {"type": "string"}, "name_zh": {"type": "string"},
                           "name_en": {"type": "string"}, "submitted_at": NULLABLE_TIME,
                           "incident": {"type": ["boolean", "null"], "description": "null: not submitted"},
                           "note": {"type": ["string", "null"], "maxLength": 500},
                           "people": {"type": "object", "properties": _figures()},
                           "occupancy_by_hour": {"type": "array", "items": FIGURE, "minItems": 24, "maxItems": 24}}}


OPENAPI_SCHEMAS = {
    "RegionDailyReport": {
        "type": "object", "required": ["region", "date", "offices", "totals", "not_submitted"],
        "properties": {
            "region": {"type": "string"}, "date": {"type": "string", "format": "date"},
            "offices": {"type": "array", "items": _row(),
                        "description": "Every office of the region, by code; zeros where nothing happened."},
            "totals": {"type": "object", "properties": {**_figures(), "people": {"type": "object",
                                                                                 "properties": _figures()}},
                       "description": "The figures summed over the offices (peaks: each hall's peak added)."},
            "not_submitted": {"type": "array", "items": {"type": "string"},
                              "description": "Codes of the offices whose supervisor has not submitted the day."}},
    },
    "RegionOverview": {
        "type": "object", "required": ["region", "offices"],
        "properties": {"region": {"type": "string"}, "offices": {"type": "array", "items": {
            "type": "object",
            "required": ["office", "level", "occupancy", "limit", "booked_today", "checked_in_today", "waiting"],
            "properties": {
                "office": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"},
                "level": {"type": "string", "enum": ["normal", "heightened", "emergency"],
                          "description": "The office's epidemic level."},
                "occupancy": {**FIGURE, "description": "People in the hall now."},
                "limit": {**FIGURE, "description": "The hall limit, in people."},
                "crowding": {"type": "string", "enum": ["ok", "warning", "full"]},
                "booked_today": {**FIGURE, "description": "Bookings (parties) not cancelled for today's slots."},
                "booked_people_today": FIGURE,
                "checked_in_today": {**FIGURE, "description": "Parties checked in today, walk-ins included."},
                "checked_in_people_today": FIGURE,
                "waiting": {**FIGURE, "description": "People checked in, not yet called to a counter."}}}}},
    },
}

OPENAPI_PATHS = {
    "/api/v1/staff/reports/daily": {"post": {
        "tags": ["staff"], "operationId": "staffSubmitDailyReport",
        "summary": "Submit the office's day to the bureau; the office's supervisor (again: replaces it, audited)",
        "security": BEARER,
        "requestBody": body({"type": "object", "required": ["office", "date", "incident"], "properties": {
            "office": {"type": "string"}, "date": {"type": "string", "format": "date"},
            "incident": {"type": "boolean"}, "note": {"type": ["string", "null"], "maxLength": 500}}}),
        "responses": {"201": answer("Submitted.", {"type": "object",
                                                   "required": ["office", "date", "incident", "note", "submitted_at"],
                                                   "properties": {"office": {"type": "string"},
                                                                  "date": {"type": "string", "format": "date"},
                                                                  "incident": {"type": "boolean"},
                                                                  "note": {"type": "string"},
                                                                  "submitted_at": {"type": "string",
                                                                                   "format": "date-time"}}}),
                      **AUTH, **BAD_BODY,
                      "422": error("`invalid` (fields), `invalid_note`, or `future_date`: a day after the "
                                   "office's today.")},
    }},
    "/api/v1/staff/overview": {"get": {
        "tags": ["staff"], "operationId": "staffOverview", "summary": "The live view of a region's halls; bureau",
        "security": BEARER, "parameters": [REGION_QUERY],
        "responses": {"200": answer("Every office of the region, now.", ref("RegionOverview")), **AUTH},
    }},
}
