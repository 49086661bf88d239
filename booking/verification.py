"""Phone verification: a 6-digit code texted to the phone, valid 10 minutes, 5 tries."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import text

from .errors import TooManyCodes, VerificationFailed
from .extensions import db
from .identity import ascii_digits, normalize_phone, safe_text
from .models import PhoneVerification, utcnow
from .notify import outbox

CODE_VALID_FOR = dt.timedelta(minutes=10)
MAX_TRIES = 5
CODES_PER_PHONE_PER_HOUR = 5


def _code_hash(verification_id: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"code:{verification_id}:{code}".encode(), hashlib.sha256).hexdigest()


def start_verification(phone: str, lang: str = "zh", now: dt.datetime | None = None) -> str:
    """Text a new code to the phone and return the verification id. Commits.

    At most five codes per phone per hour. The count is kept in the database, so every
    server process sees the same count (per-address limits sit in front, in Flask-Limiter).
    """
    phone = normalize_phone(phone, current_app.config["PHONE_DEFAULT_REGION"])
    now = now or utcnow()
    lock_phone(phone)
    if codes_sent_since(phone, now - dt.timedelta(hours=1)) >= CODES_PER_PHONE_PER_HOUR:
        raise TooManyCodes()
    verification_id = secrets.token_hex(16)
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(PhoneVerification(
        id=verification_id, phone=phone, code_hash=_code_hash(verification_id, code),
        created_at=now, expires_at=now + CODE_VALID_FOR,
    ))
    outbox.enqueue("verification_code", phone, lang, code=code)
    db.session.commit()
    return verification_id


def lock_phone(phone: str) -> None:
    """Serialise code requests for one phone until commit, so parallel requests count right.

    SQLite transactions already run one writer at a time (BEGIN IMMEDIATE); PostgreSQL takes
    a transaction-scoped advisory lock on the number.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:phone))"),
                           {"phone": phone})


def codes_sent_since(phone: str, since: dt.datetime) -> int:
    """How many codes a phone was sent since a moment (for the per-phone limit)."""
    return db.session.query(PhoneVerification).filter(
        PhoneVerification.phone == phone, PhoneVerification.created_at >= since).count()


def check_code(verification_id: str, code: str, *, phone: str,
               now: dt.datetime | None = None) -> PhoneVerification:
    """The verification if `code` proves `phone`; else VerificationFailed.

    A wrong code spends one of the five tries, and that is committed at once, so a failed
    booking cannot be retried forever. The caller marks the verification used when it commits.
    """
    now = now or utcnow()
    verification = db.session.get(PhoneVerification, safe_text(verification_id, 32))
    usable = (verification is not None and verification.phone == phone
              and verification.used_at is None and verification.expires_at > now
              and verification.attempts < MAX_TRIES)
    if not usable:
        raise VerificationFailed()
    # Typed as １２３４５６ on a full-width keyboard, it is the same code: judged as ASCII digits.
    expected = _code_hash(verification.id, ascii_digits(safe_text(code, 12), 12).strip())
    if not hmac.compare_digest(expected, verification.code_hash):
        verification.attempts += 1
        db.session.commit()
        raise VerificationFailed()
    return verification
