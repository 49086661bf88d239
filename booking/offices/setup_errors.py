"""Why a setup cannot be applied: a SetupError names the key and carries a code from MESSAGES
with its values, so the CLI prints the English words and the admin pages word the same refusal in
the reader's language (booking/staff/setup_words.py)."""

from __future__ import annotations

# Each refusal's code and its English words (the CLI's); the admin pages word each code in the
# reader's language (booking/staff/setup_words.py), with the same values.
MESSAGES = {
    "toml": "not valid TOML: {detail}", "table": "must be a table", "unknown": "unknown key",
    "tables": "must be an array of tables ([[{name}]])", "required": "is required",
    "text": "must be text of 1 to {high} characters", "one_line": "must be one line",
    "int": "must be a whole number from {low} to {high}", "bool": "must be true or false",
    "code": "must be a code: lower-case letters, digits and '-', at most 40",
    "choice": "must be one of {choices}", "zone": "must be a time zone such as Asia/Shanghai",
    "time": "must be a local time HH:MM",
    "counters": "must be a list of at most {most} different names of 1 to 10 characters",
    "periods_list": 'must be a list of periods such as ["09:00-12:00", "13:30-17:00"]',
    "periods": 'periods must read "HH:MM-HH:MM", start before end, and not overlap',
    "shared_code": "two entries share a code", "party_max": "must be at least party_size_min",
    "one_party": "must hold at least one party", "windows": "must not exceed slot_minutes",
    "date": "must be a date YYYY-MM-DD", "dates_or_range": 'give either dates = [...] or from = "…" and to = "…"',
    "dates": "must be a list of dates", "range": "must be on or after from, within {most} days",
    "services": "must be a list of service codes", "hours_required": "is required ([] closes the dates)",
    "reason": "is required when closing: citizens read it", "year": "must be a year from 2000 to 2100, once",
    "twice": "{day} is named twice", "span": "{item}: a date or a range first/last of at most 60 days",
    "no_service": "no such service: {code}", "no_region": "no region {code!r} in the file or the database",
    "region_loop": "a region cannot lie inside itself or a region below it",
    "kind_fixed": "a service's kind cannot change: add a service with a new code",
    "other_year": "{day} is named by another year's table",
}


class SetupError(ValueError):
    """A setup that cannot be applied: `key` names where ("offices[0].hall_limit"), `line` the
    file's line when the TOML parser gives one; `code` (a MESSAGES key) and `values` say why,
    for words in another language."""

    def __init__(self, key: str, message: str, line: int | None = None, code: str = "",
                 values: dict | None = None):
        where = f" (line {line})" if line and f"line {line}" not in message else ""
        super().__init__(f"{key}: {message}{where}")
        self.key, self.message, self.line = key, message, line
        self.code, self.values = code, values or {}


def fail(key: str, why: str, line: int | None = None, **values) -> SetupError:
    """The SetupError of a MESSAGES code `why`, its English message formatted with `values`."""
    return SetupError(key, MESSAGES[why].format(**values), line, why, values)
