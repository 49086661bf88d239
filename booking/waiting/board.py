"""What staff see of the waiting list, and the office's rationing settings they change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..challenge import forget_rules
from ..errors import BookingError
from ..extensions import db
from ..models import Office, RationingSettings, Service, StaffUser, WaitingEntry, WaitingHold
from ..models.waiting import CHALLENGE_MODES
from ..uow import use_case
from .holds import settings_for


@dataclass(frozen=True)
class ServiceLine:
    """One service's day: its entries in order (live ones first) and its holds."""

    service: Service
    entries: list[WaitingEntry]
    holds: list[WaitingHold]


def day_board(office: Office, day: dt.date) -> list[ServiceLine]:
    """Every service of the office with its waiting list and held places on a local day."""
    result = []
    for service in office.services:
        entries = list(db.session.scalars(select(WaitingEntry).where(
            WaitingEntry.service_id == service.id, WaitingEntry.day == day)
            .order_by(WaitingEntry.status.not_in(("waiting", "offered")), WaitingEntry.id)))
        holds = list(db.session.scalars(select(WaitingHold).where(
            WaitingHold.service_id == service.id, WaitingHold.day == day).order_by(WaitingHold.id)))
        result.append(ServiceLine(service, entries, holds))
    return result


class InvalidSetting(BookingError):
    code, field = "invalid_setting", "form"
    message_zh = "设置无效：领取时限 1–1440 分钟，保留时长 0–1440 分钟，热门日期格式为 2026-05-20。"
    message_en = ("Invalid setting: claim window 1 to 1440 minutes, hold-back 0 to 1440 minutes, "
                  "popular days as 2026-05-20.")


def parse_days(text: str) -> list[dt.date]:
    """Popular days typed as ISO dates separated by commas, spaces or new lines."""
    try:
        return sorted({dt.date.fromisoformat(part) for part in text.replace(",", " ").split()})
    except ValueError:
        raise InvalidSetting() from None


@use_case
def save_settings(office: Office, *, claim_minutes, holdback_minutes, challenge: str,
                  challenge_days: str, staff: StaffUser) -> RationingSettings:
    """Change the office's claim window, hold-back and challenge rule. A use case; InvalidSetting
    (422) changes nothing."""
    try:
        claim, holdback = int(claim_minutes), int(holdback_minutes)
    except (TypeError, ValueError):
        raise InvalidSetting() from None
    if not (1 <= claim <= 1440 and 0 <= holdback <= 1440) or challenge not in CHALLENGE_MODES:
        raise InvalidSetting()
    days = ",".join(day.isoformat() for day in parse_days(challenge_days or ""))
    settings = db.session.get(RationingSettings, office.id) or RationingSettings(office_id=office.id)
    settings.claim_minutes, settings.holdback_minutes = claim, holdback
    settings.challenge, settings.challenge_days = challenge, days
    db.session.add(settings)
    audit.record("rationing_changed", actor="staff", office_id=office.id, staff_user_id=staff.id,
                 claim_minutes=claim, holdback_minutes=holdback, challenge=challenge, days=days)
    forget_rules()  # this process applies the new rule at once, the others within seconds
    return settings


def current_settings(office: Office) -> RationingSettings:
    return settings_for(office.id)
