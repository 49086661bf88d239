"""The booking rules: book, confirm, cancel, reschedule.

Every operation here is a use case (booking.uow): it validates, changes the rows, adds the
outbox text and the audit event, and commits once when it is the outermost call; on any error
nothing is written. Pages, the API, SMS replies and staff screens all call these functions, so
each rule lives in one place. Every change that a race could break is one conditional UPDATE
(a status, a slot's counters, a code's use) or runs under a lock (a phone's bookings).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from . import audit, metrics, scheduling
from .errors import (
    BookingClosed,
    DuplicateVisitor,
    IdentityAlreadyBooked,
    IdentityHasActiveBooking,
    InvalidLanguage,
    InvalidVisitors,
    NotActive,
    NotFound,
    NotYetOpen,
    OfficeClosed,
    PartySizeInvalid,
    SameSlot,
    ServiceSuspended,
    SlotClosed,
    SlotFull,
    TooManyBookings,
    UnknownSlot,
)
from .extensions import db
from .i18n import LANGUAGES
from .identity import clean_name, identity_hash, mask_identity, normalize_phone, read_document, safe_text
from .links import manage_url
from .models import ACTIVE_STATUSES, Booking, IdentityClaim, Service, Slot, Visitor, utcnow
from .notify import outbox, texts
from .parties import check_parties
from .uow import use_case
from .verification import check_code, use_code
from .waiting import holds

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a counter
CANCELLABLE = ("booked", "confirmed")


@dataclass(frozen=True)
class VisitorInput:
    """A visitor as typed; once cleaned, with what the document's digits say (None: nothing)."""

    name: str
    id_type: str
    id_number: str
    birth_date: dt.date | None = None
    sex: str | None = None


@dataclass(frozen=True)
class Booked:
    booking: Booking
    token: str


# --- references and tokens ---------------------------------------------------------------

def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def manage_token(booking: Booking) -> str:
    """The booking's secret manage token (~132 bits), derived from SECRET_KEY and a random salt.

    Derived rather than only random so that later texts (reminders) can carry the link; only
    its hash is stored, and a new salt revokes every earlier link.
    """
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"manage:{booking.reference}:{booking.token_salt}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_booking(reference: str, token: str) -> Booking:
    """The booking named by reference, if the token is its own; NotFound otherwise.

    Both failures look the same, so a reference alone reveals nothing.
    """
    booking = db.session.scalars(
        select(Booking).where(Booking.reference == safe_text(reference, 12).upper())
    ).first()
    given = _token_hash(safe_text(token, 64))
    if booking is None or not hmac.compare_digest(given, booking.token_hash):
        raise NotFound()
    return booking


# --- the rules, one function each --------------------------------------------------------

def check_window(service: Service, slot: Slot, now: dt.datetime) -> None:
    opens, closes = scheduling.booking_window(service, slot)
    if now < opens:
        local = opens.astimezone(service.office.tz).strftime("%Y-%m-%d %H:%M")
        raise NotYetOpen(opens_at=local)
    if now >= closes:
        raise BookingClosed()


def check_open(service: Service, slot: Slot) -> None:
    """The service runs and the slot's day is not closed."""
    if service.suspended:
        raise ServiceSuspended()
    closure = scheduling.closure_for(service, scheduling.local_day(service.office, slot.starts_at))
    if closure is not None:  # its slots are closed too: the reason says why
        raise OfficeClosed(reason=closure.reason)
    if slot.status != "open":
        raise SlotClosed()


def check_room(slot: Slot, people: int) -> None:
    """A slot seen full is refused before the other checks: in a rush most refusals are these.
    scheduling.reserve (one conditional UPDATE) still decides who gets the places left."""
    if slot.booked_bookings + 1 > slot.max_bookings or slot.booked_people + people > slot.max_people:
        raise SlotFull()


def check_party_size(service: Service, size: int) -> None:
    if not service.party_size_min <= size <= service.party_size_max:
        raise PartySizeInvalid(min=service.party_size_min, max=service.party_size_max)


_ACTIVE_BOOKINGS_OF_PHONE = (
    select(func.count(Booking.id)).join(Slot, Booking.slot_id == Slot.id)
    .where(Booking.phone == bindparam("phone"), Booking.status.in_(ACTIVE_STATUSES),
           Slot.ends_at > bindparam("now"))
)


def check_phone_limit(phone: str, now: dt.datetime) -> None:
    """At most MAX_ACTIVE_BOOKINGS_PER_PHONE active bookings per phone, TooManyBookings beyond.

    The caller holds lock_booker, so parallel bookings of one phone count one after another."""
    limit = current_app.config["MAX_ACTIVE_BOOKINGS_PER_PHONE"]
    active = db.session.scalar(_ACTIVE_BOOKINGS_OF_PHONE, {"phone": phone, "now": now})
    if active >= limit:
        raise TooManyBookings(limit=limit)


