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
from . import bp, words
from .setup_forms import region_choices


def admin_page(view):
    @functools.wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not has_role(current_user, "admin"):
            abort(403)
        return view(*args, **kwargs)

    wrapper.min_role = "admin"
    return wrapper


def _place(form) -> tuple[str | None, str | None]:
    """(office code, region code) the form gives for its role: the office for clerks and
    supervisors, the region for a bureau, neither for an administrator (the other select is
    not read, so a choice left in it from another role does not refuse the account)."""
    role = form.get("role") or ""
    if role == "bureau":
        return None, form.get("region") or None
    return (None, None) if role == "admin" else (form.get("office") or None, None)


@bp.route("/admin/accounts", methods=["GET", "POST"])
@admin_page
def accounts_page():
    """Every staff account with its office or region; a form to add one (?role=bureau&region=CODE
    preselects a region's bureau). A refusal is shown beside its field in the reader's language."""
    errors, values = {}, request.args
    if request.method == "POST":
        form, values = request.form, request.form
        try:
            office_code, region_code = _place(form)
            user = accounts.create_staff((form.get("username") or "").strip()[:60], form.get("password") or "",
                                         form.get("role") or "", office_code, created_by=current_user,
                                         region_code=region_code)
        except accounts.AccountError as error:
            field, message = words.account_refusal(error)
            errors = {field or "general": message}
        else:
            flash(_("Account %(name)s created.", name=user.username), "ok")
            return redirect(url_for("staff.accounts_page"))
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.office_id, StaffUser.username)).all()
    offices = db.session.scalars(select(Office).order_by(Office.code)).all()
    return render_template("staff/accounts.html", users=users, offices=offices, regions=region_choices(),
                           roles=STAFF_ROLES, values=values, errors=errors), 422 if errors else 200


@bp.post("/admin/accounts/<int:user_id>/deactivate")
@admin_page
def deactivate(user_id: int):
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    office_admin.deactivate_staff(user, current_user)
    flash(_("Account %(name)s deactivated; its API tokens are revoked.", name=user.username), "ok")
    return redirect(url_for("staff.accounts_page"))
