"""Property-based fuzzing of the domain entry points: whatever comes in (huge strings, control
characters, lone surrogates, emoji, mixed scripts, SQL and HTML injection, wrong types), the
domain answers with a BookingError or a valid result, and a refusal changes nothing.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from booking import bookings, identity, verification
from booking.errors import BookingError
from booking.extensions import db
from booking.models import ID_TYPES, AuditEvent, Booking, IdentityClaim, PhoneVerification, Slot, SmsMessage, Visitor

from .conftest import _fresh_schema, make_app
from .factories import PHONE, setup_marriage_slot, verified, visitor
from .fuzzing import ANYTHING, HOSTILE_TEXT, NASTY_STRINGS

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app and database for the module (hypothesis runs many examples per test)."""
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    _fresh_schema(app)
    with app.app_context():
        slot = setup_marriage_slot()
        other = setup_other_slot(slot)
        done = bookings.book(slot_id=slot.id, phone=PHONE, visitors=[visitor(1), visitor(2)],
                             verification=verified())
        state = {"slot_id": slot.id, "other_slot_id": other.id, "reference": done.booking.reference,
                 "token": done.token}
    with app.test_request_context():
        yield app, state
    with app.app_context():
        db.engine.dispose()


def setup_other_slot(slot: Slot) -> Slot:
    from .factories import make_slot

    other = make_slot(slot.service, days_ahead=3)
    db.session.commit()
    return other


def snapshot() -> tuple:
    """Every row count the operations could change, and the slot counters."""
    db.session.rollback()
    tables = (Booking, Visitor, IdentityClaim, SmsMessage, AuditEvent, PhoneVerification)
    counts = tuple(db.session.scalar(select(func.count()).select_from(t)) for t in tables)
    counters = tuple(db.session.execute(
        select(Slot.id, Slot.booked_bookings, Slot.booked_people).order_by(Slot.id)).all())
    bookings_state = tuple(db.session.execute(
        select(Booking.id, Booking.status, Booking.slot_id).order_by(Booking.id)).all())
    used = db.session.scalar(select(func.count()).select_from(PhoneVerification)
                             .where(PhoneVerification.used_at.is_not(None)))
    return counts, counters, bookings_state, used


def refused_or_done(operation):
    """Run an operation; a refusal must be a BookingError and leave the database as it was."""
    before = snapshot()
    try:
        result = operation()
    except BookingError as error:
        assert error.message("zh") and error.message("en")
        assert 400 <= error.status < 500
        assert snapshot() == before, f"{type(error).__name__} changed the database"
        return None
    return result


# --- identity: pure functions -----------------------------------------------------------------

@FUZZ
@given(raw=ANYTHING)
def test_normalize_phone_gives_e164_or_invalid_phone(raw):
    try:
        phone = identity.normalize_phone(raw)
    except BookingError as error:
        assert error.code == "invalid_phone"
        return
    assert phone.startswith("+") and phone[1:].isdigit() and len(phone) <= 16


@FUZZ
@given(id_type=st.one_of(st.sampled_from(ID_TYPES), ANYTHING), raw=ANYTHING)
def test_normalize_identity_gives_a_clean_number_or_invalid_identity(id_type, raw):
    try:
        number = identity.normalize_identity(id_type, raw, "visitors.0.id_number")
    except BookingError as error:
        known = id_type in ID_TYPES
        assert error.code == ("invalid_identity" if known else "invalid_id_type")
        assert error.field == ("visitors.0.id_number" if known else "visitors.0.id_type")
        return
    assert number.isascii() and number.isalnum() and 5 <= len(number) <= 18
    assert identity.mask_identity(number) != number


@FUZZ
@given(raw=ANYTHING)
def test_clean_name_gives_a_printable_short_name_or_invalid_name(raw):
    try:
        name = identity.clean_name(raw, "visitors.0.name")
    except BookingError as error:
        assert error.code == "invalid_name"
        return
    assert 1 <= len(name) <= 40 and name == name.strip() and name.isprintable()


# --- operations that write: a refusal changes nothing ------------------------------------------

@FUZZ
@given(phone=ANYTHING, lang=st.one_of(st.sampled_from(["zh", "en"]), ANYTHING))
@example(phone="+8613900000077", lang="xx")
@example(phone="+8613900000078", lang=None)
def test_start_verification_refuses_bad_input_without_writing(world, phone, lang):
    assume(phone not in (PHONE,))
    verification_id = refused_or_done(lambda: verification.start_verification(phone, lang))
    if verification_id is not None:  # a real mobile number got through: one code, one text
        assert db.session.get(PhoneVerification, verification_id) is not None


