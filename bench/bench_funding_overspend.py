"""Overspend of funds: campaigns paying from credits never spend more than was put in.

Runs `adline.delivery.simulate` (the real API, the real delivery worker, the simulated
network with its reporting lag) over N campaigns x D days for a company without a card:
each campaign is credited a share of what its budget would spend over the days (default
60%, so every campaign runs out of funds mid-run), and the worker holds each at its funds
with the network's hard spending limit (docs/funding.md#enforcement). Prints the spend
against the funds and the overspend of funds (target: $0.00), in all and per campaign.

With `--daily-cap DOLLARS` every campaign also shares one DAILY spend cap: each midnight a
new cap period starts after the campaigns' funds did, while the evening's spend is still
being reported, the case where a limit built from reported spend would overspend funds.
With `--database-url` it runs on that store (e.g. a scratch PostgreSQL database) instead
of a temporary SQLite file.

    .venv/bin/python bench/bench_funding_overspend.py [--campaigns 100] [--days 10] [--share 0.6]
        [--daily-cap 900] [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/scratch]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from adline.config import Settings
from adline.core.db import create_engine
from adline.core.migrate import migrate
from adline.delivery.simulate import simulate
from adline.stats.models import StatDay


async def _spend_by_day(url: str) -> dict[date, int]:
    """The reported spend of all the campaigns per UTC day (the company's days), in micros."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(StatDay.day, func.sum(StatDay.spend_micros))
                .where(StatDay.level == "ad_campaign")
                .group_by(StatDay.day)
            )
            return {day: int(spent) for day, spent in rows}
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.6)
    parser.add_argument("--daily-cap", type=float, default=None, help="dollars a day, shared")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
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
                spend_cap=args.daily_cap,
                spend_cap_period="DAILY",
            )
        )
        elapsed = time.perf_counter() - started
        by_day = asyncio.run(_spend_by_day(url)) if args.daily_cap is not None else {}
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
        f"simulated in {elapsed:.1f} s on {url.split(':', 1)[0]}"
    )
    if result.spend_cap is not None:
        cap_micros = round(result.spend_cap.amount * 1_000_000)
        held = sum(1 for spent in by_day.values() if spent >= cap_micros * 0.99)
        over_cap = sum(max(0, spent - cap_micros) for spent in by_day.values())
        print(
            f"shared DAILY spend cap ${result.spend_cap.amount:,.2f} a day: most spent in a "
            f"day ${max(by_day.values(), default=0) / 1e6:,.2f}; days at the cap (99%+) "
            f"{held}/{len(by_day)}; overspend of the cap ${over_cap / 1e6:,.2f}"
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
