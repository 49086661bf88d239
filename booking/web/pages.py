"""What every citizen page shares: lookups that 404, error messages in the page language."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import abort
from sqlalchemy import select

from .. import bookings, date_input, scheduling
from ..errors import BookingError, NotFound
from ..extensions import db
from ..health.rules import default_rules
from ..i18n import request_lang
from ..links import ics_url
from ..models import Booking, HealthRules, Service, Slot


def closure_reason(closure) -> str:
    """A closure's reason in the page's language ("" in English when staff wrote none)."""
    return closure.reason_in(request_lang()) if closure is not None else ""


def load_service(office_code: str, service_code: str) -> Service:
    service = scheduling.find_service(office_code, service_code)
    if service is None:
        abort(404)
    return service


def load_slot(slot_id: int) -> Slot:
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    return slot


def load_booking(reference: str, token: str) -> Booking:
    """The booking, if the token is its own; the same 404 page for any other case."""
    try:
        return bookings.find_booking(reference, token)
    except NotFound:
        abort(404)


def parse_day(raw: str) -> dt.date:
    """A date in a page's URL; 404 when it is malformed or outside the served window."""
    try:
        return date_input.parse_day(raw)
    except BookingError:
        abort(404)


def party_size(service: Service, raw) -> int:
    """The party size asked for, kept inside the service's range."""
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return service.party_size_min
    return min(max(size, service.party_size_min), service.party_size_max)


def error_map(err: BookingError) -> dict[str, str]:
    """{field: message} for one domain error, in the page language ("form" when no field)."""
    return {err.field or "form": err.message(request_lang())}


def path_of(url: str) -> str:
    """The path and query of an absolute link, so page links work on whatever host serves us."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def health_path(booking: Booking, token: str) -> str:
    """The health-declaration page of a booking (served by the health area)."""
    return f"/bookings/{booking.reference}/health?token={token}"


def ics_path(booking: Booking, token: str) -> str:
    return path_of(ics_url(booking.reference, token))


def health_rules(service: Service):
    """The service's health-check rules in force, read without writing (defaults if none yet)."""

    latest = db.session.scalars(
        select(HealthRules).where(HealthRules.service_id == service.id)
        .order_by(HealthRules.version.desc()).limit(1)
    ).first()
    return latest or SimpleNamespace(**default_rules(service.kind))


def declaration_opens(booking: Booking) -> dt.datetime:
    """When the visitors can start their health declarations."""
    hours = health_rules(booking.service).window_opens_hours
    return booking.slot.starts_at - dt.timedelta(hours=hours)
