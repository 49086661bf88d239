"""bookings/places.place_booking, the pipeline's write: on PostgreSQL every write of a booking is
one statement whose rows all hang on the slot's conditional UPDATE; on SQLite they go one after
another. Both write the same rows, and a refusal (a full slot, a person claimed meanwhile) leaves nothing behind."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from booking import bookings, scheduling
from booking.bookings import channels, places
from booking.errors import IdentityAlreadyBooked, SlotFull, VerificationFailed
from booking.extensions import db
from booking.models import AuditEvent, Booking, IdentityClaim, PhoneVerification, Slot, SmsMessage, Visitor, utcnow
from booking.uow import unit_of_work
from tests.factories import make_office, make_service, make_slot, verified

ROWS = (Booking, Visitor, IdentityClaim, SmsMessage, AuditEvent)


def party(first: int) -> list[bookings.VisitorRow]:
    return [bookings.VisitorRow(i, f"访客{first + i}", "resident_id", "1101**********001X",
                                f"{first + i:064d}") for i in range(2)]


def place(slot: Slot, visitors: list[bookings.VisitorRow], source: str = "api",
          code: str | None = None) -> bookings.Booked:
    with unit_of_work():
        channel = channels.channel("walk_in" if source == "walk_in" else "online")
        return places.place_booking(slot, channel, phone="+8613800138000", lang="zh", source=source,
                                    visitors=visitors, now=utcnow(), code=code)


def code_used(verification_id: str) -> bool:
    db.session.expire_all()
    return db.session.get(PhoneVerification, verification_id).used_at is not None


def farewell_slot(**fields) -> Slot:
    """A slot of a farewell service (one person may book it once a day), committed."""
    slot = make_slot(make_service(make_office(), kind="farewell", code="farewell"), **fields)
    db.session.commit()
    return slot


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in ROWS}


def test_a_booking_writes_its_rows_and_answers_with_the_stored_id(any_app):
    with any_app.app_context():
        slot = farewell_slot()
        done = place(slot, party(0))
        stored = db.session.get(Booking, done.made.id)
        assert (stored.reference, stored.slot_id, stored.party_size, stored.status) == (
            done.made.reference, slot.id, 2, "booked")
        assert [(v.position, v.name, v.id_hash) for v in stored.visitors] == [
            (v.position, v.name, v.id_hash) for v in party(0)]
        claims = db.session.scalars(select(IdentityClaim).where(IdentityClaim.booking_id == stored.id)).all()
        assert {c.day for c in claims} == {scheduling.local_day(slot.service.office, slot.starts_at)}
        text = db.session.scalars(select(SmsMessage).where(SmsMessage.booking_id == stored.id)).one()
        assert text.kind == "booked" and "link" not in json.loads(text.params) and text.sealed is None
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.booking_id == stored.id)).one()
        assert (event.action, event.actor, event.office_id) == ("booked", "citizen", slot.office_id)
        db.session.refresh(slot)
        assert (slot.booked_bookings, slot.booked_people) == (1, 2)


def test_a_walk_in_is_written_without_its_text(any_app):
    with any_app.app_context():
        slot = farewell_slot()
        done = place(slot, party(0), source="walk_in")
        assert db.session.scalar(select(func.count()).select_from(SmsMessage)) == 0
        assert db.session.get(Booking, done.made.id).source == "walk_in"


def test_a_full_slot_writes_nothing(any_app):
    with any_app.app_context():
        slot = farewell_slot(max_bookings=1, max_people=5)
        place(slot, party(0))
        before = counts()
        with pytest.raises(SlotFull):
            place(slot, party(10))
        assert counts() == before


def test_a_person_claimed_meanwhile_rolls_the_whole_booking_back(any_app):
    """The rule's read (check_identities_free) missed them: the claim's key refuses the insert."""
    with any_app.app_context():
        slot = farewell_slot()
        place(slot, party(0))
        before = counts()
        with pytest.raises(IdentityAlreadyBooked):
            place(slot, party(0))
        assert counts() == before
        db.session.refresh(slot)
        assert (slot.booked_bookings, slot.booked_people) == (1, 2)


def test_the_code_is_used_with_the_writes_and_only_with_them(any_app):
    """On PostgreSQL the code's use is part of the one statement; a full slot rolls it back,
    and a code used meanwhile refuses the booking and writes nothing."""
    with any_app.app_context():
        slot = farewell_slot(max_bookings=1, max_people=5)
        first, _ = verified("+8613800138000")
        db.session.commit()
        place(slot, party(0), code=first)
        assert code_used(first)

        second, _ = verified("+8613800138000")
        db.session.commit()
        before = counts()
        with pytest.raises(SlotFull):
            place(slot, party(10), code=second)
        assert counts() == before and not code_used(second)

        other = make_slot(slot.service, days_ahead=3)
        db.session.commit()
        before = counts()
        with pytest.raises(VerificationFailed):
            place(other, party(20), code=first)  # used by the first booking
        assert counts() == before
