"""`flask --app wsgi retention purge`: health data removed after its retention period.

Health answers are kept HEALTH_RETENTION_DAYS (default 28) days after the visit, then emptied:
the answers and the figures inside the reasons go; the verdict (passed), the reason codes, the
rules version and the times stay, because the daily reports count them. Door refusals lose
their measured temperatures the same way and keep their reason.

Bookings' personal data is kept BOOKING_RETENTION_DAYS (default 90) days after the visit, then
removed: the phone number, each visitor's name, masked identity number and identity hash (and
the booking's hold on that identity). Status, times, party size, ticket and counter stay: they
are what the daily reports count, so a report gives the same figures after a purge. Texts sent
and replies received that long ago lose their bodies (manage links, codes) and phone numbers;
phone verifications that old are deleted. Numbers inside what providers wrote go too: error
texts keep their code and words without the number, and Alibaba Cloud's reply ids (which spell
the phone) are replaced by ids that name no one.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select, update

from .extensions import db
from .models import (
    Booking,
    DoorRefusal,
    HealthDeclaration,
    IdentityClaim,
    InboundMessage,
    PhoneVerification,
    Slot,
    SmsMessage,
    Visitor,
    WaitingEntry,
    WaitingVisitor,
    utcnow,
)
from .uow import unit_of_work, use_case

retention_cli = AppGroup("retention", help="Remove personal data past its retention period.")

ANSWERS = dict(symptoms=None, risk_area_travel=None, case_contact=None, health_code=None,
               temperature_c=None, nat_negative_at=None)
BATCH = 500


UNSENT = ("pending", "sending")  # a text still owed keeps its body until it is final
ALIYUN_REPLY = "aliyun:"  # reply ids of Alibaba Cloud's pushes name the phone (booking.sms.webhooks)


# A phone number as providers write it in their error texts: +8613812345678, 8613812345678,
# +86 138 1234 5678, 138-1234-5678, (+886) 912-345-678, full-width digits: at least 7 digits,
# with at most two separators between two of them.
_NUMBER = re.compile(r"[(（]?[+＋]?\d(?:[\s\-.()（）]{0,2}\d){6,}")


def scrub_phones(text: str | None) -> str | None:
    """`text` (a provider's error message) with every phone number in it replaced by [number];
    codes of fewer than 7 digits (21211) stay. None stays None."""
    return _NUMBER.sub("[number]", text) if text else text


@dataclass(frozen=True)
class Purged:
    declarations: int
    refusals: int
    bookings: int = 0
    texts: int = 0
    replies: int = 0
    waiting: int = 0


def retention_days() -> int:
    """Days health answers are kept after the visit (HEALTH_RETENTION_DAYS, default 28)."""
    return int(current_app.config["HEALTH_RETENTION_DAYS"])


def booking_retention_days() -> int:
    """Days bookings' personal data is kept after the visit (BOOKING_RETENTION_DAYS, 90)."""
    return int(current_app.config["BOOKING_RETENTION_DAYS"])


def _in_batches(purge_batch, cutoff: dt.datetime, now: dt.datetime) -> int:
    """Run `purge_batch` as one use case per BATCH rows until a short batch; the total."""
    total = 0
    while True:
        with unit_of_work():
            count = purge_batch(cutoff, now)
        total += count
        if count < BATCH:
            return total


def _purge_declarations(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Empty the answers of up to BATCH declarations for visits before the cutoff; how many."""
    rows = db.session.scalars(
        select(HealthDeclaration).where(HealthDeclaration.visit_at < cutoff,
                                        HealthDeclaration.purged_at.is_(None))
        .order_by(HealthDeclaration.id).limit(BATCH)).all()
    for row in rows:
        # Keep what each reason concluded, drop the personal figures it quoted.
        reasons = [{"question": r["question"], "code": r["code"], "passed": r["passed"],
                    "values": {}} for r in row.reasons or []]
        db.session.execute(update(HealthDeclaration).where(HealthDeclaration.id == row.id)
                           .values(reasons=reasons, purged_at=now, **ANSWERS))
    return len(rows)


@use_case
def _purge_refusals(cutoff: dt.datetime, now: dt.datetime) -> int:
    result = db.session.execute(
        update(DoorRefusal).where(DoorRefusal.at < cutoff, DoorRefusal.purged_at.is_(None))
        .values(detail=None, purged_at=now).execution_options(synchronize_session=False))
    return result.rowcount


def _purge_bookings(cutoff: dt.datetime, now: dt.datetime) -> int:
    """Remove phone, names and identity data of up to BATCH bookings whose visit was before the
    cutoff; what the reports count stays. How many."""
    ids = db.session.scalars(
        select(Booking.id).join(Slot, Booking.slot_id == Slot.id)
        .where(Slot.starts_at < cutoff, Booking.personal_purged_at.is_(None))
        .order_by(Booking.id).limit(BATCH)).all()
    if ids:
        db.session.execute(update(Visitor).where(Visitor.booking_id.in_(ids))
                           .values(name="", id_masked="", id_hash="")
                           .execution_options(synchronize_session=False))
        db.session.execute(delete(IdentityClaim).where(IdentityClaim.booking_id.in_(ids))
                           .execution_options(synchronize_session=False))
        db.session.execute(update(Booking).where(Booking.id.in_(ids))
                           .values(phone="", personal_purged_at=now)
                           .execution_options(synchronize_session=False))
    return len(ids)


@use_case
def _purge_waiting(cutoff: dt.datetime) -> int:
    """Remove the phone, names and identity data of waiting-list entries for days before the
    cutoff (the day waited for counts as the visit); how many entries."""
    day = cutoff.date()
    ids = db.session.scalars(select(WaitingEntry.id).where(WaitingEntry.day < day,
                                                           WaitingEntry.phone != "")).all()
    if ids:
        db.session.execute(update(WaitingVisitor).where(WaitingVisitor.entry_id.in_(ids))
                           .values(name="", id_masked="", id_hash="")
                           .execution_options(synchronize_session=False))
        db.session.execute(update(WaitingEntry).where(WaitingEntry.id.in_(ids)).values(phone="")
                           .execution_options(synchronize_session=False))
    return len(ids)


@use_case
def _purge_texts(cutoff: dt.datetime) -> tuple[int, int]:
    """Empty the values, bodies and phone numbers of final texts, and the phone numbers of
    replies, older than the cutoff; delete phone verifications that old. (texts, replies)."""
    texts = db.session.execute(
        update(SmsMessage).where(SmsMessage.created_at < cutoff, SmsMessage.status.not_in(UNSENT),
                                 SmsMessage.phone != "")
        .values(params="{}", sealed=None, body=None, phone="")
        .execution_options(synchronize_session=False)).rowcount
    replies = db.session.execute(
        update(InboundMessage).where(InboundMessage.received_at < cutoff, InboundMessage.phone != "")
        .values(phone="").execution_options(synchronize_session=False)).rowcount
    db.session.execute(delete(PhoneVerification).where(PhoneVerification.created_at < cutoff)
                       .execution_options(synchronize_session=False))
    _scrub_provider_texts(cutoff)
    return texts, replies


def _scrub_provider_texts(cutoff: dt.datetime) -> None:
    """Numbers inside what providers wrote, older than the cutoff: error texts lose them (the
    code and the words stay), and Alibaba Cloud's reply ids (aliyun:<phone>:<sequence>, kept
    so that a pushed reply acts once) become ids that name no one."""
    rows = db.session.execute(select(SmsMessage.id, SmsMessage.error_message).where(
        SmsMessage.created_at < cutoff, SmsMessage.error_message.is_not(None))).all()
    for message_id, text in rows:
        if scrub_phones(text) != text:
            db.session.execute(update(SmsMessage).where(SmsMessage.id == message_id)
                               .values(error_message=scrub_phones(text))
                               .execution_options(synchronize_session=False))
    sids = db.session.scalars(select(InboundMessage.message_sid).where(
        InboundMessage.received_at < cutoff, InboundMessage.message_sid.like(f"{ALIYUN_REPLY}%"))).all()
    for sid in sids:
        db.session.execute(update(InboundMessage).where(InboundMessage.message_sid == sid)
                           .values(message_sid=f"purged:{uuid.uuid4().hex}")
                           .execution_options(synchronize_session=False))


def purge(now: dt.datetime | None = None, days: int | None = None,
          booking_days: int | None = None) -> Purged:
    """Empty health answers of visits more than `days` (HEALTH_RETENTION_DAYS) ago, and remove
    the personal data of bookings, texts and replies more than `booking_days`
    (BOOKING_RETENTION_DAYS) ago. Commits."""
    now = now or utcnow()
    days = retention_days() if days is None else days
    booking_days = booking_retention_days() if booking_days is None else booking_days
    cutoff = now - dt.timedelta(days=days)
    booking_cutoff = now - dt.timedelta(days=booking_days)
    texts, replies = _purge_texts(booking_cutoff)
    return Purged(_in_batches(_purge_declarations, cutoff, now), _purge_refusals(cutoff, now),
                  _in_batches(_purge_bookings, booking_cutoff, now), texts, replies,
                  _purge_waiting(booking_cutoff))


@retention_cli.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep health answers this many days after the visit (default HEALTH_RETENTION_DAYS, 28).")
@click.option("--booking-days", type=click.IntRange(min=1), default=None,
              help="Keep bookings' personal data, texts and replies this many days after the visit "
                   "(default BOOKING_RETENTION_DAYS, 90).")
def purge_command(days, booking_days):
    """Remove personal data past its retention period; the counts reports need stay."""
    done = purge(days=days, booking_days=booking_days)
    click.echo(f"Purged health answers of {done.declarations} declarations and the details of "
               f"{done.refusals} door refusals older than {days or retention_days()} days; "
               f"the personal data of {done.bookings} bookings, {done.texts} texts and "
               f"{done.replies} replies and {done.waiting} waiting-list entries older than "
               f"{booking_days or booking_retention_days()} days.")
