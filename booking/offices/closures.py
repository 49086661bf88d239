"""Closures: an office (or one service) suspended for a range of local days, with a reason.

Closing is two steps for staff: `preview` counts what a closure would cancel (bookings and
people, per day, and a digest of exactly which) and changes nothing; `close_days` does it,
refusing when the bookings differ from the digest it is given, and acting once however often
the same closure is confirmed. Each cancelled booking keeps a link to
its closure, so the booking's own page shows the full reason in the reader's language, and the
text (which links to that page) carries the reason only where it fits whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from .. import audit, bookings, date_input, scheduling, text_rules
from ..errors import BookingError, NotActive
from ..extensions import db
from ..hant import to_hant
from ..models import Booking, Closure, Office, Service, Slot, StaffUser, utcnow
from ..uow import use_case

MAX_CLOSURE_DAYS = 366
MAX_REASON = 200
# English texts when staff wrote no English reason (docs/contract.md: "a neutral English sentence").
NEUTRAL_REASON_EN = "the office has had to close that day"
# Words a reason often starts with that the text's own wording already says ("原因：因…" reads twice).
_LEADING = re.compile(r"^(?:因为|由于|因|because of |because |due to )", re.IGNORECASE)
_TRAILING = re.compile(r"[\s。．.，,；;！!]+$")


class InvalidClosure(BookingError):
    code, field = "invalid_closure", "to"
    message_zh = "请填写有效的日期范围（开始不晚于结束，最长一年）和原因（最多 200 字）。"
    message_en = ("Please give a valid date range (start on or before end, at most a year) and a "
                  "reason (up to 200 characters).")


class InvalidReason(InvalidClosure):
    code, field = "invalid_reason", "reason"
    message_zh = "请填写原因：一行文字，最多 200 字，不含换行或控制字符。"
    message_en = "Please give a reason: one line of at most 200 characters, without line breaks or control characters."


class PreviewOutdated(BookingError):
    code, status = "closure_changed", 409
    message_zh = ("自预览以来，这些日期的预约有了变化（预览时 {before} 个，现在 {now} 个）。"
                  "请查看新的预览，再确认关闭。")
    message_en = ("Bookings on these days changed since the preview (it showed {before}, there are now "
                  "{now}). Check the new preview and confirm again.")


class ClosurePast(BookingError):
    code, status, field = "closure_past", 409, "from"
    message_zh, message_en = "不能关闭已经过去的日期。", "Past dates cannot be closed."


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    bookings: int
    people: int


@dataclass(frozen=True)
class Preview:
    """What a closure would cancel: per local day, and in all; `digest` names exactly those
    bookings (booking_digest), for the confirmation to carry."""

    days: list[DayCount]
    digest: str = ""

    @property
    def bookings(self) -> int:
        return sum(d.bookings for d in self.days)

    @property
    def people(self) -> int:
        return sum(d.people for d in self.days)


def _bounds(office: Office, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (scheduling.local_datetime(office, first, dt.time(0)),
            scheduling.local_datetime(office, last + dt.timedelta(days=1), dt.time(0)))


def affected_bookings(office: Office, service: Service | None, first: dt.date,
                      last: dt.date, *, lock: bool = False) -> list[Booking]:
    """Active, not yet arrived bookings of the office (or one service) on local days first..last;
    `lock` holds their rows until the commit (FOR UPDATE on PostgreSQL)."""
    start, end = _bounds(office, first, last)
    stmt = (select(Booking).join(Slot, Booking.slot_id == Slot.id)
            .where(Booking.office_id == office.id, Booking.status.in_(bookings.CANCELLABLE),
                   Slot.office_id == office.id,  # the slots from their index (see queue.day_bookings)
                   Slot.starts_at >= start, Slot.starts_at < end).order_by(Slot.starts_at, Booking.id))
    if service is not None:
        stmt = stmt.where(Booking.service_id == service.id)
    if lock:
        stmt = stmt.with_for_update(of=Booking)
    return list(db.session.scalars(stmt))


def _mark_slots(office: Office, service: Service | None, first: dt.date, last: dt.date,
                status: str) -> None:
    """One UPDATE of the days' slots to `status` ("closed" or "open"); it holds their rows until
    the commit, and scheduling.reserve takes places only in open slots."""
    start, end = _bounds(office, first, last)
    stmt = (update(Slot).where(Slot.office_id == office.id, Slot.starts_at >= start, Slot.starts_at < end,
                               Slot.status != "removed")
            .values(status=status).execution_options(synchronize_session=False))
    if service is not None:
        stmt = stmt.where(Slot.service_id == service.id)
    db.session.execute(stmt)


def clean_reasons(reason, reason_en) -> tuple[str, str]:
    """The reason (required) and its English (optional): each one line of at most MAX_REASON
    characters (booking.text_rules); InvalidReason otherwise."""
    reason = text_rules.single_line(reason, MAX_REASON, InvalidReason)
    reason_en = str(reason_en or "").strip()
    if reason_en:
        reason_en = text_rules.single_line(reason_en, MAX_REASON, InvalidReason)
    return reason, reason_en


def check_range(office: Office, service: Service | None, first: dt.date, last: dt.date,
                now: dt.datetime | None = None) -> None:
    """InvalidClosure for a reversed or over-long range or another office's service;
    ClosurePast when it starts before the office's local today."""
    if first > last or (last - first).days >= MAX_CLOSURE_DAYS:
        raise InvalidClosure()
    if service is not None and service.office_id != office.id:
        raise InvalidClosure("service")
    if first < scheduling.local_day(office, now or utcnow()):
        raise ClosurePast()


