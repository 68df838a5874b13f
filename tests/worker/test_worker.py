"""The delivery worker drives the simulated network: launched campaigns spend, stats
arrive with their lag, budgets hold per day, a pause stops spend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.db import create_sessionmaker
from adline.core.money import MICROS_PER_UNIT
from adline.delivery.registry import AdapterRegistry
from adline.delivery.simulator import SimulatedNetwork
from adline.delivery.worker import DeliveryWorker
from adline.stats.models import AdStatHour
from tests import own_store
from tests.campaigns.payloads import abo_campaign
from tests.hierarchy.builders import ad_body, group_body, ok

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine


async def live_campaign(client: httpx.AsyncClient) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
    group = await ok(
        await client.post(
            "/ad_groups",
            json=group_body(
                campaign["id"],
                budget_amount=20,
                regions={"include": {"countries": ["US"]}},
            ),
        )
    )
    ad = await ok(await client.post("/ads", json=ad_body(group["id"])))
    await ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
    return campaign, group, ad


def worker(engine: AsyncEngine, clock) -> DeliveryWorker:  # type: ignore[no-untyped-def]
    return DeliveryWorker(create_sessionmaker(engine), clock, AdapterRegistry(clock, seed=7))


async def test_a_launched_campaign_spends_within_its_daily_budget(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    campaign, group, ad = await live_campaign(client)
    run = worker(engine, clock)
    first = await run.run_once()
    assert (first.campaigns, first.ad_groups, first.ads) == (1, 1, 1)
    for _ in range(48):
        clock.advance(timedelta(hours=1))
        await run.run_once()
    read = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
    assert read["spend"] > 0
    assert read["impressions"] > 0
    assert read["clicks"] <= read["impressions"]
    spent = []
    for day in ("2026-03-02", "2026-03-03"):
        daily = await ok(
            await client.get(
                f"/ad_groups/{group['id']}", params={"stats_from": day, "stats_to": day}
            )
        )
        # The network may overrun within the last minutes it spends; Adline's allowances
        # keep each day at the $20 budget (overspend is measured in bench/, not hidden).
        assert daily["spend"] <= 20 * 1.01, (day, daily["spend"])
        spent.append(daily["spend"])
    # Day 2 (a whole day) exhausts the budget; the budget renewed at midnight, so the
    # first day's spend did not stop the second's.
    assert spent[1] >= 20 * 0.95
    assert spent[0] > 0
    ad_read = await ok(await client.get(f"/ads/{ad['id']}"))
    assert ad_read["spend"] == read["spend"]


async def test_a_paused_campaign_stops_spending(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    campaign, _, _ = await live_campaign(client)
    run = worker(engine, clock)
    clock.advance(timedelta(hours=12))
    await run.run_once()
    await ok(await client.post(f"/ad_campaigns/{campaign['id']}/pause"))
    await run.run_once()
    for _ in range(3):
        clock.advance(timedelta(hours=1))
        await run.run_once()
    settled = (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["spend"]
    for _ in range(24):
        clock.advance(timedelta(hours=1))
        await run.run_once()
    later = (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["spend"]
    assert later == settled


async def test_two_workers_apply_nothing_twice(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    campaign, _, _ = await live_campaign(client)
    one = worker(engine, clock)
    for _ in range(24):
        clock.advance(timedelta(hours=1))
        await one.run_once()
    before = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
    # A second worker against the same network re-pulls and re-ingests the same reports.
    two = DeliveryWorker(create_sessionmaker(engine), clock, one.registry)
    await two.run_once()
    await one.run_once()
    after = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
    assert (after["spend"], after["impressions"]) == (before["spend"], before["impressions"])


async def test_the_original_version_shows_todays_spend_and_what_is_left(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    campaign, _, _ = await live_campaign(client)
    run = worker(engine, clock)
    for _ in range(30):  # into the second day (UTC), past 14:00
        clock.advance(timedelta(hours=1))
        await run.run_once()
    original = await ok(
        await client.get(
            f"/ad_campaigns/{campaign['id']}", headers={"Api-Version-Date": "2025-01-01"}
        )
    )
    today = clock.now().date().isoformat()
    newest_today = await ok(
        await client.get(
            f"/ad_campaigns/{campaign['id']}", params={"stats_from": today, "stats_to": today}
        )
    )
    assert original["todays_spend"] == newest_today["spend"] > 0
    assert original["daily_budget"] == 20
    assert original["available_budget"] == max(0, round(20 - original["todays_spend"], 2))
    assert original["total_spend"] > original["todays_spend"]


async def test_late_corrections_replace_what_was_ingested(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    """The worker skips re-reported rows it already ingested, never a newer revision."""
    _, _, ad = await live_campaign(client)
    registry = AdapterRegistry(clock, seed=7, options={"meta": {"correction_rate": 0.6}})
    run = DeliveryWorker(create_sessionmaker(engine), clock, registry)
    for _ in range(30):
        clock.advance(timedelta(hours=1))
        await run.run_once()
    network = registry.adapter("meta")
    reported = {
        row.hour_start: row
        for row in await network.pull_stats(clock.now() - timedelta(hours=48), clock.now())
        if row.ad_id == ad["id"]
    }
    assert any(row.revision > 1 for row in reported.values())
    async with create_sessionmaker(engine)() as session:
        stored = {
            hour: revision
            for hour, revision in await session.execute(
                select(AdStatHour.hour_start, AdStatHour.revision).where(
                    AdStatHour.ad_id == ad["id"]
                )
            )
        }
    assert {hour: row.revision for hour, row in reported.items()} == stored
    read = await ok(await client.get(f"/ads/{ad['id']}"))
    assert read["spend"] * 1_000_000 == pytest.approx(
        sum(row.spend_micros for row in reported.values()), abs=5_000
    )


async def test_the_worker_forgets_objects_no_longer_launched(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    """Its memory of what the networks accepted is the size of what is live: a long-running
    worker does not keep every object it ever described."""
    kept, kept_group, kept_ad = await live_campaign(client)
    deleted, deleted_group, deleted_ad = await live_campaign(client)
    run = worker(engine, clock)
    await run.run_once()
    remembered = {kept["id"], kept_group["id"], kept_ad["id"]}
    forgotten = {deleted["id"], deleted_group["id"], deleted_ad["id"]}
    assert remembered | forgotten <= set(run._synced)
    await ok(await client.delete(f"/ad_campaigns/{deleted['id']}"))
    clock.advance(timedelta(minutes=5))
    await run.run_once()
    assert remembered <= set(run._synced)
    assert not forgotten & set(run._synced)


async def test_a_budget_changed_and_changed_back_within_a_day_holds_the_first_amount(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    """$20, then $30, then $20 again, all just after midnight: the day spends $20. (Keyed by
    the amounts alone, the second $20 looked like a retry of the first and $30 stayed.)"""
    _, group, _ = await live_campaign(client)
    run = worker(engine, clock)
    await run.run_once()
    clock.set(datetime(2026, 3, 3, 0, 5, tzinfo=UTC))
    await run.run_once()
    for amount in (30, 20):
        clock.advance(timedelta(minutes=5))
        await ok(await client.patch(f"/ad_groups/{group['id']}", json={"budget_amount": amount}))
        await run.run_once()
    network = run.registry.adapter("meta")
    assert isinstance(network, SimulatedNetwork)
    assert (
        network.allowance_in_force(group["id"], clock.now() + timedelta(minutes=1))
        == 20 * MICROS_PER_UNIT
    )
    for _ in range(24):
        clock.advance(timedelta(hours=1))
        await run.run_once()
    day = {"stats_from": "2026-03-03", "stats_to": "2026-03-03"}
    spent = (await ok(await client.get(f"/ad_groups/{group['id']}", params=day)))["spend"]
    assert 20 * 0.95 <= spent <= 20 * 1.01
