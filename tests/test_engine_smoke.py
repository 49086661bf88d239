from booking import bookings
from booking.extensions import db
from booking.models import Slot, SmsMessage

from .factories import setup_marriage_slot, verified, visitor


def test_book_takes_a_place_and_owes_a_text(ctx):
    slot = setup_marriage_slot()
    done = bookings.book(slot_id=slot.id, phone="13812345678",
                         visitors=[visitor(1), visitor(2)], verification=verified())
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).booked_people == 2
    kinds = [m.kind for m in db.session.query(SmsMessage)]
    assert kinds == ["verification_code", "booked"]
    assert bookings.find_booking(done.booking.reference, done.token).id == done.booking.id
