"""The gateway interface: what the worker hands a provider, and what it hears back.

A provider implements `Gateway.send` (a `Text`: kind, language and values, rendered by the
gateway itself: a full body for Twilio, a template code and parameters for Alibaba Cloud) and
`accepts_replies` (whether a reply from that number reaches us over this route), and maps its
errors onto `TemporaryFailure` (try again later) and `PermanentFailure` (never retry; staff
see the code). Implementations: console.py, twilio.py, aliyun.py; routing.py picks one per
number.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass, field

from ..notify import texts

DEFAULT_TIMEOUT = 10.0  # seconds for one provider request


@dataclass(frozen=True)
class Text:
    """One text to send, rendered by the gateway. `values` hold every template value,
    secrets included (in memory only, never stored); `legacy_body` is the body of a row
    queued before texts were stored as kind and values."""

    kind: str
    lang: str
    values: dict = field(default_factory=dict, repr=False)  # never in a log or traceback line
    legacy_body: str | None = field(default=None, repr=False)

    def body(self) -> str:
        """The full text in its language (Twilio, console), within two segments."""
        if self.legacy_body is not None:
            return self.legacy_body
        return texts.render(self.kind, self.lang, **self.values)


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    status: str  # queued, sent, ... in Twilio's words
    segments: int | None = None


class TemporaryFailure(Exception):
    """Worth trying again: network trouble, a timeout, 5xx, throttling (maybe with Retry-After)."""

    def __init__(self, reason: str, retry_after: float | None = None, code: str | None = None):
        super().__init__(reason)
        self.reason, self.retry_after, self.code = reason, retry_after, code


class PermanentFailure(Exception):
    """Never worth retrying: an invalid or unsubscribed number, a rejected body or template."""

    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


class Gateway:
    """What the worker needs from an SMS provider."""

    name = "abstract"

    @staticmethod
    def accepts_replies(phone: str) -> bool:
        """Whether a reply from `phone` to a text sent over this route reaches us."""
        return False

    def pick(self, phone: str) -> Gateway:
        """The gateway that sends to `phone`: this one (a router picks among several)."""
        return self

    def send(self, *, to: str, text: Text, message_id: int,
             status_callback: str | None = None) -> SendResult:
        """Hand one text to the provider. Raises TemporaryFailure or PermanentFailure."""
        raise NotImplementedError


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86138****5678: enough for logs, not the number."""
    return phone[:6] + "****" + phone[-4:] if len(phone) > 10 else "****" + phone[-2:]


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - (now or dt.datetime.now(dt.UTC))).total_seconds())
