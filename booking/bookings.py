"""The booking rules: book, confirm, cancel, reschedule.

Every operation here is a use case (booking.uow): it validates, changes the rows, adds the
outbox text and the audit event, and commits once when it is the outermost call; on any error
nothing is written. Pages, the API, SMS replies and staff screens all call these functions, so
each rule lives in one place. Every change that a race could break is one conditional UPDATE
(a status, a slot's counters, a code's use) or runs under a lock (a phone's bookings).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import json
import secrets

from flask import current_app
from sqlalchemy import Date, String, TypeDecorator, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from . import audit, metrics, reference, scheduling
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
    VerificationFailed,
)
from .extensions import db
from .i18n import LANGUAGES
from .identity import clean_name, identity_hash, mask_identity, normalize_phone, read_document, safe_text
from .links import manage_url
from .models import ACTIVE_STATUSES, Booking, Closure, IdentityClaim, Office, Service, Slot, UTCDateTime, utcnow
from .notify import outbox, texts
from .parties import check_parties
from .prepared import Prepared
from .uow import use_case
from .verification import check_code, use_code
from .waiting import holds

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at a counter
CANCELLABLE = ("booked", "confirmed")


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
    return _manage_token(booking.reference, booking.token_salt)


def _manage_token(reference_: str, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"manage:{reference_}:{salt}".encode(), hashlib.sha256).digest()
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


def check_open(service: Service, slot: Slot | SlotSeen, closure: Closure | None) -> None:
    """The service runs and the slot's day is not closed (`closure`: the one in force on the
    slot's day, closure_of or the reference data)."""
    if service.suspended:
        raise ServiceSuspended()
    if closure is not None:  # its slots are closed too: the reason says why
        raise OfficeClosed(reason=closure.reason_shown)
    if slot.status != "open":
        raise SlotClosed()


def closure_of(service: Service, slot: Slot) -> Closure | None:
    """The closure in force on the slot's local day, read from the database."""
    return scheduling.closure_for(service, scheduling.local_day(service.office, slot.starts_at))


def check_room(slot: Slot, people: int) -> None:
    """A slot seen full is refused before the other checks: in a rush most refusals are these.
    One conditional UPDATE still decides who gets the places left (scheduling.reserve, or the
    same condition inside the booking's one statement on PostgreSQL: place_booking)."""
    if slot.booked_bookings + 1 > slot.max_bookings or slot.booked_people + people > slot.max_people:
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
    _LOCK_KEYS.all(keys=sorted(keys))


# One statement for the phone and the whole party (the hot path counts statements:
# tests/test_query_counts.py).
_LOCK_KEYS = Prepared({"postgresql": "SELECT pg_advisory_xact_lock(hashtext(k))"
                                     " FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k"})

# The slot and the reference version in one statement; its service, office and closures come
# from the process's copy of that version (booking.reference).
_SLOT_SEEN = Prepared(
    "SELECT id, service_id, office_id, starts_at, ends_at, max_bookings, max_people, booked_bookings,"
    " booked_people, status, (SELECT version FROM reference_version WHERE id = 1) AS version"
    " FROM slot WHERE id = :slot_id",
    columns={"starts_at": UTCDateTime(), "ends_at": UTCDateTime()})


def _see_slot(slot_id) -> SlotSeen:
    """The slot to book, UnknownSlot when there is none (or the id is no id)."""
    try:
        slot_id = int(slot_id)
    except (TypeError, ValueError, OverflowError):
        raise UnknownSlot() from None
    row = _SLOT_SEEN.first(slot_id=slot_id) if 0 < slot_id < 2**63 else None
    found = row and reference.service_reference(row[1], row[10] or 0)
    if not found:
        raise UnknownSlot()
    return SlotSeen(*row[:10], service=found.service, reference=found)


# A slot with its service and office, through the ORM: for operations on a stored booking.
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


_INSERT_CLAIM = Prepared("INSERT INTO identity_claim (id_hash, service_id, day, booking_id)"
                         " VALUES (:id_hash, :service_id, :day, :booking_id)", params={"day": Date()})


def _claim_identities(booking_id: int, service_id: int, hashes: list[str], day: dt.date) -> None:
    try:
        _INSERT_CLAIM.many([{"id_hash": digest, "service_id": service_id, "day": day,
                             "booking_id": booking_id} for digest in hashes])
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


