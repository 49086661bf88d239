"""The declaration questions as a clerk asks them at the door (walk-ins, and visitors without
a smartphone): nothing preselected, an unanswered question stays unanswered (None), and the
health rules then ask for it in the clerk's language."""

from __future__ import annotations

import datetime as dt

from flask import flash, request
from flask_babel import gettext as _

from ..health import DeclarationInvalid, current_rules
from ..health.judge import asked
from ..models import Office, Service

ANSWERS = {"yes": True, "no": False}


def questions(service: Service) -> dict:
    """For the form: `asked`, the questions the service's current rules ask (in the order the
    form shows them), and `lookback`, the days the symptom, travel and contact questions cover."""
    rules = current_rules(service)
    return {"asked": asked(rules), "lookback": rules.lookback_days}


def _answer(name: str) -> bool | None:
    return ANSWERS.get(request.form.get(name) or "")


def _nat_time(value: str | None, office: Office) -> str | None:
    """A local datetime-local value as an ISO time with the office's offset (None if empty)."""
    try:
        moment = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return value  # the health rules answer with a clear message
    return moment.replace(tzinfo=office.tz).isoformat() if moment else None


def read_declaration(row: int, position: int, office: Office, temperature=None) -> dict:
    """One visitor's answers from form fields suffixed with `row`, as the contract's shape."""
    measured = temperature if temperature is not None else request.form.get(f"temperature{row}")
    return {
        "visitor": position, "temperature_c": measured,
        "symptoms": _answer(f"symptoms{row}"), "risk_area_travel": _answer(f"travel{row}"),
        "case_contact": _answer(f"contact{row}"),
        "health_code": request.form.get(f"health_code{row}") or None,
        "nat_negative_at": _nat_time(request.form.get(f"nat{row}"), office),
    }


def question_names() -> dict[str, str]:
    return {"temperature_c": _("temperature"), "health_code": _("health code"),
            "nat_negative_at": _("nucleic-acid test"), "symptoms": _("symptoms"),
            "risk_area_travel": _("risk areas"), "case_contact": _("contact with a case"),
            "visitor": _("visitor")}


def report_problems(error: DeclarationInvalid, lang: str, first: int = 1) -> None:
    """Flash the error, then each unanswered or wrong answer as "Visitor 2, health code: …"."""
    flash(error.message(lang), "error")
    names = question_names()
    for path, message in sorted(error.fields(lang).items()):
        parts = path.split(".")
        if len(parts) == 3 and parts[1].isdigit():
            flash(_("Visitor %(n)d, %(question)s: %(message)s", n=int(parts[1]) + first,
                    question=names.get(parts[2], parts[2]), message=message), "error")
        else:
            flash(message, "error")
