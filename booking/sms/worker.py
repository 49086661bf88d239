"""The outbox worker: claims due texts, hands them to the gateway, records what happened.

What is guaranteed (at least once, with one narrow duplicate window):

1. Claim. One short transaction picks due rows (pending and due, or `sending` with an
   expired lease), sets them `sending` with a lease (`claimed_until` = now + LEASE) and
   attempts + 1, and COMMITS before the provider is called. On PostgreSQL the pick is
   SELECT ... FOR UPDATE SKIP LOCKED, so workers running at once claim disjoint rows; on
   SQLite every write transaction starts with BEGIN IMMEDIATE, so claims run one at a time.
2. Send. Each claimed row is composed (compose.py) for the route its number takes and goes
   to that gateway; its outcome is committed right after, with the route:
   the provider's id and status; or, for a temporary failure, back to pending with an
   exponential backoff (30 s, 60 s, 2 min ... capped at 1 h; never sooner than Retry-After);
   or, for a permanent one, `failed` with the provider's code (staff see it).
3. A worker killed at any point loses nothing: its rows stay `sending` until the lease
   expires, then any worker claims them again.

A text reaches a phone twice only if the provider accepted it and the worker could not
learn so (killed between the provider's answer and our commit, a request that timed out after
the provider accepted it, or a worker stalled past its lease while another claimed the row)
AND the provider's status report had not reached us before the retry: Twilio's callbacks
name our row (`/sms/status?m=<id>`), Alibaba Cloud's receipts carry it as `out_id`, and mark
it sent, which stops the retry. Neither Twilio's Messages API nor SendSms takes an
idempotency key, so this window (at most LEASE, or the backoff delay, after the lost answer)
is accepted rather than risking a lost text. Once final, a row keeps no secret (FORGET).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, or_, select, update

from .. import audit, metrics
from ..extensions import db
from ..links import public_url
from ..models import Booking, PhoneOptOut, SmsMessage, utcnow
from ..notify import sealed
from ..notify.outbox import FROM_TWILIO
from ..offices import slots
from ..retention import scrub_phones
from ..uow import use_case
from . import compose, reminders
from .gateway import Gateway, PermanentFailure, SendResult, TemporaryFailure, Text, mask_phone
from .routing import gateway_for

log = logging.getLogger("booking.sms")

BATCH = 10
LEASE = dt.timedelta(minutes=5)  # > BATCH x the request timeout: a live worker never loses its claim
MAX_ATTEMPTS = 10
FIRST_RETRY = 30  # seconds; the contract: a failed send is retried within a minute at first
MAX_BACKOFF = 3600


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next try after `attempts` tries: 30, 60, 120 ... at most an hour,
    and never sooner than the provider asked (Retry-After)."""
    delay = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    return max(delay, retry_after or 0)


def _due(now: dt.datetime):
    return or_(
        and_(SmsMessage.status == "pending", SmsMessage.next_attempt_at <= now),
        and_(SmsMessage.status == "sending", SmsMessage.claimed_until < now),
    )


