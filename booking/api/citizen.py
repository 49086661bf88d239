"""Citizen API: offices, availability, phone verification, booking and managing a booking.

Handlers are thin: they check the shape of the input (errors.Body), call the same domain
functions as the web pages (bookings, verification, scheduling) and shape the answer.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import Response, current_app, jsonify, request
from sqlalchemy import select

from .. import bookings, calendar, challenge, health, scheduling, verification
from ..database import read_only_transaction
from ..errors import BookingError, NotFound
from ..extensions import db, limiter
from ..hall import arrivals
from ..i18n import LANGUAGES
from ..identity import NAME_MAX, NUMBER_MAX
from ..links import ics_url, manage_url
from ..microcache import Kept, aligned_range
from ..models import ID_TYPES, Booking, Office, Service
from ..ratelimits import ADDRESS_BACKSTOP
from . import bp, public_bp
from .citizen_spec import OPENAPI_PATHS, OPENAPI_SCHEMAS  # noqa: F401  (read by openapi.py)
from .errors import Body, body, request_lang

MAX_SOLUTION = 4000  # an ALTCHA payload (base64 JSON) is about 500 characters
MAX_RANGE_DAYS = 62  # availability answers at most about two months at once


class UnknownOffice(BookingError):
    code, status, field = "unknown_office", 404, "office"
    message_zh, message_en = "找不到该办事机构。", "No such office."


class UnknownService(BookingError):
    code, status, field = "unknown_service", 404, "service"
    message_zh, message_en = "该机构没有这项业务。", "This office has no such service."


class RangeTooLong(BookingError):
    code, field = "range_too_long", "to"
    message_zh = "查询范围最多 {days} 天。"
    message_en = "The range can cover at most {days} days."


class RangeReversed(BookingError):
    code, field = "range_reversed", "to"
    message_zh, message_en = "结束日期不能早于开始日期。", "The end date cannot be before the start date."


def _limit(name: str, default: str):
    """A rate limit read from the app's config when the request comes (tests lower it)."""
    return lambda: current_app.config.get(name, default)


# --- shapes of the answers -----------------------------------------------------------------

def local_iso(office: Office, moment: dt.datetime) -> str:
    """ISO 8601 in the office's time zone, with its offset: 2026-11-24T09:30:00+08:00."""
    return moment.astimezone(office.tz).replace(microsecond=0).isoformat()


def service_json(service: Service) -> dict:
    return {
        "code": service.code, "kind": service.kind,
        "name_zh": service.name_zh, "name_en": service.name_en,
        "bring_zh": service.bring_zh or "", "bring_en": service.bring_en or "",
        "party_size_min": service.party_size_min, "party_size_max": service.party_size_max,
        "slot_minutes": service.slot_minutes, "booking_opens_days": service.booking_opens_days,
        "suspended": bool(service.suspended),
        "suspension_note_zh": service.suspension_note_zh or "",
        "suspension_note_en": service.suspension_note_en or "",
    }


def office_json(office: Office) -> dict:
    return {
        "code": office.code, "name_zh": office.name_zh, "name_en": office.name_en,
        "address_zh": office.address_zh, "address_en": office.address_en,
        "timezone": office.timezone, "hall_limit": office.hall_limit,
        "region": None if office.region is None else {
            "code": office.region.code, "name_zh": office.region.name_zh, "name_en": office.region.name_en},
        "counters": office.counter_names,
        "services": [service_json(service) for service in office.services],
    }


def slot_json(office: Office, slot, remaining_bookings: int, remaining_people: int) -> dict:
    return {"id": slot.id, "start": local_iso(office, slot.starts_at),
            "end": local_iso(office, slot.ends_at),
            "remaining_bookings": remaining_bookings, "remaining_people": remaining_people}


def booking_json(booking: Booking, token: str, cleared: bool | None = None) -> dict:
    """The booking as the API shows it; `cleared` when already known (else read)."""
    office = booking.office
    slot = booking.slot
    if cleared is None:
        cleared = health.is_cleared(booking)
    arrive_from, arrive_until = arrivals.window_of(booking)
    return {
        "reference": booking.reference, "status": booking.status, "cleared": cleared,
        "lang": booking.lang, "party_size": booking.party_size,
        "office": {"code": office.code, "name_zh": office.name_zh, "name_en": office.name_en,
                   "address_zh": office.address_zh, "address_en": office.address_en,
                   "timezone": office.timezone},
        "service": {"code": booking.service.code, "kind": booking.service.kind,
                    "name_zh": booking.service.name_zh, "name_en": booking.service.name_en},
        "slot": {"id": slot.id, "start": local_iso(office, slot.starts_at),
                 "end": local_iso(office, slot.ends_at)},
        "arrive_from": local_iso(office, arrive_from), "arrive_until": local_iso(office, arrive_until),
        "visitors": [{"position": v.position, "name": v.name, "id_type": v.id_type,
                      "id_masked": v.id_masked} for v in booking.visitors],
        "created_at": local_iso(office, booking.created_at),
        "cancelled_at": local_iso(office, booking.cancelled_at) if booking.cancelled_at else None,
        "manage_url": manage_url(booking.reference, token),
        "ics_url": ics_url(booking.reference, token),
    }


