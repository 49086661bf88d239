"""Bookings: the one pipeline every way of taking a place goes through, and the operations
on a booking.

  channels.py    every channel (online, walk-in, reschedule, waiting-list join and claim, ...)
                 and which checks it meets: one row each
  pipeline.py    the checks in one order for every channel, then the places taken
  places.py      the place-taking statements, called by the pipeline only
  rules.py       the rules, one function each
  records.py     visitors, the slot as seen, the booking written, references and tokens
  operations.py  book, confirm, cancel, release unconfirmed, reschedule

The names other modules use are here.
"""

from .channels import ASSISTED, CHANNELS, Channel
from .operations import CANCELLABLE, book, cancel, confirm, release_unconfirmed, reschedule
from .records import (
    Booked,
    BookingMade,
    SlotSeen,
    VisitorInput,
    VisitorRow,
    find_booking,
    manage_token,
    new_reference,
    text_values,
)
from .rules import (
    check_identities_free,
    check_open,
    check_party_size,
    check_phone_limit,
    check_room,
    check_window,
    clean_visitors,
    closure_of,
    load_slot,
    lock_booker,
)

__all__ = [
    "ASSISTED", "CANCELLABLE", "CHANNELS", "Booked", "BookingMade", "Channel", "SlotSeen", "VisitorInput", "VisitorRow",
    "book", "cancel", "check_identities_free", "check_open", "check_party_size", "check_phone_limit",
    "check_room", "check_window", "clean_visitors", "closure_of", "confirm", "find_booking", "load_slot", "lock_booker",
    "manage_token", "new_reference", "release_unconfirmed", "reschedule", "text_values",
]