@use_case
def claim(now: dt.datetime | None = None, batch: int = BATCH) -> list[int]:
    """Claim up to `batch` due texts for this worker: a use case of its own, committed before any
    provider is called. Returns their ids."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(SmsMessage.id).where(_due(now))
        .order_by(SmsMessage.next_attempt_at, SmsMessage.id).limit(batch)
        .with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(
            update(SmsMessage).where(SmsMessage.id.in_(ids), _due(now))
            .values(status="sending", claimed_until=now + LEASE,
                    attempts=SmsMessage.attempts + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False))
    return ids


def _finish(message_id: int, **values) -> bool:
    """Record an outcome, only while the row is still ours (`sending`)."""
    result = db.session.execute(
        update(SmsMessage).where(SmsMessage.id == message_id, SmsMessage.status == "sending")
        .values(claimed_until=None, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


@dataclass(frozen=True)
class Claimed:
    """What the worker needs of a claimed row, read before the transaction ends (no database
    transaction, hence no lock, is held while the provider is called). `text` is None when
    the row could not be composed (`problem` says why)."""

    id: int
    phone: str
    kind: str
    attempts: int
    booking_id: int | None
    gateway: Gateway
    text: Text | None
    problem: str = ""


# Once final, a row keeps no secret: the sealed values and any legacy body are erased.
FORGET = {"sealed": None, "body": None}


@use_case
def _record_sent(message: Claimed, result: SendResult, now: dt.datetime) -> None:
    # The id is kept even if a status callback overtook us (then the status stays its own).
    db.session.execute(
        update(SmsMessage).where(SmsMessage.id == message.id)
        .values(provider_sid=result.provider_sid, sent_at=now, error_code=None,
                error_message=None, route=message.gateway.name, **FORGET)
        .execution_options(synchronize_session=False))
    _finish(message.id, status=FROM_TWILIO.get(result.status, "queued"))


@use_case
def _record_retry(message: Claimed, failure: TemporaryFailure, now: dt.datetime) -> None:
    if message.attempts >= MAX_ATTEMPTS:
        _record_failed(message, failure.code or "gave_up", f"gave up: {failure.reason}")
        return
    delay = backoff(message.attempts, failure.retry_after)
    _finish(message.id, status="pending", next_attempt_at=now + dt.timedelta(seconds=delay),
            error_code=(failure.code or "")[:40] or None, error_message=scrub_phones(failure.reason)[:300],
            route=message.gateway.name)
    log.warning("sms %s to %s: %s; retry in %ds", message.kind, mask_phone(message.phone),
                scrub_phones(failure.reason), delay)


@use_case
def _record_failed(message: Claimed, code: str, reason: str) -> None:
    if _finish(message.id, status="failed", error_code=code[:40], error_message=scrub_phones(reason)[:300],
               route=message.gateway.name, **FORGET):
        booking = db.session.get(Booking, message.booking_id) if message.booking_id else None
        audit.record("sms_failed", actor="system", booking=booking, message=message.id,
                     kind=message.kind, code=code)
    log.warning("sms %s to %s failed for good: %s", message.kind, mask_phone(message.phone), code)


def status_callback_url(message_id: int) -> str | None:
    """Where the provider reports delivery; only with PUBLIC_BASE_URL (it must reach us)."""
    if not current_app.config.get("PUBLIC_BASE_URL"):
        return None
    return public_url(f"/sms/status?m={message_id}")


@use_case
def _opted_out(phone: str) -> bool:
    """Whether the number opted out; a use case of its own, so no transaction stays open while
    the provider is called."""
    return db.session.get(PhoneOptOut, phone) is not None


def deliver(message: Claimed, now: dt.datetime | None = None) -> None:
    """Send one claimed text through its route and record the outcome (each outcome commits
    on its own)."""
    now = now or utcnow()
    if message.text is None:
        _record_failed(message, "unrenderable", message.problem)
        return
    if _opted_out(message.phone):
        _record_failed(message, "opted_out", "the number replied STOP; Twilio would refuse it")
        return
    try:
        result = message.gateway.send(to=message.phone, text=message.text, message_id=message.id,
                                      status_callback=status_callback_url(message.id))
    except TemporaryFailure as failure:
        _record_retry(message, failure, now)
        metrics.sms_handled(message.gateway.name, "retry")
    except PermanentFailure as failure:
        _record_failed(message, failure.code, failure.reason)
        metrics.sms_handled(message.gateway.name, "failed")
    else:
        _record_sent(message, result, now)
        metrics.sms_handled(message.gateway.name, "sent")


def _claimed(row: SmsMessage, gateway: Gateway, now: dt.datetime) -> Claimed:
    route = gateway.pick(row.phone)
    try:
        text, problem = compose.text_for(row, route, now), ""
    except (KeyError, ValueError, sealed.Unsealable) as error:
        text, problem = None, f"{type(error).__name__}: {error}"[:300]
    return Claimed(row.id, row.phone, row.kind, row.attempts, row.booking_id, route, text, problem)


@use_case
def _load(ids: list[int], gateway: Gateway, now: dt.datetime) -> list[Claimed]:
    rows = db.session.scalars(select(SmsMessage).where(SmsMessage.id.in_(ids))
                              .order_by(SmsMessage.next_attempt_at, SmsMessage.id))
    return [_claimed(row, gateway, now) for row in rows]


def run_once(gateway: Gateway | None = None, now: dt.datetime | None = None,
             batch: int = BATCH) -> int:
    """Claim one batch and deliver it. Returns how many texts were claimed."""
    gateway = gateway or gateway_for(current_app)
    ids = claim(now, batch)
    for message in _load(ids, gateway, now or utcnow()) if ids else []:
        deliver(message, now)
    return len(ids)


def drain(gateway: Gateway | None = None, now: dt.datetime | None = None) -> int:
    """Deliver every text due at `now` (retries scheduled later stay for later)."""
    gateway = gateway or gateway_for(current_app)
    total = 0
    while count := run_once(gateway, now):
        total += count
    return total


def run_forever(stop: threading.Event, poll: float = 1.0, reminders_every: float = 60.0) -> None:
    """The long-running worker: deliver due texts, and run the reminder job every minute
    (safe with several workers: reminders and releases happen once however often it runs),
    and, when SLOTS_AHEAD_DAYS > 0, add the slots each service's booking window needs."""

    gateway = gateway_for(current_app)
    next_reminders = 0.0
    while not stop.is_set():
        if reminders_every and time.monotonic() >= next_reminders:
            try:
                reminders.run_due()
                keep_slots(current_app.config["SLOTS_AHEAD_DAYS"])
            except Exception:  # a bad reminder run must not stop delivery (its use case rolled back)
                db.session.remove()
                log.exception("reminder run failed")
            next_reminders = time.monotonic() + reminders_every
        try:
            busy = run_once(gateway)
            db.session.remove()  # nothing long-lived held between batches
        except Exception:
            db.session.remove()  # whatever use case failed has rolled back; start clean
            log.exception("sms worker batch failed; retrying")
            busy = 0
        if not busy:
            stop.wait(poll)


@use_case
def keep_slots(days: int) -> int:
    """The missing slots of every service's booking window (at least `days` days); 0: off."""
    return slots.generate_ahead(utcnow(), days) if days > 0 else 0
