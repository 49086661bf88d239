"""Administrators set up offices on pages (docs/contract.md, "Setting up offices"): offices and
their services, weekly hours with breaks. Dated hours and the holiday calendar are in
setup_date_views.py, regions in setup_region_views.py.

Every change takes the one path of the setup file: the form becomes setup data
(setup_forms.py), checked as a file is, then `setup.apply(dry_run=True)` shows a preview (what
changes, slots added and removed, the bookings in hours taken away); only the confirming POST
to /staff/admin/setup applies it, and when bookings are affected only with the explicit
"cancel these bookings and text each citizen" box ticked. A refusal is shown beside its field,
in the reader's language, and nothing changes.
"""

from __future__ import annotations

import itertools

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import CLOSING_LIMIT, TEXTING_LIMIT, staff_key, staff_page
from ..extensions import db, limiter
from ..i18n import choose, request_lang
from ..models import HolidayDate, Office
from ..offices import setup as office_setup
from ..offices import setup_file
from ..offices.setup_file import OFFICE_KEYS, SERVICE_KEYS, Setup, SetupError
from . import bp, setup_changes, setup_forms, setup_words
from .admin_views import admin_page

# A preview is a dry run of a whole booking window's slots: limited per person, as the routes
# whose code could text (tests/test_security_routes.py) must be.
PREVIEW_LIMIT = TEXTING_LIMIT


@bp.context_processor
def setup_context():
    return {"setup_labels": setup_words.labels, "setup_choices": setup_words.choice_names,
            "setup_weekdays": setup_words.weekday_names,
            "lang_choose": lambda zh, en, hant="": choose(request_lang(), zh, en, hant)}


def form_context(error: SetupError | None, fields: set[str]) -> dict:
    """The refusal as {field: message}, and what belongs beside no field of this form."""
    if error is None:
        return {"errors": {}, "general": ""}
    field = setup_forms.field_of(error)
    message = setup_words.message(error)
    return {"errors": {field: message}, "general": ""} if field in fields else {"errors": {}, "general": message}


def _holidays_in_force(years) -> dict:
    rows = db.session.scalars(select(HolidayDate).where(HolidayDate.year.in_(list(years)))) if years else []
    found: dict = {}
    for row in rows:
        found.setdefault(row.year, {})[row.day] = row.closed
    return found


def completed(setup: Setup) -> Setup:
    """The setup, and when it changes a year's holidays every office keeping China's calendar
    too (unchanged), so that their slots follow the new holidays."""
    if not setup.holidays:
        return setup
    named = {office["code"] for office in setup.offices}
    others = [office for office in office_setup.export().offices
              if office["holidays"] == "CN" and office["code"] not in named]
    return Setup(regions=setup.regions, offices=setup.offices + others, holidays=setup.holidays)


def preview(setup: Setup, back: str, title: str, cancel: str | None = None):
    """The preview page of a checked setup (a dry run: nothing is written): applying returns to
    `back`, cancelling to `cancel` (default `back`). SetupError when the database refuses a
    reference (an unknown region, a service's kind changed)."""
    before = setup_forms.office_data([office["code"] for office in setup.offices])
    changes = setup_changes.differences(before, _holidays_in_force(setup.holidays), setup, setup_forms.region_data())
    report = office_setup.apply(completed(setup), dry_run=True, cancel_bookings=True, staff=current_user)
    groups = [(subject, list(rows)) for subject, rows in itertools.groupby(changes, key=lambda c: c.subject)]
    return render_template("staff/setup_preview.html", title=title, groups=groups, report=report,
                           text=setup_file.render(setup), back=back, cancel=cancel or back,
                           slots_follow=bool(setup.offices or setup.holidays),
                           left_open=setup_changes.law_days_left_open(setup),
                           references=sorted(b.reference for b in report.bookings_affected))


def _back() -> str:
    back = request.form.get("back") or ""
    return back if back.startswith("/staff/") and "//" not in back else url_for("staff.setup_offices")


