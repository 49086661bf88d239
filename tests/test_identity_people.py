"""Real people: marriage age and parties read from their documents, names as documents print
them, one active booking per person per service, full-width SMS codes, new mobile ranges."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking import bookings, identity
from booking.errors import BookingError, InvalidName
from booking.extensions import db
from booking.models import Booking, Service

from .api_schema import CheckedClient
from .documents import gb11643, person
from .factories import last_code, make_office, make_service, make_slot, verified, visitor


def local_day(slot) -> dt.date:
    return slot.starts_at.astimezone(slot.office.tz).date()


def years_before(day: dt.date, years: int, days: int = 0) -> str:
    return (day.replace(year=day.year - years) + dt.timedelta(days=days)).strftime("%Y%m%d")


def book(slot, people, phone="+8613812345678"):
    return bookings.book(slot_id=slot.id, phone=phone, visitors=people, verification=verified(phone))


def refusal(slot, people, phone="+8613812345678") -> BookingError:
    with pytest.raises(BookingError) as caught:
        book(slot, people, phone)
    db.session.rollback()
    return caught.value


def couple(man: str, woman: str) -> list[dict]:
    return [{"name": "张伟", "id_type": "resident_id", "id_number": man},
            {"name": "王芳", "id_type": "resident_id", "id_number": woman}]


@pytest.fixture
def marriage(ctx):
    slot = make_slot(make_service(make_office()), days_ahead=2)
    db.session.commit()
    return slot


# --- marriage: age on the slot's day, one man and one woman -----------------------------------

def test_a_man_of_22_and_a_woman_of_20_on_the_day_are_booked(marriage):
    day = local_day(marriage)
    done = book(marriage, couple(person(years_before(day, 22), "male"), person(years_before(day, 20), "female")))
    assert done.booking.party_size == 2


@pytest.mark.parametrize("sex, age, position", [("male", 22, 1), ("female", 20, 2)])
def test_a_party_one_day_short_of_the_legal_age_is_refused_by_name(marriage, sex, age, position):
    day = local_day(marriage)
    young = person(years_before(day, age, days=1), sex)
    other = person("19900101", "female" if sex == "male" else "male")
    people = couple(young, other) if sex == "male" else couple(other, young)
    error = refusal(marriage, people)
    assert (error.code, error.status, error.field) == ("under_marriage_age", 422, f"visitors.{position - 1}.id_number")
    side = "男方" if sex == "male" else "女方"
    assert error.message("zh") == (f"第 {position} 位办事人（{side}）在预约当天（{day.isoformat()}）未满 {age} 周岁，"
                                   "不能办理结婚登记。")
    assert f"Visitor {position} ({'man' if sex == 'male' else 'woman'}) is not yet {age}" in error.message("en")


def test_an_eleven_year_old_is_refused_for_marriage(marriage):
    child = person(years_before(local_day(marriage), 11), "female")
    error = refusal(marriage, couple(person("19900101", "male"), child))
    assert error.code == "under_marriage_age" and error.field == "visitors.1.id_number"


@pytest.mark.parametrize("sex, zh, en", [("male", "均为男性", "both show a man"),
                                         ("female", "均为女性", "both show a woman")])
def test_two_people_of_the_same_sex_are_refused_for_marriage(marriage, sex, zh, en):
    error = refusal(marriage, couple(person("19900101", sex, order=11), person("19910101", sex, order=12)))
    assert (error.code, error.status, error.field) == ("marriage_parties", 422, "visitors.1.id_number")
    assert zh in error.message("zh") and "一男一女" in error.message("zh")
    assert en in error.message("en")


def test_a_residence_permit_and_a_resident_id_marry_by_their_sex_digits(marriage):
    taiwan_woman = {"name": "林志玲", "id_type": "residence_permit", "id_number": gb11643("83000019800101002")}
    done = book(marriage, [couple(person("19820101", "male"), "")[0], taiwan_woman])
    assert [v.id_type for v in done.booking.visitors] == ["resident_id", "residence_permit"]


def test_documents_without_sex_or_birth_date_are_left_to_the_counter(marriage):
    people = [{"name": "John Smith", "id_type": "passport", "id_number": "123456789"},
              {"name": "Jane O'Neil-Smith", "id_type": "passport", "id_number": "987654321"}]
    assert book(marriage, people).booking.party_size == 2


def test_the_age_rule_is_for_marriage_only(ctx):
    farewell = make_slot(make_service(make_office(), code="farewell", kind="farewell"))
    db.session.commit()
    child = person(years_before(local_day(farewell), 11), "male")
    assert book(farewell, [{"name": "小明", "id_type": "resident_id", "id_number": child}]).booking


# --- one active booking per person per service ----------------------------------------------------

def test_marriage_holds_one_active_booking_per_person_whatever_the_day(marriage):
    later = make_slot(marriage.service, days_ahead=4)
    db.session.commit()
    first = book(marriage, [visitor(1), visitor(2)])
    error = refusal(later, [visitor(1), visitor(4)], phone="+8613900001111")
    assert (error.code, error.status) == ("identity_already_booked", 409)
    assert "每人同时只能预约一次" in error.message("zh") and "one at a time" in error.message("en")
    bookings.cancel(first.booking)
    assert book(later, [visitor(1), visitor(4)], phone="+8613900001111").booking.status == "booked"


def test_a_finished_marriage_booking_does_not_block_the_next(marriage):
    first = book(marriage, [visitor(1), visitor(2)])
    first.booking.status = "completed"
    db.session.commit()
    later = make_slot(marriage.service, days_ahead=5)
    db.session.commit()
    assert book(later, [visitor(1), visitor(2)], phone="+8613900002222").booking


def test_other_services_hold_one_booking_per_person_per_day(ctx):
    service = make_service(make_office(), code="farewell", kind="farewell")
    assert service.person_limit == "day"
    today, other_day, same_day = (make_slot(service, days_ahead=d, at=dt.time(h)) for d, h in ((2, 9), (3, 9), (2, 15)))
    db.session.commit()
    book(today, [visitor(1)])
    assert book(other_day, [visitor(1)], phone="+8613900003333").booking
    error = refusal(same_day, [visitor(1)], phone="+8613900004444")
    assert error.code == "identity_already_booked" and "当天" in error.message("zh")


def test_the_limit_follows_the_service_setting(marriage):
    assert marriage.service.person_limit == "service"
    marriage.service.person_limit = "day"
    later = make_slot(marriage.service, days_ahead=3)
    db.session.commit()
    book(marriage, [visitor(1), visitor(2)])
    assert book(later, [visitor(1), visitor(2)], phone="+8613900005555").booking


# --- names -------------------------------------------------------------------------------------------

ACCEPTED_NAMES = ["张伟", "𠮷野家", "阿依古丽·买买提", "マリア·ガルシア", "Mary-Jane O'Brien",
                  "Jean Paul d’Arc", "José Ñúñez", "Þórunn", "X Æ A-12", "张" * 100, "𠮷" * 100,
                  "Nguyễn Văn An", "Αλέξανδρος", "Мария Иванова", "John Q. Smith", "St. John",
                  # private use: how a character Unicode lacks is typed (a font or an input method's)
                  "王\ue000明", "\U000f0001华", "李\U00100005"]
# Look-alikes of the name separator, typed with whatever the keyboard offers; stored as U+00B7.
MIDDLE_DOTS = ["\u2022", "\u2027", "\u30fb", "\uff65", "\uff0e", "\u22c5", "\u2219", "\u0387",
               "\u16eb", "\u2e31", "\ua78f", "\u1427", "\u00b7", ".", " · ", " \u2022 "]
REFUSED_NAMES = [("张\u2028伟", "invisible"), ("张\u2029伟", "invisible"), ("张\n伟", "invisible"),
                 ("张\t伟", "invisible"), ("张\u200b伟", "invisible"), ("\u202e伟张", "invisible"),
                 ("张\u00ad伟", "invisible"), ("张\U000e0001", "invisible"), ("张" * 101, "too_long"),
                 ("   ", None), ("", None)]


@pytest.mark.parametrize("name", ACCEPTED_NAMES)
def test_names_as_documents_print_them_are_accepted(name):
    assert identity.clean_name(f"  {name} ") == name


@pytest.mark.parametrize("dot", MIDDLE_DOTS)
def test_a_middle_dot_look_alike_is_stored_as_the_national_standard_separator(dot):
    """民委发〔2016〕33号 (the 12 ministries' notice on names in public information systems):
    the separator in names is "·", GB 13000 U+00B7, GB 18030 A1A4."""
    assert identity.clean_name(f"阿依古丽{dot}买买提") == "阿依古丽\u00b7买买提"
    assert identity.clean_name(f"マリア{dot}ガルシア") == "マリア\u00b7ガルシア"


@pytest.mark.parametrize("name, reason", REFUSED_NAMES)
def test_names_with_invisible_characters_or_too_long_are_refused_with_why(name, reason):
    with pytest.raises(InvalidName) as caught:
        identity.clean_name(name, "visitors.0.name")
    error = caught.value
    assert error.field == "visitors.0.name"
    expected = {"invisible": "不可见的字符", "too_long": "最多 100 个字符", None: "请填写姓名"}[reason]
    assert expected in error.message("zh")


def test_the_api_the_form_and_the_openapi_document_share_the_name_limit(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schema = document["components"]["schemas"]["VisitorInput"]["properties"]
    assert schema["name"]["maxLength"] == identity.NAME_MAX == 100
    assert set(schema["id_type"]["enum"]) == set(identity.PARSERS)


def test_a_long_foreign_name_is_booked_by_the_api_and_a_longer_one_refused(ctx, client):
    slot = make_slot(make_service(make_office(), code="farewell", kind="farewell"))
    db.session.commit()
    api = CheckedClient(client)
    long_name = "Maria Dolores Francisca de la Santísima Trinidad Fernández-García y López O'Connor Smith"
    assert 80 < len(long_name) <= 100
    for name, number, status in ((long_name, "E12345678", 201), ("X" * 101, "E12345679", 422)):
        started = api.post("/api/v1/phone-verifications", json={"phone": "+8613812345678"}).get_json()
        response = api.post("/api/v1/bookings", json={
            "slot_id": slot.id, "phone": "+8613812345678", "verification_id": started["id"],
            "code": last_code(), "visitors": [{"name": name, "id_type": "passport", "id_number": number}]})
        assert response.status_code == status, response.get_json()
    assert db.session.scalar(select(Booking.id).where(Booking.status == "booked")) is not None


def test_the_api_stores_the_separator_as_u00b7_and_keeps_a_private_use_character(ctx, client):
    slot = make_slot(make_service(make_office(), code="farewell", kind="farewell"))
    db.session.commit()
    api = CheckedClient(client)
    started = api.post("/api/v1/phone-verifications", json={"phone": "+8613812345678"}).get_json()
    people = [{"name": "阿依古丽\u30fb买买提", "id_type": "passport", "id_number": "E12345678"},
              {"name": "王\ue000明", "id_type": "passport", "id_number": "E12345679"}]
    response = api.post("/api/v1/bookings", json={
        "slot_id": slot.id, "phone": "+8613812345678", "verification_id": started["id"],
        "code": last_code(), "visitors": people})
    assert response.status_code == 201, response.get_json()
    booking = db.session.scalar(select(Booking).where(Booking.reference == response.get_json()["reference"]))
    assert [v.name for v in booking.visitors] == ["阿依古丽\u00b7买买提", "王\ue000明"]


# --- full-width SMS codes, new mobile ranges ---------------------------------------------------------

def test_a_full_width_code_books_through_the_api(ctx, client, marriage):
    api = CheckedClient(client)
    started = api.post("/api/v1/phone-verifications", json={"phone": "１３８ １２３４ ５６７８"}).get_json()
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in last_code())
    response = api.post("/api/v1/bookings", json={
        "slot_id": marriage.id, "phone": "+8613812345678", "verification_id": started["id"],
        "code": full_width, "visitors": [visitor(1), visitor(2)]})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("number", ["14912345678", "16612345678", "16712345678", "19012345678",
                                    "19212345678", "19512345678", "19812345678", "19912345678",
                                    "17012345678", "14512345678", "１９９１２３４５６７８"])
def test_the_newest_mainland_mobile_ranges_are_accepted(number):
    assert identity.normalize_phone(number) == "+86" + identity.ascii_digits(number)


def test_a_new_service_of_marriage_or_divorce_holds_one_booking_whatever_the_day(ctx):
    office = make_office()
    kinds = {kind: make_service(office, code=kind, kind=kind).person_limit
             for kind in ("marriage", "divorce", "farewell", "cremation", "ash_collection", "tomb_sweeping")}
    assert kinds == {"marriage": "service", "divorce": "service", "farewell": "day", "cremation": "day",
                     "ash_collection": "day", "tomb_sweeping": "day"}
    assert db.session.scalars(select(Service.person_limit)).all()
