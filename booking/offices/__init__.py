"""Office administration for supervisors.

- closures.py  closing days (preview, then close), re-opening, the reason in both languages
- admin.py     capacity and epidemic levels, reviews of the bookings above a new limit,
               the office's counters, staff accounts
"""
