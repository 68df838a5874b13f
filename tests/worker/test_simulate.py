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


def test_simulate_with_a_spend_cap_stops_every_campaign_at_it(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ADLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}",
    }
    result = subprocess.run(
        [ADLINE, "simulate", "--days", "2", "--campaigns", "3", "--seed", "5", "--spend-cap", "15"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    line = re.search(
        r"spend cap sc_\w{14}: \$([\d,.]+) applied of \$15\.00 \(([\d.]+)%\), (\w+)", result.stdout
    )
    assert line is not None, result.stdout
    applied = float(line.group(1))
    # The three campaigns would spend far more in two days; the cap holds them at $15.
    assert 14.5 <= applied <= 15.0
    total = re.search(r"total spend \$([\d,.]+)", result.stdout)
    # Each campaign's spend is rendered to the cent (half-even): a half cent each at most.
    assert total is not None and float(total.group(1)) <= 15.0 + 3 * 0.005
