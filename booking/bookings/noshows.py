"""No-show rules per service (docs/contract.md, third-wave additions; Guangdong's rule, for one: two no-shows within 30
days bar a person for 15 days): a person, known by the keyed hash of their identity document,
with `no_show_limit` no-shows of a service within `no_show_window_days` cannot book it (online,
on the waiting list or through staff) for `no_show_bar_days` after the last one. Days are the
office's local days: a no-show counts on the local day of its slot, and the person may book
again on the day after `last no-show + no_show_bar_days`. A supervisor lifts a bar for one
person with a reason (lift_bar, audited): their no-shows before that moment no longer count.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import current_app
from sqlalchemy import and_, exists, select

from .. import audit, scheduling
from ..errors import BookingError
from ..extensions import db
from ..i18n import day_text
from ..identity import identity_hash, read_document
from ..models import BarLifted, Booking, Service, Slot, StaffUser, Visitor, utcnow
from ..uow import use_case


class Barred(BookingError):
    """The person has missed too many appointments of this service lately."""

    code, status = "barred", 409
    message_zh = "第 {position} 位办事人近期多次预约未到，{until}（含）之前不能预约此事项。"
    message_en = ("Visitor {position} missed too many appointments of this service recently and cannot "
                  "book it until {until} (inclusive).")


class InvalidLift(BookingError):
    code, field = "invalid_reason", "reason"
    message_zh = "请填写解除限制的原因（200 字以内）。"
    message_en = "Give the reason for lifting the bar (200 characters at most)."


@dataclasses.dataclass(frozen=True)
class Bar:
    """A person's bar on a service: `until` is the last local day they may not book."""

    id_hash: str
    until: dt.date
    no_shows: int  # the no-shows within the window that ended with the last one


def bars(service: Service, hashes: list[str], now: dt.datetime) -> dict[str, Bar]:
    """The bars in force at `now` of the people of `hashes` on `service`, by hash (none where
    the service sets no limit). One query over the no-shows that can still bar."""
    limit, window, length = service.no_show_limit, service.no_show_window_days, service.no_show_bar_days
    if limit <= 0 or not hashes:
        return {}
    office = service.office
    today = scheduling.local_day(office, now)
    since = now - dt.timedelta(days=window + length + 1)
    lifted = exists().where(and_(BarLifted.service_id == service.id, BarLifted.id_hash == Visitor.id_hash,
                                 BarLifted.lifted_at >= Slot.starts_at))
    rows = db.session.execute(
        select(Visitor.id_hash, Slot.starts_at).join(Booking, Visitor.booking_id == Booking.id)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.service_id == service.id, Booking.status == "no_show", Visitor.id_hash.in_(list(hashes)),
               Slot.starts_at >= since, Slot.starts_at <= now, ~lifted)).all()
    days: dict[str, list[dt.date]] = {}
    for digest, starts_at in rows:
        days.setdefault(digest, []).append(scheduling.local_day(office, starts_at))
    found = {}
    for digest, missed in days.items():
        bar = _bar(digest, sorted(missed, reverse=True), today, limit, window, length)
        if bar:
            found[digest] = bar
    return found


def _bar(digest: str, missed: list[dt.date], today: dt.date, limit: int, window: int, length: int) -> Bar | None:
    """The latest bar of one person's no-show days (newest first) still in force on `today`."""
    for last in missed:
        until = last + dt.timedelta(days=length)
        if until < today:
            return None
        within = [day for day in missed if last - dt.timedelta(days=window) < day <= last]
        if len(within) >= limit:
            return Bar(digest, until, len(within))
    return None


def person_hash(id_type, id_number) -> str:
    """The keyed hash a person's bookings carry, from a document typed on a staff page;
    InvalidDocumentType / InvalidIdentity (422) for what is not a document."""
    document = read_document(id_type, id_number, "person")
    return identity_hash(current_app.config["SECRET_KEY"], document.id_type, document.number)


def check_not_barred(service: Service, hashes: list[str], now: dt.datetime) -> None:
    """Barred (409, the first barred visitor's position and the last day of the bar, in the
    reader's language) when anyone of the party is barred from `service` at `now`."""
    found = bars(service, hashes, now)
    for position, digest in enumerate(hashes, start=1):
        if digest in found:
            raise Barred(f"visitors.{position - 1}", position=position, until=until_text(found[digest].until))


def until_text(day: dt.date):
    """The last day of a bar as the reader's language writes it, with its year: a function of
    the language (BookingError.message asks it)."""
    return lambda lang: f"{day_text(day, lang)}, {day.year}" if lang == "en" else f"{day.year}年{day_text(day, lang)}"


@use_case
def lift_bar(service: Service, id_hash: str, reason: str, staff: StaffUser,
             now: dt.datetime | None = None) -> BarLifted:
    """Lift the bar of one person (by document hash) on `service`: their no-shows so far stop
    counting. `reason` 1-200 characters (InvalidLift); audited with the staff member. A use case."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidLift()
    lifted = BarLifted(service_id=service.id, id_hash=id_hash, reason=reason, staff_user_id=staff.id,
                       lifted_at=now or utcnow())
    db.session.add(lifted)
    audit.record("bar_lifted", actor="staff", office_id=service.office_id, staff_user_id=staff.id,
                 service=service.code, reason=reason)
    return lifted
