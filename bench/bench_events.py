"""Conversion events/s through `POST /events/batch`, against bulk inserts of the same rows,
in the same run.

Builds one company with 10 campaigns x 2 ad groups x 5 ads directly with the ORM and records
`--events / 2` clicks on those ads with `adline.conversions.service.record_click`, then
times, over `--events` rows in batches of `--batch` (one transaction each), interleaved
batch by batch so that the shared machine's drifting load hits all alike:
  - bulk:        the fastest plain load of the batch's rows, shaped like the endpoint's
                 (attribution columns filled in) straight through the driver: COPY
                 (asyncpg `copy_records_to_table`) on PostgreSQL, the driver's
                 `executemany` of one prepared INSERT on SQLite
  - executemany: the same rows through SQLAlchemy (`insert(ConversionEvent)` with a list)
  - batch:       `POST /api/v1/events/batch` through the app in-process
                 (httpx.ASGITransport; bodies encoded before the clock starts); every
                 other event carries the `fbclid` of a recorded click (attributed, to ads
                 of every campaign), the others an `fbclid` no click has (looked up, not
                 attributed)
  - repeats:     batches of exact repeats of recorded events (the idempotency path: each
                 answers the first event's id and writes nothing)
and prints events/s of each and the endpoint's ratio to the bulk load (issue 11's targets:
>= 20,000 new events/s on PostgreSQL, >= 0.5x the bulk load). Checks the answers, the
stored counts and that the rollups equal a rebuild.

    .venv/bin/python bench/bench_events.py [--events 20000] [--batch 1000]
        [--postgres [URL] | --database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from serve import DEFAULT_POSTGRES, scratch_postgres  # bench/serve.py, beside this script
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
from adline.stats import rollups
from adline.stats.models import StatEntryDay, StatEntryLifetime

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CAMPAIGNS, GROUPS, ADS_PER_GROUP = 10, 2, 5
ADS = CAMPAIGNS * GROUPS * ADS_PER_GROUP
VERSION = "2026-10-15-1"
EVENT_NAMES = ("purchase", "purchase", "lead", "add_to_cart")
COLUMNS = [column.name for column in ConversionEvent.__table__.columns]


def event_time(index: int) -> datetime:
    """Events spread over the last three days, hour by hour."""
    return NOW - timedelta(hours=1 + index % 72, seconds=index % 3600)


def clicked_at(index: int) -> datetime:
    """The click of an attributed event: one to six days before it."""
    return event_time(index) - timedelta(days=1 + index % 6)


def event(company_id: str, index: int) -> dict[str, Any]:
    """The index-th event: even ones carry a recorded click's fbclid, odd ones an unknown."""
    click = f"click-{index}" if index % 2 == 0 else f"nomatch-{index}"
    return {
        "account_id": company_id,
        "event_name": EVENT_NAMES[index % len(EVENT_NAMES)],
        "event_id": f"order-{index}",
        "event_time": event_time(index).isoformat(),
        "value": 19.99 + index % 50,
        "currency": "usd",
        "action_source": "website",
        "context": {"fbclid": click, "utm_source": "meta"},
        "user": {"email": f"buyer{index}@example.com"},
    }


def plain_row(company_id: str, ads: list[Ad], prefix: str, index: int) -> dict[str, Any]:
    """The row the endpoint would store for event `index` (as `prefix`-index)."""
    ad = ads[index % ADS]
    touch = index % 2 == 0
    return {
        "id": new_id("evt"),
        "company_id": company_id,
        "event_id": f"{prefix}-{index}",
        "event_name": EVENT_NAMES[index % len(EVENT_NAMES)],
        "custom_name": None,
        "action_source": "website",
        "event_time": event_time(index),
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
        # No conversion value rule valued these events (docs/value-rules.md).
        "last_touch_value_micros": None,
        "last_touch_value_rule_id": None,
        "first_touch_value_micros": None,
        "first_touch_value_rule_id": None,
    }


def raw_record(row: dict[str, Any]) -> tuple[Any, ...]:
    """A row as the driver takes it: naive UTC times, JSON as text."""
    values = dict(row)
    for name in ("event_time", "created_at"):
        values[name] = values[name].astimezone(UTC).replace(tzinfo=None)
    values["details"] = json.dumps(values["details"])
    return tuple(values[name] for name in COLUMNS)


async def bulk_load(sessionmaker: Any, dialect: str, rows: list[dict[str, Any]]) -> None:
    """The fastest plain load of `rows` the store's driver offers, in one transaction."""
    records = [raw_record(row) for row in rows]
    async with sessionmaker() as session, session.begin():
        connection = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        if dialect == "postgresql":
            await raw.copy_records_to_table("conversion_events", records=records, columns=COLUMNS)
        else:
            placeholders = ", ".join("?" for _ in COLUMNS)
            await raw.executemany(
                f"INSERT INTO conversion_events ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                [
                    tuple(
                        value.isoformat(" ") if isinstance(value, datetime) else value
                        for value in record
                    )
                    for record in records
                ],
            )


