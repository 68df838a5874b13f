"""The delivery worker's own state: what it remembers of the objects the networks accepted.

The delivery end to end (a launched campaign spends within its daily budget, a pause stops
spend, two workers apply nothing twice, late corrections, budgets changed back, the
original version's spend) runs on each network in tests/networks/e2e."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.db import create_sessionmaker
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
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