def visitor_inputs():
    field = st.one_of(HOSTILE_TEXT, st.sampled_from(["张伟", visitor(3)["id_number"], "resident_id"]))
    entry = st.one_of(
        st.fixed_dictionaries({"name": field, "id_type": st.one_of(st.sampled_from(ID_TYPES), ANYTHING),
                               "id_number": field}),
        st.dictionaries(st.text(max_size=10), ANYTHING, max_size=4),
        ANYTHING,
    )
    return st.one_of(st.lists(entry, max_size=4), ANYTHING)


@FUZZ
@given(slot_id=st.one_of(st.just("SLOT"), st.integers(), ANYTHING), phone=st.one_of(st.just(PHONE), ANYTHING),
       visitors=visitor_inputs(), lang=st.one_of(st.sampled_from(["zh", "en"]), ANYTHING),
       verification_id=ANYTHING, code=ANYTHING)
def test_book_refuses_hostile_input_with_a_booking_error_and_writes_nothing(
        world, slot_id, phone, visitors, lang, verification_id, code):
    _, state = world
    slot_id = state["slot_id"] if slot_id == "SLOT" else slot_id
    refused_or_done(lambda: bookings.book(slot_id=slot_id, phone=phone, visitors=visitors, lang=lang,
                                          verification=(verification_id, code)))


PHONES = itertools.count(1)
BOOKING_FIELDS = ("slot_id", "phone", "lang", "visitors", "name", "id_type", "id_number", "verification_id", "code")


@FUZZ
@given(field=st.sampled_from(BOOKING_FIELDS), value=ANYTHING)
def test_book_with_one_hostile_field_among_valid_ones_is_refused_cleanly(world, field, value):
    """Everything valid but one field, so each check deep in book() meets hostile input."""
    _, state = world
    phone = f"+86137{next(PHONES):08d}"  # five codes per phone per hour: a new phone each time
    verification_id, code = verified(phone)
    args = {"slot_id": state["other_slot_id"], "phone": phone, "lang": "en", "verification_id": verification_id,
            "code": code, "visitors": [visitor(90), visitor(91)]}
    if field in ("name", "id_type", "id_number"):
        args["visitors"] = [{**visitor(90), field: value}, visitor(91)]
    else:
        args[field] = value
    done = refused_or_done(lambda: bookings.book(
        slot_id=args["slot_id"], phone=args["phone"], visitors=args["visitors"], lang=args["lang"],
        verification=(args["verification_id"], args["code"])))
    if done is not None:  # the hostile value happened to be valid: undo, so the next example can book
        bookings.cancel(done.booking, notify=False)


@FUZZ
@given(new_slot_id=st.one_of(st.just("OTHER"), ANYTHING))
def test_reschedule_refuses_hostile_slot_ids_and_writes_nothing(world, new_slot_id):
    _, state = world
    booking = bookings.find_booking(state["reference"], state["token"])
    if new_slot_id == "OTHER":
        new_slot_id = state["other_slot_id"] if booking.slot_id == state["slot_id"] else state["slot_id"]
    refused_or_done(lambda: bookings.reschedule(booking, new_slot_id))


@FUZZ
@given(reference=st.one_of(st.just("REF"), ANYTHING), token=ANYTHING)
@example(reference="\ud800", token="\ud800")
@example(reference="REF", token="\x00")
@example(reference=["REF"], token={"a": 1})
def test_find_booking_answers_not_found_for_anything_but_its_token(world, reference, token):
    _, state = world
    reference = state["reference"] if reference == "REF" else reference
    assume(token != state["token"])
    with pytest.raises(BookingError) as refused:
        bookings.find_booking(reference, token)
    assert refused.value.code == "not_found"


@FUZZ
@given(verification_id=ANYTHING, code=ANYTHING, phone=st.one_of(st.just(PHONE), ANYTHING))
@example(verification_id="\ud800", code="\ud800", phone=PHONE)
@example(verification_id="' OR 1=1 --", code="' OR '1'='1", phone=PHONE)
@example(verification_id=None, code=None, phone=None)
def test_check_code_refuses_anything_but_the_code(world, verification_id, code, phone):
    with pytest.raises(BookingError) as refused:
        verification.check_code(verification_id, code, phone=phone)
    assert refused.value.code == "verification_failed"


def test_nasty_strings_include_the_classics():
    """The fixed list keeps the cases a random generator rarely finds."""
    assert any("DROP TABLE" in s for s in NASTY_STRINGS) and any("<script>" in s for s in NASTY_STRINGS)
    assert "\ud800" in NASTY_STRINGS and "\x00" in NASTY_STRINGS
