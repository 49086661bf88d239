"""What an operator watches: `GET /metrics` (Prometheus text format) and optional JSON logs.

`/metrics` opens only with `Authorization: Bearer <METRICS_TOKEN>`: 401 without it (or with
another token), 404 while `METRICS_TOKEN` is unset (docs/contract.md).

Counters (booking.metrics) are summed over every process sharing `PROMETHEUS_MULTIPROC_DIR`;
the states below are read from the database at each scrape, so any web worker answers the
same:

- `booking_places_left{office, day, unit}`: places (unit `people`) and parties (unit
  `bookings`) still free in the open slots not yet started, per office and local day, from
  the office's today for PLACES_DAYS days;
- `booking_outbox_backlog{status}`: texts `pending` or `sending`;
  `booking_outbox_oldest_age_seconds`: age of the oldest of them (0 when none waits);
- `booking_hall_occupancy{office}` and `booking_hall_limit{office}`: people in the hall now
  (booking.hall.door.occupancy), and the office's limit.

LOG_FORMAT=json writes our own log lines (loggers `booking.*`) as one JSON object a line with
time (ISO 8601, UTC), level, logger and message only: the messages already mask phone numbers and carry no
identity number, code or token (tests/test_logs_secrets.py), and no request data is added.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import sys
from collections import defaultdict

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask.logging import default_handler
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import case, func, select

from . import metrics, scheduling
from .extensions import db
from .hall.door import hall_limit, occupancy
from .models import Office, Region, Slot, SmsMessage, utcnow
from .security import REDACT_URLS

bp = Blueprint("observability", __name__)

PLACES_DAYS = 7  # days of places left shown per office, from its local today
BACKLOG = ("pending", "sending")
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"  # what every Prometheus reads


def _authorised() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


@bp.get("/metrics")
def scrape():
    """The figures in Prometheus' text format (version 0.0.4)."""
    if not _authorised():
        return Response("Unauthorized: a bearer token is required.\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    return Response(exposition(), 200, {"Content-Type": TEXT_FORMAT,
                                        "Cache-Control": "no-store"})


def exposition(now: dt.datetime | None = None) -> bytes:
    """Every counter (summed over the processes in PROMETHEUS_MULTIPROC_DIR when it is set)
    and the database's states, as Prometheus text."""
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for counter in metrics.COUNTERS:
            registry.register(counter)
    registry.register(DatabaseStates(now))
    try:
        return generate_latest(registry)
    finally:
        db.session.close()  # end the read; nothing was written


class DatabaseStates:
    """A collector whose figures are read from the database when scraped."""

    def __init__(self, now: dt.datetime | None = None):
        self.now = now

    def collect(self):
        now = self.now or utcnow()
        offices = db.session.scalars(select(Office).order_by(Office.code)).all()
        codes = {rid: code for rid, code in db.session.execute(select(Region.id, Region.code))}
        # The `region` label ("" for none): sum(...) by (region) gives a bureau its city.
        regions = {office.id: codes.get(office.region_id, "") for office in offices}
        yield places_left(offices, now, regions)
        yield from outbox_backlog(now)
        yield from hall(offices, now, regions)


def _limit(maximum, cut):
    """A slot's limit in SQL: its maximum, or a capacity cut's lower one (scheduling.limits)."""
    return case((cut < maximum, cut), else_=maximum)


