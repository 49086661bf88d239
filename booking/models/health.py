"""Tables of the health-check declarations and the door (rules, declarations, refusals, tickets).

Health answers are personal data: a declaration keeps only the answers its rules asked for,
and `retention purge` later empties them (purged_at), keeping the verdict and reason codes
that reports count.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import Booking, Service, UTCDateTime, Visitor, utcnow

HEALTH_CODES = ("green", "yellow", "red")
REFUSAL_REASONS = ("not_active", "wrong_day", "too_early", "too_late", "not_cleared", "fever",
                   "hall_full")


class HealthRules(db.Model):
    """One version of a service's health-check rules. Never changed: an edit adds a version."""

    __tablename__ = "health_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    version: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    window_opens_hours: Mapped[int] = mapped_column(default=24)  # before the slot starts
    lookback_days: Mapped[int] = mapped_column(default=14)  # for symptoms, travel, contact
    ask_symptoms: Mapped[bool] = mapped_column(default=True)
    ask_risk_area_travel: Mapped[bool] = mapped_column(default=True)
    ask_case_contact: Mapped[bool] = mapped_column(default=True)
    ask_health_code: Mapped[bool] = mapped_column(default=True)
    accepted_health_codes: Mapped[str] = mapped_column(String(40), default="green")
    ask_temperature: Mapped[bool] = mapped_column(default=True)
    temperature_limit_c: Mapped[float] = mapped_column(Float, default=37.3)  # at or above fails
    nat_required: Mapped[bool] = mapped_column(default=False)
    nat_max_hours: Mapped[int] = mapped_column(default=48)  # before the slot starts

    service: Mapped[Service] = relationship()

    __table_args__ = (
        UniqueConstraint("service_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("window_opens_hours BETWEEN 1 AND 336", name="window_hours"),
        CheckConstraint("lookback_days BETWEEN 1 AND 60", name="lookback_days"),
        CheckConstraint("temperature_limit_c BETWEEN 36 AND 39", name="temperature_limit"),
        CheckConstraint("nat_max_hours BETWEEN 1 AND 336", name="nat_hours"),
    )

    @property
    def accepted_codes(self) -> tuple[str, ...]:
        return tuple(c for c in self.accepted_health_codes.split(",") if c)


class HealthDeclaration(db.Model):
    """A visitor's declaration, judged by one version of the rules. A correction adds a row
    and marks the earlier one superseded, so the latest row is the visitor's current one."""

    __tablename__ = "health_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitor.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    rules_id: Mapped[int] = mapped_column(ForeignKey("health_rules.id"))
    rules_version: Mapped[int]
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    visit_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the slot start it was made for
    source: Mapped[str] = mapped_column(String(8), default="web")
    # The clerk who asked the questions and typed the answers (source "staff"): "taken by staff".
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    passed: Mapped[bool]
    # [{"question", "code", "passed", "values": {...}}]; values emptied by the purge.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The answers, only those the rules asked for; NULL after the purge.
    symptoms: Mapped[bool | None]
    risk_area_travel: Mapped[bool | None]
    case_contact: Mapped[bool | None]
    health_code: Mapped[str | None] = mapped_column(String(8))
    temperature_c: Mapped[float | None] = mapped_column(Float)
    nat_negative_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    booking: Mapped[Booking] = relationship()
    visitor: Mapped[Visitor] = relationship()
    rules: Mapped[HealthRules] = relationship()

    __table_args__ = (
        CheckConstraint("health_code IS NULL OR health_code IN ('green', 'yellow', 'red')",
                        name="health_code"),
        CheckConstraint("source IN ('web', 'api', 'staff')", name="source"),
        Index("ix_health_declaration_booking", "booking_id", "visitor_id"),
        Index("ix_health_declaration_office_at", "office_id", "declared_at"),
        Index("ix_health_declaration_visit_purged", "visit_at", "purged_at"),
    )

    @property
    def reason_codes(self) -> list[str]:
        return [r["code"] for r in self.reasons or [] if not r.get("passed")]


class DoorRefusal(db.Model):
    """A booking turned away at the door, and why (counted by the daily report)."""

    __tablename__ = "door_refusal"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for a walk-in refused at the door: its booking was rolled back, nothing of it stays.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reason: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Measured temperatures and the like: health data, emptied by the purge.
    detail: Mapped[dict | None] = mapped_column(JSON)
    purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("reason IN (" + ", ".join(f"'{r}'" for r in REFUSAL_REASONS) + ")",
                        name="reason"),
        Index("ix_door_refusal_office_at", "office_id", "at"),
    )


class DoorDay(db.Model):
    """One row per office and local day: check-ins lock it so that the hall limit holds when
    two doors admit people at the same moment."""

    __tablename__ = "door_day"

    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    admissions: Mapped[int] = mapped_column(default=0)


class TicketCounter(db.Model):
    """The last queue number given for one prefix at one office on one local day."""

    __tablename__ = "ticket_counter"

    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)
