"""One language resolver and one local-time formatter (booking.i18n), and Traditional Chinese
chosen like the other languages: the switch, Accept-Language, `lang` in the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.datastructures import LanguageAccept

from booking import i18n
from booking.demo import load_demo
from booking.errors import SlotFull
from booking.extensions import db
from booking.models import Booking, SmsMessage
from booking.sms.compose import preview

from .api_schema import CheckedClient
from .factories import PHONE, last_code, setup_marriage_slot, visitor


@pytest.mark.parametrize(("header", "lang"), [
    ("zh-TW,zh;q=0.9", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-MO,en;q=0.5", "zh-Hant"),
    ("zh-Hant-TW", "zh-Hant"), ("zh_Hant", "zh-Hant"), ("zh-Hans-HK", "zh"), ("zh-CN,zh;q=0.9", "zh"),
    ("zh", "zh"), ("zh-SG", "zh"), ("en-GB,en;q=0.8", "en"), ("fr-FR,en;q=0.5", "en"), ("fr, de", "zh"),
    ("en;q=0.4,zh-TW;q=0.9", "zh-Hant"), ("", "zh"), ("*", "zh"),
])
def test_accept_language_chooses_one_of_three(header, lang):
    parsed = LanguageAccept([(tag.split(";")[0].strip(), float(tag.split("q=")[1]) if "q=" in tag else 1)
                             for tag in header.split(",") if tag.strip()])
    assert i18n.from_accept_language(parsed) == lang


def test_local_time_is_one_formatter_for_every_form():
    office = type("Office", (), {"tz": ZoneInfo("Asia/Shanghai")})()
    moment = dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.UTC)
    assert i18n.local_time(moment, office, "zh") == "11月24日 09:30"
    assert i18n.local_time(moment, office, "zh-Hant") == "11月24日 09:30"
    assert i18n.local_time(moment, office, "en") == "Tue, Nov 24, 09:30"
    assert i18n.local_time(moment, office, form="clock") == "09:30"
    assert i18n.local_time(moment, office, form="stamp") == "2026-11-24 09:30"
    assert i18n.local_time(moment, ZoneInfo("Asia/Shanghai"), "en", form="day") == "Tue, Nov 24"
    with pytest.raises(ValueError):
        i18n.local_time(moment, office, form="soon")


def test_choose_gives_the_reviewed_traditional_form_of_a_simplified_text():
    assert i18n.choose("zh-Hant", "该时段刚刚约满，请选择其他时段。", "x") == "該時段剛剛約滿，請選擇其他時段。"
    assert i18n.choose("zh", "预约", "Booking") == "预约"
    assert i18n.choose("en", "预约", "Booking") == "Booking"
    assert i18n.choose("zh-Hant", "一段不在目录里的文字", "x") == "一段不在目录里的文字"  # shown as it is
    assert SlotFull().message("zh-Hant") == "該時段剛剛約滿，請選擇其他時段。"


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
    return app


def test_pages_follow_accept_language_the_switch_and_remember_it(demo, client):
    page = client.get("/", headers={"Accept-Language": "zh-TW,zh;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hant">' in page
    assert "選擇辦理地點和業務" in page and "靜安區婚姻登記處" in page and "近期可約" in page
    assert 'hreflang="zh-CN">简体中文</a>' in page and 'hreflang="en">English</a>' in page
    assert "繁體中文</a>" not in page  # no link to the language already shown
    switched = client.get("/?lang=zh-Hant", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "選擇辦理地點和業務" in switched
    remembered = client.get("/book/jingan-registry/marriage", headers={"Accept-Language": "en"})
    assert "<h1>結婚登記</h1>" in remembered.get_data(as_text=True)
    back = client.get("/?lang=zh").get_data(as_text=True)
    assert '<html lang="zh-CN">' in back and "选择办理地点和业务" in back


def test_dates_on_pages_use_traditional_weekdays(demo, client):
    page = client.get("/book/jingan-registry/marriage?lang=zh-Hant").get_data(as_text=True)
    assert "週" in page and "周一" not in page


def test_staff_login_page_speaks_traditional(client):
    page = client.get("/staff/login?lang=zh-Hant").get_data(as_text=True)
    assert "工作人員登入" in page and '<html lang="zh-Hant">' in page


def test_api_books_in_traditional_and_texts_in_traditional(ctx, client):
    api = CheckedClient(client)
    slot = setup_marriage_slot()
    started = api.post("/api/v1/phone-verifications", json={"phone": PHONE, "lang": "zh-Hant"})
    assert started.status_code == 201
    code_text = preview(db.session.scalars(select(SmsMessage).where(SmsMessage.kind == "verification_code")).one())
    assert code_text.startswith("【民政預約】驗證碼")
    body = {"slot_id": slot.id, "phone": PHONE, "visitors": [visitor(1), visitor(2)], "lang": "zh-Hant",
            "verification_id": started.get_json()["id"], "code": last_code(PHONE)}
    booked = api.post("/api/v1/bookings", json=body)
    assert booked.status_code == 201, booked.get_json()
    assert booked.get_json()["lang"] == "zh-Hant"
    assert db.session.scalars(select(Booking.lang)).one() == "zh-Hant"
    text = preview(db.session.scalars(select(SmsMessage).where(SmsMessage.kind == "booked")).one())
    assert text.startswith("【民政預約】已預約") and "回覆1確認" in text
    again = api.post("/api/v1/bookings", json={**body, "code": "000000"})
    assert again.status_code == 422 and "驗證碼" in again.get_json()["message"]


def test_api_messages_follow_lang_and_accept_language(ctx, client):
    api = CheckedClient(client)
    bad = api.post("/api/v1/phone-verifications", json={"phone": "12", "lang": "zh-Hant"})
    assert bad.status_code == 422 and "請輸入有效的手機號碼" in bad.get_json()["message"]
    wrong_kind = client.post("/api/v1/bookings", json={"slot_id": "x"}, headers={"Accept-Language": "zh-HK"})
    assert "應為整數" in wrong_kind.get_json()["fields"]["slot_id"]
    too_long = client.post("/api/v1/phone-verifications", json={"phone": "1" * 300, "lang": "zh-Hant"})
    assert too_long.get_json()["fields"]["phone"] == "不能超過 32 個字元。"
    assert too_long.get_json()["message"] == "請求中有欄位無效，請檢查後重試。"
    missing = client.get("/api/v1/nothing-here", headers={"Accept-Language": "zh-TW"})
    assert missing.status_code == 404 and missing.get_json()["message"] == "找不到該資源。"
    unknown = client.post("/api/v1/phone-verifications", json={"phone": PHONE, "lang": "zh-TW"})
    assert unknown.status_code == 422 and "zh-Hant" in unknown.get_json()["fields"]["lang"]
