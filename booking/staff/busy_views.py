"""Busy days ahead (docs/contract.md, "Busy days ahead"): the notable days of the next twelve
months of an office (/staff/<office>/busy-days) or of a bureau's region
(/staff/regions/<code>/busy-days), and the popular-day plan of one day: its form, the preview of
what it changes (a dry run), then applying or undoing it on confirmation. Supervisors of the
office and administrators plan; the office's bureau reads (a plan changes capacity, which a
bureau leaves to the office, as it does the epidemic level)."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import date_input
from ..access import CLOSING_LIMIT, region_page, staff_key, staff_page
from ..bureau.regions import region_offices
from ..busy import days as busy_days
from ..busy import plans
from ..errors import BookingError
from ..extensions import limiter
from ..hall import queue
from ..i18n import request_lang
from ..models import Office, Region
from ..offices import china_calendar
from ..offices import setup as office_setup
from ..offices.hours import format_period
from . import bp
from .bureau_views import region_today
from .setup_views import PREVIEW_LIMIT

FIELDS = ("services", "capacity_percent", "assisted_reserve", "holdback_minutes", "proof_of_work", "extra_hours",
          "reason_zh", "reason_en")


@bp.context_processor
def busy_context():
    return {"format_period": format_period}


@bp.get("/<office_code>/busy-days")
@staff_page("supervisor")
def busy_days_page(office: Office):
    """The office's notable days of the next twelve months."""
    return render_template("staff/busy_days.html", office=office,
                           items=busy_days.busy_days([office], queue.today(office)))


@bp.get("/regions/<region_code>/busy-days")
@region_page()
def region_busy_days(region: Region):
    """The notable days ahead of every office of the region, by day then office."""
    return render_template("staff/busy_days.html", region=region, active="busy",
                           items=busy_days.busy_days(region_offices(region), region_today(region)))


def _day(raw: str) -> dt.date:
    try:
        return date_input.parse_day(raw, "day")
    except BookingError:
        abort(404)


def _names(day: dt.date, office: Office) -> list:
    groups = {china_calendar.notable_group(service.kind) for service in office.services}
    return china_calendar.notable_days(day, day, groups).get(day, [])


def _defaults(office: Office, day: dt.date) -> dict:
    """The form's values: the plan in force, or a suggestion for the day's notable services."""
    plan = plans.in_force(office, day)
    if plan is not None:
        return {"services": plan.service_codes, "capacity_percent": plan.capacity_percent,
                "assisted_reserve": "" if plan.assisted_reserve is None else plan.assisted_reserve,
                "holdback_minutes": plan.holdback_minutes, "proof_of_work": plan.proof_of_work,
                "extra_hours": ", ".join(plan.periods), "reason_zh": plan.reason_zh, "reason_en": plan.reason_en}
    notable = _names(day, office)
    concerned = busy_days.concerned(office, notable) or list(office.services)
    return {"services": [service.code for service in concerned], "capacity_percent": 80, "assisted_reserve": "",
            "holdback_minutes": 30, "proof_of_work": True, "extra_hours": "",
            "reason_zh": "、".join(n.name_zh for n in notable), "reason_en": ", ".join(n.name_en for n in notable)}


def _form_values() -> dict:
    values = {name: request.form.get(name, "") for name in FIELDS}
    values["services"] = request.form.getlist("services")
    values["proof_of_work"] = request.form.get("proof_of_work") in ("yes", "on")
    return values


def _plan_page(office: Office, day: dt.date, values: dict, error: BookingError | None = None):
    """The day's form; a refusal is named at the top (with a link to its field) and beside it."""
    errors = {error.field or "": error.message(request_lang())} if error else {}
    return render_template("staff/popular_day.html", office=office, day=day, notable=_names(day, office),
                           values=values, errors=errors, plan=plans.in_force(office, day),
                           settings=busy_days.day_settings(office, day),
                           passed=day <= queue.today(office)), 422 if error else 200


