"""The statements that take a slot's places and write a booking: only the pipeline
(booking/bookings/pipeline.py) calls them, once it has checked the channel's rules
(tests/test_architecture.py holds that)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets

from sqlalchemy import Date
from sqlalchemy.exc import IntegrityError

from .. import audit, scheduling
from ..errors import IdentityAlreadyBooked, SlotFull, VerificationFailed
from ..extensions import db
from ..hall import arrivals
from ..models import Slot, UTCDateTime, utcnow
from ..notify import outbox
from ..prepared import Prepared
from ..verification import use_code
from . import rules
from .channels import Channel
from .records import Booked, BookingMade, SlotSeen, VisitorRow, new_reference, secret_token, text_values, token_hash

_INSERT_BOOKING = Prepared(
    "INSERT INTO booking (reference, token_salt, token_hash, slot_id, service_id, office_id, phone,"
    " lang, party_size, status, source, created_at, updated_at, ics_sequence, arrive_from, arrive_until)"
    " VALUES (:reference, :token_salt, :token_hash, :slot_id, :service_id, :office_id, :phone, :lang,"
    " :party_size, 'booked', :source, :now, :now, 0, :arrive_from, :arrive_until) RETURNING id",
    params={"now": UTCDateTime(), "arrive_from": UTCDateTime(), "arrive_until": UTCDateTime()})
_INSERT_VISITOR = Prepared(
    "INSERT INTO visitor (booking_id, position, name, id_type, id_masked, id_hash)"
    " VALUES (:booking_id, :position, :name, :id_type, :id_masked, :id_hash)")


# PostgreSQL: the booking's writes in one statement (data-modifying WITH queries, PostgreSQL's
# documentation 7.8.4). The places are taken first, with scheduling.reserve's condition (the
# channel's allowance: what it may not take of the assisted reserve), and
# every row hangs on that UPDATE: a full slot writes nothing and the statement returns no id.
_WRITE_BOOKING_SQL = """
WITH places AS (
  UPDATE slot SET booked_bookings = booked_bookings + 1, booked_people = booked_people + :party_size
  WHERE id = :slot_id AND __PLACES_CONDITION__
  RETURNING id),
booking_row AS (
  INSERT INTO booking (reference, token_salt, token_hash, slot_id, service_id, office_id, phone, lang,
                       party_size, status, source, created_at, updated_at, ics_sequence, arrive_from,
                       arrive_until)
  SELECT :reference, :token_salt, :token_hash, places.id, :service_id, :office_id, :phone, :lang,
         :party_size, 'booked', :source, :now, :now, 0, :arrive_from, :arrive_until FROM places
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
  SELECT :written, :actor, CAST(:staff_user_id AS integer), :office_id, booking_row.id, :action, :detail
  FROM booking_row),
code_use AS (
  UPDATE phone_verification SET used_at = :now WHERE id = :code AND used_at IS NULL RETURNING id)
