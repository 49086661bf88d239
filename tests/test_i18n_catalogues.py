"""Every message exists in all three languages, and every compiled catalogue is the .po's own.

- Flask-Babel areas (web, staff, health): each msgid of the Simplified catalogue has an English
  source (the msgid) and a Traditional translation in the zh_Hant catalogue, drafted from the
  same Simplified text (the `#. zh:` note); tests/test_{web,staff}_translations.py check that the
  pages' msgids are all in the Simplified catalogues.
- Texts kept in Python (domain errors, SMS texts and replies, calendar files, API messages):
  every Simplified text under booking/ has its Traditional form in translations/from_zh.
- Every SMS kind and reply renders in zh, zh-Hant and en, the Traditional one with no
  Simplified-only character left.
- Every .mo holds exactly its .po (a .po edited without `booking/translations/hant.py` fails).
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import opencc
import pytest
from babel.messages.pofile import read_po

from booking.i18n import HANT, LANGUAGES, hant
from booking.notify import texts

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "booking" / "translations"
spec = importlib.util.spec_from_file_location("hant_tool", TRANSLATIONS / "hant.py")
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)
TO_TRADITIONAL = opencc.OpenCC("s2tw")  # character by character: a Simplified one changes
BOTH = {"台"}  # kept as it is in Traditional too (docs/i18n.md)


def catalogue(area: str, locale: str):
    return read_po(io.BytesIO((TRANSLATIONS / area / locale / "LC_MESSAGES" / "messages.po").read_bytes()))


def has_text(message) -> bool:
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    return bool(strings) and all(strings)


@pytest.mark.parametrize("area", tool.AREAS)
def test_every_message_of_an_area_is_in_simplified_traditional_and_english(area):
    simplified = {m.id: m for m in catalogue(area, "zh") if m.id}
    traditional = {m.id: m for m in catalogue(area, "zh_Hant") if m.id}
    assert len(simplified) > 30
    assert sorted(k if isinstance(k, str) else k[0] for k in simplified.keys() - traditional.keys()) == []
    assert [m.id for m in simplified.values() if not has_text(m)] == []
    assert [m.id for m in traditional.values() if not has_text(m)] == []
    # each Traditional entry was drafted from the Simplified text now in force
    stale = [msgid for msgid, m in traditional.items()
             if msgid in simplified and tool._note(tool._source_of(m)) != tool._note(simplified[msgid].string)]
    assert stale == []


def test_every_simplified_text_in_python_has_its_traditional_form():
    found = tool.python_texts()
    assert len(found) > 100 and any(text.startswith(texts.SIGN) for text in found)
    translated = {m.id: m.string for m in catalogue("from_zh", "zh_Hant") if m.id}
    missing = sorted(f"{where[0]}:{where[1]} {text}" for text, where in found.items() if not translated.get(text))
    assert missing == []


def test_the_check_command_finds_nothing_to_draft(capsys):
    assert tool.main(["--check"]) == 0, capsys.readouterr().out


def test_traditional_texts_keep_no_simplified_only_character():
    left = []
    for area in (*tool.AREAS, tool.FROM_ZH):
        for message in catalogue(area, "zh_Hant"):
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            left += [(area, text) for text in filter(None, strings)
                     if any(c not in BOTH and TO_TRADITIONAL.convert(c) != c for c in text)]
    assert left == []


def test_the_tool_drafts_new_and_changed_simplified_texts_and_keeps_reviewed_ones():
    assert tool.to_hant("请回复短信“1”确认预约。") == "請回覆短訊「1」確認預約。"
    assert tool.to_hant("每场限 10 人参加，到场 28 天后删除") == "每場限 10 人參加，到場 28 天後刪除"
    catalog, drafted = tool.build("web")
    assert drafted == []  # everything committed is reviewed
    assert catalog.get("Choose a day").string == "選擇日期"


@pytest.mark.parametrize("table", ["TEXTS", "REPLIES"])
def test_every_sms_kind_renders_in_all_three_languages(table):
    values = dict(code="123456", office="静安区婚姻登记处", service="结婚登记", when="11月24日 09:30",
                  time="09:30", reference="AB12CD34", link="https://yuyue.example.gov.cn/m/AB12CD34/t",
                  reason="设备检修", deadline="21:00", ticket="G012", references="AB12CD34、EF56GH78",
                  expires="12月23日 10:30", day="12月24日", position=3)
    render = texts.render if table == "TEXTS" else texts.reply
    for kind, languages in getattr(texts, table).items():
        assert set(languages) == {"zh", "en"}, kind  # Traditional comes from the Simplified
        rendered = {lang: render(kind, lang, **values) for lang in LANGUAGES}
        assert rendered[HANT] != rendered["zh"], kind
        assert rendered[HANT].startswith("【民政預約】"), kind
        for variant in languages["zh"]:
            assert hant(variant) != variant, (kind, variant)  # each shorter variant too
        assert texts.segments(rendered[HANT]) <= texts.MAX_SEGMENTS


def test_compiled_catalogues_are_made_from_their_po_files():
    pos = sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po"))
    assert {p.parent.parent.name for p in pos} >= {"zh", "zh_Hant"} and len(pos) >= 7
    assert [str(p.relative_to(ROOT)) for p in pos if not tool.compiled_matches(p)] == []
