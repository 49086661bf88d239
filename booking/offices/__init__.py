"""Office administration for supervisors.

- closures.py  closing days (preview, then close), re-opening, the reason in both languages
- admin.py     capacity and epidemic levels, reviews of the bookings above a new limit,
               the office's counters, staff accounts
- china_calendar.py  China's statutory holidays, make-up working days and unpublished years (pure)
- china_notable.py   the notable days that bring crowds to registries and funeral homes (pure)
- lunar.py           lunar dates and solar terms as Gregorian dates (lunar-python)
"""
