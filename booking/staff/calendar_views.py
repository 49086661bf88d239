"""The office calendar page: the days ahead as citizens will be offered them, with China's
holidays, make-up working days, years whose arrangement is not yet published, the office's
exceptions and the notable days that bring crowds (issue 24)."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request

from .. import date_input, scheduling
from ..access import staff_page
from ..errors import BookingError
from ..hall import queue
from ..models import Office
from ..offices import hours
from . import bp

PAGE_DAYS = 62


@bp.get("/<office_code>/calendar")
@staff_page("clerk")
def office_calendar_page(office: Office):
    """PAGE_DAYS local days from ?from= (default: the office's today)."""
    today = queue.today(office)
    try:
        first = date_input.parse_day(request.args.get("from") or today.isoformat(), "from")
    except BookingError:
        first = today
    last = first + dt.timedelta(days=PAGE_DAYS - 1)
    closed = {service.id: set(scheduling.closed_days(service, first, last)) for service in office.services}
    return render_template("staff/calendar.html", office=office, days=hours.office_days(office, first, last, closed),
                           first=first, earlier=first - dt.timedelta(days=PAGE_DAYS), later=last + dt.timedelta(days=1),
                           format_period=hours.format_period)
