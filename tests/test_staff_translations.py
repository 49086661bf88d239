"""Every text of the staff pages has its Chinese translation in the staff catalogue."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "booking/translations/staff/zh/LC_MESSAGES/messages.po"
METHODS = [("booking/staff/**.py", "python"), ("templates/staff/**.html", "jinja2")]


def test_every_staff_text_is_translated_to_chinese():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    found = {message[2] for message in extract_from_dir(str(ROOT), METHODS)
             if isinstance(message[2], str)}
    assert len(found) > 150
    missing = sorted(m for m in found if m not in catalogue or not catalogue[m].string)
    assert missing == []
    assert not (CATALOGUE.with_suffix(".mo").stat().st_mtime < CATALOGUE.stat().st_mtime - 1)
