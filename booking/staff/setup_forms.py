"""The administrator's setup forms as setup-file data, and back (no database writes here).

A form's fields become the office's (or region's) entry of a setup file (the shape tomllib gives
booking/offices/setup_file.py), which `setup_file.check` then checks by the same rules as a file:
a refusal names the key, and `field_of` finds the form field beside which it is shown. An
office's entry comes from `setup.export`, so an edit starts from what is in force.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from ..bureau.regions import region_tree, walk
from ..hant import to_hant
from ..i18n import request_lang
from ..models import Region
from ..offices import hours, setup_file
from ..offices import setup as office_setup
from ..offices.setup_file import OFFICE_KEYS, REGION_KEYS, SERVICE_KEYS, WEEKDAYS, Setup, SetupError

TEXT_HANT = {"name_zh": "name_zh_hant", "address_zh": "address_zh_hant", "bring_zh": "bring_zh_hant",
             "reason_zh": "reason_zh_hant"}
BY_KIND = ("party_size_min", "party_size_max", "person_limit")


def office_data(codes: list[str]) -> list[dict]:
    """The offices' entries as a setup file has them."""
    offices = office_setup.export(codes).offices
    return setup_file.to_data(Setup(offices=offices))["offices"]


def one_office(code: str) -> dict:
    return office_data([code])[0]


def region_data() -> list[dict]:
    """Every region's entry as a setup file has it (all keys, "" for no parent)."""
    return office_setup.export([]).regions


def one_region(code: str) -> dict:
    return next(entry for entry in region_data() if entry["code"] == code)


def region_choices(leave_out: Region | None = None) -> dict[str, str]:
    """{code: its names from the top region down, "四川省 › 成都市"} of every region in the
    tree's order, as a select offers them; without `leave_out` and the regions below it (a
    region cannot lie inside itself)."""
    lang = request_lang()
    return {node.region.code: " › ".join(region.name(lang) for region in node.path)
            for node in walk(region_tree()) if leave_out is None or leave_out not in node.path}


def periods(text: str | None) -> list[str]:
    """"09:00-12:00，13:30–17:00" -> ["09:00-12:00", "13:30-17:00"] (commas, 、, spaces; any dash)."""
    return hours.typed_periods(text)


def _value(kind: str, raw: str | None) -> Any:
    raw = str(raw or "").strip()
    if kind == "int":
        return int(raw) if re.fullmatch(r"\d{1,9}", raw) else raw
    if kind == "bool":
        return raw in ("1", "on", "yes", "true")
    if kind == "counters":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    return raw


def _entry(form: MultiDict, keys: dict, skip: tuple[str, ...]) -> dict:
    entry = {name: _value(spec[0], form.get(name)) for name, spec in keys.items()
             if name not in skip and (name in form or spec[0] == "bool")}
    for zh, hant in TEXT_HANT.items():  # the OpenCC draft, as setup.apply would make it
        if entry.get(zh) and not entry.get(hant):
            entry[hant] = to_hant(entry[zh])
    return entry


def office_entry(form: MultiDict, current: dict | None) -> dict:
    """The office's new entry: the form's values over `current` (its services and dates kept)."""
    entry = {"services": [], "exceptions": [], **(current or {})}
    entry.update(_entry(form, OFFICE_KEYS, ("code",) if current else ()))
    return entry


def region_entry(form: MultiDict, current: dict | None) -> dict:
    """A region's new entry: the form's names and parent over `current` (its code kept)."""
    return {**(current or {}), **_entry(form, REGION_KEYS, ("code",) if current else ())}


def service_entry(form: MultiDict, current: dict | None) -> dict:
    """A service's new entry from its form; `current` keeps its code and kind."""
    entry = _entry(form, SERVICE_KEYS, ("hours", "code", "kind") if current else ("hours",))
    for name in BY_KIND:  # left empty: as the kind suggests (setup_file._service)
        if entry.get(name) == "":
            del entry[name]
    if current:
        entry.update(code=current["code"], kind=current["kind"])
    entry["hours"] = {day: found for day in WEEKDAYS if (found := periods(form.get(f"hours_{day}")))}
    return entry


def with_service(office: dict, service: dict) -> dict:
    """The office's entry with `service` put in place of the one of its code, or added last."""
    services = [service if s["code"] == service.get("code") else s for s in office.get("services", [])]
    if not any(s["code"] == service.get("code") for s in office.get("services", [])):
        services.append(service)
    return {**office, "services": services}


def exception_entry(form: MultiDict) -> dict:
    """A dated-hours entry from its form: a date or a range, the services ticked (none: all),
    the hours when it opens ([] when it closes), the reasons."""
    first, last = (form.get("from") or "").strip(), (form.get("to") or "").strip()
    entry: dict[str, Any] = {"dates": [first]} if not last or last == first else {"from": first, "to": last}
    if form.getlist("services"):
        entry["services"] = sorted(set(form.getlist("services")))
    entry["hours"] = periods(form.get("hours")) if form.get("opens") != "closed" else []
    entry.update(_entry(form, dict.fromkeys(("reason_zh", "reason_zh_hant", "reason_en"), ("text",)), ()))
    return entry


def checked(offices: list[dict], holidays: list[dict] | None = None, regions: list[dict] | None = None) -> Setup:
    """The setup of these entries, checked as a file is; SetupError naming the key."""
    return setup_file.check({"offices": offices, **({"holidays": holidays} if holidays else {}),
                             **({"regions": regions} if regions else {})})


def form_values(entry: dict | None, keys: dict) -> dict[str, str]:
    """An entry's values as the form shows them (the Traditional Chinese drafted when empty)."""
    entry = entry or {}
    values: dict[str, Any] = {}
    for name, (kind, default, _low, _high) in keys.items():
        value = entry.get(name, default)
        if kind == "counters":
            values[name] = "\n".join(value or [])
        elif kind == "hours":
            values.update({f"hours_{day}": ", ".join((value or {}).get(day, [])) for day in WEEKDAYS})
        elif kind == "bool":
            values[name] = bool(value)
        else:
            values[name] = "" if value is None else str(value)
    for zh, hant in TEXT_HANT.items():
        if values.get(zh) and not values.get(hant):
            values[hant] = to_hant(values[zh])
    return values


def field_of(error: SetupError) -> str:
    """The form field a refusal belongs beside: "offices[0].services[1].hours.sat" -> "hours_sat",
    "offices[0].exceptions[2].dates" -> "from"; "" when no field matches."""
    found = re.search(r"(?:^|\.)([a-z_]+)(?:\.(mon|tue|wed|thu|fri|sat|sun))?$", error.key)
    if not found:
        return "from" if re.search(r"exceptions\[\d+\]$", error.key) else ""
    name, day = found.groups()
    return f"hours_{day}" if day else {"dates": "from", "services": "services"}.get(name, name)
