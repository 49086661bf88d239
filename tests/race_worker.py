"""One process of the PostgreSQL booking race (started with multiprocessing's spawn)."""

from __future__ import annotations


def race(database_url: str, slot_id: int, attempts: list[dict], start_event) -> list[str]:
    """Try each booking; return one outcome per attempt: "booked" or the error class name."""
    from booking import bookings
    from booking.errors import BookingError

    from .conftest import make_app

    app = make_app(database_url)
    outcomes = []
    with app.app_context():
        start_event.wait(30)
        for item in attempts:
            try:
                bookings.book(slot_id=slot_id, phone=item["phone"], visitors=item["visitors"],
                              verification=(item["verification_id"], item["code"]))
                outcomes.append("booked")
            except BookingError as error:
                outcomes.append(type(error).__name__)
            except Exception as error:  # reported, so the test shows what went wrong
                outcomes.append(f"unexpected {type(error).__name__}: {error}")
    return outcomes
