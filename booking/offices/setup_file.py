"""The setup file: regions, offices, services, weekly hours, dated exceptions and holiday
arrangements as TOML (docs/contract.md, "Setting up offices"), read into plain values checked
key by key, and written back the same way.

`read(text)` gives a Setup or raises SetupError naming the key ("offices[0].services[1].slot_minutes")
and, for a TOML syntax error, the line. `render(setup)` writes the TOML that reads back equal.
Nothing here touches the database: booking/offices/setup.py applies a Setup.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from ..models import HOLIDAY_CALENDARS, SERVICE_KINDS, default_person_limit
from .hours import PeriodError, check_periods, format_period, parse_period
from .setup_errors import SetupError, fail  # noqa: F401 (callers catch SetupError from here)

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_EXCEPTION_DAYS = 400
MAX_COUNTERS = 30


# name -> (kind, default, low, high); kind: text (one line, max chars), long (text), int, bool, time
def _text(limit, default=None):
    return ("text", default, 0, limit)


def _int(default, low, high):
    return ("int", default, low, high)


REGION_KEYS = {"code": ("code", None, 0, 0), "name_zh": _text(120), "name_zh_hant": _text(120, ""),
               "name_en": _text(120), "parent": ("ref", "", 0, 0)}
OFFICE_KEYS = {
    "code": ("code", None, 0, 0), "region": ("ref", "", 0, 0),
    "name_zh": _text(120), "name_zh_hant": _text(120, ""), "name_en": _text(120),
    "address_zh": _text(200), "address_zh_hant": _text(200, ""), "address_en": _text(200),
    "timezone": ("zone", "Asia/Shanghai", 0, 0), "hall_limit": _int(30, 1, 100000),
    "stay_limit_minutes": _int(30, 1, 1440), "checkin_opens_minutes": _int(30, 0, 1440),
    "counters": ("counters", [], 0, 0), "holidays": ("choice", "CN", 0, 0),
}
SERVICE_KEYS = {
    "code": ("code", None, 0, 0), "kind": ("choice", None, 0, 0),
    "name_zh": _text(120), "name_zh_hant": _text(120, ""), "name_en": _text(120),
    "bring_zh": ("long", "", 0, 2000), "bring_zh_hant": ("long", "", 0, 2000), "bring_en": ("long", "", 0, 2000),
    "party_size_min": _int(None, 1, 50), "party_size_max": _int(None, 1, 50),
    "slot_minutes": _int(30, 5, 720), "slot_max_bookings": _int(5, 1, 1000),
    "slot_max_people": _int(10, 1, 5000), "booking_opens_days": _int(7, 0, 366),
    "booking_opens_at": ("time", "08:00", 0, 0), "booking_closes_hours": _int(2, 0, 720),
    "requires_confirmation": ("bool", False, 0, 0), "person_limit": ("choice", None, 0, 0),
    "assisted_reserve": _int(0, 0, 1000), "assisted_release_hours": _int(24, 0, 720),
    "no_show_limit": _int(0, 0, 100), "no_show_window_days": _int(30, 1, 366),
    "no_show_bar_days": _int(15, 1, 366), "arrival_windows": _int(1, 1, 24),
    "hours": ("hours", {}, 0, 0),
}
EXCEPTION_KEYS = {"dates": None, "from": None, "to": None, "services": None, "hours": None,
                  "reason_zh": _text(200, ""), "reason_zh_hant": _text(200, ""), "reason_en": _text(200, "")}
CHOICES = {"holidays": HOLIDAY_CALENDARS, "kind": SERVICE_KINDS, "person_limit": ("day", "service")}


@dataclass
class Exception_:
    """Dated hours: `first`..`last`, for `services` (codes; empty: all), `hours` ([] closes)."""

    first: dt.date
    last: dt.date
    services: list[str]
    hours: list[str]
    reason_zh: str = ""
    reason_zh_hant: str = ""
    reason_en: str = ""


@dataclass
class Setup:
    """A setup file's content: plain dicts of column values, checked."""

    regions: list[dict] = field(default_factory=list)
    offices: list[dict] = field(default_factory=list)  # each with "services" and "exceptions"
    holidays: dict[int, dict[dt.date, bool]] = field(default_factory=dict)  # year -> {day: closed}


