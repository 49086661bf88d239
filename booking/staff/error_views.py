"""Staff error pages in the clerk's language (not Flask's English defaults): 403 and 404 raised
by a staff view or the hall display, or an address under /staff/ that is no page, with the way
back."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..i18n import request_lang
from ..ratelimits import retry_text
from . import bp, display_bp, staff_context


def _page(status: int, title: str, message: str):
    # staff_context given here too: the display's blueprint has no staff context of its own
    return render_template("staff/error.html", **staff_context(), office=None, title=title,
                           message=message, status=status), status


@bp.errorhandler(403)
def forbidden(_error):
    if current_user.is_authenticated and current_user.role == "bureau":
        return _page(403, _("Not for your account"),
                     _("A bureau reads its offices' pages and suspends services; door, counter and capacity "
                       "actions are the office's staff's."))
    return _page(403, _("Not for your account"),
                 _("This page is for another office or a higher role. Ask a supervisor if you need it."))


@bp.errorhandler(429)
def too_many_requests(_error):
    """A limit on staff actions (closures, previews, texts): nothing of the refused request was done."""
    return _page(429, _("Too many requests"), retry_text(request_lang()) + " " + _("Nothing was changed."))


@bp.errorhandler(404)
@display_bp.errorhandler(404)  # a hall display set up with a mistyped office code
def not_found(_error):
    return _page(404, _("Page not found"),
                 _("There is no such page, office or booking. Check the address, or go back to the queue."))


@bp.route("/<path:unknown>")
@login_required
def unknown_page(unknown: str):
    """Any other address under /staff/: the staff 404 page (an app-wide 404 would be Flask's)."""
    abort(404)


unknown_page.min_role = "clerk"  # read by the access tests: any signed-in staff member sees the 404
