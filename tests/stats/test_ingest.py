"""Ingestion is idempotent: re-deliveries change nothing, corrections replace, late
older revisions are ignored, in any order, batching and concurrency."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.metrics.formulas import StatTotals
from adline.metrics.window import StatsWindow
from adline.stats.models import AdStatHour
from adline.stats.service import HourStats, ingest
from tests.hierarchy.builders import ad_body, build_tree, ok
from tests.stats.helpers import hour, read_totals, store

BASE = datetime(2025, 1, 1, tzinfo=UTC)
# Each hypothesis example writes hours of its own day, so examples never meet.
DAYS = itertools.count()
ADS: dict[str, list[str]] = {}

counts = st.integers(min_value=0, max_value=10**6)
report = st.fixed_dictionaries(
    {
        "impressions": counts,
        "reach": counts,
        "clicks": counts,
        "unique_clicks": counts,
        "link_clicks": counts,
        "spend_micros": st.integers(min_value=0, max_value=10**13),
        "event_counts": st.dictionaries(st.sampled_from(["purchase", "lead"]), counts),
        "event_value_micros": st.dictionaries(
            st.sampled_from(["purchase", "lead"]), st.integers(0, 10**12)
        ),
        "custom_event_counts": st.dictionaries(st.sampled_from(["quiz done", "x"]), counts),
        "custom_event_value_micros": st.dictionaries(
            st.sampled_from(["quiz done", 'say "hi"']), st.integers(0, 10**12)
        ),
        "custom_conversions": counts,
    }
)


def exact_window(start: datetime) -> StatsWindow:
    return StatsWindow(start, start + timedelta(hours=1), "UTC", "last_touch")


def as_totals(values: dict[str, Any]) -> StatTotals:
    return StatTotals(**values)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[dict[tuple[int, int], dict[int, Any]], list[list[Any]]]:
    """Per (ad, hour): some revisions, each with its content; then every delivery (each
    revision at least once, some twice) in a random order, cut into random batches."""
    versions: dict[tuple[int, int], dict[int, Any]] = {}
    for key in itertools.product(range(2), range(3)):
        revisions = draw(st.sets(st.integers(0, 5), max_size=3))
        versions[key] = {revision: draw(report) for revision in revisions}
    sent = [(key, revision) for key, revs in versions.items() for revision in revs]
    sent += draw(st.lists(st.sampled_from(sent), max_size=6)) if sent else []
    order = draw(st.permutations(sent))
    cuts = sorted(draw(st.sets(st.integers(0, len(order)), max_size=3)))
    batches = [list(order[a:b]) for a, b in itertools.pairwise([0, *cuts, len(order)])]
    return versions, [batch for batch in batches if batch]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=deliveries())
async def test_stored_hours_are_the_last_revision_whatever_the_delivery_order(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Any,
    plan: tuple[dict[tuple[int, int], dict[int, Any]], list[list[Any]]],
) -> None:
    versions, batches = plan
    # Fixtures are set up once for all examples: the ads too.
    if tenant.company_id not in ADS:
        tree = await build_tree(client)
        second = await ok(await client.post("/ads", json=ad_body(tree.group["id"])))
        ADS[tenant.company_id] = [tree.ad["id"], second["id"]]
    ads = ADS[tenant.company_id]
    day = BASE + timedelta(days=next(DAYS))

    for batch in batches:
        rows = [
            hour(ads[ad], day + timedelta(hours=h), revision, **versions[(ad, h)][revision])
            for (ad, h), revision in batch
        ]
        await store(engine, clock, rows)
        clock.advance(timedelta(seconds=1))

    for (ad, h), revisions in versions.items():
        start = day + timedelta(hours=h)
        stored = (await read_totals(engine, "ad", [ads[ad]], exact_window(start)))[ads[ad]]
        expected = as_totals(revisions[max(revisions)]) if revisions else StatTotals()
        assert stored == expected, ((ad, h), revisions)


async def test_a_redelivery_changes_nothing_and_a_correction_replaces(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    tree = await build_tree(client)
    ad = tree.ad["id"]
    first = hour(ad, BASE, 1, impressions=100, spend_micros=5, event_counts={"purchase": 2})
    assert await store(engine, clock, [first]) == 1
    assert await store(engine, clock, [first]) == 0
    # The same revision with other figures is still a re-delivery: the first one stays.
    assert await store(engine, clock, [replace(first, impressions=1)]) == 0
    correction = hour(ad, BASE, 2, impressions=80, event_counts={"lead": 1})
    assert await store(engine, clock, [correction]) == 1
    assert await store(engine, clock, [first]) == 0  # late and older: ignored
    stored = (await read_totals(engine, "ad", [ad]))[ad]
    assert stored == StatTotals(impressions=80, event_counts={"lead": 1})


async def test_a_stored_hour_reads_back_as_ingested(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    """The row's values as the ORM reads them: the hour and the arrival time as aware UTC
    datetimes, the maps as written (SQLite's rows go through the driver's own loop)."""
    tree = await build_tree(client)
    ad = tree.ad["id"]
    row = hour(
        ad,
        BASE + timedelta(hours=5),
        3,
        impressions=7,
        spend_micros=1_250_000,
        event_counts={"purchase": 2},
        custom_event_value_micros={'say "hi"': 10},
    )
    assert await store(engine, clock, [row]) == 1
    async with create_sessionmaker(engine)() as session:
        stored = await session.get(AdStatHour, (ad, BASE + timedelta(hours=5)))
    assert stored is not None
    assert (stored.hour_start, stored.revision) == (BASE + timedelta(hours=5), 3)
    assert stored.reported_at == clock.now()
    assert stored.hour_start.tzinfo is not None
    assert (stored.impressions, stored.spend_micros) == (7, 1_250_000)
    assert stored.event_counts == {"purchase": 2}
    assert stored.custom_event_value_micros == {'say "hi"': 10}
    assert stored.event_value_micros == {}
    # The key matches the stored row: the same hour again is a re-delivery, not a new row.
    assert await store(engine, clock, [row]) == 0


async def test_in_one_batch_the_highest_revision_wins(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    tree = await build_tree(client)
    ad = tree.ad["id"]
    rows = [hour(ad, BASE, 3, clicks=3), hour(ad, BASE, 5, clicks=5), hour(ad, BASE, 4, clicks=4)]
    assert await store(engine, clock, rows) == 1
    assert (await read_totals(engine, "ad", [ad]))[ad].clicks == 5


async def test_unknown_and_foreign_ads_are_skipped(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Any,
) -> None:
    mine = await build_tree(client)
    theirs = await build_tree(other_client)
    rows = [
        hour(mine.ad["id"], BASE, clicks=1),
        hour(theirs.ad["id"], BASE, clicks=7),
        hour("ad_doesnotexist00", BASE, clicks=9),
    ]
    # An adapter working for one company writes only that company's ads.
    assert await store(engine, clock, rows, company_id=tenant.company_id) == 1
    assert (await read_totals(engine, "ad", [theirs.ad["id"]]))[theirs.ad["id"]].clicks == 0
    # Without a company, each row goes to its own ad's company; unknown ads are skipped.
    assert await store(engine, clock, rows) == 1
    assert (await read_totals(engine, "ad", [theirs.ad["id"]]))[theirs.ad["id"]].clicks == 7
    assert (await ok(await client.get(f"/ads/{mine.ad['id']}")))["clicks"] == 1
    assert (await ok(await other_client.get(f"/ads/{theirs.ad['id']}")))["clicks"] == 7


@pytest.mark.parametrize(
    "row",
    [
        HourStats(ad_id="ad_x", hour_start=BASE.replace(tzinfo=None), revision=1),
        HourStats(ad_id="ad_x", hour_start=BASE + timedelta(minutes=30), revision=1),
    ],
)
async def test_hours_must_be_aware_and_on_the_hour(
    engine: AsyncEngine, clock: ManualClock, row: HourStats
) -> None:
    with pytest.raises(ValueError, match="hour_start"):
        await store(engine, clock, [row])


async def test_malformed_counts_are_refused(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    tree = await build_tree(client)
    for bad in ({"clicks": -1}, {"impressions": True}, {"event_counts": {"purchase": 1.5}}):
        with pytest.raises(ValueError):
            await store(engine, clock, [hour(tree.ad["id"], BASE, **bad)])


async def test_concurrent_ingests_keep_the_highest_revision(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    tree = await build_tree(client)
    ad = tree.ad["id"]
    hours = [BASE + timedelta(hours=h) for h in range(20)]
    await store(engine, clock, [hour(ad, h, 1, clicks=1) for h in hours])

    async def worker(revision: int, order: list[datetime]) -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            await ingest(session, clock, [hour(ad, h, revision, clicks=revision) for h in order])

    # Two workers deliver overlapping corrections at once, in opposite orders.
    await asyncio.gather(worker(2, hours), worker(3, hours[::-1]), worker(2, hours))
    stored = (await read_totals(engine, "ad", [ad]))[ad]
    assert stored.clicks == 3 * len(hours)
