"""Security headers on every response, and safe cookie attributes on every cookie.

An equivalent of Flask-Talisman, kept small and explicit so each header is easy to audit:

- Content-Security-Policy: scripts, styles, fonts and images only from our own origin; no inline
  script or style, no plugins, no framing (frame-ancestors 'none'). Templates therefore keep
  JavaScript and CSS in static files; a data: image is allowed for QR codes.
- Referrer-Policy same-origin: manage links carry the booking's token in their path, so the
  address must never leave with a click to another site. (Not no-referrer: Flask-WTF checks the
  Referer of HTTPS form posts against our host, and that needs our own origin to receive it.)
- Strict-Transport-Security only when the request came over HTTPS (behind a proxy, ProxyFix
  turns X-Forwarded-Proto into the scheme, see PROXY_COUNT), never on plain-HTTP development.
- Cache-Control no-store on dynamic answers: pages and JSON carry personal data, and registry
  halls have shared computers.
- Cookies: HttpOnly and SameSite=Lax always, Secure whenever the request is HTTPS. This is done
  in a WSGI middleware, because Flask writes the session cookie and Flask-Login its remember
  cookie after every after_request function has run.

And two more rules for the whole app: request JSON is strict (no NaN, no NUL or lone surrogates,
no nesting past the parser's depth), and request lines in logs (the development server's,
gunicorn's access and error logs, Flask's "Exception on <path>" and its traceback) never show a
token (a manage link's, a calendar's, the Alibaba Cloud push path's): it becomes [redacted].
"""

from __future__ import annotations

import logging
import math
import re

from flask import Flask, current_app, request
from flask.logging import default_handler

from .input_edge import UnstorableText, storable

CSP_DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)
CONTENT_SECURITY_POLICY = "; ".join(f"{name} {value}" for name, value in CSP_DIRECTIVES)
HSTS = "max-age=31536000; includeSubDomains"
# CSP_ENFORCE=False sends the policy as Content-Security-Policy-Report-Only (for a migration).
CSP_ENFORCE_DEFAULT = True

FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Door scanners may read QR codes with the tablet's camera on our own pages; nothing else.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
}


def _spelled(text: str) -> str:
    """A pattern matching the text with any of its characters percent-encoded (%6D, %6d for
    m): the server decodes them before routing, so /%6D/REF/TOKEN opens a booking and
    ?%74oken= passes a token, and the log must not show them either."""
    return "".join(f"(?:{re.escape(c)}|%{ord(c):02x})" for c in text)


_SLASH = "(?:/|%2f)"
_SEGMENT = r"(?:(?!%2f)[^/\s?#\"])+"
# Where a secret can stand in an address: /m/<reference>/<token>/... (a booking), /w/... (a
# waiting-list entry), /sms/aliyun/<push token>/... (whoever knows it can post replies for any
# phone), and ?token=... (calendar).
SECRETS_IN_URLS = (
    (re.compile(f"({_SLASH}(?:{_spelled('m')}|{_spelled('w')}){_SLASH}{_SEGMENT}{_SLASH}){_SEGMENT}", re.IGNORECASE),
     r"\1[redacted]"),
    (re.compile(f"({_SLASH}{_spelled('sms')}{_SLASH}{_spelled('aliyun')}{_SLASH}){_SEGMENT}", re.IGNORECASE),
     r"\1[redacted]"),
    (re.compile(f"([?&]{_spelled('token')}(?:=|%3d))[^&\\s#\"]+", re.IGNORECASE), r"\1[redacted]"),
)
URL_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    for pattern, replacement in SECRETS_IN_URLS:
        text = pattern.sub(replacement, text)
    return text


