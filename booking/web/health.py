"""Health-declaration pages for citizens, from the link in the text message:
/bookings/<reference>/health?token=… (each visitor's status) and
/bookings/<reference>/health/<position>?token=… (one visitor's short form).

Thin: the form is turned into the API's shape and handed to health.declare, so the pages and
the API judge exactly alike.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from .. import bookings, health, scheduling
from ..errors import BookingError, NotFound
from ..extensions import limiter
from ..health.judge import asked
from ..i18n import day_text, local_time, request_lang
from ..links import manage_url
from ..models import Booking, utcnow
from . import bp
from .pages import path_of

YES_NO = [("no", _l("No")), ("yes", _l("Yes"))]
HEALTH_CODES = [("green", _l("Green")), ("yellow", _l("Yellow")), ("red", _l("Red"))]
LATER_DAYS = 3  # free days offered for a reschedule after a failed declaration


class DeclarationForm(FlaskForm):
    """One visitor's answers; CSRF from Flask-WTF, the rules from booking.health."""

    # Radio groups and labels are written in the template, where the rules' numbers are known;
    # the values are checked by the domain (booking.health.parsing), as for the API.
    symptoms = StringField()
    risk_area_travel = StringField()
    case_contact = StringField()
    health_code = StringField()
    temperature_c = StringField()
    nat_negative_at = StringField()
    truthful = BooleanField()

    def fill_from(self, declaration, tz) -> None:
        """Show the answers of the visitor's latest declaration, for a correction."""
        for name in ("symptoms", "risk_area_travel", "case_contact"):
            value = getattr(declaration, name)
            if value is not None:
                getattr(self, name).data = "yes" if value else "no"
        self.health_code.data = declaration.health_code
        if declaration.temperature_c is not None:
            self.temperature_c.data = f"{declaration.temperature_c:g}"
        if declaration.nat_negative_at is not None:
            self.nat_negative_at.data = declaration.nat_negative_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")

    def as_declaration(self, position: int, questions: tuple[str, ...]) -> dict:
        """The form in the API's shape; unanswered questions stay out (the domain says so)."""
        raw: dict = {"visitor": position}
        for name in questions:
            value = getattr(self, name).data
            if name in ("symptoms", "risk_area_travel", "case_contact"):
                if value in ("yes", "no"):
                    raw[name] = value == "yes"
            elif name == "nat_negative_at":
                raw[name] = value.strip() or None if isinstance(value, str) else None
            elif value:
                raw[name] = value
        return raw


def _load(reference: str) -> tuple[Booking, str]:
    token = request.args.get("token", "")
    try:
        return bookings.find_booking(reference, token), token
    except NotFound:
        abort(404)


def _page(template: str, status: int = 200, **context):
    # The address carries the token: keep it out of caches and Referer headers.
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def window_state(booking: Booking, rules, now: dt.datetime) -> tuple[str, dict]:
    """open, not_open or closed, with the error's message when it is not open."""
    try:
        health.check_window(booking, rules, now)
    except BookingError as error:
        state = "not_open" if isinstance(error, health.DeclarationNotOpen) else "closed"
        return state, {"message": error.message(request_lang())}
    return "open", {}


def later_days(booking: Booking, now: dt.datetime) -> list[str]:
    """The next few days after the visit with room for this party, for a free reschedule."""
    office = booking.office
    first = scheduling.local_day(office, booking.slot.starts_at) + dt.timedelta(days=1)
    found: list[dt.date] = []
    for item in scheduling.availability(booking.service, first, first + dt.timedelta(days=14), now):
        day = scheduling.local_day(office, item.slot.starts_at)
        if item.remaining_people >= booking.party_size and day not in found:
            found.append(day)
    lang = request_lang()
    return [day_text(day, lang) for day in found[:LATER_DAYS]]


