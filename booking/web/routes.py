"""Citizen pages: the home page, liveness."""

import datetime as dt

from flask import jsonify, render_template
from flask_babel import get_locale
from sqlalchemy import select, text

from .. import scheduling
from ..extensions import db
from ..models import Office, utcnow
from . import bp

HOME_DAYS = 14


def next_free_days(service, today: dt.date, count: int = 3) -> list[dt.date]:
    """The first local days, from today on, with a place a party of the smallest size can take."""
    found = []
    for item in scheduling.availability(service, today, today + dt.timedelta(days=HOME_DAYS)):
        day = scheduling.local_day(service.office, item.slot.starts_at)
        if item.remaining_bookings > 0 and day not in found:
            found.append(day)
    return found[:count]


@bp.get("/")
def home():
    lang = str(get_locale())
    offices = db.session.scalars(select(Office).order_by(Office.id)).all()
    now = utcnow()
    listing = [
        (office, [(service, next_free_days(service, scheduling.local_day(office, now)))
                  for service in office.services])
        for office in offices
    ]
    return render_template("home.html", listing=listing, lang=lang)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", never a 500 page
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
