"""Declarations taken by staff at the door, for visitors without a smartphone (often the
elderly relatives at a farewell): the clerk asks each question and records the answers; the
declaration and its audit event say "taken by staff"."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import health
from ..access import staff_page
from ..errors import BookingError
from ..hall import queue
from ..health import DeclarationInvalid
from ..i18n import request_lang
from ..models import Office
from . import bp
from .declaration_form import questions, read_declaration, report_problems
from .queue_views import report


def _positions(booking, statuses) -> list[int]:
    """The visitors whose answers the form sent (a row left untouched is not declared)."""
    chosen = request.form.getlist("visitor")
    return [s.position for s in statuses if str(s.position) in chosen]


@bp.route("/<office_code>/bookings/<reference>/declare", methods=["GET", "POST"])
@staff_page()
def take_declaration(office: Office, reference: str):
    """The questions for each visitor not yet cleared; answers recorded as taken by staff."""
    try:
        booking = queue.booking_in_office(office, reference)
    except BookingError as error:
        report(error)
        return redirect(url_for("staff.queue", office_code=office.code))
    statuses = health.visitor_statuses(booking)
    if request.method == "POST":
        raw = [read_declaration(p, p, office) for p in _positions(booking, statuses)]
        try:
            declared = health.declare(booking, raw, source="staff", taken_by=current_user)
        except DeclarationInvalid as error:
            report_problems(error, request_lang())
        except BookingError as error:
            report(error)
        else:
            flash(_("Declarations taken by staff recorded: %(result)s",
                    result=_("every visitor is cleared, check them in.") if declared.cleared
                    else _("not every visitor is cleared.")), "ok" if declared.cleared else "error")
            return redirect(url_for("staff.queue", office_code=office.code, q=booking.reference))
    return render_template("staff/declare.html", office=office, booking=booking, statuses=statuses,
                           form=request.form, **questions(booking.service))
