"""What hours a service keeps on a local day: its weekly hours, then China's holiday
arrangement, then the office's dated exceptions (docs/contract.md, "Setting up offices").

The order, for one service on one local day:
1. an exception naming the service, else one for every service of the office (the later in
   the setup wins): its hours, even on a weekend or a holiday; no hours closes the day;
2. with `holidays = "CN"`: a statutory rest day is closed; a make-up working day (调休上班)
   keeps the hours of an ordinary weekday, the service's Monday hours;
3. the weekly hours of that weekday (a weekday not listed is closed).

Closures (suspensions staff declare, which cancel bookings) are not hours: they live in
booking/offices/closures.py and slots on their days are kept as they are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import HolidayDate, HoursException, Office, Service
from . import china_calendar

Period = tuple[dt.time, dt.time]
PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


class PeriodError(ValueError):
    """A period that is not "HH:MM-HH:MM" with its start before its end."""


def parse_period(text: str) -> Period:
    """"09:00-12:00" -> (09:00, 12:00); "24:00" ends a day. PeriodError when malformed or empty."""
    found = PERIOD.match(str(text).strip())
    if not found:
        raise PeriodError(text)
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    if (h2, m2) > (24, 0):
        raise PeriodError(text)
    opens = dt.time(h1, m1)
    closes = dt.time.max if (h2, m2) == (24, 0) else dt.time(h2, m2)
    if opens >= closes:
        raise PeriodError(text)
    return opens, closes


# How people type periods: any dash (an input method's full-width one too) or 至/到 between the
# times, a full-width colon, and commas, 、, semicolons or spaces between periods.
_TYPED_DASH = re.compile("\\s*[-\u2013\u2014\u2212\uff0d~\uff5e" + chr(0x81F3) + chr(0x5230) + "]\\s*")
_TYPED_SEPARATOR = re.compile(r"[,，、;；\s]+")


def typed_periods(text: str | None) -> list[str]:
    """"08:30–12:00，13:00－17:30" -> ["08:30-12:00", "13:00-17:30"]: a person's typing made the
    file's form (not checked: parse_period does that)."""
    text = _TYPED_DASH.sub("-", str(text or "").replace("\uff1a", ":").strip())
    return [part for part in _TYPED_SEPARATOR.split(text) if part]


def format_period(period: Period) -> str:
    opens, closes = period
    end = "24:00" if closes == dt.time.max else f"{closes:%H:%M}"
    return f"{opens:%H:%M}-{end}"


def check_periods(periods: Iterable[Period]) -> list[Period]:
    """The periods in order; PeriodError when two overlap."""
    ordered = sorted(periods)
    for (_, closes), (opens, _) in zip(ordered, ordered[1:], strict=False):
        if opens < closes:
            raise PeriodError("overlap")
    return ordered


@dataclass(frozen=True)
class DayPlan:
    """One service's hours on one local day, and why.

    periods: the opening periods, in order ([] closed); exception: the exception that decided
    the day, if any; arrangement: China's holiday arrangement for the day (None when the office
    follows no holiday calendar).
    """

    day: dt.date
    periods: list[Period]
    exception: HoursException | None
    arrangement: china_calendar.DayArrangement | None

    @property
    def open(self) -> bool:
        return bool(self.periods)


class OfficeCalendar:
    """An office's exceptions and the holiday corrections, loaded once (two queries) for any
    number of its services and days."""

    def __init__(self, office: Office, first: dt.date, last: dt.date):
        self.office = office
        self.exceptions = list(db.session.scalars(
            select(HoursException).where(HoursException.office_id == office.id,
                                         HoursException.first_day <= last,
                                         HoursException.last_day >= first)
            .order_by(HoursException.position, HoursException.id)))
        self.arrangements = ({a.day: a for a in china_calendar.arrangements(first, last, holiday_overrides())}
                             if office.holidays == "CN" else {})

    def exception_for(self, service: Service, day: dt.date) -> HoursException | None:
        found = None
        for exception in self.exceptions:  # in setup order: the later wins, a named service first
            if exception.first_day <= day <= exception.last_day:
                codes = exception.service_codes
                if not codes or service.code in codes:
                    if found is None or codes or not found.service_codes:
                        found = exception
        return found

    def plan(self, service: Service, day: dt.date) -> DayPlan:
        arrangement = self.arrangements.get(day)
        exception = self.exception_for(service, day)
        if exception is not None:
            periods = [parse_period(text) for text in exception.periods]
        elif arrangement is not None and arrangement.holiday is not None:
            periods = []
        elif arrangement is not None and arrangement.makeup_workday:
            periods = weekly_periods(service, 0)
        else:
            periods = weekly_periods(service, day.weekday())
        return DayPlan(day, periods, exception, arrangement)


def weekly_periods(service: Service, weekday: int) -> list[Period]:
    """The service's regular periods on a weekday (0 = Monday), in order."""
    return sorted((hours.opens, hours.closes) for hours in service.hours if hours.weekday == weekday)


def holiday_overrides() -> dict[int, dict[dt.date, bool]]:
    """The setup's corrections to China's holiday arrangement: year -> {date: closed}."""
    overrides: dict[int, dict[dt.date, bool]] = {}
    for row in db.session.scalars(select(HolidayDate)):
        overrides.setdefault(row.year, {})[row.day] = row.closed
    return overrides


def day_plans(service: Service, first: dt.date, last: dt.date,
              calendar: OfficeCalendar | None = None) -> dict[dt.date, DayPlan]:
    """Every local day first..last of one service, with its hours."""
    calendar = calendar or OfficeCalendar(service.office, first, last)
    return {first + dt.timedelta(days=n): calendar.plan(service, first + dt.timedelta(days=n))
            for n in range((last - first).days + 1)}


def day_plan(service: Service, day: dt.date) -> DayPlan:
    return day_plans(service, day, day)[day]


@dataclass(frozen=True)
class CalendarDay:
    """An office's local day as citizens will be offered it: each service's hours (closures and
    suspensions included), China's arrangement, the exception that decided it, notable days."""

    day: dt.date
    hours: dict[str, list[Period]]  # service code -> periods ([] closed)
    arrangement: china_calendar.DayArrangement
    exception: HoursException | None
    notable: list[china_calendar.Notable]

    @property
    def open(self) -> bool:
        return any(self.hours.values())


def office_days(office: Office, first: dt.date, last: dt.date,
                closed: dict[int, set[dt.date]] | None = None) -> list[CalendarDay]:
    """Every local day first..last of an office (three queries). `closed`: service id -> days a
    closure holds (the caller reads them: closures live above this module)."""
    calendar = OfficeCalendar(office, first, last)
    arrangements = {a.day: a for a in china_calendar.arrangements(first, last, holiday_overrides())}
    groups = {china_calendar.notable_group(service.kind) for service in office.services}
    notable = china_calendar.notable_days(first, last, groups)
    closed = closed or {}
    result = []
    for n in range((last - first).days + 1):
        day = first + dt.timedelta(days=n)
        plans = {service: calendar.plan(service, day) for service in office.services}
        result.append(CalendarDay(
            day, {service.code: [] if service.suspended or day in closed.get(service.id, ()) else plan.periods
                  for service, plan in plans.items()},
            arrangements[day], next((p.exception for p in plans.values() if p.exception), None),
            notable.get(day, [])))
    return result