def clean_visitors(visitors: list) -> list[tuple[VisitorInput, str]]:
    """Each visitor checked and normalised, with the keyed hash of their identity number."""
    secret = current_app.config["SECRET_KEY"]
    result, seen = [], set()
    if not isinstance(visitors, list | tuple):
        raise InvalidVisitors()
    for i, raw in enumerate(visitors):
        field = f"visitors.{i}"
        visitor = _visitor_input(raw, field)
        name = clean_name(visitor.name, f"{field}.name")
        document = read_document(visitor.id_type, visitor.id_number, field)
        digest = identity_hash(secret, document.id_type, document.number)
        if digest in seen:
            raise DuplicateVisitor(f"{field}.id_number")
        seen.add(digest)
        result.append((VisitorInput(name, document.id_type, document.number, document.birth_date,
                                    document.sex), digest))
    return result


def _visitor_input(raw, field: str) -> VisitorInput:
    """A visitor as given (a VisitorInput or a dict); any other shape is refused."""
    if isinstance(raw, VisitorInput):
        return raw
    if not isinstance(raw, dict):
        raise InvalidVisitors(field)
    return VisitorInput(raw.get("name"), raw.get("id_type"), raw.get("id_number"))


_CLAIMS_OF_PEOPLE = select(IdentityClaim.booking_id).where(
    IdentityClaim.id_hash.in_(bindparam("hashes", expanding=True)),
    IdentityClaim.service_id == bindparam("service_id"), IdentityClaim.day == bindparam("day"))
# Whatever the day: the people's claims on this service whose booking is active and to come.
_ACTIVE_CLAIMS_OF_PEOPLE = (
    select(IdentityClaim.booking_id).join(Booking, Booking.id == IdentityClaim.booking_id)
    .join(Slot, Slot.id == Booking.slot_id)
    .where(IdentityClaim.id_hash.in_(bindparam("hashes", expanding=True)),
           IdentityClaim.service_id == bindparam("service_id"),
           Booking.status.in_(ACTIVE_STATUSES), Slot.ends_at > bindparam("now")))


def check_identities_free(service: Service, day: dt.date, hashes: list[str],
                          booking_id: int | None = None) -> None:
    """One active booking per identity per service: per local day (the claim table's key holds
    it), or whatever the day where the service says so (marriage, divorce: the caller holds
    lock_booker). IdentityAlreadyBooked / IdentityHasActiveBooking (409)."""
    params = {"hashes": hashes, "service_id": service.id}
    if service.person_limit == "service":
        taken = db.session.scalars(_ACTIVE_CLAIMS_OF_PEOPLE, {**params, "now": utcnow()}).all()
        error = IdentityHasActiveBooking
    else:
        taken = db.session.scalars(_CLAIMS_OF_PEOPLE, {**params, "day": day}).all()
        error = IdentityAlreadyBooked
    if any(other != booking_id for other in taken):
        raise error()


