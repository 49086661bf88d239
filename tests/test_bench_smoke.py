"""The benchmarks still run: a tiny flash crowd, a tiny growth run, the throw-away databases.

The real benchmark (docs/benchmarks.md) is not run in CI; this proves its code path works
end to end: gunicorn starts, phones are verified, the crowd books, the invariants hold and
both ceilings are measured.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from bench import bureau_rollup, cpu_crowd, flash_crowd, growth, profile_requests
from bench.common import POSTGRES_ADMIN, temp_database


def database_names() -> set[str]:
    engine = create_engine(POSTGRES_ADMIN)
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    engine.dispose()
    return names


@pytest.mark.postgres
def test_benchmark_postgres_database_is_created_empty_and_dropped_afterwards():
    with temp_database("postgres") as url:
        name = url.rsplit("/", 1)[1]
        assert name in database_names()
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")).scalar() == 0
        engine.dispose()
    assert name not in database_names()


@pytest.mark.slow
def test_tiny_flash_crowd_sells_out_exactly_and_measures_both_ceilings(tmp_path):
    out = tmp_path / "results.json"
    status = flash_crowd.main(["--db", "sqlite", "--clients", "6", "--slots", "3", "--per-slot", "2",
                               "--demand", "2", "--think", "0.05", "--deadline", "20",
                               "--trivial-seconds", "0.3", "--workers", "1", "--threads", "2",
                               "--json", str(out)])
    results = json.loads(out.read_text())
    assert status == 0
    for kind in ("sqlite",):
        assert results[kind]["framework_ceiling"]["requests_per_s"] > 0
        assert results[kind]["server"] == {"workers": 1, "threads": 2, "worker_class": "gthread"}
        for phase in ("people", "stress"):
            run = results[kind][phase]
            assert run["booked"] == run["capacity"] == 6
            assert all(check["ok"] for check in run["invariants"].values()), run["invariants"]
            assert run["statuses"].get("booking 201") == 6
        assert results[kind]["database_ceiling"]["booked"] == 6
        assert 0 < results[kind]["ratio_to_framework"] < 1


@pytest.mark.slow
def test_tiny_growth_run_measures_flat_reads(monkeypatch, tmp_path):
    monkeypatch.setattr(growth, "OFFICES", 2)
    monkeypatch.setattr(growth, "REPEAT", 3)
    report = growth.run("sqlite", [300, 600])
    assert report["slot_generation"]["rerun_created"] == 0
    assert report["slot_generation"]["slots"] > 2 * 200
    small, large = report["sizes"][300], report["sizes"][600]
    assert small["availability_week"]["rows"] == large["availability_week"]["rows"] > 0
    assert small["availability_week"]["statements_per_request"] == \
        large["availability_week"]["statements_per_request"]
    assert small["day_queue"]["rows"] == large["day_queue"]["rows"] > 0


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("script", ["booking_lean.pgbench", "booking.pgbench"])
def test_the_sql_ceiling_runs_the_booking_statements_through_pgbench_on_our_schema(script):
    """bench/booking_lean.pgbench (the statements sent now) and bench/booking.pgbench (as the
    ORM sent them) are the booking transaction in SQL: each must fit the current schema (a
    column renamed in the models fails here) and leave whole bookings behind."""
    from bench.ceilings import LEAN_SCRIPT, sql_ceiling
    from bench.common import bench_app, create_schema, dispose

    with temp_database("postgres") as url:
        app = bench_app(url)
        create_schema(app)
        dispose(app)
        result = sql_ceiling(url, [1, 2], seconds=1, slots=3, script=LEAN_SCRIPT.with_name(script))
        engine = create_engine(url)
        with engine.connect() as conn:
            bookings, visitors, texts, taken = conn.execute(text(
                "SELECT (SELECT count(*) FROM booking), (SELECT count(*) FROM visitor),"
                " (SELECT count(*) FROM sms_message), (SELECT sum(booked_bookings) FROM slot)")).one()
        engine.dispose()
    assert result["failed"] == 0 and result["bookings_per_s"] > 0
    assert set(result["by_clients"]) == {1, 2}
    assert bookings > 0 and visitors == 2 * bookings and texts == bookings and taken == bookings


@pytest.mark.slow
@pytest.mark.postgres
def test_tiny_cpu_crowd_sells_the_quota_and_counts_the_processes_cpu(tmp_path):
    out = tmp_path / "cpu.json"
    status = cpu_crowd.main(["--clients", "4", "--quota", "3", "--quota-citizens", "5", "--rush-slots", "2",
                             "--rush-citizens", "6", "--workers", "1", "--threads", "2",
                             "--pgbench-seconds", "1", "--json", str(out)])
    results = json.loads(out.read_text())
    assert status == 0
    quota, rush = results["quota"], results["rush"]
    for ceiling in ("sql_ceiling", "sql_ceiling_orm", "quota_sql_ceiling"):  # each script ran clean
        assert results[ceiling]["failed"] == 0 and results[ceiling]["bookings_per_s"] > 0
    assert results["framework_floor"]["web_cpu_ms_per_request"] > 0
    assert rush["posts"]["posts_per_booking"] >= 1 and rush["posts"]["post_cpu_ms_per_request"] > 0
    assert quota["statuses"] == {"booking 201": 3, "booking 409 slot_full": 2}
    assert rush["booked"] == 6 and all(rush["invariants"].values())
    for crowd in (quota, rush):  # the server and the database did work, and it was counted
        assert crowd["web_cpu_s"] > 0 and crowd["db_cpu_s"] >= 0 and len(crowd["worker_rss_mb"]) == 1


@pytest.mark.postgres
def test_the_request_profile_counts_statements_and_cpu_per_request():
    result = profile_requests.run("postgres", 25, with_profile=True)
    assert result["booking"]["statuses"] == {201: 5}
    assert result["booking"]["statements"] == 6 and result["booking"]["cpu_ms"] > 0
    assert result["statements_alone"]["cpu_ms"] > 0  # the six statements ran without error
    assert result["booking_profile_statuses"] == {201: 25}  # the profile is of bookings, not refusals
    assert result["availability"]["statuses"] == {200: 25}
    assert "psycopg" in result["booking_profile"]


def test_the_setup_import_benchmark_imports_a_small_province_and_finds_nothing_to_change_again(tmp_path):
    from bench import setup_import

    out = tmp_path / "setup.json"
    assert setup_import.main(["--db", "sqlite", "--offices", "2", "--services", "2", "--days", "3",
                              "--json", str(out)]) == 0
    results = json.loads(out.read_text())["sqlite"]
    assert results["import"]["slots"] == 2 * 2 * 3 * 13  # Monday to Wednesday, 13 slots a day
    assert results["reimport_unchanged"]["changed"] is False
    assert results["export"]["characters"] > 0


@pytest.mark.slow
@pytest.mark.postgres
def test_tiny_bureau_roll_up_takes_the_same_few_queries_for_a_day_and_a_month(tmp_path):
    out = tmp_path / "rollup.json"
    status = bureau_rollup.main(["--db", "postgres", "--offices", "3", "--days", "3", "--per-slot", "2",
                                 "--repeat", "1", "--json", str(out)])
    results = json.loads(out.read_text())
    assert status == 0 and results["data"]["bookings"] == 3 * 3 * 16 * 2
    day, month = results["one_day"], results["month"]
    assert day["same_figures"] and month["same_figures"]
    assert day["grouped"]["queries"] == month["grouped"]["queries"] <= 8
    assert month["office_by_office"]["queries"] >= 3 * 3 * 3  # three or more for each office and day
    ahead = results["busy_days"]  # a registry's year: 5·20, 5·21, Valentine's, Qixi, 12 repeating dates
    assert ahead["days_listed"] >= 3 * 15 and ahead["queries"] <= 3 * 10 + 2
