"""Who may act on which office: one rule for the staff pages and the staff API.

Clerks and supervisors act only on their own office; another office's pages answer 404 (its
existence is not confirmed). A role too low for a page of one's own office answers 403.
Administrators act on every office.
"""

from __future__ import annotations

import functools
import hashlib

from flask import abort, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import select

from . import accounts
from .errors import Unauthorized
from .extensions import db
from .models import Office, StaffUser

RANK = {"clerk": 1, "supervisor": 2, "admin": 3}


def may_see(user: StaffUser, office: Office) -> bool:
    return user.role == "admin" or user.office_id == office.id


def has_role(user: StaffUser, role: str) -> bool:
    return RANK.get(user.role, 0) >= RANK[role]


def office_for(user: StaffUser, code, role: str = "clerk") -> Office:
    """The office named by code, if this user may act on it with this role; else 404/403."""
    office = db.session.scalar(select(Office).where(Office.code == str(code or "")[:40]))
    if office is None or not may_see(user, office):
        abort(404)
    if not has_role(user, role):
        abort(403)
    return office


def staff_page(role: str = "clerk"):
    """A staff page of one office (its code is the `office_code` URL part): logged in, in
    scope, with the role. The view gets `office` instead of `office_code`."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, office_code, **kwargs):
            return view(*args, office=office_for(current_user, office_code, role), **kwargs)

        wrapper.min_role = role  # read by the access tests, generated from the URL map
        return wrapper

    return decorate


def staff_key() -> str:
    """Rate-limit key of a staff request: its user (session or token), else its address.

    Actions that text citizens (closures, moves, walk-ins) are limited per person, so one
    stolen session or token cannot flood phones, while colleagues behind one hall router
    do not share a budget."""
    if current_user and current_user.is_authenticated:
        return f"staff:{current_user.id}"
    token = bearer_token()
    if token:  # the token itself, however the header spells its scheme
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    return get_remote_address()


TEXTING_LIMIT = "30/minute"  # walk-ins and moves: a busy door, not a flood
CLOSING_LIMIT = "10/minute"  # closures text every affected citizen
DISPLAY_LIMIT = "600/minute"  # public hall display: one poll a second per screen, per address


def bearer_token() -> str:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750 2.1; the scheme is
    case-insensitive, RFC 9110 11.1, and spaces around the parts are not part of it); "" when
    the header is missing or of another scheme."""
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return ""
    return parts[1]


def bearer_user() -> StaffUser | None:
    token = bearer_token()
    return accounts.user_for_token(token) if token else None


def staff_api(role: str = "clerk"):
    """A staff API call: a valid, unrevoked bearer token of an active user with the role.

    The office scope is checked by the handler with office_for(), as on the pages.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = bearer_user()
            if user is None:
                raise Unauthorized()
            if not has_role(user, role):
                abort(403)
            g.staff_user = user
            return view(*args, **kwargs)

        wrapper.min_role = role
        return wrapper

    return decorate




def office_by_code(code: str) -> Office:
    office = db.session.scalar(select(Office).where(Office.code == str(code)[:40]))
    if office is None:
        abort(404)
    return office
