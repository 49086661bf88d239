"""The administrator's setup pages in the reader's language: each setup key's label, each
refusal of booking/offices/setup_errors.py, service kinds, weekdays, holiday calendars."""

from __future__ import annotations

from flask_babel import gettext as _

from ..offices.setup_errors import SetupError


def labels() -> dict[str, str]:
    """Setup key (booking/offices/setup_file.py) -> its label on the forms and in the preview."""
    return {
        "code": _("Code (lower-case letters, digits, '-')"), "region": _("Region"), "parent": _("Region above"),
        "name_zh": _("Name (Simplified Chinese)"), "name_zh_hant": _("Name (Traditional Chinese)"),
        "name_en": _("Name (English)"), "address_zh": _("Address (Simplified Chinese)"),
        "address_zh_hant": _("Address (Traditional Chinese)"), "address_en": _("Address (English)"),
        "timezone": _("Time zone"), "hall_limit": _("People inside the hall at most"),
        "stay_limit_minutes": _("Longest stay inside (minutes)"),
        "checkin_opens_minutes": _("Check-in opens this many minutes before the slot"),
        "counters": _("Counters (one a line)"), "holidays": _("Holiday calendar"),
        "kind": _("Kind of service"), "bring_zh": _("What to bring (Simplified Chinese)"),
        "bring_zh_hant": _("What to bring (Traditional Chinese)"), "bring_en": _("What to bring (English)"),
        "party_size_min": _("Smallest party (people)"), "party_size_max": _("Largest party (people)"),
        "slot_minutes": _("Slot length (minutes)"), "slot_max_bookings": _("Bookings per slot at most"),
        "slot_max_people": _("People per slot at most"),
        "booking_opens_days": _("Booking opens this many days before"),
        "booking_opens_at": _("Booking opens at (local time)"),
        "booking_closes_hours": _("Booking closes this many hours before the slot"),
        "requires_confirmation": _("Citizens must confirm their booking"),
        "person_limit": _("Bookings per person"),
        "assisted_reserve": _("Bookings per slot kept for telephone and counter"),
        "assisted_release_hours": _("The kept bookings return to online booking this many hours before"),
        "no_show_limit": _("No-shows that bar a person (0: never)"),
        "no_show_window_days": _("No-shows counted over this many days"),
        "no_show_bar_days": _("A barred person waits this many days"),
        "arrival_windows": _("Arrival windows per slot"), "hours": _("Weekly hours"),
        "from": _("From"), "to": _("To"), "services": _("Services"),
        "reason_zh": _("Reason (Simplified Chinese)"), "reason_zh_hant": _("Reason (Traditional Chinese)"),
        "reason_en": _("Reason (English)"), "exceptions": _("Dated hours"),
    }


def weekday_names() -> dict[str, str]:
    return {"mon": _("Monday"), "tue": _("Tuesday"), "wed": _("Wednesday"), "thu": _("Thursday"),
            "fri": _("Friday"), "sat": _("Saturday"), "sun": _("Sunday")}


def kind_names() -> dict[str, str]:
    return {"marriage": _("Marriage registration"), "divorce": _("Divorce registration"),
            "farewell": _("Farewell ceremony"), "cremation": _("Cremation"),
            "ash_collection": _("Collecting ashes"), "tomb_sweeping": _("Tomb sweeping")}


def choice_names() -> dict[str, dict[str, str]]:
    """The choices of each choice key, worded."""
    return {"kind": kind_names(),
            "holidays": {"CN": _("China's statutory holidays"), "none": _("No holiday calendar")},
            "person_limit": {"": _("As the kind of service suggests"), "day": _("One booking per person per day"),
                             "service": _("One active booking per person, whatever the day")}}


def _messages() -> dict[str, str]:
    return {
        "table": _("Not a table of values."), "unknown": _("Not a setting the setup knows."),
        "tables": _("Not a list of entries."), "required": _("Please fill this in."),
        "text": _("Enter 1 to %(high)s characters."), "one_line": _("Keep it to one line."),
        "int": _("Enter a whole number from %(low)s to %(high)s."), "bool": _("Yes or no."),
        "code": _("Use lower-case letters, digits and '-', at most 40."),
        "choice": _("Choose one of the offered values."),
        "zone": _("Enter a time zone such as Asia/Shanghai."), "time": _("Enter a time such as 08:00."),
        "counters": _("At most %(most)s different counters, each 1 to 10 characters."),
        "periods_list": _("Enter periods such as 09:00-12:00, 13:30-17:00."),
        "periods": _("Enter periods such as 09:00-12:00, 13:30-17:00: each starting before it ends, none overlapping."),
        "shared_code": _("Another entry already has this code."),
        "party_max": _("Must not be below the smallest party size."),
        "one_party": _("A slot must hold at least the smallest party."),
        "windows": _("At most one arrival window per minute of the slot."),
        "date": _("Enter a date such as 2027-05-20."), "dates_or_range": _("Enter a date or a range of dates."),
        "dates": _("Enter a date such as 2027-05-20."),
        "range": _("The last day must be on or after the first, within %(most)s days."),
        "services": _("Choose services of this office."),
        "hours_required": _("Enter the hours, or choose to close."),
        "reason": _("Say why the office closes: citizens read it."),
        "year": _("Enter a year from 2000 to 2100."), "twice": _("%(day)s is named twice."),
        "span": _("A date or a range of at most 60 days."), "no_service": _("No such service: %(code)s."),
        "no_region": _("No such region: %(code)s."),
        "region_loop": _("A region cannot lie inside itself or inside a region below it."),
        "kind_fixed": _("A service's kind cannot change: add a service with a new code."),
        "other_year": _("%(day)s belongs to another year's calendar."),
    }


def message(error: SetupError) -> str:
    """A refusal in the reader's language, with its values; its English words when it has no code."""
    words = _messages().get(error.code)
    if words is None:
        return error.message
    values = {name: str(value) for name, value in error.values.items()}
    return words % values if values else words
