"""A proof-of-work challenge (ALTCHA) on code requests and bookings, for popular days.

The browser's widget (static/altcha/, served by us: no third-party service) fetches a challenge
from GET /challenge, solves it in a Web Worker while the citizen types (PBKDF2/SHA-256, about
half a second on a phone), and posts the solution with the form as `altcha`; API clients do
the same with GET /api/v1/challenge and the `altcha` field. A person pays once per request; a
script sending thousands pays thousands of times, in CPU it has to rent.

When it is required (`required`), from the office's RationingSettings: never ("off"), on the
listed popular days ("days"), always ("always"), or automatically ("auto") while the service
is under load: more than CHALLENGE_AUTO_PER_MINUTE code and booking posts in the last minute,
counted in the rate-limit storage (shared by every process when it is Redis). A code request
without a slot (the API's) has no office: it is challenged while under load, or when any
office has the challenge always on. A solution is good once (ChallengeUse) and for 20 minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import altcha
from flask import current_app
from limits import parse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from . import scheduling
from .errors import BookingError
from .extensions import db, limiter
from .models import ChallengeUse, RationingSettings, Slot, utcnow
from .uow import use_case
from .waiting.holds import settings_for

ALGORITHM = "PBKDF2/SHA-256"
COST = 5000  # PBKDF2 iterations per try; ~256 tries expected (key prefix 00)
VALID_FOR = dt.timedelta(minutes=20)
AUTO_PER_MINUTE = 300


class ChallengeFailed(BookingError):
    code, status, field = "challenge_failed", 422, "altcha"
    message_zh = "今天是预约高峰，请等页面完成自动验证后再提交（需要开启浏览器脚本）。"
    message_en = ("Bookings are busy today: please wait until the page has finished its automatic "
                  "check, then send again (scripts must be on).")


def _secret() -> bytes:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"altcha", hashlib.sha256).digest()


def new_challenge(now: dt.datetime | None = None) -> dict:
    """A signed challenge as the widget reads it: {parameters: {...}, signature}."""
    expires = (now or utcnow()) + VALID_FOR
    cost = int(current_app.config.get("CHALLENGE_COST", COST))
    return altcha.create_challenge(ALGORITHM, cost, hmac_secret=_secret(),
                                   expires_at=int(expires.timestamp())).to_dict()


def _load_item():
    return parse(f"{int(current_app.config.get('CHALLENGE_AUTO_PER_MINUTE', AUTO_PER_MINUTE))}/minute")


def count_post() -> None:
    """Count one code or booking post toward the load that turns "auto" on."""
    if limiter.enabled:
        limiter.limiter.hit(_load_item(), "challenge-load")


def under_load() -> bool:
    return limiter.enabled and not limiter.limiter.test(_load_item(), "challenge-load")


def where(slot: Slot) -> tuple[int, dt.date]:
    """(office id, local day) of a slot, as `required` and `check` take them."""
    return slot.office_id, scheduling.local_day(slot.office, slot.starts_at)


def required(office_id: int | None = None, day: dt.date | None = None) -> bool:
    """Whether a post for an office's local day (None: a code request without a slot) needs
    a solution."""
    if office_id is None:
        always = db.session.scalar(select(RationingSettings.office_id)
                                   .where(RationingSettings.challenge == "always").limit(1))
        return always is not None or under_load()
    settings = settings_for(office_id)
    if settings.challenge == "always":
        return True
    if settings.challenge == "days":
        return day is not None and day.isoformat() in settings.challenge_days.split(",")
    return settings.challenge == "auto" and under_load()


def check(payload: str | None, office_id: int | None = None, day: dt.date | None = None,
          now: dt.datetime | None = None) -> None:
    """Let the post through, or raise ChallengeFailed (422, field altcha) when a solution is
    required and missing, wrong, expired or used before. Counts the post toward the load.
    A good solution is spent at once (committed), whatever becomes of the post."""
    needed = required(office_id, day)
    count_post()
    if not needed:
        return
    now = now or utcnow()
    try:
        result = altcha.verify_solution(payload or "", _secret())
        signature = altcha.Payload.from_base64(payload).challenge.signature
    except Exception:  # any malformed payload is a failed challenge, never a 500
        raise ChallengeFailed() from None
    if not result.verified:
        raise ChallengeFailed()
    _use_once(signature, now)


@use_case
def _use_once(signature: str, now: dt.datetime) -> None:
    """Spend a solution: its own use case, so a solution is good once whatever follows."""
    db.session.execute(delete(ChallengeUse).where(ChallengeUse.expires_at < now))
    db.session.add(ChallengeUse(signature=signature[:128], expires_at=now + VALID_FOR))
    try:
        db.session.flush()
    except IntegrityError:
        raise ChallengeFailed() from None
