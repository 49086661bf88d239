"""JSON errors for the API, and a small checker for JSON request bodies.

Every answer under /api/v1 that is not a success is `{"error", "message", "fields"}`: domain
errors (booking.errors.BookingError) keep their code and status, HTTP errors (400, 404, 405,
413, 415, 429, 500) get a code of their own, and nothing ever answers with an HTML page.
The message is in the request's language (booking.i18n.request_lang: `lang` in the JSON body, else
`?lang=`, else Accept-Language, else zh).

Bodies are checked with `body()` from booking/api/validation.py (re-exported here), which
raises `InvalidBody` carrying every field error at once. Any BookingError with a
`field_messages(lang)` method reports several fields that way.
"""

from __future__ import annotations

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from ..errors import BookingError
from ..errors_web import error_answer, is_outage
from ..i18n import choose, request_lang  # noqa: F401  (request_lang re-exported for the API modules)
from ..ratelimits import retry_text
from .validation import (  # noqa: F401  (re-exported for the API modules)
    MAX_STRING,
    Body,
    InvalidBody,
    MalformedJson,
    UnsupportedMediaType,
    body,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024

# code, Chinese, English for each HTTP error we may answer on the API.
HTTP_ERRORS = {
    400: ("bad_request", "请求格式不正确。", "The request is malformed."),
    401: ("unauthorized", "需要登录凭证。", "Authentication is required."),
    403: ("forbidden", "没有权限执行此操作。", "You are not allowed to do this."),
    404: ("not_found", "找不到该资源。", "Not found."),
    405: ("method_not_allowed", "不支持该请求方法。", "This method is not allowed here."),
    413: ("too_large", "请求内容过大。", "The request is too large."),
    415: ("unsupported_media_type", "请求内容须为 JSON（application/json）。",
          "The request body must be JSON (application/json)."),
    422: ("invalid", "请求无效。", "The request is not valid."),
    429: ("rate_limited", "请求过于频繁，请稍后再试。", "Too many requests. Please try again later."),
    500: ("server_error", "服务器出错，请稍后再试。", "Something went wrong on our side. Please try again."),
}


def error_response(code: str, message: str, status: int, fields: dict | None = None):
    response = jsonify(error=code, message=message, fields=fields or {})
    response.status_code = status
    return response


# --- handlers --------------------------------------------------------------------------------

def _booking_error(error: BookingError):
    lang = request_lang()
    several = getattr(error, "field_messages", None)
    fields = dict(several(lang)) if callable(several) else {}
    if error.field and error.field not in fields:
        fields[error.field] = error.message(lang)
    response = error_response(error.code, error.message(lang), error.status, fields)
    response.headers.update(getattr(error, "headers", {}))
    return response


def _http_error(error: HTTPException):
    status = error.code or 500
    code, zh, en = HTTP_ERRORS.get(status, (f"http_{status}", error.name, error.name))
    message = retry_text(request_lang()) if status == 429 else choose(request_lang(), zh, en)
    response = error_response(code, message, status)
    for name, value in error.get_headers():
        if name.lower() != "content-type":  # keeps Allow (405), Retry-After (429), ...
            response.headers[name] = value
    return response


def _unexpected(error: Exception):

    if is_outage(error):  # e.g. no pooled connection free in time: a 503, not a bug
        return error_answer(503)
    log.exception("unexpected error on %s %s", request.method, request.path)
    code, zh, en = HTTP_ERRORS[500]
    return error_response(code, choose(request_lang(), zh, en), 500)


def _is_api() -> bool:
    return request.path == "/api/v1" or request.path.startswith("/api/v1/")


def _limit_body_size() -> None:
    # Bodies of ours are a few kB; refuse big ones (413) before reading them.
    request.max_content_length = MAX_BODY_BYTES


def _app_http_error(error: HTTPException):
    if _is_api():
        return _http_error(error)
    return error


def _json_fallback(response):
    """Last guard: an HTML error page produced by an app-wide handler never leaves /api/v1."""
    if _is_api() and response.status_code >= 400 and not response.is_json:
        code, zh, en = HTTP_ERRORS.get(response.status_code, HTTP_ERRORS[500])
        fallback = error_response(code, choose(request_lang(), zh, en), response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response.headers:
                fallback.headers[header] = response.headers[header]
        return fallback
    return response


def register(bp) -> None:
    """Attach the handlers: domain errors on the blueprint, HTTP errors app-wide for /api/v1.

    404 and 405 happen before a blueprint is chosen, so they are caught app-wide and answered
    as JSON only for API paths; other paths keep the app's own pages.
    """
    bp.before_request(_limit_body_size)
    bp.register_error_handler(BookingError, _booking_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, _unexpected)

    @bp.record_once
    def _on_app(state) -> None:
        state.app.register_error_handler(HTTPException, _app_http_error)
        state.app.after_request(_json_fallback)
