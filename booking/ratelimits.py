"""Rate limits that follow the person, not the network.

People behind a carrier's NAT or an office Wi-Fi share one address: on a popular morning a
whole neighbourhood books from a handful of addresses. So the protection is carried by
limits per phone (five codes an hour, counted in the database by verification.py; booking
and joining attempts per phone here) and per person (the first visitor's identity number,
keyed by SECRET_KEY, never stored in clear), shared by the web pages and the API. Per-address
limits stay only as a backstop sized for a NAT: ADDRESS_BACKSTOP is many times what one
household sends, and a bot farm still meets the per-person limits and the proof-of-work
challenge (challenge.py).

Every 429 says when to try again: `Retry-After` in seconds, and the page or the JSON message
in minutes in the request's language (retry_minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address

from .extensions import limiter
from .i18n import choose

# Per address: a backstop for a carrier NAT (hundreds of people behind one address).
ADDRESS_BACKSTOP = "120 per minute;300 per 10 minutes"
# Per phone and per person, across every page and API call that books or joins a list.
PHONE_ATTEMPTS = "10 per 10 minutes;30 per day"
PERSON_ATTEMPTS = "10 per 10 minutes;30 per day"
CODE_LIMIT_SECONDS = 3600  # verification.py: five codes per phone per rolling hour


def configured(name: str, default: str):
    """A limit read from the app's config when the request comes (tests and operators set it)."""
    return lambda: current_app.config.get(name, default)


def _body_value(json_path: tuple, form_name: str) -> str:
    """A value of the posted JSON body (json_path) or form (form_name); "" when absent."""
    data = request.get_json(silent=True) if request.is_json else None
    if isinstance(data, dict):
        value = data
        for step in json_path:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return ""
        return value if isinstance(value, str) else ""
    return request.form.get(form_name, "")


def _keyed(kind: str, value: str) -> str:
    """A limiter key for a phone or identity number: HMAC-keyed, so storage never holds it;
    the request's address when the value is missing (the request then fails validation)."""
    cleaned = "".join(ch for ch in value.upper() if ch.isalnum())[-20:]
    if not cleaned:
        return f"{kind}-address:{get_remote_address()}"
    secret = current_app.config["SECRET_KEY"].encode()
    return f"{kind}:" + hmac.new(secret, f"{kind}:{cleaned}".encode(), hashlib.sha256).hexdigest()[:24]


def phone_key() -> str:
    """The posted phone number's key (its last digits: +86 138… and 138… are one phone)."""
    digits = "".join(ch for ch in _body_value(("phone",), "phone") if ch.isdigit())
    return _keyed("phone", digits[-11:])


def person_key() -> str:
    """The first visitor's identity number's key."""
    return _keyed("person", _body_value(("visitors", 0, "id_number"), "visitors-0-id_number"))


def person_limits(view):
    """Per-phone and per-person limits on a view that books or joins a waiting list, shared by
    every such view of the web pages and the API (one budget per person, whatever the face)."""
    view = limiter.shared_limit(configured("PHONE_ATTEMPT_LIMIT", PHONE_ATTEMPTS), scope="phone",
                                key_func=phone_key, methods=["POST"])(view)
    return limiter.shared_limit(configured("PERSON_ATTEMPT_LIMIT", PERSON_ATTEMPTS), scope="person",
                                key_func=person_key, methods=["POST"])(view)


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets it through (a code limit: an hour)."""
    current = limiter.current_limit
    if current is not None and current.breached:
        return max(1, math.ceil(current.reset_at - time.time()))
    return CODE_LIMIT_SECONDS


def retry_minutes() -> int:
    return max(1, round(retry_after_seconds() / 60))


def retry_text(lang: str) -> str:
    """"Please try again in N minutes", in the request's language."""
    minutes = retry_minutes()
    en = "Too many attempts. Please try again in {minutes} minute" + ("s." if minutes != 1 else ".")
    return choose(lang, "尝试次数过多，请在 {minutes} 分钟后再试。", en).format(minutes=minutes)


def add_retry_after(response):
    """Every 429 carries Retry-After (seconds)."""
    if response.status_code == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(retry_after_seconds())
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_retry_after)
