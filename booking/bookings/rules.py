"""The rules of taking a place, one function each. booking/bookings/pipeline.py decides which
of them a channel's attempt meets (booking/bookings/channels.py); nothing else should need to
call them, except pages that say early why a slot can no longer be booked."""

from __future__ import annotations

import datetime as dt
import json

from flask import current_app
from sqlalchemy import Date, String, TypeDecorator, bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from .. import reference, scheduling
from ..errors import (
    BookerBusy,
    BookingClosed,
    DuplicateVisitor,
    IdentityAlreadyBooked,
    IdentityHasActiveBooking,
    InvalidVisitors,
    NotFull,
    NotYetOpen,
    OfficeClosed,
    PartySizeInvalid,
    ServiceSuspended,
    SlotClosed,
    SlotFull,
    TooManyBookings,
    UnknownSlot,
)
from ..extensions import db
from ..identity import clean_name, identity_hash, read_document
from ..models import ACTIVE_STATUSES, Closure, Service, Slot, UTCDateTime, utcnow
from ..prepared import Prepared
from .records import SlotSeen, VisitorInput


def check_window(service: Service, slot: Slot, now: dt.datetime) -> None:
    opens, closes = scheduling.booking_window(service, slot)
    if now < opens:
        local = opens.astimezone(service.office.tz).strftime("%Y-%m-%d %H:%M")
        raise NotYetOpen(opens_at=local)
    if now >= closes:
        raise BookingClosed()


def check_open(service: Service, slot: Slot | SlotSeen, closure: Closure | None) -> None:
    """The service runs and the slot's day is not closed (`closure`: the one in force on the
    slot's day, closure_of or the reference data)."""
    check_service_runs(service)
    if closure is not None:  # its slots are closed too: the reason says why
        raise OfficeClosed(reason=closure.reason_shown)
    if slot.status != "open":
        raise SlotClosed()


def check_service_runs(service: Service) -> None:
    """ServiceSuspended (409) while the office has suspended the service."""
    if service.suspended:
        raise ServiceSuspended()


def closure_of(service: Service, slot: Slot) -> Closure | None:
    """The closure in force on the slot's local day, read from the database."""
    return scheduling.closure_for(service, scheduling.local_day(service.office, slot.starts_at))


def check_room(slot: Slot | SlotSeen, people: int, held: tuple[int, int] = (0, 0)) -> None:
    """A slot seen full (against its limits, a capacity cut's included, less the `held` places
    the channel may not take) is refused before the other checks: in a rush most refusals are
    these. One conditional UPDATE still decides who gets the places left (places.py:
    scheduling.reserve's condition)."""
    bookings_limit, people_limit = scheduling.limits(slot)
    if slot.booked_bookings + 1 + held[0] > bookings_limit or slot.booked_people + people + held[1] > people_limit:
        raise SlotFull()


def check_party_size(service: Service, size: int) -> None:
    if not service.party_size_min <= size <= service.party_size_max:
        raise PartySizeInvalid(min=service.party_size_min, max=service.party_size_max)


_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
_ACTIVE_BOOKINGS_OF_PHONE = Prepared(
    "SELECT count(b.id) FROM booking b JOIN slot s ON b.slot_id = s.id"
    # bandit B608: built from this module's constants only, never from input
    f" WHERE b.phone = :phone AND b.status IN ({_ACTIVE}) AND s.ends_at > :now",  # nosec B608
    params={"now": UTCDateTime()})


def check_phone_limit(phone: str, now: dt.datetime) -> None:
    """At most MAX_ACTIVE_BOOKINGS_PER_PHONE active bookings per phone, TooManyBookings beyond.

    The caller holds lock_booker, so parallel bookings of one phone count one after another."""
    limit = current_app.config["MAX_ACTIVE_BOOKINGS_PER_PHONE"]
    if _ACTIVE_BOOKINGS_OF_PHONE.scalar(phone=phone, now=now) >= limit:
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


