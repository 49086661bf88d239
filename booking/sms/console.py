"""The console gateway: development and tests. Records the text as sent, sends nothing."""

from __future__ import annotations

import logging
import uuid

import click

from .gateway import Gateway, SendResult, Text, mask_phone

log = logging.getLogger("booking.sms")


class ConsoleGateway(Gateway):
    """Records the text as sent, sends nothing; stands in for a route that carries replies.

    The log names the kind and a masked number only: texts carry codes and manage links.
    With `show_body` (SMS_DEV_DELIVERY, `make run`) the text itself is printed to the
    developer's terminal, which stands in for the phone.
    """

    name = "console"

    def __init__(self, show_body: bool = False):
        self.show_body = show_body

    @staticmethod
    def accepts_replies(phone: str) -> bool:
        return True

    def send(self, *, to: str, text: Text, message_id: int,
             status_callback: str | None = None) -> SendResult:
        log.info("sms %s to %s (console: not sent)", text.kind or message_id, mask_phone(to))
        if self.show_body:
            click.echo(f"\n--- SMS to {to} ---\n{text.body()}\n---", err=True)
        return SendResult(provider_sid=f"CONSOLE{uuid.uuid4().hex}", status="sent")