@bp.get("/bookings/<reference>/health")
@limiter.limit("120 per hour")
def health_overview(reference: str):
    """Each visitor's health-declaration status, and what to do next."""
    booking, token = _load(reference)
    now, lang = utcnow(), request_lang()
    rules = health.current_rules(booking.service)
    statuses = health.visitor_statuses(booking, now)
    failed = any(s.state == "failed" for s in statuses)
    state, window = window_state(booking, rules, now)
    return _page(
        "health/overview.html", lang=lang, booking=booking, token=token, statuses=statuses,
        office=booking.office, service=booking.service, state=state, window=window,
        when=local_time(booking.slot.starts_at, booking.office, lang),
        closes=local_time(health.declaration_window(booking, rules).closes_at, booking.office, lang),
        cleared=all(s.state == "cleared" for s in statuses), failed=failed,
        manage=path_of(manage_url(booking.reference, bookings.manage_token(booking))),
        reschedule=url_for("web.reschedule", reference=booking.reference,
                           token=bookings.manage_token(booking)),
        later=later_days(booking, now) if failed and booking.is_active else [],
        tz=booking.office.tz)


def _field_errors(error: health.DeclarationInvalid) -> dict[str, str]:
    """declarations.0.temperature_c -> temperature_c: the form has one visitor."""
    return {path.rsplit(".", 1)[-1]: text for path, text in error.fields(request_lang()).items()}


def _check(raw: list, rules, booking: Booking) -> dict[str, str]:
    """Every problem with the answers at once (nothing is written here)."""
    try:
        health.parse_declarations(raw, rules, booking, utcnow())
    except health.DeclarationInvalid as error:
        return _field_errors(error)
    return {}


@bp.route("/bookings/<reference>/health/<int:position>", methods=["GET", "POST"])
@limiter.limit("120 per hour", methods=["GET"])
@limiter.limit("30 per hour", methods=["POST"])
def health_form(reference: str, position: int):
    """One visitor's declaration: shown, judged, and corrected as often as the window allows."""
    booking, token = _load(reference)
    visitor = next((v for v in booking.visitors if v.position == position), None)
    if visitor is None:
        abort(404)
    rules = health.current_rules(booking.service)
    questions = asked(rules)
    form = DeclarationForm()
    errors: dict[str, str] = {}
    overview = url_for("web.health_overview", reference=booking.reference, token=token)
    if form.validate_on_submit():
        raw = [form.as_declaration(position, questions)]
        errors = _check(raw, rules, booking)
        if not form.truthful.data:
            errors["truthful"] = _("Please confirm that your answers are true.")
        if not errors:
            try:
                health.declare(booking, raw, source="web")
            except health.DeclarationInvalid as error:
                errors = _field_errors(error)
            except BookingError as error:  # the window closed or the booking changed meanwhile
                flash(error.message(request_lang()), "warn")
                return redirect(overview)
            else:
                return redirect(overview + f"#visitor-{position}")
    elif request.method == "POST":
        errors["form"] = _("The form expired. Please send it again.")
    else:
        latest = health.latest_declarations(booking).get(visitor.id)
        if latest is not None and latest.purged_at is None and latest.visit_at == booking.slot.starts_at:
            form.fill_from(latest, booking.office.tz)
    state, window = window_state(booking, rules, utcnow())
    lang = request_lang()
    nat_after = booking.slot.starts_at - dt.timedelta(hours=rules.nat_max_hours)
    return _page(
        "health/form.html", 422 if errors else 200, lang=lang, booking=booking, token=token, visitor=visitor, form=form,
        rules=rules, questions=questions, yes_no=YES_NO, health_codes=HEALTH_CODES, errors=errors,
        state=state, window=window,
        overview=overview, office=booking.office, service=booking.service,
        when=local_time(booking.slot.starts_at, booking.office, lang),
        nat_after=local_time(nat_after, booking.office, lang),
        nat_max=dt.datetime.now(booking.office.tz).strftime("%Y-%m-%dT%H:%M"))