class RedactUrls(logging.Filter):
    """Rewrites a log record so that no token of an address survives in it: its message, and
    its traceback (formatted here, redacted, and kept as the record's exc_text, which every
    formatter prints in place of exc_info, python-json-logger's included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info:
            record.exc_text = record.exc_text or _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_TRACEBACKS = logging.Formatter()


REDACT_URLS = RedactUrls()


def init_app(app: Flask) -> None:
    """Add the headers to every response and wrap the WSGI app for cookie attributes."""
    app.config.setdefault("CSP_ENFORCE", CSP_ENFORCE_DEFAULT)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.after_request(add_security_headers)
    app.wsgi_app = SecureCookies(app.wsgi_app)
    strict_json(app)
    redact_logs(app)


def redact_logs(app: Flask) -> None:
    """The filter on the loggers that write addresses, and on the app's handlers (Flask's
    default one even while another replaces it): a logger's filter sees only its own records,
    a handler's also those of booking.* below it."""
    for name in (*URL_LOGGERS, app.logger.name):
        logger = logging.getLogger(name)
        for where in (logger, *logger.handlers, default_handler):
            if REDACT_URLS not in where.filters:
                where.addFilter(REDACT_URLS)


def strict_json(app: Flask) -> None:
    """Request bodies are parsed as strict JSON; anything else is malformed JSON (400).

    Python's parser is lenient where that hurts: NaN, Infinity and 1e999 become floats that
    slip through any range check written as `if t > limit`; \\u0000 and \\ud800 escapes spell
    text that no database can store (UnstorableText: a 400 `invalid_characters`, see
    booking.input_edge); and a body of 50,000 "[" raises RecursionError, which is not a
    ValueError, so it escaped every error handler. Refused at parsing, none reaches a handler.
    """
    parse = app.json.loads

    def loads(text, **kwargs):
        kwargs.setdefault("parse_constant", _not_json)
        kwargs.setdefault("parse_float", _finite)
        try:
            data = parse(text, **kwargs)
            text_ok = storable_json(data)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        if not text_ok:
            raise UnstorableText("NUL or lone surrogate in JSON text")
        return data

    app.json.loads = loads


def _not_json(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def storable_json(data) -> bool:
    """Whether every string in decoded JSON (keys too) can be stored: no NUL, no lone surrogate
    (booking.input_edge.storable)."""
    if isinstance(data, str):
        return storable(data)
    if isinstance(data, dict):
        return all(storable(k) and storable_json(v) for k, v in data.items())
    if isinstance(data, list):
        return all(storable_json(item) for item in data)
    return True


def content_security_policy_header(app: Flask) -> str:
    """The header name: enforced, or report-only while templates are being moved off inline code."""
    if app.config["CSP_ENFORCE"]:
        return "Content-Security-Policy"
    return "Content-Security-Policy-Report-Only"


def add_security_headers(response):
    """Each header a view did not set itself. Werkzeug's Headers looks a name up by walking
    the list, so the names present are read once (every response pays for this)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    wanted = [(content_security_policy_header(current_app), CONTENT_SECURITY_POLICY), *FIXED_HEADERS.items()]
    if request.is_secure:
        wanted.append(("Strict-Transport-Security", HSTS))
    if request.endpoint != "static":
        wanted.append(("Cache-Control", "no-store"))
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    return response


def harden_cookie(value: str, secure: bool) -> str:
    """A Set-Cookie value with HttpOnly, SameSite=Lax and (over HTTPS) Secure, if missing."""
    attributes = {part.strip().split("=", 1)[0].lower() for part in value.split(";")[1:]}
    if "httponly" not in attributes:
        value += "; HttpOnly"
    if "samesite" not in attributes:
        value += "; SameSite=Lax"
    if secure and "secure" not in attributes:
        value += "; Secure"
    return value


class SecureCookies:
    """WSGI middleware: every Set-Cookie leaves with safe attributes.

    It sits inside ProxyFix (create_app wraps last), so wsgi.url_scheme is already the scheme
    the client used.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        secure = environ.get("wsgi.url_scheme") == "https"

        def start(status, headers, exc_info=None):
            headers = [(name, harden_cookie(value, secure) if name.lower() == "set-cookie" else value)
                       for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)
