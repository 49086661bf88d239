"""The staff pages' words for stored codes, in the clerk's language: levels, refusal reasons,
roles, statuses (the audit trail's events and details: booking.staff.audit_words)."""

from __future__ import annotations

from flask_babel import gettext as _

from ..accounts import AccountError
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
    return {"clerk": _("Clerk"), "supervisor": _("Supervisor"), "bureau": _("Bureau"),
            "admin": _("Administrator")}


def kind_names() -> dict[str, str]:
    """Kinds of service (models.SERVICE_KINDS) as the civil-affairs field names them."""
    return {"marriage": _("Marriage registration"), "divorce": _("Divorce registration"),
            "farewell": _("Farewell ceremony"), "cremation": _("Cremation"),
            "ash_collection": _("Collecting ashes"), "tomb_sweeping": _("Tomb sweeping")}


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


# The accounts page's field of each refusal of booking/accounts.py (REFUSALS).
ACCOUNT_FIELDS = {"role": "role", "username": "username", "taken": "username", "too_short": "password",
                  "bureau_office": "office", "no_office": "office", "office_required": "office",
                  "no_region": "region", "region_required": "region", "region_not_bureau": "region"}


def account_refusal(error: AccountError) -> tuple[str, str]:
    """An account refusal as (the accounts form's field it is shown beside, "" for none; its
    words in the reader's language, its English words for a code not worded here)."""
    words = {
        "role": _("Choose one of the roles offered."),
        "username": _("Enter a user name, without control characters."),
        "taken": _("The user name %(username)s is taken: choose another."),
        "too_short": _("The password needs at least 10 characters."),
        "bureau_office": _("A bureau belongs to a region, not to an office."),
        "no_region": _("No such region: %(code)s."),
        "region_required": _("A bureau belongs to a region: choose its region."),
        "region_not_bureau": _("Only a bureau belongs to a region."),
        "no_office": _("No such office: %(code)s."),
        "office_required": _("Clerks and supervisors belong to an office: choose their office."),
    }.get(error.code)
    if words is None:
        return "", str(error)
    return ACCOUNT_FIELDS.get(error.code, ""), words % {name: str(value) for name, value in error.values.items()}
