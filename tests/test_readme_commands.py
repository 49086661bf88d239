"""The README's first command works from a clean clone: the service runs with demo data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_opens_with_make_run_and_make_test():
    commands = [line.split("#")[0].strip() for line in
                (ROOT / "README.md").read_text().split("```sh", 1)[1].split("```", 1)[0].splitlines()
                if line.strip()]
    assert commands == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_make_run_from_a_clean_clone_serves_demo_data(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "DATABASE_URL"))}
    server = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=clone, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        page = wait_for(f"http://127.0.0.1:{port}/", server, timeout=240)
        assert "静安区婚姻登记处" in page
        assert '"status":"ok"' in wait_for(f"http://127.0.0.1:{port}/healthz", server, 10).replace(" ", "")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert "Staff login: demo-supervisor / " in output


def wait_for(url: str, process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("make run stopped:\n" + process.stdout.read())
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_links_in_texts_follow_the_port_make_run_serves(tmp_path, monkeypatch):
    """Without PUBLIC_BASE_URL and outside a request (the SMS worker), a link in a text points to
    the port `make run PORT=…` serves, which the Makefile hands to both processes."""
    from booking.links import manage_url
    from tests.conftest import make_app

    recipe = subprocess.run(["make", "-n", "run", "PORT=5123"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    shell = recipe.replace("\\\n", " ")  # the recipe's continued lines: one shell command
    worker_command = next(line for line in shell.splitlines() if "sms worker" in line)
    assert "export" in worker_command and "FLASK_RUN_PORT=5123" in worker_command
    monkeypatch.setenv("FLASK_RUN_PORT", "5123")
    app = make_app(f"sqlite:///{tmp_path / 'links.db'}", PUBLIC_BASE_URL=None)
    with app.app_context():
        assert manage_url("ABCD2345", "tok").startswith("http://127.0.0.1:5123/m/ABCD2345/")
