"""The staff calendar feed: an office's days (slots with counts, closures), no identity data."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event
from sqlalchemy import select

from ..extensions import db
from ..hall import queue
from ..models import Office, Slot, utcnow
from ..offices import closures as closure_rules

DAYS_BEFORE, DAYS_AFTER = 7, 28


def office_calendar(office: Office, today: dt.date) -> bytes:
    """Each slot as an event with its booked counts; each closure as an all-day event."""
    cal = Calendar()
    cal.add("prodid", "-//Civil Affairs Booking//Staff//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{office.name_zh} {office.name_en}")
    start, _ = queue.day_bounds(office, today - dt.timedelta(days=DAYS_BEFORE))
    _, end = queue.day_bounds(office, today + dt.timedelta(days=DAYS_AFTER))
    slots = db.session.scalars(select(Slot).where(Slot.office_id == office.id, Slot.starts_at >= start,
                                                  Slot.starts_at < end).order_by(Slot.starts_at))
    stamp = utcnow()
    for slot in slots:
        if slot.booked_bookings == 0:
            continue  # an empty slot is no appointment for staff
        event = Event()
        event.add("uid", f"slot-{slot.id}@{office.code}.staff")
        event.add("dtstamp", stamp)
        event.add("dtstart", slot.starts_at)
        event.add("dtend", slot.ends_at)
        event.add("summary", f"{slot.service.name_zh} {slot.service.name_en}: "
                             f"{slot.booked_bookings}/{slot.max_bookings} ({slot.booked_people} 人 people)")
        cal.add_component(event)
    for closure in closure_rules.closures_in_force(office, now=start):
        event = Event()
        event.add("uid", f"closure-{closure.id}@{office.code}.staff")
        event.add("dtstamp", stamp)
        event.add("dtstart", closure.first_day)
        event.add("dtend", closure.last_day + dt.timedelta(days=1))
        what = f"{closure.service.name_zh} " if closure.service else ""
        event.add("summary", f"{what}暂停办理 Closed: {closure.reason}")
        cal.add_component(event)
    return cal.to_ical()
