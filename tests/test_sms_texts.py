"""Every text fits two SMS segments with long, realistic values, and none suggests an opt-out word."""

from __future__ import annotations

import re

import pytest

from booking.i18n import LANGUAGES
from booking.notify import texts

BASE = "https://yuyue.mzj.example.gov.cn"  # a realistic production PUBLIC_BASE_URL
TOKEN = "Xy3_-abcdefghijKLMNOPq"  # a manage token is 22 URL-safe characters
MANAGE = f"{BASE}/m/ABCD2345/{TOKEN}"
HEALTH = f"{BASE}/bookings/ABCD2345/health?token={TOKEN}"

LONG = {
    "zh": dict(office="重庆市渝中区民政局婚姻登记处", service="告别仪式（小型）", when="12月24日 09:30",
               time="09:30", deadline="12月23日 21:00", reason="疫情防控需要，全区暂停现场办理业务"),
    "zh-Hant": dict(office="重慶市渝中區民政局婚姻登記處", service="告別儀式（小型）", when="12月24日 09:30",
                    time="09:30", deadline="12月23日 21:00", reason="疫情防控需要，全區暫停現場辦理業務"),
    "en": dict(office="Chongqing Yuzhong District Civil Affairs Bureau Marriage Registry",
               service="Marriage registration", when="Wed 24 Dec 09:30", time="09:30",
               deadline="Tue 23 Dec 21:00",
               reason="pandemic control: all on-site services in the district are suspended"),
}
DEMO = {  # the demo offices (booking/demo.py): the full text with the office name must fit
    "zh": dict(office="龙华殡仪服务中心", service="告别仪式", when="12月24日 09:30", time="09:30",
               deadline="12月23日 21:00", reason="疫情防控需要"),
    "zh-Hant": dict(office="龍華殯儀服務中心", service="告別儀式", when="12月24日 09:30", time="09:30",
                    deadline="12月23日 21:00", reason="疫情防控需要"),
    "en": dict(office="Jing'an District Marriage Registry", service="Marriage registration",
               when="Wed 24 Dec 09:30", time="09:30", deadline="Tue 23 Dec 21:00",
               reason="pandemic control"),
}


WAITING = {"zh": dict(expires="12月23日 10:30", day="12月24日", position=128),
           "zh-Hant": dict(expires="12月23日 10:30", day="12月24日", position=128),
           "en": dict(expires="Tue 23 Dec 10:30", day="Wed 24 Dec", position=128)}


def values(kind: str, lang: str, table=LONG) -> dict:
    link = HEALTH if kind == "reminder" else MANAGE
    return dict(table[lang], **WAITING[lang], code="123456", reference="ABCD2345", ticket="G012", link=link,
                references="ABCD2345、EFGH6789、JKLM2345")


def all_kinds():
    """The texts we send on their own (the answers to replies are tested below)."""
    return [(kind, lang) for kind in texts.TEXTS if not kind.startswith("reply_")
            for lang in LANGUAGES]


@pytest.mark.parametrize("way", texts.ASK_WAYS)
@pytest.mark.parametrize("kind,lang", [(k, lang) for k in texts.ASKS for lang in LANGUAGES])
def test_every_way_of_asking_for_a_reply_fits_two_segments(kind, lang, way):
    reply = texts.ask(kind, lang, way, "ABCD2345")
    text = texts.render(kind, lang, **values(kind, lang), reply=reply)
    assert texts.segments(text) <= 2, (len(text), text)
    assert reply in text and MANAGE in text
    if way == "named":  # several bookings on the phone: the instruction names this one
        assert {"en": '"1 ABCD2345"', "zh": "“1 ABCD2345”"}.get(lang, "「1 ABCD2345」") in text
    if way == "link":  # a route without replies: no reply is asked for
        assert "回复" not in text and "回覆" not in text and "Reply" not in text


def test_the_answer_to_an_ambiguous_reply_lists_the_references():
    text = texts.reply("choose", "zh", **values("choose", "zh"))
    assert "ABCD2345、EFGH6789、JKLM2345" in text and "“1 ABCD2345”" in text


def test_segment_counting_follows_gsm7_and_ucs2_limits():
    assert texts.segments("a" * 160) == 1
    assert texts.segments("a" * 161) == 2
    assert texts.segments("a" * 306) == 2
    assert texts.segments("a" * 307) == 3
    assert texts.segments("€" * 80) == 1  # extension characters take two septets
    assert texts.segments("€" * 81) == 2
    assert texts.segments("中" * 70) == 1
    assert texts.segments("中" * 71) == 2
    assert texts.segments("中" * 134) == 2
    assert texts.segments("中" * 135) == 3
    assert texts.segments("a" * 69 + "中") == 1  # one Chinese character makes it all UCS-2...
    assert texts.segments("a" * 70 + "中") == 2  # ...so 71 characters need two parts


