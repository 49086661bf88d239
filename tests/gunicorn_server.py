"""gunicorn with several workers on this run's PostgreSQL database, and a JSON client for it:
what two processes under READ COMMITTED really do (TESTING.md, "Races")."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def gunicorn_server(app, database_url: str, tmp_path: Path, workers: int = 2):
    """Serve wsgi:app with `workers` processes on 127.0.0.1; yields (base URL, master process)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": app.config["SECRET_KEY"],
           "RATELIMIT_ENABLED": "false", "SMS_BACKEND": "console", "AVAILABILITY_CACHE_SECONDS": "0",
           "PUBLIC_BASE_URL": "https://booking.example.gov.cn"}
    log_path = tmp_path / "gunicorn.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    master = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "30", "--graceful-timeout", "2", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, master, workers, log_path)
        yield base, master
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(15)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait(5)
        log.close()


def _wait_ready(base: str, master, workers: int, log_path: Path) -> None:
    deadline = time.monotonic() + 90  # a busy CI machine boots workers slowly
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:  # noqa: S310 (loopback)
                if answer.status == 200 and len(children(master.pid)) == workers:
                    return
        except OSError:
            time.sleep(0.2)
    master.terminate()
    pytest.fail("gunicorn did not start: " + log_path.read_text()[-2000:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The worker processes of a gunicorn master (their parent pid is the master's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def post_json(url: str, body: dict, headers: dict | None = None) -> tuple[int | None, dict | None]:
    """(status, body); (None, None) when the connection broke (outcome unknown)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        payload = error.read()
        error.close()
        return error.code, json.loads(payload) if payload else None
    except (OSError, ValueError, http.client.HTTPException):  # e.g. IncompleteRead: killed mid-answer
        return None, None


