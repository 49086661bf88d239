"""Which gateway sends to which number: SMS_BACKEND.

SMS_BACKEND is one backend name (`console`, `twilio`, `aliyun`) for every number, or a route
list by number prefix such as `+86=aliyun,*=twilio`: the longest matching prefix wins, `*`
matches any number. A number no route matches fails permanently (`no_route`).
The outbox row records the route that sent it (`SmsMessage.route`).
"""

from __future__ import annotations

import json

from flask import Flask

from .aliyun import AliyunGateway
from .console import ConsoleGateway
from .gateway import DEFAULT_TIMEOUT, Gateway, PermanentFailure, SendResult, Text
from .twilio import TwilioGateway

BACKENDS: dict[str, type[Gateway]] = {"console": ConsoleGateway, "twilio": TwilioGateway,
                                      "aliyun": AliyunGateway}


def parse_routes(setting: str | None) -> list[tuple[str, str]]:
    """(prefix, backend) pairs, longest prefix first; "" is the catch-all. RuntimeError if bad."""
    setting = (setting or "console").strip().lower()
    if "=" not in setting:
        pairs = [("*", setting)]
    else:
        pairs = [tuple(part.strip() for part in item.split("=", 1))
                 for item in setting.split(",") if item.strip()]
    routes = []
    for prefix, backend in pairs:
        if backend not in BACKENDS:
            raise RuntimeError(f"unknown SMS backend {backend!r} in SMS_BACKEND "
                               f"(one of {', '.join(BACKENDS)})")
        if prefix != "*" and not (prefix.startswith("+") and prefix[1:].isdigit()):
            raise RuntimeError(f"SMS_BACKEND route prefix {prefix!r} is not + and digits, or *")
        routes.append(("" if prefix == "*" else prefix, backend))
    return sorted(routes, key=lambda route: len(route[0]), reverse=True)


def backend_for(routes: list[tuple[str, str]], phone: str) -> str | None:
    """The backend name of the longest prefix matching `phone`, or None."""
    return next((backend for prefix, backend in routes if phone.startswith(prefix)), None)


def accepts_replies(config, phone: str) -> bool:
    """Whether a reply from `phone` reaches us over the route that texts it (for pages and
    texts: never ask for a reply the route cannot carry). Builds no provider client."""
    backend = backend_for(parse_routes(config.get("SMS_BACKEND")), phone)
    return backend is not None and BACKENDS[backend].accepts_replies(phone)


class Router(Gateway):
    """Picks the gateway for each number; the worker sends through the one picked."""

    name = "router"

    def __init__(self, routes: list[tuple[str, Gateway]]):
        self.routes = sorted(routes, key=lambda route: len(route[0]), reverse=True)

    def pick(self, phone: str) -> Gateway:
        found = next((gateway for prefix, gateway in self.routes if phone.startswith(prefix)), None)
        return found or NoRoute()


class NoRoute(Gateway):
    """What a number no route matches gets: a permanent failure staff can see."""

    name = "none"

    def send(self, *, to: str, text: Text, message_id: int,
             status_callback: str | None = None) -> SendResult:
        raise PermanentFailure("no_route", "SMS_BACKEND has no route for this number")


def build(app: Flask, backend: str) -> Gateway:
    """One gateway of the named backend, from the app's settings. RuntimeError if misconfigured."""
    config = app.config
    timeout = float(config.get("SMS_SEND_TIMEOUT") or DEFAULT_TIMEOUT)
    if backend == "twilio":
        return TwilioGateway(
            config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN"),
            from_number=config.get("TWILIO_FROM_NUMBER"),
            messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID"),
            api_base_url=config.get("TWILIO_API_BASE_URL"), timeout=timeout)
    if backend == "aliyun":
        return AliyunGateway(
            config.get("ALIBABA_CLOUD_ACCESS_KEY_ID"), config.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
            sign_name=config.get("ALIYUN_SMS_SIGN_NAME"), template_codes=template_codes(config),
            endpoint=config.get("ALIYUN_SMS_ENDPOINT"), timeout=timeout)
    return ConsoleGateway(show_body=bool(config.get("SMS_DEV_DELIVERY")))


def template_codes(config) -> dict:
    """ALIYUN_SMS_TEMPLATES as a dict (a JSON object kind -> code, or already a dict)."""
    value = config.get("ALIYUN_SMS_TEMPLATES") or {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise RuntimeError("ALIYUN_SMS_TEMPLATES is not a JSON object") from None
    if not isinstance(value, dict):
        raise RuntimeError("ALIYUN_SMS_TEMPLATES is not a JSON object")
    return {str(kind): str(code) for kind, code in value.items()}


def gateway_for(app: Flask) -> Router:
    """The configured gateways (SMS_BACKEND), one per backend named, behind a router.
    One per worker: it is not shared across threads. RuntimeError if misconfigured."""
    routes = parse_routes(app.config.get("SMS_BACKEND"))
    built: dict[str, Gateway] = {}
    for _prefix, backend in routes:
        built.setdefault(backend, build(app, backend))
    return Router([(prefix, built[backend]) for prefix, backend in routes])
