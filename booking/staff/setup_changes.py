"""What a setup changes, field by field and in the reader's words, for the preview page:
the entries in force (setup-file data, booking/staff/setup_forms.py) against the new setup.
Regions are named in the reader's language wherever a region or a parent is shown."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _

from ..i18n import choose, request_lang
from ..offices import china_calendar
from ..offices.setup_file import OFFICE_KEYS, REGION_KEYS, SERVICE_KEYS, WEEKDAYS, Setup, to_data
from . import setup_words

NOTHING = "—"
PLACES = ("region", "parent")  # keys whose value is a region's code


@dataclass(frozen=True)
class Change:
    """One line of the preview: in `subject`, `field` goes from `before` to `after`."""

    subject: str
    field: str
    before: str
    after: str


def _name(entry: dict) -> str:
    return choose(request_lang(), entry.get("name_zh", ""), entry.get("name_en", ""),
                  entry.get("name_zh_hant", "")) or entry.get("code", "")


def _show(name: str, value, regions: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    if name in PLACES:
        return regions.get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return setup_words.choice_names().get(name, {}).get(value, str(value))


def _fields(subject: str, keys, before: dict, after: dict, regions: dict[str, str]) -> list[Change]:
    labels = setup_words.labels()
    return [Change(subject, labels.get(name, name), _show(name, before.get(name), regions),
                   _show(name, after.get(name), regions))
            for name in keys if before.get(name) != after.get(name)]


def _hours(subject: str, before: dict, after: dict) -> list[Change]:
    days = setup_words.weekday_names()
    return [Change(subject, days[day], _show("hours", before.get(day), {}) if before.get(day) else _("closed"),
                   _show("hours", after.get(day), {}) if after.get(day) else _("closed"))
            for day in WEEKDAYS if before.get(day) != after.get(day)]


def describe_exception(entry: dict, services: dict[str, str]) -> str:
    """"2027-05-20 · 结婚登记 · 09:00-12:00、13:00-16:00 · 5·20 特别开放"."""
    dates = "、".join(str(d) for d in entry["dates"]) if "dates" in entry else f"{entry['from']} – {entry['to']}"
    which = "、".join(services.get(code, code) for code in entry.get("services", [])) or _("every service")
    hours = "、".join(entry["hours"]) if entry["hours"] else _("closed")
    reason = choose(request_lang(), entry.get("reason_zh", ""), entry.get("reason_en", ""),
                    entry.get("reason_zh_hant", ""))
    return " · ".join(part for part in (dates, which, hours, reason) if part)


def _exceptions(office: dict, before: list[dict], after: list[dict]) -> list[Change]:
    services = {s["code"]: _name(s) for s in office["services"]}
    old = Counter(describe_exception(e, services) for e in before)
    new = Counter(describe_exception(e, services) for e in after)
    subject = _("Dated hours of %(office)s", office=_name(office))
    return ([Change(subject, _("removed"), text, NOTHING) for text in (old - new).elements()]
            + [Change(subject, _("added"), NOTHING, text) for text in (new - old).elements()])


def _region(before: dict | None, after: dict, regions: dict[str, str]) -> list[Change]:
    subject = _("Region %(name)s", name=_name(after))
    rows = _fields(subject, [k for k in REGION_KEYS if k != "code"], before or dict.fromkeys(REGION_KEYS, ""),
                   after, regions)
    return rows if before else [Change(subject, _("new region"), NOTHING, after["code"]), *rows]


def _office(before: dict | None, after: dict, regions: dict[str, str]) -> list[Change]:
    before = before or {}
    rows = _fields(_("Office %(name)s", name=_name(after)), [k for k in OFFICE_KEYS if k != "code"], before, after,
                   regions)
    if not before:
        rows.insert(0, Change(_("Office %(name)s", name=_name(after)), _("new office"), NOTHING, after["code"]))
    old = {s["code"]: s for s in before.get("services", [])}
    for service in after["services"]:
        prior = old.get(service["code"], {})
        subject = _("Service %(name)s", name=_name(service))
        if not prior:
            rows.append(Change(subject, _("new service"), NOTHING, service["code"]))
        rows += _fields(subject, [k for k in SERVICE_KEYS if k not in ("code", "hours")], prior, service, {})
        rows += _hours(subject, prior.get("hours", {}), service.get("hours", {}))
    return rows + _exceptions(after, before.get("exceptions", []), after["exceptions"])


def _day_word(closed: bool | None) -> str:
    return NOTHING if closed is None else (_("closed (holiday)") if closed else _("worked (make-up working day)"))


def _holidays(year: int, before: dict[dt.date, bool], after: dict[dt.date, bool]) -> list[Change]:
    subject = _("Holiday calendar %(year)s", year=year)
    return [Change(subject, day.isoformat(), _day_word(before.get(day)), _day_word(after.get(day)))
            for day in sorted(set(before) | set(after)) if before.get(day) != after.get(day)]


def differences(offices_before: list[dict], holidays_before: dict[int, dict[dt.date, bool]], setup: Setup,
                regions_before: list[dict] = ()) -> list[Change]:
    """Every field the setup changes: regions (a new one, names, parent), offices and services by
    code, dated hours, holiday days. `regions_before`: the regions in force (setup.export's),
    needed when the setup names regions, and to name an office's region."""
    old_regions = {entry["code"]: entry for entry in regions_before}
    regions = {entry["code"]: _name(entry) for entry in [*regions_before, *setup.regions]}
    rows = [row for region in setup.regions for row in _region(old_regions.get(region["code"]), region, regions)]
    old = {entry["code"]: entry for entry in offices_before}
    rows += [row for office in to_data(setup).get("offices", [])
             for row in _office(old.get(office["code"]), office, regions)]
    for year, days in sorted(setup.holidays.items()):
        rows += _holidays(year, holidays_before.get(year, {}), days)
    return rows


def law_days_left_open(setup: Setup) -> list[dt.date]:
    """The days fixed by law that a year's table leaves open: a table publishes a year that has
    no built-in arrangement, so a law-fixed day it does not close is a working day."""
    return sorted(day for year, days in setup.holidays.items() if year not in china_calendar.BUILTIN_YEARS
                  for day in china_calendar.law_fixed_days(year) if not days.get(day))
