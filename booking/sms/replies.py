"""Replies to our texts: confirm, cancel, help, and the opt-out words.

Keywords (DESIGN.md section 3): 1 / Y / YES / 确认 confirm; 2 / N / NO / 取消 cancel;
HELP / 帮助 help; matched regardless of case, width (ＹＥＳ, １) and spaces. STOP (and
Twilio's other opt-out words) records an opt-out; CANCEL, also an opt-out word, cancels the
booking and records the opt-out; START (and YES, Twilio's opt-in words) lifts it.

A reply acts on the booking whose reference it names, else on the sender's next upcoming
active booking. It goes through the same domain functions as the web (bookings.confirm,
bookings.cancel). Each MessageSid acts once: its InboundMessage row commits with the change
it caused, and a repeat (also one arriving in parallel) gets the first answer back.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .. import bookings
from ..errors import BookingError
from ..extensions import db
from ..links import public_url
from ..models import Booking, InboundMessage, PhoneOptOut, Slot, utcnow
from ..notify import texts

KEYWORDS = {
    "1": "confirm", "Y": "confirm", "YES": "confirm", "确认": "confirm",
    "2": "cancel", "N": "cancel", "NO": "cancel", "取消": "cancel",
    "HELP": "help", "帮助": "help", "INFO": "help",
    "START": "start", "UNSTOP": "start",
    "CANCEL": "cancel_opt_out",
    **{word: "stop" for word in texts.OPT_OUT_WORDS if word != "CANCEL"},
}
OPT_IN_WORDS = ("START", "UNSTOP", "YES")  # Twilio lifts its block on these
PUNCTUATION = ".,!?;:'\"。，！？；：、~…"


@dataclass(frozen=True)
class Answer:
    text: str  # "" when Twilio answers itself (STOP, START) or nothing should be said
    lang: str
    outcome: str
    duplicate: bool = False


def compact(body: str) -> str:
    """NFKC (full-width to ASCII), upper case, no spaces, no surrounding punctuation."""
    text = unicodedata.normalize("NFKC", body or "")[:160].upper()
    return re.sub(r"\s+", "", text).strip(PUNCTUATION)


def parse(body: str, references: list[str]) -> tuple[str, str, str | None]:
    """(action, keyword, reference named) of a reply; action "unknown" when not understood."""
    text = compact(body)
    named = next((ref for ref in references if ref in text), None)
    if named:
        text = text.replace(named, "").strip(PUNCTUATION)
    return KEYWORDS.get(text, "help" if named and not text else "unknown"), text, named


def _senders_bookings(phone: str) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).join(Slot, Booking.slot_id == Slot.id).where(Booking.phone == phone)
        .order_by(Slot.starts_at)))


def choose(candidates: list[Booking], named: str | None, now: dt.datetime) -> Booking | None:
    """The booking named in the text; else the sender's next upcoming active one."""
    if named:
        return next(b for b in candidates if b.reference == named)
    upcoming = [b for b in candidates
                if b.status in bookings.CANCELLABLE and b.slot.starts_at > now]
    return upcoming[0] if upcoming else None


def _language(candidates: list[Booking], body: str) -> str:
    if candidates:
        return max(candidates, key=lambda b: b.id).lang
    return "en" if re.search(r"[A-Za-z]", body or "") and not re.search(r"[\u4e00-\u9fff]", body or "") else "zh"


def handle(message_sid: str, phone: str, body: str, now: dt.datetime | None = None,
           opt_out_type: str | None = None) -> Answer:
    """Act on one inbound text once, and say what to answer. Commits.

    `opt_out_type` is Twilio's own reading (OptOutType: STOP, START, HELP), which also
    covers opt-out words configured in the Twilio console beyond the standard ones.
    """
    now = now or utcnow()
    seen = db.session.get(InboundMessage, message_sid)
    if seen is not None:
        return Answer(seen.reply, seen.lang, seen.outcome, duplicate=True)
    candidates = _senders_bookings(phone)
    action, keyword, named = parse(body, [b.reference for b in candidates])
    if opt_out_type in ("STOP", "START") and action not in ("stop", "cancel_opt_out", "start"):
        action = opt_out_type.lower()
    booking = choose(candidates, named, now)
    lang = booking.lang if booking else _language(candidates, body)
    record = InboundMessage(message_sid=message_sid, phone=phone, keyword=action, lang=lang,
                            booking_id=booking.id if booking else None, received_at=now)
    db.session.add(record)
    try:
        db.session.flush()  # a parallel copy of this webhook waits here, then fails
    except IntegrityError:
        return _duplicate(message_sid)
    try:
        answer = _act(action, keyword, record, booking, phone, lang)
    except BookingError:
        db.session.rollback()  # e.g. confirmed a moment ago from the web, or checked in
        answer = _record_only(message_sid, phone, action, booking, lang, "not_active",
                              texts.reply("not_active", lang, **_values(booking)))
    return answer


def _duplicate(message_sid: str) -> Answer:
    db.session.rollback()
    seen = db.session.get(InboundMessage, message_sid)
    return Answer(seen.reply, seen.lang, seen.outcome, duplicate=True)


def _record_only(message_sid, phone, action, booking, lang, outcome, reply) -> Answer:
    db.session.add(InboundMessage(message_sid=message_sid, phone=phone, keyword=action,
                                  lang=lang, booking_id=booking.id if booking else None,
                                  outcome=outcome, reply=reply))
    try:
        db.session.commit()
    except IntegrityError:
        return _duplicate(message_sid)
    return Answer(reply, lang, outcome)


def _values(booking: Booking) -> dict:
    return bookings.text_values(booking)


def _act(action: str, keyword: str, record: InboundMessage, booking: Booking | None,
         phone: str, lang: str) -> Answer:
    """Do what the text asks; the record commits with the change."""
    if action == "stop" or action == "cancel_opt_out":
        _opt_out(phone, keyword)
    elif action == "start" or keyword in OPT_IN_WORDS:
        db.session.execute(delete(PhoneOptOut).where(PhoneOptOut.phone == phone))
    if action in ("stop", "start"):
        return _commit(record, action, "")
    if booking is None:
        reply = "" if action == "cancel_opt_out" else texts.reply("no_booking", lang, link=public_url("/"))
        return _commit(record, "no_booking", reply)
    if action == "confirm":
        record.outcome, record.reply = "confirmed", texts.reply("confirmed", lang, **_values(booking))
        bookings.confirm(booking, actor="sms")
        return _commit(record, record.outcome, record.reply)
    if action in ("cancel", "cancel_opt_out"):
        # The answer (or, after CANCEL, nothing: Twilio now blocks us) is the only text.
        reply = texts.reply("cancelled", lang, **_values(booking)) if action == "cancel" else ""
        record.outcome, record.reply = "cancelled", reply
        bookings.cancel(booking, by="citizen", notify=False)
        return _commit(record, record.outcome, record.reply)
    return _commit(record, "help", texts.reply("help", lang, **_values(booking)))


def _opt_out(phone: str, keyword: str) -> None:
    if db.session.get(PhoneOptOut, phone) is not None:
        return
    try:
        with db.session.begin_nested():  # two different STOPs at once: one row is enough
            db.session.add(PhoneOptOut(phone=phone, keyword=keyword[:16]))
    except IntegrityError:
        pass


def _commit(record: InboundMessage, outcome: str, reply: str) -> Answer:
    record.outcome, record.reply = outcome, reply
    db.session.commit()
    return Answer(reply, record.lang, outcome)
