"""A proof-of-work challenge (ALTCHA) on code requests and bookings, for popular days.

The browser's widget (static/altcha/, served by us: no third-party service) fetches a challenge
from GET /challenge, solves it in a Web Worker while the citizen types (PBKDF2/SHA-256, about
half a second on a phone), and posts the solution with the form as `altcha`; API clients do
the same with GET /api/v1/challenge and the `altcha` field. A person pays once per request; a
script sending thousands pays thousands of times, in CPU it has to rent.

When it is required (`required`), from the office's RationingSettings: never ("off"), on the
listed popular days ("days"), always ("always"), or automatically ("auto") while the service
is under load: more than CHALLENGE_AUTO_PER_MINUTE (booking/config.py: 300 unless the
environment says otherwise) code and booking posts in the last minute, counted in the
rate-limit storage (shared by every process when it is Redis). Whatever the mode, it is
required on the day of a popular-day plan that asks for it (booking/busy/plans.py). Each process
reads the offices' rules at most every 5 seconds (CHALLENGE_SETTINGS_SECONDS). A code request
without a slot (the API's) has no office: it is challenged while under load, or when any
office has the challenge always on. A solution is good once (ChallengeUse) and for 20 minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time

import altcha
from flask import current_app
from limits import parse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from . import scheduling
from .errors import BookingError
from .extensions import db, limiter
from .models import ChallengeUse, PopularDayPlan, RationingSettings, Slot, utcnow
from .uow import use_case

ALGORITHM = "PBKDF2/SHA-256"
COST = 5000  # PBKDF2 iterations per try; ~256 tries expected (key prefix 00)
VALID_FOR = dt.timedelta(minutes=20)


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
    return parse(f"{int(current_app.config['CHALLENGE_AUTO_PER_MINUTE'])}/minute")


def count_post() -> None:
    """Count one code or booking post toward the load that turns "auto" on."""
    if limiter.enabled:
        limiter.limiter.hit(_load_item(), "challenge-load")


def under_load() -> bool:
    return limiter.enabled and not limiter.limiter.test(_load_item(), "challenge-load")


def _office_rules() -> dict[int, tuple[str, frozenset[str], frozenset[str]]]:
    """Each office's challenge rule (mode, listed days, days of popular-day plans that ask for
    it) that has a settings row or such a plan, read at most every CHALLENGE_SETTINGS_SECONDS (5)
    per process: the check sits on the booking's hot path. ISO dates."""
    now = time.monotonic()
    cached = current_app.extensions.get("challenge_rules")
    if cached is not None and now < cached[0]:
        return cached[1]
    planned: dict[int, set[str]] = {}
    for office_id, day in db.session.execute(select(PopularDayPlan.office_id, PopularDayPlan.day).where(
            PopularDayPlan.undone_at.is_(None), PopularDayPlan.proof_of_work.is_(True),
            PopularDayPlan.day >= utcnow().date() - dt.timedelta(days=1))):
        planned.setdefault(office_id, set()).add(day.isoformat())
    rules = {row.office_id: (row.challenge, frozenset(filter(None, row.challenge_days.split(","))),
                             frozenset(planned.pop(row.office_id, ())))
             for row in db.session.scalars(select(RationingSettings))}
    rules.update({office_id: ("auto", frozenset(), frozenset(days)) for office_id, days in planned.items()})
    ttl = float(current_app.config.get("CHALLENGE_SETTINGS_SECONDS", 5))
    current_app.extensions["challenge_rules"] = (now + ttl, rules)
    return rules


def day_rule(settings: RationingSettings | None, plan: PopularDayPlan | None, day: dt.date) -> str:
    """How posts for an office's local day are challenged, from its settings (None: the
    defaults) and the popular-day plan in force that day (None: none): "on" (always on, a listed
    day, or a plan's day that asks for it), "auto" (while under load) or "off". For the staff
    pages that show a day's settings; `required` decides each post."""
    mode, days = (settings.challenge, settings.challenge_days.split(",")) if settings else ("auto", [])
    if mode == "always" or (plan is not None and plan.proof_of_work) or (mode == "days" and day.isoformat() in days):
        return "on"
    return "auto" if mode == "auto" else "off"


def forget_rules() -> None:
    """Read the offices' rules again at the next check (after a change in this process)."""
    current_app.extensions.pop("challenge_rules", None)


def may_be_required() -> bool:
    """Whether any post could need a solution now; when not, nobody need look up an office."""
    return under_load() or any(mode in ("always", "days") or planned for mode, _, planned in _office_rules().values())


def required(office_id: int | None = None, day: dt.date | None = None, *,
             slot: Slot | None = None) -> bool:
    """Whether a post for an office's local day, or for a slot, needs a solution; with
    neither (a code request without a slot): while under load or any office has it always on."""
    rules = _office_rules()
    if slot is not None:
        office_id = slot.office_id
    if office_id is None:
        return any(mode == "always" for mode, _, _ in rules.values()) or under_load()
    mode, days, planned = rules.get(office_id, ("auto", frozenset(), frozenset()))
    if (mode == "days" or planned) and slot is not None:
        day = scheduling.local_day(slot.office, slot.starts_at)
    iso = day.isoformat() if day is not None else None
    if mode == "always" or iso in planned or (mode == "days" and iso in days):
        return True
    return mode == "auto" and under_load()


def check(payload: str | None, office_id: int | None = None, day: dt.date | None = None, *,
          slot: Slot | None = None, now: dt.datetime | None = None) -> None:
    """Let the post through, or raise ChallengeFailed (422, field altcha) when a solution is
    required (see `required`) and missing, wrong, expired or used before. Counts the post
    toward the load. A good solution is spent at once (committed), whatever becomes of the post."""
    needed = required(office_id, day, slot=slot)
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
