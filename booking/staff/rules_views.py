"""Administrators: every office's services, their operational settings and health rules.

/staff/admin/services lists them; /staff/<office>/admin/service?service=<code> edits a
service's settings; /staff/<office>/admin/rules?service=<code> adds a version of its health
rules through booking.health.rules.update_rules (never an edit in place).

Forms are validated here, before anything touches the database, so values the database's
check constraints would refuse come back as messages beside their fields, never as a 500.
"""

from __future__ import annotations

import math

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, FloatField, IntegerField, RadioField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, ValidationError

from .. import audit, scheduling
from ..access import staff_page
from ..errors import BookingError
from ..extensions import db
from ..hant import to_hant
from ..health.rules import EDITABLE, current_rules, rules_history, update_rules
from ..i18n import request_lang
from ..models import HEALTH_CODES, PERSON_LIMITS, Office, Service, StaffUser
from ..offices import admin as office_admin
from ..uow import use_case
from . import bp
from .admin_views import admin_page

REQUIRED = _l("Please fill this in.")
MAX_PARTY = 10


class WholeNumber(IntegerField):
    """An integer field whose parse error is ours (translated), not WTForms' own."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None


class Decimal(FloatField):
    """A number such as 37.3; NaN and infinity are not numbers here."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Enter a number such as 37.3.")) from None
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(_("Enter a number such as 37.3."))


class ClockTime(TimeField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Enter a time such as 08:00.")) from None


def between(low, high):
    return NumberRange(low, high, message=_l("Enter a value from %(min)s to %(max)s."))


class ServiceForm(FlaskForm):
    """The settings of a service that shape bookings (the slots made after a change use them)."""

    # The booking API takes at most 10 visitors (its OpenAPI document, booking/api/citizen_spec.py):
    # no larger party is bookable.
    party_size_min = WholeNumber(validators=[InputRequired(REQUIRED), between(1, MAX_PARTY)])
    party_size_max = WholeNumber(validators=[InputRequired(REQUIRED), between(1, MAX_PARTY)])
    slot_max_bookings = WholeNumber(validators=[InputRequired(REQUIRED), between(1, 500)])
    slot_max_people = WholeNumber(validators=[InputRequired(REQUIRED), between(1, 2000)])
    booking_opens_days = WholeNumber(validators=[InputRequired(REQUIRED), between(0, 90)])
    booking_opens_at = ClockTime(validators=[InputRequired(REQUIRED)])
    booking_closes_hours = WholeNumber(validators=[InputRequired(REQUIRED), between(0, 168)])
    requires_confirmation = BooleanField()
    # One active booking per person: per local day, or whatever the day (marriage, divorce).
    person_limit = RadioField(choices=[SelectChoice("day", _l("One booking per person per day")),
                                       SelectChoice("service", _l("One active booking per person, whatever the day"))],
                              validators=[AnyOf(PERSON_LIMITS, message=REQUIRED)])  # absent: kept
    suspended = BooleanField()
    suspension_note_zh = StringField(validators=[Length(max=200, message=_l("At most %(max)d characters."))])
    suspension_note_zh_hant = StringField(validators=[Length(max=200, message=_l("At most %(max)d characters."))])
    suspension_note_en = StringField(validators=[Length(max=200, message=_l("At most %(max)d characters."))])
    bring_zh = TextAreaField(validators=[Length(max=2000, message=_l("At most %(max)d characters."))])
    bring_zh_hant = TextAreaField(validators=[Length(max=2000, message=_l("At most %(max)d characters."))])
    bring_en = TextAreaField(validators=[Length(max=2000, message=_l("At most %(max)d characters."))])

    def validate_party_size_max(self, field):
        low = self.party_size_min.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_("Must not be below the smallest party size."))

    def validate_slot_max_people(self, field):
        biggest = self.party_size_max.data
        if field.data is not None and biggest is not None and field.data < biggest:
            raise ValidationError(_("A slot must hold at least the largest party."))

    def validate_suspension_note_zh(self, field):
        # Citizens are told why in their language; a suspension without a reason helps nobody.
        if self.suspended.data and not (field.data or "").strip():
            raise ValidationError(_("Say why, for citizens reading Chinese."))

    def validate_suspension_note_en(self, field):
        if self.suspended.data and not (field.data or "").strip():
            raise ValidationError(_("Say why, for citizens reading English."))


SERVICE_FIELDS = ("party_size_min", "party_size_max", "slot_max_bookings", "slot_max_people",
                  "booking_opens_days", "booking_opens_at", "booking_closes_hours",
                  "requires_confirmation", "person_limit", "suspended", "suspension_note_zh",
                  "suspension_note_zh_hant", "suspension_note_en", "bring_zh", "bring_zh_hant", "bring_en")
TEXT_FIELDS = ("suspension_note_zh", "suspension_note_zh_hant", "suspension_note_en", "bring_zh", "bring_zh_hant",
               "bring_en")
# The Traditional beside a Chinese text: drafted with OpenCC when left empty (editable afterwards).
HANT_DRAFTS = {"suspension_note_zh_hant": "suspension_note_zh", "bring_zh_hant": "bring_zh"}
CAPACITY_FIELDS = ("party_size_max", "slot_max_bookings", "slot_max_people")


