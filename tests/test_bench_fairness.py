"""The fairness crowd (bench/fairness.py) still runs: a tiny popular day, bots and people,
the challenge off then on; every place is sold, each to one client, and the ledger holds."""

from __future__ import annotations

import json

import pytest

from bench import fairness


@pytest.mark.slow
def test_tiny_fairness_crowd_sells_out_and_reports_each_groups_share(tmp_path):
    out = tmp_path / "fairness.json"
    status = fairness.main(["--db", "sqlite", "--bots", "3", "--people", "6", "--slots", "1",
                            "--per-slot", "3", "--workers", "1", "--deadline", "60",
                            "--json", str(out)])
    results = json.loads(out.read_text())
    assert status == 0
    for run in ("challenge_off", "challenge_on"):
        assert results[run]["ledger_ok"]
        assert sum(results[run]["places"].values()) == results[run]["capacity"] == 3
        assert abs(sum(results[run]["share"].values()) - 1) < 0.01
