"""gunicorn.conf.py: the worker model the flash-crowd benchmark chose (docs/benchmarks.md)."""

from __future__ import annotations

import gc
import multiprocessing
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def settings(monkeypatch, **env) -> dict:
    for name in ("DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS", "PORT", "BIND"):
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
    assert (conf["workers"], conf["threads"], conf["bind"]) == (7, 2, "0.0.0.0:8080")


def test_a_started_worker_keeps_its_long_lived_objects_out_of_the_collector(monkeypatch):
    conf = settings(monkeypatch)
    gc.unfreeze()
    try:
        conf["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000  # modules, the app, the mappings
    finally:
        gc.unfreeze()
