"""Bookings a clerk takes for a caller on the telephone or at the counter (docs/contract.md, third-wave additions), and
the supervisor's lifting of a no-show bar.

The booking page is steps without script: the service and the day, then a slot of that day
(each with what is left online and what is left with the assisted reserve), then the channel,
the caller's phone (a mobile gets the texts; a landline or nothing gets none) and the visitors
with their documents. The booking itself is the pipeline's (bookings.book, channel "phone" or
"counter"); a refusal says why (a no-show bar: whose and until when). Once booked, the page
shows the reference, the manage link and the QR code to read out or print on a slip.
"""

from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_login import current_user

from .. import bookings, date_input, scheduling
from ..access import TEXTING_LIMIT, staff_key, staff_page
from ..bookings import noshows
from ..errors import BookingError
from ..extensions import db, limiter
from ..i18n import LANGUAGES
from ..identity import mask_phone
from ..links import manage_url, qr_svg
from ..models import ID_TYPES, Office, Slot, utcnow
from ..offices import admin as office_admin
from . import bp
from .queue_views import report


def _day(office: Office, value: str | None) -> dt.date:
    """The day asked for (default the office's today); a malformed one shows today, said."""
    try:
        return date_input.parse_day(value) if value else scheduling.local_day(office, utcnow())
    except BookingError as error:
        report(error)
        return scheduling.local_day(office, utcnow())


def _slot(office: Office, service, value) -> Slot | None:
    """The slot chosen, if it is one of the service's in this office."""
    try:
        slot = db.session.get(Slot, int(value)) if value else None
    except (TypeError, ValueError, OverflowError):
        return None
    return slot if slot is not None and slot.service_id == service.id and slot.office_id == office.id else None


def read_visitors(rows: int) -> list[dict]:
    """The visitors of the filled rows of the form."""
    found = []
    for i in range(rows):
        name = (request.form.get(f"name{i}") or "").strip()
        number = (request.form.get(f"id_number{i}") or "").strip()
        if name or number:
            found.append({"name": name, "id_type": request.form.get(f"id_type{i}") or "resident_id",
                          "id_number": number})
    return found


def _book(slot: Slot):
    """Take the booking; the answer and its token, or None with the refusal said."""
    channel = request.form.get("channel") if request.form.get("channel") in bookings.ASSISTED else "phone"
    lang = request.form.get("caller_lang") if request.form.get("caller_lang") in LANGUAGES else "zh"
    try:
        return bookings.book(channel=channel, source=channel, slot_id=slot.id, phone=request.form.get("phone") or "",
                             visitors=read_visitors(slot.service.party_size_max), lang=lang,
                             staff_user_id=current_user.id)
    except noshows.Barred as error:
        report(error)
        return error
    except BookingError as error:
        report(error)
    return None


@bp.route("/<office_code>/book", methods=["GET", "POST"])
@limiter.limit(TEXTING_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page()
def assisted_booking(office: Office):
    """Book any open slot for a caller: choose the service and day, then the slot, then the
    caller and the visitors; on success the slip to read out or print."""
    services = office_admin.office_services(office)
    service = scheduling.office_service(office, request.values.get("service"))
    day = _day(office, request.values.get("day"))
    slots = scheduling.availability(service, day, day, assisted=True) if service else []
    slot = _slot(office, service, request.values.get("slot")) if service else None
    done = _book(slot) if request.method == "POST" and slot is not None else None
    if isinstance(done, bookings.Booked):
        booking = done.booking
        return render_template("staff/assisted_booked.html", office=office, booking=booking,
                               link=manage_url(booking.reference, done.token), qr=qr_svg(booking.reference),
                               masked_phone=mask_phone(booking.phone))
    return render_template("staff/assisted_book.html", office=office, services=services, service=service,
                           day=day, slots=slots, slot=slot, id_types=ID_TYPES, form=request.form,
                           barred=isinstance(done, noshows.Barred), caller_langs=LANGUAGES)


@bp.route("/<office_code>/no-show-bars", methods=["GET", "POST"])
@staff_page("supervisor")
def no_show_bars(office: Office):
    """A person's no-show bar on a service, looked up by their document, and its lifting with a
    reason (audited). The number typed is hashed at once and never shown or kept."""
    services = office_admin.office_services(office)
    service = scheduling.office_service(office, request.values.get("service"))
    bar, lifted, digest = None, False, None
    if request.method == "POST" and service is not None:
        try:
            digest = _person(request.form)
            bar = noshows.bars(service, [digest], utcnow()).get(digest)
            if bar is not None and request.form.get("lift") == "yes":
                noshows.lift_bar(service, digest, request.form.get("reason") or "", current_user)
                bar, lifted = None, True
        except BookingError as error:
            report(error)
    return render_template("staff/no_show_bars.html", office=office, services=services, service=service,
                           bar=bar, lifted=lifted, id_types=ID_TYPES, form=request.form, person=digest,
                           looked=request.method == "POST")


def _person(form) -> str:
    """The person's hash: from the document typed, or (the lifting form) the hash the lookup
    put in the page, so the number itself is never sent back."""
    carried = form.get("person") or ""
    if form.get("lift") == "yes" and len(carried) == 64 and all(c in "0123456789abcdef" for c in carried):
        return carried
    return noshows.person_hash(form.get("id_type"), form.get("id_number"))
