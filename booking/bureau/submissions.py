"""A supervisor submits the office's day to the bureau ("daily report, zero report"): whether an
incident happened, and a note. Submitting the same day again replaces it; the audit trail keeps
every submission."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from .. import audit, scheduling, text_rules
from ..errors import BookingError
from ..extensions import db
from ..models import DailySubmission, Office, StaffUser, utcnow
from ..models.bureau import NOTE_MAX
from ..uow import use_case


class InvalidNote(BookingError):
    code, field = "invalid_note", "note"
    message_zh = "备注最多 500 字，不能含控制字符。"
    message_en = "The note takes at most 500 characters, without control characters."


class FutureDay(BookingError):
    code, status, field = "future_date", 422, "date"
    message_zh, message_en = "只能报送今天或以前的日报。", "Only today's or an earlier day's report can be submitted."


def clean_note(raw) -> str:
    """The note trimmed: up to NOTE_MAX characters, line breaks allowed, no other control or
    format character. Raises InvalidNote."""
    text = raw.strip() if isinstance(raw, str) else ""
    if len(text) > NOTE_MAX or any(text_rules.has_forbidden_characters(line) for line in text.splitlines()):
        raise InvalidNote()
    return text


@use_case
def submit_day(office: Office, day: dt.date, incident: bool, note: str, staff: StaffUser,
               now: dt.datetime | None = None) -> DailySubmission:
    """Record the supervisor's word on the office's local `day` (not after the office's today).
    A use case: replaces an earlier submission of that day, audited as `daily_report_submitted`
    with the incident and whether it replaced one. Raises InvalidNote, FutureDay."""
    now = now or utcnow()
    note = clean_note(note)
    if day > scheduling.local_day(office, now):
        raise FutureDay()
    # Two supervisors submitting at once: the office's row lock makes the second replace the
    # first instead of failing on the (office, day) key.
    db.session.execute(select(Office.id).where(Office.id == office.id).with_for_update())
    found = db.session.scalar(select(DailySubmission).where(DailySubmission.office_id == office.id,
                                                            DailySubmission.day == day))
    replaced = found is not None
    if found is None:
        found = DailySubmission(office_id=office.id, day=day)
        db.session.add(found)
    found.incident, found.note, found.submitted_at, found.submitted_by_id = bool(incident), note, now, staff.id
    db.session.flush()
    audit.record("daily_report_submitted", actor="staff", office_id=office.id, staff_user_id=staff.id,
                 date=day.isoformat(), incident=bool(incident), note=note, replaced=replaced)
    return found


def submission_of(office: Office, day: dt.date) -> DailySubmission | None:
    return db.session.scalar(select(DailySubmission).where(DailySubmission.office_id == office.id,
                                                           DailySubmission.day == day))
