"""The waiting list for full days, and the hold-back of freed places.

- holds.py    a freed place is held, offered to the first in line with a claim window,
              passed on when unclaimed, and returned to the public after the hold-back
              (below bookings/, which calls `holds.free_place` when a booking leaves a slot)
- entries.py  joining the list, the position, claiming an offer (through
              the booking pipeline, bookings/pipeline.py: the list refuses what booking refuses)
              and leaving

The package imports nothing at import time, so bookings/ may import holds.py while
entries.py imports bookings/.
"""
