"""Who may act on which office: one rule for the staff pages and the staff API.

An account's scope is a set of offices: a clerk's or supervisor's own office; a bureau's, the
offices of its region and of the regions below it; an administrator's, every office. An office
outside the scope answers 404 (its existence is not confirmed); a role too low answers 403.
A bureau reads what a supervisor reads but takes no door, counter or capacity action: a view
that changes something is closed to it (403) unless it says `bureau_acts` (closures).
"""

from __future__ import annotations

import functools
import hashlib

from flask import abort, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import select

from . import accounts
from .bureau.regions import region_by_code, regions_below
from .errors import Unauthorized
from .extensions import db
from .models import Office, Region, StaffUser

RANK = {"clerk": 1, "supervisor": 2, "bureau": 3, "admin": 4}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def office_ids(user: StaffUser) -> set[int] | None:
    """The ids of the offices in the account's scope; None for an administrator (every office)."""
    if user.role == "admin":
        return None
    if user.role == "bureau":
        if user.region_id is None:
            return set()
        return set(db.session.scalars(select(Office.id).where(
            Office.region_id.in_(regions_below(user.region_id)))))
    return {user.office_id} if user.office_id is not None else set()


def may_see(user: StaffUser, office: Office) -> bool:
    scope = office_ids(user)
    return scope is None or office.id in scope


def may_see_region(user: StaffUser, region: Region) -> bool:
    """Administrators see every region, a bureau its own and those below it."""
    if user.role == "admin":
        return True
    return user.role == "bureau" and user.region_id is not None and region.id in regions_below(user.region_id)


def may_act(user: StaffUser, view) -> bool:
    """Whether this request may run the view: a bureau only reads, except where the view
    says `bureau_acts` (it closes services across its offices)."""
    return user.role != "bureau" or request.method in SAFE_METHODS or getattr(view, "bureau_acts", False)


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


def region_for(user: StaffUser, code, role: str = "bureau") -> Region:
    """The region named by code, if this user may see it with this role; else 403/404."""
    if not has_role(user, role):
        abort(403)
    region = region_by_code(code)
    if region is None or not may_see_region(user, region):
        abort(404)
    return region


def staff_page(role: str = "clerk", bureau_acts: bool = False):
    """A staff page of one office (its code is the `office_code` URL part): logged in, in
    scope, with the role; a bureau only reads it unless `bureau_acts`. The view gets `office`
    instead of `office_code`."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, office_code, **kwargs):
            office = office_for(current_user, office_code, role)
            if not may_act(current_user, wrapper):
                abort(403)
            return view(*args, office=office, **kwargs)

        wrapper.min_role = role  # read by the access tests, generated from the URL map
        wrapper.bureau_acts = bureau_acts
        return wrapper

    return decorate


def region_page(role: str = "bureau", bureau_acts: bool = False):
    """A staff page of a region (its code is the `region_code` URL part): a bureau of that
    region or one above it, or an administrator. The view gets `region`."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, region_code, **kwargs):
            region = region_for(current_user, region_code, role)
            if not may_act(current_user, wrapper):
                abort(403)
            return view(*args, region=region, **kwargs)

        wrapper.min_role = role
        wrapper.bureau_acts = bureau_acts
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


def staff_api(role: str = "clerk", bureau_acts: bool = False):
    """A staff API call: a valid, unrevoked bearer token of an active user with the role; a
    bureau's token only reads unless `bureau_acts`.

    The office scope is checked by the handler with office_for() (region_for()), as on the pages.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = bearer_user()
            if user is None:
                raise Unauthorized()
            if not has_role(user, role) or not may_act(user, wrapper):
                abort(403)
            g.staff_user = user
            return view(*args, **kwargs)

        wrapper.min_role = role
        wrapper.bureau_acts = bureau_acts
        return wrapper

    return decorate




def office_by_code(code: str) -> Office:
    office = db.session.scalar(select(Office).where(Office.code == str(code)[:40]))
    if office is None:
        abort(404)
    return office
