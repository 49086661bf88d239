"""iCalendar files for bookings (RFC 5545), in the booking's language.

One event per booking with a UID that never changes, so a calendar that imported the file
updates the same event when it is moved (higher SEQUENCE) or cancelled (STATUS:CANCELLED).
Times are written in the office's time zone with a VTIMEZONE of our own making: one
observance per offset change and no RDATE lists, because several readers (vobject, ical.js)
read only the first value of a comma-separated RDATE and shift the event by an hour.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from .hall import arrivals
from .i18n import choose
from .links import manage_url
from .models import Booking, utcnow

PRODID = "-//Civil Affairs Booking//booking//EN"
ALARMS = (dt.timedelta(days=1), dt.timedelta(hours=2))

TEXT = {
    "zh": {
        "summary": "{service}（{office}）",
        "cancelled": "【已取消】",
        "reference": "预约编号：{reference}",
        "window": "到场时段：{window}",
        "bring": "请携带：{bring}",
        "arrive": "请提前到达，入场前需测量体温并出示健康码。",
        "manage": "查看、改期或取消：{link}",
        "alarm_day": "明天：{service}，预约编号 {reference}",
        "alarm_hours": "两小时后：{service}，预约编号 {reference}",
    },
    "en": {
        "summary": "{service} ({office})",
        "cancelled": "[Cancelled] ",
        "reference": "Booking reference: {reference}",
        "window": "Arrival window: {window}",
        "bring": "Please bring: {bring}",
        "arrive": "Please arrive a little early: your temperature is taken and your health "
                  "code checked at the door.",
        "manage": "View, reschedule or cancel: {link}",
        "alarm_day": "Tomorrow: {service}, reference {reference}",
        "alarm_hours": "In two hours: {service}, reference {reference}",
    },
}


def uid(booking: Booking) -> str:
    """Stable per booking: the reference at PUBLIC_BASE_URL's host.

    Never the request's own host: a booking fetched through two names must stay one event.
    """
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    host = urlsplit(base).hostname or "booking.localhost"
    return f"{booking.reference}@{host}"


def booking_calendar(booking: Booking, token: str) -> bytes:
    """The booking as an .ics file (a cancelled booking as a cancelled event, same UID). The
    event starts when the party is asked to come (its arrival window, hall.arrivals) and ends
    with its slot."""
    office = booking.office
    tz = office.tz
    start = arrivals.window_of(booking)[0].astimezone(tz)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add_component(vtimezone(office.timezone, start))
    cal.add_component(_event(booking, token, start, booking.slot.ends_at.astimezone(tz)))
    return cal.to_ical()


def _event(booking: Booking, token: str, start: dt.datetime, end: dt.datetime) -> Event:
    lang = booking.lang
    words = wording(lang)
    service, office = booking.service.name(lang), booking.office.name(lang)
    cancelled = booking.status == "cancelled"
    link = manage_url(booking.reference, token)
    event = Event()
    event.add("uid", uid(booking))
    event.add("dtstamp", utcnow())
    event.add("created", booking.created_at)
    event.add("last-modified", booking.updated_at or booking.created_at)
    event.add("sequence", booking.ics_sequence)
    event.add("dtstart", start)  # aware in the office's zone: written with its TZID
    event.add("dtend", end)
    summary = words["summary"].format(service=service, office=office)
    event.add("summary", (words["cancelled"] if cancelled else "") + summary)
    event.add("location", booking.office.address(lang))
    event.add("description", _description(booking, lang, link))
    event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if not cancelled:  # no reminders for a visit that will not happen
        for before, key in zip(ALARMS, ("alarm_day", "alarm_hours"), strict=True):
            event.add_component(_alarm(before, words[key].format(
                service=service, reference=booking.reference)))
    return event


def wording(lang: str) -> dict[str, str]:
    """The calendar's texts in `lang` (Traditional looked up from the Simplified)."""
    return {key: choose(lang, TEXT["zh"][key], TEXT["en"][key]) for key in TEXT["en"]}


def _description(booking: Booking, lang: str, link: str) -> str:
    words = wording(lang)
    lines = [words["reference"].format(reference=booking.reference)]
    if arrivals.has_window(booking):
        lines.append(words["window"].format(window=arrivals.clock(booking)))
    bring = booking.service.bring(lang).strip()
    if bring:
        lines.append(words["bring"].format(bring=bring))
    lines.append(words["arrive"])
    lines.append(words["manage"].format(link=link))
    return "\n".join(lines)


def _alarm(before: dt.timedelta, text: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", -before)
    return alarm


# --- a minimal VTIMEZONE ------------------------------------------------------------------------

def vtimezone(name: str, around: dt.datetime, years: int = 1) -> Timezone:
    """A VTIMEZONE for `name` valid from a year before `around` to a year after it.

    One STANDARD or DAYLIGHT observance for the start of the range and one per offset change
    inside it, each with a single DTSTART: every reader understands that.
    """
    tz = ZoneInfo(name)
    first = dt.datetime(around.year - years, 1, 1, tzinfo=dt.UTC)
    last = dt.datetime(around.year + years + 1, 1, 1, tzinfo=dt.UTC)
    timezone = Timezone()
    timezone.add("tzid", name)
    before = first.astimezone(tz)
    timezone.add_component(_observance(before, before.utcoffset()))
    for moment in transitions(tz, first, last):
        previous = (moment - dt.timedelta(seconds=1)).astimezone(tz)
        timezone.add_component(_observance(moment.astimezone(tz), previous.utcoffset()))
    return timezone


def _observance(local: dt.datetime, offset_from: dt.timedelta):
    """One observance starting at `local` (written, as RFC 5545 says, in the old offset)."""
    is_dst = bool(local.dst())
    component = TimezoneDaylight() if is_dst else TimezoneStandard()
    starts = (local.astimezone(dt.UTC) + offset_from).replace(tzinfo=None)
    component.add("dtstart", starts)
    component.add("tzoffsetfrom", offset_from)
    component.add("tzoffsetto", local.utcoffset())
    component.add("tzname", local.tzname() or "LOCAL")
    return component


def transitions(tz: ZoneInfo, first: dt.datetime, last: dt.datetime) -> list[dt.datetime]:
    """The UTC instants in first..last at which the zone's offset changes (to the second)."""
    found = []
    day = dt.timedelta(days=1)
    moment = first
    while moment < last:
        following = min(moment + day, last)
        if moment.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            found.append(_bisect(tz, moment, following))
        moment = following
    return found


def _bisect(tz: ZoneInfo, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """The first instant in (low, high] with high's offset."""
    target = high.astimezone(tz).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)
