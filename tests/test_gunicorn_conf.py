"""gunicorn.conf.py: the worker model the flash-crowd benchmark chose (docs/benchmarks.md)."""

from __future__ import annotations

import gc
import multiprocessing
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def settings(monkeypatch, **env) -> dict:
    for name in ("DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS", "PORT", "BIND", "PROXY_COUNT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_sqlite_gets_one_worker_and_postgres_one_per_core(monkeypatch):
    assert settings(monkeypatch)["workers"] == 1
    assert settings(monkeypatch, DATABASE_URL="sqlite:///instance/booking.db")["workers"] == 1
    postgres = settings(monkeypatch, DATABASE_URL="postgresql://booking@db/booking")
    assert postgres["workers"] == multiprocessing.cpu_count()
    assert (postgres["worker_class"], postgres["threads"]) == ("gthread", 4)


def test_the_environment_overrides_the_defaults(monkeypatch):
    conf = settings(monkeypatch, DATABASE_URL="postgresql://db/x", WEB_CONCURRENCY="7",
                    GUNICORN_THREADS="2", PORT="8080")
    assert (conf["workers"], conf["threads"], conf["bind"]) == (7, 2, "127.0.0.1:8080")
    assert settings(monkeypatch, BIND="0.0.0.0:9000")["bind"] == "0.0.0.0:9000"


@pytest.mark.parametrize("env", [{}, {"PORT": "8080"}, {"PROXY_COUNT": "1"}, {"PROXY_COUNT": "1", "PORT": "80"}])
def test_without_an_explicit_bind_gunicorn_listens_on_loopback_only(monkeypatch, env):
    """A trusted X-Forwarded-For on a public port lets any client pick its own address
    (issue 15): only an explicit BIND listens beyond this machine."""
    assert settings(monkeypatch, **env)["bind"].startswith("127.0.0.1:")


class _Log:
    def __init__(self):
        self.lines = []

    def warning(self, message, *args):
        self.lines.append(message % args)


def test_gunicorn_warns_when_trusted_proxies_meet_a_public_bind(monkeypatch):
    for env, warned in (({"PROXY_COUNT": "1", "BIND": "0.0.0.0:8000"}, True),
                        ({"PROXY_COUNT": "1", "BIND": "127.0.0.1:8000"}, False),
                        ({"PROXY_COUNT": "0", "BIND": "0.0.0.0:8000"}, False),
                        ({"PROXY_COUNT": "1"}, False)):
        server = SimpleNamespace(log=_Log())
        settings(monkeypatch, **env)["on_starting"](server)
        assert bool(server.log.lines) is warned, env


def test_a_started_worker_keeps_its_long_lived_objects_out_of_the_collector(monkeypatch):
    conf = settings(monkeypatch)
    gc.unfreeze()
    try:
        conf["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000  # modules, the app, the mappings
    finally:
        gc.unfreeze()
