"""Checking JSON request bodies field by field, collecting every error with its message.

`body()` reads the request's JSON object (415 without a JSON content type, 400 when it is not
an object); `Body` methods read one field each, of one kind, and `done()` raises InvalidBody
(422) naming every bad field (dotted paths such as visitors.0.id_number) in both languages.
"""

from __future__ import annotations

import datetime as dt

from flask import request
from werkzeug.exceptions import BadRequest

from .. import date_input
from ..errors import BookingError
from ..i18n import choose
from ..input_edge import MAX_ID, UnstorableInput

MAX_STRING = 200  # no field of ours is longer; anything longer is refused, not truncated


class InvalidBody(BookingError):
    """One or more fields of a JSON body are missing or of the wrong kind (422)."""

    code, status = "invalid", 422
    message_zh = "请求中有字段无效，请检查后重试。"
    message_en = "Some fields are not valid. Please check them and try again."

    def __init__(self, fields: dict[str, tuple]):
        super().__init__()
        self.fields = fields  # field -> (Chinese, English[, values for both templates])

    def field_messages(self, lang: str) -> dict[str, str]:
        return {name: choose(lang, zh, en).format(**(rest[0] if rest else {}))
                for name, (zh, en, *rest) in self.fields.items()}


class MalformedJson(BookingError):
    code, status = "malformed_json", 400
    message_zh = "请求内容不是有效的 JSON 对象。"
    message_en = "The request body is not a valid JSON object."


class UnsupportedMediaType(BookingError):
    code, status = "unsupported_media_type", 415
    message_zh = "请求内容须为 JSON（application/json）。"
    message_en = "The request body must be JSON (application/json)."


MISSING = ("此项必填。", "This field is required.")


KINDS = {  # what a field must be, for "must be ..." messages
    "string": ("应为字符串。", "Must be a string."),
    "integer": ("应为整数。", "Must be an integer."),
    "number": ("应为数字。", "Must be a number."),
    "boolean": ("应为 true 或 false。", "Must be true or false."),
    "array": ("应为数组。", "Must be an array."),
    "object": ("应为对象。", "Must be an object."),
}


class Body:
    """Reads fields of a JSON object, collecting errors; `done()` raises them all at once."""

    def __init__(self, data: dict):
        self.data = data
        self.errors: dict[str, tuple] = {}

    def fail(self, name: str, zh: str, en: str, **values) -> None:
        """Note the field's first error: Chinese and English templates, formatted with `values`."""
        self.errors.setdefault(name, (zh, en, values))

    def _get(self, name: str, required: bool):
        if name not in self.data or self.data[name] is None:
            if required:
                self.errors.setdefault(name, MISSING)
            return None, False
        return self.data[name], True

    def string(self, name: str, required: bool = True, max_length: int = MAX_STRING) -> str | None:
        value, present = self._get(name, required)
        if not present:
            return None
        if not isinstance(value, str):
            self.fail(name, *KINDS["string"])
            return None
        if len(value) > max_length:
            self.fail(name, "不能超过 {max_length} 个字符。", "Must be at most {max_length} characters.",
                      max_length=max_length)
            return None
        if required and not value.strip():
            self.fail(name, *MISSING)
            return None
        return value

    def integer(self, name: str, required: bool = True, minimum: int | None = 0,
                maximum: int = MAX_ID) -> int | None:
        """An integer in minimum..maximum; the default maximum is the database's (every integer
        we take is stored or compared with an `integer` column, booking.input_edge)."""
        value, present = self._get(name, required)
        if not present:
            return None
        # bool is an int in Python, never in a client's mind
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**53:
            self.fail(name, *KINDS["integer"])
            return None
        if minimum is not None and value < minimum:
            self.fail(name, "不能小于 {minimum}。", "Must be at least {minimum}.", minimum=minimum)
            return None
        if value > maximum:
            self.fail(name, "不能大于 {maximum}。", "Must be at most {maximum}.", maximum=maximum)
            return None
        return value

    def number(self, name: str, required: bool = True) -> float | None:
        value, present = self._get(name, required)
        if not present:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(name, *KINDS["number"])
            return None
        return float(value)

    def boolean(self, name: str, required: bool = True) -> bool | None:
        value, present = self._get(name, required)
        if not present:
            return None
        if not isinstance(value, bool):
            self.fail(name, *KINDS["boolean"])
            return None
        return value

    def choice(self, name: str, choices: tuple[str, ...], required: bool = True) -> str | None:
        value = self.string(name, required)
        if value is not None and value not in choices:
            listed = ", ".join(choices)
            self.fail(name, "只能是以下之一：{listed}。", "Must be one of: {listed}.", listed=listed)
            return None
        return value

    def date(self, name: str, required: bool = True) -> dt.date | None:
        value = self.string(name, required, max_length=10)
        if value is None:
            return None
        try:
            return date_input.parse_day(value, name)
        except BookingError as error:  # malformed, or outside the window the service serves
            self.fail(name, error.message("zh"), error.message("en"))
            return None

    def datetime(self, name: str, required: bool = True) -> dt.datetime | None:
        """An ISO 8601 time with an offset (a naive time would be ambiguous)."""
        value = self.string(name, required, max_length=40)
        if value is None:
            return None
        try:
            moment = date_input.parse_moment(value, name)
        except date_input.DateOutOfRange as error:
            self.fail(name, error.message("zh"), error.message("en"))
            return None
        except BookingError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.fail(name, "时间格式应为带时区的 ISO 8601。", "Must be an ISO 8601 time with an offset.")
            return None
        return moment

    def array(self, name: str, required: bool = True, max_items: int = 20) -> list | None:
        value, present = self._get(name, required)
        if not present:
            return None
        if not isinstance(value, list):
            self.fail(name, *KINDS["array"])
            return None
        if len(value) > max_items:
            self.fail(name, "最多 {max_items} 项。", "Must have at most {max_items} items.", max_items=max_items)
            return None
        return value

    def objects(self, name: str, required: bool = True, max_items: int = 20) -> list[Body]:
        """An array of objects, each as a Body whose errors are named `name.i.field`."""
        items = self.array(name, required, max_items)
        result = []
        for i, item in enumerate(items or []):
            if not isinstance(item, dict):
                self.fail(f"{name}.{i}", *KINDS["object"])
                continue
            result.append(_Nested(item, self, f"{name}.{i}."))
        return result

    def done(self) -> None:
        """Raise InvalidBody with every field error found so far, if any."""
        if self.errors:
            raise InvalidBody(dict(self.errors))


class _Nested(Body):
    """A Body for an object inside an array; its errors go to the parent, prefixed."""

    def __init__(self, data: dict, parent: Body, prefix: str):
        super().__init__(data)
        self.errors = _Prefixed(parent.errors, prefix)


class _Prefixed(dict):
    def __init__(self, target: dict, prefix: str):
        super().__init__()
        self.target, self.prefix = target, prefix

    def setdefault(self, key, default=None):
        return self.target.setdefault(self.prefix + key, default)


def body(max_keys: int = 50) -> Body:
    """The request's JSON object as a Body; 415 without a JSON content type, 400 if malformed."""
    if not request.is_json:
        raise UnsupportedMediaType()
    try:
        data = request.get_json()
    except UnstorableInput:  # NUL or a lone surrogate: 400 invalid_characters (booking.input_edge)
        raise
    except BadRequest:
        data = None
    if not isinstance(data, dict) or len(data) > max_keys:
        raise MalformedJson()
    return Body(data)
