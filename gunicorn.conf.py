"""Gunicorn settings for `gunicorn wsgi:app`, read from the environment.

WEB_CONCURRENCY       worker processes (default: one per CPU core on PostgreSQL; 1 on SQLite)
GUNICORN_THREADS      threads per worker (default 4; the gthread worker)
GUNICORN_WORKER_CLASS gthread (default) or sync
BIND                  address (default 127.0.0.1:8000; PORT alone gives 127.0.0.1:PORT)
GUNICORN_TIMEOUT      seconds before a stuck worker is restarted (default 30)
GUNICORN_KEEPALIVE    seconds an idle keep-alive connection stays open (default 5)
GUNICORN_MAX_REQUESTS recycle a worker after this many requests (default 0: never)

Why gthread: a request of ours spends much of its time waiting on the database, so a few
threads per process keep the cores busy, and unlike the sync worker it keeps HTTP connections
alive, which matters when a load balancer or many phones hold connections open. The numbers
behind these defaults are in docs/benchmarks.md.

Why loopback unless BIND says otherwise: with PROXY_COUNT > 0 the app believes the
X-Forwarded-For header its proxy adds; a client that reaches gunicorn directly writes that
header itself, with a new address each time, and every per-address rate limit counts nothing.
So only an explicit BIND listens beyond this machine (the proxy then must be the only way in),
and gunicorn warns at start when it does while proxies are trusted (docs/operations.md).
"""

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


LOOPBACK = ("127.0.0.1:", "[::1]:", "localhost:", "unix:")


def _bind() -> str:
    if os.environ.get("BIND"):
        return os.environ["BIND"]
    return f"127.0.0.1:{_int('PORT', 8000)}"


def _proxies_trusted_beyond_loopback() -> bool:
    return _int("PROXY_COUNT", 0) > 0 and not bind.startswith(LOOPBACK)


def _default_workers() -> int:
    # SQLite has one writer at a time; writers in other processes wait in SQLite's busy
    # handler, which sleeps instead of queueing: one process books faster than two or five.
    # PostgreSQL: one process of 4 threads per core had the lowest booking p99 on the
    # flash-crowd benchmark (cores + 1 and 2 x cores + 1 only fight over the same cores).
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        return 1
    return multiprocessing.cpu_count()


bind = _bind()
workers = _int("WEB_CONCURRENCY", _default_workers())
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
backlog = _int("GUNICORN_BACKLOG", 2048)
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # "-" logs every request to stdout
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Each worker builds its own app and database pool after the fork: connections are never shared.
preload_app = False


def post_worker_init(worker):
    """The app is loaded: move everything made so far (modules, the app, SQLAlchemy's
    mappings), which lives as long as the worker, out of the garbage collector's reach. Its
    full passes otherwise walk all of it and stop every thread of the worker for ~50 ms every
    few hundred requests (docs/benchmarks.md, "Growth")."""
    gc.freeze()


def on_starting(server):
    """Warn when X-Forwarded-For is trusted (PROXY_COUNT) on an address others can reach."""
    if _proxies_trusted_beyond_loopback():
        server.log.warning(
            "PROXY_COUNT=%s trusts X-Forwarded-For, but BIND=%s listens beyond this machine: "
            "allow only the proxy to reach it (firewall), or any client can forge its address "
            "and escape the rate limits.", os.environ.get("PROXY_COUNT"), bind)
