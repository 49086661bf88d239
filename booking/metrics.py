"""Counters for `/metrics` (Prometheus), incremented where an outcome is decided.

Two kinds of figures, chosen so that several gunicorn workers and SMS workers agree:

- Events (requests, booking outcomes, texts handed to a gateway, door refusals) are counters
  kept by the process that saw them. With several processes on one host, set
  `PROMETHEUS_MULTIPROC_DIR` to one writable, initially empty folder for the web workers and
  the SMS workers alike: prometheus-client then keeps each process's counters in a file there
  and a scrape adds them up (its "multiprocess mode"). Without it, each process counts alone,
  which is right for one process (`make run`) only.
- States (places left, outbox backlog, hall occupancy) are read from the database at scrape
  time by `booking.observability`, so every process answers the same figures.

Nothing here carries personal data: labels are route templates, codes, office codes and days.
This module imports only prometheus-client and the error classes, so the domain may use it.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter

from .errors import BookingError

# registry=None: a scrape assembles its own registry (booking.observability.exposition).
REQUESTS = Counter("booking_http_requests", "HTTP requests answered, by route template, method and status.",
                   ["route", "method", "status"], registry=None)
BOOKINGS = Counter("booking_bookings", "Attempts to book, by channel (web, api, walk_in, ...) and outcome: "
                   "booked, or the error code that refused it (slot_full, verification_failed, ...).",
                   ["source", "outcome"], registry=None)
SENDS = Counter("booking_sms_sends", "Texts handed to a gateway, by gateway and result: "
                "sent (accepted), retry (temporary failure), failed (for good).",
                ["gateway", "result"], registry=None)
DOOR_REFUSALS = Counter("booking_door_refusals", "Check-ins and walk-ins refused at the door, by reason.",
                        ["reason"], registry=None)

COUNTERS = (REQUESTS, BOOKINGS, SENDS, DOOR_REFUSALS)

log = logging.getLogger("booking.metrics")


def _count(counter: Counter, **labels: str) -> None:
    """Add one; a counter that cannot be written (PROMETHEUS_MULTIPROC_DIR removed or not
    writable) is logged and skipped: a figure never changes an outcome, nor stops a text
    from being recorded as sent."""
    try:
        counter.labels(**labels).inc()
    except Exception as error:  # any failure of the metrics files, never the caller's
        log.warning("metric %s not counted: %s", counter.describe()[0].name, type(error).__name__)


def count_booking_outcome(book, **fields):
    """Calls `book(**fields)` (bookings.book does, with its own rules) and counts the attempt
    once, by `fields["source"]`: as `booked`, or as the code of the BookingError it raised
    (raised on unchanged). Other exceptions (a database outage) are no outcome of the rules;
    the requests' 5xx show them."""
    source = fields.get("source", "web")
    try:
        booked = book(**fields)
    except BookingError as error:
        _count(BOOKINGS, source=source, outcome=error.code)
        raise
    _count(BOOKINGS, source=source, outcome="booked")
    return booked


def sms_handled(gateway_name: str, result: str) -> None:
    """One text handed to gateway `gateway_name` ("console", "twilio", ...) with `result`
    "sent", "retry" or "failed" (booking.sms.worker decides which)."""
    _count(SENDS, gateway=gateway_name, result=result)


def door_refused(reason: str) -> None:
    """One refusal at the door (booking.hall.door records it), by its reason code."""
    _count(DOOR_REFUSALS, reason=reason)


# HTTP's methods (RFC 9110 and PATCH); any other a client makes up is counted as "other", so
# that no request can add a label value (every value is a series Prometheus keeps).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
OTHER_METHOD = "other"


def request_answered(route: str, method: str, status: int) -> None:
    """One HTTP answer; `route` is the URL rule (`/api/v1/bookings/<reference>`), never the
    path itself, which may carry a booking reference or a token; `method` one of METHODS, or
    "other"."""
    _count(REQUESTS, route=route, method=method if method in METHODS else OTHER_METHOD,
           status=str(status))
