"""Held places: a freed place goes to the waiting list first, and to the public only later.

When a booking leaves a slot (cancellation, auto-release, a move), `free_place` either gives
the place straight back to the slot, or keeps it counted in the slot as a hold (models/waiting.py
states the invariant). A hold is offered to the first party in line that fits; the offer is a
text with a claim link and a window (the office's claim_minutes). An offer nobody claims passes
to the next; a hold nobody claims returns to public availability at release_at (the office's
hold-back after the place was freed). Every change of a hold or an offer is one conditional
UPDATE, so two workers, a late claim and the expiry job can race without losing or doubling a
place. This module sits below bookings/ (which calls free_place); claiming is in entries.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from flask import current_app
from sqlalchemy import bindparam, func, select, update

from .. import scheduling
from ..extensions import db
from ..links import public_url
from ..models import CapacityReview, PopularDayPlan, RationingSettings, Service, Slot, WaitingEntry, WaitingHold, utcnow
from ..notify import outbox, texts
from ..uow import unit_of_work, use_case


def settings_for(office_id: int) -> RationingSettings:
    """The office's rationing settings, or the defaults (an unsaved row) when it has none:
    a 30-minute claim window, no hold-back (a freed place is held only for those waiting)."""
    found = db.session.get(RationingSettings, office_id)
    return found or RationingSettings(office_id=office_id, claim_minutes=30, holdback_minutes=0,
                                      challenge="auto", challenge_days="")


def holdback_minutes(service: Service, day: dt.date) -> int:
    """Minutes a place freed on the service's local day is held for the waiting list."""
    return holdback_of(settings_for(service.office_id), scheduling.popular_days(service, day, day).get(day))


def holdback_of(settings: RationingSettings, plan: PopularDayPlan | None) -> int:
    """The office's hold-back, or the popular-day plan's (None: none) for its day when longer."""
    return max(settings.holdback_minutes, plan.holdback_minutes if plan else 0)


def entry_token(entry: WaitingEntry) -> str:
    """The entry's secret token (~132 bits), derived from SECRET_KEY and its salt, as a
    booking's manage token is: texts can carry the claim link, and only its hash is stored."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"waiting:{entry.reference}:{entry.token_salt}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def claim_url(entry: WaitingEntry, token: str | None = None) -> str:
    """The link in the offer text: the entry's page, where the place is claimed."""
    return public_url(f"/w/{entry.reference}/{token or entry_token(entry)}")


def waiters(service_id: int, day: dt.date) -> int:
    """How many parties wait (not yet offered) for a service's local day."""
    return db.session.scalar(select(func.count(WaitingEntry.id)).where(
        WaitingEntry.service_id == service_id, WaitingEntry.day == day,
        WaitingEntry.status == "waiting"))


def free_place(slot: Slot, people: int, now: dt.datetime | None = None) -> WaitingHold | None:
    """A booking of `people` left `slot` (in the caller's transaction; it commits).

    The place is held (and offered to the first in line) when the slot can still be booked
    and the office holds places back or somebody waits for the day; otherwise it goes back to
    the slot at once (scheduling.release). Returns the hold, if one was made.
    """
    now = now or utcnow()
    service = slot.service
    day = scheduling.local_day(service.office, slot.starts_at)
    holdback = holdback_minutes(service, day)
    if not _bookable(slot, day, now) or (holdback == 0 and not waiters(service.id, day)):
        scheduling.release(slot.id, people)
        return None
    hold = WaitingHold(slot_id=slot.id, service_id=service.id, day=day, people=people,
                       status="held", freed_at=now, release_at=now + dt.timedelta(minutes=holdback))
    db.session.add(hold)
    db.session.flush()
    offer_next(hold, now)
    return hold


def _bookable(slot: Slot, day: dt.date, now: dt.datetime) -> bool:
    """Whether anyone could book the slot now: open, inside its window, its day not closed,
    and not above a lowered capacity (a place freed there is one the office takes back)."""
    service = slot.service
    opens, closes = scheduling.booking_window(service, slot)
    return (slot.status == "open" and not service.suspended and opens <= now < closes
            and db.session.scalar(_WITHIN_LIMITS, {"slot_id": slot.id})
            and scheduling.closure_for(service, day) is None
            and db.session.scalar(_UNDER_REVIEW, {"slot_id": slot.id}) is None)


# The slot's counters (the leaving booking still in them) within its limits, a cut's included.
_WITHIN_LIMITS = select(
    (Slot.booked_bookings <= func.coalesce(Slot.cut_bookings, Slot.max_bookings))
    & (Slot.booked_people <= func.coalesce(Slot.cut_people, Slot.max_people))).where(Slot.id == bindparam("slot_id"))
_UNDER_REVIEW = select(CapacityReview.id).where(CapacityReview.slot_id == bindparam("slot_id"),
                                                CapacityReview.decision.is_(None)).limit(1)


