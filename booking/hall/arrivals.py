"""Arrival windows (docs/contract.md, third-wave additions, "Crowd safety"): a service's `arrival_windows` splits
each of its slots into that many equal windows, and every booking is given one, so a slot's
parties come spread over it instead of all at its start.

`choose` picks the window with the fewest bookings of the slot, earliest first, while the
caller's transaction holds the slot (its row locked on PostgreSQL; SQLite runs one writer at
a time), so racing bookings of one slot are spread as if they came one after another. The
booking keeps what it was given (`Booking.arrive_from`, `arrive_until`): a later change of the
setting never moves a window already texted. Both are None for a whole-slot booking, which
comes any time in its slot.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import func, select

from ..extensions import db
from ..i18n import local_time
from ..models import Booking, Slot

# The door admits a party from this long before its window (section 3b).
EARLY = dt.timedelta(minutes=10)


class Timed(Protocol):
    """A slot as seen by a booking (a Slot, or bookings.SlotSeen)."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def windows(slot: Timed, count: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """The slot's `count` windows, (start, end) in UTC, on whole minutes: a 30-minute slot in 4
    gives 09:00–09:07, 09:07–09:15, 09:15–09:22, 09:22–09:30. One window is the whole slot."""
    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    count = max(1, min(count, minutes or 1))
    edges = [slot.starts_at + dt.timedelta(minutes=i * minutes // count) for i in range(count)]
    return list(zip(edges, [*edges[1:], slot.ends_at], strict=True))


def choose(slot: Timed, count: int) -> tuple[dt.datetime, dt.datetime] | None:
    """The window to give a new booking of the slot: the one with the fewest bookings not
    cancelled, earliest first; None when the service has one window (`count` 1).

    Part of the caller's transaction: on PostgreSQL it first locks the slot's row (the booking
    then takes its places in that row), so the count below sees every racing booking of the
    slot that came first, and the next one waits for this one. Two statements.
    """
    if count <= 1:
        return None
    db.session.execute(select(Slot.id).where(Slot.id == slot.id).with_for_update())
    given = dict(db.session.execute(
        select(Booking.arrive_from, func.count()).where(
            Booking.slot_id == slot.id, Booking.status != "cancelled", Booking.arrive_from.is_not(None))
        .group_by(Booking.arrive_from)).all())
    options = windows(slot, count)
    return min(options, key=lambda window: (given.get(window[0], 0), window[0]))


def window_of(booking) -> tuple[dt.datetime, dt.datetime]:
    """When the party is asked to come, (from, until) in UTC: its window, else its whole slot."""
    if getattr(booking, "arrive_from", None) is not None:
        return booking.arrive_from, booking.arrive_until
    return booking.slot.starts_at, booking.slot.ends_at


def has_window(booking) -> bool:
    return getattr(booking, "arrive_from", None) is not None


def door_opens(booking) -> dt.datetime | None:
    """From when the door admits a booking with a window (EARLY before it); None without one."""
    return booking.arrive_from - EARLY if has_window(booking) else None


def when(booking, lang: str) -> str:
    """When to come, in words: 12月8日 09:07–09:15 (Tue, Dec 8, 09:07-09:15: a GSM-7 hyphen,
    so an English text stays in the 7-bit alphabet) with a window, else the slot's start as
    texts show it (12月8日 09:00; Tue, Dec 8, 09:00)."""
    office = booking.office
    if not has_window(booking):
        return local_time(booking.slot.starts_at, office, lang)
    dash = "-" if lang == "en" else "–"
    return (f"{local_time(booking.arrive_from, office, lang)}{dash}"
            f"{local_time(booking.arrive_until, office, lang, form='clock')}")


def clock(booking) -> str:
    """The window as a clock range, 09:07–09:15 (the staff queue, the door's refusal); the
    slot's own range without a window."""
    start, end = window_of(booking)
    office = booking.office
    return f"{local_time(start, office, form='clock')}–{local_time(end, office, form='clock')}"
