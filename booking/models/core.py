"""Tables and the invariants the database itself enforces.

Times are stored in UTC (naive columns holding UTC, returned as aware datetimes);
local dates and times belong to an office's time zone and are named *_local or *_on.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from .setup import Region

from ..extensions import db
from ..i18n import LANG_LENGTH, LANGUAGES, choose


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is stored")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


SERVICE_KINDS = ("marriage", "divorce", "farewell", "cremation", "ash_collection", "tomb_sweeping")
BOOKING_STATUSES = (
    "booked", "confirmed", "checked_in", "called", "completed", "cancelled", "no_show",
)
ACTIVE_STATUSES = ("booked", "confirmed", "checked_in", "called")
SLOT_STATUSES = ("open", "closed", "removed")
# docs/contract.md; booking/identity/ reads each of them.
ID_TYPES = ("resident_id", "residence_permit", "hk_mo_permit", "tw_permit", "foreign_permanent_id",
            "passport")
# One active booking per person per service: "day" (per local day) or "service" (whatever the day).
PERSON_LIMITS = ("day", "service")
# web and api: online; walk_in: at the door; phone and counter: a clerk booking for a caller
BOOKING_SOURCES = ("web", "api", "walk_in", "phone", "counter")
ONCE_PER_PERSON_KINDS = ("marriage", "divorce")
# A bureau account belongs to a region (its offices and those of the regions below it):
# it reads every staff page of them and closes services across them (booking/access.py).
STAFF_ROLES = ("clerk", "supervisor", "bureau", "admin")
# An office's holiday calendar: "CN" closes on China's statutory holidays and opens on make-up
# working days (booking/offices/china_calendar.py); "none" follows the weekly hours only.
HOLIDAY_CALENDARS = ("CN", "none")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Office(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    # Traditional Chinese of what staff typed, drafted with OpenCC when saved (empty: draft on reading).
    name_zh_hant: Mapped[str] = mapped_column(String(120), default="", server_default="")
    name_en: Mapped[str] = mapped_column(String(120))
    address_zh: Mapped[str] = mapped_column(String(200))
    address_zh_hant: Mapped[str] = mapped_column(String(200), default="", server_default="")
    address_en: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    hall_limit: Mapped[int] = mapped_column(default=30)  # people in the hall at once
    stay_limit_minutes: Mapped[int] = mapped_column(default=30)
    checkin_opens_minutes: Mapped[int] = mapped_column(default=30)  # before the slot starts
    epidemic_level: Mapped[str] = mapped_column(String(16), default="normal")
    # The counters staff call tickets to, one name a line, as staff wrote them ("3号窗口").
    counters: Mapped[str] = mapped_column(String(400), default="", server_default="")
    holidays: Mapped[str] = mapped_column(String(8), default="CN", server_default="CN")

    services: Mapped[list[Service]] = relationship(
        back_populates="office", order_by="Service.id"
    )
    region: Mapped[Region | None] = relationship()

    __table_args__ = (
        CheckConstraint("hall_limit > 0", name="hall_limit_positive"),
        CheckConstraint(_in("holidays", HOLIDAY_CALENDARS), name="holidays"),
        CheckConstraint("stay_limit_minutes > 0", name="stay_limit_positive"),
        CheckConstraint(
            _in("epidemic_level", ("normal", "heightened", "emergency")), name="epidemic_level"
        ),
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def name(self, lang: str) -> str:
        return choose(lang, self.name_zh, self.name_en, self.name_zh_hant)

    def address(self, lang: str) -> str:
        return choose(lang, self.address_zh, self.address_en, self.address_zh_hant)

    @property
    def counter_names(self) -> list[str]:
        """The office's counters in the order staff listed them (empty: none listed yet)."""
        return [line.strip() for line in (self.counters or "").splitlines() if line.strip()]


def default_person_limit(kind: str | None) -> str:
    """Marriage and divorce: one active booking per person whatever the day (docs/contract.md)."""
    return "service" if kind in ONCE_PER_PERSON_KINDS else "day"


