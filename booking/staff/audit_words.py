"""The audit trail in the reader's words: each event's action, and its stored details (JSON) as
"ticket: J001; counter: 2" with every code in words, a slot as its local time, and a settings
change as "label: before → after" (never a stored code, a Python dict or a slot id)."""

from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..i18n import request_lang
from ..models import Office, Slot
from . import words

SLOT_KEYS = ("slot", "from_slot", "to_slot")


def action_names() -> dict[str, str]:
    return {
        "booked": _("Booked"), "confirmed": _("Confirmed"), "cancelled": _("Cancelled"),
        "rescheduled": _("Moved to another time"), "released": _("Released (not confirmed)"),
        "walk_in": _("Walk-in taken at the door"), "checked_in": _("Checked in"),
        "door_refused": _("Refused at the door"), "called": _("Called to a counter"),
        "recalled": _("Called again"), "completed": _("Visit completed"),
        "no_show": _("Marked as not come"), "no_show_undone": _("No-show undone"),
        "health_declared": _("Health declaration passed"),
        "health_declaration_failed": _("Health declaration failed"),
        "health_declarations_viewed": _("Health declarations viewed"),
        "health_rules_changed": _("Health rules changed"),
        "closure_created": _("Closure created"), "closure_reopened": _("Closure lifted"),
        "epidemic_level": _("Epidemic level set"), "slot_capacity": _("Slot capacity set"),
        "capacity_kept": _("Kept above the limit"), "capacity_moved": _("Moved below the limit"),
        "counters_set": _("Counters set"), "service_settings_changed": _("Service settings changed"),
        "rationing_changed": _("Waiting-list settings changed"),
        "sms_failed": _("Text not delivered"), "staff_created": _("Staff account created"),
        "staff_deactivated": _("Staff account ended"), "staff_login": _("Logged in"),
        "staff_logout": _("Logged out"), "setup_applied": _("Offices set up"),
        "daily_report_submitted": _("Daily report submitted"),
        "popular_day_plan": _("Popular-day plan applied"), "popular_day_undone": _("Popular-day plan undone"),
    }


def _detail_names() -> dict[str, str]:
    return {
        "reason": _("reason"), "reason_en": _("English reason"), "by": _("by"),
        "counter": _("counter"), "ticket": _("ticket"), "stay_minutes": _("stay (min)"),
        "level": _("level"), "previous": _("before"), "listed": _("bookings above the limit"),
        "first": _("from"), "last": _("to"), "service": _("service"), "visitor": _("visitor no."),
        "failed": _("failed on"), "rules_version": _("rules version"), "version": _("rules version"),
        "walk_in": _("walk-in for"), "party": _("people"), "source": _("through"),
        "username": _("account"), "role": _("role"), "max_bookings": _("bookings"),
        "max_people": _("people"), "counters": _("counters"), "deadline": _("deadline"),
        "closure": _("closure no."), "slot": _("time slot"), "from_slot": _("from"), "to_slot": _("to"),
        "claim_minutes": _("Minutes to claim an offered place"),
        "holdback_minutes": _("Hold-back: minutes before a freed place returns to the public"),
        "challenge": _("Proof-of-work challenge"), "days": _("Popular days"),
        "kind": _("text"), "code": _("error code"), "message": _("text no."),
        "date": _("date"), "incident": _("incident"), "note": _("note"),
        "replaced": _("replaced an earlier one"), "region": _("region"), "day": _("day"),
        "services": _("services"), "capacity_percent": _("places offered (%)"),
        "assisted_reserve": _("telephone and counter reserve"), "proof_of_work": _("anti-bot check"),
        "extra_hours": _("opening hours"), "cancelled": _("bookings cancelled"), "plan": _("plan no."),
    }


def setting_names() -> dict[str, str]:
    """A service's settings and health rules by the labels of their forms."""
    return {
        "party_size_min": _("Smallest party (people)"), "party_size_max": _("Largest party (people)"),
        "slot_max_bookings": _("Bookings at most"), "slot_max_people": _("People at most"),
        "booking_opens_days": _("Opens this many days before the date"),
        "booking_opens_at": _("Opens at (local time)"),
        "booking_closes_hours": _("Closes this many hours before the slot"),
        "requires_confirmation": _("Citizens must confirm their booking"),
        "person_limit": _("One booking per person"), "suspended": _("Suspended: no new bookings"),
        "suspension_note_zh": _("Reason shown to citizens (Chinese)"),
        "suspension_note_en": _("Reason shown to citizens (English)"),
        "bring_zh": _("What to bring (Chinese)"), "bring_en": _("What to bring (English)"),
        "window_opens_hours": _("Declarations open this many hours before the slot"),
        "lookback_days": _("Questions look back this many days"), "ask_symptoms": _("Symptoms"),
        "ask_risk_area_travel": _("Travel to a risk area"), "ask_case_contact": _("Contact with a case"),
        "ask_health_code": _("Health code"), "ask_temperature": _("Temperature"),
        "accepted_health_codes": _("Accepted health codes"),
        "temperature_limit_c": _("Temperature limit (°C, at or above fails)"),
        "nat_required": _("A negative nucleic-acid test is required"),
        "nat_max_hours": _("Test taken at most this many hours before the slot"),
    }


class Describer:
    """Turns one office's audit details into words; slot times are read once per page."""

    def __init__(self, office: Office, details: list[dict]):
        self.names = _detail_names()
        self.settings = setting_names()
        self.codes = {**words.refusal_names(), **words.level_names(), **words.actor_names(),
                      **words.source_names(), **words.challenge_names(),
                      **{service.code: service.name(request_lang()) for service in office.services}}
        ids = {value for detail in details for key, value in detail.items()
               if key in SLOT_KEYS and isinstance(value, int)}
        self.slots = {slot.id: slot.starts_at.astimezone(office.tz).strftime("%Y-%m-%d %H:%M")
                      for slot in db.session.scalars(select(Slot).where(Slot.id.in_(ids)))} if ids else {}

    def value(self, key: str, value) -> str:
        if key in SLOT_KEYS:
            return self.slots.get(value, _("a removed slot"))
        if key == "visitor" and isinstance(value, int):
            return str(value + 1)
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, list):
            return "、".join(self.value("", v) for v in value)
        return self.codes.get(str(value), str(value))

    def change(self, name: str, value) -> str:
        """One setting's change: "label: before → after" (a rule change without its before: "→ after")."""
        before, after = value if isinstance(value, list) and len(value) == 2 else (None, value)
        shown = " → ".join(self.value("", v) for v in ((after,) if before is None else (before, after)))
        return _("%(name)s: %(value)s", name=self.settings.get(name, name), value=shown)

    def describe(self, detail: dict) -> str:
        parts = []
        if detail.pop("taken_by_staff", None):
            parts.append(_("taken by staff"))
        for key, value in detail.items():
            if value in (None, "", [], {}):
                continue
            if key == "changes" and isinstance(value, dict):
                parts.extend(self.change(name, change) for name, change in value.items())
                continue
            parts.append(_("%(name)s: %(value)s", name=self.names.get(key, key), value=self.value(key, value)))
        return _("; ").join(parts)


def details(detail_text: str) -> dict:
    """The stored JSON details ({} when there are none, or they cannot be read)."""
    try:
        values = json.loads(detail_text) if detail_text else {}
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def describe_all(office: Office, events) -> list[str]:
    """The details of each of `events` (AuditEvent rows) in words, in order."""
    parsed = [details(event.detail) for event in events]
    describer = Describer(office, parsed)
    return [describer.describe(detail) for detail in parsed]
