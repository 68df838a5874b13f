"""Set-up shared by the benchmarks: a company with a tree of launched ads, written straight
through the ORM (fast; the API's own rules are not what these scripts measure), and a
history for its ads that arrives the way real data does: hourly stats through
`adline.stats.service.ingest`, clicks through `record_click`, conversion events through
`POST /events/batch`, so whatever those paths maintain besides the rows is maintained.

Run as a script it seeds a store and prints one `SEED_JSON {...}` line: the server
benchmarks run it in a subprocess, so that with `--rev` it uses the same code as the
server.

    .venv/bin/python bench/store.py --database-url URL [--days 90,7,365] [--groups 3]
        [--ads-per-group 2] [--conversions-per-day 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.campaigns.models import AdCampaign
from adline.companies.service import create_company
from adline.config import Settings
from adline.conversions.models import ConversionEvent
from adline.conversions.service import record_click
from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.ids import new_id
from adline.core.migrate import migrate
from adline.stats.service import HourStats, ingest


@dataclass(frozen=True)
class BenchTree:
    company_id: str
    key: str  # an API key with every scope
    ads: list[Ad]  # in creation order: campaign by campaign, group by group


async def build_tree(
    sessionmaker: Any,
    clock: ManualClock,
    *,
    name: str,
    campaigns: int = 1,
    groups_per_campaign: int = 1,
    ads_per_group: int = 100,
) -> BenchTree:
    at: datetime = clock.now()
    async with sessionmaker() as session, session.begin():
        company, _ = await create_company(session, clock, name=name)
        issued = await create_api_key(
            session, clock, company_id=company.id, scopes=list(ALL_SCOPES)
        )
        ads: list[Ad] = []
        for number in range(campaigns):
            campaign = AdCampaign(
                id=new_id("adcamp"),
                company_id=company.id,
                title=f"Campaign {number}",
                status="active",
                platform="meta",
                campaign_type="standard",
                objective="sales",
                special_ad_categories=[],
                budget_optimization="ad_group",
                target_country_codes=[],
                ad_creative_set_ids=[],
                created_at=at,
                updated_at=at,
            )
            session.add(campaign)
            await session.flush()  # rows of a table without relationships: parents first
            for _ in range(groups_per_campaign):
                group = AdGroup(
                    id=new_id("adgrp"),
                    company_id=company.id,
                    ad_campaign_id=campaign.id,
                    status="active",
                    platform="meta",
                    languages=[],
                    demographics={},
                    detailed_targeting={},
                    audiences={},
                    devices={},
                    regions={},
                    created_at=at,
                    updated_at=at,
                )
                session.add(group)
                await session.flush()
                group_ads = [
                    Ad(
                        id=new_id("ad"),
                        company_id=company.id,
                        ad_campaign_id=campaign.id,
                        ad_group_id=group.id,
                        status="active",
                        platform="meta",
                        url_parameters={},
                        creatives=[],
                        primary_texts=[],
                        headlines=[],
                        descriptions=[],
                        external_accounts=[],
                        created_at=at,
                        updated_at=at,
                    )
                    for _ in range(ads_per_group)
                ]
                session.add_all(group_ads)
                ads.extend(group_ads)
        await session.flush()
        return BenchTree(company.id, issued.secret, ads)


# --- history: stats and conversions, arriving the way a network and a site send them ------

VERSION = "2026-10-15-1"  # the newest API version: what the benchmarks' requests pin
DAY = timedelta(days=1)
REPORTING_LAG = timedelta(minutes=15)
# Share of a day's traffic in each UTC hour: a night trough, a midday plateau, an evening peak.
TRAFFIC_CURVE = [
    0.4, 0.3, 0.25, 0.2, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.1, 1.1,
    1.2, 1.2, 1.1, 1.1, 1.2, 1.3, 1.5, 1.6, 1.5, 1.3, 0.9, 0.6,
]  # fmt: skip


@dataclass(frozen=True)
class History:
    """Ads with `days` days of hourly stats before the seeding's end and `conversions`
    attributed conversion events spread over those days."""

    ads: list[Ad]
    days: int
    conversions: int


def hour_stats(ad_index: int, hour: datetime, rng: random.Random) -> HourStats:
    """One ad-hour as a network reports it: traffic on the daily curve, about 1.5% CTR, a
    CPM near $8, and the funnel's events (zero counts left out, purchases with values)."""
    impressions = round(
        (300 + 40 * (ad_index % 5)) * TRAFFIC_CURVE[hour.hour] * rng.uniform(0.7, 1.3)
    )
    clicks = round(impressions * rng.uniform(0.008, 0.022))
    link_clicks = round(clicks * 0.8)
    landed = round(link_clicks * rng.uniform(0.5, 0.9))
    carts = sum(rng.random() < 0.2 for _ in range(landed))
    purchases = sum(rng.random() < 0.35 for _ in range(carts))
    leads = sum(rng.random() < 0.05 for _ in range(landed))
    counts = {"view_content": landed, "add_to_cart": carts, "purchase": purchases, "lead": leads}
    values = {"purchase": sum(rng.randrange(20_000_000, 150_000_000) for _ in range(purchases))}
    return HourStats(
        ad_id="",  # set by the caller (the row is built per ad)
        hour_start=hour,
        revision=1,
        impressions=impressions,
        reach=round(impressions * 0.8),
        clicks=clicks,
        unique_clicks=round(clicks * 0.9),
        link_clicks=link_clicks,
        spend_micros=impressions * rng.randrange(6_000, 10_000),
        event_counts={name: count for name, count in counts.items() if count},
        event_value_micros={name: value for name, value in values.items() if value},
    )


