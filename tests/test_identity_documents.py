"""Every document type of the contract, booked through the API with valid made-up numbers and
refused, with the right field and message in both languages, for each invalid one.

The numbers the issue (13) reported are among them: resident IDs whose county code the
validation library lacked (a 500 before) or judged younger than the holder (a refusal before).
"""

from __future__ import annotations

import pytest

from booking import identity
from booking.extensions import db

from .api_schema import CheckedClient
from .conftest import _fresh_schema, make_app
from .documents import gb11643, icao, wrong_check
from .factories import last_code, make_office, make_service, make_slot

VALID = [
    # issue 13: unknown to python-stdnum's area table (a 500 before)
    ("resident_id", "320219197506011231"),
    ("resident_id", "632825198501011231"),
    # issue 13: district code younger than the holder (refused before)
    ("resident_id", "310115196006061219"),
    ("resident_id", "320102198001010518"),
    ("resident_id", "460100197705081238"),
    ("resident_id", gb11643("11010519491231002")),                 # check character X
    ("resident_id", "１１０１０５ １９５１０１０１ ００１ｘ"),            # full width, spaces, small x
    ("resident_id", gb11643("65010119000101001")),                 # born 1 January 1900
    ("residence_permit", gb11643("81000019850315001")),            # Hong Kong
    ("residence_permit", gb11643("82000019920601002")),            # Macao
    ("residence_permit", gb11643("83000019701010003")),            # Taiwan
    ("hk_mo_permit", "H12345678"),
    ("hk_mo_permit", "m1234567801"),                               # older card, 10 digits
    ("tw_permit", "12345678"),
    ("tw_permit", "1234567801"),                                   # older permit, 10 digits
    ("foreign_permanent_id", gb11643("93184019800101001")),        # 2023 form
    ("foreign_permanent_id", icao("USA31008001011")),              # older form
    ("foreign_permanent_id", icao("DEU11000002292")),              # older form, born 29 Feb 2000
    ("passport", "E12345678"),
    ("passport", "EA1234567"),
    ("passport", "P1234567"),
    ("passport", "C01X00T47"),
]

FORMAT_RESIDENT = ("居民身份证号码应为 18 位", "A resident ID number has 18 characters")
CHECK = ("最后一位校验码与前面的号码不符", "The last character (the check character) does not match")
FUTURE = ("出生日期晚于今天", "is after today")
BEFORE_1900 = ("出生日期早于 1900 年", "is before 1900")
NO_DATE = ("出生日期不存在", "does not exist")
INVALID = [
    ("resident_id", "110105199001011230", CHECK),
    ("resident_id", wrong_check("320219197506011231"), CHECK),
    ("resident_id", gb11643("11010520300101001"), FUTURE),           # born in 2030
    ("resident_id", gb11643("11010518991231001"), BEFORE_1900),
    ("resident_id", gb11643("11010519900230001"), NO_DATE),          # 30 February
    ("resident_id", gb11643("72010119900101001"), ("前两位不是省、自治区或直辖市的代码", "not a province code")),
    ("resident_id", gb11643("81000019850315001"), ("请在证件类型中选择“港澳台居民居住证”", "residence permits")),
    ("resident_id", gb11643("93184019800101001"), ("外国人永久居留身份证", "permanent residence ID")),
    ("resident_id", "11010519900101123", FORMAT_RESIDENT),             # 17 characters
    ("resident_id", "1101051990010112X3", FORMAT_RESIDENT),
    ("residence_permit", "320102198001010518", ("以 810000（香港）、820000（澳门）或 830000（台湾）开头", "810000")),
    ("residence_permit", wrong_check(gb11643("81000019850315001")), CHECK),
    ("residence_permit", gb11643("83000020300101001"), FUTURE),
    ("hk_mo_permit", "A12345678", ("H（香港）或 M（澳门）加 8 位数字", "H (Hong Kong) or M (Macao)")),
    ("hk_mo_permit", "H1234567", ("H（香港）或 M（澳门）加 8 位数字", "and 8 digits")),
    ("tw_permit", "1234567", ("8 位数字（旧证为 10 位）", "has 8 digits")),
    ("tw_permit", "T12345678", ("8 位数字（旧证为 10 位）", "has 8 digits")),
    ("foreign_permanent_id", wrong_check(gb11643("93184019800101001")), CHECK),
    ("foreign_permanent_id", gb11643("93184020310101001"), FUTURE),
    ("foreign_permanent_id", wrong_check(icao("USA31008001011")), CHECK),
    ("foreign_permanent_id", icao("USA31008013011"), NO_DATE),        # month 13
    ("foreign_permanent_id", "US1100800101123", ("3 个字母加 12 位数字", "3 letters and 12 digits")),
    ("foreign_permanent_id", "320102198001010518", ("以 9 开头", "starting with 9")),
    ("passport", "E12", ("5–17 位字母和数字", "5 to 17 letters and digits")),
    ("passport", "ABCDEFGH", ("5–17 位字母和数字", "5 to 17 letters and digits")),
    ("passport", "E1234567/8", ("5–17 位字母和数字", "5 to 17 letters and digits")),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A funeral home's farewell service (1 to 5 people, any sex and age) with one slot."""
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('documents') / 'db.sqlite'}", RATELIMIT_ENABLED=False)
    _fresh_schema(app)
    with app.app_context():
        office = make_office("longhua", name_zh="龙华殡仪馆", name_en="Longhua Funeral Home")
        service = make_service(office, code="farewell", kind="farewell", name_zh="告别仪式",
                               name_en="Farewell ceremony", slot_max_bookings=100, slot_max_people=500)
        slot_id = make_slot(service).id
        db.session.commit()
    yield app, slot_id
    with app.app_context():
        db.engine.dispose()


