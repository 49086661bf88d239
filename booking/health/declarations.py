"""Health-check declarations: the window, the verdicts, each visitor's status, the staff view.

A visitor declares between `window_opens_hours` before the slot and check-in (or the close of
the door that day); the answers are judged by the service's rules in force at that moment
(booking.health.judge) and the verdict keeps that version. A booking is cleared when every
visitor's latest declaration for this visit passed. The pages and the API call `declare`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update

from .. import audit, scheduling
from ..errors import BookingError, NotActive
from ..extensions import db
from ..i18n import choose, local_time, zone_words
from ..models import Booking, HealthDeclaration, HealthRules, StaffUser, Visitor, utcnow
from ..uow import use_case
from .judge import Answers, asked, judge, reason_text
from .parsing import parse_declarations
from .rules import current_rules, seed_default_rules

DECLARABLE = ("booked", "confirmed")


class DeclarationNotOpen(BookingError):
    code, status = "declaration_not_open", 409
    message_zh = "本次到访的健康申报将于{opens_at_zh}（{zone_zh}）开放，请届时再填写。"
    message_en = "Health declarations for this visit open on {opens_at_en} ({zone_en}). Please come back then."


class DeclarationClosed(BookingError):
    code, status = "declaration_closed", 409
    message_zh = "本次到访的健康申报已于{closes_at_zh}截止。"
    message_en = "Health declarations for this visit closed on {closes_at_en}."


class HealthDataForbidden(BookingError):
    code, status = "forbidden", 403
    message_zh = "只有本办理点的工作人员可以查看健康申报。"
    message_en = "Only staff of this office may see health declarations."


# --- the window ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    opens_at: dt.datetime
    closes_at: dt.datetime

    def local(self, office, which: str) -> dict[str, str]:
        """{which}_zh / {which}_en: the moment in the office's zone, in each language's words
        (booking.i18n.local_time)."""
        moment = getattr(self, which)
        return {f"{which}_zh": local_time(moment, office, "zh"),
                f"{which}_en": local_time(moment, office, "en")}


def declaration_window(booking: Booking, rules: HealthRules | None = None) -> Window:
    """Opens `window_opens_hours` before the slot; closes when the door closes that day (and for
    a booking already checked in, at its check-in)."""
    rules = rules or current_rules(booking.service)
    opens = booking.slot.starts_at - dt.timedelta(hours=rules.window_opens_hours)
    closes = scheduling.door_closes_at(booking)
    if booking.checked_in_at is not None:
        closes = min(closes, booking.checked_in_at)
    return Window(opens, closes)


def check_window(booking: Booking, rules: HealthRules, now: dt.datetime) -> None:
    """DeclarationNotOpen (saying when, in the office's time) or DeclarationClosed outside it."""
    if booking.status not in DECLARABLE:
        if booking.status in ("checked_in", "called", "completed"):
            window = declaration_window(booking, rules)
            raise DeclarationClosed(**window.local(booking.office, "closes_at"))
        raise NotActive()
    window = declaration_window(booking, rules)
    if now < window.opens_at:
        raise DeclarationNotOpen(**window.local(booking.office, "opens_at"),
                                 zone_zh=zone_words(booking.office, "zh"),
                                 zone_en=zone_words(booking.office, "en"), opens_at_iso=window.opens_at
                                 .astimezone(booking.office.tz).isoformat())
    if now >= window.closes_at:
        raise DeclarationClosed(**window.local(booking.office, "closes_at"))


# --- declaring -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Declared:
    cleared: bool
    declarations: list[HealthDeclaration]


def _stored_answers(rules: HealthRules, answers: Answers) -> dict:
    """Only the answers the rules asked for are kept (privacy: keep what the rules need)."""
    return {question: getattr(answers, question) for question in asked(rules)}


def _record(booking: Booking, visitor: Visitor, rules: HealthRules, answers: Answers,
            source: str, now: dt.datetime, taken_by: StaffUser | None = None) -> HealthDeclaration:
    verdict = judge(rules, answers, booking.slot.starts_at)
    db.session.execute(
        update(HealthDeclaration)
        .where(HealthDeclaration.visitor_id == visitor.id, HealthDeclaration.superseded_at.is_(None))
        .values(superseded_at=now).execution_options(synchronize_session=False))
    declaration = HealthDeclaration(
        booking_id=booking.id, visitor_id=visitor.id, office_id=booking.office_id,
        rules_id=rules.id, rules_version=rules.version, declared_at=now,
        visit_at=booking.slot.starts_at, source=source, passed=verdict.passed,
        taken_by_id=taken_by.id if taken_by else None,
        reasons=verdict.reasons, **_stored_answers(rules, answers))
    db.session.add(declaration)
    # The office learns of every failure (the staff side lists these events); no answers here.
    action = "health_declared" if verdict.passed else "health_declaration_failed"
    audit.record(action, actor="staff" if source == "staff" else "citizen", booking=booking,
                 staff_user_id=taken_by.id if taken_by else None, visitor=visitor.position,
                 taken_by_staff=taken_by is not None or None, rules_version=rules.version,
                 failed=[r["code"] for r in verdict.reasons if not r["passed"]])
    return declaration


@use_case
def declare(booking: Booking, raw: list, *, source: str = "web", taken_by: StaffUser | None = None,
            now: dt.datetime | None = None) -> Declared:
    """Judge and record declarations for some or all visitors of a booking. A use case.

    `taken_by`: the clerk who asked the questions at the door (source "staff"); the
    declaration and its audit event then say "taken by staff".

    `raw` is the contract's list of {visitor, temperature_c, symptoms, …}; bad input raises
    DeclarationInvalid (422) with field errors and writes nothing; outside the window
    DeclarationNotOpen / DeclarationClosed (409). A visitor may declare again inside the window:
    the latest declaration is the one that counts.
    """
    now = now or utcnow()
    rules = seed_default_rules(booking.service)  # a verdict names the stored version it used
    check_window(booking, rules, now)
    entries = parse_declarations(raw, rules, booking, now)
    visitors = {v.position: v for v in booking.visitors}
    made = [_record(booking, visitors[e.position], rules, e.answers, source, now, taken_by)
            for e in entries]
    return Declared(is_cleared(booking, now), made)


# --- status ----------------------------------------------------------------------------------

STATE_TEXTS = {
    "cleared": ("已通过", "Cleared"),
    "failed": ("申报未通过", "Declaration failed"),
    "missing": ("未申报", "Not declared"),
    "outdated": ("需重新申报", "Declare again"),
}


@dataclass(frozen=True)
class VisitorStatus:
    position: int
    name: str
    id_masked: str
    state: str  # cleared, failed, missing (no declaration), outdated (made for another slot)
    declaration: HealthDeclaration | None

    def label(self, lang: str) -> str:
        return choose(lang, *STATE_TEXTS[self.state])

    def reasons(self, lang: str, tz) -> list[dict]:
        found = self.declaration.reasons if self.declaration else []
        return [{**r, "text": reason_text(r, lang, tz)} for r in found]


def latest_declarations(booking: Booking) -> dict[int, HealthDeclaration]:
    """Each visitor's latest declaration, by visitor id."""
    return latest_declarations_many([booking.id])


def latest_declarations_many(booking_ids: list[int]) -> dict[int, HealthDeclaration]:
    """Each visitor's latest declaration for any of these bookings, by visitor id (one query)."""
    if not booking_ids:
        return {}
    latest = (select(func.max(HealthDeclaration.id))
              .where(HealthDeclaration.booking_id.in_(booking_ids))
              .group_by(HealthDeclaration.booking_id, HealthDeclaration.visitor_id))
    rows = db.session.scalars(select(HealthDeclaration).where(HealthDeclaration.id.in_(latest)))
    return {row.visitor_id: row for row in rows}


def _state(booking: Booking, declaration: HealthDeclaration | None, now: dt.datetime | None) -> str:
    if declaration is None or (now is not None and declaration.declared_at > now):
        return "missing"
    if declaration.visit_at != booking.slot.starts_at:
        return "outdated"  # made for the slot before a reschedule: judged for another time
    return "cleared" if declaration.passed else "failed"


def _statuses(booking: Booking, latest: dict[int, HealthDeclaration],
              now: dt.datetime | None) -> list[VisitorStatus]:
    return [VisitorStatus(v.position, v.name, v.id_masked, _state(booking, latest.get(v.id), now),
                          latest.get(v.id)) for v in booking.visitors]


def visitor_statuses(booking: Booking, now: dt.datetime | None = None) -> list[VisitorStatus]:
    """Every visitor of the booking with their health-declaration state, in booking order.

    With `now`, a declaration made after it does not count (the state as it was then)."""
    return _statuses(booking, latest_declarations(booking), now)


def visitor_statuses_many(bookings: list[Booking],
                          now: dt.datetime | None = None) -> dict[int, list[VisitorStatus]]:
    """visitor_statuses for many bookings at once, by booking id, with one declarations query
    (load the bookings with their visitors and slots, e.g. queue.day_bookings does)."""
    latest = latest_declarations_many([b.id for b in bookings])
    return {b.id: _statuses(b, latest, now) for b in bookings}


def all_cleared(statuses: list[VisitorStatus]) -> bool:
    """The clearance rule: at least one visitor, and every one cleared."""
    return bool(statuses) and all(s.state == "cleared" for s in statuses)


def is_cleared(booking: Booking, now: dt.datetime | None = None) -> bool:
    """True when every visitor's latest declaration for this slot passed (made by `now`, if given)."""
    return all_cleared(visitor_statuses(booking, now))


def cleared_many(bookings: list[Booking], now: dt.datetime | None = None) -> dict[int, bool]:
    """is_cleared for many bookings at once, by booking id, with a fixed number of queries."""
    return {booking_id: all_cleared(statuses)
            for booking_id, statuses in visitor_statuses_many(bookings, now).items()}


# --- the staff view --------------------------------------------------------------------------

def _answers_view(declaration: HealthDeclaration) -> dict | None:
    if declaration.purged_at is not None:
        return None
    answers = {q: getattr(declaration, q) for q in asked(declaration.rules)}
    if answers.get("nat_negative_at") is not None:
        answers["nat_negative_at"] = answers["nat_negative_at"].astimezone(
            declaration.booking.office.tz).isoformat()
    return answers


@use_case
def declarations_for_staff(booking: Booking, staff_user: StaffUser) -> list[dict]:
    """The visitors' declarations with answers and reasons, for staff of the booking's office
    only (HealthDataForbidden otherwise, administrators included). Every view is audited: a use
    case, whose one write is that audit event."""
    if staff_user is None or staff_user.office_id != booking.office_id:
        raise HealthDataForbidden()
    result = []
    for status in visitor_statuses(booking):
        declaration = status.declaration
        result.append({
            "visitor": status.position, "name": status.name, "id_masked": status.id_masked,
            "state": status.state, "state_zh": status.label("zh"), "state_en": status.label("en"),
            "declared_at": declaration.declared_at if declaration else None,
            "rules_version": declaration.rules_version if declaration else None,
            "answers": _answers_view(declaration) if declaration else None,
            "reasons_zh": status.reasons("zh", booking.office.tz),
            "reasons_en": status.reasons("en", booking.office.tz),
        })
    audit.record("health_declarations_viewed", actor="staff", booking=booking,
                 staff_user_id=staff_user.id)
    return result
