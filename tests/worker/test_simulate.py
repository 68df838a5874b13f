"""`adline simulate` as a user runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ADLINE = str(Path(sys.executable).parent / "adline")


def test_simulate_prints_a_summary_per_campaign(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ADLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}",
    }
    result = subprocess.run(
        [ADLINE, "simulate", "--days", "2", "--campaigns", "3", "--seed", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "Campaign 00" in line]
    assert len(rows) == 3
    total = re.search(r"total spend \$([\d,.]+) of \$([\d,.]+) budgeted", result.stdout)
    assert total is not None
    spend, budget = (float(value.replace(",", "")) for value in total.groups())
    # Two days of delivery spend most of the budget, and not more than it plus the
    # measured overspend.
    assert 0.5 * budget < spend
    overspend = float(re.search(r"overspend \$([\d,.]+)", result.stdout).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert spend <= budget + overspend + 0.01
