"""bandit (a static security analyser, offline) finds nothing in booking/ that is not justified
where it stands with a comment and `# nosec <id>`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bandit_reports_no_unjustified_finding():
    run = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "booking", "-c", "pyproject.toml", "-f", "json", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert findings == [], "\n".join(findings)
    assert run.returncode == 0, run.stderr
    assert report["metrics"]["_totals"]["loc"] > 1000, "bandit read the code"


def test_every_nosec_names_its_check_and_says_why():
    """A bare `# nosec` would silence every check on its line; each one names its check and has
    a comment just above saying why the finding does not apply."""
    for path in (ROOT / "booking").rglob("*.py"):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if "# nosec" not in line:
                continue
            where = f"{path.relative_to(ROOT)}:{number + 1}"
            assert line.split("# nosec", 1)[1].strip().startswith("B"), f"{where}: name the check"
            assert number > 0 and lines[number - 1].strip().startswith("#"), f"{where}: say why above"