def booking_digest(bookings_affected: list[Booking]) -> str:
    """"<count>:<16 hex digits>": the count and a SHA-256 of the sorted ids of the bookings."""
    ids = ",".join(str(i) for i in sorted(b.id for b in bookings_affected))
    return f"{len(bookings_affected)}:{hashlib.sha256(ids.encode()).hexdigest()[:16]}"


def preview(office: Office, service: Service | None, first: dt.date, last: dt.date,
            now: dt.datetime | None = None) -> Preview:
    """Bookings and people a closure of first..last would cancel, per local day. Reads only."""
    check_range(office, service, first, last, now)
    counts: dict[dt.date, list[int]] = {}
    affected = affected_bookings(office, service, first, last)
    for booking in affected:
        day = scheduling.local_day(office, booking.slot.starts_at)
        count = counts.setdefault(day, [0, 0])
        count[0], count[1] = count[0] + 1, count[1] + booking.party_size
    return Preview([DayCount(day, *counts[day]) for day in sorted(counts)], booking_digest(affected))


def text_reason(closure: Closure, lang: str) -> str:
    """The reason as the text says it after "原因：" / "cancelled: " — without a leading
    "因"/"because" or a closing full stop, so the sentence reads right whatever staff wrote;
    English without an English reason gets the neutral sentence."""
    reason = closure.reason_in(lang) or (NEUTRAL_REASON_EN if lang == "en" else closure.reason)
    reason = _TRAILING.sub("", reason.strip())
    shorter = _LEADING.sub("", reason).strip()
    return shorter or reason


