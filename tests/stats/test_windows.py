"""Which hours a stats window covers: [start, end) in UTC, bare dates as whole days of the
time zone (23 or 25 hours on DST days), timestamps as given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from tests.hierarchy.builders import Tree, build_tree, ok
from tests.stats.helpers import hour, store


async def one_impression_an_hour(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, first: datetime, hours: int
) -> Tree:
    tree = await build_tree(client)
    rows = [
        hour(tree.ad["id"], first + timedelta(hours=h), impressions=1, spend_micros=10_000)
        for h in range(hours)
    ]
    await store(engine, clock, rows)
    return tree


@pytest.mark.parametrize(
    ("day", "zone", "hours"),
    [
        ("2026-03-29", "Europe/Paris", 23),  # clocks go forward
        ("2026-10-25", "Europe/Paris", 25),  # clocks go back
        ("2026-03-30", "Europe/Paris", 24),
        ("2026-03-29", "UTC", 24),
        ("2026-03-29", "America/New_York", 24),
        ("2026-03-08", "America/New_York", 23),
        ("2026-03-29", "Asia/Kolkata", 24),  # +05:30: each hour counts in exactly one day
    ],
)
async def test_a_bare_date_covers_that_day_in_the_time_zone(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    day: str,
    zone: str,
    hours: int,
) -> None:
    first = datetime.fromisoformat(day).replace(tzinfo=UTC) - timedelta(days=2)
    tree = await one_impression_an_hour(client, engine, clock, first, 24 * 5)
    params = {"stats_from": day, "stats_to": day, "time_zone": zone}
    for path in (
        f"/ads/{tree.ad['id']}",
        f"/ad_groups/{tree.group['id']}",
        f"/ad_campaigns/{tree.campaign['id']}",
    ):
        body = await ok(await client.get(path, params=params))
        assert body["impressions"] == hours, path
        assert body["spend"] == hours / 100
    listed = await ok(await client.get("/ad_campaigns", params=params))
    assert listed["data"][0]["impressions"] == hours


async def test_an_hour_counts_in_the_local_day_it_starts_in(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    tree = await build_tree(client)
    # 22:00 UTC on 29 March is midnight of the 30th in Paris (summer time, +02:00).
    await store(
        engine, clock, [hour(tree.ad["id"], datetime(2026, 3, 29, 22, tzinfo=UTC), clicks=1)]
    )
    path = f"/ads/{tree.ad['id']}"

    async def clicks(day: str, zone: str) -> int:
        params = {"stats_from": day, "stats_to": day, "time_zone": zone}
        value: int = (await ok(await client.get(path, params=params)))["clicks"]
        return value

    assert (await clicks("2026-03-29", "UTC"), await clicks("2026-03-30", "UTC")) == (1, 0)
    assert (
        await clicks("2026-03-29", "Europe/Paris"),
        await clicks("2026-03-30", "Europe/Paris"),
    ) == (0, 1)


async def test_timestamps_bound_the_window_start_inclusive_end_exclusive(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    first = datetime(2026, 2, 1, tzinfo=UTC)
    tree = await one_impression_an_hour(client, engine, clock, first, 48)
    path = f"/ads/{tree.ad['id']}"
    cases = [
        ({}, 48),  # all time
        ({"stats_from": "2026-02-01T10:00:00Z", "stats_to": "2026-02-01T12:00:00Z"}, 2),
        ({"stats_from": "2026-02-01T10:00:00+01:00", "stats_to": "2026-02-01T12:00:00Z"}, 3),
        ({"stats_from": "2026-02-02T20:00:00Z"}, 4),  # until now
        ({"stats_to": "2026-02-01T05:00:00Z"}, 5),  # from the beginning
        ({"stats_from": "2026-02-01", "stats_to": "2026-02-01"}, 24),
        ({"stats_from": "2026-02-01T10:30:00Z", "stats_to": "2026-02-01T12:00:00Z"}, 1),
    ]
    for params, impressions in cases:
        body = await ok(await client.get(path, params=params))
        assert body["impressions"] == impressions, params
