"""What a booking is made of and known by: the visitors as typed and as stored, the slot as a
booking reads it, the booking just written, its reference and its secret manage token."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select

from .. import reference
from ..errors import NotFound
from ..extensions import db
from ..hall import arrivals
from ..identity import safe_text
from ..links import manage_url
from ..models import Booking, Office, Service, Slot

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a counter

@dataclasses.dataclass(frozen=True)
class VisitorInput:
    """A visitor as typed; once cleaned, with what the document's digits say (None: nothing)."""

    name: str
    id_type: str
    id_number: str
    birth_date: dt.date | None = None
    sex: str | None = None


@dataclasses.dataclass(frozen=True)
class VisitorRow:
    """A visitor as stored: the identity number masked and hashed, never in clear."""

    position: int
    name: str
    id_type: str
    id_masked: str
    id_hash: str


@dataclasses.dataclass(frozen=True)
class SlotSeen:
    """A slot as a booking reads it, in one statement without the ORM, with its service (and
    office) and the closures in force from the process's reference data (booking.reference)."""

    id: int
    service_id: int
    office_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    max_bookings: int
    max_people: int
    booked_bookings: int
    booked_people: int
    status: str
    cut_bookings: int | None
    cut_people: int | None
    assisted_reserve: int | None
    service: Service
    reference: reference.ServiceReference


@dataclasses.dataclass(frozen=True)
class BookingMade:
    """A booking just written (place_booking), with what its answer and its texts show: the
    same attributes as a Booking for booking_json and text_values, and nothing to reload."""

    id: int
    reference: str
    token_salt: str
    phone: str
    lang: str
    party_size: int
    source: str
    slot: Slot | SlotSeen
    service: Service
    office: Office
    visitors: tuple[VisitorRow, ...]
    created_at: dt.datetime
    status: str = "booked"
    cancelled_at: dt.datetime | None = None
    arrive_from: dt.datetime | None = None  # its arrival window (hall.arrivals), None: the slot
    arrive_until: dt.datetime | None = None

    @property
    def office_id(self) -> int:
        return self.office.id

    @property
    def service_id(self) -> int:
        return self.service.id


@dataclasses.dataclass(frozen=True)
class Booked:
    """What booking gives back: the booking as written (`made`: no reload) and its manage token.
    `booking` is the stored Booking, loaded on first use, for operations that go on with it
    (a walk-in's admission, a test)."""

    made: BookingMade
    token: str

    @functools.cached_property
    def booking(self) -> Booking:
        return db.session.get(Booking, self.made.id)


# --- references and tokens ---------------------------------------------------------------

def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def manage_token(booking: Booking) -> str:
    """The booking's secret manage token (~132 bits), derived from SECRET_KEY and a random salt.

    Derived rather than only random so that later texts (reminders) can carry the link; only
    its hash is stored, and a new salt revokes every earlier link.
    """
    return secret_token(booking.reference, booking.token_salt)


def secret_token(reference_: str, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"manage:{reference_}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_booking(reference: str, token: str) -> Booking:
    """The booking named by reference, if the token is its own; NotFound otherwise.

    Both failures look the same, so a reference alone reveals nothing.
    """
    booking = db.session.scalars(
        select(Booking).where(Booking.reference == safe_text(reference, 12).upper())
    ).first()
    given = token_hash(safe_text(token, 64))
    if booking is None or not hmac.compare_digest(given, booking.token_hash):
        raise NotFound()
    return booking


def text_values(booking: Booking, token: str | None = None) -> dict:
    """What every text about a booking shows: reference, local date and time, office, link."""
    return {
        "reference": booking.reference,
        "when": arrivals.when(booking, booking.lang),
        "office": booking.office.name(booking.lang),
        "service": booking.service.name(booking.lang),
        "link": manage_url(booking.reference, token or manage_token(booking)),
    }


