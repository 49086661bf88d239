"""Replies to our texts: confirm, cancel, help, and the opt-out words.

Keywords (docs/contract.md): 1 / Y / YES / 确认 confirm; 2 / N / NO / 取消 cancel; HELP / 帮助
help; in Traditional forms too, with courtesy words after them; booking.sms.keywords reads a
reply. STOP (and the route's other opt-out words: 退订, and TD, T, R on mainland routes)
records an opt-out; CANCEL, also an opt-out word, cancels the booking and records the opt-out;
START (and YES, Twilio's opt-in words) lifts it.

A reply acts on the booking whose reference it names ("1 ABCD2345"), else on the sender's
only active upcoming booking; with several, a bare keyword changes nothing and the answer
lists their references. It goes through the same domain functions as the web
(bookings.confirm, bookings.cancel). Each reply acts once (Twilio's MessageSid; Alibaba
Cloud's phone_number + sequence_id): its InboundMessage row commits with the change it
caused, and a repeat (also one arriving in parallel) gets the first answer back. Only the
answer's kind is stored, never its text (which carries a manage link).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .. import bookings
from ..errors import BookingError
from ..extensions import db
from ..links import public_url
from ..models import Booking, InboundMessage, PhoneOptOut, Slot, utcnow
from ..notify import outbox, texts
from ..uow import unit_of_work
from . import compose
from .keywords import OPT_IN_WORDS, is_traditional, parse


@dataclass(frozen=True)
class Answer:
    text: str  # "" when Twilio answers itself (STOP, START), nothing should be said, or the
    # answer was queued as a text (Alibaba Cloud uplinks take no synchronous answer)
    lang: str
    outcome: str
    duplicate: bool = False


def _senders_bookings(phone: str) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).join(Slot, Booking.slot_id == Slot.id).where(Booking.phone == phone)
        .order_by(Slot.starts_at)))


def _upcoming(candidates: list[Booking], now: dt.datetime) -> list[Booking]:
    return [b for b in candidates if b.status in bookings.CANCELLABLE and b.slot.starts_at > now]


def choose(candidates: list[Booking], named: str | None, now: dt.datetime) -> Booking | None:
    """The booking named in the text; else the sender's only active upcoming one. None when
    there is none, or several (a bare keyword then changes nothing: see `handle`)."""
    if named:
        return next(b for b in candidates if b.reference == named)
    upcoming = _upcoming(candidates, now)
    return upcoming[0] if len(upcoming) == 1 else None


def _language(candidates: list[Booking], body: str) -> str:
    if candidates:
        return max(candidates, key=lambda b: b.id).lang
    if is_traditional(body):
        return "zh-Hant"
    return "en" if re.search(r"[A-Za-z]", body or "") and not re.search(r"[\u4e00-\u9fff]", body or "") else "zh"


@dataclass
class Reply:
    """One reply being handled: who sent what, and what it resolves to."""

    message_sid: str
    phone: str
    action: str
    keyword: str
    booking: Booking | None
    ambiguous: list[Booking]  # the sender's active bookings when a bare keyword cannot choose
    lang: str
    now: dt.datetime
    queue_answer: bool
    queued: bool = False


def handle(message_sid: str, phone: str, body: str, now: dt.datetime | None = None,
           opt_out_type: str | None = None, queue_answer: bool = False,
           route: str = "twilio") -> Answer:
    """Act on one inbound text once, and say what to answer. A use case: the record, the change
    and a queued answer commit together. When the change is refused (confirmed a moment ago
    from the web, or checked in) it rolls back and the reply is recorded alone; a copy of a
    reply already recorded (a webhook retried, in parallel too) answers as the first did.

    `opt_out_type` is Twilio's own reading (OptOutType: STOP, START, HELP), which also
    covers opt-out words configured in the Twilio console beyond the standard ones.
    With `queue_answer` (Alibaba Cloud uplinks) the answer goes into the outbox in the same
    transaction as the action, and the returned text is "". `route` ("twilio" or "aliyun")
    chooses the opt-out words (booking.sms.keywords.OPT_OUT_WORDS).
    """
    now = now or utcnow()
    try:
        with unit_of_work():
            return _handle(message_sid, phone, body, now, opt_out_type, queue_answer, route)
    except _Refused as refused:
        return _record_only(refused.reply, "not_active", "not_active")
    except _Duplicate:
        return _repeat(db.session.get(InboundMessage, message_sid), queue_answer)


class _Duplicate(Exception):
    """The reply is recorded already (its first copy committed a moment ago)."""


class _Refused(Exception):
    """The change a reply asks for was refused; the reply is recorded alone."""

    def __init__(self, reply: Reply):
        super().__init__(reply.message_sid)
        self.reply = reply


def _handle(message_sid: str, phone: str, body: str, now: dt.datetime, opt_out_type: str | None,
            queue_answer: bool, route: str) -> Answer:
    seen = db.session.get(InboundMessage, message_sid)
    if seen is not None:
        return _repeat(seen, queue_answer)
    candidates = _senders_bookings(phone)
    action, keyword, named = parse(body, [b.reference for b in candidates], route)
    if opt_out_type in ("STOP", "START") and action not in ("stop", "cancel_opt_out", "start"):
        action = opt_out_type.lower()
    booking = choose(candidates, named, now)
    upcoming = _upcoming(candidates, now)
    reply = Reply(message_sid, phone, action, keyword, booking,
                  upcoming if booking is None and len(upcoming) > 1 else [],
                  booking.lang if booking else _language(candidates, body), now, queue_answer)
    record = InboundMessage(message_sid=message_sid, phone=phone, keyword=action, lang=reply.lang,
                            booking_id=booking.id if booking else None, received_at=now)
    db.session.add(record)
    try:
        db.session.flush()  # a parallel copy of this webhook waits here, then fails
    except IntegrityError:
        raise _Duplicate() from None
    try:
        return _act_on_reply(reply, record)
    except BookingError:  # e.g. confirmed a moment ago from the web, or checked in
        reply.queued = False  # an answer queued before the change goes with the rollback
        raise _Refused(reply) from None


def _repeat(seen: InboundMessage, queue_answer: bool) -> Answer:
    """The first answer again (rendered anew: only its kind is kept); queued ones are not
    queued twice."""
    booking = db.session.get(Booking, seen.booking_id) if seen.booking_id else None
    text = "" if queue_answer else _render(seen.reply_kind, seen.lang, booking, seen.phone)
    return Answer(text, seen.lang, seen.outcome, duplicate=True)


def _record_only(reply: Reply, outcome: str, reply_kind: str) -> Answer:
    """Record a reply whose change was refused, with its answer: a use case of its own."""
    try:
        with unit_of_work():
            record = InboundMessage(message_sid=reply.message_sid, phone=reply.phone, keyword=reply.action,
                                    lang=reply.lang, received_at=reply.now,
                                    booking_id=reply.booking.id if reply.booking else None)
            db.session.add(record)
            return _commit_reply(reply, record, outcome, reply_kind)
    except IntegrityError:
        return _repeat(db.session.get(InboundMessage, reply.message_sid), reply.queue_answer)


def _references(phone: str, now: dt.datetime | None) -> list[str]:
    return [b.reference for b in compose.active_upcoming(phone, now or utcnow())]


def _render(reply_kind: str, lang: str, booking: Booking | None, phone: str,
            now: dt.datetime | None = None) -> str:
    """The answer of `reply_kind` as text (TwiML), with values as they stand now."""
    if not reply_kind:
        return ""
    return texts.reply(reply_kind, lang, **_answer_values(reply_kind, lang, booking, phone, now))


def _answer_values(reply_kind: str, lang: str, booking: Booking | None, phone: str,
                   now: dt.datetime | None = None) -> dict:
    if reply_kind == "choose":
        refs = _references(phone, now)
        return {"references": ("、" if lang != "en" else ", ").join(refs),
                "reference": refs[0] if refs else ""}
    if booking is None:
        return {"link": public_url("/")}
    return bookings.text_values(booking)


def _act_on_reply(reply: Reply, record: InboundMessage) -> Answer:
    """Do what the text asks; the record commits with the change."""
    action, booking = reply.action, reply.booking
    if action == "stop" or action == "cancel_opt_out":
        _opt_out(reply.phone, reply.keyword)
    elif action == "start" or reply.keyword in OPT_IN_WORDS:
        db.session.execute(delete(PhoneOptOut).where(PhoneOptOut.phone == reply.phone))
    if action in ("stop", "start"):
        return _commit_reply(reply, record, action, "")
    if reply.ambiguous:  # several bookings and none named: change nothing, list them
        return _commit_reply(reply, record, "ambiguous", "" if action == "cancel_opt_out" else "choose")
    if booking is None:
        return _commit_reply(reply, record, "no_booking", "" if action == "cancel_opt_out" else "no_booking")
    if action == "confirm":
        _decide_reply(reply, record, "confirmed", "confirmed")  # commits with the change
        bookings.confirm(booking, actor="sms")
        return _commit_reply(reply, record, "confirmed", "confirmed")
    if action in ("cancel", "cancel_opt_out"):
        # The answer (or, after CANCEL, nothing: Twilio now blocks us) is the only text.
        answer_kind = "cancelled" if action == "cancel" else ""
        _decide_reply(reply, record, "cancelled", answer_kind)
        bookings.cancel(booking, by="citizen", notify=False)
        return _commit_reply(reply, record, "cancelled", answer_kind)
    return _commit_reply(reply, record, "help", "help")


def _opt_out(phone: str, keyword: str) -> None:
    if db.session.get(PhoneOptOut, phone) is not None:
        return
    try:
        with db.session.begin_nested():  # two different STOPs at once: one row is enough
            db.session.add(PhoneOptOut(phone=phone, keyword=keyword[:16]))
    except IntegrityError:
        pass


def _queue_answer(reply: Reply, reply_kind: str) -> None:
    """For uplinks: the answer as a text in the outbox (the caller's transaction commits it)."""
    if not reply.queue_answer or not reply_kind or reply.queued:
        return
    reply.queued = True
    booking = reply.booking if reply_kind not in ("choose", "no_booking") else None
    values = {} if booking else _answer_values(reply_kind, reply.lang, None, reply.phone, reply.now)
    values.pop("link", None)  # derived again at send time
    outbox.enqueue(f"reply_{reply_kind}", reply.phone, reply.lang, booking, **values)


def _decide_reply(reply: Reply, record: InboundMessage, outcome: str, reply_kind: str) -> None:
    """Record the outcome and the answer's kind (queued as a text for uplinks) in the
    transaction that is about to act, so a parallel copy never sees the record without them."""
    record.outcome, record.reply_kind = outcome, reply_kind
    _queue_answer(reply, reply_kind)


def _commit_reply(reply: Reply, record: InboundMessage, outcome: str, reply_kind: str) -> Answer:
    """Decide (if not yet; the use case commits it); the answer's text unless it was queued."""
    _decide_reply(reply, record, outcome, reply_kind)
    db.session.flush()
    booking = reply.booking if reply_kind != "choose" else None
    text = "" if reply.queue_answer else _render(reply_kind, reply.lang, booking, reply.phone, reply.now)
    return Answer(text, reply.lang, outcome)
