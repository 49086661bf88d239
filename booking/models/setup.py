"""What an office's setup adds to its weekly hours: regions above offices, dated exceptions,
and corrections to China's holiday arrangement (docs/contract.md, "Setting up offices").

Written only by booking/offices/setup.py (the setup file and the admin pages alike).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import choose


class Region(db.Model):
    """A city's or a province's civil-affairs area; a region may sit inside another."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_zh_hant: Mapped[str] = mapped_column(String(120), default="", server_default="")
    name_en: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))

    parent: Mapped[Region | None] = relationship(remote_side="Region.id")

    def name(self, lang: str) -> str:
        return choose(lang, self.name_zh, self.name_en, self.name_zh_hant)


class HoursException(db.Model):
    """Local dates first_day..last_day on which an office's services (all, or those listed)
    open with their own hours, even on a weekend or holiday, or close (no hours)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    position: Mapped[int] = mapped_column(default=0)  # order in the setup: a later one wins
    first_day: Mapped[dt.date]
    last_day: Mapped[dt.date]
    # Service codes, one a line; empty: every service of the office.
    services: Mapped[str] = mapped_column(String(400), default="", server_default="")
    # Opening periods "09:00-12:00", one a line; empty: closed.
    hours: Mapped[str] = mapped_column(String(400), default="", server_default="")
    reason_zh: Mapped[str] = mapped_column(String(200), default="", server_default="")
    reason_zh_hant: Mapped[str] = mapped_column(String(200), default="", server_default="")
    reason_en: Mapped[str] = mapped_column(String(200), default="", server_default="")

    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="first_before_last"),
        Index("ix_hours_exception_office_days", "office_id", "first_day", "last_day"),
    )

    @property
    def service_codes(self) -> list[str]:
        return [code for code in self.services.splitlines() if code]

    @property
    def periods(self) -> list[str]:
        return [period for period in self.hours.splitlines() if period]

    def reason(self, lang: str) -> str:
        return choose(lang, self.reason_zh, self.reason_en, self.reason_zh_hant)


class HolidayDate(db.Model):
    """One date of a year's holiday arrangement given in the setup, over the built-in data:
    closed (a statutory rest day) or worked (a make-up working day). A year with any row here
    counts as published."""

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)  # the [[holidays]] table that names it
    closed: Mapped[bool]
