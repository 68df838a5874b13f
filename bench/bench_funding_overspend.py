"""Overspend of funds: campaigns paying from credits never spend more than was put in.

Runs `adline.delivery.simulate` (the real API, the real delivery worker, the simulated
network with its reporting lag) over N campaigns x D days for a company without a card:
each campaign is credited a share of what its budget would spend over the days (default
60%, so every campaign runs out of funds mid-run), and the worker holds each at its funds
with the network's hard spending limit (docs/funding.md#enforcement). Prints the spend
against the funds and the overspend of funds (target: $0.00), in all and per campaign.

    .venv/bin/python bench/bench_funding_overspend.py [--campaigns 100] [--days 10] [--share 0.6]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from adline.config import Settings
from adline.core.migrate import migrate
from adline.delivery.simulate import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.6)
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
                funds_share=args.share,
            )
        )
        elapsed = time.perf_counter() - started
    funds = sum(result.funds.values())
    spend = sum(row.spend for row in result.campaigns)
    over = {
        row.id: round(row.spend - result.funds[row.id], 2)
        for row in result.campaigns
        if row.spend > result.funds[row.id]
    }
    exhausted = sum(1 for row in result.campaigns if row.spend >= result.funds[row.id] - 0.01)
    print(
        f"{args.campaigns} campaigns x {args.days} days = {args.campaigns * args.days:,} "
        f"campaign-days, seed {args.seed}, funds {args.share:.0%} of the budgets, "
        f"simulated in {elapsed:.1f} s"
    )
    print(
        f"funds ${funds:,.2f}  spend ${spend:,.2f}  used {spend / funds:.2%}  "
        f"campaigns that spent all their funds {exhausted}/{len(result.campaigns)}"
    )
    print(
        f"overspend of funds ${sum(over.values()):,.2f} (target $0.00); "
        f"campaigns over their funds {len(over)}/{len(result.campaigns)}"
        + (f"; worst ${max(over.values()):,.2f}" if over else "")
    )


if __name__ == "__main__":
    main()