@use_case
def _book(*, slot_id, phone: str, visitors: list, lang: str = "zh", source: str = "web",
          verification: tuple[str, str] | None = None, now: dt.datetime | None = None) -> Booked:
    """Book a slot for visitors, texting the phone. A use case; raises a BookingError otherwise.

    `verification` (id, code) proves the phone; only staff-entered walk-ins go without one.
    The hot path of a rush: every statement is a Prepared one (tests/test_query_counts.py).
    """
    now = now or utcnow()
    if lang not in LANGUAGES:
        raise InvalidLanguage()
    phone = normalize_phone(phone, current_app.config["PHONE_DEFAULT_REGION"])
    people = clean_visitors(visitors)
    slot = _see_slot(slot_id)
    service = slot.service
    day = scheduling.local_day(service.office, slot.starts_at)
    check_party_size(service, len(people))
    check_open(service, slot, slot.reference.closure_on(day))
    if source != "walk_in":  # walk-ins take the running slot at the door (queue.walk_in)
        check_window(service, slot, now)
    check_room(slot, len(people))
    check_parties(service.kind, [visitor for visitor, _ in people], day)
    hashes = [digest for _, digest in people]
    # The code first: whether a person or a phone already has bookings is told only to
    # someone who proved they hold the phone.
    proof = None if source == "walk_in" else check_code(*(verification or ("", "")), phone=phone, now=now)
    lock_booker(service, phone, hashes)
    check_identities_free(service, day, hashes)
    check_phone_limit(phone, now)
    rows = [VisitorRow(i, v.name, v.id_type, mask_identity(v.id_number), digest)
            for i, (v, digest) in enumerate(people)]
    return place_booking(slot, phone=phone, lang=lang, source=source, visitors=rows, now=now, code=proof)


_INSERT_BOOKING = Prepared(
    "INSERT INTO booking (reference, token_salt, token_hash, slot_id, service_id, office_id, phone,"
    " lang, party_size, status, source, created_at, updated_at, ics_sequence) VALUES (:reference,"
    " :token_salt, :token_hash, :slot_id, :service_id, :office_id, :phone, :lang, :party_size,"
    " 'booked', :source, :now, :now, 0) RETURNING id",
    params={"now": UTCDateTime()})
_INSERT_VISITOR = Prepared(
    "INSERT INTO visitor (booking_id, position, name, id_type, id_masked, id_hash)"
    " VALUES (:booking_id, :position, :name, :id_type, :id_masked, :id_hash)")


# PostgreSQL: the booking's writes in one statement (data-modifying WITH queries, PostgreSQL's
# documentation 7.8.4). The places are taken first, with scheduling.reserve's condition, and
# every row hangs on that UPDATE: a full slot writes nothing and the statement returns no id.
_WRITE_BOOKING = Prepared({"postgresql": """
WITH places AS (
  UPDATE slot SET booked_bookings = booked_bookings + 1, booked_people = booked_people + :party_size
  WHERE id = :slot_id AND status = 'open' AND booked_bookings + 1 <= max_bookings
    AND booked_people + :party_size <= max_people
  RETURNING id),
booking_row AS (
  INSERT INTO booking (reference, token_salt, token_hash, slot_id, service_id, office_id, phone, lang,
                       party_size, status, source, created_at, updated_at, ics_sequence)
  SELECT :reference, :token_salt, :token_hash, places.id, :service_id, :office_id, :phone, :lang,
         :party_size, 'booked', :source, :now, :now, 0 FROM places
  RETURNING id),
people AS (
  SELECT * FROM jsonb_to_recordset(CAST(:visitors AS jsonb))
    AS p(position int, name text, id_type text, id_masked text, id_hash text)),
visitor_rows AS (
  INSERT INTO visitor (booking_id, position, name, id_type, id_masked, id_hash)
  SELECT booking_row.id, people.position, people.name, people.id_type, people.id_masked, people.id_hash
  FROM booking_row, people),
claim_rows AS (
  INSERT INTO identity_claim (id_hash, service_id, day, booking_id)
  SELECT people.id_hash, :service_id, :day, booking_row.id FROM booking_row, people),
text_row AS (
  INSERT INTO sms_message (booking_id, phone, lang, kind, params, sealed, status, attempts,
                           next_attempt_at, created_at, updated_at)
  SELECT booking_row.id, :phone, :lang, :text_kind, :text_params, :text_sealed, 'pending', 0,
         :written, :written, :written FROM booking_row WHERE :texted),
event_row AS (
  INSERT INTO audit_event (at, actor, staff_user_id, office_id, booking_id, action, detail)
  SELECT :written, :actor, NULL, :office_id, booking_row.id, :action, :detail FROM booking_row),
code_use AS (
  UPDATE phone_verification SET used_at = :now WHERE id = :code AND used_at IS NULL RETURNING id)
SELECT id, (SELECT count(*) FROM code_use) FROM booking_row"""},
    params={"now": UTCDateTime(), "written": UTCDateTime(), "day": Date()})


