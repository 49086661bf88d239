"""Walk-ins at the door: a place in the running slot, the declarations, the check-in.

The form is two steps without script: choose the service, then exactly the visitor rows its
party size allows (the ones it needs are required), each with the declaration questions its
rules ask, none preselected.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import scheduling
from ..access import TEXTING_LIMIT, staff_key, staff_page
from ..errors import BookingError
from ..extensions import limiter
from ..hall import walkins
from ..health import DeclarationInvalid
from ..i18n import request_lang
from ..models import ID_TYPES, Office
from ..offices import admin as office_admin
from . import bp
from .declaration_form import questions, read_declaration, report_problems
from .queue_views import report


def _service(office: Office, code: str | None):
    return scheduling.office_service(office, code)


def read_form(office: Office, rows: int) -> tuple[list[dict], list, list[dict]]:
    """Visitors, measured temperatures and declarations from the walk-in form's filled rows."""
    visitors, temps, declarations = [], [], []
    for i in range(rows):
        name = (request.form.get(f"name{i}") or "").strip()
        number = (request.form.get(f"id_number{i}") or "").strip()
        if not name and not number:
            continue
        visitors.append({"name": name, "id_type": request.form.get(f"id_type{i}") or "resident_id",
                         "id_number": number})
        temps.append((request.form.get(f"temperature{i}") or "").strip())
        declarations.append(read_declaration(i, len(declarations), office))
    return visitors, temps, declarations


def _admit(office: Office, service) -> bool:
    """Take the walk-in; True when admitted (the message says the ticket)."""
    try:
        visitors, temps, declarations = read_form(office, service.party_size_max)
        booking = walkins.walk_in(
            office, service, phone=request.form.get("phone") or "", visitors=visitors,
            temperatures=temps, declarations=declarations, staff=current_user, lang=request_lang())
    except DeclarationInvalid as error:
        report_problems(error, request_lang())
    except BookingError as error:
        report(error)
    else:
        if booking.phone:
            flash(_("Walk-in checked in: ticket %(ticket)s. A text with the ticket is on its way.",
                    ticket=booking.ticket), "ok")
        else:
            flash(_("Walk-in checked in: ticket %(ticket)s. No mobile: tell them the ticket.",
                    ticket=booking.ticket), "ok")
        return True
    return False


@bp.route("/<office_code>/walk-in", methods=["GET", "POST"])
@limiter.limit(TEXTING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page()
def walk_in(office: Office):
    """Choose the service, then the visitors and their answers; on success the ticket, on
    refusal the reason (nothing is kept of a refused walk-in)."""
    services = office_admin.office_services(office)
    service = _service(office, request.values.get("service"))
    if request.method == "POST" and service is not None and _admit(office, service):
        return redirect(url_for("staff.queue", office_code=office.code))
    return render_template("staff/walk_in.html", office=office, services=services, service=service,
                           **(questions(service) if service else {}), id_types=ID_TYPES,
                           form=request.form), 200
