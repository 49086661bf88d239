"""Tables of the SMS side beyond the outbox: inbound replies, opt-outs, notices sent once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..i18n import LANG_LENGTH
from .core import UTCDateTime, utcnow


class InboundMessage(db.Model):
    """One reply received, keyed by Twilio's MessageSid, or for an Alibaba Cloud uplink by
    `aliyun:<phone_number>:<sequence_id>`.

    The primary key is the dedupe: a webhook the provider repeats (also two copies in
    parallel) inserts the same key, and only the first transaction to commit acts on it. The
    row commits with the action it caused, and keeps the kind of answer (never its text,
    which may carry a manage link), so a repeat gets the same answer rendered again.
    """

    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    keyword: Mapped[str] = mapped_column(String(12))  # confirm, cancel, help, stop, start, unknown
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    outcome: Mapped[str] = mapped_column(String(20), default="")  # what we did
    reply_kind: Mapped[str] = mapped_column(String(24), default="")  # the answer's kind ("" = none)
    lang: Mapped[str] = mapped_column(String(LANG_LENGTH), default="zh")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_inbound_message_phone", "phone", "received_at"),)


class PhoneOptOut(db.Model):
    """A number that sent STOP (or CANCEL, or another opt-out word): Twilio now blocks our
    texts to it, so we send nothing until it sends START."""

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    keyword: Mapped[str] = mapped_column(String(16))
    opted_out_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsNotice(db.Model):
    """A notice about a booking that must go out at most once (reminder, release warning).

    Inserted in the same transaction as the outbox row; the primary key makes a second run
    of the reminder job (or two at once) add nothing. A release warning keeps the deadline
    it announced, so the release happens exactly when the text said.
    """

    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"),
                                            primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)  # reminder, release_warning
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
