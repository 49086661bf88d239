"""Rate limits that follow the person, not the network.

People behind a carrier's NAT or an office Wi-Fi share one address: on a popular morning a
whole neighbourhood books from a handful of addresses. So the protection is carried by
limits per phone (five codes an hour, counted in the database by verification.py; attempts to
book, move or join a list per phone and per person of the party, counted by the booking
pipeline: attempts.py), shared by the web pages and the API. Per-address
limits stay only as a backstop sized for a NAT: ADDRESS_BACKSTOP is many times what one
household sends, and a bot farm still meets the per-person limits and the proof-of-work
challenge (challenge.py).

Every 429 says when to try again: `Retry-After` in seconds, and the page or the JSON message
in minutes in the request's language (retry_minutes).
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app

from . import attempts
from .extensions import limiter
from .i18n import choose

# Per address: a backstop for a carrier NAT (hundreds of people behind one address).
ADDRESS_BACKSTOP = "120 per minute;300 per 10 minutes"
CODE_LIMIT_SECONDS = 3600  # verification.py: five codes per phone per rolling hour


def configured(name: str, default: str):
    """A limit read from the app's config when the request comes (tests and operators set it)."""
    return lambda: current_app.config.get(name, default)


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets it through: an attempt limit of the
    booking pipeline (attempts.py), an address limit, else a code limit (an hour)."""
    pipeline_limit = attempts.retry_after()
    if pipeline_limit is not None:
        return pipeline_limit
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