def place_booking(slot: Slot | SlotSeen, *, phone: str, lang: str, source: str,
                  visitors: list[VisitorRow], now: dt.datetime, code: str | None = None) -> Booked:
    """Write a booking whose rules were checked: its visitors (masked, hashed), identity
    claims, text (a walk-in's comes once admitted, from hall.walkins) and audit event, and its
    places; `code`, a verification check_code proved, is marked used with them
    (verification.use_code). Part of the caller's use case; SlotFull, IdentityAlreadyBooked or
    VerificationFailed roll it back. book() and a waiting-list claim (waiting/entries.py) both
    end here.

    Written with Prepared statements, not the ORM: on PostgreSQL in one statement, on SQLite
    one after another (it has no writing WITH queries), the places last. The answer carries a
    BookingMade; an operation that goes on with the stored Booking uses Booked.booking.
    """
    service, office = slot.service, slot.service.office
    reference_, salt = new_reference(), secrets.token_hex(8)
    token = _manage_token(reference_, salt)
    day = scheduling.local_day(office, slot.starts_at)
    row = {"reference": reference_, "token_salt": salt, "token_hash": _token_hash(token),
           "slot_id": slot.id, "service_id": service.id, "office_id": office.id, "phone": phone,
           "lang": lang, "party_size": len(visitors), "source": source, "now": now}
    made = functools.partial(BookingMade, reference=reference_, token_salt=salt, phone=phone, lang=lang,
                             party_size=len(visitors), source=source, slot=slot, service=service,
                             office=office, visitors=tuple(visitors), created_at=now)
    booking = made(id=0)
    # The id comes from the insert; 0 stands for "a booking's text" (its link is not stored).
    text = (outbox.message_values("booked", phone, lang, 0, **text_values(booking, token))
            if source != "walk_in" else None)  # a walk-in is texted once admitted, by hall.walkins
    event = audit.event_values("booked", actor="staff" if source == "walk_in" else "citizen",
                               booking_id=0, office_id=office.id, source=source)
    written = utcnow()  # the text's and the event's own time (`now` may be a test's or the door's)
    write = _write_at_once if db.session.get_bind().dialect.name == "postgresql" else _write_in_steps
    try:
        booking_id = write(row, visitors, day, text, event, written, code)
    except IntegrityError:
        # Another request claimed the same person between our check and our insert; the
        # use case rolls back.
        raise IdentityAlreadyBooked() from None
    if isinstance(slot, Slot):
        db.session.expire(slot, ["booked_bookings", "booked_people"])  # the places changed
    return Booked(made(id=booking_id), token)


def _write_at_once(row: dict, visitors: list[VisitorRow], day: dt.date, text: dict | None,
                   event: dict, written: dt.datetime, code: str | None) -> int:
    people = json.dumps([vars(v) for v in visitors], ensure_ascii=False)
    text = text or {"kind": None, "params": None, "sealed": None}
    written_row = _WRITE_BOOKING.first(
        **row, visitors=people, day=day, texted=bool(text["kind"]), text_kind=text["kind"],
        text_params=text["params"], text_sealed=text["sealed"], written=written,
        actor=event["actor"], action=event["action"], detail=event["detail"], code=code)
    if written_row is None:
        raise SlotFull()
    booking_id, codes_used = written_row
    if code is not None and codes_used != 1:  # check_code holds its row: only a bug gets here
        raise VerificationFailed()
    return booking_id


def _write_in_steps(row: dict, visitors: list[VisitorRow], day: dt.date, text: dict | None,
                    event: dict, written: dt.datetime, code: str | None) -> int:
    if code is not None:
        use_code(code, row["now"])
    booking_id = _INSERT_BOOKING.scalar(**row)
    _INSERT_VISITOR.many([{"booking_id": booking_id, **vars(v)} for v in visitors])
    _claim_identities(booking_id, row["service_id"], [v.id_hash for v in visitors], day)
    if text is not None:
        outbox.insert({**text, "booking_id": booking_id}, written)
    audit.insert({**event, "booking_id": booking_id}, written)
    scheduling.reserve(row["slot_id"], row["party_size"])  # last: SQLite runs one writer at a time
    return booking_id


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
    check_open(service, slot, closure_of(service, slot))
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
    _claim_identities(booking.id, booking.service_id, hashes, day)
    outbox.enqueue("rescheduled", booking.phone, booking.lang, booking, **text_values(booking))
    audit.record("rescheduled", actor="citizen", booking=booking, from_slot=old_slot_id,
                 to_slot=slot.id)
    return booking
