"""gunicorn's access log, when an operator switches it on, shows no manage or calendar token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .conftest import _fresh_schema, make_app
from .test_faults_worker_kill import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Zq3xSecretTokenValue9"


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (loopback)
            return answer.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_gunicorn_access_log_redacts_tokens(tmp_path):
    database = f"sqlite:///{tmp_path / 'g.db'}"
    _fresh_schema(make_app(database))
    port, access = free_port(), tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": database, "SECRET_KEY": "x" * 32, "RATELIMIT_ENABLED": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(access), "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                get(base + "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        statuses = [get(f"{base}/m/ABCD2345/{SECRET}"), get(f"{base}/m/ABCD2345/{SECRET}/cancel"),
                    get(f"{base}/bookings/ABCD2345.ics?token={SECRET}")]
        assert all(status < 500 for status in statuses), statuses
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    log = access.read_text()
    assert "/m/ABCD2345/[redacted]" in log and "token=[redacted]" in log, log
    assert SECRET not in log
