"""Secret values of a text owed, sealed while they wait in the outbox.

A verification code cannot be derived again at send time (only its HMAC is kept for the
check), so the outbox row carries it sealed: AES-256-GCM under a key derived from SECRET_KEY
(HMAC-SHA256 with a fixed label, so the key itself is never stored), with the row's phone
number as associated data (a sealed value copied onto another row does not open). The worker
erases the sealed value as soon as the text is final (sent, failed), so a database copy or a
backup holds no code in clear, and after delivery none at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

LABEL = b"booking outbox seal v1"
NONCE_BYTES = 12


class Unsealable(Exception):
    """The sealed value does not open with this SECRET_KEY (changed key, or altered row)."""


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, LABEL, hashlib.sha256).digest()


def seal(values: dict, phone: str) -> str:
    """The values (a JSON-able dict of strings) sealed for the row of `phone`: base64 text."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key()).encrypt(nonce, json.dumps(values).encode(), phone.encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(text: str | None, phone: str) -> dict:
    """The values sealed by `seal` for `phone`; {} for none. Raises Unsealable."""
    if not text:
        return {}
    try:
        raw = base64.b64decode(text)
        opened = AESGCM(_key()).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], phone.encode())
    except (InvalidTag, ValueError) as error:
        raise Unsealable(type(error).__name__) from None
    return json.loads(opened)