class Service(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_zh_hant: Mapped[str] = mapped_column(String(120), default="", server_default="")
    name_en: Mapped[str] = mapped_column(String(120))
    bring_zh: Mapped[str] = mapped_column(Text, default="")  # what to bring
    bring_zh_hant: Mapped[str] = mapped_column(Text, default="", server_default="")
    bring_en: Mapped[str] = mapped_column(Text, default="")
    party_size_min: Mapped[int] = mapped_column(default=1)
    party_size_max: Mapped[int] = mapped_column(default=1)
    slot_minutes: Mapped[int] = mapped_column(default=30)
    slot_max_bookings: Mapped[int] = mapped_column(default=5)
    slot_max_people: Mapped[int] = mapped_column(default=10)
    booking_opens_days: Mapped[int] = mapped_column(default=7)  # days before the slot's date
    booking_opens_at: Mapped[dt.time] = mapped_column(default=dt.time(8, 0))  # local time
    booking_closes_hours: Mapped[int] = mapped_column(default=2)  # hours before the slot
    requires_confirmation: Mapped[bool] = mapped_column(default=False)
    suspended: Mapped[bool] = mapped_column(default=False)
    suspension_note_zh: Mapped[str] = mapped_column(String(200), default="")
    suspension_note_zh_hant: Mapped[str] = mapped_column(String(200), default="", server_default="")
    suspension_note_en: Mapped[str] = mapped_column(String(200), default="")
    # Bookings per slot kept for telephone and counter bookings, returned to online booking
    # assisted_release_hours before the slot (docs/contract.md, "Every channel").
    assisted_reserve: Mapped[int] = mapped_column(default=0, server_default="0")
    assisted_release_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # no_show_limit no-shows within no_show_window_days bar a person for no_show_bar_days (0: never).
    no_show_limit: Mapped[int] = mapped_column(default=0, server_default="0")
    no_show_window_days: Mapped[int] = mapped_column(default=30, server_default="30")
    no_show_bar_days: Mapped[int] = mapped_column(default=15, server_default="15")
    # Equal arrival windows each slot is split into; every booking gets one (1: the whole slot).
    arrival_windows: Mapped[int] = mapped_column(default=1, server_default="1")
    person_limit: Mapped[str] = mapped_column(String(8), default=lambda ctx: default_person_limit(
        ctx.get_current_parameters().get("kind")), server_default="day")

    office: Mapped[Office] = relationship(back_populates="services")
    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="service", order_by="(OpeningHours.weekday, OpeningHours.opens)"
    )

    __table_args__ = (
        UniqueConstraint("office_id", "code"),
        CheckConstraint(_in("kind", SERVICE_KINDS), name="kind"),
        CheckConstraint("party_size_min >= 1 AND party_size_max >= party_size_min",
                        name="party_size"),
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint("booking_opens_days >= 0 AND booking_closes_hours >= 0",
                        name="booking_window"),
        CheckConstraint(_in("person_limit", PERSON_LIMITS), name="person_limit"),
        CheckConstraint("assisted_reserve >= 0 AND assisted_release_hours >= 0", name="assisted_reserve"),
        CheckConstraint("no_show_limit >= 0 AND no_show_window_days >= 1 AND no_show_bar_days >= 1",
                        name="no_show_rule"),
        CheckConstraint("arrival_windows >= 1", name="arrival_windows_positive"),
    )

    def name(self, lang: str) -> str:
        return choose(lang, self.name_zh, self.name_en, self.name_zh_hant)

    def bring(self, lang: str) -> str:
        return choose(lang, self.bring_zh, self.bring_en, self.bring_zh_hant)

    def suspension_note(self, lang: str) -> str:
        return choose(lang, self.suspension_note_zh, self.suspension_note_en, self.suspension_note_zh_hant)


