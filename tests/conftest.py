"""Fixtures: an app per test on a fresh SQLite file, or on this run's own PostgreSQL database.

PostgreSQL is not optional: `make test` (and CI) starts it, and a test that needs it fails
when it is unreachable rather than skipping. `make test` passes TEST_POSTGRES_URL, a role of
the tests' own that logs in with a password (.ci/services); the default suits a server that
trusts local connections.

Safe in parallel (pytest-xdist, `make test` runs `-n auto`): each worker process makes its
own PostgreSQL database (named after its pid), uses its own Redis database (15, 14, ... by
worker), its own temporary folders (tmp_path) and ports chosen by the system (port 0).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
import uuid
from pathlib import Path

import jinja2
import pytest
from sqlalchemy import Table, create_engine, make_url, text
from werkzeug.routing import Rule
from werkzeug.serving import make_server

from booking import create_app
from booking.extensions import db

from .gunicorn_server import gunicorn_server

POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test")
if make_url(POSTGRES_SERVER).password:  # pg_dump and pg_restore (the restore drill) log in too
    os.environ.setdefault("PGPASSWORD", make_url(POSTGRES_SERVER).password)
# The benchmarks' throw-away databases (bench/common.py, tests/test_bench_smoke.py) go on the same
# server as this role: its maintenance database, not the superuser that only trusts local logins.
os.environ.setdefault("BENCH_POSTGRES_URL", POSTGRES_SERVER.rsplit("/", 1)[0] + "/postgres")
# xdist worker "gw3" -> Redis database 12: workers never share keys (nor FLUSHDB each other).
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - WORKER % 12}")


TEST_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}  # KiB: argon2's least


def _server_url(name: str) -> str:
    return POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + name


@contextlib.contextmanager
def temporary_database(prefix: str):
    """A new empty database on the PostgreSQL server; yields its URL, drops it afterwards."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _server_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this test process's own on the PostgreSQL server, dropped at the end."""
    with temporary_database("booking_test") as url:
        yield url


def _shared_url_builders(compile_builder):
    """Werkzeug compiles two URL builders from a Python syntax tree for each of our 560-odd rules,
    in every app: 0.1 s of CPU per test. A builder is a function of the rule's text, parts and
    defaults alone (the rule itself is its first argument), so the apps of a test process share
    each one. tests/test_fast_fixtures.py checks that each shared builder is the one Werkzeug
    would compile."""
    builders = {}

    @functools.wraps(compile_builder)
    def shared(rule, append_unknown=True):
        key = (append_unknown, rule.rule, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())))
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    return shared


Rule._compile_builder = _shared_url_builders(Rule._compile_builder)


def make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "PUBLIC_BASE_URL": "https://booking.example.gov.cn",
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Tests see every change at once; tests/test_availability_cache.py tests the cache.
        "AVAILABILITY_CACHE_SECONDS": 0,
        "AVAILABILITY_CACHE_URL": None,
        # argon2 at its least cost: production's (64 MiB, 3 passes) took a third of a second of CPU
        # per staff account made or logged in. tests/test_security_passwords.py checks production's.
        "ARGON2_PARAMETERS": TEST_ARGON2_PARAMETERS,
    }
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    return app


class SharedTemplateCode(jinja2.BytecodeCache):
    """Jinja's bytecode cache, in memory: the apps of a test process compile each template once
    (0.03 s a test that renders pages), as FileSystemBytecodeCache shares them between processes.
    A template's code is kept with its source's checksum and used only for that same source."""

    def __init__(self):
        self.code: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        checksum, code = self.code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATE_CODE = SharedTemplateCode()


# --- a fresh database for every test, made fast ---------------------------------------------
# Dropping and creating the 30-odd tables took 0.4 s a test on PostgreSQL and 0.08 s on SQLite.
# A database that has exactly the models' tables and columns is emptied instead: every row
# deleted, every sequence restarted, and the rows create_all writes (the reference version)
# written again, which is the state drop_all and create_all leave. SQLite tests copy a file
# made once per test process. tests/test_fast_fixtures.py holds both ways to drop_all/create_all.

_CREATED_ROWS: dict[str, list[tuple[Table, list[dict]]]] = {}  # per dialect: rows create_all writes


