"""Conversion events/s through `POST /events/batch`, against plain inserts, in the same run.

Builds one company with 100 ads directly with the ORM and records `--events / 2` clicks on
them with `adline.conversions.service.record_click`, then times, each over `--events` rows
in batches of `--batch` (one transaction each):
  - plain:   `INSERT INTO conversion_events` (executemany) of rows shaped like the
             endpoint's, attribution columns filled in
  - batch:   `POST /api/v1/events/batch` through the app in-process (httpx.ASGITransport);
             every other event carries the `fbclid` of a recorded click (attributed), the
             others an `fbclid` no click has (looked up, not attributed)
  - repeats: one batch of exact repeats of already recorded events (the idempotency path:
             each answers the first event's id and writes nothing)
and prints events/s of each and its ratio to the plain inserts.

    .venv/bin/python bench/bench_events.py [--events 20000] [--batch 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select
from store import build_tree  # bench/store.py, beside this script

from adline.ads.models import Ad
from adline.app import create_app
from adline.config import Settings
from adline.conversions.models import ConversionEvent
from adline.conversions.service import record_click
from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.ids import new_id
from adline.core.migrate import migrate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CLICKED_AT = NOW - timedelta(days=2)
EVENT_TIME = NOW - timedelta(hours=1)
ADS = 100
VERSION = "2026-10-15-1"


async def build(sessionmaker: Any, clock: ManualClock) -> tuple[str, str, list[Ad]]:
    """One company with 100 ads in one group and a key with every scope."""
    tree = await build_tree(sessionmaker, clock, name="Events bench", ads_per_group=ADS)
    return tree.company_id, tree.key, tree.ads


def event(company_id: str, index: int) -> dict[str, Any]:
    """The index-th event: even ones carry a recorded click's fbclid, odd ones an unknown."""
    click = f"click-{index}" if index % 2 == 0 else f"nomatch-{index}"
    return {
        "account_id": company_id,
        "event_name": "purchase",
        "event_id": f"order-{index}",
        "event_time": EVENT_TIME.isoformat(),
        "value": 19.99 + index % 50,
        "currency": "usd",
        "action_source": "website",
        "context": {"fbclid": click, "utm_source": "meta"},
        "user": {"email": f"buyer{index}@example.com"},
    }


async def run(url: str, total: int, batch: int) -> None:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    clock = ManualClock(NOW)
    company_id, secret, ads = await build(sessionmaker, clock)

    started = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        for index in range(0, total, 2):
            await record_click(session, ads[index % ADS].id, f"click-{index}", CLICKED_AT)
    clicks_seconds = time.perf_counter() - started
    print(
        f"store {url.split(':')[0]}: {ADS} ads, {total // 2 + total % 2:,} clicks recorded "
        f"with record_click in {clicks_seconds:.1f} s"
    )

    def plain_rows(offset: int) -> list[dict[str, Any]]:
        rows = []
        for index in range(offset, min(offset + batch, total)):
            ad = ads[index % ADS]
            touch = index % 2 == 0
            rows.append(
                {
                    "id": new_id("evt"),
                    "company_id": company_id,
                    "event_id": f"plain-{index}",
                    "event_name": "purchase",
                    "custom_name": None,
                    "action_source": "website",
                    "event_time": EVENT_TIME,
                    "value": str(19.99 + index % 50),
                    "currency": "usd",
                    "value_micros": 19_990_000 + index % 50 * 1_000_000,
                    "url": None,
                    "details": {
                        "context": {"fbclid": f"click-{index}", "utm_source": "meta"},
                        "user": {"email": f"buyer{index}@example.com"},
                    },
                    "last_touch_ad_id": ad.id if touch else None,
                    "last_touch_ad_group_id": ad.ad_group_id if touch else None,
                    "last_touch_ad_campaign_id": ad.ad_campaign_id if touch else None,
                    "first_touch_ad_id": ad.id if touch else None,
                    "first_touch_ad_group_id": ad.ad_group_id if touch else None,
                    "first_touch_ad_campaign_id": ad.ad_campaign_id if touch else None,
                    "created_at": NOW,
                }
            )
        return rows

    started = time.perf_counter()
    for offset in range(0, total, batch):
        async with sessionmaker() as session, session.begin():
            await session.execute(insert(ConversionEvent), plain_rows(offset))
    plain_rate = total / (time.perf_counter() - started)

    app = create_app(Settings(database_url=url), clock=clock, engine=engine)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {secret}", "Api-Version-Date": VERSION}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://adline.bench/api/v1", headers=headers, timeout=600
    ) as client:

        async def post(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            response = await client.post("/events/batch", json={"events": events})
            if response.status_code != 200:
                raise SystemExit(f"{response.status_code} {response.text[:500]}")
            items: list[dict[str, Any]] = response.json()["data"]
            failed = [item for item in items if "id" not in item]
            if failed:
                raise SystemExit(f"{len(failed)} events refused, first: {failed[0]}")
            return items

        first_ids: list[str] = []
        started = time.perf_counter()
        for offset in range(0, total, batch):
            events = [event(company_id, i) for i in range(offset, min(offset + batch, total))]
            first_ids.extend(item["id"] for item in await post(events))
        batch_rate = total / (time.perf_counter() - started)

        repeats = [event(company_id, i) for i in range(min(batch, total))]
        started = time.perf_counter()
        again = await post(repeats)
        repeat_rate = len(repeats) / (time.perf_counter() - started)
    assert [item["id"] for item in again] == first_ids[: len(repeats)]

    async with engine.connect() as connection:
        recorded = await connection.scalar(
            select(func.count())
            .select_from(ConversionEvent)
            .where(ConversionEvent.event_id.like("order-%"))
        )
        attributed = await connection.scalar(
            select(func.count())
            .select_from(ConversionEvent)
            .where(
                ConversionEvent.event_id.like("order-%"),
                ConversionEvent.last_touch_ad_id.is_not(None),
            )
        )
    await engine.dispose()
    assert recorded == total, recorded
    print(
        f"{total:,} events in batches of {batch}: {recorded:,} recorded by the endpoint, "
        f"{attributed:,} attributed; repeats: {len(repeats):,} events, all answered "
        f"the first ids, nothing written\n"
    )
    for label, rate in [
        ("plain insert", plain_rate),
        ("POST /events/batch (new events)", batch_rate),
        ("POST /events/batch (exact repeats)", repeat_rate),
    ]:
        print(f"  {label:36} {rate:10,.0f} events/s   ratio to plain {rate / plain_rate:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if not 1 <= args.batch <= 1_000:
        parser.error("--batch must be 1 to 1000 (the endpoint's limit)")
    with tempfile.TemporaryDirectory() as workdir:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        migrate(url)
        asyncio.run(run(url, args.events, args.batch))


if __name__ == "__main__":
    main()
