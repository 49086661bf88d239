"""The staff API (docs/contract.md): door scanners, counter tablets, kiosks, the hall display.

Bearer tokens (`flask --app wsgi staff token USERNAME`); the office scope and role of the
token's user apply exactly as on the staff pages (booking.access). Every handler calls
the same domain function as its page.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, g, jsonify, request
from sqlalchemy import select

from .. import bookings, date_input, scheduling
from ..access import CLOSING_LIMIT, DISPLAY_LIMIT, TEXTING_LIMIT, office_by_code, office_for, staff_api, staff_key
from ..errors import BookingError, NotFound
from ..extensions import db, limiter
from ..hall import arrivals, queue, reports, walkins
from ..hall.door import check_in, hall_limit
from ..health import cleared_many
from ..i18n import LANGUAGES
from ..models import Booking
from ..offices import admin as office_admin
from ..offices import closures as closure_rules
from . import bp, bureau
from .citizen import booking_json
from .errors import InvalidBody, body
from .staff_spec import OPENAPI_PATHS, OPENAPI_SCHEMAS  # noqa: F401  (read by openapi.py)


def _booking_json(booking: Booking, cleared: bool) -> dict:
    return {
        "reference": booking.reference, "status": booking.status, "source": booking.source,
        "service": booking.service.code, "ticket": booking.ticket, "counter": booking.counter,
        "slot": {"id": booking.slot_id, "start": booking.slot.starts_at.astimezone(booking.office.tz).isoformat(),
                 "end": booking.slot.ends_at.astimezone(booking.office.tz).isoformat()},
        "arrive_from": _iso(booking, arrivals.window_of(booking)[0]),
        "arrive_until": _iso(booking, arrivals.window_of(booking)[1]),
        "visitors": [{"name": v.name, "id_type": v.id_type, "id_masked": v.id_masked}
                     for v in booking.visitors],
        "cleared": cleared, "confirmed": booking.confirmed_at is not None,
        "checked_in_at": _iso(booking, booking.checked_in_at),
        "called_at": _iso(booking, booking.called_at),
        "completed_at": _iso(booking, booking.completed_at),
    }


def _iso(booking: Booking, moment: dt.datetime | None) -> str | None:
    return moment.astimezone(booking.office.tz).isoformat() if moment else None


def _booking(reference: str) -> Booking:
    """A booking by reference, in the token user's scope (404 for another office's)."""
    booking = db.session.scalar(select(Booking).where(Booking.reference == str(reference).upper()[:12]))
    if booking is None:
        raise NotFound()
    office_for(g.staff_user, booking.office.code)
    return booking


def _day(value: str | None, office) -> dt.date:
    if not value:
        return queue.today(office)
    try:
        return date_input.parse_day(value)
    except BookingError as error:  # malformed, or outside the window the service serves
        raise InvalidBody({"date": (error.message("zh"), error.message("en"))}) from None


@bp.get("/staff/queue")
@staff_api()
def staff_queue():

    office = office_for(g.staff_user, request.args.get("office"))
    day = _day(request.args.get("date"), office)
    rows = queue.day_bookings(office, day, request.args.get("q") or "")
    cleared = cleared_many(rows)  # one query for all the rows, not one per booking
    return jsonify(office=office.code, date=day.isoformat(),
                   bookings=[_booking_json(b, cleared[b.id]) for b in rows])


@bp.post("/staff/bookings/<reference>/check-in")
@staff_api()
def staff_check_in(reference: str):

    data = body()
    temps = data.array("temperatures_c", max_items=20)
    data.done()
    booking = _booking(reference)
    booking = check_in(booking, temps, g.staff_user)
    return jsonify(ticket=booking.ticket, reference=booking.reference, status=booking.status)


@bp.post("/staff/call-next")
@staff_api()
def staff_call_next():
    data = body()
    code, counter = data.string("office"), data.string("counter", max_length=10)
    if isinstance(data.data.get("counter"), int) and not isinstance(data.data.get("counter"), bool):
        data.errors.pop("counter", None)
        counter = str(data.data["counter"])
    data.done()
    office = office_for(g.staff_user, code)
    booking = queue.call_next(office, counter, g.staff_user)
    return jsonify(ticket=booking.ticket, counter=booking.counter, reference=booking.reference)


@bp.post("/staff/bookings/<reference>/complete")
@staff_api()
def staff_complete(reference: str):
    booking = queue.complete(_booking(reference), g.staff_user)
    return jsonify(reference=booking.reference, status=booking.status, ticket=booking.ticket)


@bp.post("/staff/bookings/<reference>/no-show")
@staff_api()
def staff_no_show(reference: str):
    booking = queue.no_show(_booking(reference), g.staff_user)
    return jsonify(reference=booking.reference, status=booking.status)


@bp.post("/staff/walk-ins")
@limiter.limit(TEXTING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_api()
def staff_walk_in():
    data = body()
    code, service_code = data.string("office"), data.string("service")
    phone = data.string("phone", max_length=30, required=False) or ""
    visitors = data.array("visitors", max_items=10)
    temps = data.array("temperatures_c", max_items=10)
    declarations = data.array("declarations", required=False, max_items=10) or []
    lang = data.choice("lang", LANGUAGES, required=False) or "zh"
    data.done()
    office = office_for(g.staff_user, code)
    service = scheduling.office_service(office, service_code)
    if service is None:
        raise walkins.NoCurrentSlot("service")
    if not all(isinstance(v, dict) for v in visitors):
        raise InvalidBody({"visitors": ("应为对象数组。", "Must be an array of objects.")})
    booking = walkins.walk_in(office, service, phone=phone, visitors=visitors,
                            temperatures=temps,
                            declarations=declarations, staff=g.staff_user, lang=lang)
    return jsonify(reference=booking.reference, ticket=booking.ticket, status=booking.status), 201


@bp.post("/staff/bookings")
@limiter.limit(TEXTING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_api()
def staff_book():
    """A booking a clerk takes for a caller on the telephone or at the counter (docs/contract.md, third-wave additions):
    the slot's office in the token user's scope (404 otherwise), no code, the reserve open."""
    data = body()
    slot_id = data.integer("slot_id", minimum=1)
    phone = data.string("phone", max_length=32, required=False) or ""
    visitors = data.array("visitors", max_items=10)
    lang = data.choice("lang", LANGUAGES, required=False) or "zh"
    channel = data.choice("channel", bookings.ASSISTED)
    data.done()
    if not all(isinstance(v, dict) for v in visitors):
        raise InvalidBody({"visitors": ("应为对象数组。", "Must be an array of objects.")})
    office_for(g.staff_user, bookings.load_slot(slot_id).office.code)
    done = bookings.book(channel=channel, slot_id=slot_id, phone=phone, visitors=visitors, lang=lang,
                         source=channel, staff_user_id=g.staff_user.id)
    answer = booking_json(done.made, done.token, cleared=False)
    answer["token"] = done.token
    response = jsonify(answer)
    response.headers["Location"] = f"/api/v1/bookings/{done.made.reference}"
    return response, 201


@bp.post("/staff/closures")
@limiter.limit(CLOSING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_api("supervisor", bureau_acts=True)
def staff_closure():
    """An office's closure (supervisor, or a bureau of its region); with `region`, one in every
    office of the region (bureau or admin: booking/api/bureau.py)."""
    data = body()
    if "region" in data.data:
        return bureau.region_closure(data)
    code, service_code = data.string("office"), data.string("service", required=False)
    first, last = data.date("from"), data.date("to")
    reason = data.string("reason")
    reason_en = data.string("reason_en", required=False)
    data.done()
    office = office_for(g.staff_user, code, "supervisor")
    service = None
    if service_code:
        service = scheduling.office_service(office, service_code)
        if service is None:
            raise closure_rules.InvalidClosure("service")
    closure, cancelled = closure_rules.close_days(office, service, first, last, reason, g.staff_user,
                                              reason_en=reason_en or "")
    return jsonify(id=closure.id, cancelled=cancelled), 201


@bp.post("/staff/epidemic-level")
@limiter.limit(CLOSING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_api("supervisor")
def staff_epidemic_level():
    """The office's epidemic level, as the capacity page sets it (offices.admin.set_level): the
    hall limit follows at once; future slots shrink, bookings beyond them listed for review."""
    data = body()
    code = data.string("office")
    level = data.choice("level", scheduling.LEVELS)
    data.done()
    office = office_for(g.staff_user, code, "supervisor")
    listed = office_admin.set_level(office, level, g.staff_user)
    return jsonify(level=office.epidemic_level, limit=hall_limit(office), listed=len(listed))


@bp.get("/staff/reports/daily")
@staff_api("supervisor")
def staff_daily_report():
    """An office's daily report (supervisors); with `region`, the city's (bureau.py)."""
    if "region" in request.args:
        return bureau.region_daily_report()
    office = office_for(g.staff_user, request.args.get("office"), "supervisor")
    day = _day(request.args.get("date"), office)
    report = reports.daily_report(office, day)
    if request.args.get("format") == "csv":
        return Response(reports.to_csv([report]), mimetype="text/csv")
    return jsonify(report)


@bp.get("/display/<office>")
@limiter.limit(DISPLAY_LIMIT)
def display_state(office: str):
    """Public: what the hall display shows (no names, no references). Each screen polls once
    a second; DISPLAY_LIMIT leaves room for many screens behind one hall router and stops a
    flood from one address."""
    response = jsonify(queue.display_state(office_by_code(office)))
    response.headers["Cache-Control"] = "no-store"
    return response
