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

from booking.security import redact

from .conftest import _fresh_schema, make_app
from .gunicorn_server import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Zq3xSecretTokenValue9"


def get(url: str, data: bytes | None = None) -> int:
    """The status of a GET, or of a POST of JSON `data`."""
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 (loopback)
            return answer.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_gunicorn_access_log_redacts_tokens(tmp_path):
    database = f"sqlite:///{tmp_path / 'g.db'}"
    _fresh_schema(make_app(database))
    port, access = free_port(), tmp_path / "access.log"
    errors = tmp_path / "error.log"
    env = {**os.environ, "DATABASE_URL": database, "SECRET_KEY": "x" * 32, "RATELIMIT_ENABLED": "false",
           "ALIYUN_SMS_CALLBACK_TOKEN": SECRET, "GUNICORN_LOGLEVEL": "debug"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(access), "--error-logfile", str(errors), "wsgi:app"],
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
        # percent-encoded spellings the server decodes before routing (issue 15)
        statuses += [get(f"{base}{path}") for path in ENCODED]
        # Alibaba Cloud's pushes: whoever reads the push token can post replies for any phone
        statuses += [get(f"{base}{path}", data=b'[{"out_id": "\xc2\xb2", "biz_id": "1"}]') for path in PUSHES]
        assert all(status < 500 for status in statuses), statuses
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    log = access.read_text()
    assert "/m/ABCD2345/[redacted]" in log and "token=[redacted]" in log, log
    assert "/sms/aliyun/[redacted]/report" in log and "/sms/aliyun/[redacted]/up" in log, log
    assert log.count("[redacted]") == 3 + len(ENCODED) + len(PUSHES), log
    assert SECRET not in log and SECRET[:8] not in log
    error_log = errors.read_text()
    assert "Booting worker" in error_log  # the error log was written (at debug level: each request)
    assert SECRET not in error_log and SECRET[:8] not in error_log, error_log


ENCODED = [f"/%6D/ABCD2345/{SECRET}", f"/%6d/ABCD2345/{SECRET}/cancel", f"/m%2FABCD2345%2F{SECRET}",
           f"/bookings/ABCD2345.ics?%74oken={SECRET}", f"/bookings/ABCD2345.ics?x=1&%74%6F%6B%65%6E={SECRET}",
           f"/api/v1/bookings/ABCD2345?tok%65n={SECRET}"]


PUSHES = [f"/sms/aliyun/{SECRET}/report", f"/sms/aliyun/{SECRET}/up", f"/sms/%61liyun/{SECRET}/report",
          f"/%73ms/aliyun/{SECRET}/up", f"/sms/ALIYUN/{SECRET}/up?x=1"]


def test_redaction_also_covers_percent_encoded_spellings():
    """The same rule for the app's own log lines (development server, "Exception on …")."""
    for path in ENCODED + PUSHES:
        line = f'127.0.0.1 - - "GET {path} HTTP/1.1" 404 -'
        assert SECRET not in redact(line), path
    assert redact("/m/ABCD2345/page") == "/m/ABCD2345/[redacted]"
    assert redact("/staff/login?next=/staff/x") == "/staff/login?next=/staff/x"  # nothing else touched