@use_case
def close_days(office: Office, service: Service | None, first: dt.date, last: dt.date, reason: str,
          staff: StaffUser, reason_en: str = "", now: dt.datetime | None = None,
          previewed: str | None = None) -> tuple[Closure, int]:
    """Close an office (or one service) for local days first..last; returns (closure, cancelled).

    One use case, whose locks follow a booking's own order (the booking, then its slot): the
    affected bookings are locked, the days' slots marked closed, and the bookings cancelled by
    the office with a text each in its own language. A booking racing the closure either
    committed before the slots were marked, and is among them, or finds its slot closed.
    Nothing is written before every input is checked.

    `previewed` (Preview.digest, what the supervisor saw): PreviewOutdated (409, nothing
    written) unless exactly those bookings are affected now. The same closure already in force
    (office, service, days and reasons; a double submit, an API retry) is answered as it was
    (that closure, the bookings it cancelled): a confirmation acts once. Closing is one at a
    time per office (a row lock on PostgreSQL; SQLite's writer lock), so two copies of one
    confirmation cannot both close.
    """
    date_input.check_day(first, "from"), date_input.check_day(last, "to")
    reason, reason_en = clean_reasons(reason, reason_en)
    check_range(office, service, first, last, now)
    db.session.execute(select(Office.id).where(Office.id == office.id).with_for_update(key_share=True))
    same = _same_in_force(office, service, first, last, reason, reason_en)
    if same is not None:
        return same, db.session.scalar(select(func.count()).where(Booking.closure_id == same.id))
    closure = Closure(office_id=office.id, service_id=service.id if service else None,
                      first_day=first, last_day=last, reason=reason, reason_en=reason_en,
                      reason_zh_hant=to_hant(reason),  # drafted: zh-Hant texts never carry Simplified
                      created_by_id=staff.id)
    db.session.add(closure)
    db.session.flush()
    audit.record("closure_created", actor="staff", office_id=office.id, staff_user_id=staff.id,
                 closure=closure.id, service=service.code if service else None,
                 first=first.isoformat(), last=last.isoformat(), reason=reason, reason_en=reason_en)
    affected_bookings(office, service, first, last, lock=True)
    _mark_slots(office, service, first, last, "closed")
    affected = affected_bookings(office, service, first, last, lock=True)
    if previewed is not None and booking_digest(affected) != previewed:
        shown = previewed.partition(":")[0]
        raise PreviewOutdated(before=shown if shown.isascii() and shown.isdigit() else "?", now=len(affected))
    cancelled = 0
    for booking in affected:
        try:
            bookings.cancel(booking, by="office", reason=text_reason(closure, booking.lang),
                            staff_user_id=staff.id)
        except NotActive:  # cancelled by its citizen a moment ago: nothing was written
            continue
        booking.closure_id = closure.id
        cancelled += 1
    return closure, cancelled


def _same_in_force(office: Office, service: Service | None, first: dt.date, last: dt.date,
                   reason: str, reason_en: str) -> Closure | None:
    """The closure in force with exactly these days, service and reasons, if any."""
    return db.session.scalars(select(Closure).where(
        Closure.office_id == office.id, Closure.reopened_at.is_(None),
        Closure.service_id.is_(None) if service is None else Closure.service_id == service.id,
        Closure.first_day == first, Closure.last_day == last, Closure.reason == reason,
        Closure.reason_en == reason_en).order_by(Closure.id)).first()


def closures_in_force(office: Office, include_past: bool = False,
             now: dt.datetime | None = None) -> list[Closure]:
    """The office's closures in force (and, if asked, past or re-opened ones), by first day."""
    stmt = select(Closure).where(Closure.office_id == office.id).order_by(Closure.first_day)
    if not include_past:
        stmt = stmt.where(Closure.reopened_at.is_(None),
                          Closure.last_day >= scheduling.local_day(office, now or utcnow()))
    return list(db.session.scalars(stmt))


def _overlapping(closure: Closure) -> list[Closure]:
    """The office's other closures in force that share days and services with `closure`."""
    stmt = select(Closure).where(
        Closure.office_id == closure.office_id, Closure.id != closure.id, Closure.reopened_at.is_(None),
        Closure.first_day <= closure.last_day, Closure.last_day >= closure.first_day)
    if closure.service_id is not None:  # a whole-office closure, or one of the same service
        stmt = stmt.where(or_(Closure.service_id.is_(None), Closure.service_id == closure.service_id))
    return list(db.session.scalars(stmt))


@use_case
def reopen(closure: Closure, staff: StaffUser) -> Closure:
    """Lift a closure: its days take bookings again, except where another closure still holds
    them (cancelled bookings stay cancelled). A use case."""
    if closure.reopened_at is None:
        closure.reopened_at = utcnow()
        _mark_slots(closure.office, closure.service, closure.first_day, closure.last_day, "open")
        for other in _overlapping(closure):  # what another closure still holds stays closed
            _mark_slots(closure.office, other.service or closure.service,
                        max(other.first_day, closure.first_day), min(other.last_day, closure.last_day),
                        "closed")
        audit.record("closure_reopened", actor="staff", office_id=closure.office_id,
                     staff_user_id=staff.id, closure=closure.id)
    return closure