async def ingest_history(
    sessionmaker: Any,
    clock: ManualClock,
    company_id: str,
    histories: Sequence[History],
    end: datetime,
    *,
    seed: int = 1,
) -> tuple[int, dict[str, int]]:
    """Every hour of every history's ads through `adline.stats.service.ingest`, a day of all
    ads at a time (one call and one transaction each), oldest day first, the clock a
    reporting lag past the day's last hour; answers (rows ingested, spend micros by ad)."""
    rng = random.Random(seed)
    spend: dict[str, int] = {}
    index = {ad.id: number for history in histories for number, ad in enumerate(history.ads)}
    rows_in = 0
    for back in range(max(h.days for h in histories), 0, -1):
        day = end - back * DAY
        ads = [ad for history in histories if history.days >= back for ad in history.ads]
        rows = []
        for ad in ads:
            for hour in range(24):
                row = replace(
                    hour_stats(index[ad.id], day + timedelta(hours=hour), rng), ad_id=ad.id
                )
                spend[ad.id] = spend.get(ad.id, 0) + row.spend_micros
                rows.append(row)
        clock.set(day + DAY + REPORTING_LAG)
        async with sessionmaker() as session, session.begin():
            rows_in += await ingest(session, clock, rows, company_id=company_id)
    return rows_in, spend


def conversion_plan(
    histories: Sequence[History], end: datetime, *, seed: int = 2
) -> list[tuple[Ad, str, datetime, dict[str, Any]]]:
    """For each history, its conversions as (ad, click id, click time, event body): each
    event follows its click by 10 minutes to 2 days (inside the attribution window, before
    `end`); about two in three are purchases with a value, the rest leads."""
    rng = random.Random(seed)
    plan = []
    for history in histories:
        span = history.days * 86_400
        for _ in range(history.conversions):
            ad = rng.choice(history.ads)
            clicked_at = end - timedelta(seconds=span) + timedelta(seconds=rng.randrange(span))
            delay = timedelta(seconds=rng.randrange(600, 2 * 86_400))
            event_time = min(clicked_at + delay, end - timedelta(seconds=1))
            click_id = f"fb.{uuid.UUID(int=rng.getrandbits(128)).hex}"
            body: dict[str, Any] = {
                "event_id": f"order-{uuid.UUID(int=rng.getrandbits(128)).hex}",
                "event_time": event_time.isoformat(),
                "action_source": "website",
                "context": {"fbclid": click_id, "utm_source": "meta"},
            }
            if rng.random() < 0.67:
                body |= {
                    "event_name": "purchase",
                    "value": rng.randrange(2_000, 15_000) / 100,
                    "currency": "usd",
                }
            else:
                body["event_name"] = "lead"
            plan.append((ad, click_id, clicked_at, body))
    return plan


