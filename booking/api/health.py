"""POST /api/v1/bookings/{reference}/health-declarations (docs/contract.md).

Thin: find the booking by its token, hand the body's `declarations` to health.declare (the
same function the web pages call) and shape the answer. Reasons come in the request's
language (`text`) and in both (`text_zh`, `text_en`).
"""

from __future__ import annotations

from flask import jsonify, request

from .. import bookings, health
from ..extensions import limiter
from ..health.judge import reason_text
from ..i18n import LANGUAGES
from ..links import manage_url
from . import bp
from .errors import body, error_response, request_lang


def _token() -> str:
    return request.headers.get("X-Booking-Token") or request.args.get("token") or ""


def _reason_json(reason: dict, lang: str, tz) -> dict:
    return {"question": reason["question"], "code": reason["code"], "passed": reason["passed"],
            "text": reason_text(reason, lang, tz), "text_zh": reason_text(reason, "zh", tz),
            "text_en": reason_text(reason, "en", tz)}


def _declaration_json(declaration, position: int, lang: str, tz) -> dict:
    return {"visitor": position, "passed": declaration.passed,
            "rules_version": declaration.rules_version,
            "declared_at": declaration.declared_at.astimezone(tz).isoformat(),
            "reasons": [_reason_json(r, lang, tz) for r in declaration.reasons]}


@bp.post("/bookings/<reference>/health-declarations")
@limiter.limit("30 per minute")  # the token is unguessable; this only blunts a flood
def declare_health(reference: str):
    """Judge declarations for visitors of a booking; 409 outside the window, 422 bad input."""
    booking = bookings.find_booking(reference, _token())
    data = body()
    lang = request_lang()
    try:
        done = health.declare(booking, data.data.get("declarations"), source="api")
    except health.DeclarationInvalid as error:
        return error_response(error.code, error.message(lang), 422, error.fields(lang))
    except health.DeclarationNotOpen as error:
        # As every error, plus when it opens, with the office's UTC offset.
        response = jsonify(error=error.code, message=error.message(lang), fields={},
                           opens_at=error.details["opens_at_iso"])
        response.status_code = 409
        return response
    tz = booking.office.tz
    positions = {v.id: v.position for v in booking.visitors}
    answer = {"cleared": done.cleared, "declarations": [
        _declaration_json(d, positions[d.visitor_id], lang, tz) for d in done.declarations]}
    if not all(d.passed for d in done.declarations):
        # The free reschedule to a later day is offered on the booking's manage page.
        answer["reschedule_url"] = manage_url(booking.reference, bookings.manage_token(booking))
    return jsonify(answer)


# --- OpenAPI ---------------------------------------------------------------------------------

def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"description": description, **_json({"$ref": "#/components/schemas/Error"})}


OPENAPI_SCHEMAS = {
    "HealthDeclarationInput": {
        "type": "object", "required": ["visitor"],
        "description": "Answers of one visitor. Only the questions the service's rules ask are "
                       "required (and kept); others are ignored.",
        "properties": {
            "visitor": {"type": "integer", "minimum": 0,
                        "description": "The visitor's position (0, 1, …) in the booking."},
            "temperature_c": {"type": "number", "minimum": 34, "maximum": 43,
                              "description": "Self-measured temperature in °C."},
            "symptoms": {"type": "boolean",
                         "description": "Fever or respiratory symptoms in the last 14 days."},
            "risk_area_travel": {"type": "boolean",
                                 "description": "Travel to a medium or high risk area in the last 14 days."},
            "case_contact": {"type": "boolean",
                             "description": "Contact with a confirmed or suspected case."},
            "health_code": {"type": "string", "enum": ["green", "yellow", "red"]},
            "nat_negative_at": {"type": ["string", "null"], "format": "date-time",
                                "description": "Time of the last negative nucleic-acid test; "
                                               "without an offset it is read in the office's "
                                               "time zone; null: none."},
        },
    },
    "HealthReason": {
        "type": "object", "required": ["question", "code", "passed", "text", "text_zh", "text_en"],
        "properties": {
            "question": {"type": "string"}, "code": {"type": "string"},
            "passed": {"type": "boolean"},
            "text": {"type": "string", "description": "In the request's language, e.g. "
                                                      "\"37.8 °C is at or above 37.3 °C\"."},
            "text_zh": {"type": "string"}, "text_en": {"type": "string"},
        },
    },
    "HealthVerdict": {
        "type": "object", "required": ["visitor", "passed", "reasons"],
        "properties": {
            "visitor": {"type": "integer"}, "passed": {"type": "boolean"},
            "rules_version": {"type": "integer"},
            "declared_at": {"type": "string", "format": "date-time"},
            "reasons": {"type": "array", "items": {"$ref": "#/components/schemas/HealthReason"},
                        "description": "Every answer judged, passing or not."},
        },
    },
}

OPENAPI_PATHS = {
    "/api/v1/bookings/{reference}/health-declarations": {"post": {
        "tags": ["health"], "operationId": "declareHealth",
        "summary": "Health-check declarations for visitors of a booking",
        "description": "Open from `window_opens_hours` (default 24) before the slot until "
                       "check-in. A visitor may declare again inside the window; the latest "
                       "declaration counts. Needs the booking's token.",
        "security": [{"bookingToken": []}, {"bookingTokenQuery": []}],
        "parameters": [{"name": "reference", "in": "path", "required": True,
                        "schema": {"type": "string", "maxLength": 12}}],
        "requestBody": {"required": True, **_json({
            "type": "object", "required": ["declarations"],
            "properties": {
                "declarations": {"type": "array", "minItems": 1, "items": {
                    "$ref": "#/components/schemas/HealthDeclarationInput"}},
                "lang": {"type": "string", "enum": list(LANGUAGES)},
            }})},
        "responses": {
            "200": {"description": "The verdicts, and whether the whole booking is now cleared.",
                    **_json({"type": "object", "required": ["cleared", "declarations"],
                             "properties": {
                                 "cleared": {"type": "boolean"},
                                 "reschedule_url": {"type": "string", "format": "uri", "description":
                                                    "Only when a declaration failed: the booking's "
                                                    "manage page, where it can be moved to a later "
                                                    "day free of charge."},
                                 "declarations": {"type": "array", "items": {
                                     "$ref": "#/components/schemas/HealthVerdict"}}}})},
            "400": _error("The body is not a JSON object."),
            "404": _error("No booking with this reference and token."),
            "409": {"description": "Outside the declaration window (`declaration_not_open`, "
                                   "with `opens_at` in the office's time zone; "
                                   "`declaration_closed`) or the booking is not active.",
                    **_json({"allOf": [{"$ref": "#/components/schemas/Error"}, {
                        "type": "object",
                        "properties": {"opens_at": {"type": "string", "format": "date-time"}}}]})},
            "415": _error("The body is not sent as application/json."),
            "422": _error("Invalid answers: `fields` names each, e.g. declarations.0.temperature_c."),
            "429": _error("Too many requests."),
        },
    }},
}
