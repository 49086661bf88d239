"""Citizen API of the waiting list (docs/contract.md): join a full day, see the entry,
claim the place offered, leave. Thin: booking/waiting/entries.py holds every rule."""

from __future__ import annotations

from flask import jsonify, request

from .. import challenge
from ..extensions import limiter
from ..i18n import LANGUAGES
from ..models import WaitingEntry
from ..ratelimits import ADDRESS_BACKSTOP
from ..waiting import entries, holds
from . import bp
from .citizen import MAX_SOLUTION, _limit, _visitors, booking_json, find_service, local_iso
from .citizen_spec import ALTCHA, BAD_BODY, answer, error, json_content, ref
from .errors import body

ENTRY_LIMIT = "API_MANAGE_LIMIT_PER_IP", "60 per minute"


def entry_json(entry: WaitingEntry) -> dict:
    """status, position (while waiting) and the offer (slot, expires_at) while offered."""
    office = entry.office
    offer = None
    if entry.status == "offered":
        slot = entry.hold.slot
        offer = {"slot": {"id": slot.id, "start": local_iso(office, slot.starts_at),
                          "end": local_iso(office, slot.ends_at)},
                 "expires_at": local_iso(office, entry.offer_expires_at)}
    return {"reference": entry.reference, "status": entry.status,
            "position": entries.position(entry), "office": office.code,
            "service": entry.service.code, "date": entry.day.isoformat(),
            "party_size": entry.party_size, "offer": offer,
            "manage_url": holds.claim_url(entry, _token() or None)}


def _token() -> str:
    return request.headers.get("X-Booking-Token") or request.args.get("token") or ""


@bp.post("/waiting-list")
@limiter.limit(_limit("API_BOOKING_LIMIT_PER_IP", ADDRESS_BACKSTOP))
def join_waiting_list():
    """Join the waiting list of a full day with a verified phone; 409 not_full otherwise."""
    data = body()
    office, service_code = data.string("office", max_length=40), data.string("service", max_length=40)
    day = data.date("date")
    phone = data.string("phone", max_length=32)
    verification_id = data.string("verification_id", max_length=64)
    code = data.string("code", max_length=12)
    visitors = _visitors(data)
    lang = data.choice("lang", LANGUAGES, required=False) or "zh"
    solution = data.string("altcha", max_length=MAX_SOLUTION, required=False)
    data.done()
    service = find_service(office, service_code)
    joined = entries.join_list(service, day, phone=phone, visitors=visitors, lang=lang, source="api",
                               verification=(verification_id, code), work=solution)
    answer_ = entry_json(joined.entry) | {"token": joined.token,
                                          "manage_url": holds.claim_url(joined.entry, joined.token)}
    return jsonify(answer_), 201


@bp.get("/waiting-list/<reference>")
@limiter.limit(_limit(*ENTRY_LIMIT))
def show_waiting_entry(reference: str):
    """The entry: status, position, the offer; needs its token."""
    return jsonify(entry_json(entries.find_entry(reference, _token())))


@bp.post("/waiting-list/<reference>/claim")
@limiter.limit(_limit(*ENTRY_LIMIT))
def claim_waiting_place(reference: str):
    """Book the place offered; 201 with the booking, as POST /bookings answers."""
    done = entries.claim_offer(entries.find_entry(reference, _token()), source="api")
    answer_ = booking_json(done.made, done.token, cleared=False) | {"token": done.token}
    return jsonify(answer_), 201


@bp.post("/waiting-list/<reference>/leave")
@limiter.limit(_limit(*ENTRY_LIMIT))
def leave_waiting_list(reference: str):
    """Leave the list; a place offered passes to the next in line."""
    return jsonify(entry_json(entries.leave_list(entries.find_entry(reference, _token()))))


@bp.get("/challenge")
@limiter.limit(_limit("API_CHALLENGE_LIMIT_PER_IP", "600 per minute"))
def proof_of_work_challenge():
    """A signed proof-of-work challenge (ALTCHA) for the next code request, booking or join."""
    return jsonify(challenge.new_challenge())


# --- OpenAPI ----------------------------------------------------------------------------------

WAITING_REFERENCE = {"name": "reference", "in": "path", "required": True,
                     "schema": {"type": "string", "maxLength": 12},
                     "description": "The waiting-list entry's reference."}
