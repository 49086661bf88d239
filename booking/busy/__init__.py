"""Busy days seen coming (docs/contract.md, "Busy days ahead").

- days.py   the notable days of the next twelve months at offices, a year before's bookings on
            the same notable day, and each day's settings now (reads only)
- plans.py  the popular-day plan: cap, telephone reserve, hold-back for the waiting list, proof
            of work and extra hours for one day, applied and undone as one use case
"""