@bp.route("/<office_code>/busy-days/<day>", methods=["GET", "POST"])
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page("supervisor")
def popular_day(office: Office, day: str):
    """A day's plan: the form (GET), then the preview of applying it (POST, a dry run)."""
    day = _day(day)
    if request.method == "GET":
        return _plan_page(office, day, _defaults(office, day))
    try:
        wanted = plans.read_input(office, day, request.form, queue.today(office))
    except plans.PlanError as error:
        return _plan_page(office, day, _form_values(), error)
    outcome = plans.apply_plan(office, wanted, current_user, dry_run=True)
    return _preview(office, day, outcome, "apply")


def _preview(office: Office, day: dt.date, outcome: plans.Outcome, action: str, status: int = 200):
    return render_template("staff/popular_day_preview.html", office=office, day=day, outcome=outcome,
                           action=action, notable=_names(day, office), form=request.form), status


def _confirmed(office: Office, day: dt.date, run, action: str, done: str):
    """Run `run(dry_run, cancel_bookings)` as the preview showed it, then say `done` and what it did:
    when it would cancel bookings, only with the box ticked and exactly the bookings listed; else
    the preview again."""
    dry = run(True, True)
    if dry.references and (request.form.get("cancel_bookings") != "yes"
                           or dry.references != sorted(request.form.getlist("reference"))):
        flash(_("Nothing was changed: tick the box to cancel the bookings listed, or go back."), "error")
        return _preview(office, day, dry, action, 409)
    try:
        outcome = run(False, bool(dry.references))
    except office_setup.HoursTaken:
        flash(_("Nothing was changed: the day changed meanwhile. Please start again."), "error")
        return redirect(url_for("staff.popular_day", office_code=office.code, day=day.isoformat()))
    flash(done + " " + _summary(outcome), "ok")
    return redirect(url_for("staff.busy_days_page", office_code=office.code))


@bp.post("/<office_code>/busy-days/<day>/apply")
@limiter.limit(CLOSING_LIMIT, key_func=staff_key)
@staff_page("supervisor")
def popular_day_apply(office: Office, day: str):
    """Apply the plan the preview showed."""
    day = _day(day)
    try:
        wanted = plans.read_input(office, day, request.form, queue.today(office))
    except plans.PlanError as error:
        return _plan_page(office, day, _form_values(), error)
    return _confirmed(office, day, lambda dry, cancel: plans.apply_plan(
        office, wanted, current_user, dry_run=dry, cancel_bookings=cancel), "apply",
        _("The plan for %(day)s is in force.", day=day.isoformat()))


@bp.post("/<office_code>/busy-days/<day>/undo")
@limiter.limit(CLOSING_LIMIT, key_func=staff_key)
@staff_page("supervisor")
def popular_day_undo(office: Office, day: str):
    """Undo the day's plan: first the preview (a dry run), then, confirmed, all of it."""
    day = _day(day)
    try:
        if request.form.get("confirm") != "yes":
            return _preview(office, day, plans.undo_plan(office, day, current_user, dry_run=True), "undo")
        return _confirmed(office, day, lambda dry, cancel: plans.undo_plan(
            office, day, current_user, dry_run=dry, cancel_bookings=cancel), "undo",
            _("The plan for %(day)s is undone.", day=day.isoformat()))
    except plans.NotInForce as error:
        flash(error.message(request_lang()), "error")
        return redirect(url_for("staff.busy_days_page", office_code=office.code))


def _summary(outcome: plans.Outcome) -> str:
    text = _("Slots added: %(added)d; slots removed: %(removed)d.", added=outcome.slots_added,
             removed=outcome.slots_removed)
    if outcome.bookings_cancelled:
        text += " " + _("%(num)d bookings cancelled; each citizen with a mobile number gets a text.",
                        num=outcome.bookings_cancelled)
    if outcome.listed:
        text += " " + _("%(num)d bookings are above the new limit: keep or move each on the capacity page.",
                        num=len(outcome.listed))
    return text
