"""The booking flow: a service's days, a day's slots, visitors with a phone code, booked."""

from __future__ import annotations

import datetime as dt
import re

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import bookings, challenge, scheduling, verification
from ..bureau import steering
from ..errors import BookingError, SlotFull
from ..extensions import limiter
from ..i18n import LANGUAGES, request_lang
from ..identity import ascii_digits, clean_name, normalize_phone, read_document
from ..models import Service, Slot, utcnow
from ..ratelimits import ADDRESS_BACKSTOP, configured
from . import bp
from .forms import BookingForm
from .pages import error_map, health_rules, load_service, load_slot, parse_day, party_size

CALENDAR_DAYS = 21
ALTERNATIVES = 3
# The day pages read availability as the API's does, and are limited alike (issue 27).
DAY_PAGES = configured("WEB_AVAILABILITY_LIMIT_PER_IP", "120 per minute")


def calendar(service: Service, first: dt.date | None = None) -> list:
    """The service's next three weeks, padded to start on a Monday (None for the blanks)."""
    first = first or scheduling.local_day(service.office, utcnow())
    summaries = scheduling.day_summaries(service, first, first + dt.timedelta(days=CALENDAR_DAYS - 1))
    return [None] * first.weekday() + summaries


def closures_ahead(cells: list) -> list:
    """Each closure shown in the calendar once, with its first and last day there."""
    found: dict[int, list] = {}
    for cell in cells:
        if cell and cell.closure is not None:
            found.setdefault(cell.closure.id, [cell.closure, cell.day, cell.day])[2] = cell.day
    return list(found.values())


@bp.get("/book/<office_code>/<service_code>")
@limiter.limit(DAY_PAGES)
def service_days(office_code: str, service_code: str):
    """Step 2: the rules of the service and a calendar of its days."""
    service = load_service(office_code, service_code)
    cells = calendar(service)
    return render_template("web/service.html", service=service, office=service.office, cells=cells,
                           closures=closures_ahead(cells), rules=health_rules(service),
                           people=party_size(service, request.args.get("people")))


@bp.get("/book/<office_code>/<service_code>/<day>")
@limiter.limit(DAY_PAGES)
def day_slots(office_code: str, service_code: str, day: str):
    """Step 3: the slots of one day with the places honestly left."""
    service = load_service(office_code, service_code)
    day = parse_day(day)
    found = scheduling.service_days(service, day, day)
    summary = found.summaries[0]
    elsewhere = steering.quieter_offices(service, day) if summary.state == "full" else []
    return render_template("web/slots.html", service=service, office=service.office, day=day,
                           summary=summary, items=found.available, elsewhere=elsewhere,
                           people=party_size(service, request.args.get("people")))


def render_form(slot: Slot, form: BookingForm, errors: dict | None = None, status: int = 200, **extra):
    service = slot.service
    people = party_size(service, form.people.data)
    form.people.data = str(people)
    form.size_to(people)
    return render_template("web/form.html", slot=slot, service=service, office=slot.office, form=form,
                           people=people, errors=errors or {},
                           challenge_on=challenge.required(slot=slot), **extra), status


def posted_form(slot_id: int) -> tuple[Slot, BookingForm]:
    slot = load_slot(slot_id)
    form = BookingForm()
    size = len(form.visitors)
    # A crafted party size is the domain's to refuse (PartySizeInvalid): keep the posted count.
    form.people.data = form.people.data or str(size)
    return slot, form


@bp.get("/book/slot/<int:slot_id>")
def visitors_form(slot_id: int):
    """Step 4: who comes, the phone and its code."""
    slot = load_slot(slot_id)
    form = BookingForm(formdata=None, people=request.args.get("people"), lang=request_lang())
    errors = bookable_now(slot)  # a past or closed slot: say so, and offer no form to fill
    return render_form(slot, form, errors, unbookable=bool(errors))


def bookable_now(slot: Slot) -> dict[str, str]:
    """Say at once when a slot can no longer be booked (a stale link), by the booking rules."""
    try:
        bookings.check_open(slot.service, slot, bookings.closure_of(slot.service, slot))
        bookings.check_window(slot.service, slot, utcnow())
    except BookingError as err:
        return error_map(err)
    return {}


@bp.get("/book/slot/<int:slot_id>/code")
def code_page(slot_id: int):
    """Opening the "send code" address directly (a bookmark, a reload) leads to the form."""
    return redirect(url_for("web.visitors_form", slot_id=slot_id), 303)


@bp.post("/book/slot/<int:slot_id>/code")
@limiter.limit(configured("WEB_CODE_LIMIT_PER_IP", ADDRESS_BACKSTOP))
def send_code(slot_id: int):
    """Text a code to the phone typed, and show the same form again with everything kept."""
    slot, form = posted_form(slot_id)
    sms_lang = form.lang.data if form.lang.data in LANGUAGES else request_lang()
    try:
        challenge.check(request.form.get("altcha"), slot=slot)
        sent = verification.start_verification(form.phone.data or "", sms_lang)
        form.verification_id.data = verification.kept_codes(form.verification_id.data, sent)
    except BookingError as err:
        return render_form(slot, form, error_map(err), err.status)
    form.code.data = ""
    return render_form(slot, form, code_sent=True)


@bp.post("/book/slot/<int:slot_id>")
@limiter.limit(configured("WEB_BOOKING_LIMIT_PER_IP", ADDRESS_BACKSTOP))
def submit(slot_id: int):
    """Book the slot; any refusal shows beside its field with everything typed kept."""
    slot, form = posted_form(slot_id)
    errors = precheck(form)
    if errors:
        return render_form(slot, form, errors, 422)
    try:
        booked = bookings.book(
            slot_id=slot.id, phone=form.phone.data, visitors=form.visitor_data(), lang=form.lang.data,
            verification=(form.verification_id.data, form.code.data.strip()), source="web",
            work=request.form.get("altcha"))
    except SlotFull as err:
        return just_taken(slot, form, err)
    except BookingError as err:
        return render_form(slot, form, error_map(err), err.status)
    return redirect(url_for("web.booked", reference=booked.made.reference, token=booked.token), 303)


def precheck(form: BookingForm) -> dict[str, str]:
    """Every field error at once (book() stops at the first), by the same domain functions."""
    errors: dict[str, str] = {}
    for i, visitor in enumerate(form.visitor_data()):
        field = f"visitors.{i}"
        for check, args in ((clean_name, (visitor["name"], f"{field}.name")),
                            (read_document, (visitor["id_type"], visitor["id_number"], field))):
            try:
                check(*args)
            except BookingError as err:
                errors.update(error_map(err))
    try:
        normalize_phone(form.phone.data or "")
    except BookingError as err:
        errors.update(error_map(err))
    if not form.verification_id.data:
        errors.setdefault("code", _("Tap “Send code” first, then type the 6-digit code from the text."))
    elif not re.fullmatch(r"[0-9]{6}", ascii_digits(form.code.data, 12).strip()):
        errors["code"] = _("Type the 6-digit code from the text message.")
    return errors


def just_taken(slot: Slot, form: BookingForm, err: SlotFull):
    """The slot filled while the citizen typed: say so and offer the nearest free slots."""
    alternatives = scheduling.nearest_free(slot.service, slot.starts_at, ALTERNATIVES,
                                           people=len(form.visitors), exclude=slot.id)
    return render_form(slot, form, error_map(err), err.status, alternatives=alternatives, taken=True)