WAITING_TOKEN = {"name": "token", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "The entry's token, when the X-Booking-Token header is not sent."}
SECURITY = [{"bookingToken": []}, {"bookingTokenQuery": []}]
SLOT_TIMES = {"type": "object", "required": ["id", "start", "end"],
              "properties": {"id": {"type": "integer"}, "start": {"type": "string"},
                             "end": {"type": "string"}}}

OPENAPI_SCHEMAS = {
    "WaitingInput": {
        "type": "object",
        "required": ["office", "service", "date", "phone", "verification_id", "code", "visitors"],
        "properties": {
            "office": {"type": "string"}, "service": {"type": "string"},
            "date": {"type": "string", "format": "date"}, "phone": {"type": "string"},
            "verification_id": {"type": "string"}, "code": {"type": "string"},
            "visitors": {"type": "array", "maxItems": 10, "items": ref("VisitorInput")},
            "lang": {"type": "string", "enum": ["zh", "en"]},
            "altcha": ALTCHA,
        },
    },
    "WaitingEntry": {
        "type": "object",
        "required": ["reference", "status", "position", "offer", "manage_url"],
        "properties": {
            "reference": {"type": "string"},
            "status": {"type": "string", "enum": ["waiting", "offered", "claimed", "expired", "left"]},
            "position": {"type": ["integer", "null"], "minimum": 1,
                         "description": "1 = next in line; null once offered or ended."},
            "office": {"type": "string"}, "service": {"type": "string"},
            "date": {"type": "string", "format": "date"}, "party_size": {"type": "integer"},
            "offer": {"oneOf": [{"type": "null"}, {
                "type": "object", "required": ["slot", "expires_at"],
                "properties": {"slot": SLOT_TIMES, "expires_at": {"type": "string"}}}]},
            "manage_url": {"type": "string"}, "token": {"type": "string"},
        },
    },
}


def _entry_operation(operation_id: str, summary: str, ok: dict, conflicts: str) -> dict:
    return {"tags": ["citizen"], "operationId": operation_id, "summary": summary,
            "security": SECURITY, "parameters": [WAITING_REFERENCE, WAITING_TOKEN],
            "responses": {**ok, "404": error("No such entry, or the wrong token."),
                          "409": error(conflicts), "429": error("Too many requests.")}}


OPENAPI_PATHS = {
    "/api/v1/challenge": {"get": {
        "tags": ["citizen"], "operationId": "getChallenge",
        "summary": "A proof-of-work challenge (ALTCHA v2: parameters and signature)",
        "responses": {"200": answer("Solve it and send the base64 payload as `altcha`.", {
            "type": "object", "required": ["parameters", "signature"],
            "properties": {"parameters": {"type": "object"}, "signature": {"type": "string"}}}),
            "429": error("Too many requests.")},
    }},
    "/api/v1/waiting-list": {"post": {
        "tags": ["citizen"], "operationId": "joinWaitingList",
        "summary": "Join the waiting list of a full day",
        "requestBody": {"required": True, **json_content(ref("WaitingInput"))},
        "responses": {
            "201": answer("On the list; the answer carries the secret token.", ref("WaitingEntry")),
            **BAD_BODY,
            "404": error("No such office or service."),
            "409": error("not_full, already_waiting, too_many_waiting, identity_already_booked, "
                         "too_many_bookings, closed, not_yet_open or booking_closed."),
            "429": error("Too many attempts."),
        },
    }},
    "/api/v1/waiting-list/{reference}": {"get": _entry_operation(
        "getWaitingEntry", "A waiting-list entry, with its token",
        {"200": answer("The entry.", ref("WaitingEntry"))}, "Never.")},
    "/api/v1/waiting-list/{reference}/claim": {"post": _entry_operation(
        "claimWaitingPlace", "Book the place offered to the entry",
        {"201": answer("Booked, exactly as POST /api/v1/bookings answers.", ref("NewBooking"))},
        "no_offer, offer_expired, or a booking rule (identity_already_booked, closed...).")},
    "/api/v1/waiting-list/{reference}/leave": {"post": _entry_operation(
        "leaveWaitingList", "Leave the waiting list",
        {"200": answer("Left; an offered place passes on.", ref("WaitingEntry"))},
        "not_waiting: the entry already ended.")},
}
