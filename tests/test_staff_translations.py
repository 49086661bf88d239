"""Every text of the staff pages has its Chinese translation in the staff catalogue."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "booking/translations/staff/zh/LC_MESSAGES/messages.po"
METHODS = [("booking/staff/**.py", "python"), ("templates/staff/**.html", "jinja2")]


def test_every_staff_text_is_translated_to_chinese():
    # The areas' catalogues are merged at run time; a shared text (the site name) lives in one.
    translated = {message.id for po in ROOT.glob("booking/translations/*/zh/LC_MESSAGES/messages.po")
                  for message in read_po(io.BytesIO(po.read_bytes())) if message.string}
    found = {message[2] for message in extract_from_dir(str(ROOT), METHODS)
             if isinstance(message[2], str)}
    assert len(found) > 150
    missing = sorted(m for m in found if m not in translated)
    assert missing == []
    assert not (CATALOGUE.with_suffix(".mo").stat().st_mtime < CATALOGUE.stat().st_mtime - 1)