def _fresh_schema(app):
    """The app's database as drop_all and create_all would leave it (see above)."""
    with app.app_context():
        dialect = db.engine.dialect.name
        if dialect in _CREATED_ROWS and _columns(db.engine) == _model_columns():
            _empty(db.engine, _CREATED_ROWS[dialect])
            return
        db.drop_all()
        db.create_all()
        with db.engine.connect() as conn:
            _CREATED_ROWS[dialect] = [(table, rows) for table in db.metadata.sorted_tables
                                      if (rows := [dict(row) for row in conn.execute(table.select()).mappings()])]


def _model_columns() -> set[tuple[str, str]]:
    return {(table.name, column.name) for table in db.metadata.tables.values() for column in table.columns}


def _columns(engine) -> set[tuple[str, str]]:
    """(table, column) of every table in the database (PostgreSQL: its public schema)."""
    query = ("SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid"
             " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')"
             " AND a.attnum > 0 AND NOT a.attisdropped" if engine.dialect.name == "postgresql" else
             "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p"
             " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'")
    with engine.connect() as conn:
        return {tuple(row) for row in conn.exec_driver_sql(query)}


def _empty(engine, created_rows) -> None:
    deletes = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # one round trip
            conn.exec_driver_sql("; ".join([*deletes, """DO $$ DECLARE s regclass; BEGIN
                FOR s IN SELECT oid FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace
                LOOP EXECUTE 'ALTER SEQUENCE ' || s || ' RESTART'; END LOOP; END $$"""]))
        else:  # an emptied table's row ids start at 1 again; AUTOINCREMENT's counters are kept apart
            for statement in deletes:
                conn.exec_driver_sql(statement)
            if conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").first():
                conn.exec_driver_sql("DELETE FROM sqlite_sequence")
        for table, rows in created_rows:
            conn.execute(table.insert(), rows)


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory) -> Path:
    """A SQLite file as create_all leaves it, made once per test process."""
    path = tmp_path_factory.mktemp("schema") / "fresh.db"
    app = make_app(f"sqlite:///{path}")
    _fresh_schema(app)
    with app.app_context():
        db.engine.dispose()  # the last connection closes: the WAL is checkpointed into the file
    assert not path.with_name("fresh.db-wal").exists()
    return path


@pytest.fixture
def sqlite_app(tmp_path, sqlite_schema):
    shutil.copyfile(sqlite_schema, tmp_path / "test.db")
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def pg_app(postgres_url):
    app = make_app(postgres_url)
    _fresh_schema(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_app(request):
    """The same test on both databases."""
    return request.getfixturevalue("sqlite_app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def app(sqlite_app):
    return sqlite_app


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- a real browser: Debian's Chromium through Playwright (never a downloaded browser) -----

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "locale": "zh-CN"}


@contextlib.contextmanager
def serving(app):
    """The app served on 127.0.0.1 by a real HTTP server thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Polling every 0.05 s, not 0.5: shutdown() waits for the next poll, half a second a test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def gunicorn(pg_app, postgres_url, tmp_path):
    """gunicorn -w 2 on this run's PostgreSQL database: (base URL, master process)."""
    with gunicorn_server(pg_app, postgres_url, tmp_path) as (base, master):
        yield base, master


@pytest.fixture
def live_server(app):
    with serving(app) as url:
        yield url


@pytest.fixture
def screenshot():
    """screenshot(page, name): saves test-artifacts/screenshots/<name>.png (not committed)."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- CI shows that the PostgreSQL tests ran ---------------------------------------------

def _uses_postgres(item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return "postgres_url" in item.fixturenames or "postgres" in params.values()


@pytest.hookimpl(trylast=True)  # after pytest's own ordering by fixture
def pytest_collection_modifyitems(config, items):
    for item in items:
        if _uses_postgres(item):
            item.add_marker(pytest.mark.postgres)
    # The tests marked slow (each several seconds, up to a minute) run first, then those in a
    # browser: started last, one of them kept one worker busy while the others had nothing left
    # to do. (The Makefile's --maxschedchunk deals them out a few at a time, not all to one worker.)
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None, "page" not in item.fixturenames))


def pytest_terminal_summary(terminalreporter):
    outcomes = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        outcomes[outcome] = sum(1 for report in terminalreporter.stats.get(outcome, [])
                                if getattr(report, "when", "call") == "call"
                                and "postgres" in getattr(report, "keywords", {}))
    server = make_url(POSTGRES_SERVER)
    terminalreporter.write_line(
        f"PostgreSQL tests ({server.host}:{server.port or 5432}, as {server.username}): "
        + ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items()))
