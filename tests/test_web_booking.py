"""The citizen booking flow on the server-rendered pages: every step and every refusal,
in Chinese and English, with what was typed kept and each message beside its field."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, PhoneVerification, Service, Slot, SmsMessage, utcnow
from tests.factories import PHONE, make_office, make_service, make_slot, visitor
from tests.factories import last_code as read_code
from tests.web_helpers import book, form_data, hidden, open_form, send_code, text

BAD_ID = "110105199001011230"  # a resident number with a wrong check digit


@pytest.fixture
def slot(app):
    """A marriage slot the day after tomorrow (ids only: each request has its own session)."""
    with app.app_context():
        slot = make_slot(make_service(make_office()), days_ahead=2)
        db.session.commit()
        return SimpleNamespace(id=slot.id, service_id=slot.service_id, max_bookings=slot.max_bookings)


@pytest.fixture
def q(app):
    """q(fn): fn() run in a session of its own, closed at once (SQLite allows one writer)."""
    def run(fn):
        with app.app_context():
            result = fn()
            db.session.commit()
            return result
    return run


def add_slot(q, slot, at: dt.time) -> int:
    return q(lambda: make_slot(db.session.get(Service, slot.service_id), days_ahead=2, at=at).id)


def count_bookings(q) -> int:
    return q(lambda: db.session.scalar(select(db.func.count(Booking.id))))


def test_form_asks_for_exactly_two_visitors_for_marriage(client, slot):
    page = open_form(client, slot.id, people=5)
    assert "visitors-1-id_number" in page and "visitors-2-name" not in page
    for id_type in ("resident_id", "residence_permit", "hk_mo_permit", "tw_permit",
                    "foreign_permanent_id", "passport"):
        assert f'value="{id_type}"' in page
    assert "港澳台居民居住证" in page and "外国人永久居留身份证" in page
    assert "第 4 步，共 5 步" in page


def test_send_code_keeps_every_typed_value_and_adds_the_verification_id(client, slot):
    people = [visitor(1, "张伟"), visitor(2, "王芳")]
    response = send_code(client, slot.id, people)
    page = text(response)
    assert response.status_code == 200
    assert "我们已向 +8613812345678 发送 6 位验证码" in page
    for person in people:
        assert person["name"] in page and person["id_number"] in page
    assert len(hidden(page, "verification_id")) == 32
    # The session cookie is client-side: no identity number may travel in it.
    cookie = response.headers.get("Set-Cookie", "")
    assert people[0]["id_number"] not in cookie and "verification" not in cookie


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_booking_redirects_to_the_booked_page_with_reference_qr_and_next_steps(client, slot, q, lang):
    response = book(client, slot.id, lang=lang)
    assert response.status_code == 303
    booked = client.get(response.headers["Location"])
    page = text(booked)
    reference, source, booked_lang = q(lambda: db.session.execute(
        select(Booking.reference, Booking.source, Booking.lang)).one())
    assert reference in page and source == "web" and booked_lang == lang
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org", "")
    token = re.search(rf"/m/{reference}/([\w-]+)", response.headers["Location"]).group(1)
    assert f"/bookings/{reference}.ics?token={token}" in page
    assert f"/bookings/{reference}/health?token={token}" in page
    assert ("+86138****5678" in page)
    assert ("You are booked" in page) == (lang == "en") and ("预约成功" in page) == (lang == "zh")
    assert booked.headers["Cache-Control"] == "no-store"
    kinds = q(lambda: db.session.scalars(select(SmsMessage.kind).order_by(SmsMessage.id)).all())
    assert kinds == ["verification_code", "booked"]


@pytest.mark.parametrize("lang, message", [("zh", "请输入有效的手机号码。"),
                                           ("en", "Please enter a valid mobile number.")])
def test_invalid_phone_is_refused_beside_the_phone_field(client, slot, q, lang, message):
    people = [visitor(1), visitor(2)]
    response = send_code(client, slot.id, people, phone="12345", lang=lang)
    page = text(response)
    assert response.status_code == 422
    assert re.search(rf'id="err-phone">.*{re.escape(message)}', page)
    assert people[1]["id_number"] in page and 'value="12345"' in page
    assert q(lambda: db.session.scalar(select(PhoneVerification.id))) is None


@pytest.mark.parametrize("phone, lang, hints", [
    ("6612 3456", "zh-Hant", ["+852 6612 3456", "+853 6612 3456"]),
    ("91234567", "zh", ["+852 9123 4567"]),
    ("0912-345-678", "en", ["+886 912 345 678"]),
])
def test_a_hong_kong_macau_or_taiwan_number_typed_the_local_way_gets_its_country_code(
        client, slot, q, phone, lang, hints):
    response = send_code(client, slot.id, [visitor(1), visitor(2)], phone=phone, lang=lang)
    assert response.status_code == 422
    shown = re.search(r'id="err-phone"><span aria-hidden="true">⚠ </span>(.*?)</p>', text(response), re.S).group(1)
    assert all(hint in shown for hint in hints), shown
    if lang == "zh-Hant":  # the reader's language makes HK, MO or TW the likely intent: it leads
        assert shown.startswith("如是香港") and "請輸入有效的手機號碼" in shown
    else:
        assert shown.startswith({"zh": "请输入有效的手机号码。", "en": "Please enter a valid"}[lang])
    assert q(lambda: db.session.scalar(select(PhoneVerification.id))) is None


@pytest.mark.parametrize("lang, message", [
    ("zh", "最后一位校验码与前面的号码不符，请逐位核对。"),
    ("en", "The last character (the check character) does not match the rest. Please check each digit.")])
def test_invalid_identity_checksum_is_shown_beside_that_visitor(client, slot, q, lang, message):
    people = [visitor(1), {"name": "王芳", "id_type": "resident_id", "id_number": BAD_ID}]
    response = book(client, slot.id, people, lang=lang)
    page = text(response)
    assert response.status_code == 422
    assert re.search(rf'id="err-visitors-1-id_number">.*{re.escape(message)}', page)
    assert 'id="err-visitors-0-id_number"' not in page
    assert BAD_ID in page and "王芳" in page
    assert count_bookings(q) == 0


@pytest.mark.parametrize("lang, message", [("zh", "本业务需要 2–2 位办事人。"),
                                           ("en", "This service needs 2 to 2 visitors.")])
def test_wrong_party_size_is_refused(client, slot, lang, message):
    response = book(client, slot.id, [visitor(1)], lang=lang)
    page = text(response)
    assert response.status_code == 422
    assert re.search(rf'id="err-visitors">.*{re.escape(message)}', page)
    assert visitor(1)["id_number"] in page
    assert 'name="visitors-1-name"' in page  # the form offers the second visitor again


def test_booking_without_sending_a_code_first_asks_for_it(client, slot):
    page = open_form(client, slot.id)
    response = client.post(f"/book/slot/{slot.id}",
                           data=form_data(page, [visitor(1), visitor(2)], code="123456"))
    assert response.status_code == 422
    assert "请先点“发送验证码”" in text(response)


def test_five_wrong_codes_end_the_verification(client, slot, q):
    people = [visitor(1), visitor(2)]
    page = text(send_code(client, slot.id, people, lang="en"))
    right = q(read_code)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        response = client.post(f"/book/slot/{slot.id}", data=form_data(page, people, lang="en", code=wrong))
        assert response.status_code == 422
        assert re.search(r'id="err-code">.*The code is wrong or has expired.', text(response))
    response = client.post(f"/book/slot/{slot.id}", data=form_data(page, people, lang="en", code=right))
    assert response.status_code == 422 and count_bookings(q) == 0


def test_an_expired_code_is_refused(client, slot, q):
    people = [visitor(1), visitor(2)]
    page = text(send_code(client, slot.id, people))
    code = q(read_code)

    def expire():
        db.session.scalars(select(PhoneVerification)).one().expires_at = utcnow() - dt.timedelta(seconds=1)
    q(expire)
    response = client.post(f"/book/slot/{slot.id}", data=form_data(page, people, code=code))
    assert response.status_code == 422 and "验证码不正确或已过期。" in text(response)


def test_a_used_code_cannot_book_twice(client, slot, q):
    people = [visitor(1), visitor(2)]
    page = text(send_code(client, slot.id, people))
    code = q(read_code)
    assert client.post(f"/book/slot/{slot.id}", data=form_data(page, people, code=code)).status_code == 303
    others = [visitor(3), visitor(4)]
    again = client.post(f"/book/slot/{slot.id}", data=form_data(page, others, code=code))
    assert again.status_code == 422 and "验证码不正确或已过期。" in text(again)


def send_again(client, slot, people, q) -> tuple[str, str, str]:
    """Send a code, then "Send a new code": the page after, the first code and the second."""
    first_page = text(send_code(client, slot.id, people))
    first = q(read_code)
    again = client.post(f"/book/slot/{slot.id}/code", data=form_data(first_page, people))
    assert again.status_code == 200
    page = text(again)
    assert hidden(page, "verification_id").split()[1:] == [hidden(first_page, "verification_id")]
    assert "之前收到的验证码在 10 分钟有效期内仍可使用" in page
    return page, first, q(read_code)


def test_the_first_code_still_books_after_send_again_within_its_ten_minutes(client, slot, q):
    people = [visitor(1), visitor(2)]
    page, first, _second = send_again(client, slot, people, q)
    response = client.post(f"/book/slot/{slot.id}", data=form_data(page, people, code=first))
    assert response.status_code == 303 and count_bookings(q) == 1


def test_after_send_again_an_expired_first_code_is_refused_and_the_second_books(client, slot, q):
    people = [visitor(1), visitor(2)]
    page, first, second = send_again(client, slot, people, q)

    def expire_first():
        oldest = db.session.scalars(select(PhoneVerification).order_by(PhoneVerification.created_at)).first()
        oldest.expires_at = utcnow() - dt.timedelta(seconds=1)
    q(expire_first)
    if first != second:
        refused = client.post(f"/book/slot/{slot.id}", data=form_data(page, people, code=first))
        assert refused.status_code == 422 and "验证码不正确或已过期。" in text(refused)
    response = client.post(f"/book/slot/{slot.id}", data=form_data(page, people, code=second))
    assert response.status_code == 303 and count_bookings(q) == 1


@pytest.mark.parametrize("lang, message", [("zh", "该时段刚刚约满"), ("en", "That slot was just taken.")])
def test_slot_filled_while_typing_offers_the_nearest_free_slots(client, slot, q, lang, message):
    later = add_slot(q, slot, dt.time(11, 0))
    people = [visitor(1), visitor(2)]
    page = text(send_code(client, slot.id, people, lang=lang))
    code = q(read_code)

    def fill():  # someone else took the last place meanwhile
        taken = db.session.get(Slot, slot.id)
        taken.booked_bookings = taken.max_bookings
    q(fill)
    response = client.post(f"/book/slot/{slot.id}", data=form_data(page, people, lang=lang, code=code))
    answer = text(response)
    assert response.status_code == 409 and message in answer
    assert f'formaction="/book/slot/{later}"' in answer and "11:00" in answer
    assert people[0]["id_number"] in answer
    # The alternative carries everything typed: one press books it.
    taken_page = response.get_data(as_text=True)
    moved = client.post(f"/book/slot/{later}", data=form_data(taken_page, people, lang=lang, code=code))
    assert moved.status_code == 303
    assert q(lambda: db.session.scalars(select(Booking.slot_id)).one()) == later


@pytest.mark.parametrize("lang, message", [
    ("zh", "该证件已有本业务尚未办理的预约，每人同时只能预约一次"),
    ("en", "This person already has an active booking for this service; one at a time.")])
def test_same_identity_same_service_same_day_is_refused_with_409(client, slot, q, lang, message):
    assert book(client, slot.id, [visitor(1), visitor(2)]).status_code == 303
    other = add_slot(q, slot, dt.time(15, 0))
    response = book(client, other, [visitor(5), visitor(2)], phone="+8613900001111", lang=lang)
    assert response.status_code == 409 and message in text(response)
    assert count_bookings(q) == 1


def test_a_post_without_csrf_token_answers_a_friendly_400(client, slot):
    response = client.post(f"/book/slot/{slot.id}", data={"phone": PHONE})
    assert response.status_code == 400
    assert "请重试" in text(response)


def test_sixth_code_for_one_phone_within_an_hour_is_refused_in_the_chosen_language(client, slot):
    people = [visitor(1), visitor(2)]
    for _ in range(5):
        assert send_code(client, slot.id, people, lang="en").status_code == 200
    response = send_code(client, slot.id, people, lang="en")
    assert response.status_code == 429
    assert re.search(r'id="err-phone">.*Too many codes were sent to this number', text(response))


def test_code_requests_per_address_are_rate_limited_with_a_page_in_english(app, client, slot):
    app.config["WEB_CODE_LIMIT_PER_IP"] = "10 per hour"
    people = [visitor(1), visitor(2)]
    page = open_form(client, slot.id, "en")
    for n in range(10):
        data = form_data(page, people, phone=f"+86139000000{n:02d}", lang="en")
        assert client.post(f"/book/slot/{slot.id}/code", data=data).status_code == 200
    response = client.post(f"/book/slot/{slot.id}/code", data=form_data(page, people, phone="+8613900000099"))
    assert response.status_code == 429
    assert "Too many attempts" in text(response) and "<html lang=\"en\">" in text(response)
    assert "try again in 60 minutes" in text(response) and 3500 < int(response.headers["Retry-After"]) <= 3601


def test_booking_attempts_per_address_are_rate_limited_in_chinese(app, client, slot):
    app.config["WEB_BOOKING_LIMIT_PER_IP"] = "30 per hour"
    page = open_form(client, slot.id, "zh")
    for n in range(30):  # 30 people behind one address, each within their own limits
        data = form_data(page, [visitor(n)], phone=f"+86139000001{n:02d}", code="123456")
        assert client.post(f"/book/slot/{slot.id}", data=data).status_code == 422
    response = client.post(f"/book/slot/{slot.id}", data=data)
    assert response.status_code == 429 and "尝试次数过多，请在 60 分钟后再试。" in text(response)
    assert 3500 < int(response.headers["Retry-After"]) <= 3601


def test_the_language_choice_is_remembered_and_accept_language_is_the_default(client, slot):
    assert "Your details" in text(client.get(f"/book/slot/{slot.id}", headers={"Accept-Language": "en-US"}))
    assert "填写办事人信息" in text(client.get(f"/book/slot/{slot.id}?lang=zh", headers={"Accept-Language": "en"}))
    # Chosen once, kept on the next page (in the session), whatever the browser prefers.
    assert "填写办事人信息" in text(client.get(f"/book/slot/{slot.id}", headers={"Accept-Language": "en"}))
    page = text(client.get(f"/book/slot/{slot.id}?people=2"))
    assert f'href="/book/slot/{slot.id}?people=2&amp;lang=en"' in page or \
        f'href="/book/slot/{slot.id}?people=2&lang=en"' in page


def test_a_variable_party_asks_for_the_chosen_number_of_visitors(app, client):
    with app.app_context():
        service = make_service(make_office(), code="tomb", kind="tomb_sweeping", slot_max_people=4)
        roomy = make_slot(service, days_ahead=2, at=dt.time(9, 0)).id
        tight = make_slot(service, days_ahead=2, at=dt.time(10, 0), booked_people=2).id
        day = db.session.get(Slot, roomy).starts_at.astimezone(service.office.tz).date().isoformat()
        db.session.commit()
    slots = text(client.get(f"/book/registry/tomb/{day}?people=3&lang=en"))
    assert f"/book/slot/{roomy}?people=3" in slots and f"/book/slot/{tight}" not in slots
    assert "Not enough room for 3" in slots
    form = open_form(client, roomy, "en", people=3)
    assert "visitors-2-id_number" in form and "visitors-3-name" not in form
    response = book(client, roomy, [visitor(1), visitor(2), visitor(3)], lang="en")
    assert response.status_code == 303


@pytest.mark.postgres
def test_booking_through_the_pages_on_postgresql(pg_app):
    with pg_app.app_context():
        slot_id = make_slot(make_service(make_office()), days_ahead=2).id
        db.session.commit()
    client = pg_app.test_client()
    response = book(client, slot_id, lang="en")
    assert response.status_code == 303
    assert "You are booked" in text(client.get(response.headers["Location"]))


@pytest.mark.parametrize("lang, message", [("zh", "该时段已截止预约。"), ("en", "Booking for that slot has closed.")])
def test_a_stale_link_to_a_past_slot_says_at_once_that_it_cannot_be_booked(app, client, lang, message):
    with app.app_context():
        service = make_service(make_office())
        closed = make_slot(service, days_ahead=0, at=dt.time(0, 0), status="closed").id
        past = make_slot(service, days_ahead=-1).id
        db.session.commit()
    assert "该时段已停止预约。" in text(client.get(f"/book/slot/{closed}?lang=zh"))
    page = text(client.get(f"/book/slot/{past}?lang={lang}"))
    assert message in page and "/book/registry/marriage" in page


def test_a_code_typed_in_full_width_digits_books(client, slot, q):
    people = [visitor(1), visitor(2)]
    page = text(send_code(client, slot.id, people))
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in q(read_code))
    response = client.post(f"/book/slot/{slot.id}", data=form_data(page, people, code=full_width))
    assert response.status_code == 303
    assert count_bookings(q) == 1


@pytest.mark.parametrize("lang, message", [("zh", "结婚登记须由一男一女共同办理"),
                                           ("en", "Marriage registration is for one man and one woman")])
def test_two_men_for_marriage_are_refused_beside_the_second_visitor(client, slot, q, lang, message):
    response = book(client, slot.id, [visitor(1), visitor(3)], lang=lang)
    assert response.status_code == 422
    assert re.search(rf'id="err-visitors-1-id_number">.*{re.escape(message)}', text(response))
    assert count_bookings(q) == 0


def test_a_refused_number_says_why_beside_the_number_and_names_are_never_cut(client, slot, q):
    long_name = "阿依古丽·买买提" * 10 + "𠮷"
    people = [visitor(1), {"name": long_name, "id_type": "resident_id", "id_number": visitor(2)["id_number"][:-1]}]
    page = open_form(client, slot.id, people=2)
    name_input = re.search(r'<input[^>]*name="visitors-0-name"[^>]*>', page).group()
    assert "maxlength" not in name_input
    response = book(client, slot.id, people)
    assert response.status_code == 422
    body = text(response)
    assert re.search(r'id="err-visitors-1-id_number">.*居民身份证号码应为 18 位', body)
    assert long_name in body and 'id="err-visitors-1-name"' not in body