async def record_conversions(
    sessionmaker: Any,
    clock: ManualClock,
    client: httpx.AsyncClient,
    company_id: str,
    histories: Sequence[History],
    end: datetime,
) -> tuple[int, int]:
    """The histories' conversions: each click through `record_click`, then the events
    through `POST /events/batch` (`client`: the app in-process, on `clock`), in time order,
    batches of at most 500 events within 30 days, the clock a minute past the batch's last
    event; answers (events recorded, events attributed)."""
    plan = conversion_plan(histories, end)
    async with sessionmaker() as session, session.begin():
        for ad, click_id, clicked_at, _ in plan:
            await record_click(session, ad.id, click_id, clicked_at)
    bodies = sorted((body for *_, body in plan), key=lambda body: body["event_time"])
    recorded = attributed = 0
    start = 0
    while start < len(bodies):
        first = datetime.fromisoformat(bodies[start]["event_time"])
        stop = start
        while (
            stop < len(bodies)
            and stop - start < 500
            and datetime.fromisoformat(bodies[stop]["event_time"]) - first < 30 * DAY
        ):
            stop += 1
        batch = [{"account_id": company_id, **body} for body in bodies[start:stop]]
        clock.set(datetime.fromisoformat(batch[-1]["event_time"]) + timedelta(minutes=1))
        response = await client.post("/events/batch", json={"events": batch})
        if response.status_code != 200:
            raise SystemExit(f"events/batch: {response.status_code} {response.text[:500]}")
        items = response.json()["data"]
        refused = [item for item in items if "id" not in item]
        if refused:
            raise SystemExit(f"events/batch refused {len(refused)} events, first: {refused[0]}")
        recorded += len(items)
        start = stop
    async with sessionmaker() as session:
        attributed = await session.scalar(
            select(func.count())
            .select_from(ConversionEvent)
            .where(
                ConversionEvent.company_id == company_id,
                ConversionEvent.last_touch_ad_id.is_not(None),
            )
        )
    return recorded, attributed or 0


# --- a seeded store, for the server benchmarks ---------------------------------------------


async def seed(
    url: str,
    days: Sequence[int],
    *,
    groups: int,
    ads_per_group: int,
    conversions_per_day: float,
    end: datetime,
) -> dict[str, Any]:
    """One company (UTC) with a key and a campaign per entry of `days`, each with `groups`
    ad groups of `ads_per_group` ads and that many days of history before `end`."""
    from adline.app import create_app  # the app only for the events endpoint

    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    clock = ManualClock(end - (max(days) + 1) * DAY)
    tree = await build_tree(
        sessionmaker,
        clock,
        name="Bench",
        campaigns=len(days),
        groups_per_campaign=groups,
        ads_per_group=ads_per_group,
    )
    per_campaign = groups * ads_per_group
    histories = [
        History(
            ads=tree.ads[number * per_campaign : (number + 1) * per_campaign],
            days=history_days,
            conversions=round(history_days * conversions_per_day),
        )
        for number, history_days in enumerate(days)
    ]
    started = time.perf_counter()
    rows, spend = await ingest_history(sessionmaker, clock, tree.company_id, histories, end)
    stats_seconds = time.perf_counter() - started

    started = time.perf_counter()
    app = create_app(Settings(database_url=url, delivery_interval=0), clock=clock, engine=engine)
    headers = {"Authorization": f"Bearer {tree.key}", "Api-Version-Date": VERSION}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://adline.bench/api/v1",
        headers=headers,
        timeout=600,
    ) as client:
        events, attributed = await record_conversions(
            sessionmaker, clock, client, tree.company_id, histories, end
        )
    conversions_seconds = time.perf_counter() - started
    await engine.dispose()
    return {
        "company_id": tree.company_id,
        "key": tree.key,
        "end": end.isoformat(),
        "campaigns": [
            {
                "id": history.ads[0].ad_campaign_id,
                "days": history.days,
                "ads": len(history.ads),
                "conversions": history.conversions,
                "spend_micros": sum(spend[ad.id] for ad in history.ads),
            }
            for history in histories
        ],
        "stat_rows": rows,
        "stats_seconds": stats_seconds,
        "events": events,
        "attributed": attributed,
        "conversions_seconds": conversions_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Seed a store for the server benchmarks.")
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--days", default="90", help="days of history of each campaign, comma-separated"
    )
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--ads-per-group", type=int, default=2)
    parser.add_argument("--conversions-per-day", type=float, default=3.0)
    args = parser.parse_args()
    days = [int(part) for part in args.days.split(",")]
    if not days or min(days) < 1:
        parser.error("--days: positive whole days, comma-separated")
    # History up to the start of today (UTC): whole days, all of them in the past.
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    migrate(args.database_url)
    seeded = asyncio.run(
        seed(
            args.database_url,
            days,
            groups=args.groups,
            ads_per_group=args.ads_per_group,
            conversions_per_day=args.conversions_per_day,
            end=end,
        )
    )
    sys.stdout.write("SEED_JSON " + json.dumps(seeded) + "\n")


if __name__ == "__main__":
    main()
