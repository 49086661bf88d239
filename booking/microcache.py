"""A per-process micro-cache for answers that crowds ask for at the same moment.

When a popular day opens, thousands ask for the same day's availability within a second. An
answer up to a second old is safe to give: scheduling.reserve decides every booking with a
conditional UPDATE, so a stale list costs at most one more 409, never an extra place.

With several processes (AVAILABILITY_CACHE_URL, a Redis), a process that has no answer takes
another's from Redis before it reads the database (SharedAnswers).

Keys must be few: a key that varies with every detail of a request (any from/to pair of
dates) lets a client make each request new and reach the database every time. aligned_range()
widens a range of dates to whole blocks, so every range inside the same blocks shares one key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Hashable

import redis
from cachetools import TLRUCache

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Kept:
    """A value and the moment (on the cache's clock, seconds) after which it is too old. A value
    made from another kept value keeps that one's moment: an answer cut from a block read a
    moment ago is as old as the block."""

    value: object
    until: float


class MicroCache:
    """Values kept for `seconds` (0 turns the cache off), at most `max_entries` of them."""

    def __init__(self, seconds: float, max_entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._entries = (TLRUCache(max_entries, ttu=lambda _key, kept, _now: kept.until, timer=clock)
                         if seconds > 0 else None)
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def keep(self, key: Hashable, make: Callable[[], object]) -> Kept:
        """The Kept for key, else make()'s result: a Kept (kept until its own moment) or a bare
        value (kept `seconds` from now). Nothing is kept when make() raises."""
        if self._entries is None:
            return _kept(make(), self.clock() + self.seconds)
        with self._lock:
            found = self._entries.get(key)
        if found is not None:
            return found
        made = _kept(make(), self.clock() + self.seconds)
        if made.until > self.clock():
            with self._lock:
                self._entries[key] = made
        return made


def _kept(made: object, until: float) -> Kept:
    return made if isinstance(made, Kept) else Kept(made, until)


class SharedAnswers:
    """Ready answers (bytes) shared by every process through Redis, between a process's own
    micro-cache and the database: with many web processes, one of them reads the database for
    a crowd's question and the others take its answer. Each answer expires in Redis at the
    moment it is too old (`Kept.until`), so sharing never makes it older.

    `url` None (or `seconds` 0): nothing is shared, every call makes its answer. Redis being
    unreachable is no outage: the answer is made from the database and Redis is left alone for
    `rest` seconds at a time, so a dead server costs no request its timeout. A warning says
    when it became unreachable and a line when it answers again, once each per process.
    """

    PREFIX = "booking:availability:"

    def __init__(self, url: str | None, seconds: float, clock: Callable[[], float] = time.monotonic,
                 timeout: float = 0.2, rest: float = 5.0):
        self._redis = (redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
                       if url and seconds > 0 else None)
        self.clock, self._rest = clock, rest
        self._resting_until = 0.0
        self._down = False  # since the last error, no answer from Redis yet

    def keep(self, key: str, make: Callable[[], Kept]) -> Kept:
        """The shared answer for key with its moment, else make()'s, which is then shared."""
        if self._redis is None or self.clock() < self._resting_until:
            return make()
        name = self.PREFIX + key
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                value, left_ms = pipe.get(name).pttl(name).execute()
        except redis.RedisError as error:
            self._resting(error)
            return make()
        if self._down:
            self._down = False
            log.info("shared availability cache reachable again")
        if value is not None and left_ms > 0:
            return Kept(value, self.clock() + left_ms / 1000)
        made = make()
        left_ms = int((made.until - self.clock()) * 1000)
        if left_ms > 0:
            try:
                self._redis.set(name, made.value, px=left_ms)
            except redis.RedisError as error:
                self._resting(error)
        return made

    def _resting(self, error: Exception) -> None:
        self._resting_until = self.clock() + self._rest
        if not self._down:
            self._down = True
            log.warning("shared availability cache unreachable (%s): answers come from the database,"
                        " Redis is tried again every %.0f s", type(error).__name__, self._rest)


BLOCK_DAYS = 7
_EPOCH = dt.date(2000, 1, 3)  # a Monday: blocks run Monday to Sunday


def aligned_range(first: dt.date, last: dt.date, days: int = BLOCK_DAYS) -> tuple[dt.date, dt.date]:
    """first..last widened to whole blocks of `days` days (Monday to Sunday by default): the
    key of a cached answer that every range within those blocks is cut from."""
    start = first - dt.timedelta(days=(first - _EPOCH).days % days)
    end = last + dt.timedelta(days=days - 1 - (last - _EPOCH).days % days)
    return start, end