@bp.post("/admin/setup")
@limiter.limit(CLOSING_LIMIT, key_func=staff_key)
@admin_page
def setup_apply():
    """Apply the setup a preview showed. When it would cancel bookings, only with the box
    ticked and exactly the bookings the preview listed; else the preview is shown again."""
    back = _back()
    try:
        shown = setup_file.read(request.form.get("setup") or "")
        setup = completed(shown)
        dry = office_setup.apply(setup, dry_run=True, cancel_bookings=True, staff=current_user)
        affected = sorted(b.reference for b in dry.bookings_affected)
        if affected and (request.form.get("cancel_bookings") != "yes"
                         or affected != sorted(request.form.getlist("reference"))):
            flash(_("Nothing was changed: tick the box to cancel the bookings listed, or go back."), "error")
            return preview(shown, back, _("Check before applying")), 409
        report = office_setup.apply(setup, cancel_bookings=bool(affected), staff=current_user)
    except (SetupError, office_setup.HoursTaken):
        flash(_("Nothing was changed: the setup changed meanwhile. Please start again."), "error")
        return redirect(back)
    counts = {"slots_added": report.slots_added, "slots_removed": report.slots_removed}
    if report.bookings_cancelled:
        flash(_("Applied: %(slots_added)d slots added, %(slots_removed)d removed, %(cancelled)d bookings "
                "cancelled (each citizen gets a text).", cancelled=report.bookings_cancelled, **counts), "ok")
    elif report.slots_added or report.slots_removed:
        flash(_("Applied: %(slots_added)d slots added, %(slots_removed)d removed.", **counts), "ok")
    elif report.changed:  # a region, a name, a limit: no slot moves
        flash(_("Applied."), "ok")
    else:
        flash(_("Nothing changed: this is already in force."), "ok")
    return redirect(back)


@bp.get("/admin/offices")
@admin_page
def setup_offices():
    """Every office, with links to set up each; a new office."""
    offices = db.session.scalars(select(Office).order_by(Office.code)).all()
    return render_template("staff/setup_offices.html", offices=offices)


def _office_page(entry: dict | None, office: Office | None, error: SetupError | None):
    values = setup_forms.form_values(entry, OFFICE_KEYS) if error is None else request.form
    regions = {"": _("(none)"), **setup_forms.region_choices()}
    return render_template("staff/setup_office.html", values=values, edited=office, entry=entry or {},
                           regions=regions, **form_context(error, set(OFFICE_KEYS))), 422 if error else 200


@bp.route("/admin/offices/new", methods=["GET", "POST"])
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@admin_page
def setup_office_new():
    """A new office: its form, then the preview of creating it."""
    if request.method == "POST":
        try:
            entry = setup_forms.office_entry(request.form, None)
            if db.session.scalar(select(Office.id).where(Office.code == entry.get("code"))):
                raise setup_file.fail("offices[0].code", "shared_code")
            setup = setup_forms.checked([entry])
            back = url_for("staff.setup_office", office_code=entry["code"])
            return preview(setup, back, _("Check before creating the office"))
        except SetupError as error:
            return _office_page(None, None, error)
    return _office_page(None, None, None)


@bp.route("/<office_code>/admin/office", methods=["GET", "POST"])
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page("admin")
def setup_office(office: Office):
    """An office's settings and its services; a change goes to the preview."""
    current = setup_forms.one_office(office.code)
    if request.method == "POST":
        try:
            setup = setup_forms.checked([setup_forms.office_entry(request.form, current)])
            return preview(setup, request.path, _("Check before changing the office"))
        except SetupError as error:
            return _office_page(current, office, error)
    return _office_page(current, office, None)


def _service_page(office: Office, current: dict | None, error: SetupError | None):
    values = setup_forms.form_values(current, SERVICE_KEYS) if error is None else request.form
    return render_template("staff/setup_service.html", office=office, values=values, current=current,
                           **form_context(error, set(SERVICE_KEYS) | {f"hours_{d}" for d in setup_file.WEEKDAYS})
                           ), 422 if error else 200


@bp.route("/<office_code>/admin/services/new", methods=["GET", "POST"], defaults={"service_code": None})
@bp.route("/<office_code>/admin/services/<service_code>", methods=["GET", "POST"])
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page("admin")
def setup_service(office: Office, service_code: str | None):
    """A service's every setting and weekly hours (a text per weekday, breaks as gaps)."""
    entry = setup_forms.one_office(office.code)
    current = next((s for s in entry["services"] if s["code"] == service_code), None)
    if service_code is not None and current is None:
        abort(404)
    if request.method == "POST":
        try:
            service = setup_forms.service_entry(request.form, current)
            if current is None and any(s["code"] == service.get("code") for s in entry["services"]):
                raise setup_file.fail("offices[0].services[0].code", "shared_code")
            setup = setup_forms.checked([setup_forms.with_service(entry, service)])
            back = url_for("staff.setup_office", office_code=office.code)
            return preview(setup, back, _("Check before changing the service"))
        except SetupError as error:
            return _service_page(office, current, error)
    return _service_page(office, current, None)
