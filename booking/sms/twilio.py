"""Twilio through the real SDK, with a custom HTTP client for TWILIO_API_BASE_URL.

Twilio takes no replies from mainland China numbers (+86): texts to them over this route
point to the manage link instead of asking for a reply (`accepts_replies`).
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .gateway import (
    DEFAULT_TIMEOUT,
    Gateway,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    Text,
    parse_retry_after,
)


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

    @staticmethod
    def accepts_replies(phone: str) -> bool:
        """Twilio takes no replies from mainland China numbers."""
        return not phone.startswith("+86")

    def send(self, *, to: str, text: Text, message_id: int,
             status_callback: str | None = None) -> SendResult:
        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=text.body(), **self.sender, **extra)
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
