"""Health-check rules as data: seeded defaults per kind of service, versions, edits.

Rules are never changed in place: an edit adds the next version, so every verdict keeps the
version it was judged by, and a change applies only to declarations made after it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import BookingError
from ..extensions import db
from ..models import HEALTH_CODES, HealthRules, Service, StaffUser
from ..uow import use_case

BASE_RULES = dict(window_opens_hours=24, lookback_days=14, ask_symptoms=True,
                  ask_risk_area_travel=True, ask_case_contact=True, ask_health_code=True,
                  accepted_health_codes="green", ask_temperature=True, temperature_limit_c=37.3,
                  nat_required=False, nat_max_hours=48)

# Funeral homes and cemeteries demand a negative nucleic-acid test (field report, Dingxi 2021:
# "确需进入…殡葬殡仪服务机构的人员，一律要求提供核酸检测阴性证明").
DEFAULTS_BY_KIND = {
    "marriage": {}, "divorce": {},
    "farewell": {"nat_required": True}, "cremation": {"nat_required": True},
    "ash_collection": {"nat_required": True}, "tomb_sweeping": {"nat_required": True},
}

# What an administrator may change, with the allowed range.
EDITABLE = {
    "window_opens_hours": (int, 1, 336), "lookback_days": (int, 1, 60),
    "temperature_limit_c": (float, 36.0, 39.0), "nat_max_hours": (int, 1, 336),
    "ask_symptoms": (bool,), "ask_risk_area_travel": (bool,), "ask_case_contact": (bool,),
    "ask_health_code": (bool,), "ask_temperature": (bool,), "nat_required": (bool,),
    "accepted_health_codes": (list,),
}


class RulesInvalid(BookingError):
    code, status = "invalid_rules", 422
    message_zh = "健康规则设置无效：{name}。"
    message_en = "That health-rule setting is not valid: {name}."


class RulesForbidden(BookingError):
    code, status = "forbidden", 403
    message_zh, message_en = "只有管理员可以修改健康规则。", "Only administrators may change health rules."


class RulesChanged(BookingError):
    code, status = "rules_changed", 409
    message_zh = "规则刚被他人修改，请刷新后再试。"
    message_en = "Someone else just changed these rules. Please reload and try again."


def default_rules(kind: str) -> dict:
    """The seeded rule values for a kind of service."""
    return {**BASE_RULES, **DEFAULTS_BY_KIND.get(kind, {})}


def _latest(service: Service) -> HealthRules | None:
    return db.session.scalars(
        select(HealthRules).where(HealthRules.service_id == service.id)
        .order_by(HealthRules.version.desc()).limit(1)
    ).first()


def seed_default_rules(service: Service) -> HealthRules:
    """Version 1 of the service's rules from its kind's defaults, unless it has rules. Flushes;
    the caller commits."""
    existing = _latest(service)
    if existing is not None:
        return existing
    rules = HealthRules(service_id=service.id, version=1, **default_rules(service.kind))
    try:
        with db.session.begin_nested():  # another request may seed the same service at once
            db.session.add(rules)
    except IntegrityError:
        return _latest(service)
    return rules


def seed_all_default_rules() -> int:
    """Default rules for every service that has none (the demo loader calls it). Flushes."""
    services = db.session.scalars(select(Service).order_by(Service.id)).all()
    before = {s.id for s in services if _latest(s) is not None}
    for service in services:
        seed_default_rules(service)
    return len(services) - len(before)


def current_rules(service: Service) -> HealthRules:
    """The rules in force for a service: its latest version, or while none is stored its kind's
    defaults as an unsaved version 1. Reads only: storing version 1 is for the first write that
    needs it (seed_default_rules, called by declare and update_rules)."""
    return _latest(service) or HealthRules(service_id=service.id, version=1, **default_rules(service.kind))


def _clean_value(name: str, value):
    spec = EDITABLE.get(name)
    if spec is None:
        raise RulesInvalid(name, name=name)
    kind = spec[0]
    if kind is bool:
        if not isinstance(value, bool):
            raise RulesInvalid(name, name=name)
        return value
    if kind is list:
        codes = value.split(",") if isinstance(value, str) else value
        if not isinstance(codes, list | tuple) or not codes or not set(codes) <= set(HEALTH_CODES):
            raise RulesInvalid(name, name=name)
        return ",".join(c for c in HEALTH_CODES if c in codes)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RulesInvalid(name, name=name)
    try:
        number = kind(value)
    except ValueError:
        raise RulesInvalid(name, name=name) from None
    if not spec[1] <= number <= spec[2] or (kind is int and number != float(value)):
        raise RulesInvalid(name, name=name)
    return number


@use_case
def update_rules(service: Service, changes: dict, staff_user: StaffUser | None) -> HealthRules:
    """A new version of the service's rules with `changes` applied. A use case; RulesChanged
    when another edit took the same version first.

    Only administrators edit rules (None means the system itself, e.g. a command).
    Declarations already made keep the version they were judged by.
    """
    if staff_user is not None and staff_user.role != "admin":
        raise RulesForbidden()
    cleaned = {name: _clean_value(name, value) for name, value in (changes or {}).items()}
    current = seed_default_rules(service)
    values = {name: getattr(current, name) for name in BASE_RULES}
    values.update(cleaned)
    rules = HealthRules(service_id=service.id, version=current.version + 1,
                        created_by_id=staff_user.id if staff_user else None, **values)
    db.session.add(rules)
    audit.record("health_rules_changed", actor="staff" if staff_user else "system",
                 office_id=service.office_id, staff_user_id=staff_user.id if staff_user else None,
                 service=service.code, version=rules.version,
                 changes={name: [getattr(current, name), value] for name, value in cleaned.items()
                          if getattr(current, name) != value})
    try:
        db.session.flush()
    except IntegrityError:
        raise RulesChanged() from None
    return rules


def rules_history(service: Service) -> list[HealthRules]:
    """Every version of a service's rules, newest first (for the admin page)."""
    return list(db.session.scalars(
        select(HealthRules).where(HealthRules.service_id == service.id)
        .order_by(HealthRules.version.desc())))
