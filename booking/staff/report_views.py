"""Reports of an office (page with an occupancy chart, CSV; the day's submission to the bureau)
and the staff calendar feed."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import accounts, date_input
from ..access import office_for, staff_page
from ..bureau import submissions
from ..errors import BookingError
from ..hall import queue, reports
from ..models import Office
from . import bp
from .calendar_feed import office_calendar
from .queue_views import report


def report_range(office: Office) -> tuple[dt.date, dt.date]:
    """from/to in the query (default: today); a wrong or reversed range falls back to today,
    a date outside the served window too (with the reason shown)."""
    today = queue.today(office)
    try:
        first = date_input.parse_day(request.args.get("from") or today.isoformat(), "from")
        last = date_input.parse_day(request.args.get("to") or first.isoformat(), "to")
    except date_input.DateOutOfRange as error:
        report(error)
        return today, today
    except BookingError:
        return today, today
    if last < first:
        return first, first
    return first, min(last, first + dt.timedelta(days=reports.MAX_DAYS - 1))


def chart(hours: list[int], limit: int) -> dict:
    """Geometry of the inline SVG bar chart of occupancy by hour (people): 24 bars, each with
    its value above it, and the hall limit as a line labelled in the right margin, clear of
    the bars."""
    top = max(max(hours, default=0), limit, 1) * 1.12  # room for the values above the bars
    width, height, pad, right, base = 640, 260, 12, 64, 22
    plot_w, plot_h = width - pad - right, height - base - 8
    bar = plot_w / 24
    bars = [{"hour": h, "value": v, "x": round(pad + h * bar + 2, 1), "w": round(bar - 4, 1),
             "h": round(plot_h * v / top, 1), "y": round(height - base - plot_h * v / top, 1)}
            for h, v in enumerate(hours)]
    limit_y = round(height - base - plot_h * limit / top, 1)
    return {"width": width, "height": height, "pad": pad, "bars": bars, "limit_y": limit_y,
            "top": top, "plot_right": width - right, "base_y": height - base}


@bp.get("/<office_code>/reports")
@staff_page("supervisor")
def reports_page(office: Office):
    """Daily reports for a date range: a table per day, totals and occupancy by hour."""
    first, last = report_range(office)
    days = reports.range_report(office, first, last)
    hours = [max(day["occupancy_by_hour"][h] for day in days) for h in range(24)]
    return render_template("staff/reports.html", office=office, first=first, last=last, days=days,
                           total=reports.totals(days), chart=chart(hours, office.hall_limit),
                           day_dates=[dt.date.fromisoformat(day["date"]) for day in days],
                           submitted=submissions.submission_of(office, first), today=queue.today(office))


@bp.post("/<office_code>/reports/submit")
@staff_page("supervisor")
def submit_report(office: Office):
    """The supervisor submits the day's report to the bureau (incident yes or no, a note);
    again for the same day replaces it."""
    day = queue.today(office)
    try:
        day = date_input.parse_day(request.form.get("date") or "")
        submissions.submit_day(office, day, request.form.get("incident") == "yes",
                               request.form.get("note") or "", current_user)
    except BookingError as error:
        report(error)
    else:
        flash(_("Report for %(day)s submitted to the bureau.", day=day.isoformat()), "ok")
    return redirect(url_for("staff.reports_page", office_code=office.code,
                            **{"from": day.isoformat(), "to": day.isoformat()}))


@bp.get("/<office_code>/reports.csv")
@staff_page("supervisor")
def reports_csv(office: Office):
    first, last = report_range(office)
    body = reports.to_csv(reports.range_report(office, first, last))
    name = f"report-{office.code}-{first}-{last}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<office_code>/calendar.ics")
def calendar(office_code: str):
    """The office's days as iCalendar, for a staff calendar app: a feed token in the URL
    (calendar apps cannot send headers; `staff token --feed`), no identity data in it. An API
    token is refused here, and a feed token opens nothing else."""
    user = accounts.user_for_token(request.args.get("token") or "", scope="feed")
    if user is None:
        abort(401)
    office = office_for(user, office_code)
    return Response(office_calendar(office, queue.today(office)), mimetype="text/calendar")


calendar.min_role = "clerk"
calendar.token_auth = True
