"""Administrators: staff accounts of every office (create, deactivate)."""

from __future__ import annotations

import functools

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import accounts
from ..access import has_role
from ..extensions import db
from ..models import STAFF_ROLES, Office, StaffUser
from ..offices import admin as office_admin
from . import bp


def admin_page(view):
    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not has_role(current_user, "admin"):
            abort(403)
        return view(*args, **kwargs)

    wrapper.min_role = "admin"
    return wrapper


@bp.route("/admin/accounts", methods=["GET", "POST"])
@admin_page
def accounts_page():
    """Every staff account; a form to add one."""
    if request.method == "POST":
        form = request.form
        try:
            user = accounts.create_staff((form.get("username") or "").strip()[:60], form.get("password") or "",
                                         form.get("role") or "", form.get("office") or None,
                                         created_by=current_user)
        except accounts.AccountError as error:
            flash(_("The account could not be created: %(why)s", why=str(error)), "error")
        else:
            flash(_("Account %(name)s created.", name=user.username), "ok")
            return redirect(url_for("staff.accounts_page"))
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.office_id, StaffUser.username)).all()
    offices = db.session.scalars(select(Office).order_by(Office.code)).all()
    return render_template("staff/accounts.html", users=users, offices=offices, roles=STAFF_ROLES)


@bp.post("/admin/accounts/<int:user_id>/deactivate")
@admin_page
def deactivate(user_id: int):
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    office_admin.deactivate_staff(user, current_user)
    flash(_("Account %(name)s deactivated; its API tokens are revoked.", name=user.username), "ok")
    return redirect(url_for("staff.accounts_page"))
