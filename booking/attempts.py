"""Attempt limits that follow the person: per phone and per person, on every channel that the
booking pipeline (booking/bookings/channels.py) limits, whatever the face or the address.

The keys are the forms the booking rules judge by, so a number the rules treat as the same
phone or person is the same allowance: the phone in E.164 (identity.normalize_phone: full-width
digits, spaces, +86 / 0086 prefixes), each visitor's identity hash (identity.identity_hash of
the canonical number: lower-case x, full-width digits, a permit re-typed as a passport), every
visitor of the party, not only the first. Keys are HMACs keyed by SECRET_KEY, so the limiter's
storage (Redis, shared by every process) never holds a number. Counted in the rate-limit storage
(flask-limiter's), outside the database transaction: a refused attempt still counts.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app, g
from limits import parse_many

from .errors import BookingError
from .extensions import limiter
from .i18n import choose

PHONE_ATTEMPTS = "10 per 10 minutes;30 per day"
PERSON_ATTEMPTS = "10 per 10 minutes;30 per day"


class TooManyAttempts(BookingError):
    """429: the phone or a person of the party has used up its attempts; `minutes` until the
    earliest limit lets one through again (the faces add Retry-After from `retry_after_at`)."""

    code, status = "rate_limited", 429
    message_zh = "尝试次数过多，请在 {minutes} 分钟后再试。"
    message_en = "Too many attempts. Please try again in {minutes} minutes."

    def message(self, lang: str) -> str:
        if self.details.get("minutes") == 1:
            return choose(lang, self.message_zh, "Too many attempts. Please try again in 1 minute.").format(
                **self.details)
        return super().message(lang)


def phone_key(phone: str) -> str:
    """The limiter key of a phone in E.164 form."""
    return "phone:" + _keyed("phone", phone)


def person_key(id_hash: str) -> str:
    """The limiter key of a person, from their identity hash (already keyed by SECRET_KEY)."""
    return "person:" + id_hash[:32]


def _keyed(kind: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:24]


def spend(phone: str, hashes: list[str]) -> None:
    """Count one attempt for the phone and for each person of the party; TooManyAttempts when
    any of them is over its limit (then nothing is counted). The limits are read from the app's
    config (PHONE_ATTEMPT_LIMIT, PERSON_ATTEMPT_LIMIT) when the attempt comes."""
    if not limiter.enabled:
        return
    config = current_app.config
    keyed = [(item, phone_key(phone)) for item in parse_many(config.get("PHONE_ATTEMPT_LIMIT", PHONE_ATTEMPTS))]
    for digest in sorted(set(hashes)):
        keyed += [(item, person_key(digest))
                  for item in parse_many(config.get("PERSON_ATTEMPT_LIMIT", PERSON_ATTEMPTS))]
    strategy = limiter.limiter
    over = [(item, key) for item, key in keyed if not strategy.test(item, "attempts", key)]
    if over:
        reset = max(strategy.get_window_stats(item, "attempts", key).reset_time for item, key in over)
        g.retry_after_at = reset  # read by ratelimits.retry_after_seconds for Retry-After
        raise TooManyAttempts(minutes=max(1, round((reset - time.time()) / 60)))
    for item, key in keyed:
        strategy.hit(item, "attempts", key)


def retry_after(now: float | None = None) -> int | None:
    """Seconds until the attempt refused in this context may be tried again; None if none was."""
    reset = g.get("retry_after_at")
    if reset is None:
        return None
    return max(1, int(reset - (now or time.time())) + 1)

