"""Reminders the day before, and the release of places nobody confirmed.

The rules (times local to the office; hours set by SMS_REMINDER_HOUR, SMS_RELEASE_HOUR):

- Reminder: from REMINDER_HOUR (default 18:00) on the day before its date, every active
  booking gets one reminder with its health-declaration link. Exactly once: a SmsNotice row
  commits with the outbox row. A booking made later that same day gets it at the next run;
  one made on the day itself gets none (it was just made). No reminder to a number that
  replied STOP.
- Release warning: at the same moment, a booking of a service that requires confirmation
  and is still unconfirmed is told its deadline: RELEASE_HOUR (default 21:00) that evening,
  but at least MIN_NOTICE (2 h) after the warning. If that deadline would fall after booking
  for the slot has closed (nobody else could take the place), no warning is sent and the
  booking stands.
- Release: at the deadline recorded with the warning, a booking still unconfirmed is
  cancelled by `bookings.release_unconfirmed` (place back to the slot, text, audit).
  Only a warned booking is ever released: a number that replied STOP gets no warning,
  so its booking stands; so does a booking a clerk took for someone without a mobile
  (phone "": nobody to remind or warn, docs/contract.md, third-wave additions).

`run_due(now)` does all three, and the waiting list's expiry (waiting/holds.py), and is safe
to run as often as you like and from several workers at once; the worker runs it every
minute, and `flask sms reminders` runs it once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from .. import bookings, scheduling
from ..errors import BookingError
from ..extensions import db
from ..models import Booking, Office, PhoneOptOut, Slot, SmsNotice, utcnow
from ..notify import outbox, texts
from ..uow import use_case
from ..waiting import holds

MIN_NOTICE = dt.timedelta(hours=2)


@dataclass
class Done:
    reminders: int = 0
    warnings: int = 0
    released: int = 0
    offers_ended: int = 0  # waiting-list offers past their claim window, passed on
    holds_released: int = 0  # held places back to the public after the hold-back


def run_due(now: dt.datetime | None = None) -> Done:
    """Release what is past its deadline, then send due release warnings and reminders."""
    now = now or utcnow()
    done = Done(released=release_due(now))
    done.offers_ended, done.holds_released = holds.run_due(now)
    for booking in _tomorrows_bookings(now):
        if _needs_warning(booking, now):
            done.warnings += _warn(booking, now)
        done.reminders += _remind(booking, now)
    return done


def _hour(key: str) -> int:
    return int(current_app.config[key])


def _tomorrows_bookings(now: dt.datetime) -> list[Booking]:
    """Active bookings not yet reminded whose local date is tomorrow, at the offices whose
    reminder hour has come: one query per such office, whatever the number of bookings (the
    worker asks every minute)."""
    found: list[Booking] = []
    for office in db.session.scalars(select(Office).order_by(Office.id)):
        local_now = now.astimezone(office.tz)
        if local_now.hour < _hour("SMS_REMINDER_HOUR"):
            continue
        tomorrow = local_now.date() + dt.timedelta(days=1)
        found += db.session.scalars(
            select(Booking).join(Slot, Booking.slot_id == Slot.id)
            .options(contains_eager(Booking.slot), joinedload(Booking.service))
            .where(Slot.office_id == office.id,
                   Slot.starts_at >= scheduling.local_datetime(office, tomorrow, dt.time(0)),
                   Slot.starts_at < scheduling.local_datetime(office, tomorrow + dt.timedelta(days=1),
                                                              dt.time(0)),
                   Booking.status.in_(bookings.CANCELLABLE), Booking.phone != "",
                   ~exists().where(SmsNotice.booking_id == Booking.id, SmsNotice.kind == "reminder"))
            .order_by(Slot.starts_at, Booking.id))
    return found


def release_deadline(booking: Booking, now: dt.datetime) -> dt.datetime | None:
    """When an unconfirmed booking warned now would be released; None if releasing would be
    of no use (booking for its slot closes first)."""
    office = booking.office
    day_before = scheduling.local_day(office, booking.slot.starts_at) - dt.timedelta(days=1)
    evening = scheduling.local_datetime(office, day_before,
                                        dt.time(_hour("SMS_RELEASE_HOUR")))
    deadline = max(evening.astimezone(dt.UTC), now + MIN_NOTICE)
    closes = booking.slot.starts_at - dt.timedelta(hours=booking.service.booking_closes_hours)
    return deadline if deadline < closes else None


def _needs_warning(booking: Booking, now: dt.datetime) -> bool:
    return booking.service.requires_confirmation and booking.status == "booked"


def _opted_out(phone: str) -> bool:
    return db.session.get(PhoneOptOut, phone) is not None


@use_case
def _once(booking: Booking, kind: str, deadline: dt.datetime | None, values: dict,
          now: dt.datetime) -> int:
    """Add the notice and its text in one use case; 0 if it was already sent."""
    if _opted_out(booking.phone):
        return 0
    try:
        with db.session.begin_nested():  # the notice's key says whether it was sent before
            db.session.add(SmsNotice(booking_id=booking.id, kind=kind, created_at=now, deadline=deadline))
    except IntegrityError:  # sent before, or by a run racing this one
        return 0
    outbox.enqueue(kind, booking.phone, booking.lang, booking, **values)
    return 1


def _sent(booking: Booking, kind: str) -> bool:
    return db.session.get(SmsNotice, (booking.id, kind)) is not None


def _remind(booking: Booking, now: dt.datetime) -> int:
    if _sent(booking, "reminder"):
        return 0
    # The health-declaration link (texts.LINKS) and the time are derived when it is sent.
    return _once(booking, "reminder", None, bookings.text_values(booking), now)


def _warn(booking: Booking, now: dt.datetime) -> int:
    if _sent(booking, "release_warning"):
        return 0
    deadline = release_deadline(booking, now)
    if deadline is None:
        return 0
    values = bookings.text_values(booking)
    values["deadline"] = texts.when(deadline, booking.office, booking.lang)
    return _once(booking, "release_warning", deadline, values, now)


def release_due(now: dt.datetime | None = None) -> int:
    """Release every warned booking still unconfirmed at its deadline. Returns how many."""
    now = now or utcnow()
    due = db.session.execute(
        select(Booking, SmsNotice.deadline).join(SmsNotice, SmsNotice.booking_id == Booking.id)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(SmsNotice.kind == "release_warning", SmsNotice.deadline <= now,
               Booking.status == "booked", Slot.starts_at > now)).all()
    released = 0
    for booking, deadline in due:
        try:
            bookings.release_unconfirmed(booking, deadline=deadline, now=now)
            released += 1
        except BookingError:  # confirmed or cancelled a moment ago: its use case wrote nothing
            continue
    return released
