"""Citizen pages: the home page, liveness, the language choice and the error pages."""

import datetime as dt

from flask import abort, jsonify, render_template, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import select, text

from .. import scheduling
from ..extensions import db
from ..i18n import LANGUAGES, NAMES, html_lang, request_lang
from ..models import Office, utcnow
from ..ratelimits import retry_minutes
from . import bp, dates, flow, manage  # noqa: F401  (their routes attach themselves to bp)
from .care import switch_url

HOME_DAYS = 14


def next_free_days(service, today: dt.date, count: int = 3) -> tuple[list[dt.date], bool]:
    """The first local days, from today on, with a place a party of the smallest size can take,
    and whether any slot is open for booking at all in the next two weeks: none at all is
    "no times yet", not "fully booked"."""
    found = []
    items = scheduling.availability(service, today, today + dt.timedelta(days=HOME_DAYS))
    for item in items:
        day = scheduling.local_day(service.office, item.slot.starts_at)
        if item.remaining_bookings > 0 and day not in found:
            found.append(day)
    return found[:count], bool(items)


@bp.get("/")
def home():
    lang = request_lang()
    offices = db.session.scalars(select(Office).order_by(Office.id)).all()
    now = utcnow()
    listing = [
        (office, [(service, *next_free_days(service, scheduling.local_day(office, now)))
                  for service in office.services])
        for office in offices
    ]
    return render_template("home.html", listing=listing, lang=lang)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", never a 500 page
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


# --- language -------------------------------------------------------------------------------

@bp.before_app_request
def remember_language():
    """?lang=en (the visible switch) is remembered for the next pages; the API keeps no session."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and not request.path.startswith("/api/"):
        session["lang"] = chosen


@bp.app_context_processor
def page_language():
    lang = request_lang()
    return {"lang": lang, "html_lang": html_lang(lang), "languages": LANGUAGES, "language_names": NAMES,
            "lang_switch_url": lang_switch_url}


def lang_switch_url(code: str) -> str:
    """This page in another language; a form answer (POST) switches on its form's own page."""
    return switch_url("lang", code)


# --- error pages (in the page's language; never a bare 500 for bad input) ---------------------

def error_page(status: int, title: str, message: str):
    return render_template("web/error.html", status=status, title=title, message=message), status


@bp.route("/m/<path:_rest>")
@bp.route("/book/<path:_rest>")
def cut_short(_rest):
    """A link cut short or mistyped from a text: the friendly 404 page, not the bare one."""
    abort(404)


@bp.errorhandler(404)
def not_found(_error):
    return error_page(404, _("Page not found"),
                      _("This link does not lead to a booking. Please check the address in your text "
                        "message, or start a new booking."))


@bp.errorhandler(CSRFError)
def form_expired(_error):
    return error_page(400, _("Please try again"),
                      _("This form has expired or was not sent from our page. Go back, reload the page "
                        "and send it again."))


@bp.errorhandler(429)
def too_many_requests(_error):
    return error_page(429, _("Too many attempts"),
                      _("Please try again in %(minutes)s minutes.", minutes=retry_minutes()))
