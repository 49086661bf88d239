"""Tables of the staff side beyond booking/models/core.py."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .core import Booking, Slot, UTCDateTime, utcnow


class CapacityReview(db.Model):
    """A booking above its slot's reduced limit, listed for a supervisor to keep or move.

    Reducing capacity never removes a booked citizen: the slot keeps room for what is booked,
    and each booking beyond the new limit gets a row here until a supervisor decides.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    level: Mapped[str] = mapped_column(String(16))
    target_bookings: Mapped[int]  # the slot's limit once the excess has gone
    target_people: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(10))  # kept, moved, gone
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    booking: Mapped[Booking] = relationship()
    slot: Mapped[Slot] = relationship()

    __table_args__ = (
        UniqueConstraint("booking_id"),
        CheckConstraint("decision IS NULL OR decision IN ('kept', 'moved', 'gone')",
                        name="decision"),
        Index("ix_capacity_review_office_open", "office_id", "decision"),
    )


class BarLifted(db.Model):
    """A supervisor's lifting of one person's no-show bar on one service (docs/contract.md, third-wave additions): the
    no-shows of that person before `lifted_at` no longer count (booking/bookings/noshows.py).
    The person is kept only as the keyed hash of their document; the reason is audited too."""

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    id_hash: Mapped[str] = mapped_column(String(64))
    lifted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    reason: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_bar_lifted_person", "service_id", "id_hash", "lifted_at"),)
