"""OpenAPI description of the citizen API (booking/api/citizen.py), merged by openapi.py.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1). The tests check every real answer of the
citizen API against the schema given here for its path and status, so keep them in step.
"""

from __future__ import annotations

from ..i18n import LANGUAGES
from ..identity import NAME_MAX, NUMBER_MAX
from ..models import ID_TYPES

ID_TYPES_TEXT = (
    "resident_id: 居民身份证, 18 characters, GB 11643 check character, birth date 1900 to today. "
    "residence_permit: 港澳台居民居住证, 18 characters starting 810000, 820000 or 830000, checked as "
    "resident_id. hk_mo_permit: 港澳居民来往内地通行证, H or M and 8 (older cards 10) digits. "
    "tw_permit: 台湾居民来往大陆通行证, 8 (older permits 10) digits. foreign_permanent_id: 外国人永久居留身份证, "
    "18 digits starting with 9 (2023, checked as resident_id) or 3 letters and 12 digits (older, "
    "ICAO 9303 check digit). passport: 5 to 17 letters and digits. For marriage registration, "
    "sex and age are read from the documents that carry them (the 18-character ones).")


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def answer(description: str, schema: dict) -> dict:
    return {"description": description, **json_content(schema)}


def error(description: str) -> dict:
    return {"description": description, **json_content(ref("Error"))}


TOKEN = [{"bookingToken": []}, {"bookingTokenQuery": []}]
REFERENCE = {"name": "reference", "in": "path", "required": True,
             "schema": {"type": "string", "maxLength": 12}, "description": "The booking's reference."}
TOKEN_QUERY = {"name": "token", "in": "query", "required": False, "schema": {"type": "string"},
               "description": "The booking's token, when the X-Booking-Token header is not sent."}
BAD_BODY = {
    "400": error("The body is not a JSON object."),
    "413": error("The body is too large."),
    "415": error("The body is not sent as application/json."),
    "422": error("Invalid input: `fields` names each bad field with its message."),
}
DATE_TIME = {"type": "string", "format": "date-time"}
SHORT_TEXT = {"type": "string", "maxLength": 200}
LANG = {"type": "string", "enum": list(LANGUAGES)}
ALTCHA = {"type": "string", "maxLength": 4000,
          "description": "A solved proof-of-work challenge (GET /api/v1/challenge), base64; "
                         "required on popular days or under load (422 challenge_failed without)."}