# --- offices and availability --------------------------------------------------------------

@bp.get("/offices")
def offices():
    """Every office with its services."""
    rows = db.session.scalars(select(Office).order_by(Office.id)).all()
    return jsonify(offices=[office_json(office) for office in rows])


def find_service(office_code: str, service_code: str) -> Service:
    """The service with its office (scheduling.find_service); UnknownOffice / UnknownService."""
    service = scheduling.find_service(office_code, service_code)
    if service is None:
        if db.session.scalar(select(Office.id).where(Office.code == office_code)) is None:
            raise UnknownOffice()
        raise UnknownService()
    return service


def check_range(first: dt.date, last: dt.date) -> None:
    if last < first:
        raise RangeReversed()
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise RangeTooLong(days=MAX_RANGE_DAYS)


@bp.get("/availability")
@limiter.limit(_limit("API_AVAILABILITY_LIMIT_PER_IP", "120 per minute"))
def availability():
    """Bookable slots of one service over local days from..to, with the closed days.

    The answer may be up to AVAILABILITY_CACHE_SECONDS old (booking/microcache.py says why
    that is safe): when a popular day opens, most of the crowd's requests are this one.
    """
    query = Body(request.args.to_dict())
    office_code, service_code = query.string("office", max_length=40), query.string("service", max_length=40)
    first, last = query.date("from"), query.date("to")
    query.done()
    check_range(first, last)  # before the caches: a cached block must never answer a bad range
    cache = current_app.extensions["availability_cache"]
    shared = current_app.extensions["shared_availability"]
    question = (office_code, service_code, first, last)
    answer = cache.keep(  # the crowd's exact question: its ready bytes, here, else from Redis
        ("answer", *question),
        lambda: shared.keep(_shared_key(*question), lambda: _answer_from_block(cache, *question)))
    return current_app.response_class(answer.value, mimetype="application/json")


def _shared_key(office_code: str, service_code: str, first: dt.date, last: dt.date) -> str:
    # The codes are the client's text (a wrong one raises before anything is kept): as JSON,
    # no choice of codes can make two questions one key.
    return json.dumps([office_code, service_code, first.isoformat(), last.isoformat()], ensure_ascii=False)


def _answer_from_block(cache, office_code: str, service_code: str, first: dt.date, last: dt.date) -> Kept:
    """Any other range is cut from the kept answer of its week-aligned block (one key for
    every range inside the same weeks: varied dates do not reach the database each time).
    The answer is as old as its block, and kept no longer."""
    block = cache.keep(("block", office_code, service_code, *aligned_range(first, last)),
                       lambda: availability_data(office_code, service_code, first, last))
    return Kept(jsonify(_cut(block.value, first, last)).get_data(), block.until)


def _cut(data: dict, first: dt.date, last: dt.date) -> dict:
    """The answer for first..last out of the answer for a wider range (ISO dates compare as text)."""
    low, high = first.isoformat(), last.isoformat()

    def inside(day: str) -> bool:
        return low <= day[:10] <= high

    return {**data, "slots": [s for s in data["slots"] if inside(s["start"])],
            "closed": [c for c in data["closed"] if inside(c["date"])],
            "days": [d for d in data["days"] if inside(d["date"])]}


def availability_data(office_code: str, service_code: str, first: dt.date, last: dt.date) -> dict:
    """The availability answer for the week-aligned block around first..last (a range
    check_range() accepted)."""
    read_only_transaction()
    service = find_service(office_code, service_code)
    first, last = aligned_range(first, last)
    office = service.office
    found = scheduling.service_days(service, first, last)
    return dict(
        office=office.code, service=service.code, timezone=office.timezone,
        suspended=bool(service.suspended),
        slots=[slot_json(office, item.slot, item.remaining_bookings, item.remaining_people)
               for item in found.available],
        closed=[{"date": day.isoformat(), "reason": closure.reason}
                for day, closure in sorted(found.closed.items())],
        days=[day_json(office, summary) for summary in found.summaries],
    )


def day_json(office: Office, summary) -> dict:
    """One local day as a calendar shows it: open, full, closed, later (opens_at), past, none."""
    return {"date": summary.day.isoformat(), "state": summary.state, "free": summary.free,
            "opens_at": local_iso(office, summary.opens_at) if summary.opens_at else None,
            "reason": summary.closure.reason if summary.closure else None}


