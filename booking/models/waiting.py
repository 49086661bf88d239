"""Tables of the waiting list: entries, their visitors, held places, and each office's
rationing settings (claim window, hold-back, proof-of-work challenge days).

The hold is part of the slot's capacity accounting: a held place stays counted in the slot's
booked_bookings / booked_people, so nothing else can take it; it leaves the counters only
when it is claimed (turned into a booking in the same transaction) or released. At every
commit, for every slot:

    booked_bookings == active bookings + holds in (held, offered)
    booked_people   == their people + the holds' people
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import LANG_LENGTH, LANGUAGES
from .core import Office, Service, Slot, UTCDateTime, _in, utcnow

ENTRY_STATUSES = ("waiting", "offered", "claimed", "expired", "left")
LIVE_ENTRY_STATUSES = ("waiting", "offered")
HOLD_STATUSES = ("held", "offered", "claimed", "released")
LIVE_HOLD_STATUSES = ("held", "offered")
CHALLENGE_MODES = ("off", "days", "always", "auto")


class WaitingEntry(db.Model):
    """A party waiting for a place on one service's local day, in order of id.

    status: waiting -> offered (a hold is theirs until offer_expires_at) -> claimed (booking_id)
    or expired (the window passed; the hold went to the next); waiting/offered -> left.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    token_salt: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    day: Mapped[dt.date] = mapped_column(Date)  # the office-local day waited for
    phone: Mapped[str] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(LANG_LENGTH), default="zh")  # zh-Hant too
    source: Mapped[str] = mapped_column(String(10), default="web")
    party_size: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    offered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("waiting_hold.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office] = relationship()
    service: Mapped[Service] = relationship()
    hold: Mapped[WaitingHold | None] = relationship(foreign_keys=[hold_id])
    visitors: Mapped[list[WaitingVisitor]] = relationship(
        back_populates="entry", order_by="WaitingVisitor.position", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(_in("status", ENTRY_STATUSES), name="status"),
        CheckConstraint(_in("source", ("web", "api")), name="source"),
        CheckConstraint(_in("lang", LANGUAGES), name="lang"),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        # The line of one service's day, in order.
        Index("ix_waiting_entry_line", "service_id", "day", "status", "id"),
        Index("ix_waiting_entry_phone", "phone", "status"),
    )


class WaitingVisitor(db.Model):
    """A visitor of a waiting entry, stored like a booking's visitor: masked and hashed (the
    document type is checked when it becomes a booking's visitor)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waiting_entry.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))  # booking.identity.NAME_MAX, as a visitor's
    id_type: Mapped[str] = mapped_column(String(20))
    id_masked: Mapped[str] = mapped_column(String(40))
    id_hash: Mapped[str] = mapped_column(String(64))

    entry: Mapped[WaitingEntry] = relationship(back_populates="visitors")

    __table_args__ = (
        UniqueConstraint("entry_id", "position"),
        Index("ix_waiting_visitor_id_hash", "id_hash"),
    )


class WaitingHold(db.Model):
    """One freed place (one booking, `people` places) kept out of public availability.

    held: nobody has it (waiting for the next in line, or for release_at); offered: the
    entry whose hold_id names it may claim it; claimed: it became that entry's booking; released: it went
    back to the slot's public counters. Only held and offered count in the slot.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    people: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="held")
    freed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    release_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # hold-back ends
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship()

    __table_args__ = (
        CheckConstraint(_in("status", HOLD_STATUSES), name="status"),
        CheckConstraint("people >= 1", name="people_positive"),
        Index("ix_waiting_hold_line", "service_id", "day", "status"),
        Index("ix_waiting_hold_status", "status", "release_at"),
    )


class RationingSettings(db.Model):
    """An office's rules for popular days; an office without a row has the defaults.

    challenge: off; days (on the listed local days only); always; auto (when the load
    crosses CHALLENGE_AUTO_PER_MINUTE booking and code posts a minute).
    """

    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True)
    claim_minutes: Mapped[int] = mapped_column(default=30)
    holdback_minutes: Mapped[int] = mapped_column(default=0)  # Berlin holds back 30
    challenge: Mapped[str] = mapped_column(String(8), default="auto")
    challenge_days: Mapped[str] = mapped_column(Text, default="")  # ISO dates, comma-separated

    __table_args__ = (
        CheckConstraint("claim_minutes >= 1", name="claim_minutes_positive"),
        CheckConstraint("holdback_minutes >= 0", name="holdback_minutes_not_negative"),
        CheckConstraint(_in("challenge", CHALLENGE_MODES), name="challenge"),
    )


class ChallengeUse(db.Model):
    """A solved proof-of-work challenge, kept until it expires: the primary key makes a
    second use of the same solution (a replay, also two at once) fail."""

    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
