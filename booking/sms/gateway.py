"""SMS gateways: the interface the worker sends through, the console and Twilio.

Another provider implements `Gateway.send` and maps its errors onto `TemporaryFailure`
(try again later) and `PermanentFailure` (never retry; staff see the code).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import click
import requests
from flask import Flask
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger("booking.sms")
DEFAULT_TIMEOUT = 10.0  # seconds for one provider request


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    status: str  # queued, sent, ... in Twilio's words
    segments: int | None = None


class TemporaryFailure(Exception):
    """Worth trying again: network trouble, a timeout, 5xx, 429 (maybe with Retry-After)."""

    def __init__(self, reason: str, retry_after: float | None = None, code: str | None = None):
        super().__init__(reason)
        self.reason, self.retry_after, self.code = reason, retry_after, code


class PermanentFailure(Exception):
    """Never worth retrying: an invalid or unsubscribed number, a rejected body."""

    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code, self.reason = code, reason


class Gateway:
    """What the worker needs from an SMS provider."""

    name = "abstract"

    def send(self, *, to: str, body: str, message_id: int, status_callback: str | None = None,
             kind: str = "") -> SendResult:
        """Hand one text to the provider. Raises TemporaryFailure or PermanentFailure."""
        raise NotImplementedError


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86138****5678: enough for logs, not the number."""
    return phone[:6] + "****" + phone[-4:] if len(phone) > 10 else "****" + phone[-2:]


class ConsoleGateway(Gateway):
    """Development and tests: records the text as sent, sends nothing.

    The log names the kind and a masked number only: bodies carry codes and manage links.
    With `show_body` (SMS_DEV_DELIVERY, `make run`) the text itself is printed to the
    developer's terminal, which stands in for the phone.
    """

    name = "console"

    def __init__(self, show_body: bool = False):
        self.show_body = show_body

    def send(self, *, to, body, message_id, status_callback=None, kind: str = "") -> SendResult:
        log.info("sms %s to %s (console: not sent)", kind or message_id, mask_phone(to))
        if self.show_body:
            click.echo(f"\n--- SMS to {to} ---\n{body}\n---", err=True)
        return SendResult(provider_sid=f"CONSOLE{uuid.uuid4().hex}", status="sent")


class BaseUrlHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, sending *.twilio.com requests to another base URL
    (a Twilio-compatible server for tests and staging). It also keeps the last response's
    headers per thread, for Retry-After, which TwilioRestException does not carry."""

    def __init__(self, base_url: str | None, timeout: float):
        quiet = logging.getLogger("booking.sms.twilio_http")
        quiet.setLevel(logging.WARNING)  # the SDK logs every request at INFO
        super().__init__(timeout=timeout, logger=quiet)
        self.base_url = (base_url or "").rstrip("/")
        self.local = threading.local()

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        if self.base_url and (parts.hostname or "").endswith(".twilio.com"):
            url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        self.local.headers = {}
        response = super().request(method, url, *args, **kwargs)
        self.local.headers = dict(response.headers or {})
        return response

    def last_header(self, name: str) -> str | None:
        headers = getattr(self.local, "headers", {}) or {}
        return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


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


# Errors the worker retries although the status is 4xx: credentials being fixed, throttling.
RETRYABLE_4XX = {401, 403, 408, 409, 429}


class TwilioGateway(Gateway):
    """Twilio through the real SDK, from TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, from_number: str | None = None,
                 messaging_service_sid: str | None = None, api_base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        if not (account_sid and auth_token and (from_number or messaging_service_sid)):
            raise RuntimeError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
                               "and TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        self.http = BaseUrlHttpClient(api_base_url, timeout)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.sender = ({"messaging_service_sid": messaging_service_sid} if messaging_service_sid
                       else {"from_": from_number})

    def send(self, *, to, body, message_id, status_callback=None, kind: str = "") -> SendResult:
        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=body, **self.sender, **extra)
        except requests.Timeout:
            raise TemporaryFailure("timeout") from None
        except requests.RequestException as error:
            raise TemporaryFailure(f"network: {type(error).__name__}") from None
        except TwilioRestException as error:
            raise self._classify(error) from None
        segments = int(message.num_segments) if str(message.num_segments or "").isdigit() else None
        return SendResult(provider_sid=message.sid, status=message.status or "queued",
                          segments=segments)

    def _classify(self, error: TwilioRestException) -> Exception:
        code = str(error.code or error.status)
        reason = (error.msg or "")[:200]
        if error.status >= 500 or error.status in RETRYABLE_4XX:
            retry_after = parse_retry_after(self.http.last_header("Retry-After"))
            return TemporaryFailure(f"HTTP {error.status}", retry_after=retry_after, code=code)
        return PermanentFailure(code, reason)


def gateway_for(app: Flask) -> Gateway:
    """The configured gateway (SMS_BACKEND). One per worker: it is not shared across threads."""
    config = app.config
    backend = (config.get("SMS_BACKEND") or "console").lower()
    if backend == "console":
        return ConsoleGateway(show_body=bool(config.get("SMS_DEV_DELIVERY")))
    if backend == "twilio":
        return TwilioGateway(
            config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN"),
            from_number=config.get("TWILIO_FROM_NUMBER"),
            messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID"),
            api_base_url=config.get("TWILIO_API_BASE_URL"),
            timeout=float(config.get("SMS_SEND_TIMEOUT") or DEFAULT_TIMEOUT))
    raise RuntimeError(f"unknown SMS_BACKEND {backend!r} (console or twilio)")
