"""Overspend and budget utilisation of Adline's budgets on the simulated network.

Runs `adline.delivery.simulate` (the real API, the real delivery worker, the simulated
network with a 15-minute reporting lag) over N campaigns x D days, half with daily and
half with lifetime budgets, then prints per budget type: utilisation (spend / budget),
the share of campaign-days over budget, the overspend in dollars and as a share of the
budget, and the worst day; beside the allowances the big networks publish for the same
budgets: Google lets a day run to 2x the daily budget, Meta to +75%.

    .venv/bin/python bench/bench_overspend.py [--campaigns 100] [--days 10] [--seed 3]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from adline.config import Settings
from adline.core.migrate import migrate
from adline.delivery.simulate import CampaignSummary, simulate


def report(rows: list[CampaignSummary], days: int, label: str) -> None:
    if not rows:
        return
    budget = sum(row.daily_budget for row in rows) * days
    spend = sum(row.spend for row in rows)
    overspend = sum(row.overspend for row in rows)
    over = sum(1 for row in rows if row.overspend > 0)
    worst = max(rows, key=lambda row: row.overspend / row.daily_budget)
    print(
        f"{label:9} campaigns {len(rows):4}  campaign-days {len(rows) * days:5}  "
        f"budget ${budget:12,.2f}  spend ${spend:12,.2f}  utilisation {spend / budget:6.1%}  "
        f"overspend ${overspend:8,.2f} ({overspend / budget:.3%} of budget)  "
        f"campaigns with any overspend {over}/{len(rows)}  "
        f"worst {worst.overspend / worst.daily_budget:.2%} of a day's budget"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        migrate(url)
        started = time.perf_counter()
        result = asyncio.run(
            simulate(
                Settings(database_url=url, delivery_interval=0),
                days=args.days,
                campaigns=args.campaigns,
                seed=args.seed,
                lifetime_share=0.5,
            )
        )
        elapsed = time.perf_counter() - started
        rows = result.campaigns
    print(
        f"{args.campaigns} campaigns x {args.days} days, seed {args.seed}, 15-minute reporting "
        f"lag, simulated in {elapsed:.1f} s"
    )
    report([row for row in rows if row.budget_type == "daily"], args.days, "daily")
    report([row for row in rows if row.budget_type == "lifetime"], args.days, "lifetime")
    print(
        "published allowances for the same budgets: Google up to 2x a day (+100%), "
        "Meta up to +75% a day; a lifetime budget is not exceeded on either"
    )


if __name__ == "__main__":
    main()
