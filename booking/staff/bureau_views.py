"""The bureau's pages of a region (/staff/regions/<code>/…): the city's daily reports over a date
range (CSV and xlsx of a day), the live view of its halls, and the suspension of a kind of
service across its offices. A bureau of the region or of one above it, or an administrator."""

from __future__ import annotations

import datetime as dt

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import date_input
from ..access import CLOSING_LIMIT, region_page, staff_key
from ..bureau import closures as region_closures
from ..bureau import export, overview, report
from ..bureau.regions import region_offices
from ..errors import BookingError
from ..extensions import limiter
from ..hall.reports import MAX_DAYS
from ..models import SERVICE_KINDS, Region
from ..offices import closures as closure_rules
from . import bp
from .queue_views import report as flash_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def region_today(region: Region) -> dt.date:
    """The region's today: in its first office's zone (Beijing time when it has none)."""
    offices = region_offices(region)
    tz = offices[0].tz if offices else dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.now(tz).date()


def _range(region: Region) -> tuple[dt.date, dt.date]:
    """from/to of the query (default: today); a bad one falls back to today, with the reason;
    a reversed one shows its first day; at most MAX_DAYS days."""
    today = region_today(region)
    try:
        first = date_input.parse_day(request.args.get("from") or today.isoformat(), "from")
        last = date_input.parse_day(request.args.get("to") or first.isoformat(), "to")
    except BookingError as error:
        flash_error(error)
        return today, today
    last = max(first, last)
    return first, min(last, first + dt.timedelta(days=MAX_DAYS - 1))


@bp.get("/regions/<region_code>/reports")
@region_page()
def region_reports(region: Region):
    """Every office of the region over a date range: figures, days submitted, incidents; the
    offices still to report are highlighted."""
    first, last = _range(region)
    found = report.region_range(region, first, last)
    return render_template("staff/region_reports.html", region=region, first=first, last=last, report=found)


@bp.get("/regions/<region_code>/reports.csv", defaults={"kind": "csv"})
@bp.get("/regions/<region_code>/reports.xlsx", defaults={"kind": "xlsx"}, endpoint="region_report_xlsx")
@region_page()
def region_report_file(region: Region, kind: str):
    """One day (`date`, default today) as CSV or xlsx; `lang=en` for English headings."""
    try:
        day = date_input.parse_day(request.args.get("date") or region_today(region).isoformat())
    except BookingError as error:
        return Response(error.message("en" if request.args.get("lang") == "en" else "zh"), 422,
                        mimetype="text/plain")
    found = report.region_day(region, day)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    name = f"daily-{region.code}-{day.isoformat()}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "csv":
        return Response(export.to_csv(found, lang), mimetype="text/csv", headers=disposition)
    return Response(export.to_xlsx(found, lang), mimetype=XLSX, headers=disposition)


@bp.get("/regions/<region_code>/overview")
@region_page()
def region_overview(region: Region):
    """The live view: every hall of the region, refreshed by static/staff-overview.js."""
    return render_template("staff/region_overview.html", region=region, view=overview.overview(region))


@bp.get("/regions/<region_code>/overview.json")
@region_page()
def region_overview_json(region: Region):
    response = jsonify(overview.overview(region))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/regions/<region_code>/closures", methods=["GET", "POST"])
@limiter.limit(CLOSING_LIMIT, key_func=staff_key, methods=["POST"])
@region_page(bureau_acts=True)
def region_closures_page(region: Region):
    """Suspend a kind of service (or all) in every office of the region: a first POST shows the
    bookings and people per office; only the confirming POST closes, one closure per office."""
    preview = None
    if request.method == "POST":
        form = request.form
        kind = form.get("service_kind") or None
        try:
            first = date_input.parse_day(form.get("from") or "", "from")
            last = date_input.parse_day(form.get("to") or "", "to")
            reason, reason_en = closure_rules.clean_reasons(form.get("reason"), form.get("reason_en"))
            if form.get("confirm") != "yes":
                preview = region_closures.preview(region, kind, first, last)
            else:
                cancelled, offices = region_closures.close_region(region, kind, first, last, reason, current_user,
                                                                  reason_en=reason_en)
                flash(_("Closed in %(n)d offices. %(c)d bookings cancelled; each citizen gets a text.",
                        n=len(offices), c=cancelled), "ok")
                return redirect(url_for("staff.region_closures_page", region_code=region.code))
        except BookingError as error:
            flash_error(error)
    tomorrow = region_today(region) + dt.timedelta(days=1)
    return render_template("staff/region_closures.html", region=region, preview=preview, form=request.form,
                           kinds=SERVICE_KINDS, tomorrow=tomorrow)
