"""Judging one visitor's health answers by one version of the rules: pure functions.

Every answer the rules ask about gets a reason, passing or not, so a citizen (and the office)
can read exactly why a declaration passed or failed: "37.8 °C is at or above 37.3 °C".
A reason is stored as data ({question, code, passed, values}); its text is made on demand in
Chinese or English, and still reads well after the purge has removed the values.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..i18n import choose, local_time
from ..models import HealthRules

QUESTIONS = ("symptoms", "risk_area_travel", "case_contact", "health_code", "temperature_c",
             "nat_negative_at")


@dataclass(frozen=True)
class Answers:
    """One visitor's answers; None where the rules did not ask (or the purge removed them)."""

    symptoms: bool | None = None
    risk_area_travel: bool | None = None
    case_contact: bool | None = None
    health_code: str | None = None
    temperature_c: float | None = None
    nat_negative_at: dt.datetime | None = None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: list[dict]


def asked(rules: HealthRules) -> tuple[str, ...]:
    """The questions these rules ask, in the order a form shows them."""
    flags = {
        "symptoms": rules.ask_symptoms, "risk_area_travel": rules.ask_risk_area_travel,
        "case_contact": rules.ask_case_contact, "health_code": rules.ask_health_code,
        "temperature_c": rules.ask_temperature, "nat_negative_at": rules.nat_required,
    }
    return tuple(q for q in QUESTIONS if flags[q])


def _reason(question: str, code: str, passed: bool, **values) -> dict:
    return {"question": question, "code": code, "passed": passed, "values": values}


def judge_yes_no(question: str, answer: bool, days: int) -> dict:
    """Symptoms, risk-area travel and case contact (in the last `days`) pass only when no."""
    return _reason(question, question if answer else f"no_{question}", not answer, days=days)


def judge_health_code(code: str, accepted: tuple[str, ...]) -> dict:
    ok = code in accepted
    return _reason("health_code", "health_code_accepted" if ok else "health_code_not_accepted",
                   ok, colour=code, accepted=list(accepted))


def judge_temperature(value: float, limit: float) -> dict:
    """Below the limit passes; at or above it fails (37.3 °C itself fails)."""
    ok = round(value, 2) < round(limit, 2)
    return _reason("temperature_c",
                   "temperature_below_limit" if ok else "temperature_at_or_above_limit",
                   ok, value=value, limit=limit)


def judge_nat(tested_at: dt.datetime | None, visit_at: dt.datetime, max_hours: int) -> dict:
    """A negative test at most max_hours before the visit passes (exactly 48 h still does)."""
    if tested_at is None:
        return _reason("nat_negative_at", "nat_missing", False, hours=max_hours)
    ok = visit_at - tested_at <= dt.timedelta(hours=max_hours)
    return _reason("nat_negative_at", "nat_within_limit" if ok else "nat_too_old", ok,
                   tested_at=tested_at.astimezone(dt.UTC).isoformat(), hours=max_hours)


def judge(rules: HealthRules, answers: Answers, visit_at: dt.datetime) -> Verdict:
    """The verdict on a visitor's answers: passed only when every asked question passes."""
    reasons = []
    for question in asked(rules):
        if question == "health_code":
            reasons.append(judge_health_code(answers.health_code, rules.accepted_codes))
        elif question == "temperature_c":
            reasons.append(judge_temperature(answers.temperature_c, rules.temperature_limit_c))
        elif question == "nat_negative_at":
            reasons.append(judge_nat(answers.nat_negative_at, visit_at, rules.nat_max_hours))
        else:
            reasons.append(judge_yes_no(question, getattr(answers, question), rules.lookback_days))
    return Verdict(all(r["passed"] for r in reasons), reasons)


# --- the reasons in words ------------------------------------------------------------------

COLOURS = {"green": ("绿码", "green"), "yellow": ("黄码", "yellow"), "red": ("红码", "red")}