SELECT id, (SELECT count(*) FROM code_use) FROM booking_row"""
# scheduling's constant condition, spelled with this statement's parameter: no input in the SQL.
_WRITE_BOOKING = Prepared({"postgresql": _WRITE_BOOKING_SQL.replace(
    "__PLACES_CONDITION__", scheduling.PLACES_CONDITION.replace(":people", ":party_size"))},
    params={"now": UTCDateTime(), "written": UTCDateTime(), "day": Date(), "arrive_from": UTCDateTime(),
            "arrive_until": UTCDateTime()})


def place_booking(slot: Slot | SlotSeen, ch: Channel, *, phone: str, lang: str, source: str,
                  visitors: list[VisitorRow], now: dt.datetime, code: str | None = None,
                  staff_user_id: int | None = None, held: tuple[int, int] = (0, 0)) -> Booked:
    """Write a booking whose rules were checked: its visitors (masked, hashed), identity
    claims, text (a walk-in's comes once admitted, from hall.walkins) and audit event, its
    arrival window (hall.arrivals.choose; a walk-in is already at the door) and its places;
    `code`, a verification check_code proved, is marked used with them (verification.use_code).
    Part of the caller's use case; SlotFull, IdentityAlreadyBooked or VerificationFailed roll it
    back. The channel `ch` says whether the citizen is texted now and who acted
    (`staff_user_id`: the staff member of a staff channel, in the audit event); `held` the
    (bookings, people) of the slot it may not take (the assisted reserve, for a channel that is
    not assisted: scheduling.assisted_held). Only the pipeline calls it.

    Written with Prepared statements, not the ORM: on PostgreSQL in one statement, on SQLite
    one after another (it has no writing WITH queries), the places last. The answer carries a
    BookingMade; an operation that goes on with the stored Booking uses Booked.booking.
    """
    service, office = slot.service, slot.service.office
    reference_, salt = new_reference(), secrets.token_hex(8)
    token = secret_token(reference_, salt)
    day = scheduling.local_day(office, slot.starts_at)
    arrive_from, arrive_until = (arrivals.choose(slot, service.arrival_windows)
                                 if source != "walk_in" else None) or (None, None)
    row = {"reference": reference_, "token_salt": salt, "token_hash": token_hash(token),
           "slot_id": slot.id, "service_id": service.id, "office_id": office.id, "phone": phone,
           "lang": lang, "party_size": len(visitors), "source": source, "now": now,
           "arrive_from": arrive_from, "arrive_until": arrive_until}
    allowance = {"held_bookings": held[0], "held_people": held[1]}
    made = functools.partial(BookingMade, reference=reference_, token_salt=salt, phone=phone, lang=lang,
                             party_size=len(visitors), source=source, slot=slot, service=service,
                             office=office, visitors=tuple(visitors), created_at=now,
                             arrive_from=arrive_from, arrive_until=arrive_until)
    booking = made(id=0)
    # The id comes from the insert; 0 stands for "a booking's text" (its link is not stored).
    # A clerk's booking without a mobile (phone "") texts nobody.
    text = (outbox.message_values("booked", phone, lang, 0, **text_values(booking, token))
            if ch.texted and phone else None)  # a walk-in is texted once admitted, by hall.walkins
    event = audit.event_values(ch.action, actor=ch.actor, booking_id=0, office_id=office.id,
                               staff_user_id=staff_user_id, source=source)
    written = utcnow()  # the text's and the event's own time (`now` may be a test's or the door's)
    write = _write_at_once if db.session.get_bind().dialect.name == "postgresql" else _write_in_steps
    try:
        booking_id = write(row, allowance, visitors, day, text, event, written, code)
    except IntegrityError:
        # Another request claimed the same person between our check and our insert; the
        # use case rolls back.
        raise IdentityAlreadyBooked() from None
    if isinstance(slot, Slot):
        db.session.expire(slot, ["booked_bookings", "booked_people"])  # the places changed
    return Booked(made(id=booking_id), token)


def _write_at_once(row: dict, allowance: dict, visitors: list[VisitorRow], day: dt.date, text: dict | None,
                   event: dict, written: dt.datetime, code: str | None) -> int:
    people = json.dumps([vars(v) for v in visitors], ensure_ascii=False)
    text = text or {"kind": None, "params": None, "sealed": None}
    written_row = _WRITE_BOOKING.first(
        **row, **allowance, visitors=people, day=day, texted=bool(text["kind"]), text_kind=text["kind"],
        text_params=text["params"], text_sealed=text["sealed"], written=written,
        actor=event["actor"], staff_user_id=event["staff_user_id"], action=event["action"],
        detail=event["detail"], code=code)
    if written_row is None:
        raise SlotFull()
    booking_id, codes_used = written_row
    if code is not None and codes_used != 1:  # check_code holds its row: only a bug gets here
        raise VerificationFailed()
    return booking_id


def _write_in_steps(row: dict, allowance: dict, visitors: list[VisitorRow], day: dt.date, text: dict | None,
                    event: dict, written: dt.datetime, code: str | None) -> int:
    if code is not None:
        use_code(code, row["now"])
    booking_id = _INSERT_BOOKING.scalar(**row)
    _INSERT_VISITOR.many([{"booking_id": booking_id, **vars(v)} for v in visitors])
    rules.claim_identities(booking_id, row["service_id"], [v.id_hash for v in visitors], day)
    if text is not None:
        outbox.insert({**text, "booking_id": booking_id}, written)
    audit.insert({**event, "booking_id": booking_id}, written)
    held = (allowance["held_bookings"], allowance["held_people"])
    scheduling.reserve(row["slot_id"], row["party_size"], held)  # last: SQLite runs one writer at a time
    return booking_id



def take_places(slot_id: int, people: int, held: tuple[int, int] = (0, 0)) -> None:
    """One booking and `people` places of a slot, leaving `held` free, for a booking that moves
    there (a reschedule); SlotFull otherwise (scheduling.reserve)."""
    scheduling.reserve(slot_id, people, held)
