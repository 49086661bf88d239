"""Every engine function refuses bad input with its own error and leaves the database unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking import bookings, errors, scheduling
from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    Closure,
    IdentityClaim,
    PhoneVerification,
    Slot,
    SmsMessage,
    Visitor,
    utcnow,
)
from booking.verification import start_verification

from .factories import PHONE, make_office, make_service, make_slot, resident_id, verified, visitor


def snapshot() -> dict:
    """Everything a failed operation must leave as it was."""
    db.session.expire_all()
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
              for model in (Booking, Visitor, IdentityClaim, AuditEvent)}
    # Texts other than the verification codes a test asks for along the way.
    counts["texts"] = db.session.scalar(
        select(func.count()).where(SmsMessage.kind != "verification_code"))
    counts["slots"] = db.session.execute(
        select(Slot.id, Slot.booked_bookings, Slot.booked_people).order_by(Slot.id)).all()
    counts["codes_used"] = db.session.execute(
        select(PhoneVerification.id).where(PhoneVerification.used_at.is_not(None))).all()
    return counts


@pytest.fixture
def slot(any_app):
    with any_app.app_context():
        service = make_service(make_office())
        slot = make_slot(service)
        db.session.commit()
        yield slot


def attempt(slot_id, *, people=None, phone=PHONE, proof=None, **kwargs):
    return bookings.book(slot_id=slot_id, phone=phone,
                         visitors=people if people is not None else [visitor(1), visitor(2)],
                         verification=proof or verified(phone), **kwargs)


BAD_BOOKINGS = [
    ("unknown slot", dict(slot_id=999_999), errors.UnknownSlot),
    ("slot id of the wrong type", dict(slot_id="abc"), errors.UnknownSlot),
    ("one visitor for a marriage", dict(people=[visitor(1)]), errors.PartySizeInvalid),
    ("three visitors for a marriage", dict(people=[visitor(1), visitor(2), visitor(3)]),
     errors.PartySizeInvalid),
    ("invalid phone", dict(phone="12345"), errors.InvalidPhone),
    ("landline, not a mobile", dict(phone="+862162345678"), errors.InvalidPhone),
    ("identity checksum wrong",
     dict(people=[visitor(1), {**visitor(2), "id_number": resident_id(2)[:-1] + "0"}]),
     errors.InvalidIdentity),
    ("unknown document type",
     dict(people=[visitor(1), {**visitor(2), "id_type": "library_card"}]), errors.InvalidIdentity),
    ("malformed passport", dict(people=[visitor(1), {**visitor(2), "id_type": "passport",
                                                     "id_number": "E12"}]), errors.InvalidIdentity),
    ("empty name", dict(people=[visitor(1), {**visitor(2), "name": "   "}]), errors.InvalidName),
    ("the same person twice", dict(people=[visitor(1), visitor(1, name="别名")]),
     errors.DuplicateVisitor),
    ("unknown language", dict(lang="fr"), errors.InvalidLanguage),
]


@pytest.mark.parametrize("case, change, error", BAD_BOOKINGS, ids=[c[0] for c in BAD_BOOKINGS])
def test_bad_booking_input_raises_its_error_and_changes_nothing(slot, case, change, error):
    change = dict(change)
    slot_id = change.pop("slot_id", slot.id)
    phone = PHONE if change.get("phone") in (None, PHONE) else change["phone"]
    proof = verified(PHONE)
    before = snapshot()
    with pytest.raises(error):
        attempt(slot_id, proof=proof, **{"phone": phone, **change})
    assert snapshot() == before


def test_wrong_code_spends_a_try_and_books_nothing(slot):
    verification_id, code = verified()
    wrong = "000000" if code != "000000" else "111111"
    before = snapshot()
    with pytest.raises(errors.VerificationFailed):
        attempt(slot.id, proof=(verification_id, wrong))
    assert snapshot()["Booking"] == before["Booking"]
    assert db.session.get(PhoneVerification, verification_id).attempts == 1


def test_five_wrong_codes_end_the_verification(slot):
    verification_id, code = verified()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(errors.VerificationFailed):
            attempt(slot.id, proof=(verification_id, wrong))
    with pytest.raises(errors.VerificationFailed):
        attempt(slot.id, proof=(verification_id, code))


def test_a_code_proves_only_its_own_phone_and_only_once(slot):
    proof = verified()
    with pytest.raises(errors.VerificationFailed):
        attempt(slot.id, phone="+8613900001111", proof=proof)
    attempt(slot.id, proof=proof)
    with pytest.raises(errors.VerificationFailed):
        attempt(slot.id, people=[visitor(3), visitor(4)], proof=proof)


def test_an_expired_code_is_refused(slot):
    verification_id, code = verified()
    db.session.get(PhoneVerification, verification_id).expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(errors.VerificationFailed):
        attempt(slot.id, proof=(verification_id, code))


def test_a_sixth_code_within_the_hour_is_refused(slot):
    now = utcnow()
    for minute in range(5):
        start_verification(PHONE, now=now + dt.timedelta(minutes=minute))
    with pytest.raises(errors.TooManyCodes):
        start_verification(PHONE, now=now + dt.timedelta(minutes=59))
    start_verification("+8613900002222", now=now + dt.timedelta(minutes=59))
    start_verification(PHONE, now=now + dt.timedelta(minutes=61))  # the first one is an hour old


def test_closed_day_is_refused_with_its_reason(slot):
    day = scheduling.local_day(slot.office, slot.starts_at)
    db.session.add(Closure(office_id=slot.office_id, first_day=day, last_day=day, reason="疫情防控"))
    db.session.commit()
    before = snapshot()
    with pytest.raises(errors.OfficeClosed) as raised:
        attempt(slot.id)
    assert "疫情防控" in raised.value.message("zh")
    assert snapshot() == before


def test_suspended_service_and_closed_slot_are_refused(slot):
    slot.service.suspended = True
    db.session.commit()
    with pytest.raises(errors.ServiceSuspended):
        attempt(slot.id)
    slot.service.suspended = False
    slot.status = "closed"
    db.session.commit()
    with pytest.raises(errors.SlotClosed):
        attempt(slot.id)


def test_past_and_not_yet_open_slots_are_refused(slot):
    service = slot.service
    past = make_slot(service, days_ahead=-1)
    soon = make_slot(service, days_ahead=0, at=(utcnow() + dt.timedelta(hours=1))
                     .astimezone(service.office.tz).time().replace(second=0, microsecond=0))
    later = make_slot(service, days_ahead=30)
    db.session.commit()
    before = snapshot()
    with pytest.raises(errors.BookingClosed):
        attempt(past.id)
    with pytest.raises(errors.BookingClosed):  # closes 2 hours before the slot
        attempt(soon.id)
    with pytest.raises(errors.NotYetOpen) as raised:  # opens 7 days before, at 08:00 local
        attempt(later.id)
    opens = (scheduling.local_day(service.office, later.starts_at) - dt.timedelta(days=7))
    assert raised.value.message("en") == f"Booking for that slot opens at {opens} 08:00."
    assert snapshot() == before


def test_one_active_booking_per_identity_per_service_per_day(slot):
    other = make_slot(slot.service, at=dt.time(14, 0))
    db.session.commit()
    attempt(slot.id, people=[visitor(1), visitor(2)])
    before = snapshot()
    with pytest.raises(errors.IdentityAlreadyBooked):
        attempt(other.id, people=[visitor(2), visitor(3)], phone="+8613900002222")
    assert snapshot() == before


def test_cancelling_frees_the_identity_for_that_day(slot):
    done = attempt(slot.id)
    bookings.cancel(done.booking)
    attempt(slot.id, phone="+8613900002222")


def test_at_most_n_active_bookings_per_phone(any_app, slot):
    any_app.config["MAX_ACTIVE_BOOKINGS_PER_PHONE"] = 2
    attempt(slot.id, people=[visitor(1), visitor(2)])
    attempt(slot.id, people=[visitor(3), visitor(4)])
    before = snapshot()
    with pytest.raises(errors.TooManyBookings):
        attempt(slot.id, people=[visitor(5), visitor(6)])
    assert snapshot() == before


def test_a_full_slot_raises_slot_full_and_changes_nothing(slot):
    slot.max_bookings = 1
    db.session.commit()
    attempt(slot.id)
    before = snapshot()
    with pytest.raises(errors.SlotFull):
        attempt(slot.id, people=[visitor(3), visitor(4)], phone="+8613900002222")
    assert snapshot() == before


def test_cancel_twice_is_refused_and_releases_once(slot):
    done = attempt(slot.id)
    bookings.cancel(done.booking)
    before = snapshot()
    with pytest.raises(errors.NotActive):
        bookings.cancel(done.booking)
    assert snapshot() == before
    assert db.session.get(Slot, slot.id).booked_people == 0


def test_reschedule_to_a_full_slot_keeps_the_old_place(slot):
    full = make_slot(slot.service, at=dt.time(15, 0), max_bookings=1, max_people=2)
    db.session.commit()
    attempt(full.id, people=[visitor(7), visitor(8)], phone="+8613900002222")
    mine = attempt(slot.id).booking
    before = snapshot()
    with pytest.raises(errors.SlotFull):
        bookings.reschedule(mine, full.id)
    assert snapshot() == before
    assert db.session.get(Booking, mine.id).slot_id == slot.id


def test_reschedule_moves_the_place_and_the_identity_claim(slot):
    later = make_slot(slot.service, days_ahead=3)
    db.session.commit()
    mine = attempt(slot.id).booking
    bookings.reschedule(mine, later.id)
    db.session.expire_all()
    assert (db.session.get(Slot, slot.id).booked_people, db.session.get(Slot, later.id).booked_people) == (0, 2)
    claimed_days = set(db.session.scalars(select(IdentityClaim.day).where(IdentityClaim.booking_id == mine.id)))
    assert claimed_days == {scheduling.local_day(slot.office, later.starts_at)}
    with pytest.raises(errors.SameSlot):
        bookings.reschedule(mine, later.id)
    with pytest.raises(errors.UnknownSlot):
        bookings.reschedule(mine, 999_999)


def test_the_manage_token_opens_only_its_own_booking(slot):
    done = attempt(slot.id)
    assert bookings.find_booking(done.booking.reference.lower(), done.token).id == done.booking.id
    for reference, token in [(done.booking.reference, "x" * 22), ("ZZZZZZZZ", done.token),
                             (done.booking.reference, ""), (None, None)]:
        with pytest.raises(errors.NotFound):
            bookings.find_booking(reference, token)
    assert len(done.token) >= 22  # 22 base64 characters: 132 bits


def test_without_the_code_nothing_tells_whether_a_person_or_phone_has_bookings(slot):
    attempt(slot.id, people=[visitor(1), visitor(2)])
    verification_id, code = verified("+8613900002222")
    wrong = "000000" if code != "000000" else "111111"
    for proof in [(verification_id, wrong), None]:
        with pytest.raises(errors.VerificationFailed):  # not IdentityAlreadyBooked
            bookings.book(slot_id=slot.id, phone="+8613900002222",
                          visitors=[visitor(1), visitor(2)], verification=proof)
