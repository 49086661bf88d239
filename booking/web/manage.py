"""Booked and manage pages, from the link in the text: /m/<reference>/<token>.

The token stays in the address (never in a cookie); a wrong reference or token gives the same
404 page as a booking that does not exist.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import bookings, challenge, scheduling
from ..errors import BookingError, SlotFull
from ..extensions import db, limiter
from ..i18n import request_lang
from ..identity import mask_phone
from ..links import qr_svg
from ..models import Booking, utcnow
from ..sms.compose import page_reply_way
from . import bp
from .flow import ALTERNATIVES, calendar
from .forms import ConfirmForm, RescheduleForm
from .pages import declaration_opens, error_map, health_path, ics_path, load_booking, parse_day

LOOKUPS = "120 per hour"  # the token cannot be guessed; this only keeps scanners slow
CHANGES = "30 per hour"


def booking_context(booking: Booking, token: str) -> dict:
    return dict(booking=booking, token=token, slot=booking.slot, service=booking.service,
                office=booking.office, ics=ics_path(booking, token), health=health_path(booking, token),
                phone=mask_phone(booking.phone), can_change=booking.status in bookings.CANCELLABLE,
                reply_way=page_reply_way(current_app.config, booking.phone),
                health_opens=declaration_opens(booking), health_open=declaration_opens(booking) <= utcnow(),
                confirm_form=ConfirmForm())


def no_store(response):
    # The address carries the token: keep it out of caches and out of other sites' Referer
    # headers (same-origin, not no-referrer: CSRF checks the Referer of HTTPS form posts).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get("/m/<reference>/<token>/booked")
@limiter.limit(LOOKUPS)
def booked(reference: str, token: str):
    """Step 5: the reference, its QR code, what happens next."""
    booking = load_booking(reference, token)
    return render_template("web/booked.html", qr=qr_svg(booking.reference), **booking_context(booking, token))


@bp.get("/m/<reference>/<token>")
@limiter.limit(LOOKUPS)
def manage(reference: str, token: str):
    """The booking as it stands, with cancel, reschedule and the calendar file."""
    booking = load_booking(reference, token)
    return render_template("web/manage.html", qr=qr_svg(booking.reference), **booking_context(booking, token))


@bp.route("/m/<reference>/<token>/cancel", methods=["GET", "POST"])
@limiter.limit(CHANGES, methods=["POST"])
@limiter.limit(LOOKUPS, methods=["GET"])
def cancel(reference: str, token: str):
    """Cancel, after a confirmation step."""
    booking = load_booking(reference, token)
    form = ConfirmForm()
    errors = {}
    if request.method == "POST":
        try:
            bookings.cancel(booking, by="citizen")
        except BookingError as err:
            errors = error_map(err)
        else:
            flash(_("Your booking is cancelled. The place is free for someone else."), "ok")
            return redirect(url_for("web.manage", reference=booking.reference, token=token), 303)
    return render_template("web/cancel.html", form=form, errors=errors,
                           **booking_context(booking, token)), 409 if errors else 200


@bp.post("/m/<reference>/<token>/confirm")
@limiter.limit(CHANGES)
def confirm(reference: str, token: str):
    """Confirm that the citizen will come (as replying 1 to the text does)."""
    booking = load_booking(reference, token)
    try:
        bookings.confirm(booking, actor="citizen")
    except BookingError as err:
        flash(err.message(request_lang()), "bad")
    else:
        flash(_("Thank you: your booking is confirmed."), "ok")
    return redirect(url_for("web.manage", reference=booking.reference, token=token), 303)


@bp.route("/m/<reference>/<token>/reschedule", methods=["GET", "POST"])
@limiter.limit(CHANGES, methods=["POST"])
@limiter.limit(LOOKUPS, methods=["GET"])
def reschedule(reference: str, token: str):
    """Choose another free slot of the same service; a full one leaves the booking as it was."""
    booking = load_booking(reference, token)
    form = RescheduleForm()
    if request.method == "POST":
        try:
            bookings.reschedule(booking, form.slot_id.data, work=request.form.get("altcha"))
        except BookingError as err:
            return reschedule_page(booking, token, form, error_map(err), err.status,
                                   taken=isinstance(err, SlotFull))
        flash(_("Your booking is moved. A text with the new time is on its way."), "ok")
        return redirect(url_for("web.manage", reference=booking.reference, token=token), 303)
    return reschedule_page(booking, token, form)


def reschedule_page(booking: Booking, token: str, form: RescheduleForm, errors: dict | None = None,
                    status: int = 200, taken: bool = False):
    db.session.refresh(booking)
    service = booking.service
    raw_day = request.values.get("day")
    day = parse_day(raw_day) if raw_day else None
    items = [item for item in scheduling.availability(service, day, day) if item.slot.id != booking.slot_id] \
        if day else []
    alternatives = scheduling.nearest_free(service, booking.slot.starts_at, ALTERNATIVES,
                                           people=booking.party_size, exclude=booking.slot_id) if taken else []
    # A move into a popular day meets the proof of work as a booking does (the pipeline's channel).
    challenge_on = bool(items or alternatives) and challenge.required(booking.office_id, day)
    return render_template("web/reschedule.html", form=form, errors=errors or {}, day=day, items=items,
                           challenge_on=challenge_on,
                           cells=calendar(service), alternatives=alternatives, taken=taken,
                           day_link=lambda cell: url_for("web.reschedule", reference=booking.reference,
                                                         token=token, day=cell.day.isoformat()),
                           **booking_context(booking, token)), status


@bp.after_request
def private_pages(response):
    """Pages under /m/ carry the manage token in their address."""
    if request.path.startswith("/m/"):
        no_store(response)
    return response