class OpeningHours(db.Model):
    """One opening period of a service on one weekday (0 = Monday), in the office's local time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    weekday: Mapped[int]
    opens: Mapped[dt.time]
    closes: Mapped[dt.time]

    service: Mapped[Service] = relationship(back_populates="hours")

    __table_args__ = (
        UniqueConstraint("service_id", "weekday", "opens"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )


class Slot(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    max_bookings: Mapped[int]
    max_people: Mapped[int]
    booked_bookings: Mapped[int] = mapped_column(default=0)
    booked_people: Mapped[int] = mapped_column(default=0)
    # open; closed by a closure (reopened with it); removed: no longer in the office's hours
    status: Mapped[str] = mapped_column(String(10), default="open")
    # A capacity cut below what is booked (offices/admin.py): max_* keep room for the bookings
    # listed for review (the checks below), and no place is taken until booked is under these.
    cut_bookings: Mapped[int | None]
    cut_people: Mapped[int | None]
    # Bookings kept for telephone and counter bookings when a popular-day plan sets it for the
    # slot's day (booking/busy/plans.py); None: the service's assisted_reserve.
    assisted_reserve: Mapped[int | None]

    service: Mapped[Service] = relationship()
    office: Mapped[Office] = relationship()

    __table_args__ = (
        # One live slot of a service per start; a removed slot stays for its bookings' history.
        Index("uq_slot_service_starts_live", "service_id", "starts_at", unique=True,
              sqlite_where=text("status <> 'removed'"), postgresql_where=text("status <> 'removed'")),
        CheckConstraint("booked_bookings >= 0 AND booked_bookings <= max_bookings",
                        name="booked_bookings_within_max"),
        CheckConstraint("booked_people >= 0 AND booked_people <= max_people",
                        name="booked_people_within_max"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint(_in("status", SLOT_STATUSES), name="status"),
        # Availability: a service's slots over a range of days.
        Index("ix_slot_service_starts", "service_id", "starts_at"),
        Index("ix_slot_office_starts", "office_id", "starts_at"),
    )

    def remaining_people(self, held: int = 0) -> int:
        """People who still fit, under a capacity cut's limit where there is one, less `held`
        people kept for assisted bookings (scheduling.assisted_held; never below 0)."""
        limit = self.max_people if self.cut_people is None else min(self.max_people, self.cut_people)
        return max(0, limit - held - self.booked_people)

    def remaining_bookings(self, party_size_min: int, held: tuple[int, int] = (0, 0)) -> int:
        """Parties that still fit, counting the people limit for the smallest party, less the
        `held` (bookings, people) kept for assisted bookings."""
        if self.status != "open":
            return 0
        by_people = self.remaining_people(held[1]) // max(party_size_min, 1)
        limit = self.max_bookings if self.cut_bookings is None else min(self.max_bookings, self.cut_bookings)
        return max(0, min(limit - held[0] - self.booked_bookings, by_people))


class Booking(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    token_salt: Mapped[str] = mapped_column(String(32))  # the manage token is derived from it
    token_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the manage token
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    # E.164 of the mobile it texts; "" for none (a clerk's booking for someone with a landline
    # or no phone: identity.contact_phone), as after the retention purge: nobody is texted
    phone: Mapped[str] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(LANG_LENGTH), default="zh")
    party_size: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="booked")
    source: Mapped[str] = mapped_column(String(10), default="web")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(12))  # citizen, office, auto_release
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ticket: Mapped[str | None] = mapped_column(String(10))
    counter: Mapped[str | None] = mapped_column(String(10))
    ics_sequence: Mapped[int] = mapped_column(default=0)
    # The arrival window within the slot given at booking (booking/hall/arrivals.py); both None
    # where the service has one window (the whole slot).
    arrive_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    arrive_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set by `retention purge`: phone, names and identity numbers are gone, the counts stay.
    personal_purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The closure that cancelled it: its page shows the closure's full reason in the reader's language.
    closure_id: Mapped[int | None] = mapped_column(ForeignKey("closure.id"))

    slot: Mapped[Slot] = relationship()
    service: Mapped[Service] = relationship()
    office: Mapped[Office] = relationship()
    closure: Mapped[Closure | None] = relationship()
    visitors: Mapped[list[Visitor]] = relationship(
        back_populates="booking", order_by="Visitor.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(_in("status", BOOKING_STATUSES), name="status"),
        CheckConstraint(_in("source", BOOKING_SOURCES), name="source"),
        CheckConstraint(_in("lang", LANGUAGES), name="lang"),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        Index("ix_booking_slot_status", "slot_id", "status"),
        Index("ix_booking_phone_status", "phone", "status"),
        Index("ix_booking_office_checked_in", "office_id", "checked_in_at"),
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Visitor(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    position: Mapped[int]  # 0, 1, ... within the booking
    name: Mapped[str] = mapped_column(String(100))  # booking.identity.NAME_MAX characters
    id_type: Mapped[str] = mapped_column(String(20))
    id_masked: Mapped[str] = mapped_column(String(40))
    id_hash: Mapped[str] = mapped_column(String(64))  # HMAC keyed by the secret key

    booking: Mapped[Booking] = relationship(back_populates="visitors")

    __table_args__ = (
        UniqueConstraint("booking_id", "position"),
        CheckConstraint(_in("id_type", ID_TYPES), name="id_type"),
        Index("ix_visitor_id_hash", "id_hash"),
    )


class IdentityClaim(db.Model):
    """One active booking per identity number per service per local day, held by the database.

    A row exists while the booking is active; cancelling deletes it. The primary key makes
    two racing bookings for the same person fail on insert instead of both succeeding.
    """

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"),
                                            index=True)


class Closure(db.Model):
    """An office (service_id NULL) or one service suspended for local dates first_day..last_day."""

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    first_day: Mapped[dt.date]
    last_day: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(200))  # in Chinese, as staff wrote it
    reason_zh_hant: Mapped[str] = mapped_column(String(200), default="", server_default="")
    reason_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    office: Mapped[Office] = relationship()
    service: Mapped[Service | None] = relationship()

    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="first_before_last"),
        Index("ix_closure_office_days", "office_id", "first_day", "last_day"),
    )

    def reason_in(self, lang: str) -> str:
        """The reason in `lang`; English without one written says nothing (the caller words it)."""
        return self.reason_en if lang == "en" else choose(lang, self.reason, "", self.reason_zh_hant)

    def reason_shown(self, lang: str) -> str:
        """The reason to show in `lang`: English falls back to the Chinese as staff wrote it."""
        return self.reason_in(lang) or self.reason


class PhoneVerification(db.Model):
    """A one-time SMS code proving a citizen holds a phone; the code itself is stored hashed."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SmsMessage(db.Model):
    """The outbox: a text owed to a phone, committed with the change that caused it.

    No secret at rest: `params` holds the kind's non-secret values (JSON); the gateway renders
    the text at send time (a manage link is derived again from the booking). A secret value
    with nothing to derive it from (a verification code) is `sealed` (AES-GCM under a key
    derived from SECRET_KEY) and erased once the text is final. `body` is only for rows
    queued before the change (rendered then); it too is erased once final.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(LANG_LENGTH), default="zh")
    kind: Mapped[str] = mapped_column(String(24))
    params: Mapped[str] = mapped_column(Text, default="{}")
    sealed: Mapped[str | None] = mapped_column(Text)
    route: Mapped[str | None] = mapped_column(String(12))  # the gateway that sent it: twilio, aliyun ...
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(40))  # isv.BUSINESS_LIMIT_CONTROL ...
    error_message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            _in("status", ("pending", "sending", "queued", "sent", "delivered", "undelivered",
                           "failed")),
            name="status",
        ),
        # The worker's claim: due pending rows, oldest first.
        Index("ix_sms_message_due", "status", "next_attempt_at"),
    )


class StaffUser(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))  # NULL for admins and bureaus
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))  # a bureau's region
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised by logout, deactivation and a password change: every session made before is over.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    office: Mapped[Office | None] = relationship()
    region: Mapped[Region | None] = relationship()

    # Flask-Login's user interface.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """What the session keeps: the id and the session generation ("12.3"), so a raised
        generation ends every session made before (booking/auth.py checks it)."""
        return f"{self.id}.{self.session_generation}"

    __table_args__ = (
        CheckConstraint(_in("role", STAFF_ROLES), name="role"),
        CheckConstraint("role IN ('admin', 'bureau') OR office_id IS NOT NULL", name="office_unless_admin"),
        CheckConstraint("(role = 'bureau' AND region_id IS NOT NULL AND office_id IS NULL)"
                        " OR (role <> 'bureau' AND region_id IS NULL)", name="region_for_bureau"),
    )


TOKEN_SCOPES = ("api", "feed")


class ApiToken(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "api": the staff API; "feed": only the read-only calendar feed (its URL is shared).
    scope: Mapped[str] = mapped_column(String(8), default="api", server_default="api")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship()

    __table_args__ = (CheckConstraint(_in("scope", TOKEN_SCOPES), name="scope"),)


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(20))  # citizen, staff, sms, system
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_audit_event_office_at", "office_id", "at"),
        Index("ix_audit_event_booking", "booking_id"),
    )
