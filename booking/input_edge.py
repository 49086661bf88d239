"""One input edge: text no database can hold, and ids past the database's range, are refused
before any view runs (issue 27, "Never a 500").

- Text. PostgreSQL's text types cannot hold U+0000 (NUL): a statement carrying one fails ("A
  string literal cannot contain NUL (0x00) characters"), which was a 500 wherever a path, query,
  form field or header reached a query. Neither database can store a lone surrogate (U+D800 to
  U+DFFF: not encodable as UTF-8). `refuse_unstorable_text`, the app's first before_request
  function, refuses either anywhere in the path, the query (names and values), a form (names and
  values) or a header value. JSON bodies are checked where they are parsed
  (booking.security.strict_json raises UnstorableText; `EdgeRequest` turns it into the same
  refusal). The answer is 400 `invalid_characters` in the reader's language: JSON under /api/,
  the usual error page elsewhere. Nothing ran, so nothing changed.
- Ids. Every id column is an `integer`, and PostgreSQL's holds 1..2**31-1 (a larger parameter
  fails with "integer out of range"; SQLite overflows past 2**63-1). `<int:...>` in a route
  matches 0..MAX_ID only (a larger number is a 404, like any id that names nothing), and
  `parse_id` reads an id from a query, a form or a provider's push the same way.
"""

from __future__ import annotations

from flask import Flask, Request, jsonify, render_template, request, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .i18n import choose, request_lang

MAX_ID = 2**31 - 1  # PostgreSQL `integer`, the type of every id column
MAX_ID_DIGITS = len(str(MAX_ID))


class UnstorableText(ValueError):
    """Decoded input holds a NUL character or a lone surrogate (raised by the JSON parser)."""


class UnstorableInput(BadRequest):
    """400: the request carries text no database can hold (see the module docstring)."""

    api_code = "invalid_characters"
    title_zh, title_en = "请求无法处理", "The request cannot be processed"
    message_zh = "请求中含有无法处理的字符（例如空字符 U+0000）。请删除这些字符后重试。"
    message_en = ("The request contains characters that cannot be stored (such as the NUL character, "
                  "U+0000). Please remove them and try again.")

    def message(self, lang: str) -> str:
        return choose(lang, self.message_zh, self.message_en)


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: 0..MAX_ID, so a larger number matches no route (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 0, max: int | None = MAX_ID,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class EdgeRequest(Request):
    """Flask's request, answering unstorable text in a JSON body with UnstorableInput."""

    def on_json_loading_failed(self, e: ValueError | None):
        if isinstance(e, UnstorableText):
            raise UnstorableInput() from None
        return super().on_json_loading_failed(e)


def storable(text: str) -> bool:
    """Whether a database can hold `text`: no NUL character, no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_id(value) -> int | None:
    """An id sent from outside (a query, a form field, a provider's push): an int in 1..MAX_ID,
    else None. Only ASCII digits count: "²".isdigit() is true, and int("²") raises."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def _request_texts():
    """Every decoded text of the request that a view may hand to the database."""
    yield request.path
    for name, value in request.args.items(multi=True):
        yield name
        yield value
    if not request.path.startswith("/api/"):  # the API reads JSON bodies only (after its size cap)
        for name, value in request.form.items(multi=True):
            yield name
            yield value
    for _name, value in request.headers.items():
        yield value


def refuse_unstorable_text() -> None:
    """before_request: UnstorableInput when any text of the request cannot be stored."""
    if not all(storable(text) for text in _request_texts()):
        raise UnstorableInput()


def _answer(error: UnstorableInput):
    lang = request_lang()
    if request.path.startswith("/api/"):
        response = jsonify(error=error.api_code, message=error.message(lang), fields={})
        response.status_code = 400
        return response
    # The page's own address is what was refused: the language links lead to the start page.
    html = render_template("web/error.html", title=choose(lang, error.title_zh, error.title_en),
                           message=error.message(lang), status=400,
                           lang_switch_url=lambda code: url_for("web.home", lang=code))
    return html, 400


def init_app(app: Flask) -> None:
    """The id converter (call before the blueprints add their routes), the JSON hook, the check
    (first of the app's before_request functions) and its answer."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = EdgeRequest
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unstorable_text)
    app.register_error_handler(UnstorableInput, _answer)