class HashList(TypeDecorator):
    """The people's identity hashes as one parameter, whatever their number: an array for
    PostgreSQL (`= ANY`, which its claim key's index serves), a JSON array for SQLite."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return json.dumps(list(value)) if dialect.name == "sqlite" else list(value)


_HASHES = {"postgresql": "id_hash = ANY(CAST(:hashes AS text[]))",
           "sqlite": "id_hash IN (SELECT value FROM json_each(:hashes))"}
_CLAIMS_OF_PEOPLE = Prepared({
    dialect: "SELECT booking_id FROM identity_claim"
             # bandit B608: built from this module's constants only, never from input
             f" WHERE {hashes} AND service_id = :service_id AND day = :day"  # nosec B608
    for dialect, hashes in _HASHES.items()}, params={"day": Date(), "hashes": HashList()})
# Whatever the day: the people's claims on this service whose booking is active and to come.
_ACTIVE_CLAIMS_OF_PEOPLE = Prepared({
    dialect: "SELECT c.booking_id FROM identity_claim c JOIN booking b ON b.id = c.booking_id"
             " JOIN slot s ON s.id = b.slot_id"
             # bandit B608: built from this module's constants only, never from input
             f" WHERE c.{hashes} AND c.service_id = :service_id"  # nosec B608
             f" AND b.status IN ({_ACTIVE}) AND s.ends_at > :now"
    for dialect, hashes in _HASHES.items()}, params={"now": UTCDateTime(), "hashes": HashList()})


def check_identities_free(service: Service, day: dt.date, hashes: list[str],
                          booking_id: int | None = None) -> None:
    """One active booking per identity per service: per local day (the claim table's key holds
    it), or whatever the day where the service says so (marriage, divorce: the caller holds
    lock_booker). IdentityAlreadyBooked / IdentityHasActiveBooking (409)."""
    if service.person_limit == "service":
        taken = _ACTIVE_CLAIMS_OF_PEOPLE.all(hashes=hashes, service_id=service.id, now=utcnow())
        error = IdentityHasActiveBooking
    else:
        taken = _CLAIMS_OF_PEOPLE.all(hashes=hashes, service_id=service.id, day=day)
        error = IdentityAlreadyBooked
    if any(other != booking_id for (other,) in taken):
        raise error()


def lock_booker(service: Service, phone: str, hashes: list[str], waiting_day: dt.date | None = None) -> None:
    """Serialise, until the commit, the bookings of one phone (its limit of active bookings)
    and, where the service allows one booking per person whatever the day, of the same people,
    so two racing requests cannot both count them free; with `waiting_day`, the same people's
    joins of that day's waiting list (one live entry per person: waiting/entries.py). PostgreSQL:
    transaction-scoped advisory locks, all taken in one statement in one order (no deadlock),
    waiting at most BOOKER_LOCK_TIMEOUT_MS (5000) for a booking of the same phone or person that
    holds them: BookerBusy (503) then. The statement sets lock_timeout as SET LOCAL does, so the
    rest of this transaction waits no longer for any lock either (an outage's 503 past it:
    errors_web). SQLite already runs one writer at a time (BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = [f"bookings-of-phone:{phone}"] if phone else []  # "": no mobile, no per-phone limit
    if service.person_limit == "service":
        keys += [f"person:{service.id}:{digest}" for digest in set(hashes)]
    if waiting_day is not None:
        keys += [f"waiting:{service.id}:{waiting_day.isoformat()}:{digest}" for digest in set(hashes)]
    timeout = f"{int(current_app.config.get('BOOKER_LOCK_TIMEOUT_MS', 5000))}ms"
    try:
        _LOCK_KEYS.all(keys=sorted(keys), timeout=timeout)
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise BookerBusy() from None
        raise


# One statement for the phone and the whole party (the hot path counts statements:
# tests/test_query_counts.py); the filter sets the timeout (set_config(…, true): SET LOCAL)
# while the scan feeds the sort, before the first lock is asked for.
_LOCK_KEYS = Prepared({"postgresql": "SELECT pg_advisory_xact_lock(hashtext(k))"
                                     " FROM unnest(CAST(:keys AS text[])) AS k"
                                     " WHERE set_config('lock_timeout', :timeout, true) IS NOT NULL"
                                     " ORDER BY k"})

# The slot and the reference version in one statement; its service, office and closures come
# from the process's copy of that version (booking.reference).
_SLOT_SEEN = Prepared(
    "SELECT id, service_id, office_id, starts_at, ends_at, max_bookings, max_people, booked_bookings,"
    " booked_people, status, cut_bookings, cut_people, assisted_reserve,"
    " (SELECT version FROM reference_version WHERE id = 1) AS version"
    " FROM slot WHERE id = :slot_id",
    columns={"starts_at": UTCDateTime(), "ends_at": UTCDateTime()})


def see_slot(slot_id) -> SlotSeen:
    """The slot to book, UnknownSlot when there is none (or the id is no id)."""
    try:
        slot_id = int(slot_id)
    except (TypeError, ValueError, OverflowError):
        raise UnknownSlot() from None
    row = _SLOT_SEEN.first(slot_id=slot_id) if 0 < slot_id < 2**63 else None
    found = row and reference.service_reference(row[1], row[13] or 0)
    if not found:
        raise UnknownSlot()
    return SlotSeen(*row[:13], service=found.service, reference=found)


# A slot with its service and office, through the ORM: for operations on a stored booking.
_SLOT_WITH_SERVICE = (select(Slot).where(Slot.id == bindparam("slot_id"))
                      .options(joinedload(Slot.service).joinedload(Service.office)))


def load_slot(slot_id) -> Slot:
    try:
        slot = db.session.scalars(_SLOT_WITH_SERVICE, {"slot_id": int(slot_id)}).first()
    except (TypeError, ValueError, OverflowError):
        slot = None
    if slot is None:
        raise UnknownSlot()
    return slot


_INSERT_CLAIM = Prepared("INSERT INTO identity_claim (id_hash, service_id, day, booking_id)"
                         " VALUES (:id_hash, :service_id, :day, :booking_id)", params={"day": Date()})


def claim_identities(booking_id: int, service_id: int, hashes: list[str], day: dt.date) -> None:
    """The booking's claim on each person for the service's day (the claim table's key holds
    one per person and day); IdentityAlreadyBooked when another request took one meanwhile."""
    try:
        _INSERT_CLAIM.many([{"id_hash": digest, "service_id": service_id, "day": day,
                             "booking_id": booking_id} for digest in hashes])
    except IntegrityError:
        # Another request claimed the same person between our check and our insert; the
        # use case rolls back.
        raise IdentityAlreadyBooked() from None


def check_day_full(service: Service, day: dt.date, now: dt.datetime) -> None:
    """A waiting list is joined only for a day that is full now (its booking window open);
    otherwise why not (409): ServiceSuspended, NotFull, NotYetOpen, OfficeClosed, BookingClosed."""
    check_service_runs(service)
    summary = scheduling.day_summaries(service, day, day, now)[0]
    if summary.state == "open":
        raise NotFull()
    if summary.state == "later":
        raise NotYetOpen(opens_at=summary.opens_at.astimezone(service.office.tz).strftime("%Y-%m-%d %H:%M"))
    if summary.state == "closed":
        raise OfficeClosed(reason=summary.closure.reason_shown if summary.closure else "—")
    if summary.state != "full":
        raise BookingClosed()


