"""Citizen pages of the waiting list: join a full day, the entry's page (position, the offer
with its claim window), claim, leave. Thin: booking/waiting/entries.py holds every rule."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from .. import challenge, verification
from ..errors import BookingError, NotFound
from ..extensions import limiter
from ..i18n import LANGUAGES, request_lang
from ..models import Service
from ..ratelimits import ADDRESS_BACKSTOP, configured
from ..waiting import entries
from . import bp
from .flow import DAY_PAGES, precheck
from .forms import BookingForm, ConfirmForm
from .pages import error_map, load_service, parse_day, party_size


def render_join(service: Service, day, form: BookingForm, errors: dict | None = None,
                status: int = 200, **extra):
    people = party_size(service, form.people.data)
    form.people.data = str(people)
    form.size_to(people)
    return render_template("web/waiting_join.html", service=service, office=service.office, day=day,
                           form=form, people=people, errors=errors or {},
                           challenge_on=challenge.required(service.office_id, day), **extra), status


@bp.get("/wait/<office_code>/<service_code>/<day>")
@limiter.limit(DAY_PAGES)
def waiting_form(office_code: str, service_code: str, day: str):
    """The form to join the waiting list of a full day (the same details as a booking)."""
    service, day = load_service(office_code, service_code), parse_day(day)
    form = BookingForm(formdata=None, people=request.args.get("people"), lang=request_lang())
    return render_join(service, day, form)


@bp.post("/wait/<office_code>/<service_code>/<day>/code")
@limiter.limit(configured("WEB_CODE_LIMIT_PER_IP", ADDRESS_BACKSTOP))
def waiting_code(office_code: str, service_code: str, day: str):
    """Text a code to the phone typed, keeping the form."""
    service, day = load_service(office_code, service_code), parse_day(day)
    form = BookingForm()
    sms_lang = form.lang.data if form.lang.data in LANGUAGES else request_lang()
    try:
        challenge.check(request.form.get("altcha"), service.office_id, day)
        sent = verification.start_verification(form.phone.data or "", sms_lang)
        form.verification_id.data = verification.kept_codes(form.verification_id.data, sent)
    except BookingError as err:
        return render_join(service, day, form, error_map(err), err.status)
    form.code.data = ""
    return render_join(service, day, form, code_sent=True)


@bp.post("/wait/<office_code>/<service_code>/<day>")
@limiter.limit(configured("WEB_BOOKING_LIMIT_PER_IP", ADDRESS_BACKSTOP))
def waiting_join(office_code: str, service_code: str, day: str):
    """Join; any refusal shows beside its field with everything typed kept."""
    service, day = load_service(office_code, service_code), parse_day(day)
    form = BookingForm()
    errors = precheck(form)
    if errors:
        return render_join(service, day, form, errors, 422)
    try:
        joined = entries.join_list(service, day, phone=form.phone.data, visitors=form.visitor_data(),
                                   lang=form.lang.data, source="web", work=request.form.get("altcha"),
                                   verification=(form.verification_id.data, form.code.data.strip()))
    except BookingError as err:
        return render_join(service, day, form, error_map(err), err.status)
    return redirect(url_for("web.waiting_entry", reference=joined.entry.reference,
                            token=joined.token), 303)


def load_entry(reference: str, token: str):
    try:
        return entries.find_entry(reference, token)
    except NotFound:
        abort(404)


def entry_page(entry, token: str, errors: dict | None = None, status: int = 200):
    return render_template("web/waiting_entry.html", entry=entry, token=token, office=entry.office,
                           service=entry.service, position=entries.position(entry),
                           form=ConfirmForm(), errors=errors or {}), status


@bp.get("/w/<reference>/<token>")
def waiting_entry(reference: str, token: str):
    """The entry: place in line, or the place offered with the time left to claim it."""
    return entry_page(load_entry(reference, token), token)


@bp.post("/w/<reference>/<token>/claim")
@limiter.limit("30 per hour")
def waiting_claim(reference: str, token: str):
    """Claim the place offered: booked, on to the booking's page."""
    entry = load_entry(reference, token)  # the CSRF token was checked before the view
    try:
        done = entries.claim_offer(entry, source="web")
    except BookingError as err:
        return entry_page(entry, token, error_map(err), err.status)
    return redirect(url_for("web.booked", reference=done.made.reference, token=done.token), 303)


@bp.post("/w/<reference>/<token>/leave")
@limiter.limit("30 per hour")
def waiting_leave(reference: str, token: str):
    """Leave the list; an offered place passes to the next in line."""
    entry = load_entry(reference, token)  # the CSRF token was checked before the view
    try:
        entries.leave_list(entry)
    except BookingError as err:
        return entry_page(entry, token, error_map(err), err.status)
    return redirect(url_for("web.waiting_entry", reference=reference, token=token), 303)
