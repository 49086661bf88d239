"""The office calendar: what citizens will be offered on each local day, for up to 400 days
(docs/contract.md, "Setting up offices"): hours per service, China's holidays and make-up
working days, whether the year's arrangement is published, notable days, exceptions."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from .. import scheduling
from ..extensions import db, limiter
from ..models import Office
from ..offices import hours
from . import bp
from .citizen import RangeReversed, RangeTooLong, UnknownOffice, _limit
from .errors import Body

MAX_DAYS = 400


def _names(value) -> dict | None:
    return None if value is None else {"code": value.code, "name_zh": value.name_zh, "name_en": value.name_en}


def day_json(day: hours.CalendarDay) -> dict:
    exception = day.exception
    return {
        "date": day.day.isoformat(), "open": day.open,
        "hours": {code: [hours.format_period(p) for p in periods] for code, periods in day.hours.items()},
        "holiday": _names(day.arrangement.holiday), "makeup_workday": day.arrangement.makeup_workday,
        "arrangement_published": day.arrangement.published,
        "notable": [_names(item) for item in day.notable],
        "exception": None if exception is None else {
            "services": exception.service_codes, "hours": exception.periods,
            "reason_zh": exception.reason_zh, "reason_zh_hant": exception.reason("zh-Hant"),
            "reason_en": exception.reason_en},
    }


@bp.get("/offices/<office>/calendar")
@limiter.limit(_limit("API_AVAILABILITY_LIMIT_PER_IP", "120 per minute"))
def office_calendar(office: str):
    """Each local day from..to (at most 400) of one office."""
    query = Body(request.args.to_dict())
    first, last = query.date("from"), query.date("to")
    query.done()
    if last < first:
        raise RangeReversed()
    if (last - first).days + 1 > MAX_DAYS:
        raise RangeTooLong(days=MAX_DAYS)
    office = db.session.scalar(select(Office).where(Office.code == office[:40]))
    if office is None:
        raise UnknownOffice()
    closed = {service.id: set(scheduling.closed_days(service, first, last)) for service in office.services}
    days = hours.office_days(office, first, last, closed)
    return jsonify(office=office.code, timezone=office.timezone, days=[day_json(day) for day in days])


NAMES = {"type": ["object", "null"], "required": ["code", "name_zh", "name_en"],
         "properties": {"code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}}}
OPENAPI_SCHEMAS = {"CalendarDay": {
    "type": "object",
    "required": ["date", "open", "hours", "holiday", "makeup_workday", "arrangement_published", "notable",
                 "exception"],
    "properties": {
        "date": {"type": "string", "format": "date"}, "open": {"type": "boolean"},
        "hours": {"type": "object", "description": "service code -> opening periods such as 09:00-12:00",
                  "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "holiday": NAMES, "makeup_workday": {"type": "boolean"},
        "arrangement_published": {"type": "boolean",
                                  "description": "false: the State Council has not published the year's "
                                                 "arrangement; only the days fixed by law are closed"},
        "notable": {"type": "array", "items": NAMES},
        "exception": {"type": ["object", "null"]},
    }}}
OPENAPI_PATHS = {"/api/v1/offices/{office}/calendar": {"get": {
    "tags": ["citizen"], "operationId": "officeCalendar",
    "summary": "What the office offers on each local day (at most 400 days)",
    "parameters": [
        {"name": "office", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
    ],
    "responses": {
        "200": {"description": "The days.", "content": {"application/json": {"schema": {
            "type": "object", "required": ["office", "timezone", "days"],
            "properties": {"office": {"type": "string"}, "timezone": {"type": "string"},
                           "days": {"type": "array", "items": {"$ref": "#/components/schemas/CalendarDay"}}}}}}},
        "404": {"description": "No such office (unknown_office).",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "422": {"description": "Missing or bad dates, `to` before `from`, or more than 400 days.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    },
}}}
