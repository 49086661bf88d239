"""Phone verification: a 6-digit code texted to the phone, valid 10 minutes, 5 tries."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask import current_app

from .errors import InvalidLanguage, TooManyCodes, VerificationFailed
from .extensions import db
from .i18n import LANGUAGES
from .identity import ascii_digits, normalize_phone, safe_text
from .models import UTCDateTime, utcnow
from .notify import outbox
from .prepared import Prepared
from .uow import keeping_writes, use_case

CODE_VALID_FOR = dt.timedelta(minutes=10)
MAX_TRIES = 5
CODES_PER_PHONE_PER_HOUR = 5
CODES_KEPT = CODES_PER_PHONE_PER_HOUR  # one form cannot have asked for more codes than this
ID_LENGTH = 32  # secrets.token_hex(16)


def _code_hash(verification_id: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"code:{verification_id}:{code}".encode(), hashlib.sha256).hexdigest()


@use_case
def start_verification(phone: str, lang: str = "zh", now: dt.datetime | None = None) -> str:
    """Text a new code to the phone and return the verification id. A use case.

    At most five codes per phone per hour. The count is kept in the database, so every
    server process sees the same count (per-address limits sit in front, in Flask-Limiter).
    """
    if lang not in LANGUAGES:  # the text's language: refused here, never stored
        raise InvalidLanguage()
    phone = normalize_phone(phone, current_app.config["PHONE_DEFAULT_REGION"])
    now = now or utcnow()
    lock_phone(phone)
    if codes_sent_since(phone, now - dt.timedelta(hours=1)) >= CODES_PER_PHONE_PER_HOUR:
        raise TooManyCodes()
    verification_id = secrets.token_hex(16)
    code = f"{secrets.randbelow(10**6):06d}"
    _INSERT_CODE.rowcount(id=verification_id, phone=phone, code_hash=_code_hash(verification_id, code),
                          now=now, expires_at=now + CODE_VALID_FOR)
    outbox.insert(outbox.message_values("verification_code", phone, lang, None, code=code), utcnow())
    return verification_id


# The hot statements of a code request, written once (booking.prepared).
_INSERT_CODE = Prepared(
    "INSERT INTO phone_verification (id, phone, code_hash, created_at, expires_at, attempts)"
    " VALUES (:id, :phone, :code_hash, :now, :expires_at, 0)",
    params={"now": UTCDateTime(), "expires_at": UTCDateTime()})
_LOCK_PHONE = Prepared({"postgresql": "SELECT pg_advisory_xact_lock(hashtext(:phone))"})
_CODES_SINCE = Prepared("SELECT count(*) FROM phone_verification WHERE phone = :phone AND created_at >= :since",
                        params={"since": UTCDateTime()})


def lock_phone(phone: str) -> None:
    """Serialise code requests for one phone until commit, so parallel requests count right.

    SQLite transactions already run one writer at a time (BEGIN IMMEDIATE); PostgreSQL takes
    a transaction-scoped advisory lock on the number.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        _LOCK_PHONE.all(phone=phone)


def codes_sent_since(phone: str, since: dt.datetime) -> int:
    """How many codes a phone was sent since a moment (for the per-phone limit)."""
    return _CODES_SINCE.scalar(phone=phone, since=since)


# A try is spent before the code is compared, in one conditional UPDATE: parallel guesses at one
# code queue on its row, and no more than MAX_TRIES comparisons are ever made.
_SPEND_TRY = Prepared(
    # bandit B608: MAX_TRIES is this module's constant, never input
    "UPDATE phone_verification SET attempts = attempts + 1 WHERE id = :v_id AND phone = :v_phone"  # nosec B608
    f" AND used_at IS NULL AND expires_at > :v_now AND attempts < {MAX_TRIES} RETURNING code_hash",
    params={"v_now": UTCDateTime()})
_USE_CODE = Prepared("UPDATE phone_verification SET used_at = :now WHERE id = :v_id AND used_at IS NULL",
                     params={"now": UTCDateTime()})


def check_code(verification_id: str, code: str, *, phone: str, now: dt.datetime | None = None) -> str:
    """The id of the verification whose code is `code` for `phone`; else VerificationFailed.

    `verification_id`: one id, or the ids of the codes one form asked for, separated by spaces
    (at most CODES_KEPT): after "send again" the first code keeps working for its 10 minutes,
    since a text can arrive late (docs/contract.md, third-wave additions, care mode: nothing typed is lost).

    Every check spends one of the five tries of each code it is compared with first (one
    conditional UPDATE, which holds the code's row until the commit). A wrong code's use case
    commits those spent tries and nothing else (booking.uow.keeping_writes), so a failed booking
    cannot be retried forever and parallel guesses at one code are compared one after another,
    five at most. A right code's tries stay with its use case. Call it before the use case
    writes anything else; the caller marks the verification used (use_code) in its transaction.
    """
    if not isinstance(phone, str):  # a normalised number or nothing: never a guess at the SQL
        raise VerificationFailed()
    # Rows are locked in one order (sorted), so two checks of the same ids never deadlock.
    ids = sorted(set(safe_text(verification_id, (ID_LENGTH + 1) * CODES_KEPT).split()))[:CODES_KEPT]
    # Typed as １２３４５６ on a full-width keyboard, it is the same code: judged as ASCII digits.
    typed = ascii_digits(safe_text(code, 12), 12).strip()
    spent = False
    for one_id in ids:
        stored = _SPEND_TRY.scalar(v_id=one_id, v_phone=phone, v_now=now or utcnow())
        if stored is None:
            continue
        spent = True
        if hmac.compare_digest(_code_hash(one_id, typed), stored):
            return one_id
    raise keeping_writes(VerificationFailed()) if spent else VerificationFailed()


def kept_codes(earlier: str, newest: str) -> str:
    """The ids a form keeps after asking for another code: the newest first, at most CODES_KEPT."""
    kept = safe_text(earlier, (ID_LENGTH + 1) * CODES_KEPT).split()
    return " ".join([newest, *kept][:CODES_KEPT])


def use_code(verification_id: str, now: dt.datetime) -> None:
    """Mark the code used, once: VerificationFailed if another request used it first."""
    if _USE_CODE.rowcount(v_id=verification_id, now=now) != 1:
        raise VerificationFailed()
