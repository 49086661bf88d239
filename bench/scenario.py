"""The popular day: an office whose slots for one day open at once, and the checks afterwards."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import text

DAYS_AHEAD = 3  # the popular day is this many local days from today; its window is open


@dataclass(frozen=True)
class PopularDay:
    office: str
    service: str
    day: dt.date
    slot_ids: list[int]
    per_slot: int

    @property
    def capacity(self) -> int:
        return len(self.slot_ids) * self.per_slot


def load_popular_day(app, office_code: str, slots: int, per_slot: int) -> PopularDay:
    """An office with a marriage service and `slots` ten-minute slots on one day, each for
    `per_slot` couples (people limit 2 x per_slot), bookable now. Commits."""
    from booking.extensions import db
    from booking.models import Office, OpeningHours, Service, Slot, utcnow

    with app.app_context():
        office = Office(code=office_code, name_zh="民政局婚姻登记处", name_en="Marriage Registry",
                        address_zh="人民路 1 号", address_en="1 Renmin Road")
        service = Service(office=office, code="marriage", kind="marriage", name_zh="结婚登记",
                          name_en="Marriage registration", party_size_min=2, party_size_max=2,
                          slot_minutes=10, slot_max_bookings=per_slot, slot_max_people=2 * per_slot,
                          booking_opens_days=7, booking_closes_hours=2)
        service.hours = [OpeningHours(weekday=d, opens=dt.time(8, 0), closes=dt.time(23, 50))
                         for d in range(7)]
        db.session.add(office)
        db.session.flush()
        day = utcnow().astimezone(office.tz).date() + dt.timedelta(days=DAYS_AHEAD)
        first = dt.datetime.combine(day, dt.time(8, 0), tzinfo=office.tz)
        rows = [Slot(service=service, office_id=office.id,
                     starts_at=first + dt.timedelta(minutes=10 * i),
                     ends_at=first + dt.timedelta(minutes=10 * i + 10),
                     max_bookings=per_slot, max_people=2 * per_slot) for i in range(slots)]
        db.session.add_all(rows)
        db.session.commit()
        return PopularDay(office_code, "marriage", day, [slot.id for slot in rows], per_slot)


def codes_by_phone(app, phones: list[str]) -> dict[str, str]:
    """The latest verification code texted to each phone, read from the outbox as a citizen
    reads it from the text."""
    from booking.extensions import db
    from booking.models import SmsMessage
    from booking.sms.compose import preview

    wanted = set(phones)
    found: dict[str, str] = {}
    with app.app_context():
        rows = db.session.scalars(db.select(SmsMessage).where(SmsMessage.kind == "verification_code")
                                  .order_by(SmsMessage.id))
        for message in rows:
            if message.phone in wanted:  # the code waits sealed: read it as the text shows it
                found[message.phone] = re.search(r"\d{6}", preview(message)).group()
    return found


def verify_in_process(app, phones: list[str]) -> dict[str, tuple[str, str]]:
    """(verification id, code) per phone through the domain function (no HTTP)."""
    from booking.verification import start_verification

    with app.app_context():
        ids = {number: start_verification(number) for number in phones}
    codes = codes_by_phone(app, phones)
    return {number: (ids[number], codes[number]) for number in phones}


def check_invariants(app, popular: PopularDay, created: dict[str, int], demand: int,
                     stopped_early: int = 0) -> dict:
    """What must hold after a rush, each as {name: (ok, detail)}.

    created maps every reference answered 201 to the slot id in the answer; stopped_early
    counts citizens who stopped (time up, too many tries) while places may have been free:
    then the day need not sell out, and the detail says so.
    """
    from booking.extensions import db

    ids = tuple(popular.slot_ids)
    with app.app_context():
        q = lambda sql: db.session.execute(text(sql))  # noqa: E731
        slots = q(_in_list("SELECT id, booked_bookings, booked_people, max_bookings, max_people"
                           " FROM slot WHERE id IN ({})", ids)).all()
        active = dict(q(_in_list(
            "SELECT slot_id, COUNT(*) FROM booking WHERE status IN ('booked', 'confirmed')"
            " AND slot_id IN ({}) GROUP BY slot_id", ids)).all())
        stored = dict(q(_in_list(
            "SELECT reference, slot_id FROM booking WHERE slot_id IN ({})", ids)).all())
        no_sms = q(_in_list(
            "SELECT COUNT(*) FROM booking b WHERE b.slot_id IN ({}) AND NOT EXISTS (SELECT 1 FROM"
            " sms_message m WHERE m.booking_id = b.id AND m.kind = 'booked')", ids)).scalar()
    booked = sum(row[1] for row in slots)
    over = [row[0] for row in slots if row[1] > row[3] or row[2] > row[4]]
    drift = [row[0] for row in slots if row[1] != active.get(row[0], 0)]
    missing = [ref for ref, slot_id in created.items() if stored.get(ref) != slot_id]
    full = demand <= popular.capacity or booked == popular.capacity or stopped_early > 0
    note = f" (not a sell-out test: {stopped_early} citizens stopped early)" if stopped_early else ""
    return {
        "sold_out_exactly": (full, f"{booked} of {popular.capacity} places booked, demand {demand}{note}"),
        "no_slot_over_limits": (not over, f"slots over a limit: {over[:5]}"),
        "counters_match_bookings": (not drift, f"slots whose counter differs: {drift[:5]}"),
        "every_201_stored": (not missing, f"{len(missing)} of {len(created)} answered references missing"),
        "no_unanswered_booking": (len(stored) == len(created),
                                  f"{len(stored)} bookings stored, {len(created)} answered 201"),
        "every_booking_has_sms": (no_sms == 0, f"{no_sms} bookings without a 'booked' text"),
    }


def _in_list(sql: str, ids: tuple[int, ...]) -> str:
    """Inline a list of our own integer ids (never user input) for SQLite and PostgreSQL alike."""
    return sql.format(", ".join(str(int(i)) for i in ids))
