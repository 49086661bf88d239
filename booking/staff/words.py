"""The staff pages' words for stored codes, in the clerk's language: levels, refusal reasons,
roles, and the audit trail's events and details (never closure_created or reason=fever)."""

from __future__ import annotations

import json

from flask_babel import gettext as _

from ..i18n import request_lang, zone_words


def level_names() -> dict[str, str]:
    return {"normal": _("Normal"), "heightened": _("Heightened"), "emergency": _("Emergency")}


def refusal_names() -> dict[str, str]:
    return {"not_active": _("not active"), "wrong_day": _("wrong day"), "too_early": _("too early"),
            "too_late": _("too late"), "not_cleared": _("not cleared"), "fever": _("fever"),
            "hall_full": _("hall full")}


def actor_names() -> dict[str, str]:
    """Who did it, also who cancelled a booking (cancelled_by)."""
    return {"citizen": _("citizen"), "sms": _("SMS reply"), "system": _("system"),
            "staff": _("staff"), "auto_release": _("system"), "office": _("the office")}


def id_type_names() -> dict[str, str]:
    return {"resident_id": _("Resident ID card"), "residence_permit": _("HK/Macao/Taiwan residence permit"),
            "hk_mo_permit": _("Hong Kong/Macau permit"), "tw_permit": _("Taiwan permit"),
            "foreign_permanent_id": _("Foreign permanent residence ID"), "passport": _("Passport")}


def waiting_status_names() -> dict[str, str]:
    return {"waiting": _("waiting"), "offered": _("offered"), "claimed": _("claimed"),
            "expired": _("expired"), "left": _("left")}


def hold_status_names() -> dict[str, str]:
    return {"held": _("held"), "offered": _("offered"), "claimed": _("claimed"), "released": _("released")}


def challenge_names() -> dict[str, str]:
    return {"off": _("Off"), "days": _("On the popular days"), "always": _("Always on"),
            "auto": _("Automatic, under load")}


def role_names() -> dict[str, str]:
    return {"clerk": _("Clerk"), "supervisor": _("Supervisor"), "admin": _("Administrator")}


def counter_label(name: str | None) -> str:
    """A counter as the clerk reads it: a bare number worded ("3号窗口", "counter 3"), a name
    staff wrote ("3号窗口", "服务台") exactly as written, never "3号窗口 号窗口"."""
    name = str(name or "")
    return _("counter %(name)s", name=name) if name.isdigit() else name


def zone_name(office) -> str:
    """The office's time zone as people say it: 北京时间 / Beijing time (else its identifier)."""
    return zone_words(office, request_lang())


def source_names() -> dict[str, str]:
    return {"web": _("web page"), "api": _("app (API)"), "walk_in": _("at the door")}


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
        "sms_failed": _("Text not delivered"), "staff_created": _("Staff account created"),
        "staff_deactivated": _("Staff account ended"), "staff_login": _("Logged in"),
        "staff_logout": _("Logged out"), "setup_applied": _("Offices set up"),
    }


def _detail_names() -> dict[str, str]:
    return {
        "reason": _("reason"), "reason_en": _("English reason"), "by": _("by"),
        "counter": _("counter"), "ticket": _("ticket"), "stay_minutes": _("stay (min)"),
        "level": _("level"), "previous": _("before"), "listed": _("bookings above the limit"),
        "first": _("from"), "last": _("to"), "service": _("service"), "visitor": _("visitor no."),
        "failed": _("failed on"), "rules_version": _("rules version"), "walk_in": _("walk-in for"),
        "party": _("people"), "source": _("through"), "username": _("account"), "role": _("role"),
        "max_bookings": _("bookings"), "max_people": _("people"), "counters": _("counters"),
        "deadline": _("deadline"), "closure": _("closure no."),
    }


def _value(key: str, value, words: dict[str, str]) -> str:
    if key == "visitor" and isinstance(value, int):
        return str(value + 1)
    if isinstance(value, list):
        return "、".join(words.get(str(v), str(v)) for v in value)
    return words.get(str(value), str(value))


def describe(detail_text: str, words: dict[str, str]) -> str:
    """The stored JSON details as "reason: fever; ticket: J001" in words. `words` translates
    values that are codes (refusal reasons, levels, who cancelled)."""
    try:
        values = json.loads(detail_text) if detail_text else {}
    except ValueError:
        return ""
    names = _detail_names()
    parts = []
    if values.pop("taken_by_staff", None):
        parts.append(_("taken by staff"))
    for key, value in values.items():
        if value in (None, "", []):
            continue
        parts.append(_("%(name)s: %(value)s", name=names.get(key, key), value=_value(key, value, words)))
    return _("; ").join(parts)
