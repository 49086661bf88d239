"""The crowd-safety day simulator still runs (bench/hall_day.py; its numbers are in
docs/benchmarks.md): a short day with and without arrival windows and a level change at 10:30,
through the real door and queue, on a throw-away SQLite database."""

from __future__ import annotations

import json

import pytest

from bench import hall_day


@pytest.mark.slow
def test_a_short_day_runs_with_and_without_windows_and_through_a_level_change(tmp_path):
    out = tmp_path / "hall.json"
    status = hall_day.main(["--hours", "10:00-11:00", "--per-slot", "4", "--windows", "4",
                            "--level-hall-limit", "8", "--json", str(out)])
    results = json.loads(out.read_text())
    assert status == 0
    plain, spread, level = results["without_windows"], results["with_windows"], results["level_change"]
    for run in (plain, spread, level):
        assert run["slots"] == 2 and run["served"] == run["parties"] == 8, run
        assert run["peak_occupancy"] <= run["hall_limit"]
    assert "too_early" not in plain["refused"] and spread["refused"].get("too_early", 0) > 0
    change = level["level_change"]
    assert (change["at"], change["limit_before"], change["limit_after"]) == ("10:30", 8, 4)
    assert change["left_only_when_served"] and change["admissions_over_the_new_limit"] == 0
    minutes = {row["at"]: row for row in change["occupancy_each_minute"]}
    assert minutes["10:29"]["limit"] == 8 and minutes["10:30"]["limit"] == 4


def test_the_plan_is_the_same_for_every_run():
    def drawn(plan):
        return [(p.jitter, p.service) for row in plan for p in row]

    first = hall_day.plan(3, 8)
    assert drawn(first) == drawn(hall_day.plan(3, 8)) != drawn(hall_day.plan(3, 8, seed=1))
    assert all(-30 <= p.jitter.total_seconds() / 60 <= 15 for row in first for p in row)
