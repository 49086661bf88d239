"""The waiting list of an office's day, and its rationing settings (supervisors change them)."""

from __future__ import annotations

import datetime as dt

from flask import redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from ..access import has_role, staff_page
from ..errors import BookingError
from ..hall import queue
from ..models import Office
from ..waiting import board
from . import bp


def chosen_day(office: Office) -> dt.date:
    try:
        return dt.date.fromisoformat(request.args.get("date") or "")
    except ValueError:
        return queue.today(office)


def board_page(office: Office, errors: dict | None = None, status: int = 200):
    day = chosen_day(office)
    return render_template("staff/waiting.html", office=office, day=day,
                           lines=board.day_board(office, day), settings=board.current_settings(office),
                           may_change=has_role(current_user, "supervisor"), errors=errors or {}), status


@bp.get("/<office_code>/waiting")
@staff_page("clerk")
def waiting_list(office: Office):
    """Each service's line for a day: who waits, who is offered a place until when, the holds."""
    return board_page(office)


@bp.post("/<office_code>/waiting/settings")
@staff_page("supervisor")
def waiting_settings(office: Office):
    """Save the claim window, the hold-back and when the challenge is on."""
    form = request.form
    try:
        board.save_settings(office, claim_minutes=form.get("claim_minutes"),
                            holdback_minutes=form.get("holdback_minutes"),
                            challenge=form.get("challenge", ""),
                            challenge_days=form.get("challenge_days", ""), staff=current_user)
    except BookingError as err:
        return board_page(office, {"form": err.message(str(get_locale()))}, 422)
    return redirect(url_for("staff.waiting_list", office_code=office.code,
                            date=request.args.get("date")), 303)
