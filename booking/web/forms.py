"""Forms of the citizen pages (Flask-WTF: CSRF on each; the rules themselves live in the domain)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from ..i18n import LANGUAGES, NAMES
from ..models import ID_TYPES

# In plain words, as the cards call themselves (docs/contract.md names the types).
ID_TYPE_LABELS = {
    "resident_id": _l("Resident identity card (mainland China)"),
    "residence_permit": _l("Residence permit for Hong Kong, Macao and Taiwan residents"),
    "hk_mo_permit": _l("Travel permit for Hong Kong and Macao residents (Home Return Permit)"),
    "tw_permit": _l("Travel permit for Taiwan residents (Taiwan Compatriot Permit)"),
    "foreign_permanent_id": _l("Foreigner's permanent residence ID card"),
    "passport": _l("Passport"),
}
MAX_VISITORS = 20  # far above any service's party; bounds what a crafted form can make us do


class VisitorEntry(Form):
    """One visitor: a sub-form without its own CSRF token (the page's form carries it)."""

    name = StringField(_l("Full name"))
    id_type = SelectField(_l("Identity document"), choices=[SelectChoice(t, ID_TYPE_LABELS[t]) for t in ID_TYPES],
                          validate_choice=False)
    id_number = StringField(_l("Document number"))


class BookingForm(FlaskForm):
    """Visitors, phone and language, the phone's verification, and the party size."""

    people = HiddenField()
    visitors = FieldList(FormField(VisitorEntry), max_entries=MAX_VISITORS)
    phone = StringField(_l("Mobile number"))
    lang = SelectField(_l("Language of the text messages"),
                       choices=[SelectChoice(code, NAMES[code]) for code in LANGUAGES], validate_choice=False)
    verification_id = HiddenField()
    code = StringField(_l("Verification code"))

    def size_to(self, count: int) -> None:
        """Show exactly `count` visitor entries, keeping what was typed in the first ones."""
        while len(self.visitors) < count:
            self.visitors.append_entry()
        while len(self.visitors) > count:
            self.visitors.pop_entry()

    def visitor_data(self) -> list[dict]:
        return [{"name": entry.form.name.data or "", "id_type": entry.form.id_type.data or "",
                 "id_number": entry.form.id_number.data or ""} for entry in self.visitors]


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (cancel)."""


class RescheduleForm(FlaskForm):
    slot_id = HiddenField()
