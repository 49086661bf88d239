"""A per-process micro-cache for answers that crowds ask for at the same moment.

When a popular day opens, thousands ask for the same day's availability within a second. An
answer up to a second old is safe to give: scheduling.reserve decides every booking with a
conditional UPDATE, so a stale list costs at most one more 409, never an extra place.

Keys must be few: a key that varies with every detail of a request (any from/to pair of
dates) lets a client make each request new and reach the database every time. aligned_range()
widens a range of dates to whole blocks, so every range inside the same blocks shares one key.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable

from cachetools import TTLCache


class MicroCache:
    """Values kept for `seconds` (0 turns the cache off), at most `max_entries` of them."""

    def __init__(self, seconds: float, max_entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic):
        self._entries = TTLCache(max_entries, seconds, timer=clock) if seconds > 0 else None
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def get_or_make(self, key: Hashable, make: Callable[[], object]) -> object:
        """The value kept for key, else make() (kept unless it raises)."""
        if self._entries is None:
            return make()
        with self._lock:
            value = self._entries.get(key)
        if value is None:
            value = make()
            with self._lock:
                self._entries[key] = value
        return value


BLOCK_DAYS = 7
_EPOCH = dt.date(2000, 1, 3)  # a Monday: blocks run Monday to Sunday


def aligned_range(first: dt.date, last: dt.date, days: int = BLOCK_DAYS) -> tuple[dt.date, dt.date]:
    """first..last widened to whole blocks of `days` days (Monday to Sunday by default): the
    key of a cached answer that every range within those blocks is cut from."""
    start = first - dt.timedelta(days=(first - _EPOCH).days % days)
    end = last + dt.timedelta(days=days - 1 - (last - _EPOCH).days % days)
    return start, end
