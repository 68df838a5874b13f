"""A card-billed campaign run by the delivery worker, as a company would see it: spend is
charged to the card every threshold; a card that fails puts the campaign in
`payment_failed` and its spend stops; a working card brings it back and it spends again."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery.model import CORRECTION_MINUTES, MAX_CORRECTIONS
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.funding.processor import ATTACHES_THEN_FAILS
from tests import own_store
from tests.funding.helpers import checkout, reconciled
from tests.hierarchy.builders import ok
from tests.worker.test_worker import live_campaign

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

THRESHOLD_MICROS = 10_000_000  # $10: the $20/day campaign crosses it within a day
# By then the simulator has published every report of the hours before a stop, its late
# corrections included (each up to CORRECTION_MINUTES after the one before).
SETTLE_HOURS = MAX_CORRECTIONS * CORRECTION_MINUTES[1] // 60 + 2


async def hours(run: DeliveryWorker, clock: ManualClock, count: int) -> None:
    for _ in range(count):
        clock.advance(timedelta(hours=1))
        await run.run_once()


async def test_a_failing_card_stops_delivery_until_a_working_one_is_saved(
    poor_client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
) -> None:
    # The 0341 card attaches (so the campaign may launch) but every charge of it fails.
    await checkout(poor_client, pages, 0, card=ATTACHES_THEN_FAILS)
    campaign, _, _ = await live_campaign(poor_client)
    path = f"/ad_campaigns/{campaign['id']}"
    run = DeliveryWorker(
        create_sessionmaker(engine),
        clock,
        AdapterRegistry(clock, seed=7),
        billing_threshold_micros=THRESHOLD_MICROS,
    )
    await run.run_once()
    for _ in range(36):
        await hours(run, clock, 1)
        read = await ok(await poor_client.get(path))
        if read["status"] == "payment_failed":
            break
    assert (read["status"], read["delivery_status"]) == ("payment_failed", "payment_failed")
    assert read["spend"] >= THRESHOLD_MICROS / 1_000_000

    # Stopped: once the reports of what it spent before the stop are in, nothing more.
    await hours(run, clock, SETTLE_HOURS)
    settled = (await ok(await poor_client.get(path)))["spend"]
    await hours(run, clock, 12)
    assert (await ok(await poor_client.get(path)))["spend"] == settled

    # A working card: the campaign is active again, what it owed is charged, it spends.
    await checkout(poor_client, pages, 0)
    assert (await ok(await poor_client.get(path)))["status"] == "active"
    await hours(run, clock, 12)
    resumed = await ok(await poor_client.get(path))
    assert resumed["status"] == "active"
    assert resumed["spend"] > settled
    assert await reconciled(engine) == []
