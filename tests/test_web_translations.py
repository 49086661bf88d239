"""Every text of the citizen pages has its Chinese translation, and the compiled catalogue
is up to date with the .po file."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "booking" / "translations" / "web" / "zh" / "LC_MESSAGES"
SOURCES = [("booking/web/**.py", "python"), ("templates/web/**.html", "jinja2"),
           ("templates/home.html", "jinja2"), ("templates/base.html", "jinja2")]
OTHER_AREAS = {"booking/web/health.py"}  # the health pages keep their own catalogue


def citizen_msgids() -> set:
    found = set()
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=SOURCES, keywords=keywords):
        if filename not in OTHER_AREAS:
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_citizen_page_text_is_translated_to_chinese():
    assert len(citizen_msgids()) > 140  # the extraction really found the pages
    with open(CATALOGUE / "messages.po", "rb") as po:
        catalogue = read_po(po)
    missing = sorted(msgid for msgid in citizen_msgids()
                     if not (catalogue.get(msgid) and catalogue.get(msgid).string))
    assert not missing


def test_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE / "messages.po", "rb") as po, open(CATALOGUE / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    def ids(catalogue):
        return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue if m.id}
    assert ids(source) == ids(compiled)
