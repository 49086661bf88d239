"""Popular-day plans (docs/contract.md, "Busy days ahead"): what an office does differently on
one local day it expects crowds on, kept as one row so that it is applied and undone as one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import Office, StaffUser, UTCDateTime, utcnow


class PopularDayPlan(db.Model):
    """A popular-day plan of an office's local `day`, for the services listed (codes, one a line).

    In force while `undone_at` is None (at most one per office and day): the day's slots of those
    services hold `capacity_percent` % of their capacity at the office's level, keep
    `assisted_reserve` bookings each for telephone and counter bookings (None: the service's own),
    a freed place is held `holdback_minutes` for the waiting list, and posts for the day need a
    proof of work when `proof_of_work`. `extra_hours` (periods, one a line; empty: none) is the
    dated exception the plan added through the setup path, with its reason; undoing removes it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    day: Mapped[dt.date]
    services: Mapped[str] = mapped_column(String(400))
    capacity_percent: Mapped[int] = mapped_column(default=100)
    assisted_reserve: Mapped[int | None]
    holdback_minutes: Mapped[int] = mapped_column(default=0)
    proof_of_work: Mapped[bool] = mapped_column(default=True)
    extra_hours: Mapped[str] = mapped_column(String(400), default="")
    reason_zh: Mapped[str] = mapped_column(String(200), default="")
    reason_zh_hant: Mapped[str] = mapped_column(String(200), default="")
    reason_en: Mapped[str] = mapped_column(String(200), default="")
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    office: Mapped[Office] = relationship()
    applied_by: Mapped[StaffUser] = relationship(foreign_keys=[applied_by_id])

    __table_args__ = (
        Index("uq_popular_day_plan_in_force", "office_id", "day", unique=True,
              sqlite_where=text("undone_at IS NULL"), postgresql_where=text("undone_at IS NULL")),
        CheckConstraint("capacity_percent BETWEEN 1 AND 100", name="capacity_percent"),
        CheckConstraint("assisted_reserve IS NULL OR assisted_reserve >= 0", name="assisted_reserve"),
        CheckConstraint("holdback_minutes BETWEEN 0 AND 1440", name="holdback_minutes"),
    )

    @property
    def service_codes(self) -> list[str]:
        return [code for code in self.services.splitlines() if code]

    @property
    def periods(self) -> list[str]:
        return [period for period in self.extra_hours.splitlines() if period]
