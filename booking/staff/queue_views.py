"""The day's queue pages: list and search, check-in at the door, counters, walk-ins, QR scan.

Thin views: each loads, checks access (staff_page), calls one domain function and redirects
back with a message in the clerk's language.
"""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import date_input
from ..access import staff_page
from ..errors import BookingError
from ..hall import queue
from ..hall.door import check_in as door_check_in
from ..hall.door import latest_refusals
from ..health import visitor_statuses_many
from ..i18n import request_lang
from ..models import Office
from . import bp, words


def status_names() -> dict[str, str]:
    return {"booked": _("Booked"), "confirmed": _("Confirmed"), "checked_in": _("Checked in"),
            "called": _("Called"), "completed": _("Completed"), "cancelled": _("Cancelled"),
            "no_show": _("No-show")}


def back_to_queue(office: Office):
    target = url_for("staff.queue", office_code=office.code, q=request.form.get("q") or None,
                     date=request.form.get("date") or None)
    return redirect(target)


def report(error: BookingError) -> None:
    flash(error.message(request_lang()), "error")


def parse_day(office: Office, value: str | None) -> dt.date:
    """The date asked for (default today); a malformed one, or one outside the served window,
    shows today with a message."""
    if not value:
        return queue.today(office)
    try:
        return date_input.parse_day(value)
    except BookingError as error:
        report(error)
        return queue.today(office)


@bp.get("/<office_code>/queue", endpoint="queue")
@staff_page()
def queue_page(office: Office):
    """Every booking of the day by slot, with search, door check-in and counter actions."""

    day = parse_day(office, request.args.get("date"))
    query = (request.args.get("q") or "").strip()[:40]
    rows = queue.day_bookings(office, day, query)
    return render_template(
        "staff/queue.html", office=office, day=day, query=query, rows=rows,
        health=visitor_statuses_many(rows), crowding=queue.crowding(office),
        stays=queue.stays(office), calling=queue.calling(office)[:6],
        waiting=queue.waiting(office), today=queue.today(office),
        grace_delta=dt.timedelta(minutes=queue.grace_minutes()), now=queue.utcnow(),
        status_names=status_names(), undoable={b.id for b in rows if queue.can_undo_no_show(b)},
        chosen_counter=session.get(_counter_key(office), request.args.get("counter", "")),
        refusals=latest_refusals(rows), refusal_names=words.refusal_names(),
    )


def _counter_key(office: Office) -> str:
    """Where this staff session keeps the counter it calls to, per office."""
    return f"counter:{office.code}"



@bp.post("/<office_code>/check-in")
@staff_page()
def check_in(office: Office):
    """Door check-in of a booking typed or scanned: the door's rule decides; we show why not."""

    try:
        booking = queue.booking_in_office(office, request.form.get("reference"))
        booking = door_check_in(booking, request.form.getlist("temperature"), current_user)
    except BookingError as error:
        report(error)
    else:
        flash(_("Checked in: ticket %(ticket)s.", ticket=booking.ticket), "ok")
    return back_to_queue(office)


@bp.post("/<office_code>/call-next")
@staff_page()
def call_next(office: Office):
    """Call the next ticket to the counter chosen; the session keeps the choice for the next
    call (a counter refused is not kept)."""
    try:
        booking = queue.call_next(office, request.form.get("counter"), current_user)
    except queue.InvalidCounter as error:
        report(error)
    except BookingError as error:
        session[_counter_key(office)] = str(request.form.get("counter", "")).strip()
        report(error)
    else:
        session[_counter_key(office)] = booking.counter
        flash(_("Ticket %(ticket)s called to %(counter)s.", ticket=booking.ticket,
                counter=words.counter_label(booking.counter)), "ok")
    return back_to_queue(office)


def _booking_action(office: Office, reference: str, action, done: str):
    try:
        booking = action(queue.booking_in_office(office, reference), current_user)
    except BookingError as error:
        report(error)
    else:
        flash(done % {"ticket": booking.ticket or booking.reference}, "ok")
    return back_to_queue(office)


@bp.post("/<office_code>/bookings/<reference>/complete")
@staff_page()
def complete(office: Office, reference: str):
    return _booking_action(office, reference, queue.complete, _("%(ticket)s completed."))


@bp.route("/<office_code>/bookings/<reference>/no-show", methods=["GET", "POST"])
@staff_page()
def no_show(office: Office, reference: str):
    """Ask first (GET: who, which slot); only the confirming POST marks the no-show."""
    if request.method == "POST" and request.form.get("confirm") == "yes":
        return _booking_action(office, reference, queue.no_show,
                               _("%(ticket)s marked as not come. You can undo this for %(m)d minutes.",
                                 ticket="%(ticket)s", m=queue.grace_minutes()))
    try:
        booking = queue.booking_in_office(office, reference)
    except BookingError as error:
        report(error)
        return back_to_queue(office)
    return render_template("staff/no_show.html", office=office, booking=booking,
                           query=request.values.get("q") or "", grace=queue.grace_minutes())


@bp.post("/<office_code>/bookings/<reference>/undo-no-show")
@staff_page()
def undo_no_show(office: Office, reference: str):
    return _booking_action(office, reference, queue.undo_no_show,
                           _("%(ticket)s is no longer a no-show: it can check in."))


@bp.post("/<office_code>/bookings/<reference>/recall")
@staff_page()
def recall(office: Office, reference: str):
    return _booking_action(office, reference, queue.recall, _("%(ticket)s called again."))


@bp.get("/<office_code>/scan")
@staff_page()
def scan(office: Office):
    """Check-in by QR code (the camera, where the browser allows) or by typing the reference."""
    return render_template("staff/scan.html", office=office)
