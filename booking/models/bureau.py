"""What a bureau collects from its offices: each office's submitted daily report (docs/contract.md,
"The bureau": "every service point reports daily, a zero report too")."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .core import UTCDateTime, utcnow

NOTE_MAX = 500


class DailySubmission(db.Model):
    """A supervisor's word on one local day of an office: whether an incident happened, and a
    note. One per office and day; submitting again replaces it (the audit trail keeps both)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    day: Mapped[dt.date]
    incident: Mapped[bool]
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="", server_default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))

    __table_args__ = (UniqueConstraint("office_id", "day"),)
