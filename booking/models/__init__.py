"""Tables and the invariants the database itself enforces, one module per area.

- core.py     offices, services, opening hours, slots, bookings, visitors, identity claims,
              closures, phone verifications, the outbox table, staff users, API tokens, audit
- health.py   health rules, declarations, door refusals, door days, ticket counters
- staff.py    capacity reviews
- notify.py   inbound replies, opt-outs, notices sent once
- reference.py the reference data's version (moved by triggers)
- setup.py    regions, dated hours exceptions, holiday arrangement corrections
- bureau.py   what offices submit to their bureau: the daily report's word
- plans.py    popular-day plans: an office's settings for one day it expects crowds on
- waiting.py  the waiting list: entries, their visitors, held places, rationing settings,
              proof-of-work challenges used

Importing this package gives the whole schema (create_all, Alembic autogenerate). Modules of the
package import each other directly, never this file.
"""

from .bureau import DailySubmission
from .core import (
    ACTIVE_STATUSES,
    BOOKING_SOURCES,
    BOOKING_STATUSES,
    HOLIDAY_CALENDARS,
    ID_TYPES,
    PERSON_LIMITS,
    SERVICE_KINDS,
    STAFF_ROLES,
    ApiToken,
    AuditEvent,
    Booking,
    Closure,
    IdentityClaim,
    Office,
    OpeningHours,
    PhoneVerification,
    Service,
    Slot,
    SmsMessage,
    StaffUser,
    UTCDateTime,
    Visitor,
    default_person_limit,
    utcnow,
)
from .health import HEALTH_CODES, REFUSAL_REASONS, DoorDay, DoorRefusal, HealthDeclaration, HealthRules, TicketCounter
from .notify import InboundMessage, PhoneOptOut, SmsNotice
from .plans import PopularDayPlan
from .reference import REFERENCE_TABLES, ReferenceVersion
from .setup import HolidayDate, HoursException, Region
from .staff import BarLifted, CapacityReview
from .waiting import ChallengeUse, RationingSettings, WaitingEntry, WaitingHold, WaitingVisitor

__all__ = [
    "REFERENCE_TABLES",
    "ReferenceVersion",
    "ACTIVE_STATUSES", "BOOKING_SOURCES", "BOOKING_STATUSES", "ID_TYPES", "PERSON_LIMITS", "SERVICE_KINDS",
    "STAFF_ROLES", "ApiToken", "BarLifted",
    "AuditEvent", "Booking", "Closure", "IdentityClaim", "Office", "OpeningHours", "PhoneVerification",
    "Service", "Slot", "SmsMessage", "StaffUser", "UTCDateTime", "Visitor", "utcnow",
    "HEALTH_CODES", "REFUSAL_REASONS", "DoorDay", "DoorRefusal", "HealthDeclaration", "HealthRules",
    "TicketCounter", "PopularDayPlan", "InboundMessage", "PhoneOptOut", "SmsNotice", "CapacityReview",
    "ChallengeUse", "RationingSettings", "WaitingEntry", "WaitingHold", "WaitingVisitor",
    "HolidayDate", "HoursException", "Region", "DailySubmission", "HOLIDAY_CALENDARS", "default_person_limit",
]
