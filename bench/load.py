"""The crowd: C concurrent clients (aiohttp, one event loop) acting as citizens at release time.

Each client takes the next citizen from a shared queue and does what a person does: look at
the day's free slots, pick one, try to book it; after a 409 look again and pick another (not
the one just refused: the list may be up to a second old, and a person reads the refusal); give
up when the day shows nothing free, after MAX_TRIES, or when the run's time is up.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from .common import couple, phone

MAX_TRIES = 12  # booking attempts one citizen makes before giving up


@dataclass
class Tally:
    """What the crowd saw: latencies per request kind, statuses, and the bookings answered 201."""

    latency: dict[str, list[float]] = field(default_factory=lambda: {"booking": [], "availability": []})
    statuses: Counter = field(default_factory=Counter)
    created: dict[str, int] = field(default_factory=dict)  # reference -> slot id
    first_at: float = 0.0
    last_201_at: float = 0.0
    gave_up: Counter = field(default_factory=Counter)

    started_at: dict[str, list[float]] = field(default_factory=lambda: {"booking": [], "availability": []})

    def record(self, kind: str, started: float, status: str) -> None:
        self.latency[kind].append(time.monotonic() - started)
        self.started_at[kind].append(started - self.first_at)
        self.statuses[f"{kind} {status}"] += 1

    def by_second(self, kind: str) -> dict[int, list[float]]:
        """Latencies of the requests started in each second of the rush."""
        seconds: dict[int, list[float]] = {}
        for offset, latency in zip(self.started_at[kind], self.latency[kind], strict=True):
            seconds.setdefault(int(offset), []).append(latency)
        return seconds

    @property
    def server_errors(self) -> int:
        return sum(n for key, n in self.statuses.items()
                   if key.split(" ", 1)[1].startswith(("5", "exception")))


@dataclass(frozen=True)
class Crowd:
    base_url: str
    office: str
    service: str
    day: str
    verifications: dict[int, tuple[str, str]]  # citizen n -> (verification id, code)
    clients: int
    deadline_s: float
    think_s: float = 0.0  # mean time a person takes to read the list and tap a slot


async def _availability(session, crowd: Crowd, tally: Tally) -> list[dict]:
    started = time.monotonic()
    params = {"office": crowd.office, "service": crowd.service, "from": crowd.day, "to": crowd.day}
    try:
        async with session.get(crowd.base_url + "/api/v1/availability", params=params) as answer:
            payload = await answer.json() if answer.status == 200 else {}
            tally.record("availability", started, str(answer.status))
    except (TimeoutError, aiohttp.ClientError) as exc:
        tally.record("availability", started, f"exception {type(exc).__name__}")
        return []
    return [slot for slot in payload.get("slots", []) if slot["remaining_bookings"] > 0]


async def _book(session, crowd: Crowd, tally: Tally, n: int, slot_id: int) -> int:
    verification_id, code = crowd.verifications[n]
    body = {"slot_id": slot_id, "phone": phone(n), "verification_id": verification_id, "code": code,
            "visitors": couple(n), "lang": "zh"}
    started = time.monotonic()
    try:
        async with session.post(crowd.base_url + "/api/v1/bookings", json=body) as answer:
            payload = await answer.json(content_type=None)
            error = payload.get("error") if isinstance(payload, dict) else None
            tally.record("booking", started, f"{answer.status}" + (f" {error}" if error else ""))
            if answer.status == 201:
                tally.created[payload["reference"]] = payload["slot"]["id"]
                tally.last_201_at = time.monotonic()
            return answer.status
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        tally.record("booking", started, f"exception {type(exc).__name__}")
        return 0


async def _citizen(session, crowd: Crowd, tally: Tally, n: int, rng: random.Random,
                   stop_at: float) -> None:
    full: set[int] = set()  # slots a 409 said are full: a person does not tap them again
    free = await _availability(session, crowd, tally)
    for _ in range(MAX_TRIES):
        free = [slot for slot in free if slot["id"] not in full]
        if not free:
            tally.gave_up["nothing free"] += 1
            return
        if crowd.think_s:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * crowd.think_s)
        if time.monotonic() > stop_at:
            tally.gave_up["out of time"] += 1
            return
        # People favour the morning: the earlier half of what is free draws most of them.
        pick = free[min(int(rng.expovariate(3.0) * len(free)), len(free) - 1)]
        status = await _book(session, crowd, tally, n, pick["id"])
        if status == 201:
            return
        full.add(pick["id"])
        free = await _availability(session, crowd, tally) if status == 409 else []
    tally.gave_up["too many tries"] += 1


async def _client(session, crowd: Crowd, tally: Tally, queue: asyncio.Queue, seed: int,
                  stop_at: float) -> None:
    rng = random.Random(seed)
    while time.monotonic() < stop_at:
        try:
            n = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        await _citizen(session, crowd, tally, n, rng, stop_at)


async def rush(crowd: Crowd) -> Tally:
    """Release the day: every client starts at the same moment; returns the tally."""
    tally = Tally()
    queue: asyncio.Queue = asyncio.Queue()
    for n in crowd.verifications:
        queue.put_nowait(n)
    connector = aiohttp.TCPConnector(limit=crowd.clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=max(crowd.deadline_s, 5))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tally.first_at = time.monotonic()
        stop_at = tally.first_at + crowd.deadline_s
        await asyncio.gather(*(_client(session, crowd, tally, queue, seed, stop_at)
                               for seed in range(crowd.clients)))
    return tally


async def verify_phones(base_url: str, numbers: list[int], concurrency: int = 20) -> dict[int, str]:
    """POST /api/v1/phone-verifications for each citizen; returns citizen n -> verification id."""
    ids: dict[int, str] = {}
    pending = list(numbers)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker():
            while pending:
                n = pending.pop()
                async with session.post(base_url + "/api/v1/phone-verifications",
                                        json={"phone": phone(n)}) as answer:
                    if answer.status != 201:
                        raise RuntimeError(f"phone verification answered {answer.status}: "
                                           f"{await answer.text()}")
                    ids[n] = (await answer.json())["id"]
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids


async def hammer(url: str, clients: int, seconds: float) -> tuple[float, list[float], Counter]:
    """GET url from `clients` concurrent loops for `seconds`; (elapsed, latencies, statuses)."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        started_all = time.monotonic()
        stop_at = started_all + seconds

        async def loop():
            while time.monotonic() < stop_at:
                started = time.monotonic()
                try:
                    async with session.get(url) as answer:
                        await answer.read()
                        statuses[str(answer.status)] += 1
                except (TimeoutError, aiohttp.ClientError) as exc:
                    statuses[f"exception {type(exc).__name__}"] += 1
                latencies.append(time.monotonic() - started)
        await asyncio.gather(*(loop() for _ in range(clients)))
    return time.monotonic() - started_all, latencies, statuses
