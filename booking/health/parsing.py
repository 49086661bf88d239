"""Checking declaration input (the contract's JSON shape; the web form is turned into it).

Every problem is collected with its field path (declarations.0.temperature_c) and a message in
both languages, and nothing is written while any remains. Only the questions the rules ask are
required; answers to other questions are ignored and never stored.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from .. import date_input
from ..errors import BookingError
from ..i18n import choose
from ..models import HEALTH_CODES, Booking, HealthRules
from .judge import Answers, asked, read_temperature

TEMPERATURE_RANGE = (34.0, 43.0)  # a body temperature someone could really have measured
CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's clock may run a little ahead

MESSAGES = {
    "list": ("请至少填写一位办事人的申报。", "Send at least one declaration."),
    "object": ("格式不正确。", "Must be an object."),
    "visitor": ("办事人序号不正确。", "Not a visitor of this booking."),
    "duplicate": ("同一位办事人只能填写一次。", "This visitor appears twice."),
    "required": ("请回答此项。", "Please answer this question."),
    "boolean": ("请选择“是”或“否”。", "Must be true or false."),
    "health_code": ("请选择绿码、黄码或红码。", "Must be green, yellow or red."),
    "temperature": ("请输入 34–43 °C 之间的体温。", "Enter a temperature between 34 and 43 °C."),
    "datetime": ("请填写有效的日期和时间。", "Enter a valid date and time."),
    "future": ("检测时间不能晚于现在。", "The test time cannot be in the future."),
}


class DeclarationInvalid(BookingError):
    """Bad declaration input: `fields` maps each field path to a message key."""

    code, status, field = "invalid_declaration", 422, "declarations"
    message_zh, message_en = "申报内容有误，请检查标出的项目。", "Some answers need attention."

    def __init__(self, problems: dict[str, str]):
        super().__init__()
        self.problems = problems

    def fields(self, lang: str) -> dict[str, str]:
        return {path: choose(lang, *MESSAGES[key]) for path, key in self.problems.items()}


@dataclass(frozen=True)
class DeclarationInput:
    position: int
    answers: Answers


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _temperature(value, problems: dict, path: str) -> float | None:
    temperature = read_temperature(value, TEMPERATURE_RANGE)
    if temperature is None:
        problems[path] = "temperature"
    return temperature


def _tested_at(value, booking: Booking, now: dt.datetime, problems: dict,
               path: str) -> dt.datetime | None:
    """An ISO time; without an offset it is read in the office's time zone. None: no test."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or not date_input.in_window(moment):  # year 1 would overflow in UTC
        problems[path] = "datetime"
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=booking.office.tz)
    if moment > now + CLOCK_SKEW:
        problems[path] = "future"
        return None
    return moment.astimezone(dt.UTC)


def _answer(question: str, raw: dict, booking: Booking, now: dt.datetime, problems: dict,
            prefix: str):
    path = f"{prefix}.{question}"
    if question not in raw or (raw[question] is None and question != "nat_negative_at"):
        problems[path] = "required"
        return None
    value = raw[question]
    if question == "temperature_c":
        return _temperature(value, problems, path)
    if question == "nat_negative_at":
        return _tested_at(value, booking, now, problems, path)
    if question == "health_code":
        if value not in HEALTH_CODES:
            problems[path] = "health_code"
        return value if value in HEALTH_CODES else None
    if not isinstance(value, bool):
        problems[path] = "boolean"
        return None
    return value


def _position(raw: dict, booking: Booking, seen: set, problems: dict, prefix: str) -> int | None:
    position = raw.get("visitor")
    if not isinstance(position, int) or isinstance(position, bool) \
            or not 0 <= position < len(booking.visitors):
        problems[f"{prefix}.visitor"] = "visitor"
        return None
    if position in seen:
        problems[f"{prefix}.visitor"] = "duplicate"
        return None
    seen.add(position)
    return position


def parse_declarations(raw, rules: HealthRules, booking: Booking,
                       now: dt.datetime) -> list[DeclarationInput]:
    """The declarations in `raw`, checked against the rules; DeclarationInvalid otherwise."""
    if not isinstance(raw, list) or not raw:
        raise DeclarationInvalid({"declarations": "list"})
    problems: dict[str, str] = {}
    seen: set[int] = set()
    result = []
    for i, item in enumerate(raw):
        prefix = f"declarations.{i}"
        if not isinstance(item, dict):
            problems[prefix] = "object"
            continue
        position = _position(item, booking, seen, problems, prefix)
        answers = {q: _answer(q, item, booking, now, problems, prefix) for q in asked(rules)}
        if position is not None:
            result.append(DeclarationInput(position, Answers(**answers)))
    if problems:
        raise DeclarationInvalid(problems)
    return result
