"""What every benchmark needs: throw-away databases, a gunicorn server, citizens, percentiles."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, exc, text
from stdnum.cn import ric

ROOT = Path(__file__).resolve().parent.parent
BENCH_SECRET = "bench-secret-key-not-for-production"


def _postgres_admin_url() -> str:
    """Who makes and drops the throw-away databases: BENCH_POSTGRES_URL; else the tests' own
    role, whose URL with its password `make services` keeps in .venv/.test-postgres-url (it
    may create databases); else `postgres` on loopback, where the server trusts it."""
    if os.environ.get("BENCH_POSTGRES_URL"):
        return os.environ["BENCH_POSTGRES_URL"]
    kept = ROOT / ".venv" / ".test-postgres-url"
    if kept.is_file() and kept.read_text().strip():
        return kept.read_text().strip()
    return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


POSTGRES_ADMIN = _postgres_admin_url()


# --- databases ----------------------------------------------------------------------------

@contextlib.contextmanager
def temp_database(kind: str) -> Iterator[str]:
    """A fresh empty database URL: a SQLite file in a temp folder, or a PostgreSQL database
    on the local server; removed (dropped) afterwards whatever happens."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_app(database_url: str, **overrides):
    """The product's app on a benchmark database, configured as the server will be."""
    from booking import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": BENCH_SECRET,
                       "RATELIMIT_ENABLED": False, "SMS_BACKEND": "console", **overrides})


def dispose(app) -> None:
    """Close the app's pooled connections (before its database is dropped)."""
    from booking.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def create_schema(app) -> None:
    from booking.extensions import db

    with app.app_context():
        db.create_all()


# --- the server -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, port: int, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url, "SECRET_KEY": BENCH_SECRET, "RATELIMIT_ENABLED": "false",
        "SMS_BACKEND": "console", "BIND": f"127.0.0.1:{port}", "GUNICORN_LOGLEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra or {})
    return env


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict, ready_path: str, log_dir: Path) -> Iterator[Server]:
    """`gunicorn -c gunicorn.conf.py APP` on loopback, ready when ready_path answers 200;
    stopped (SIGTERM to the process we started, then waited for) afterwards."""
    port = int(env["BIND"].rsplit(":", 1)[1])
    log = log_dir / f"gunicorn-{app_spec.replace(':', '_')}-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), app_spec],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(server, ready_path)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_ready(server: Server, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {server.log}\n{server.log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(server.url + path, timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {path} within {timeout} s: see {server.log}")


# --- citizens -----------------------------------------------------------------------------------

def phone(n: int) -> str:
    """A distinct, valid mainland mobile number for each n < 10**8."""
    return f"+86139{n:08d}"


def resident_id(n: int, sex: str = "female") -> str:
    """A distinct, valid resident identity number for each n < 10**7 (birth dates 1950-2004);
    the order code's last digit odd for a man, even for a woman (GB 11643)."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=n % 20000)
    body = f"110105{birth:%Y%m%d}{2 * (n // 20000) + (sex == 'male'):03d}"
    return body + ric.calc_check_digit(body + "0")


def couple(n: int) -> list[dict]:
    """The two visitors of a marriage booking for citizen n: a man and a woman, both of age."""
    return [{"name": "张伟", "id_type": "resident_id", "id_number": resident_id(2 * n, "male")},
            {"name": "王芳", "id_type": "resident_id", "id_number": resident_id(2 * n + 1, "female")}]


# --- numbers ------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict:
    """Count and p50/p95/p99/max in milliseconds."""
    return {"n": len(seconds), **{f"p{p}": round(percentile(seconds, p) * 1000, 1) for p in (50, 95, 99)},
            "max": round(max(seconds, default=0) * 1000, 1)}


# --- what the processes spent ---------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (which may hold spaces)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (Linux /proc)."""
    found = []
    for child in _all_pids():
        with contextlib.suppress(OSError, IndexError):
            if int(_stat(child)[1]) == pid:
                found.append(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (those gone count 0)."""
    return sum(cpu_split(pids))


def cpu_split(pids: list[int]) -> tuple[float, float]:
    """(user, system) CPU seconds the processes have used so far (those gone count 0)."""
    user = system = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = _stat(pid)
            user += int(fields[11])  # utime (field 14 of /proc/<pid>/stat)
            system += int(fields[12])  # stime (field 15)
    return user / _TICK, system / _TICK


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def postgres_pids(database_url: str) -> list[int]:
    """The local PostgreSQL server's processes: the postmaster and all its children (backends of
    every database and the background writers: what the database spends on our work). A role
    that may not read the data directory's place gets every process named postgres instead."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            folder = conn.execute(text("SHOW data_directory")).scalar()
        with open(Path(folder) / "postmaster.pid") as f:
            postmaster = int(f.readline())
        return [postmaster, *children(postmaster)]
    except (OSError, ValueError, exc.DBAPIError):
        return [pid for pid in _all_pids() if _comm(pid) == "postgres"]
    finally:
        engine.dispose()


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _comm(pid: int) -> str:
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    return ""
