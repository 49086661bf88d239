"""Staff accounts: argon2 password hashes and revocable API tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from .extensions import db
from .models import STAFF_ROLES, ApiToken, Office, StaffUser, utcnow
from .uow import use_case

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A staff account could not be made as asked; the message says why."""


@use_case
def create_staff(username: str, password: str, role: str, office_code: str | None) -> StaffUser:
    """Create a staff account. A use case."""
    if role not in STAFF_ROLES:
        raise AccountError(f"role must be one of {', '.join(STAFF_ROLES)}")
    if len(password) < 10:
        raise AccountError("the password needs at least 10 characters")
    if db.session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise AccountError(f"user {username!r} exists already")
    office = None
    if office_code:
        office = db.session.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            raise AccountError(f"no office with code {office_code!r}")
    elif role != "admin":
        raise AccountError("clerks and supervisors belong to an office: give --office")
    user = StaffUser(username=username, password_hash=_hasher.hash(password), role=role,
                     office=office)
    db.session.add(user)
    return user


def check_password(user: StaffUser, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@use_case
def issue_token(user: StaffUser) -> str:
    """A new bearer token for the staff API; only its hash is kept. A use case."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=hashlib.sha256(token.encode()).hexdigest()))
    return token


def user_for_token(token: str) -> StaffUser | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    found = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
    return found.user if found and found.user.active else None


@use_case
def revoke_tokens(user: StaffUser) -> None:
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                           ApiToken.revoked_at.is_(None))):
        token.revoked_at = utcnow()


@use_case
def set_password(user: StaffUser, password: str) -> None:
    """Give a staff account a new password (at least 10 characters). A use case."""
    if len(password) < 10:
        raise AccountError("the password needs at least 10 characters")
    user.password_hash = _hasher.hash(password)
