"""Daily `GET /ad_reports` latency over a large stats store, against a plain GROUP BY.

Builds one company with 10 campaigns x 10 ad groups x 10 ads (1,000 ads) directly with the
ORM, ingests `--days` days of hourly rows for every ad through `adline.stats.service.ingest`
(`--hours-per-day` hours a day per ad, not 24: the full 2,160,000 rows do not fit a bounded
run on a small machine; ingestion stops early after `--max-ingest-seconds`, and the rows
actually stored are printed), then times, each `--reps` times after one warm-up:
  - baseline: `SELECT date(hour_start), sum(spend_micros) ... GROUP BY date(hour_start)` over
    the same rows, straight through the engine
  - `GET /api/v1/ad_reports?company_id=...&from=...&to=...&granularity=daily`
  - the same with `breakdown=ad`
through the app in-process (httpx.ASGITransport), and prints median and worst latency and
the ratio of each report to the baseline.

    .venv/bin/python bench/bench_report.py [--days 90] [--hours-per-day 4] [--reps 5]
        [--max-ingest-seconds 180] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
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
        started = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - started)
    return samples


async def run(args: argparse.Namespace, url: str) -> None:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    clock = ManualClock(START)
    company_id, secret, ads = await build(sessionmaker, clock)

    started = time.perf_counter()
    days_done = 0
    for day in range(args.days):
        async with sessionmaker() as session, session.begin():
            await ingest(session, clock, day_rows(ads, day, args.hours_per_day))
        days_done += 1
        if time.perf_counter() - started > args.max_ingest_seconds:
            break
    ingest_seconds = time.perf_counter() - started
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
    window_start = START
    window_end = START + timedelta(days=args.days)
    day_of = func.date(AdStatHour.hour_start)
    baseline_query = (
        select(day_of, func.sum(AdStatHour.spend_micros))
        .where(
            AdStatHour.company_id == company_id,
            AdStatHour.hour_start >= window_start,
            AdStatHour.hour_start < window_end,
        )
        .group_by(day_of)
        .order_by(day_of)
    )

    baseline_days: list[Any] = []

    async def baseline() -> None:
        async with engine.connect() as connection:
            baseline_days[:] = (await connection.execute(baseline_query)).all()

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

        results = [
            ("baseline: SQL GROUP BY date", await timed(args.reps, baseline)),
            ("GET /ad_reports daily", await timed(args.reps, report({}, "daily"))),
            (
                "GET /ad_reports daily, breakdown=ad",
                await timed(args.reps, report({"breakdown": "ad"}, "by_ad")),
            ),
        ]
    await engine.dispose()

    # Sanity: the same total spend by all three paths, and the expected shapes.
    total_micros = sum(spend for _, spend in baseline_days)
    daily, by_ad = answers["daily"], answers["by_ad"]
    assert len(baseline_days) == days_done, (len(baseline_days), days_done)
    assert len(daily["granularity"]) == args.days, len(daily["granularity"])
    assert len(by_ad["breakdown"]) == len(ads), len(by_ad["breakdown"])
    print(
        f"window {first}..{last} ({args.days} daily buckets); total spend "
        f"${total_micros / 1e6:,.2f} by SQL, ${float(daily['summary']['spend']):,.2f} "
        f"by the report; breakdown rows {len(by_ad['breakdown'])} x "
        f"{len(by_ad['breakdown'][0]['granularity'])} buckets"
    )
    print(f"{args.reps} repetitions each after one warm-up\n")
    print(f"{'':38} {'median ms':>10} {'worst ms':>10} {'median / baseline':>18}")
    base = statistics.median(results[0][1])
    for label, samples in results:
        median = statistics.median(samples)
        print(f"{label:38} {median * 1000:10.1f} {max(samples) * 1000:10.1f} {median / base:18.1f}")


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
