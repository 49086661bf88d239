"""Popular-day plans (docs/contract.md, "Busy days ahead"): one action that prepares an office
for a day it expects crowds on, applied, and undone, as one use case.

A plan for an office's local day and some of its services (those the notable day concerns):
- the day's slots hold `capacity_percent` % of their capacity at the office's level (Shanghai's
  cemeteries offered 50 % over Qingming 2022): a slot already booked above the cap keeps its
  bookings, listed for a supervisor to keep or move, as any lowered capacity is;
- `assisted_reserve` bookings a slot are kept for telephone and counter bookings (None: the
  service's own reserve);
- a place freed that day is held `holdback_minutes` for the waiting list before anyone else
  may take it;
- posts for that day need a proof of work (`proof_of_work`), whatever the office's mode;
- `extra_hours`: the day's opening periods, as a dated exception made through the setup path
  (booking/offices/setup.py), with its reason.

The plan's row (models/plans.py) is read where each setting takes effect (slot generation,
level changes, the waiting list, the challenge), so a plan applied months ahead also reaches
the slots made later. Undoing marks the row undone, removes the plan's exception through the
setup path, and brings the day's slots back to the service's capacity and reserve. When the
plan's hours hold bookings, applying or undoing lists them and cancels them (a text each) only
when asked, as the setup pages do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import audit, challenge, scheduling
from ..errors import BookingError
from ..extensions import db
from ..hant import to_hant
from ..models import Booking, CapacityReview, Office, PopularDayPlan, Slot, StaffUser, utcnow
from ..offices import admin, hours
from ..offices import setup as office_setup
from ..offices.setup_file import Exception_, Setup
from ..uow import use_case
from . import days as busy_days

MAX_HOLDBACK = 1440


class PlanError(BookingError):
    """A popular-day plan that cannot be applied as asked; nothing is changed."""


class InvalidDay(PlanError):
    code, field = "invalid_plan_day", "day"
    message_zh, message_en = "只能为今天以后的日期制定高峰预案。", "A popular-day plan is for a day after today."


class NoServices(PlanError):
    code, field = "no_plan_services", "services"
    message_zh, message_en = "请至少选择一项业务。", "Please choose at least one service."


class InvalidPercent(PlanError):
    code, field = "invalid_capacity_percent", "capacity_percent"
    message_zh = "名额比例须为 1 到 100 之间的整数。"
    message_en = "The share of capacity must be a whole number from 1 to 100."


class InvalidHoldback(PlanError):
    code, field = "invalid_holdback", "holdback_minutes"
    message_zh = "保留分钟数须为 0 到 1440 之间的整数。"
    message_en = "The hold-back must be a whole number of minutes from 0 to 1440."


class InvalidReserve(PlanError):
    code, field = "invalid_plan_reserve", "assisted_reserve"
    message_zh = "电话和窗口预留须为整数，且须少于“{service}”每个时段的预约数（{limit}），给网上预约留出名额。"
    message_en = ("The telephone and counter reserve must be a whole number below the {limit} bookings a slot of "
                  "{service} takes, leaving places for online booking.")


class InvalidHours(PlanError):
    code, field = "invalid_plan_hours", "extra_hours"
    message_zh = "请按“08:30-12:00, 13:00-17:30”的格式填写办理时间，时段不得重叠。"
    message_en = "Please give the hours as 08:30-12:00, 13:00-17:30, without overlaps."


class NotInForce(PlanError):
    code, status, field = "plan_not_in_force", 409, None
    message_zh, message_en = "这一天没有生效的高峰预案。", "No popular-day plan is in force on this day."


@dataclass(frozen=True)
class PlanInput:
    """What a supervisor asks for one day: service codes, the cap (% of capacity), the reserve
    (bookings a slot; None: the services' own), the hold-back (minutes), the proof of work, the
    day's opening periods ("HH:MM-HH:MM"; empty: the usual hours) and their reason."""

    day: dt.date
    services: tuple[str, ...]
    capacity_percent: int = 100
    assisted_reserve: int | None = None
    holdback_minutes: int = 30
    proof_of_work: bool = True
    extra_hours: tuple[str, ...] = ()
    reason_zh: str = ""
    reason_en: str = ""


@dataclass
class Outcome:
    """What applying or undoing did (or, in a dry run, would do): the day's settings before and
    after, the slots of the day the plan's hours add and remove, the bookings in hours taken away (cancelled
    when asked), and the bookings above a lowered cap, listed for review."""

    before: busy_days.DaySettings
    after: busy_days.DaySettings | None = None
    slots_added: int = 0
    slots_removed: int = 0
    bookings_affected: list[Booking] = field(default_factory=list)
    bookings_cancelled: int = 0
    listed: list[CapacityReview] = field(default_factory=list)
    slots_before: set[int] = field(default_factory=set)

    @property
    def references(self) -> list[str]:
        return sorted(booking.reference for booking in self.bookings_affected)


class _DryRun(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__("dry run")
        self.outcome = outcome


def _whole(raw, error: type[PlanError], low: int, high: int, **details) -> int:
    text = str(raw if raw is not None else "").strip()
    if not re.fullmatch(r"\d{1,5}", text) or not low <= int(text) <= high:
        raise error(**details)
    return int(text)


def periods(text: str) -> tuple[str, ...]:
    """"08:30-12:00，13:00–17:30" -> ("08:30-12:00", "13:00-17:30"); InvalidHours when malformed
    or overlapping; () for an empty text."""
    try:
        return tuple(hours.format_period(p) for p in hours.check_periods(
            hours.parse_period(p) for p in hours.typed_periods(text)))
    except hours.PeriodError:
        raise InvalidHours() from None


def read_input(office: Office, day: dt.date, values: Mapping, today: dt.date) -> PlanInput:
    """A plan from a form's or a body's values (strings): services (a list of codes), capacity_percent,
    assisted_reserve ("" keeps the services' own), holdback_minutes, proof_of_work ("yes"),
    extra_hours, reason_zh, reason_en. Raises the PlanError of the first bad value."""
    if day <= today:
        raise InvalidDay()
    known = {service.code: service for service in office.services}
    chosen = values.getlist("services") if hasattr(values, "getlist") else values.get("services") or []
    codes = tuple(sorted({code for code in chosen if code in known}))
    if not codes:
        raise NoServices()
    percent = _whole(values.get("capacity_percent", "100"), InvalidPercent, 1, 100)
    holdback = _whole(values.get("holdback_minutes", "0"), InvalidHoldback, 0, MAX_HOLDBACK)
    limit, tightest = min((scheduling.level_capacity(known[code], percent=percent)[0], known[code]) for code in codes)
    raw_reserve = str(values.get("assisted_reserve") or "").strip()
    kept = _whole(raw_reserve, InvalidReserve, 0, limit - 1, limit=limit,
                  service=lambda lang: tightest.name(lang)) if raw_reserve else None
    return PlanInput(day, codes, percent, kept, holdback, values.get("proof_of_work") in ("yes", "on", True),
                     periods(values.get("extra_hours", "")), str(values.get("reason_zh") or "").strip()[:200],
                     str(values.get("reason_en") or "").strip()[:200])


def in_force(office: Office, day: dt.date) -> PopularDayPlan | None:
    return db.session.scalar(select(PopularDayPlan).where(
        PopularDayPlan.office_id == office.id, PopularDayPlan.day == day, PopularDayPlan.undone_at.is_(None)))


def apply_plan(office: Office, wanted: PlanInput, staff: StaffUser, *, cancel_bookings: bool = False,
               dry_run: bool = False, now: dt.datetime | None = None) -> Outcome:
    """Apply a plan for the office's day, replacing the one in force. One use case; a dry run
    (the outermost use case) computes everything and rolls back. Raises office_setup.HoursTaken
    when the plan's hours leave bookings outside them and `cancel_bookings` is not given."""
    return _run(_apply, office, wanted, staff, cancel_bookings, dry_run, now or utcnow())


def undo_plan(office: Office, day: dt.date, staff: StaffUser, *, cancel_bookings: bool = False,
              dry_run: bool = False, now: dt.datetime | None = None) -> Outcome:
    """Undo the plan in force on the office's day: every setting as it was without it. One use
    case. NotInForce when there is none; office_setup.HoursTaken as for apply_plan."""
    return _run(_undo_use_case, office, day, staff, cancel_bookings, dry_run, now or utcnow())


def _run(action, *args) -> Outcome:
    try:
        return action(*args)
    except _DryRun as done:
        return done.outcome


@use_case
def _apply(office: Office, wanted: PlanInput, staff: StaffUser, cancel_bookings: bool, dry_run: bool,
           now: dt.datetime) -> Outcome:
    outcome = Outcome(before=busy_days.day_settings(office, wanted.day), slots_before=_day_slots(office, wanted.day))
    previous = in_force(office, wanted.day)
    if previous is not None:
        _undo(office, previous, staff, now, outcome)
    plan = PopularDayPlan(
        office_id=office.id, day=wanted.day, services="\n".join(wanted.services),
        capacity_percent=wanted.capacity_percent, assisted_reserve=wanted.assisted_reserve,
        holdback_minutes=wanted.holdback_minutes, proof_of_work=wanted.proof_of_work,
        extra_hours="\n".join(wanted.extra_hours), reason_zh=wanted.reason_zh,
        reason_zh_hant=to_hant(wanted.reason_zh) if wanted.reason_zh else "", reason_en=wanted.reason_en,
        applied_at=now, applied_by_id=staff.id)
    db.session.add(plan)
    db.session.flush()  # the slots the exception adds read the plan
    if plan.periods:
        _set_exception(office, lambda rows: [*rows, _exception(plan)], staff, now, outcome)
    _limit_day(office, plan, plan, outcome)
    audit.record("popular_day_plan", actor="staff", office_id=office.id, staff_user_id=staff.id,
                 day=plan.day.isoformat(), services=list(wanted.services),
                 capacity_percent=plan.capacity_percent, assisted_reserve=plan.assisted_reserve,
                 holdback_minutes=plan.holdback_minutes, proof_of_work=plan.proof_of_work,
                 extra_hours=plan.periods, listed=len(outcome.listed), cancelled=outcome.bookings_cancelled)
    return _finish(office, wanted.day, outcome, cancel_bookings, dry_run)


@use_case
def _undo_use_case(office: Office, day: dt.date, staff: StaffUser, cancel_bookings: bool, dry_run: bool,
                   now: dt.datetime) -> Outcome:
    outcome = Outcome(before=busy_days.day_settings(office, day), slots_before=_day_slots(office, day))
    plan = in_force(office, day)
    if plan is None:
        raise NotInForce()
    _undo(office, plan, staff, now, outcome)
    audit.record("popular_day_undone", actor="staff", office_id=office.id, staff_user_id=staff.id,
                 day=day.isoformat(), plan=plan.id, listed=len(outcome.listed),
                 cancelled=outcome.bookings_cancelled)
    return _finish(office, day, outcome, cancel_bookings, dry_run)


def _finish(office: Office, day: dt.date, outcome: Outcome, cancel_bookings: bool, dry_run: bool) -> Outcome:
    outcome.after = busy_days.day_settings(office, day)
    after = _day_slots(office, day)
    outcome.slots_added, outcome.slots_removed = len(after - outcome.slots_before), len(outcome.slots_before - after)
    if dry_run:
        raise _DryRun(outcome)
    if outcome.bookings_affected and not cancel_bookings:
        raise office_setup.HoursTaken(outcome.bookings_affected)
    challenge.forget_rules()
    return outcome


def _undo(office: Office, plan: PopularDayPlan, staff: StaffUser, now: dt.datetime, outcome: Outcome) -> None:
    plan.undone_at, plan.undone_by_id = now, staff.id
    db.session.flush()  # the slots below no longer read the plan
    if plan.periods:
        mine = _exception(plan)
        _set_exception(office, lambda rows: _without_first(rows, mine), staff, now, outcome)
    _limit_day(office, plan, None, outcome)


def _exception(plan: PopularDayPlan) -> Exception_:
    return Exception_(plan.day, plan.day, sorted(plan.service_codes), plan.periods, plan.reason_zh,
                      plan.reason_zh_hant, plan.reason_en)


def _without_first(rows: list[Exception_], unwanted: Exception_) -> list[Exception_]:
    """The exceptions without the plan's own (the first equal one; staff may have removed it)."""
    rows = list(rows)
    if unwanted in rows:
        rows.remove(unwanted)
    return rows


def _set_exception(office: Office, change, staff: StaffUser, now: dt.datetime, outcome: Outcome) -> None:
    """Change the office's dated exceptions through the setup path, which keeps its slots in
    step. Bookings in hours taken away are cancelled and listed; _finish refuses (and so rolls
    back) unless the caller asked for that."""
    entry = office_setup.export([office.code]).offices[0]
    entry["exceptions"] = change(entry["exceptions"])
    report = office_setup.apply(Setup(offices=[entry]), cancel_bookings=True, staff=staff, now=now)
    outcome.bookings_affected += report.bookings_affected
    outcome.bookings_cancelled += report.bookings_cancelled


def _day_slots(office: Office, day: dt.date) -> set[int]:
    """The ids of the office's live slots on its local day."""
    start = scheduling.local_datetime(office, day, dt.time(0))
    return set(db.session.scalars(select(Slot.id).where(
        Slot.office_id == office.id, Slot.status != "removed", Slot.starts_at >= start,
        Slot.starts_at < start + dt.timedelta(days=1))))


def _limit_day(office: Office, plan: PopularDayPlan, in_effect: PopularDayPlan | None, outcome: Outcome) -> None:
    """The day's slots of the plan's services at the capacity and reserve `in_effect` gives
    (None: the service's own); bookings above a lower cap are listed for review."""
    for service in office.services:
        if service.code in plan.service_codes:
            outcome.listed += admin.limit_day(service, plan.day, in_effect)