OPENAPI_SCHEMAS = {
    "Service": {
        "type": "object",
        "required": ["code", "kind", "name_zh", "name_en", "party_size_min", "party_size_max"],
        "properties": {
            "code": {"type": "string"},
            "kind": {"type": "string", "enum": ["marriage", "divorce", "farewell", "cremation",
                                                "ash_collection", "tomb_sweeping"]},
            "name_zh": {"type": "string"}, "name_en": {"type": "string"},
            "bring_zh": {"type": "string"}, "bring_en": {"type": "string"},
            "party_size_min": {"type": "integer", "minimum": 1},
            "party_size_max": {"type": "integer", "minimum": 1},
            "slot_minutes": {"type": "integer"}, "booking_opens_days": {"type": "integer"},
            "suspended": {"type": "boolean"},
            "suspension_note_zh": {"type": "string"}, "suspension_note_en": {"type": "string"},
        },
    },
    "Office": {
        "type": "object", "required": ["code", "name_zh", "name_en", "timezone", "region", "counters", "services"],
        "properties": {
            "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"},
            "address_zh": {"type": "string"}, "address_en": {"type": "string"},
            "timezone": {"type": "string", "description": "IANA zone, e.g. Asia/Shanghai."},
            "hall_limit": {"type": "integer", "description": "People in the hall at once."},
            "region": {"type": ["object", "null"], "description": "The region the office belongs to.",
                       "properties": {"code": {"type": "string"}, "name_zh": {"type": "string"},
                                      "name_en": {"type": "string"}}},
            "counters": {"type": "array", "items": {"type": "string"},
                         "description": "The office's counters, in order: `POST /api/v1/staff/call-next` "
                                        "takes one of them (any name of 1 to 10 characters when empty)."},
            "services": {"type": "array", "items": ref("Service")},
        },
    },
    "Slot": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "start", "end", "remaining_bookings", "remaining_people"],
        "properties": {
            "id": {"type": "integer"},
            "start": {**DATE_TIME, "description": "ISO 8601 with the office's offset."},
            "end": DATE_TIME,
            "remaining_bookings": {"type": "integer", "minimum": 0, "description":
                                   "Parties that still fit, counting the people limit for the "
                                   "smallest party; 0 means full."},
            "remaining_people": {"type": "integer", "minimum": 0},
        },
    },
    "Availability": {
        "type": "object", "required": ["office", "service", "timezone", "slots", "closed", "days"],
        "properties": {
            "office": {"type": "string"}, "service": {"type": "string"},
            "timezone": {"type": "string"}, "suspended": {"type": "boolean"},
            "slots": {"type": "array", "items": ref("Slot")},
            "closed": {"type": "array", "items": {
                "type": "object", "required": ["date", "reason"],
                "properties": {"date": {"type": "string", "format": "date"},
                               "reason": {"type": "string"}}}},
            "days": {"type": "array", "items": ref("Day")},
        },
    },
    "Day": {
        "type": "object", "additionalProperties": False,
        "required": ["date", "state", "free", "opens_at", "reason"],
        "description": "One local day, as a calendar shows it.",
        "properties": {
            "date": {"type": "string", "format": "date"},
            "state": {"type": "string", "enum": ["open", "full", "closed", "later", "past", "none"],
                      "description": "open: has room; full; closed: a closure or no opening hours; "
                                     "later: booking opens at opens_at; past: booking has closed; "
                                     "none: open, but no appointments offered."},
            "free": {"type": "integer", "minimum": 0, "description": "Parties that still fit."},
            "opens_at": {"type": ["string", "null"], "format": "date-time"},
            "reason": {"type": ["string", "null"], "description": "Why the day is closed."},
        },
    },
    "VisitorInput": {
        "type": "object", "required": ["name", "id_type", "id_number"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX, "description":
                     f"As on the document, 1 to {NAME_MAX} characters (a character outside the BMP "
                     "counts as one): middle dots, spaces, hyphens, apostrophes and private-use "
                     "characters are fine, and a look-alike of the middle dot (•, ・, ．…) is stored as "
                     "U+00B7 (民委发〔2016〕33号); control and format characters (line breaks, U+2028, "
                     "zero-width) are refused."},
            "id_type": {"type": "string", "enum": list(ID_TYPES), "description": ID_TYPES_TEXT},
            "id_number": {"type": "string", "maxLength": NUMBER_MAX, "description":
                          "As printed; full-width digits, spaces and hyphens are accepted. A refused "
                          "number answers 422 with the reason under visitors.<i>.id_number."},
        },
    },
    "BookingInput": {
        "type": "object", "required": ["slot_id", "phone", "verification_id", "code", "visitors"],
        "properties": {
            "slot_id": {"type": "integer", "minimum": 1},
            "phone": {"type": "string", "maxLength": 32, "examples": ["+8613812345678"]},
            "verification_id": {"type": "string", "maxLength": 64},
            "code": {"type": "string", "maxLength": 12, "description": "The 6 digits texted."},
            "visitors": {"type": "array", "maxItems": 10, "items": ref("VisitorInput")},
            "lang": {**LANG, "default": "zh", "description": "Language of texts and messages."},
            "altcha": ALTCHA,
        },
    },
    "Booking": {
        "type": "object",
        "required": ["reference", "status", "cleared", "slot", "arrive_from", "arrive_until", "manage_url",
                     "ics_url", "visitors"],
        "properties": {
            "reference": {"type": "string"},
            "status": {"type": "string", "enum": ["booked", "confirmed", "checked_in", "called",
                                                  "completed", "cancelled", "no_show"]},
            "cleared": {"type": "boolean", "description":
                        "Every visitor has a passing health declaration in the window."},
            "lang": LANG, "party_size": {"type": "integer"},
            "office": {"type": "object", "required": ["code", "timezone"], "properties": {
                "code": {"type": "string"}, "name_zh": {"type": "string"},
                "name_en": {"type": "string"}, "address_zh": {"type": "string"},
                "address_en": {"type": "string"}, "timezone": {"type": "string"}}},
            "service": {"type": "object", "required": ["code", "kind"], "properties": {
                "code": {"type": "string"}, "kind": {"type": "string"},
                "name_zh": {"type": "string"}, "name_en": {"type": "string"}}},
            "slot": {"type": "object", "required": ["id", "start", "end"], "properties": {
                "id": {"type": "integer"}, "start": DATE_TIME, "end": DATE_TIME}},
            "arrive_from": {**DATE_TIME, "description": "When to come: the start of the booking's "
                            "arrival window (the slot's start where the service has one window); "
                            "the door admits from 10 minutes before it."},
            "arrive_until": {**DATE_TIME, "description": "The end of the arrival window."},
            "visitors": {"type": "array", "items": {
                "type": "object", "required": ["position", "name", "id_type", "id_masked"],
                "properties": {"position": {"type": "integer"}, "name": {"type": "string"},
                               "id_type": {"type": "string"}, "id_masked": {"type": "string"}}}},
            "created_at": DATE_TIME,
            "cancelled_at": {"type": ["string", "null"], "format": "date-time"},
            "manage_url": {"type": "string", "format": "uri", "description": "Carries the token."},
            "ics_url": {"type": "string", "format": "uri", "description": "Carries the token."},
        },
    },
    "NewBooking": {
        "allOf": [ref("Booking"), {
            "type": "object", "required": ["token"],
            "properties": {"token": {"type": "string", "description":
                                     "The secret manage token; shown once, keep it."}}}],
    },
}

