"""Staff accounts: argon2 password hashes, sessions that end on the server, and revocable
tokens (stored hashed): "api" tokens for the staff API, "feed" tokens that open only the
read-only calendar feed (its URL is synced to calendar services and shared, so it must not be
an API credential)."""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select, update

from . import audit, text_rules
from .extensions import db
from .models import STAFF_ROLES, ApiToken, Office, Region, StaffUser, utcnow
from .models.core import TOKEN_SCOPES
from .uow import use_case


def _hasher() -> PasswordHasher:
    """The app's argon2 hasher: ARGON2_PARAMETERS (PasswordHasher's keyword arguments,
    memory_cost in KiB) or, unset as in production, argon2-cffi's defaults (RFC 9106's low-memory
    profile: 3 passes over 64 MiB in 4 lanes). Only the test configuration lowers it."""
    parameters = current_app.config.get("ARGON2_PARAMETERS") or {}
    return _hasher_with(tuple(sorted(parameters.items())))


@functools.cache
def _hasher_with(parameters: tuple[tuple[str, int], ...]) -> PasswordHasher:
    return PasswordHasher(**dict(parameters))


def unknown_user_hash() -> str:
    """A hash of a random password at the app's cost: the login checks an unknown name against
    it, so that timing does not reveal which names exist."""
    return _unknown_user_hash(_hasher())


@functools.cache
def _unknown_user_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_hex(16))


# Each refusal's code and its English words (the CLI's); the administrator's page words each code
# in the reader's language (booking/staff/words.py), with the same values.
REFUSALS = {
    "role": "role must be one of {roles}",
    "username": "the user name must not be empty or hold control characters",
    "too_short": "the password needs at least 10 characters",
    "taken": "user {username!r} exists already",
    "bureau_office": "a bureau belongs to a region, not an office: give --region only",
    "no_region": "no region with code {code!r}: a bureau needs --region",
    "region_required": "a bureau belongs to a region: give --region",
    "region_not_bureau": "only a bureau belongs to a region",
    "no_office": "no office with code {code!r}",
    "office_required": "clerks and supervisors belong to an office: give --office",
    "scope": "scope must be one of {scopes}",
}


class AccountError(ValueError):
    """A staff account could not be made as asked: `code` (a REFUSALS key) and `values` say
    why; str() gives the English words."""

    def __init__(self, why: str, /, **values):
        super().__init__(REFUSALS[why].format(**values))
        self.code, self.values = why, values


def _check_password_rule(password: str) -> None:
    if len(password) < 10:
        raise AccountError("too_short")


@use_case
def create_staff(username: str, password: str, role: str, office_code: str | None,
                 created_by: StaffUser | None = None, region_code: str | None = None) -> StaffUser:
    """Create a staff account. A use case. AccountError for a bad role, password, office or
    region, a taken name, or a name with control or format characters (text_rules.single_line).
    Clerks and supervisors belong to an office, a bureau to a region, an administrator to neither."""
    if role not in STAFF_ROLES:
        raise AccountError("role", roles=", ".join(STAFF_ROLES))
    if not username or text_rules.has_forbidden_characters(username):
        raise AccountError("username")
    _check_password_rule(password)
    if db.session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise AccountError("taken", username=username)
    office, region = _place(role, office_code, region_code)
    user = StaffUser(username=username, password_hash=_hasher().hash(password), role=role,
                     office=office, region=region)
    db.session.add(user)
    if created_by is not None:  # an administrator's page; the CLI leaves no actor
        db.session.flush()
        audit.record("staff_created", actor="staff", staff_user_id=created_by.id,
                     office_id=user.office_id, username=user.username, role=user.role,
                     region=region.code if region else None)
    return user


def _place(role: str, office_code: str | None, region_code: str | None) -> tuple[Office | None, Region | None]:
    """(office, region) of a new account of this role; AccountError when they do not fit it."""
    if role == "bureau":
        if office_code:
            raise AccountError("bureau_office")
        region = db.session.scalar(select(Region).where(Region.code == (region_code or "")))
        if region is None:
            raise AccountError("no_region", code=region_code) if region_code else AccountError("region_required")
        return None, region
    if region_code:
        raise AccountError("region_not_bureau")
    office = None
    if office_code:
        office = db.session.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            raise AccountError("no_office", code=office_code)
    elif role != "admin":
        raise AccountError("office_required")
    return office, None


def check_password(user: StaffUser, password: str) -> bool:
    """Whether the password matches the user's argon2 hash (False for a broken hash). The hash
    carries the parameters it was made with, and is checked at those."""
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def end_sessions(user: StaffUser) -> None:
    """End every session of this user, on every device: the session generation kept in each
    session cookie (StaffUser.get_id) no longer matches. Part of the caller's use case."""
    db.session.execute(update(StaffUser).where(StaffUser.id == user.id)
                       .values(session_generation=StaffUser.session_generation + 1))
    db.session.refresh(user)


@use_case
def record_login(user: StaffUser) -> None:
    """A staff login, on the audit trail. A use case."""
    audit.record("staff_login", actor="staff", staff_user_id=user.id, office_id=user.office_id)


@use_case
def log_out(user: StaffUser) -> None:
    """End every session of the user on every device, on the audit trail. A use case."""
    audit.record("staff_logout", actor="staff", staff_user_id=user.id, office_id=user.office_id)
    end_sessions(user)


@use_case
def set_password(user: StaffUser, password: str) -> None:
    """A new password (at least 10 characters, else AccountError); every session of the user
    ends. A use case."""
    _check_password_rule(password)
    user.password_hash = _hasher().hash(password)
    end_sessions(user)


@use_case
def issue_token(user: StaffUser, scope: str = "api") -> str:
    """A new bearer token, "api" (the staff API) or "feed" (the calendar feed only); only its
    hash is kept. A use case."""
    if scope not in TOKEN_SCOPES:
        raise AccountError("scope", scopes=", ".join(TOKEN_SCOPES))
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, scope=scope,
                            token_hash=hashlib.sha256(token.encode()).hexdigest()))
    return token


def user_for_token(token: str, scope: str = "api") -> StaffUser | None:
    """The active user of an unrevoked token of this scope; None for anything else (a feed
    token never opens the API, an API token never the feed)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    found = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.scope == scope,
                               ApiToken.revoked_at.is_(None)))
    return found.user if found and found.user.active else None


@use_case
def revoke_tokens(user: StaffUser, scopes: tuple[str, ...] = TOKEN_SCOPES) -> None:
    """Revoke the user's tokens of these scopes (default: all). A use case."""
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                           ApiToken.scope.in_(scopes),
                                                           ApiToken.revoked_at.is_(None))):
        token.revoked_at = utcnow()
