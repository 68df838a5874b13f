"""Daily `GET /ad_reports` latency over a large stats store, against a plain GROUP BY.

Builds one company with 10 campaigns x 10 ad groups x 10 ads (1,000 ads) directly with the
ORM, ingests `--days` days of hourly rows for every ad through `adline.stats.service.ingest`
(`--hours-per-day` hours a day per ad, not 24: the full 2,160,000 rows do not fit a bounded
run on a small machine; ingestion stops early after `--max-ingest-seconds`, and the rows
actually stored are printed), then times, each `--reps` times after one warm-up:
  - the baseline, plain SQL straight through the engine: when the store has the daily
    rollups (`stat_days`, issue 11), `SELECT day, sum(spend_micros) FROM stat_days ...
    GROUP BY day` for the daily report and the same `GROUP BY object_id, day` for the
    breakdown; without them (older code), `SELECT date(hour_start), sum(spend_micros) ...
    GROUP BY date(hour_start)` over the hourly rows, for both
  - `GET /api/v1/ad_reports?company_id=...&from=...&to=...&granularity=daily`
  - the same with `breakdown=ad`
through the app in-process (httpx.ASGITransport), and prints median and worst latency and
the ratio of each report to its baseline.

    .venv/bin/python bench/bench_report.py [--days 90] [--hours-per-day 4] [--reps 5]
        [--max-ingest-seconds 180] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time as clock_time
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.ext.asyncio import AsyncEngine
from store import build_tree  # bench/store.py, beside this script

from adline.app import create_app
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.migrate import migrate
from adline.stats.models import AdStatHour
from adline.stats.service import HourStats, ingest

START = datetime(2026, 1, 1, tzinfo=UTC)
CAMPAIGNS = GROUPS_PER_CAMPAIGN = ADS_PER_GROUP = 10
VERSION = "2026-10-15-1"


async def build(sessionmaker: Any, clock: ManualClock) -> tuple[str, str, list[str]]:
    """One company (UTC), 1,000 ads in 100 groups in 10 campaigns, and a key with every
    scope; answers (company id, key secret, ad ids)."""
    tree = await build_tree(
        sessionmaker,
        clock,
        name="Report bench",
        campaigns=CAMPAIGNS,
        groups_per_campaign=GROUPS_PER_CAMPAIGN,
        ads_per_group=ADS_PER_GROUP,
    )
    return tree.company_id, tree.key, [ad.id for ad in tree.ads]


@dataclass(frozen=True)
class Baseline:
    label: str
    describe: str
    query: Any


# The daily rollups (issue 11: stats pre-summed per object and UTC day at ingest), read by
# name so this script runs on revisions that do not have them yet.
STAT_DAYS = table(
    "stat_days",
    column("object_id"),
    column("day"),
    column("company_id"),
    column("level"),
    column("spend_micros"),
)


async def baseline_queries(
    engine: AsyncEngine, company_id: str, first: date, last: date
) -> list[Baseline]:
    """The plain SQL the reports are compared with, straight through the engine: over the
    daily rollups when the store has them (GROUP BY day; GROUP BY ad and day for the
    breakdown), else over the hourly rows (GROUP BY date(hour_start))."""
    async with engine.connect() as connection:
        has_rollups = await connection.run_sync(
            lambda sync: inspect(sync).has_table(STAT_DAYS.name)
        )
    if has_rollups:
        scope = (
            STAT_DAYS.c.company_id == company_id,
            STAT_DAYS.c.level == "ad",
            STAT_DAYS.c.day >= first,
            STAT_DAYS.c.day <= last,
        )
        spend = func.sum(STAT_DAYS.c.spend_micros)
        day = STAT_DAYS.c.day
        return [
            Baseline(
                "rollups GROUP BY day",
                "SELECT day, sum(spend_micros) FROM stat_days WHERE company_id, level = 'ad', "
                "day in the window GROUP BY day",
                select(day, spend).where(*scope).group_by(day).order_by(day),
            ),
            Baseline(
                "rollups GROUP BY ad, day",
                "the same, GROUP BY object_id, day",
                select(STAT_DAYS.c.object_id, day, spend)
                .where(*scope)
                .group_by(STAT_DAYS.c.object_id, day),
            ),
        ]
    day_of = func.date(AdStatHour.hour_start)
    start = datetime.combine(first, time(0), UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), UTC)
    return [
        Baseline(
            "hourly GROUP BY date",
            "SELECT date(hour_start), sum(spend_micros) FROM ad_stat_hours WHERE company_id, "
            "hour_start in the window GROUP BY date(hour_start) (no rollup tables in this store)",
            select(day_of, func.sum(AdStatHour.spend_micros))
            .where(
                AdStatHour.company_id == company_id,
                AdStatHour.hour_start >= start,
                AdStatHour.hour_start < end,
            )
            .group_by(day_of)
            .order_by(day_of),
        )
    ]


def day_rows(ads: list[str], day: int, hours_per_day: int) -> list[HourStats]:
    """One row per ad for each of the day's first `hours_per_day` hours, spread over the
    day (e.g. 4 a day: 00, 06, 12, 18 UTC)."""
    step = 24 // hours_per_day
    rows = []
    for slot in range(hours_per_day):
        hour = START + timedelta(days=day, hours=slot * step)
        for index, ad_id in enumerate(ads):
            rows.append(
                HourStats(
                    ad_id=ad_id,
                    hour_start=hour,
                    revision=1,
                    impressions=1000 + index % 97,
                    reach=800,
                    clicks=20 + index % 7,
                    unique_clicks=15,
                    link_clicks=12,
                    spend_micros=3_000_000 + index * 1_337 + day,
                    event_counts={},
                    event_value_micros={},
                )
            )
    return rows


async def timed(reps: int, work: Any) -> list[float]:
    await work()  # warm-up
    samples = []
    for _ in range(reps):
        started = clock_time.perf_counter()
        await work()
        samples.append(clock_time.perf_counter() - started)
    return samples


async def run(args: argparse.Namespace, url: str) -> None:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    clock = ManualClock(START)
    company_id, secret, ads = await build(sessionmaker, clock)

    started = clock_time.perf_counter()
    days_done = 0
    for day in range(args.days):
        async with sessionmaker() as session, session.begin():
            await ingest(session, clock, day_rows(ads, day, args.hours_per_day))
        days_done += 1
        if clock_time.perf_counter() - started > args.max_ingest_seconds:
            break
    ingest_seconds = clock_time.perf_counter() - started
    async with engine.connect() as connection:
        stored = await connection.scalar(
            select(func.count()).select_from(AdStatHour).where(AdStatHour.company_id == company_id)
        )
    print(
        f"store {url.split(':')[0]}: {len(ads)} ads, {days_done} of {args.days} days x "
        f"{args.hours_per_day} hours/day ingested = {stored:,} rows "
        f"in {ingest_seconds:.1f} s ({stored / ingest_seconds:,.0f} rows/s)"
    )

    clock.set(START + timedelta(days=args.days + 1))
    first = START.date()
    last = first + timedelta(days=args.days - 1)
    baselines = await baseline_queries(engine, company_id, first, last)
    for baseline in baselines:
        print(f"baseline {baseline.label}: {baseline.describe}")
    baseline_days: list[Any] = []

    def run_baseline(query: Any) -> Any:
        async def work() -> None:
            async with engine.connect() as connection:
                baseline_days[:] = (await connection.execute(query)).all()

        return work

    by_day = baselines[0]
    baseline_rows: list[Any] = []
    baseline_samples = []
    for baseline in baselines:
        baseline_samples.append(await timed(args.reps, run_baseline(baseline.query)))
        if baseline is by_day:
            baseline_rows = list(baseline_days)

    app = create_app(Settings(database_url=url), clock=clock, engine=engine)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {secret}", "Api-Version-Date": VERSION}
    params = {
        "company_id": company_id,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "granularity": "daily",
    }
    answers: dict[str, Any] = {}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://adline.bench/api/v1", headers=headers, timeout=600
    ) as client:

        def report(extra: dict[str, str], label: str) -> Any:
            async def work() -> None:
                response = await client.get("/ad_reports", params={**params, **extra})
                if response.status_code != 200:
                    raise SystemExit(f"{label}: {response.status_code} {response.text[:500]}")
                answers[label] = response.json()

            return work

        daily_samples = await timed(args.reps, report({}, "daily"))
        by_ad_samples = await timed(args.reps, report({"breakdown": "ad"}, "by_ad"))
    await engine.dispose()

    # Sanity: the same total spend by all paths, and the expected shapes. PostgreSQL sums a
    # bigint column into numeric (a Decimal), SQLite into an integer: int() for both.
    total_micros = sum(int(spend) for _, spend in baseline_rows)
    daily, by_ad = answers["daily"], answers["by_ad"]
    assert len(baseline_rows) == days_done, (len(baseline_rows), days_done)
    assert len(daily["granularity"]) == args.days, len(daily["granularity"])
    assert len(by_ad["breakdown"]) == len(ads), len(by_ad["breakdown"])
    print(
        f"window {first}..{last} ({args.days} daily buckets); total spend "
        f"${total_micros / 1e6:,.2f} by SQL, ${float(daily['summary']['spend']):,.2f} "
        f"by the report; breakdown rows {len(by_ad['breakdown'])} x "
        f"{len(by_ad['breakdown'][0]['granularity'])} buckets"
    )
    print(f"{args.reps} repetitions each after one warm-up\n")
    # Each report against its baseline: the daily report against the GROUP BY day, the
    # breakdown against the GROUP BY ad and day when there is one (the rollups), else the
    # GROUP BY day too.
    breakdown_base = len(baselines) - 1
    results = [
        *((f"baseline: {b.label}", samples, index) for index, (b, samples) in
          enumerate(zip(baselines, baseline_samples, strict=True))),
        ("GET /ad_reports daily", daily_samples, 0),
        ("GET /ad_reports daily, breakdown=ad", by_ad_samples, breakdown_base),
    ]  # fmt: skip
    print(f"{'':44} {'median ms':>10} {'worst ms':>10}  median / baseline")
    for label, samples, base_index in results:
        median = statistics.median(samples)
        base = statistics.median(baseline_samples[base_index])
        against = f"{median / base:8.1f}  ({baselines[base_index].label})"
        print(f"{label:44} {median * 1000:10.1f} {max(samples) * 1000:10.1f}  {against}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--hours-per-day", type=int, default=4, choices=[1, 2, 3, 4, 6, 8, 12, 24])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--max-ingest-seconds", type=float, default=180)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        migrate(url)
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()
