"""The moving clock of bench/hall_day.py: who arrives when, and each tick of the day through the
product's own use cases (door.check_in, queue.call_next, queue.complete, offices.admin.set_level),
each with `now=`. Nothing here decides who may enter: the door does."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

SEED = 20270315
DAY = dt.date(2027, 3, 15)  # a Monday, a working day
TICK = dt.timedelta(seconds=30)
EARLY = 8.0  # minutes: how early people come on average


@dataclass
class Party:
    n: int
    jitter: dt.timedelta  # arrival minus the time the party was told
    service: dt.timedelta  # at the counter
    booking_id: int = 0
    arrives: dt.datetime | None = None
    retry: dt.datetime | None = None  # refused too_early: not before then
    blocked: int = -1  # refused hall_full: completions seen then (tries again after one more)
    admitted: dt.datetime | None = None
    leaves: dt.datetime | None = None  # called to a counter: then plus the service time
    done: bool = False
    turned_away: str | None = None  # refused for good (too_late: the door closed first)


def plan(slots: int, per_slot: int, seed: int = SEED, early: float = EARLY) -> list[list[Party]]:
    """Each slot's parties with their jitter (`early`: the mean, in minutes before the time
    told) and service time, the same for every run."""
    draw = random.Random(seed)
    result, n = [], 0
    for _ in range(slots):
        row = []
        for _ in range(per_slot):
            jitter = max(-30.0, min(15.0, draw.gauss(-early, 7.0)))
            row.append(Party(n, dt.timedelta(minutes=round(jitter, 1)),
                             dt.timedelta(minutes=round(draw.triangular(6, 15, 10), 1))))
            n += 1
        result.append(row)
    return result

class Day:
    """The day's clock and what the hall did: the door, the counters, the samples."""

    def __init__(self, app, built: dict, parties: list[Party], level_at: dt.datetime | None = None):
        self.app, self.built, self.parties, self.level_at = app, built, parties, level_at
        self.busy: dict[str, Party | None] = {}
        self.by_booking = {p.booking_id: p for p in parties}
        self.completions = 0
        self.samples: list[tuple[dt.datetime, int, int]] = []  # (now, occupancy, limit)
        self.outside = 0  # the most people waiting at the door at once
        self.admissions: list[tuple[dt.datetime, int, int]] = []  # (now, occupancy before, limit)
        self.refused: dict[str, int] = {}
        self.listed = 0  # bookings beyond the smaller future slots, listed for review

    def run(self) -> None:
        from booking.extensions import db
        from booking.models import Office, StaffUser

        with self.app.app_context():
            self.office = db.session.get(Office, self.built["office"])
            self.staff = db.session.get(StaffUser, self.built["staff"])
            self.busy = dict.fromkeys(self.office.counter_names)
            now = _local(self.office, dt.time(8, 0))
            end = _local(self.office, dt.time(20, 0))
            while now < end and not all(p.done or p.turned_away for p in self.parties):
                self.tick(now)
                now += TICK
            db.session.remove()

    def tick(self, now: dt.datetime) -> None:
        from booking.hall import door
        from booking.offices import admin

        for counter, party in self.busy.items():
            if party is not None and party.leaves <= now:
                self._complete(counter, party)
        if self.level_at is not None and now >= self.level_at:
            self.listed = len(admin.set_level(self.office, "heightened", self.staff, now=now))
            self.level_at = None
        self.door(now)
        self.counters(now)
        self.outside = max(self.outside, sum(2 for p in self.parties if p.admitted is None
                                             and not p.turned_away and p.arrives <= now))
        self.samples.append((now, door.occupancy(self.office, now), door.hall_limit(self.office)))

    def door(self, now: dt.datetime) -> None:
        from booking.extensions import db
        from booking.hall import door
        from booking.models import Booking

        waiting = sorted((p for p in self.parties if p.admitted is None and not p.turned_away and p.arrives <= now),
                         key=lambda p: p.arrives)
        for party in waiting:
            if (party.retry and party.retry > now) or party.blocked == self.completions:
                continue
            booking = db.session.get(Booking, party.booking_id)
            before = door.occupancy(self.office, now)
            try:
                door.check_in(booking, [36.5, 36.6], self.staff, now=now)
            except door.DoorRefused as refused:
                self.refused[refused.code] = self.refused.get(refused.code, 0) + 1
                if refused.code == "too_early":
                    party.retry = door.door_opens_at(booking)
                    continue
                if refused.code != "hall_full":
                    party.turned_away = refused.code
                    continue
                party.blocked = self.completions
                break  # the door keeps its line: nobody behind goes first
            party.admitted = now
            self.admissions.append((now, before, door.hall_limit(self.office)))

    def counters(self, now: dt.datetime) -> None:
        from booking.hall import queue

        for counter, party in self.busy.items():
            if party is not None:
                continue
            try:
                called = queue.call_next(self.office, counter, self.staff, now=now)
            except queue.NothingWaiting:
                return
            party = self.by_booking[called.id]
            party.leaves = now + party.service
            self.busy[counter] = party

    def _complete(self, counter: str, party: Party) -> None:
        from booking.extensions import db
        from booking.hall import queue
        from booking.models import Booking

        queue.complete(db.session.get(Booking, party.booking_id), self.staff, now=party.leaves)
        self.busy[counter] = None
        self.completions += 1
        party.done = True


def _local(office, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(DAY, time, tzinfo=office.tz)
