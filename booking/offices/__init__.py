"""Office administration for supervisors: closures, capacity and epidemic levels, reviews of the
bookings above a new limit, staff accounts."""
