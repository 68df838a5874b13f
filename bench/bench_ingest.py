"""Stats ingestion rows/s against plain inserts into the same table, in the same run.

Builds one company with 100 ads, then times, each over the same number of rows:
  - plain:     `INSERT INTO ad_stat_hours` (executemany), rows for hours nobody reported
  - ingest:    `adline.stats.service.ingest` of new hours (the idempotent upsert)
  - redeliver: `ingest` of the same hours again (every row conflicts; nothing changes)
  - correct:   `ingest` of the same hours with a higher revision (every row replaced)
and prints rows/s of each and its ratio to the plain inserts.

    .venv/bin/python bench/bench_ingest.py [--rows 50000] [--batch 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from store import build_tree  # bench/store.py, beside this script

from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.migrate import migrate
from adline.stats.models import AdStatHour
from adline.stats.service import HourStats, ingest

START = datetime(2026, 1, 1, tzinfo=UTC)
ADS = 100


def rows_for(ads: list[str], first_hour: int, count: int, revision: int) -> list[HourStats]:
    return [
        HourStats(
            ad_id=ads[index % ADS],
            hour_start=START + timedelta(hours=first_hour + index // ADS),
            revision=revision,
            impressions=1000 + index % 97,
            reach=800,
            clicks=20 + index % 7,
            unique_clicks=15,
            link_clicks=12,
            spend_micros=3_000_000 + index,
            event_counts={"purchase": index % 3},
            event_value_micros={"purchase": (index % 3) * 25_000_000},
        )
        for index in range(count)
    ]


async def run(url: str, total: int, batch: int) -> list[tuple[str, float]]:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    clock = ManualClock(START)
    tree = await build_tree(sessionmaker, clock, name="Ingest bench", ads_per_group=ADS)
    ad_ids = [ad.id for ad in tree.ads]
    first = tree.ads[0]
    owner = (tree.company_id, first.ad_campaign_id, first.ad_group_id)
    hours_each = total // ADS

    async def timed(label: str, work: Any) -> tuple[str, float]:
        started = time.perf_counter()
        for offset in range(0, total, batch):
            async with sessionmaker() as session, session.begin():
                await work(session, offset)
        return label, total / (time.perf_counter() - started)

    async def plain(session: Any, offset: int) -> None:
        values = [
            {
                "ad_id": row.ad_id,
                "hour_start": row.hour_start,
                "company_id": owner[0],
                "ad_campaign_id": owner[1],
                "ad_group_id": owner[2],
                "impressions": row.impressions,
                "reach": row.reach,
                "clicks": row.clicks,
                "unique_clicks": row.unique_clicks,
                "link_clicks": row.link_clicks,
                "spend_micros": row.spend_micros,
                "event_counts": dict(row.event_counts),
                "event_value_micros": dict(row.event_value_micros),
                "custom_event_counts": {},
                "custom_event_value_micros": {},
                "custom_conversions": 0,
                "revision": row.revision,
                "reported_at": START,
            }
            for row in rows_for(ad_ids, 10 * hours_each + offset // ADS, batch, 1)
        ]
        await session.execute(insert(AdStatHour), values)

    def ingesting(revision: int) -> Any:
        async def work(session: Any, offset: int) -> None:
            await ingest(session, clock, rows_for(ad_ids, offset // ADS, batch, revision))

        return work

    results = [
        await timed("plain insert", plain),
        await timed("ingest (new hours)", ingesting(1)),
        await timed("ingest (re-delivery)", ingesting(1)),
        await timed("ingest (corrections)", ingesting(2)),
    ]
    await engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        migrate(url)
        results = asyncio.run(run(url, args.rows, args.batch))
    baseline = results[0][1]
    print(f"{args.rows} rows in batches of {args.batch}, {ADS} ads, store {url.split(':')[0]}")
    for label, rate in results:
        print(f"  {label:24} {rate:10,.0f} rows/s   ratio to plain {rate / baseline:5.2f}")


if __name__ == "__main__":
    main()
