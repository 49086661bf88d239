"""Administrators set up dates: an office's dated hours (open a Saturday, close a weekday) and
the holiday calendar of a year (China's arrangement, corrections, a year not yet published).

The same path as setup_views.py: form -> setup data -> preview (dry run) -> confirmation.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..access import staff_key, staff_page
from ..extensions import db, limiter
from ..hall import queue
from ..hant import to_hant
from ..i18n import choose, request_lang
from ..models import HolidayDate, Office
from ..offices import china_calendar, hours
from ..offices.setup_file import WEEKDAYS, SetupError, fail
from . import bp, setup_changes, setup_forms
from .admin_views import admin_page
from .setup_views import PREVIEW_LIMIT, form_context, preview

CHINA = ZoneInfo("Asia/Shanghai")
EXCEPTION_FIELDS = {"from", "to", "services", "hours", "reason_zh", "reason_zh_hant", "reason_en"}


def regular_hours(entry: dict, day: dt.date, services: list[str]) -> str:
    """The weekly hours of that weekday of the first service chosen (or the office's first):
    where an exception that opens a date starts from."""
    chosen = [s for s in entry["services"] if s["code"] in services] or entry["services"][:1]
    return ", ".join(chosen[0].get("hours", {}).get(WEEKDAYS[day.weekday()], [])) if chosen else ""


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


def _exceptions_page(office: Office, entry: dict, values: dict, error: SetupError | None):
    services = {s["code"]: setup_changes._name(s) for s in entry["services"]}
    listed = [setup_changes.describe_exception(e, services) for e in entry["exceptions"]]
    return render_template("staff/setup_exceptions.html", office=office, services=services, listed=listed,
                           values=values, **form_context(error, EXCEPTION_FIELDS)), 422 if error else 200


@bp.route("/<office_code>/admin/exceptions", methods=["GET", "POST"])
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page("admin")
def setup_exceptions(office: Office):
    """The office's dated hours; a new one (?date=YYYY-MM-DD starts from that weekday's hours).
    "Use the regular hours" fills the hours in again; "Preview" goes to the preview."""
    entry = setup_forms.one_office(office.code)
    if request.method == "GET":
        day = _day(request.args.get("date")) or queue.today(office) + dt.timedelta(days=1)
        values = {"from": day.isoformat(), "to": "", "opens": "open", "hours": regular_hours(entry, day, [])}
        return _exceptions_page(office, entry, values, None)
    values = request.form.to_dict() | {"services": request.form.getlist("services")}
    if request.form.get("action") == "regular":
        day = _day(request.form.get("from"))
        values["hours"] = regular_hours(entry, day, values["services"]) if day else ""
        values["opens"] = "open"
        return _exceptions_page(office, entry, values, None)
    try:
        added = {**entry, "exceptions": [*entry["exceptions"], setup_forms.exception_entry(request.form)]}
        setup = setup_forms.checked([added])
        return preview(setup, request.path, _("Check before adding the dated hours"))
    except SetupError as error:
        return _exceptions_page(office, entry, values, error)


@bp.post("/<office_code>/admin/exceptions/<int:position>/remove")
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@staff_page("admin")
def setup_exception_remove(office: Office, position: int):
    """The preview of the office without one of its dated hours (by its place in the list)."""
    entry = setup_forms.one_office(office.code)
    if not 0 <= position < len(entry["exceptions"]):
        abort(404)
    kept = {**entry, "exceptions": [e for n, e in enumerate(entry["exceptions"]) if n != position]}
    return preview(setup_forms.checked([kept]), url_for("staff.setup_exceptions", office_code=office.code),
                   _("Check before removing the dated hours"))


# --- the holiday calendar of a year -----------------------------------------------------------------

def _corrections(year: int) -> dict[dt.date, bool]:
    return {row.day: row.closed for row in db.session.scalars(
        select(HolidayDate).where(HolidayDate.year == year).order_by(HolidayDate.day))}


def _calendar_rows(year: int, corrections: dict[dt.date, bool]) -> list[dict]:
    """The year's holidays and make-up working days as offices with holidays = "CN" keep them."""
    lang, rows = request_lang(), []
    for day in china_calendar.arrangements(dt.date(year, 1, 1), dt.date(year, 12, 31), hours.holiday_overrides()):
        if day.holiday is None and not day.makeup_workday and day.day not in corrections:
            continue
        name = (choose(lang, day.holiday.name_zh, day.holiday.name_en, to_hant(day.holiday.name_zh))
                if day.holiday else _("make-up working day") if day.makeup_workday else _("ordinary day"))
        rows.append({"day": day.day, "name": name, "closed": day.holiday is not None,
                     "correction": day.day in corrections, "published": day.published})
    return rows


def _holidays_page(year: int, values: dict, error: SetupError | None):
    corrections = _corrections(year)
    rows = _calendar_rows(year, corrections)
    return render_template("staff/setup_holidays.html", year=year, rows=rows, corrections=corrections,
                           published=any(r["published"] for r in rows) or bool(corrections), values=values,
                           **form_context(error, {"from", "to"})), 422 if error else 200


def _year_setup(year: int, days: dict[dt.date, bool]):
    """The year's corrections as a setup (setup_views.completed adds the offices they move)."""
    table = {"year": year, "closed": [d for d in sorted(days) if days[d]],
             "workdays": [d for d in sorted(days) if not days[d]]}
    return setup_forms.checked([], [table])


@bp.route("/admin/holidays/<int:year>", methods=["GET", "POST"])
@limiter.limit(PREVIEW_LIMIT, key_func=staff_key, methods=["POST"])
@admin_page
def setup_holidays(year: int):
    """A year's holiday calendar: the days in force, the corrections; add or remove one."""
    if not 2000 <= year <= 2100:
        abort(404)
    if request.method == "GET":
        return _holidays_page(year, {"closed": "closed"}, None)
    days = _corrections(year)
    try:
        if request.form.get("remove"):
            days.pop(_day(request.form.get("remove")), None)
        else:
            first, last = _day(request.form.get("from")), _day(request.form.get("to") or request.form.get("from"))
            if first is None or last is None or first.year != year or last.year != year:
                raise fail("holidays[0].from", "date")
            if not 0 <= (last - first).days <= 60:
                raise fail("holidays[0].to", "span", item=f"{first}/{last}")
            days.update({first + dt.timedelta(days=n): request.form.get("closed") != "worked"
                         for n in range((last - first).days + 1)})
        return preview(_year_setup(year, days), request.path, _("Check before changing the holiday calendar"))
    except SetupError as error:
        return _holidays_page(year, request.form.to_dict(), error)


@bp.get("/admin/holidays")
@admin_page
def setup_holidays_now():
    return redirect(url_for("staff.setup_holidays", year=dt.datetime.now(CHINA).year))