def lock_booker(service: Service, phone: str, hashes: list[str]) -> None:
    """Serialise, until the commit, the bookings of one phone (its limit of active bookings)
    and, where the service allows one booking per person whatever the day, of the same people,
    so two racing requests cannot both count them free. PostgreSQL: transaction-scoped advisory
    locks, all taken in one statement in one order (no deadlock); SQLite already runs one
    writer at a time (BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = [f"bookings-of-phone:{phone}"]
    if service.person_limit == "service":
        keys += [f"person:{service.id}:{digest}" for digest in set(hashes)]
    db.session.execute(_LOCK_KEYS, {"keys": sorted(keys)})


# One statement for the phone and the whole party (the hot path counts statements:
# tests/test_query_counts.py).
_LOCK_KEYS = text("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k")


# The slot with its service and office in one query: every booking reads all three. Like the
# other statements of a booking, built once: building one costs about as much as running it.
_SLOT_WITH_SERVICE = (select(Slot).where(Slot.id == bindparam("slot_id"))
                      .options(joinedload(Slot.service).joinedload(Service.office)))


def _load_slot(slot_id) -> Slot:
    try:
        slot = db.session.scalars(_SLOT_WITH_SERVICE, {"slot_id": int(slot_id)}).first()
    except (TypeError, ValueError, OverflowError):
        slot = None
    if slot is None:
        raise UnknownSlot()
    return slot


def _claim_identities(booking: Booking, hashes: list[str], day: dt.date) -> None:
    for digest in hashes:
        db.session.add(IdentityClaim(id_hash=digest, service_id=booking.service_id, day=day,
                                     booking_id=booking.id))
    try:
        db.session.flush()
    except IntegrityError:
        # Another request claimed the same person between our check and our insert; the
        # use case rolls back.
        raise IdentityAlreadyBooked() from None


def text_values(booking: Booking, token: str | None = None) -> dict:
    """What every text about a booking shows: reference, local date and time, office, link."""
    return {
        "reference": booking.reference,
        "when": texts.when(booking.slot.starts_at, booking.office, booking.lang),
        "office": booking.office.name(booking.lang),
        "service": booking.service.name(booking.lang),
        "link": manage_url(booking.reference, token or manage_token(booking)),
    }


# --- operations -----------------------------------------------------------------------------

def book(**fields) -> Booked:
    """Book a slot (_book below: its arguments, errors and transaction), counted for /metrics
    as `booked` or as the code of the BookingError that refused it."""
    return metrics.count_booking_outcome(_book, **fields)


@use_case(keep_loaded=True)
def _book(*, slot_id, phone: str, visitors: list, lang: str = "zh", source: str = "web",
         verification: tuple[str, str] | None = None, now: dt.datetime | None = None) -> Booked:
    """Book a slot for visitors, texting the phone. A use case; raises a BookingError otherwise.

    `verification` (id, code) proves the phone; only staff-entered walk-ins go without one.
    """
    now = now or utcnow()
    if lang not in LANGUAGES:
        raise InvalidLanguage()
    phone = normalize_phone(phone, current_app.config["PHONE_DEFAULT_REGION"])
    people = clean_visitors(visitors)
    slot = _load_slot(slot_id)
    service = slot.service
    check_party_size(service, len(people))
    check_open(service, slot)
    if source != "walk_in":  # walk-ins take the running slot at the door (queue.walk_in)
        check_window(service, slot, now)
    check_room(slot, len(people))
    day = scheduling.local_day(service.office, slot.starts_at)
    check_parties(service.kind, [visitor for visitor, _ in people], day)
    hashes = [digest for _, digest in people]
    # The code first: whether a person or a phone already has bookings is told only to
    # someone who proved they hold the phone.
    proof = None if source == "walk_in" else check_code(*(verification or ("", "")), phone=phone, now=now)
    lock_booker(service, phone, hashes)
    check_identities_free(service, day, hashes)
    check_phone_limit(phone, now)
    if proof is not None:
        use_code(proof, now)
    visitor_rows = [
        Visitor(position=i, name=v.name, id_type=v.id_type, id_masked=mask_identity(v.id_number),
                id_hash=digest)
        for i, (v, digest) in enumerate(people)
    ]
    return place_booking(slot, phone=phone, lang=lang, source=source, visitors=visitor_rows, now=now)


def place_booking(slot: Slot, *, phone: str, lang: str, source: str, visitors: list[Visitor],
                  now: dt.datetime) -> Booked:
    """Write a booking whose rules were checked: its visitors (masked, hashed), identity
    claims, text (a walk-in's comes once admitted, from hall.walkins) and audit event, and take
    its places last. Part of the caller's use case; SlotFull or IdentityAlreadyBooked roll it
    back. book() and a waiting-list claim (waiting/entries.py) both end here."""
    service = slot.service
    booking = Booking(
        reference=new_reference(), token_salt=secrets.token_hex(8),
        # bandit B106: a placeholder, not a password; set from the token just below
        token_hash="",  # nosec B106
        slot=slot, service=service, office_id=service.office_id, phone=phone, lang=lang,
        party_size=len(visitors), source=source, created_at=now,
    )
    token = manage_token(booking)
    booking.token_hash = _token_hash(token)
    booking.visitors = visitors
    db.session.add(booking)
    db.session.flush()
    _claim_identities(booking, [v.id_hash for v in visitors],
                      scheduling.local_day(service.office, slot.starts_at))
    if source != "walk_in":  # a walk-in is texted once admitted, by hall.walkins
        outbox.enqueue("booked", phone, lang, booking, **text_values(booking, token))
    audit.record("booked", actor="staff" if source == "walk_in" else "citizen", booking=booking,
                 source=source)
    db.session.flush()
    _take_places(slot, len(visitors))
    return Booked(booking, token)


def _take_places(slot: Slot, people: int) -> None:
    """Reserve the places last, just before the commit: on PostgreSQL the popular slot's row
    stays locked from this UPDATE to the commit, so everything else is written before it.
    If the slot is full, the use case rolls the booking back."""
    scheduling.reserve(slot.id, people)
    db.session.expire(slot, ["booked_bookings", "booked_people"])  # the UPDATE changed them


def _set_status(booking: Booking, allowed: tuple[str, ...], *conditions, **values) -> None:
    """Move a booking on only from an allowed status (and any further `conditions`), in one
    conditional UPDATE; NotActive when it has moved meanwhile.

    Two racing cancels (a text and a click) cannot both release the place.
    """
    result = db.session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status.in_(allowed), *conditions)
        .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NotActive()
    db.session.refresh(booking)


@use_case
def confirm(booking: Booking, *, actor: str = "citizen") -> Booking:
    """Confirm a booked place (confirming twice changes nothing). A use case."""
    if booking.status == "confirmed":
        return booking
    _set_status(booking, ("booked",), status="confirmed", confirmed_at=utcnow())
    audit.record("confirmed", actor=actor, booking=booking)
    return booking


@use_case
def cancel(booking: Booking, *, by: str = "citizen", reason: str | None = None,
           staff_user_id: int | None = None, notify: bool = True) -> Booking:
    """Cancel, give the place back to the slot and text the citizen. A use case."""
    _set_status(booking, CANCELLABLE, status="cancelled", cancelled_at=utcnow(),
                cancelled_by=by, cancel_reason=reason, ics_sequence=booking.ics_sequence + 1)
    holds.free_place(booking.slot, booking.party_size)  # held for the waiting list, or released
    db.session.execute(delete(IdentityClaim).where(IdentityClaim.booking_id == booking.id))
    if notify:
        kind = "cancelled_by_office" if by == "office" else "cancelled"
        outbox.enqueue(kind, booking.phone, booking.lang, booking, reason=reason or "",
                       **text_values(booking))
    audit.record("cancelled", actor="staff" if staff_user_id else by, booking=booking,
                 staff_user_id=staff_user_id, by=by, reason=reason)
    return booking


@use_case
def release_unconfirmed(booking: Booking, *, deadline: dt.datetime,
                        now: dt.datetime | None = None) -> Booking:
    """Auto-release: a booking still unconfirmed at the deadline its warning named gives its
    place back to the slot, and the citizen is texted. A use case; NotActive if it was confirmed
    or cancelled meanwhile (the conditional update decides a race with a late "1")."""
    now = now or utcnow()
    _set_status(booking, ("booked",), status="cancelled", cancelled_at=now,
                cancelled_by="auto_release", cancel_reason="not confirmed",
                ics_sequence=booking.ics_sequence + 1)
    holds.free_place(booking.slot, booking.party_size, now)
    db.session.execute(delete(IdentityClaim).where(IdentityClaim.booking_id == booking.id))
    outbox.enqueue("released", booking.phone, booking.lang, booking,
                   deadline=texts.when(deadline, booking.office, booking.lang),
                   **text_values(booking))
    audit.record("released", actor="system", booking=booking, deadline=deadline)
    return booking


@use_case
def reschedule(booking: Booking, new_slot_id, *, now: dt.datetime | None = None) -> Booking:
    """Move a booking to another free slot of the same service. A use case.

    Atomic: the new place is taken before the old one is given back, in one transaction,
    so a full new slot leaves the booking exactly where it was.
    """
    now = now or utcnow()
    slot = _load_slot(new_slot_id)
    old_slot_id, old_slot = booking.slot_id, booking.slot
    if slot.service_id != booking.service_id:
        raise UnknownSlot()
    if slot.id == old_slot_id:
        raise SameSlot()
    if booking.status not in CANCELLABLE:
        raise NotActive()
    service = booking.service
    check_open(service, slot)
    check_window(service, slot, now)
    day = scheduling.local_day(service.office, slot.starts_at)
    hashes = [visitor.id_hash for visitor in booking.visitors]
    lock_booker(service, booking.phone, hashes)
    check_identities_free(service, day, hashes, booking_id=booking.id)

    scheduling.reserve(slot.id, booking.party_size)
    # Still in the slot we read: of two racing moves, one gives the old place back, not both.
    _set_status(booking, CANCELLABLE, Booking.slot_id == old_slot_id, slot_id=slot.id,
                ics_sequence=booking.ics_sequence + 1)
    holds.free_place(old_slot, booking.party_size, now)
    db.session.execute(delete(IdentityClaim).where(IdentityClaim.booking_id == booking.id))
    _claim_identities(booking, hashes, day)
    outbox.enqueue("rescheduled", booking.phone, booking.lang, booking, **text_values(booking))
    audit.record("rescheduled", actor="citizen", booking=booking, from_slot=old_slot_id,
                 to_slot=slot.id)
    return booking