OPENAPI_PATHS = {
    "/api/v1/offices": {"get": {
        "tags": ["citizen"], "operationId": "listOffices", "summary": "Offices with their services",
        "responses": {"200": answer("Every office.", {
            "type": "object", "required": ["offices"],
            "properties": {"offices": {"type": "array", "items": ref("Office")}}})},
    }},
    "/api/v1/availability": {"get": {
        "tags": ["citizen"], "operationId": "availability",
        "summary": "Bookable slots of a service between two local dates (at most 62 days)",
        "parameters": [
            {"name": "office", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "service", "in": "query", "required": True, "schema": {"type": "string"}},
            {"name": "from", "in": "query", "required": True,
             "schema": {"type": "string", "format": "date"}},
            {"name": "to", "in": "query", "required": True,
             "schema": {"type": "string", "format": "date"}},
        ],
        "responses": {
            "200": answer("Slots open for booking now, and the closed days.", ref("Availability")),
            "404": error("No such office (unknown_office) or service (unknown_service)."),
            "422": error("Missing or bad dates, `to` before `from`, or a range over 62 days."),
        },
    }},
    "/api/v1/phone-verifications": {"post": {
        "tags": ["citizen"], "operationId": "startPhoneVerification",
        "summary": "Text a 6-digit code (valid 10 minutes, 5 tries) to a phone",
        "requestBody": {"required": True, **json_content({
            "type": "object", "required": ["phone"],
            "properties": {"phone": {"type": "string", "maxLength": 32}, "lang": LANG,
                           "altcha": ALTCHA}})},
        "responses": {
            "201": answer("The code is on its way.", {
                "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}),
            **BAD_BODY,
            "429": error("Five codes already sent to this phone within the hour "
                         "(too_many_codes), or too many requests from this address."),
        },
    }},
    "/api/v1/bookings": {"post": {
        "tags": ["citizen"], "operationId": "createBooking", "summary": "Book a slot",
        "requestBody": {"required": True, **json_content(ref("BookingInput"))},
        "responses": {
            "201": answer("Booked; the answer carries the secret token.", ref("NewBooking")),
            **BAD_BODY,
            "409": error("slot_full, slot_closed, closed, suspended, not_yet_open, booking_closed, "
                         "identity_already_booked (one active booking per person per service: per "
                         "day, or whatever the day for marriage and divorce) or too_many_bookings."),
            "429": error("Too many booking attempts from this address, or rate_limited: the phone or "
                         "one of the visitors has used up its attempts (Retry-After says when to try again)."),
        },
    }},
    "/api/v1/bookings/{reference}": {"get": {
        "tags": ["citizen"], "operationId": "getBooking", "summary": "A booking, with its token",
        "security": TOKEN, "parameters": [REFERENCE, TOKEN_QUERY],
        "responses": {
            "200": answer("The booking.", ref("Booking")),
            "404": error("No such booking, or the token is not its own (the same answer)."),
            "429": error("Too many requests from this address."),
        },
    }},
    "/api/v1/bookings/{reference}/cancel": {"post": {
        "tags": ["citizen"], "operationId": "cancelBooking",
        "summary": "Cancel a booking and give its place back",
        "security": TOKEN, "parameters": [REFERENCE, TOKEN_QUERY],
        "responses": {
            "200": answer("Cancelled.", ref("Booking")),
            "404": error("No such booking, or the wrong token."),
            "409": error("Already cancelled or finished (not_active)."),
            "429": error("Too many requests from this address."),
        },
    }},
    "/api/v1/bookings/{reference}/reschedule": {"post": {
        "tags": ["citizen"], "operationId": "rescheduleBooking",
        "summary": "Move a booking to another slot of the same service (atomic)",
        "security": TOKEN, "parameters": [REFERENCE, TOKEN_QUERY],
        "requestBody": {"required": True, **json_content({
            "type": "object", "required": ["slot_id"],
            "properties": {"slot_id": {"type": "integer", "minimum": 1}, "altcha": ALTCHA}})},
        "responses": {
            "200": answer("Moved; the old place is given back.", ref("Booking")),
            **BAD_BODY,
            "404": error("No such booking, or the wrong token."),
            "409": error("The new slot is full or closed (the booking stays where it was), "
                         "same_slot, or the booking is no longer active."),
            "429": error("Too many requests from this address, or rate_limited: the booking's phone "
                         "or one of its visitors has used up its attempts (as for a booking)."),
        },
    }},
    "/bookings/{reference}.ics": {"get": {
        "tags": ["citizen"], "operationId": "bookingCalendar",
        "summary": "The booking as an iCalendar event (cancelled: same UID, STATUS:CANCELLED)",
        "parameters": [REFERENCE, {**TOKEN_QUERY, "required": True}],
        "responses": {
            "200": {"description": "An iCalendar file.",
                    "content": {"text/calendar": {"schema": {"type": "string"}}}},
            "404": {"description": "No such booking, or the wrong token.",
                    "content": {"text/plain": {"schema": {"type": "string"}}}},
        },
    }},
}
