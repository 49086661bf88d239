"""The waiting list of a full day: join, see the position, claim an offer, leave.

Joining and claiming go through the booking pipeline (bookings/pipeline.py), so the list refuses
what booking refuses: a verified phone, the attempt limits and proof of work, the service's
party size, who may be booked together (marriage), one place per person per service and day,
the per-phone limit; the list adds its own: one live entry per person and day, and per phone at
most the per-phone booking limit of live entries. A claim turns the offered hold into a booking
through the pipeline's claim, in one transaction guarded by conditional UPDATEs of
the entry (offered -> claimed, only inside the window) and of the hold (offered -> claimed):
of many claims racing for one place exactly one books it, and a claim after the window fails
with offer_expired while the place goes to the next in line (holds.expire_offers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update

from .. import bookings
from ..bookings import pipeline
from ..errors import (
    BookingError,
    NotFound,
    NotFull,  # noqa: F401  (the pipeline raises it for a day with places)
)
from ..extensions import db
from ..i18n import day_text
from ..identity import safe_text
from ..models import Service, WaitingEntry, WaitingVisitor, utcnow
from ..notify import outbox
from ..uow import use_case
from . import holds

LIVE = ("waiting", "offered")


class AlreadyWaiting(BookingError):
    code, status, field = "already_waiting", 409, "visitors"
    message_zh = "该证件已在当天本业务的候补名单中。"
    message_en = "This person is already on the waiting list for this service on that day."


class TooManyWaiting(BookingError):
    code, status, field = "too_many_waiting", 409, "phone"
    message_zh = "该手机号的候补登记已达 {limit} 个上限。"
    message_en = "This phone number is already on {limit} waiting lists, the most allowed."


class NoOffer(BookingError):
    code, status = "no_offer", 409
    message_zh = "目前没有为您保留的名额。"
    message_en = "No place is being held for you at the moment."


class OfferExpired(BookingError):
    code, status = "offer_expired", 409
    message_zh = "保留时间已过，名额已让给下一位候补者。"
    message_en = "The time to claim has passed; the place went to the next person in line."


class NotInLine(BookingError):
    code, status = "not_waiting", 409
    message_zh = "该候补登记已结束。"
    message_en = "This waiting-list entry has already ended."


class EntryNotFound(NotFound):
    message_zh, message_en = "找不到该候补登记。", "No such waiting-list entry."


@dataclass(frozen=True)
class Joined:
    entry: WaitingEntry
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_entry(reference: str, token: str) -> WaitingEntry:
    """The entry named by reference, if the token is its own; EntryNotFound otherwise."""
    entry = db.session.scalars(select(WaitingEntry).where(
        WaitingEntry.reference == safe_text(reference, 12).upper())).first()
    if entry is None or not hmac.compare_digest(_token_hash(safe_text(token, 64)), entry.token_hash):
        raise EntryNotFound()
    return entry


def position(entry: WaitingEntry) -> int | None:
    """1 for the first party still waiting for the day, 2 for the next...; None once the
    entry is offered a place, claimed it, or left the list."""
    if entry.status != "waiting":
        return None
    return db.session.scalar(select(func.count(WaitingEntry.id)).where(
        WaitingEntry.service_id == entry.service_id, WaitingEntry.day == entry.day,
        WaitingEntry.status == "waiting", WaitingEntry.id <= entry.id))


def _check_not_waiting(service: Service, day: dt.date, hashes: list[str], phone: str) -> None:
    """One live entry per person per service and day; a phone holds at most the per-phone
    booking limit of live entries."""
    already = db.session.scalar(select(func.count(WaitingVisitor.id)).join(WaitingEntry).where(
        WaitingEntry.service_id == service.id, WaitingEntry.day == day,
        WaitingEntry.status.in_(LIVE), WaitingVisitor.id_hash.in_(hashes)))
    if already:
        raise AlreadyWaiting()
    limit = current_app.config["MAX_ACTIVE_BOOKINGS_PER_PHONE"]
    live = db.session.scalar(select(func.count(WaitingEntry.id)).where(
        WaitingEntry.phone == phone, WaitingEntry.status.in_(LIVE)))
    if live >= limit:
        raise TooManyWaiting(limit=limit)


def join_list(service: Service, day: dt.date, *, phone: str, visitors: list, lang: str = "zh",
              source: str = "web", verification: tuple[str, str] = ("", ""), work: str | None = None,
              now: dt.datetime | None = None) -> Joined:
    """Put a party on the waiting list of a full day, texting the phone: the pipeline's
    waiting_join channel (its guards, then a use case). `work`: the proof-of-work solution.

    Raises NotFull (409) while the day has places, and any error a booking raises for the
    same input (the marriage rule included). A place held for the day is offered at once if
    the party fits.
    """
    now = now or utcnow()

    def write(normal_phone: str, party: pipeline.Party) -> Joined:
        _check_not_waiting(service, day, party.hashes, normal_phone)
        entry = _new_entry(service, day, normal_phone, lang, source, party, now)
        token = holds.entry_token(entry)
        entry.token_hash = _token_hash(token)
        db.session.add(entry)
        db.session.flush()
        outbox.enqueue("waiting_joined", normal_phone, lang, None, reference=entry.reference,
                       service=service.name(lang), office=service.office.name(lang),
                       day=day_text(day, lang),
                       position=position(entry), link=holds.claim_url(entry, token))
        holds.offer_held(service.id, day, now)
        return Joined(entry, token)

    return pipeline.join(service, day, phone=phone, visitors=visitors, lang=lang,
                         verification=verification, work=work, now=now, write=write)


def _new_entry(service: Service, day: dt.date, phone: str, lang: str, source: str,
               party: pipeline.Party, now: dt.datetime) -> WaitingEntry:
    return WaitingEntry(
        reference=bookings.new_reference(), token_salt=secrets.token_hex(8),
        # bandit B106: a placeholder, not a password; the caller sets it from the token
        token_hash="",  # nosec B106
        office_id=service.office_id, service=service, day=day, phone=phone, lang=lang,
        source=source, party_size=party.size, status="waiting", created_at=now,
        visitors=[WaitingVisitor(position=row.position, name=row.name, id_type=row.id_type,
                                 id_masked=row.id_masked, id_hash=row.id_hash) for row in party.rows])


@use_case
def claim_offer(entry: WaitingEntry, *, source: str = "web", now: dt.datetime | None = None) -> bookings.Booked:
    """Book the place held for the entry, inside its claim window. A use case.

    NoOffer (409) when nothing is offered to it, OfferExpired (409) after the window; any
    booking rule that fails now (the day closed, the person booked elsewhere) rolls back and
    leaves the offer as it was.
    """
    now = now or utcnow()
    if entry.status != "offered":
        raise NoOffer()
    if entry.offer_expires_at <= now:
        raise OfferExpired()
    taken = db.session.execute(
        update(WaitingEntry).where(WaitingEntry.id == entry.id, WaitingEntry.status == "offered",
                                   WaitingEntry.offer_expires_at > now)
        .values(status="claimed", ended_at=now).execution_options(synchronize_session=False))
    if taken.rowcount != 1 or not holds.claim_hold(entry.hold_id, now):
        raise NoOffer()
    done = _book_held(entry, source, now)
    entry.booking_id = done.made.id
    return done


def _book_held(entry: WaitingEntry, source: str, now: dt.datetime) -> bookings.Booked:
    """The held place booked through the pipeline's claim (the rules that can have changed)."""
    return pipeline.claim(entry.hold.slot, phone=entry.phone, visitors=entry.visitors, lang=entry.lang,
                          source=source, now=now)


@use_case
def leave_list(entry: WaitingEntry, now: dt.datetime | None = None) -> WaitingEntry:
    """Leave the list; a place offered to the entry passes to the next in line. A use case.
    NotInLine (409) when the entry already ended (left, claimed, expired)."""
    now = now or utcnow()
    if _end(entry, "offered", now):
        db.session.refresh(entry)
        holds.withdraw_offer(entry, now)
    elif not _end(entry, "waiting", now):
        raise NotInLine()
    return entry


def _end(entry: WaitingEntry, status: str, now: dt.datetime) -> bool:
    result = db.session.execute(
        update(WaitingEntry).where(WaitingEntry.id == entry.id, WaitingEntry.status == status)
        .values(status="left", ended_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1