@pytest.mark.parametrize("kind,lang", all_kinds())
def test_every_text_fits_two_segments_with_long_values(kind, lang):
    text = texts.render(kind, lang, **values(kind, lang))
    assert texts.segments(text) <= 2, (len(text), text)
    if kind != "verification_code":
        assert "ABCD2345" in text
        assert (HEALTH if kind == "reminder" else MANAGE) in text


@pytest.mark.parametrize("kind,lang", all_kinds())
def test_texts_for_the_demo_offices_keep_the_office_name(kind, lang):
    text = texts.render(kind, lang, **values(kind, lang, DEMO))
    assert texts.segments(text) <= 2
    if kind != "verification_code":
        assert DEMO[lang]["office"] in text or kind == "booked" and DEMO[lang]["service"] in text


@pytest.mark.parametrize("kind,lang", all_kinds())
def test_texts_carry_date_and_time(kind, lang):
    text = texts.render(kind, lang, **values(kind, lang))
    if kind == "waiting_joined":  # a list waits for a day, not a time
        assert WAITING[lang]["day"] in text
    elif kind != "verification_code":
        assert "09:30" in text
        if kind != "reminder" or lang == "en":
            assert DEMO[lang]["when"] in text
        else:
            assert "明天" in text  # the reminder goes the day before: "tomorrow" is the date


def test_verification_code_fits_one_segment_in_every_language():
    for lang in LANGUAGES:
        assert texts.segments(texts.render("verification_code", lang, code="123456")) == 1


@pytest.mark.parametrize("table", [texts.TEXTS, texts.REPLIES])
def test_no_text_suggests_an_opt_out_word(table):
    words = re.compile(r"\b(" + "|".join(texts.OPT_OUT_WORDS) + r")\b", re.IGNORECASE)
    for kind, by_lang in table.items():
        for template in texts.variants(by_lang, "zh") + texts.variants(by_lang, "zh-Hant") + by_lang["en"]:
            assert not words.search(template), (kind, template)


@pytest.mark.parametrize("kind,lang", [(k, lang) for k in texts.REPLIES for lang in LANGUAGES])
def test_every_reply_fits_two_segments(kind, lang):
    assert texts.segments(texts.reply(kind, lang, **values(kind, lang))) <= 2


@pytest.mark.parametrize("lang,reason", [("zh", "因上级通知要求，" * 20),
                                         ("en", "an instruction from the district " * 8)])
def test_a_very_long_office_reason_is_never_cut_the_text_links_to_it(lang, reason):
    text = texts.render("cancelled_by_office", lang, **dict(values("x", lang), reason=reason))
    assert texts.segments(text) <= 2
    assert "…" not in text and reason[:12] not in text  # whole or not at all: never half a reason
    assert MANAGE in text and "ABCD2345" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_short_office_reason_is_in_the_text_whole(lang):
    reason = DEMO[lang]["reason"]
    text = texts.render("cancelled_by_office", lang, **values("x", lang, DEMO))
    assert reason in text and "…" not in text and MANAGE in text


def test_the_walk_in_text_asks_for_no_reply():
    for lang in ("zh", "en"):
        text = texts.render("walk_in", lang, **values("walk_in", lang, DEMO))
        assert "G012" in text and not re.search(r"回复|[Rr]eply", text)


def test_an_absurdly_long_office_name_falls_back_to_a_text_without_it():
    office = "某某省某某市某某区民政局婚姻登记服务中心第二分中心" * 2
    text = texts.render("booked", "zh", **dict(values("booked", "zh"), office=office))
    assert office not in text and texts.segments(text) <= 2 and MANAGE in text


def test_chinese_and_english_dates_in_the_office_time_zone():
    import datetime as dt
    from zoneinfo import ZoneInfo

    class Office:
        tz = ZoneInfo("Asia/Shanghai")

    moment = dt.datetime(2026, 12, 24, 1, 30, tzinfo=dt.UTC)
    assert texts.when(moment, Office, "zh") == "12月24日 09:30"
    assert texts.when(moment, Office, "en") == "Thu, Dec 24, 09:30"  # as on the pages