async def run(url: str, total: int, batch: int, repeat_batches: int) -> None:
    engine = create_engine(url)
    dialect = engine.dialect.name
    sessionmaker = create_sessionmaker(engine)
    clock = ManualClock(NOW)
    tree = await build_tree(
        sessionmaker,
        clock,
        name="Events bench",
        campaigns=CAMPAIGNS,
        groups_per_campaign=GROUPS,
        ads_per_group=ADS_PER_GROUP,
    )
    company_id, secret, ads = tree.company_id, tree.key, tree.ads

    started = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        for index in range(0, total, 2):
            await record_click(session, ads[index % ADS].id, f"click-{index}", clicked_at(index))
    clicks_seconds = time.perf_counter() - started
    print(
        f"store {dialect}: {CAMPAIGNS} campaigns x {GROUPS} groups x {ADS_PER_GROUP} ads, "
        f"{(total + 1) // 2:,} clicks recorded with record_click in {clicks_seconds:.1f} s"
    )

    app = create_app(Settings(database_url=url), clock=clock, engine=engine)
    transport = httpx.ASGITransport(app=app)
    headers = {
        "Authorization": f"Bearer {secret}",
        "Api-Version-Date": VERSION,
        "Content-Type": "application/json",
    }
    seconds = {"bulk": 0.0, "executemany": 0.0, "batch": 0.0, "repeats": 0.0}
    first_ids: list[str] = []
    repeated = 0
    async with httpx.AsyncClient(
        transport=transport, base_url="http://adline.bench/api/v1", headers=headers, timeout=600
    ) as client:

        async def post(indexes: range) -> tuple[float, list[dict[str, Any]]]:
            body = json.dumps({"events": [event(company_id, i) for i in indexes]}).encode()
            started = time.perf_counter()
            response = await client.post("/events/batch", content=body)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{response.status_code} {response.text[:500]}")
            items: list[dict[str, Any]] = response.json()["data"]
            failed = [item for item in items if "id" not in item]
            if failed:
                raise SystemExit(f"{len(failed)} events refused, first: {failed[0]}")
            return elapsed, items

        await post(range(total, total + min(batch, 100)))  # warm-up: not counted
        for number, offset in enumerate(range(0, total, batch)):
            indexes = range(offset, min(offset + batch, total))

            rows = [plain_row(company_id, ads, "bulk", i) for i in indexes]
            started = time.perf_counter()
            await bulk_load(sessionmaker, dialect, rows)
            seconds["bulk"] += time.perf_counter() - started

            rows = [plain_row(company_id, ads, "plain", i) for i in indexes]
            started = time.perf_counter()
            async with sessionmaker() as session, session.begin():
                await session.execute(insert(ConversionEvent), rows)
            seconds["executemany"] += time.perf_counter() - started

            elapsed, items = await post(indexes)
            seconds["batch"] += elapsed
            first_ids.extend(item["id"] for item in items)

            if number < repeat_batches:
                elapsed, again = await post(indexes)
                seconds["repeats"] += elapsed
                repeated += len(again)
                assert [item["id"] for item in again] == first_ids[offset : offset + len(again)]

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
        campaigns = await connection.scalar(
            select(func.count(func.distinct(ConversionEvent.last_touch_ad_campaign_id))).where(
                ConversionEvent.event_id.like("order-%")
            )
        )
    # The endpoint kept the rollups (the bulk rows, written behind its back, are not in
    # them): they must equal a rebuild over its events alone.
    async with sessionmaker() as session, session.begin():
        kept = await rollup_entries(session)
        await session.execute(
            ConversionEvent.__table__.delete().where(ConversionEvent.event_id.not_like("order-%"))
        )
        await rollups.rebuild(session, company_id)
        assert await rollup_entries(session) == kept, "rollups differ from a rebuild"
    await engine.dispose()
    assert recorded == total + min(batch, 100), recorded
    print(
        f"{total:,} events in batches of {batch}: all recorded by the endpoint, "
        f"{attributed:,} attributed (to ads of {campaigns} campaigns); rollups equal a "
        f"rebuild; repeats: {repeated:,} events, all answered the first ids, nothing written\n"
    )
    bulk_rate = total / seconds["bulk"]
    lines = [
        (
            "bulk load (" + ("COPY" if dialect == "postgresql" else "driver executemany") + ")",
            total,
            "bulk",
        ),
        ("SQLAlchemy executemany", total, "executemany"),
        ("POST /events/batch (new events)", total, "batch"),
        ("POST /events/batch (exact repeats)", repeated, "repeats"),
    ]
    for label, count, key in lines:
        if not count:
            continue
        rate = count / seconds[key]
        print(f"  {label:36} {rate:10,.0f} events/s   ratio to bulk {rate / bulk_rate:6.3f}")
    batch_rate = total / seconds["batch"]
    print(
        f"\ntargets (issue 11): new events >= 20,000/s on PostgreSQL: {batch_rate:,.0f}/s; "
        f">= 0.5x the bulk load: {batch_rate / bulk_rate:.3f}x"
    )


async def rollup_entries(session: Any) -> list[tuple[Any, ...]]:
    entries = []
    for model in (StatEntryDay, StatEntryLifetime):
        table = model.__table__
        rows = await session.execute(select(table).where(table.c.source != "network"))
        entries += sorted(tuple(row) for row in rows)
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument(
        "--repeat-batches", type=int, default=3, help="batches sent twice (default 3)"
    )
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--database-url", default=None)
    store.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        default=None,
        metavar="URL",
        help="a scratch database on this PostgreSQL server, dropped at the end",
    )
    args = parser.parse_args()
    if not 1 <= args.batch <= 1_000:
        parser.error("--batch must be 1 to 1000 (the endpoint's limit)")
    with tempfile.TemporaryDirectory() as workdir:
        if args.postgres is not None:
            with scratch_postgres(args.postgres) as url:
                migrate(url)
                asyncio.run(run(url, args.events, args.batch, args.repeat_batches))
        else:
            url = args.database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
            migrate(url)
            asyncio.run(run(url, args.events, args.batch, args.repeat_batches))


if __name__ == "__main__":
    main()