def read(text: str) -> Setup:
    """The setup in a TOML text; SetupError naming the first wrong key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        raise fail("(file)", "toml", int(found.group(1)) if found else None, detail=error) from None
    return check(data)


def check(data: dict) -> Setup:
    """The setup in a file's parsed content (as tomllib gives it, or `to_data` and the admin
    pages build it); SetupError naming the first wrong key."""
    _only(data, {"regions", "offices", "holidays"}, "")
    setup = Setup(regions=[_values(entry, REGION_KEYS, f"regions[{n}]")
                           for n, entry in enumerate(_tables(data, "regions", ""))],
                  offices=[_office(entry, f"offices[{n}]") for n, entry in enumerate(_tables(data, "offices", ""))],
                  holidays=_holidays(_tables(data, "holidays", "")))
    _check_references(setup)
    return setup


def _only(table: Any, allowed, key: str) -> None:
    if not isinstance(table, dict):
        raise fail(key or "(file)", "table")
    for name in table:
        if name not in allowed:
            raise fail(f"{key}.{name}" if key else name, "unknown")


def _tables(data: dict, name: str, key: str) -> list[dict]:
    value = data.get(name, [])
    where = f"{key}.{name}" if key else name
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise fail(where, "tables", name=name)
    return value


def _values(entry: dict, keys: dict, where: str) -> dict:
    _only(entry, keys, where)
    return {name: _value(entry, name, spec, f"{where}.{name}") for name, spec in keys.items() if spec}


def _value(entry: dict, name: str, spec, key: str):
    kind, default, low, high = spec
    if name not in entry:
        if default is None and name not in ("party_size_min", "party_size_max", "person_limit"):
            raise fail(key, "required")
        return default
    value = entry[name]
    if kind in ("text", "long"):
        if not isinstance(value, str) or len(value.strip()) > high or (default is None and not value.strip()):
            raise fail(key, "text", high=high)
        if kind == "text" and ("\n" in value or "\r" in value):
            raise fail(key, "one_line")
        return value.strip()
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise fail(key, "int", low=low, high=high)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise fail(key, "bool")
        return value
    return _special(kind, name, value, key)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _special(kind: str, name: str, value, key: str):
    if kind in ("code", "ref"):
        if not isinstance(value, str) or not (CODE.match(value) or (kind == "ref" and value == "")):
            raise fail(key, "code")
        return value
    if kind == "choice":
        if value not in CHOICES[name]:
            raise fail(key, "choice", choices=", ".join(CHOICES[name]))
        return value
    if kind == "zone":
        if str(value) not in _zones():  # never a file path tried as a zone
            raise fail(key, "zone")
        return value
    if kind == "time":
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise fail(key, "time")
        return value
    if kind == "counters":
        if (not isinstance(value, list) or len(value) > MAX_COUNTERS
                or not all(isinstance(c, str) and 0 < len(c.strip()) <= 10 for c in value)
                or len({c.strip() for c in value}) != len(value)):
            raise fail(key, "counters", most=MAX_COUNTERS)
        return [c.strip() for c in value]
    return _weekly(value, key)


def _weekly(value, key: str) -> dict[str, list[str]]:
    _only(value, WEEKDAYS, key)
    return {day: _periods(value[day], f"{key}.{day}") for day in WEEKDAYS if day in value}


def _periods(value, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise fail(key, "periods_list")
    try:
        return [format_period(p) for p in check_periods(parse_period(p) for p in value)]
    except PeriodError:
        raise fail(key, "periods") from None


def _office(entry: dict, where: str) -> dict:
    office = _values({k: v for k, v in entry.items() if k not in ("services", "exceptions")}, OFFICE_KEYS, where)
    office["services"] = [_service(item, f"{where}.services[{n}]")
                          for n, item in enumerate(_tables(entry, "services", where))]
    codes = [service["code"] for service in office["services"]]
    if len(set(codes)) != len(codes):
        raise fail(f"{where}.services", "shared_code")
    office["exceptions"] = [_exception(item, f"{where}.exceptions[{n}]")
                            for n, item in enumerate(_tables(entry, "exceptions", where))]
    return office


def _service(entry: dict, where: str) -> dict:
    service = _values(entry, SERVICE_KEYS, where)
    couple = service["kind"] in ("marriage", "divorce")
    for name, fallback in (("party_size_min", 2 if couple else 1), ("party_size_max", 2 if couple else 5)):
        if service[name] is None:
            service[name] = fallback
    if service["party_size_max"] < service["party_size_min"]:
        raise fail(f"{where}.party_size_max", "party_max")
    if service["slot_max_people"] < service["party_size_min"]:
        raise fail(f"{where}.slot_max_people", "one_party")
    if service["arrival_windows"] > service["slot_minutes"]:
        raise fail(f"{where}.arrival_windows", "windows")
    service["person_limit"] = service["person_limit"] or default_person_limit(service["kind"])
    return service


def _date(value, key: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise fail(key, "date") from None


def _exception(entry: dict, where: str) -> Exception_:
    _only(entry, EXCEPTION_KEYS, where)
    if ("dates" in entry) == ("from" in entry or "to" in entry):
        raise fail(where, "dates_or_range")
    if "dates" in entry:
        if not isinstance(entry["dates"], list) or not entry["dates"]:
            raise fail(f"{where}.dates", "dates")
        spans = [(_date(d, f"{where}.dates"),) * 2 for d in entry["dates"]]
    else:
        spans = [(_date(entry.get("from"), f"{where}.from"), _date(entry.get("to"), f"{where}.to"))]
        if spans[0][0] > spans[0][1] or (spans[0][1] - spans[0][0]).days >= MAX_EXCEPTION_DAYS:
            raise fail(f"{where}.to", "range", most=MAX_EXCEPTION_DAYS)
    services = entry.get("services", [])
    if not isinstance(services, list) or not all(isinstance(s, str) and CODE.match(s) for s in services):
        raise fail(f"{where}.services", "services")
    if "hours" not in entry:
        raise fail(f"{where}.hours", "hours_required")
    texts = {name: _value(entry, name, EXCEPTION_KEYS[name], f"{where}.{name}")
             for name in ("reason_zh", "reason_zh_hant", "reason_en")}
    periods = _periods(entry["hours"], f"{where}.hours")
    if not periods and not texts["reason_zh"]:
        raise fail(f"{where}.reason_zh", "reason")
    return [Exception_(first, last, sorted(services), periods, **texts) for first, last in spans]


def _holidays(tables: list[dict]) -> dict[int, dict[dt.date, bool]]:
    years: dict[int, dict[dt.date, bool]] = {}
    for n, table in enumerate(tables):
        where = f"holidays[{n}]"
        _only(table, {"year", "closed", "workdays"}, where)
        year = table.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100 or year in years:
            raise fail(f"{where}.year", "year")
        days = years[year] = {}
        for name, closed in (("closed", True), ("workdays", False)):
            for item in table.get(name, []) if isinstance(table.get(name, []), list) else [None]:
                for day in _date_span(item, f"{where}.{name}"):
                    if day in days:
                        raise fail(f"{where}.{name}", "twice", day=day)
                    days[day] = closed
    return years


def _date_span(item, key: str) -> list[dt.date]:
    """"2027-02-05" or "2027-02-05/2027-02-11" (inclusive)."""
    first, _, last = str(item).partition("/")
    first, last = _date(first, key), _date(last or first, key)
    if first > last or (last - first).days > 60:
        raise fail(key, "span", item=item)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _check_references(setup: Setup) -> None:
    codes = [region["code"] for region in setup.regions]
    offices = [office["code"] for office in setup.offices]
    if len(set(codes)) != len(codes) or len(set(offices)) != len(offices):
        raise fail("regions" if len(set(codes)) != len(codes) else "offices", "shared_code")
    for n, office in enumerate(setup.offices):
        known = {service["code"] for service in office["services"]}
        flat = []
        for m, spans in enumerate(office["exceptions"]):
            for exception in spans:
                unknown = set(exception.services) - known
                if unknown and office["services"]:
                    raise fail(f"offices[{n}].exceptions[{m}].services", "no_service", code=sorted(unknown)[0])
                flat.append(exception)
        office["exceptions"] = flat


# --- writing --------------------------------------------------------------------------------------

def render(setup: Setup) -> str:
    """The TOML of a setup; read(render(s)) gives s back."""
    return tomli_w.dumps(to_data(setup), multiline_strings=True)


def to_data(setup: Setup) -> dict[str, Any]:
    """A setup as a file's parsed content: check(to_data(s)) gives s back."""
    data: dict[str, Any] = {}
    if setup.regions:
        data["regions"] = [_compact(region) for region in setup.regions]
    data["offices"] = [_render_office(office) for office in setup.offices]
    if setup.holidays:
        data["holidays"] = [_render_year(year, days) for year, days in sorted(setup.holidays.items())]
    return data


def _compact(values: dict) -> dict:
    """Leave out what is empty and optional (None, "", [] for optional text and references)."""
    return {k: v for k, v in values.items() if not (v is None or (v == "" and k != "hours"))}


def _render_office(office: dict) -> dict:
    out = _compact({k: v for k, v in office.items() if k not in ("services", "exceptions")})
    out["services"] = [_compact(service) for service in office["services"]]
    out["exceptions"] = [_render_exception(e) for e in office["exceptions"]]
    return out


def _render_exception(exception: Exception_) -> dict:
    out: dict[str, Any] = ({"dates": [exception.first]} if exception.first == exception.last
                           else {"from": exception.first, "to": exception.last})
    if exception.services:
        out["services"] = exception.services
    out["hours"] = exception.hours
    out.update(_compact({"reason_zh": exception.reason_zh, "reason_zh_hant": exception.reason_zh_hant,
                         "reason_en": exception.reason_en}))
    return out


def _render_year(year: int, days: dict[dt.date, bool]) -> dict:
    return {"year": year, "closed": [d.isoformat() for d in sorted(days) if days[d]],
            "workdays": [d.isoformat() for d in sorted(days) if not days[d]]}