def _set_hold(hold_id: int, before: tuple[str, ...], after: str, now: dt.datetime) -> bool:
    """Move a hold on from one of `before` in one conditional UPDATE; whether it moved."""
    values = {"status": after}
    if after in ("claimed", "released"):
        values["ended_at"] = now
    result = db.session.execute(
        update(WaitingHold).where(WaitingHold.id == hold_id, WaitingHold.status.in_(before))
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _next_in_line(hold: WaitingHold, skip: set[int]) -> WaitingEntry | None:
    return db.session.scalars(
        select(WaitingEntry).where(
            WaitingEntry.service_id == hold.service_id, WaitingEntry.day == hold.day,
            WaitingEntry.status == "waiting", WaitingEntry.party_size <= hold.people,
            WaitingEntry.id.not_in(skip or {0}))
        .order_by(WaitingEntry.id).limit(1)).first()


def offer_next(hold: WaitingHold, now: dt.datetime | None = None) -> WaitingEntry | None:
    """Offer a held place to the first party in line whose party fits; None when nobody fits.

    In the caller's transaction. The hold moves held -> offered and the entry waiting ->
    offered, each in one conditional UPDATE: an entry another hold took meanwhile is skipped.
    """
    now = now or utcnow()
    if not _set_hold(hold.id, ("held",), "offered", now):
        return None
    expires = now + dt.timedelta(minutes=settings_for(hold.slot.office_id).claim_minutes)
    skip: set[int] = set()
    while (entry := _next_in_line(hold, skip)) is not None:
        taken = db.session.execute(
            update(WaitingEntry).where(WaitingEntry.id == entry.id, WaitingEntry.status == "waiting")
            .values(status="offered", hold_id=hold.id, offered_at=now, offer_expires_at=expires)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            db.session.refresh(entry)
            _text_offer(entry, hold)
            return entry
        skip.add(entry.id)
    _set_hold(hold.id, ("offered",), "held", now)
    return None


def _text_offer(entry: WaitingEntry, hold: WaitingHold) -> None:
    office = entry.office
    outbox.enqueue("waiting_offer", entry.phone, entry.lang, None,
                   reference=entry.reference, service=entry.service.name(entry.lang),
                   office=office.name(entry.lang),
                   when=texts.when(hold.slot.starts_at, office, entry.lang),
                   expires=texts.when(entry.offer_expires_at, office, entry.lang),
                   link=claim_url(entry))


def offer_held(service_id: int, day: dt.date, now: dt.datetime | None = None) -> int:
    """Offer every unoffered hold of a service's day to those in line (someone just joined).
    In the caller's transaction; returns how many offers were made."""
    now = now or utcnow()
    held = db.session.scalars(select(WaitingHold).where(
        WaitingHold.service_id == service_id, WaitingHold.day == day,
        WaitingHold.status == "held").order_by(WaitingHold.id)).all()
    return sum(1 for hold in held if offer_next(hold, now) is not None)


def withdraw_offer(entry: WaitingEntry, now: dt.datetime) -> None:
    """The entry's offer ended unclaimed (expired, or the party left): the hold goes back to
    held and on to the next in line. In the caller's transaction."""
    hold = db.session.get(WaitingHold, entry.hold_id)
    if hold is not None and _set_hold(hold.id, ("offered",), "held", now):
        offer_next(hold, now)


def release(hold: WaitingHold, now: dt.datetime) -> bool:
    """Give a held place back to the slot's public counters; whether this call did it."""
    if not _set_hold(hold.id, ("held",), "released", now):
        return False
    scheduling.release(hold.slot_id, hold.people)
    return True


def claim_hold(hold_id: int, now: dt.datetime) -> bool:
    """The offered hold becomes a booking (the caller books it in the same transaction):
    offered -> claimed and its places back in the slot's counters, for the booking to take."""
    hold = db.session.get(WaitingHold, hold_id)
    if hold is None or not _set_hold(hold.id, ("offered",), "claimed", now):
        return False
    scheduling.release(hold.slot_id, hold.people)
    return True


def expire_offers(now: dt.datetime | None = None) -> int:
    """End every offer past its window and pass its hold to the next in line. Commits after
    each; returns how many ended. Safe to run from several workers at once."""
    now = now or utcnow()
    due = db.session.scalars(select(WaitingEntry).where(
        WaitingEntry.status == "offered", WaitingEntry.offer_expires_at <= now)
        .order_by(WaitingEntry.offer_expires_at)).all()
    ended = 0
    for entry in due:
        with unit_of_work():  # one use case per offer: a slow run holds no lock for long
            result = db.session.execute(
                update(WaitingEntry).where(WaitingEntry.id == entry.id, WaitingEntry.status == "offered",
                                           WaitingEntry.offer_expires_at <= now)
                .values(status="expired", ended_at=now).execution_options(synchronize_session=False))
            if result.rowcount == 1:  # not claimed a moment ago
                withdraw_offer(entry, now)
                ended += 1
    return ended


def release_due(now: dt.datetime | None = None) -> int:
    """Give back to the public every held place nobody is offered whose hold-back has passed
    (or whose slot can no longer be booked). One use case each; returns how many."""
    now = now or utcnow()
    held = db.session.scalars(select(WaitingHold).where(WaitingHold.status == "held")
                              .order_by(WaitingHold.id)).all()
    released = 0
    for hold in held:
        if hold.release_at <= now or not _bookable(hold.slot, hold.day, now):
            with unit_of_work():
                released += release(hold, now)
    return released


@use_case
def end_past_days(now: dt.datetime) -> int:
    """Close the lists of days gone by (in every time zone): their entries end as expired.
    A use case; returns how many entries ended."""
    result = db.session.execute(
        update(WaitingEntry).where(WaitingEntry.status == "waiting",
                                   WaitingEntry.day < (now - dt.timedelta(days=1)).date())
        .values(status="expired", ended_at=now).execution_options(synchronize_session=False))
    return result.rowcount


def run_due(now: dt.datetime | None = None) -> tuple[int, int]:
    """expire_offers, then release_due, then end_past_days: (offers ended, places released).
    The SMS worker runs it every minute with the reminders."""
    now = now or utcnow()
    done = expire_offers(now), release_due(now)
    end_past_days(now)
    return done
