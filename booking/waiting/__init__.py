"""The waiting list for full days, and the hold-back of freed places.

- holds.py    a freed place is held, offered to the first in line with a claim window,
              passed on when unclaimed, and returned to the public after the hold-back
              (below bookings.py, which calls `holds.free_place` when a booking leaves a slot)
- entries.py  joining the list, the position, claiming an offer (through
              bookings.place_booking, with the same identity and party rules as a booking)
              and leaving

The package imports nothing at import time, so bookings.py may import holds.py while
entries.py imports bookings.py.
"""
