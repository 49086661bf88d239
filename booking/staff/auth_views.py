"""Staff login and logout: Flask-Login sessions that expire, rate-limited by address and name."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from .. import accounts, text_rules
from ..access import office_ids
from ..bureau.regions import regions_below
from ..extensions import db, limiter
from ..models import Office, Region, StaffUser
from . import bp


def _username_key() -> str:
    # A second limit per account name, so a spread-out attack on one account is slowed too.
    return "staff-login:" + (request.form.get("username") or "").strip().lower()[:60]


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never another host) after logging in; a target holding a
    control character (CR/LF would split the Location header) or a backslash is ignored."""
    if not target or "\\" in target or text_rules.has_forbidden_characters(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _nobody() -> StaffUser:
    return StaffUser(username="", password_hash=accounts.unknown_user_hash())


def _fresh_session() -> None:
    """Empty the session, keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def home_for(user: StaffUser) -> str:
    if user.office is not None:
        return url_for("staff.queue", office_code=user.office.code)
    return url_for("staff.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
@limiter.limit("10/minute", key_func=_username_key, methods=["POST"])
def login():
    """The login form (GET) and its check (POST)."""
    error = None
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:60]
        password = request.form.get("password") or ""
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        # An unknown name costs the same hash check, so timing does not reveal which names exist.
        checked = accounts.check_password(user or _nobody(), password)
        if user is not None and user.active and checked:
            _fresh_session()  # no fixation of a session made before login
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            accounts.record_login(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        error = _("Wrong user name or password.")
    status = 401 if error else 200
    return render_template("staff/login.html", error=error), status


@bp.post("/logout")
@login_required
def logout():
    """End every session of the user (all devices), then the login page."""
    accounts.log_out(current_user)  # a copied cookie of this or any session is dead too
    logout_user()
    _fresh_session()
    return redirect(url_for("staff.login"))


@bp.get("/")
@login_required
def index():
    """A clerk's or supervisor's own office; an administrator or a bureau chooses one of its
    offices, or a region (a bureau's own and those below it)."""
    if current_user.office is not None:
        return redirect(home_for(current_user))
    scope = office_ids(current_user)
    query = select(Office).order_by(Office.code)
    if scope is not None:
        query = query.where(Office.id.in_(scope))
    regions = select(Region).order_by(Region.code)
    if current_user.region_id is not None:
        regions = regions.where(Region.id.in_(regions_below(current_user.region_id)))
    return render_template("staff/offices.html", offices=db.session.scalars(query).all(),
                           regions=db.session.scalars(regions).all())
