"""The bureau's staff API (docs/contract.md, "The bureau"): the city's daily report, the
supervisors' submissions, the live overview, and region-wide closures (the last two share their
paths with an office's report and closure in booking/api/staff.py, which hands over here when
the request names a region)."""

from __future__ import annotations

import datetime as dt

from flask import Response, g, jsonify, request

from .. import date_input
from ..access import office_for, region_for, staff_api
from ..bureau import closures as region_closures
from ..bureau import export, overview, report, submissions
from ..bureau.regions import region_offices
from ..errors import BookingError
from ..models import SERVICE_KINDS, Region
from ..models.bureau import NOTE_MAX
from ..offices import closures as closure_rules
from . import bp
from .bureau_spec import OPENAPI_PATHS, OPENAPI_SCHEMAS  # noqa: F401  (read by openapi.py)
from .errors import InvalidBody, body
from .validation import Body

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _region_today(region: Region) -> dt.date:
    """The region's today: in its first office's zone (Beijing time when it has none)."""
    offices = region_offices(region)
    tz = offices[0].tz if offices else dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.now(tz).date()


def _date(value: str | None, default: dt.date, field: str = "date") -> dt.date:
    if not value:
        return default
    try:
        return date_input.parse_day(value, field)
    except BookingError as error:
        raise InvalidBody({field: (error.message("zh"), error.message("en"))}) from None


def region_daily_report() -> Response:
    """GET /staff/reports/daily?region=CODE&date=DATE[&format=csv|xlsx][&lang=en]: bureau or admin."""
    region = region_for(g.staff_user, request.args.get("region"))
    day = _date(request.args.get("date"), _region_today(region))
    found = report.region_day(region, day)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    name = f"daily-{region.code}-{day.isoformat()}"
    if request.args.get("format") == "csv":
        return Response(export.to_csv(found, lang), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if request.args.get("format") == "xlsx":
        return Response(export.to_xlsx(found, lang), mimetype=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return jsonify(found)


@bp.post("/staff/reports/daily")
@staff_api("supervisor")
def submit_daily_report():
    """A supervisor (or an administrator) submits the office's day: 201 with the submission."""
    data = body()
    code = data.string("office")
    day = data.date("date")
    incident = data.boolean("incident")
    note = data.string("note", required=False, max_length=NOTE_MAX) or ""
    data.done()
    office = office_for(g.staff_user, code, "supervisor")
    found = submissions.submit_day(office, day, incident, note, g.staff_user)
    return jsonify(office=office.code, date=found.day.isoformat(), incident=found.incident, note=found.note,
                   submitted_at=found.submitted_at.astimezone(office.tz).isoformat()), 201


@bp.get("/staff/overview")
@staff_api("bureau")
def staff_overview():
    """The live view of a region's halls; bureau or admin."""
    region = region_for(g.staff_user, request.args.get("region"))
    response = jsonify(overview.overview(region))
    response.headers["Cache-Control"] = "no-store"
    return response


def region_closure(data: Body):
    """POST /staff/closures with `region`: every office of the region, one closure each."""
    code = data.string("region")
    kind = data.choice("service_kind", SERVICE_KINDS, required=False)
    first, last = data.date("from"), data.date("to")
    reason = data.string("reason")
    reason_en = data.string("reason_en", required=False)
    data.done()
    region = region_for(g.staff_user, code)
    reason, reason_en = closure_rules.clean_reasons(reason, reason_en)
    cancelled, offices = region_closures.close_region(region, kind, first, last, reason, g.staff_user,
                                                      reason_en=reason_en or "")
    return jsonify(cancelled=cancelled, offices=offices), 201

