"""Supervisor pages of one office: closures, capacity and epidemic level, the audit trail."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import date_input, scheduling
from ..access import CLOSING_LIMIT, TEXTING_LIMIT, staff_key, staff_page
from ..errors import BookingError
from ..extensions import db, limiter
from ..hall import queue
from ..input_edge import parse_id
from ..models import AuditEvent, Booking, Closure, Office, Slot, StaffUser
from ..offices import admin as office_admin
from ..offices import closures as closure_rules
from . import audit_words, bp
from .queue_views import parse_day, report

AUDIT_PAGE = 100


def _date(name: str) -> dt.date:
    """A date of the form; InvalidDate or DateOutOfRange (outside the served window)."""
    return date_input.parse_day(request.form.get(name) or "", name)


def _service_or_none(office: Office, code: str | None):
    if not code:
        return None
    service = scheduling.office_service(office, code)
    if service is None:
        raise closure_rules.InvalidClosure("service")
    return service


def _closure_request(office: Office):
    """The closure form's service, first and last day (InvalidClosure when a date is missing)."""
    first, last = _date("from"), _date("to")
    if first is None or last is None:
        raise closure_rules.InvalidClosure()
    return _service_or_none(office, request.form.get("service")), first, last


@bp.route("/<office_code>/closures", methods=["GET", "POST"])
@limiter.limit(CLOSING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page("supervisor", bureau_acts=True)
def closures(office: Office):
    """Close a date range (whole office or one service) with a reason in both languages: a
    first POST shows what it would cancel, per day; only the confirming POST, carrying the
    preview's digest, closes, and only if the bookings are still those shown (else 409 with the
    new preview)."""
    preview = chosen = None
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            service, first, last = chosen = _closure_request(office)
            closure_rules.clean_reasons(form.get("reason"), form.get("reason_en"))
            if form.get("confirm") == "yes" and form.get("previewed"):
                cancelled = closure_rules.close_days(office, service, first, last, form.get("reason"),
                                                     current_user, reason_en=form.get("reason_en"),
                                                     previewed=form.get("previewed"))[1]
                flash(_("Closed. %(n)d bookings cancelled; each citizen gets a text.", n=cancelled), "ok")
                return redirect(url_for("staff.closures", office_code=office.code))
            preview = closure_rules.preview(office, service, first, last)
        except closure_rules.PreviewOutdated as error:
            report(error)
            preview, status = closure_rules.preview(office, *chosen), 409
        except BookingError as error:
            report(error)
    tomorrow = queue.today(office) + dt.timedelta(days=1)
    return render_template("staff/closures.html", office=office, tomorrow=tomorrow,
                           closures=closure_rules.closures_in_force(office), preview=preview, chosen=chosen,
                           services=office_admin.office_services(office), form=request.form), status


@bp.post("/<office_code>/closures/<int:closure_id>/reopen")
@staff_page("supervisor", bureau_acts=True)
def reopen(office: Office, closure_id: int):
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.office_id != office.id:
        abort(404)
    closure_rules.reopen(closure, current_user)
    flash(_("Re-opened: those days take bookings again."), "ok")
    return redirect(url_for("staff.closures", office_code=office.code))


@bp.post("/<office_code>/counters")
@staff_page("supervisor")
def counters(office: Office):
    """The office's counters, one a line: the queue's "call next" offers exactly these."""
    try:
        office_admin.set_counters(office, request.form.get("counters") or "", current_user)
    except BookingError as error:
        report(error)
    else:
        flash(_("Counters saved."), "ok")
    return redirect(url_for("staff.capacity", office_code=office.code))


@bp.get("/<office_code>/capacity")
@staff_page("supervisor")
def capacity(office: Office):
    """The epidemic level, the slots of a day with their limits, bookings above a limit."""
    day = parse_day(office, request.args.get("date"))
    start, end = queue.day_bounds(office, day)
    slots = db.session.scalars(select(Slot).where(Slot.office_id == office.id, Slot.starts_at >= start,
                                                  Slot.starts_at < end, Slot.status != "removed")
                               .order_by(Slot.starts_at, Slot.service_id)).all()
    reviews = office_admin.open_reviews(office)
    return render_template("staff/capacity.html", office=office, day=day, slots=slots,
                           reviews=reviews, targets={r.id: office_admin.move_targets(r) for r in reviews},
                           levels=scheduling.LEVELS, factors=scheduling.LEVEL_FACTORS)


@bp.post("/<office_code>/epidemic-level")
@staff_page("supervisor")
def epidemic_level(office: Office):
    try:
        listed = office_admin.set_level(office, request.form.get("level") or "", current_user)
    except BookingError as error:
        report(error)
    else:
        flash(_("Level set. %(n)d bookings are above the new limits: keep or move each below.",
                n=len(listed)), "ok")
    return redirect(url_for("staff.capacity", office_code=office.code))


def _int(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() and len(value) < 6 else None


@bp.post("/<office_code>/slots/<int:slot_id>/capacity")
@staff_page("supervisor")
def slot_capacity(office: Office, slot_id: int):
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.office_id != office.id:
        abort(404)
    try:
        listed = office_admin.set_slot_capacity(slot, _int("max_bookings"), _int("max_people"),
                                                current_user)
    except BookingError as error:
        report(error)
    else:
        flash(_("Capacity saved. %(n)d bookings are above it: keep or move each below.",
                n=len(listed)), "ok")
    day = scheduling.local_day(office, slot.starts_at).isoformat()
    return redirect(url_for("staff.capacity", office_code=office.code, date=day))


def _review(office: Office, review_id: int):
    review = office_admin.review_for(office, review_id)
    if review is None:
        abort(404)
    return review


@bp.post("/<office_code>/reviews/<int:review_id>/keep")
@staff_page("supervisor")
def keep(office: Office, review_id: int):
    try:
        office_admin.keep(_review(office, review_id), current_user)
    except BookingError as error:
        report(error)
    return redirect(url_for("staff.capacity", office_code=office.code))


@bp.post("/<office_code>/reviews/<int:review_id>/move")
@limiter.limit(TEXTING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page("supervisor")
def move(office: Office, review_id: int):
    try:
        review = office_admin.move(_review(office, review_id), parse_id(request.form.get("slot_id")),
                                   current_user)
    except BookingError as error:
        report(error)
    else:
        flash(_("Moved %(reference)s; the citizen gets a text.", reference=review.booking.reference), "ok")
    return redirect(url_for("staff.capacity", office_code=office.code))


@bp.get("/<office_code>/audit")
@staff_page("supervisor")
def audit_trail(office: Office):
    """The office's audit trail, newest first: who did what, when, to which booking."""
    stmt = (select(AuditEvent, StaffUser.username, Booking.reference)
            .outerjoin(StaffUser, AuditEvent.staff_user_id == StaffUser.id)
            .outerjoin(Booking, AuditEvent.booking_id == Booking.id)
            .where(AuditEvent.office_id == office.id))
    reference = (request.args.get("reference") or "").strip().upper()[:12]
    if reference:
        stmt = stmt.where(Booking.reference == reference)
    before = parse_id(request.args.get("before"))
    if before:
        stmt = stmt.where(AuditEvent.id < before)
    rows = db.session.execute(stmt.order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE)).all()
    described = audit_words.describe_all(office, [row[0] for row in rows])
    events = [(event, username, ref, detail) for (event, username, ref), detail in zip(rows, described, strict=True)]
    return render_template("staff/audit.html", office=office, events=events, reference=reference,
                           action_names=audit_words.action_names(),
                           older=rows[-1][0].id if len(rows) == AUDIT_PAGE else None)
