"""Walk-ins at the door: a place in the running slot, the declarations, the check-in."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import TEXTING_LIMIT, staff_key, staff_page
from ..errors import BookingError
from ..extensions import limiter
from ..hall import queue
from ..i18n import request_lang
from ..models import ID_TYPES, Office
from ..offices import admin as office_admin
from . import bp
from .queue_views import report

ROWS = 5  # visitor rows on the form; empty ones are ignored


def _service(office: Office, code: str | None):
    for service in office_admin.office_services(office):
        if service.code == code:
            return service
    raise queue.NoCurrentSlot()


def _yes(name: str) -> bool:
    return request.form.get(name) == "yes"


def _nat_time(value: str | None, office: Office) -> str | None:
    """A local datetime-local value as an ISO time with the office's offset (None if empty)."""
    try:
        moment = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return value  # the health rules answer with a clear message
    return moment.replace(tzinfo=office.tz).isoformat() if moment else None


def read_form(office: Office) -> tuple[list[dict], list[float], list[dict]]:
    """Visitors, measured temperatures and declarations from the walk-in form's filled rows."""
    visitors, temps, declarations = [], [], []
    for i in range(ROWS):
        name = (request.form.get(f"name{i}") or "").strip()
        number = (request.form.get(f"id_number{i}") or "").strip()
        if not name and not number:
            continue
        visitors.append({"name": name, "id_type": request.form.get(f"id_type{i}") or "resident_id",
                         "id_number": number})
        try:
            temps.append(float((request.form.get(f"temperature{i}") or "").replace(",", ".")))
        except ValueError:
            raise queue.BadTemperature() from None  # nothing is booked yet
        declarations.append({
            "visitor": len(declarations), "temperature_c": temps[-1],
            "symptoms": _yes(f"symptoms{i}"), "risk_area_travel": _yes(f"travel{i}"),
            "case_contact": _yes(f"contact{i}"),
            "health_code": request.form.get(f"health_code{i}") or "green",
            "nat_negative_at": _nat_time(request.form.get(f"nat{i}"), office),
        })
    return visitors, temps, declarations


@bp.route("/<office_code>/walk-in", methods=["GET", "POST"])
@limiter.limit(TEXTING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page()
def walk_in(office: Office):
    """The walk-in form; on success the ticket, on refusal the reason (the place is given back)."""
    services = office_admin.office_services(office)
    if request.method == "POST":
        try:
            visitors, temps, declarations = read_form(office)
            booking = queue.walk_in(
                office, _service(office, request.form.get("service")),
                phone=request.form.get("phone") or "", visitors=visitors, temperatures=temps,
                declarations=declarations, staff=current_user, lang=request_lang())
        except BookingError as error:
            report(error)
        else:
            flash(_("Walk-in checked in: ticket %(ticket)s.", ticket=booking.ticket), "ok")
            return redirect(url_for("staff.queue", office_code=office.code))
    rows = min(ROWS, max((s.party_size_max for s in services), default=1))
    return render_template("staff/walk_in.html", office=office, services=services, rows=rows,
                           id_types=ID_TYPES, form=request.form), 200