class RulesForm(FlaskForm):
    """The health-rule settings an administrator may change (booking.health.rules.EDITABLE)."""

    window_opens_hours = WholeNumber(validators=[InputRequired(REQUIRED), between(*EDITABLE["window_opens_hours"][1:])])
    lookback_days = WholeNumber(validators=[InputRequired(REQUIRED), between(*EDITABLE["lookback_days"][1:])])
    temperature_limit_c = Decimal(validators=[InputRequired(REQUIRED), between(*EDITABLE["temperature_limit_c"][1:])])
    nat_max_hours = WholeNumber(validators=[InputRequired(REQUIRED), between(*EDITABLE["nat_max_hours"][1:])])
    ask_symptoms = BooleanField()
    ask_risk_area_travel = BooleanField()
    ask_case_contact = BooleanField()
    ask_health_code = BooleanField()
    ask_temperature = BooleanField()
    nat_required = BooleanField()
    # accepted_health_codes, one box per colour (HEALTH_CODES)
    accept_green = BooleanField()
    accept_yellow = BooleanField()
    accept_red = BooleanField()

    @property
    def accepted_codes(self) -> list[str]:
        return [c for c in HEALTH_CODES if getattr(self, f"accept_{c}").data]

    def validate_accept_red(self, field):
        if not self.accepted_codes:
            raise ValidationError(_("Accept at least one health-code colour."))


RULE_FIELDS = tuple(EDITABLE)


def _service_of(office: Office) -> Service:
    """The office's service named by ?service=<code>, else 404.

    The language links of the staff pages replace the query string (?lang=en), so the
    service last opened here is remembered for a URL that names none."""
    code = request.args.get("service")
    remembered = session.get("admin_service") or ["", ""]
    if not code and remembered[0] == office.code:
        code = remembered[1]
    code = str(code or "")[:40]
    service = scheduling.office_service(office, code)
    if service is None:
        abort(404)
    session["admin_service"] = [office.code, service.code]
    return service


def _text(value) -> str:
    return (value or "").strip()


@use_case
def save_service_settings(service: Service, form: ServiceForm, staff_user) -> dict:
    """Apply a validated form to the service, with an audit event of what changed. A use case.

    Returns the changes as {field: [old, new]} (empty when nothing changed: nothing written)."""
    changes = {}
    for name in SERVICE_FIELDS:
        new = getattr(form, name).data
        new = _text(new) if name in TEXT_FIELDS else new
        if name in HANT_DRAFTS and not new:
            new = to_hant(_text(getattr(form, HANT_DRAFTS[name]).data))
        old = getattr(service, name)
        if old != new:
            changes[name] = [old, new]
            setattr(service, name, new)
    if changes:
        audit.record("service_settings_changed", actor="staff", staff_user_id=staff_user.id,
                     office_id=service.office_id, service=service.code, changes=changes)
    if any(name in changes for name in CAPACITY_FIELDS):  # slots already made follow at once
        office_admin.apply_capacity(service)
    return changes


@bp.get("/admin/services")
@admin_page
def services_page():
    """Every office with its services, linking to their settings and health rules."""
    offices = db.session.scalars(select(Office).order_by(Office.code)).all()
    services = db.session.scalars(select(Service).order_by(Service.office_id, Service.code)).all()
    by_office = {o.id: [s for s in services if s.office_id == o.id] for o in offices}
    return render_template("staff/services.html", offices=offices, by_office=by_office)


@bp.route("/<office_code>/admin/service", methods=["GET", "POST"])
@staff_page("admin")
def service_settings(office: Office):
    """A service's operational settings; errors show beside their fields and change nothing."""
    service = _service_of(office)
    form = ServiceForm(obj=service)
    if form.validate_on_submit():
        changes = save_service_settings(service, form, current_user)
        flash(_("Settings of %(name)s saved.", name=service.name(request_lang())) if changes
              else _("Nothing changed."), "ok")
        return redirect(url_for("staff.service_settings", office_code=office.code, service=service.code))
    status = 422 if form.errors else 200
    return render_template("staff/service_settings.html", office=office, service=service, form=form), status


@bp.route("/<office_code>/admin/rules", methods=["GET", "POST"])
@staff_page("admin")
def health_rules_page(office: Office):
    """A service's health rules: a change adds a version; every version is listed."""
    service = _service_of(office)
    current = current_rules(service)
    form = RulesForm(data={name: getattr(current, name) for name in RULE_FIELDS
                           if name != "accepted_health_codes"}
                     | {f"accept_{c}": c in current.accepted_codes for c in HEALTH_CODES})
    if form.validate_on_submit():
        changes = _rule_changes(form, current)
        if not changes:
            flash(_("Nothing changed."), "ok")
        else:
            try:
                rules = update_rules(service, changes, current_user)
            except BookingError as error:
                flash(error.message(request_lang()), "error")
            else:
                flash(_("Version %(n)d of the rules is in force.", n=rules.version), "ok")
                return redirect(url_for("staff.health_rules_page", office_code=office.code, service=service.code))
    status = 422 if form.errors else 200
    history = rules_history(service)
    authors = {r.created_by_id for r in history if r.created_by_id}
    by_names = {u.id: u.username for u in db.session.scalars(select(StaffUser).where(StaffUser.id.in_(authors)))}
    code_names = {"green": _("Green"), "yellow": _("Yellow"), "red": _("Red")}
    return render_template("staff/rules.html", office=office, service=service, form=form, current=current,
                           history=history, by_names=by_names, code_names=code_names), status


def _rule_changes(form: RulesForm, current) -> dict:
    """Only the settings that differ from the rules in force (the audit says what changed)."""
    changes = {}
    for name in RULE_FIELDS:
        if name == "accepted_health_codes":
            if form.accepted_codes != list(current.accepted_codes):
                changes[name] = form.accepted_codes
        elif (new := getattr(form, name).data) != getattr(current, name):
            changes[name] = new
    return changes