def places_left(offices: list[Office], now: dt.datetime, regions: dict[int, str]) -> GaugeMetricFamily:
    """Free places of the open slots not yet started, per office, local day and unit."""
    family = GaugeMetricFamily("booking_places_left", "Places still free in open slots not yet started, "
                               "per office (and its region) and local day; unit people or bookings (parties).",
                               labels=["office", "region", "day", "unit"])
    for office in offices:
        today = scheduling.local_day(office, now)
        first = scheduling.local_datetime(office, today, dt.time(0))
        last = scheduling.local_datetime(office, today + dt.timedelta(days=PLACES_DAYS), dt.time(0))
        rows = db.session.execute(
            select(Slot.starts_at, _limit(Slot.max_people, Slot.cut_people) - Slot.booked_people,
                   _limit(Slot.max_bookings, Slot.cut_bookings) - Slot.booked_bookings)
            .where(Slot.office_id == office.id, Slot.status == "open", Slot.starts_at > now,
                   Slot.starts_at >= first, Slot.starts_at < last))
        people, parties = defaultdict(int), defaultdict(int)
        for starts_at, free_people, free_bookings in rows:
            day = scheduling.local_day(office, starts_at).isoformat()
            people[day] += max(0, free_people)  # a slot above a capacity cut has none free
            parties[day] += max(0, free_bookings)
        for day in sorted(people):
            family.add_metric([office.code, regions[office.id], day, "people"], people[day])
            family.add_metric([office.code, regions[office.id], day, "bookings"], parties[day])
    return family


def outbox_backlog(now: dt.datetime):
    """Texts waiting in the outbox, by status, and the age of the oldest in seconds."""
    rows = db.session.execute(
        select(SmsMessage.status, func.count(), func.min(SmsMessage.created_at))
        .where(SmsMessage.status.in_(BACKLOG)).group_by(SmsMessage.status)).all()
    counts = {status: count for status, count, _ in rows}
    backlog = GaugeMetricFamily("booking_outbox_backlog", "Texts in the outbox not yet handed to a "
                                "gateway (pending) or being sent (sending).", labels=["status"])
    for status in BACKLOG:
        backlog.add_metric([status], counts.get(status, 0))
    oldest = min((created for _, _, created in rows if created is not None), default=None)
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    yield backlog
    yield GaugeMetricFamily("booking_outbox_oldest_age_seconds",
                            "Age of the oldest text waiting in the outbox (0 when none waits).",
                            value=max(age, 0.0))


def hall(offices: list[Office], now: dt.datetime, regions: dict[int, str]):
    """People in each office's hall now, and its limit."""
    present = GaugeMetricFamily("booking_hall_occupancy", "People checked in or called today and "
                                "not yet completed, per office (and its region).", labels=["office", "region"])
    limit = GaugeMetricFamily("booking_hall_limit", "The hall's limit in people at the office's level, per office "
                              "(and its region).", labels=["office", "region"])
    for office in offices:
        present.add_metric([office.code, regions[office.id]], occupancy(office, now))
        limit.add_metric([office.code, regions[office.id]], hall_limit(office))
    yield present
    yield limit


def count_request(response: Response) -> Response:
    """Counts every answer by its route template (never the path: it may carry a token)."""
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.request_answered(rule, request.method, response.status_code)
    return response


class IsoJsonFormatter(JsonFormatter):
    """JSON lines whose time is ISO 8601 in UTC with milliseconds (2026-12-07T03:55:12.123+00:00),
    not logging's "2026-12-07 03:55:12,123" in the server's zone, which no log store parses."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        return moment.isoformat(timespec="milliseconds")


def json_logs(app: Flask) -> logging.Handler:
    """Our log lines as JSON objects (time, level, logger, message), on stderr, in place of
    Flask's default handler (once per process: the `booking` logger is shared). Returns it."""
    for handler in app.logger.handlers:
        if isinstance(handler.formatter, JsonFormatter):
            return handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(IsoJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                          rename_fields={"asctime": "time", "levelname": "level",
                                                         "name": "logger"}))
    handler.addFilter(REDACT_URLS)  # the handler sees booking.* records too (booking.security)
    app.logger.removeHandler(default_handler)
    app.logger.addHandler(handler)
    return handler


def init_app(app: Flask) -> None:
    """Registers /metrics, the request counter and, with LOG_FORMAT=json, the JSON logs.
    Makes PROMETHEUS_MULTIPROC_DIR when it is set and missing (a path that cannot be a folder
    stops the start here, with its error, rather than a later request)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    app.register_blueprint(bp)
    app.after_request(count_request)
    if app.config.get("LOG_FORMAT") == "json":
        json_logs(app)
