"""Property tests: arbitrary strings as names, document numbers and SMS codes never answer 500,
on the API or the booking form; a refusal names the field it is about (issue 13).

Besides hostile text, the strategies make numbers that pass the check character with any
county code and any date digits (the class of input that crashed python-stdnum's cn.ric),
full-width digits, and names outside the BMP.
"""

from __future__ import annotations

import itertools
import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking import identity
from booking.errors import InvalidIdentity
from booking.extensions import db
from booking.models import ID_TYPES

from .conftest import _fresh_schema, make_app
from .documents import gb11643
from .factories import make_office, make_service, make_slot, verified
from .fuzzing import HOSTILE_TEXT

FUZZ = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
PHONES = (f"+86137{n:08d}" for n in itertools.count())  # five codes an hour per phone

CHECKED_18 = st.text(alphabet="0123456789", min_size=17, max_size=17).map(gb11643)
FULL_WIDTH = st.text(alphabet="０１２３４５６７８９ＸｘＨＭ －", min_size=1, max_size=22)
NUMBERS = st.one_of(HOSTILE_TEXT, CHECKED_18, FULL_WIDTH, st.from_regex(r"[HMhm]\d{8,10}", fullmatch=True),
                    st.from_regex(r"[A-Z]{3}\d{12}", fullmatch=True), st.from_regex(r"9\d{16}[\dX]", fullmatch=True))
NAMES = st.one_of(HOSTILE_TEXT, st.text(min_size=95, max_size=105),
                  st.text(st.characters(min_codepoint=0x20000, max_codepoint=0x2FFFF), max_size=110))
CODES = st.one_of(HOSTILE_TEXT, st.text(alphabet="０１２３４５６７８９0123456789 ", max_size=8))
ID_TYPE = st.one_of(st.sampled_from(ID_TYPES), HOSTILE_TEXT)
VISITOR = st.fixed_dictionaries({"name": NAMES, "id_type": ID_TYPE, "id_number": NUMBERS})
ALLOWED_FIELDS = re.compile(r"visitors(\.[01](\.(name|id_type|id_number))?)?|code|phone|lang|verification_id")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('fuzzidentity') / 'db.sqlite'}",
                   RATELIMIT_ENABLED=False, PROPAGATE_EXCEPTIONS=False)
    _fresh_schema(app)
    with app.app_context():
        slot_id = make_slot(make_service(make_office())).id
        db.session.commit()
    yield app, slot_id
    with app.app_context():
        db.engine.dispose()


def verification(app) -> tuple[str, str]:
    """A fresh phone and the id of a code texted to it."""
    phone = next(PHONES)
    with app.app_context():
        found = verified(phone)[0]
        db.session.remove()
    return phone, found


@FUZZ
@given(number=CHECKED_18)
def test_a_checked_resident_number_is_judged_by_province_and_date_never_by_county(number):
    try:
        document = identity.read_document("resident_id", number, "visitors.0")
    except InvalidIdentity as error:
        assert error.field == "visitors.0.id_number"
        province_ok = number[:2] in {f"{p}" for p in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
                                                     41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65)}
        assert not province_ok or "出生日期" in error.message("zh")
        return
    assert document.number == number and document.sex in ("male", "female")


@FUZZ
@given(visitors=st.lists(VISITOR, min_size=1, max_size=2), code=CODES)
def test_the_api_never_answers_500_to_names_numbers_or_codes(site, visitors, code):
    app, slot_id = site
    phone, verification_id = verification(app)
    body = {"slot_id": slot_id, "phone": phone, "verification_id": verification_id, "code": code,
            "visitors": visitors}
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    response = app.test_client().post("/api/v1/bookings", data=raw, content_type="application/json")
    assert response.status_code in (201, 400, 409, 422), response.get_data(as_text=True)[:300]
    answer = response.get_json()
    if response.status_code == 422:
        assert answer["fields"] and all(ALLOWED_FIELDS.fullmatch(name) for name in answer["fields"]), answer


def _quote(text: str, *_args) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@FUZZ
@given(visitors=st.lists(VISITOR, min_size=2, max_size=2), code=CODES)
def test_the_booking_form_never_answers_500_to_names_numbers_or_codes(site, visitors, code):
    app, slot_id = site
    client = app.test_client()
    page = client.get(f"/book/slot/{slot_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    phone, verification_id = verification(app)
    data = {"csrf_token": token, "people": "2", "phone": phone, "lang": "zh",
            "verification_id": verification_id, "code": code}
    for i, person in enumerate(visitors):
        data.update({f"visitors-{i}-{key}": value for key, value in person.items()})
    response = client.post(f"/book/slot/{slot_id}", data=urlencode(data, quote_via=_quote),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (303, 400, 409, 422), response.status_code