# (Chinese, English) per code; {placeholders} come from the reason's values.
TEXTS = {
    "no_symptoms": ("近 {days} 天无发热或呼吸道症状", "No fever or respiratory symptoms in the last {days} days"),
    "symptoms": ("近 {days} 天有发热或呼吸道症状", "Fever or respiratory symptoms in the last {days} days"),
    "no_risk_area_travel": ("近 {days} 天未到过中高风险地区",
                            "No travel to medium or high risk areas in the last {days} days"),
    "risk_area_travel": ("近 {days} 天到过中高风险地区",
                         "Travel to a medium or high risk area in the last {days} days"),
    "no_case_contact": ("近 {days} 天未接触确诊或疑似病例",
                        "No contact with confirmed or suspected cases in the last {days} days"),
    "case_contact": ("近 {days} 天接触过确诊或疑似病例",
                     "Contact with a confirmed or suspected case in the last {days} days"),
    "health_code_accepted": ("健康码为{colour}，符合要求", "Health code is {colour}, as required"),
    "health_code_not_accepted": ("健康码为{colour}，须为{accepted}", "Health code is {colour}; it must be {accepted}"),
    "temperature_below_limit": ("体温 {value} °C，低于 {limit} °C", "{value} °C is below {limit} °C"),
    "temperature_at_or_above_limit": ("体温 {value} °C，达到或超过 {limit} °C",
                                      "{value} °C is at or above {limit} °C"),
    "nat_within_limit": ("核酸阴性结果 {tested_at}，在到场前 {hours} 小时内",
                         "Negative test at {tested_at} is within {hours} h before the visit"),
    "nat_too_old": ("核酸阴性结果 {tested_at}，早于到场前 {hours} 小时",
                    "Negative test at {tested_at} is more than {hours} h before the visit"),
    "nat_missing": ("未提供到场前 {hours} 小时内的核酸阴性结果",
                    "No negative nucleic-acid test within {hours} h before the visit"),
}

# After the purge the values are gone: the same judgement, without the personal figures.
PURGED_TEXTS = {
    "no_symptoms": ("无发热或呼吸道症状", "No fever or respiratory symptoms"),
    "symptoms": ("有发热或呼吸道症状", "Fever or respiratory symptoms"),
    "no_risk_area_travel": ("未到过中高风险地区", "No travel to risk areas"),
    "risk_area_travel": ("到过中高风险地区", "Travel to a risk area"),
    "no_case_contact": ("未接触确诊或疑似病例", "No contact with cases"),
    "case_contact": ("接触过确诊或疑似病例", "Contact with a case"),
    "health_code_accepted": ("健康码符合要求", "Health code as required"),
    "health_code_not_accepted": ("健康码不符合要求", "Health code not as required"),
    "temperature_below_limit": ("体温低于限值", "Temperature below the limit"),
    "temperature_at_or_above_limit": ("体温达到或超过限值", "Temperature at or above the limit"),
    "nat_within_limit": ("核酸阴性结果在时限内", "Negative test within the time limit"),
    "nat_too_old": ("核酸阴性结果超过时限", "Negative test older than the time limit"),
    "nat_missing": ("未提供核酸阴性结果", "No negative nucleic-acid test"),
}


MEASURABLE_C = (30.0, 45.0)  # what a thermometer can show; anything else is a typing slip


def read_temperature(value, allowed: tuple[float, float] = MEASURABLE_C) -> float | None:
    """A temperature in °C as sent or typed: a number, or text with half- or full-width
    digits and a point or comma for decimals. None when it is not a finite number inside
    `allowed` (°C, inclusive). Rounded to 0.01: the one parser of the door, the walk-in form
    and the declarations."""
    if isinstance(value, str):
        try:
            value = float(unicodedata.normalize("NFKC", value).strip().replace(",", "."))
        except ValueError:
            return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    return round(float(value), 2) if allowed[0] <= value <= allowed[1] else None


def format_temperature(value: float) -> str:
    """37.8, 37.0, 37.25: one decimal unless more were measured."""
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _colour(code: str, lang: str) -> str:
    return choose(lang, *COLOURS.get(code, (code, code)))


def _values_in_words(values: dict, lang: str, tz: ZoneInfo) -> dict:
    words = dict(values)
    if "value" in values:
        words["value"] = format_temperature(values["value"])
        words["limit"] = format_temperature(values["limit"])
    if "colour" in values:
        words["colour"] = _colour(values["colour"], lang)
        joiner = choose(lang, "或", " or ")
        words["accepted"] = joiner.join(_colour(c, lang) for c in values["accepted"])
    if "tested_at" in values:
        local = dt.datetime.fromisoformat(values["tested_at"]).astimezone(tz)
        words["tested_at"] = (local.strftime("%d %b %H:%M") if lang == "en"
                              else local_time(local, tz, lang))
    return words


def reason_text(reason: dict, lang: str, tz: ZoneInfo) -> str:
    """A reason in Chinese or English; times in the office's time zone."""
    code, values = reason["code"], reason.get("values") or {}
    if not values and code in PURGED_TEXTS:
        return choose(lang, *PURGED_TEXTS[code])
    return choose(lang, *TEXTS[code]).format(**_values_in_words(values, lang, tz))