# --- phone verification and booking --------------------------------------------------------

@bp.post("/phone-verifications")
@limiter.limit(_limit("API_CODE_LIMIT_PER_IP", ADDRESS_BACKSTOP))
def phone_verification():
    """Text a 6-digit code to a phone; 429 after five codes for one phone within an hour."""
    data = body()
    phone = data.string("phone", max_length=32)
    lang = data.choice("lang", LANGUAGES, required=False) or "zh"
    solution = data.string("altcha", max_length=MAX_SOLUTION, required=False)
    data.done()
    challenge.check(solution)
    verification_id = verification.start_verification(phone, lang)
    return jsonify(id=verification_id), 201


def _visitors(data: Body) -> list[dict]:
    result = []
    for item in data.objects("visitors", max_items=10):
        name = item.string("name", max_length=NAME_MAX)
        id_type = item.choice("id_type", ID_TYPES)
        id_number = item.string("id_number", max_length=NUMBER_MAX)
        result.append({"name": name, "id_type": id_type, "id_number": id_number})
    return result


@bp.post("/bookings")
@limiter.limit(_limit("API_BOOKING_LIMIT_PER_IP", ADDRESS_BACKSTOP))
def create_booking():
    """Book a slot with a verified phone; 201 with the reference and the secret token."""
    data = body()
    slot_id = data.integer("slot_id", minimum=1)
    phone = data.string("phone", max_length=32)
    verification_id = data.string("verification_id", max_length=64)
    code = data.string("code", max_length=12)
    visitors = _visitors(data)
    lang = data.choice("lang", LANGUAGES, required=False) or "zh"
    solution = data.string("altcha", max_length=MAX_SOLUTION, required=False)
    data.done()
    done = bookings.book(slot_id=slot_id, phone=phone, visitors=visitors, lang=lang,
                         source="api", verification=(verification_id, code), work=solution)
    # Nobody has declared for a booking made just now: not cleared, and nothing to read
    # after the commit (which would take a connection and a transaction of its own).
    answer = booking_json(done.made, done.token, cleared=False)
    answer["token"] = done.token
    response = jsonify(answer)
    response.headers["Location"] = f"/api/v1/bookings/{done.made.reference}"
    return response, 201


# --- managing a booking ------------------------------------------------------------------------

def _token() -> str:
    return request.headers.get("X-Booking-Token") or request.args.get("token") or ""


def _own_booking(reference: str) -> tuple[Booking, str]:
    token = _token()
    return bookings.find_booking(reference, token), token


@bp.get("/bookings/<reference>")
@limiter.limit(_limit("API_MANAGE_LIMIT_PER_IP", "60 per minute"))
def show_booking(reference: str):
    """The booking with its status and health clearance; needs its token."""
    booking, token = _own_booking(reference)
    return jsonify(booking_json(booking, token))


@bp.post("/bookings/<reference>/cancel")
@limiter.limit(_limit("API_MANAGE_LIMIT_PER_IP", "60 per minute"))
def cancel_booking(reference: str):
    """Cancel the booking and give its place back; 409 when it is no longer active."""
    booking, token = _own_booking(reference)
    bookings.cancel(booking, by="citizen")
    return jsonify(booking_json(booking, token))


@bp.post("/bookings/<reference>/reschedule")
@limiter.limit(_limit("API_MANAGE_LIMIT_PER_IP", "60 per minute"))
def reschedule_booking(reference: str):
    """Move the booking to another slot of the same service, atomically."""
    booking, token = _own_booking(reference)
    data = body()
    slot_id = data.integer("slot_id", minimum=1)
    solution = data.string("altcha", max_length=MAX_SOLUTION, required=False)
    data.done()
    bookings.reschedule(booking, slot_id, work=solution)
    return jsonify(booking_json(booking, token))


# --- the calendar file ------------------------------------------------------------------------

@public_bp.get("/bookings/<reference>.ics")
@limiter.limit(_limit("API_MANAGE_LIMIT_PER_IP", "60 per minute"))
def booking_ics(reference: str):
    """The booking as an iCalendar file; `?token=` as in ics_url. 404 for a wrong token."""
    token = request.args.get("token", "")
    try:
        booking = bookings.find_booking(reference, token)
    except NotFound as error:
        return Response(error.message(request_lang()), status=404,
                        content_type="text/plain; charset=utf-8")
    response = Response(calendar.booking_calendar(booking, token),
                        content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="booking-{booking.reference}.ics"'
    response.headers["Cache-Control"] = "private, no-store"  # it carries the token
    return response
