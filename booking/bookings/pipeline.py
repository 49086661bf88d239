"""The one pipeline every way of taking a place goes through: online, walk-in, reschedule (the
citizen's or an office's move), waiting-list join and claim, and whatever channel comes next.

The channel (channels.py) says which checks apply; the order is the same for all of them:

  1. the input made fit to judge: the language, the phone in E.164, each visitor's document
     read (its sex and birth date where the digits carry them) and hashed
  2. the guards that outlive a refusal, outside the transaction: the per-phone and per-person
     attempt limits (attempts.py), the proof of work (challenge.py)
  3. in the use case's transaction: the party's size, the service open and the slot's day not
     closed, the window (the booking window, the running slot, or a full day with its window
     open), room (a capacity cut's limit included), who may be booked together (parties.py),
     the proof that the phone is held (a code), then under lock_booker the no-show bars
     (noshows.py), one place per person and the per-phone limit (none without a mobile)
  4. the places taken in one conditional UPDATE (places.py, called from here only)

Sources of the rules: parties.py (Civil Code), rules.py (the service's settings), docs/contract.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from flask import current_app

from .. import attempts, audit, challenge, scheduling
from ..errors import InvalidLanguage, NotActive, SameSlot, UnknownSlot
from ..extensions import db
from ..i18n import LANGUAGES
from ..identity import contact_phone, mask_identity, normalize_phone
from ..models import Booking, Service, Slot, utcnow
from ..parties import check_parties
from ..uow import use_case
from ..verification import check_code, use_code
from . import noshows, places, rules
from .channels import Channel, channel
from .records import Booked, SlotSeen, VisitorInput, VisitorRow


@dataclasses.dataclass(frozen=True)
class Party:
    """The people of an attempt: as typed (`typed`: what their documents say) or as stored
    (a booking's or a waiting-list entry's rows, whose documents are kept only masked)."""

    rows: tuple[VisitorRow, ...]
    typed: tuple[VisitorInput, ...] = ()

    @property
    def hashes(self) -> list[str]:
        return [row.id_hash for row in self.rows]

    @property
    def size(self) -> int:
        return len(self.rows)


def typed_party(visitors: list) -> Party:
    """The party as typed: each visitor cleaned, read and hashed (rules.clean_visitors)."""
    people = rules.clean_visitors(visitors)
    return Party(tuple(VisitorRow(i, v.name, v.id_type, mask_identity(v.id_number), digest)
                       for i, (v, digest) in enumerate(people)), tuple(v for v, _ in people))


def stored_party(visitors) -> Party:
    """The party of stored rows (a Visitor's or a WaitingVisitor's fields)."""
    return Party(tuple(VisitorRow(v.position, v.name, v.id_type, v.id_masked, v.id_hash) for v in visitors))


def typed_phone(phone, ch: Channel | None = None) -> str:
    """The phone in E.164; on a staff channel "" stands for a landline or none (nobody is
    texted: identity.contact_phone). InvalidPhone otherwise."""
    region = current_app.config["PHONE_DEFAULT_REGION"]
    if ch is not None and ch.proof == "staff":
        return contact_phone(phone, region)
    return normalize_phone(phone, region)


def check_language(lang) -> None:
    if lang not in LANGUAGES:
        raise InvalidLanguage()


def guard(ch: Channel, phone: str, party: Party, work: str | None, *, slot: Slot | None = None,
          office_id: int | None = None, day: dt.date | None = None) -> None:
    """The channel's attempt limits and proof of work, each counted or spent whatever becomes
    of the attempt: call it outside the use case. TooManyAttempts (429), ChallengeFailed (422)."""
    if ch.attempts:
        attempts.spend(phone, party.hashes)
    if ch.work:
        challenge.check(work, office_id, day, slot=slot)


def _slot_for_work(ch: Channel, slot_id) -> Slot | None:
    """The slot a proof of work is judged for, read only when a solution may be asked for."""
    if not ch.work or not challenge.may_be_required():
        return None
    try:
        return db.session.get(Slot, int(slot_id)) if 0 < int(slot_id) < 2**63 else None
    except (TypeError, ValueError, OverflowError):
        return None


def held(ch: Channel, service: Service, slot: Slot | SlotSeen, now: dt.datetime) -> tuple[int, int]:
    """The (bookings, people) of the slot the channel may not take: the assisted reserve while
    it is kept (scheduling.assisted_held), for a channel that is not assisted."""
    return (0, 0) if ch.assisted else scheduling.assisted_held(service, slot, now)


def check_place(ch: Channel, service: Service, slot: Slot | SlotSeen, day: dt.date, party: Party,
                now: dt.datetime, closure) -> None:
    """The checks of the place itself, in the channel's window; `closure`: the one in force on
    the slot's day (the reference data's, or rules.closure_of)."""
    if ch.rules:
        rules.check_party_size(service, party.size)
    rules.check_open(service, slot, closure)
    if ch.window == "booking":
        rules.check_window(service, slot, now)
    if isinstance(slot, SlotSeen):  # read just now: a slot seen full is refused at once
        rules.check_room(slot, party.size, held(ch, service, slot, now))
    if ch.rules:
        check_parties(service.kind, list(party.typed), day)


def check_person(ch: Channel, service: Service, day: dt.date, phone: str, party: Party,
                 now: dt.datetime, *, booking_id: int | None = None, waiting: bool = False) -> None:
    """One place per person and the per-phone limit, under lock_booker (the caller's use case)."""
    rules.lock_booker(service, phone, party.hashes, day if waiting else None)
    if ch.rules:
        if booking_id is None:  # a move keeps a booking made before the bar
            noshows.check_not_barred(service, party.hashes, now)
        rules.check_identities_free(service, day, party.hashes, booking_id=booking_id)
        if booking_id is None and phone:  # "": a clerk's booking without a mobile
            rules.check_phone_limit(phone, now)


def prove(ch: Channel, verification: tuple[str, str] | None, phone: str, now: dt.datetime) -> str | None:
    """The code that proves the phone, checked (spent with the booking), on channels that ask
    for one; staff and token channels are proved by their face."""
    if ch.proof != "code":
        return None
    return check_code(*(verification or ("", "")), phone=phone, now=now)


# --- taking a new place ----------------------------------------------------------------------

def take(name: str, *, slot_id, phone, visitors: list, lang: str = "zh", source: str = "web",
         verification: tuple[str, str] | None = None, work: str | None = None,
         staff_user_id: int | None = None, now: dt.datetime | None = None) -> Booked:
    """Book a slot through channel `name` (online, walk_in, ...). Raises a BookingError; a
    use case from the guard on. `verification` (id, code) proves the phone on a "code" channel,
    `work` is the proof-of-work solution, `staff_user_id` who acted on a "staff" channel (the
    face checked their identity and scope); the audit event names them. The hot path of a
    rush: every statement is a Prepared one (tests/test_query_counts.py)."""
    ch, now = channel(name), now or utcnow()
    check_language(lang)
    phone = typed_phone(phone, ch)
    party = typed_party(visitors)
    guard(ch, phone, party, work, slot=_slot_for_work(ch, slot_id))
    return _take(ch, slot_id, phone, party, lang, source, verification, staff_user_id, now)


@use_case
def _take(ch: Channel, slot_id, phone: str, party: Party, lang: str, source: str,
          verification: tuple[str, str] | None, staff_user_id: int | None, now: dt.datetime) -> Booked:
    slot = rules.see_slot(slot_id)
    service = slot.service
    day = scheduling.local_day(service.office, slot.starts_at)
    check_place(ch, service, slot, day, party, now, slot.reference.closure_on(day))
    # The code first: whether a person or a phone already has bookings is told only to
    # someone who proved they hold the phone.
    proof = prove(ch, verification, phone, now)
    check_person(ch, service, day, phone, party, now)
    return places.place_booking(slot, ch, phone=phone, lang=lang, source=source,
                                visitors=list(party.rows), now=now, code=proof, staff_user_id=staff_user_id,
                                held=held(ch, service, slot, now))


# --- the waiting list: join, claim ------------------------------------------------------------

def join(service: Service, day: dt.date, *, phone, visitors: list, lang: str,
         verification: tuple[str, str], work: str | None, now: dt.datetime,
         write: Callable[[str, Party], object]):
    """Put a party on the waiting list of `service`'s full `day`: every rule a booking meets
    (the marriage rule included), then `write(phone, party)` (the list's own rules and row) in
    the same use case; returns what it returns."""
    ch = channel("waiting_join")
    check_language(lang)
    phone = typed_phone(phone)
    party = typed_party(visitors)
    guard(ch, phone, party, work, office_id=service.office_id, day=day)
    return _join(ch, service, day, phone, party, verification, now, write)


@use_case
def _join(ch: Channel, service: Service, day: dt.date, phone: str, party: Party,
          verification: tuple[str, str], now: dt.datetime, write):
    rules.check_party_size(service, party.size)
    rules.check_day_full(service, day, now)
    check_parties(service.kind, list(party.typed), day)
    proof = prove(ch, verification, phone, now)
    check_person(ch, service, day, phone, party, now, waiting=True)
    use_code(proof, now)
    done = write(phone, party)
    audit.record(ch.action, actor=ch.actor, office_id=service.office_id, service=service.code,
                 day=day.isoformat(), party_size=party.size)
    return done


def claim(slot: Slot, *, phone: str, visitors, lang: str, source: str, now: dt.datetime) -> Booked:
    """Book a held place for a waiting-list entry (its stored party and phone), in the caller's
    use case (waiting/entries.claim_offer): the rules that can have changed since the join."""
    ch, party = channel("waiting_claim"), stored_party(visitors)
    service = slot.service
    day = scheduling.local_day(service.office, slot.starts_at)
    check_place(ch, service, slot, day, party, now, rules.closure_of(service, slot))
    check_person(ch, service, day, phone, party, now)
    # The place was held for this entry (waiting/holds.py): the reserve does not apply to it.
    return places.place_booking(slot, ch, phone=phone, lang=lang, source=source,
                                visitors=list(party.rows), now=now)


# --- a move to another slot -------------------------------------------------------------------

def move_guard(name: str, booking: Booking, new_slot_id, work: str | None) -> None:
    """A move's attempt limits and proof of work (the booking's phone and people), outside
    the use case."""
    ch = channel(name)
    if ch.attempts or ch.work:
        guard(ch, booking.phone, stored_party(booking.visitors), work, slot=_slot_for_work(ch, new_slot_id))


def move(name: str, booking: Booking, new_slot_id, now: dt.datetime) -> Slot:
    """Take the places of a move in the new slot, after the channel's checks; the caller (a
    use case: bookings.reschedule) moves the booking and frees the old place. Returns the
    new slot; UnknownSlot (another service's), SameSlot, NotActive, and the rules' errors."""
    ch = channel(name)
    slot = rules.load_slot(new_slot_id)
    if slot.service_id != booking.service_id:
        raise UnknownSlot()
    if slot.id == booking.slot_id:
        raise SameSlot()
    if booking.status not in ("booked", "confirmed"):
        raise NotActive()
    service, party = booking.service, stored_party(booking.visitors)
    day = scheduling.local_day(service.office, slot.starts_at)
    check_place(ch, service, slot, day, party, now, rules.closure_of(service, slot))
    check_person(ch, service, day, booking.phone, party, now, booking_id=booking.id)
    places.take_places(slot.id, booking.party_size, held(ch, service, slot, now))
    return slot