def booking_answer(app, slot_id, id_type, number, phone, lang="zh", name="张三"):
    with app.app_context():
        api = CheckedClient(app.test_client())
        started = api.post("/api/v1/phone-verifications", json={"phone": phone})
        assert started.status_code == 201
        body = {"slot_id": slot_id, "phone": phone, "lang": lang, "verification_id": started.get_json()["id"],
                "code": last_code(phone), "visitors": [{"name": name, "id_type": id_type, "id_number": number}]}
        return api.post("/api/v1/bookings", json=body)


@pytest.mark.parametrize("n, case", list(enumerate(VALID)), ids=[f"{t}-{n}" for t, n in VALID])
def test_every_document_type_books_with_a_valid_number(world, n, case):
    app, slot_id = world
    id_type, number = case
    response = booking_answer(app, slot_id, id_type, number, phone=f"+861390000{n:04d}")
    assert response.status_code == 201, response.get_json()
    [visitor] = response.get_json()["visitors"]
    assert visitor["id_type"] == id_type
    assert "*" in visitor["id_masked"] and visitor["id_masked"] != number


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("n, case", list(enumerate(INVALID)), ids=[f"{t}-{n}" for t, n, _ in INVALID])
def test_every_invalid_number_is_refused_on_its_field_with_its_reason(world, n, case, lang):
    app, slot_id = world
    id_type, number, (zh, en) = case
    response = booking_answer(app, slot_id, id_type, number, phone=f"+861380000{n:04d}", lang=lang)
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "invalid_identity"
    assert list(answer["fields"]) == ["visitors.0.id_number"]
    assert (zh if lang == "zh" else en) in answer["fields"]["visitors.0.id_number"]


def test_an_unknown_document_type_is_refused_on_id_type(world):
    app, slot_id = world
    response = booking_answer(app, slot_id, "hk_macau_permit", "H12345678", phone="+8613700000001")
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["visitors.0.id_type"]


def test_a_parser_that_fails_unexpectedly_is_a_422_on_the_number_and_logs_no_number(world, monkeypatch, caplog):
    """A bug of the kind python-stdnum had (KeyError 'county' on a code its table lacked)."""
    app, slot_id = world

    def broken(number):
        raise KeyError(f"county of {number}")

    monkeypatch.setitem(identity.PARSERS, "passport", broken)
    response = booking_answer(app, slot_id, "passport", "E99887766", phone="+8613700000002")
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"visitors.0.id_number": "证件号码无效，请核对。"}
    assert "document parser for passport failed: KeyError" in caplog.text and "E99887766" not in caplog.text
