"""Hard enforcement on the simulated network: a network that refuses a campaign's spending
limit puts its cap in ERROR until it takes it.

A cap shared by three campaigns depleting and resuming, a daily cap renewing at the
company's midnight and an inactive cap holding its campaigns run end to end on each network
in tests/networks/e2e/test_spend_caps_on_each_network.py."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.models import AdCampaign
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery.adapter import ItemError
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.spend_caps.service import link_campaign
from tests import own_store
from tests.campaigns.payloads import abo_campaign
from tests.hierarchy.builders import ad_body, group_body, ok
from tests.spend_caps.payloads import cap_body

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

HOURLY = timedelta(hours=1)


async def live_campaign(client: httpx.AsyncClient, budget: float = 200) -> dict[str, Any]:
    campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
    group = await ok(
        await client.post(
            "/ad_groups",
            json=group_body(
                campaign["id"], budget_amount=budget, regions={"include": {"countries": ["US"]}}
            ),
        )
    )
    await ok(await client.post("/ads", json=ad_body(group["id"])))
    await ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
    return campaign


async def put_under(engine: AsyncEngine, clock: ManualClock, campaign_id: str, cap_id: str) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        campaign = await session.scalar(select(AdCampaign).where(AdCampaign.id == campaign_id))
        assert campaign is not None
        await link_campaign(session, clock, campaign, cap_id, "usd")


def worker(engine: AsyncEngine, clock: ManualClock) -> DeliveryWorker:
    # No late corrections: a correction refunds invalid traffic, which puts money back
    # under the cap.
    registry = AdapterRegistry(clock, seed=11, options={"meta": {"correction_rate": 0.0}})
    return DeliveryWorker(create_sessionmaker(engine), clock, registry, pass_interval=HOURLY)


async def read_cap(client: httpx.AsyncClient, cap_id: str) -> dict[str, Any]:
    return (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]


async def test_a_network_that_refuses_a_limit_puts_the_cap_in_error(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    cap = (await ok(await client.post("/spend_caps", json=cap_body("500000000"))))["spend_cap"]
    campaign = await live_campaign(client)
    await put_under(engine, clock, campaign["id"], cap["id"])
    run = worker(engine, clock)
    network = run.registry.adapter("meta")
    real = network.set_spending_limits

    async def refusing(limits, *, idempotency_key):  # type: ignore[no-untyped-def]
        results = await real(limits, idempotency_key=idempotency_key)
        refusal = ItemError("limit_unsupported", "this account cannot hold limits")
        return [
            dataclasses.replace(result, state="failed", effective_at=None, error=refusal)
            if result.id == campaign["id"]
            else result
            for result in results
        ]

    network.set_spending_limits = refusing  # type: ignore[method-assign]
    await run.run_once()
    errored = await read_cap(client, cap["id"])
    assert errored["status"] == "ERROR"
    assert "this account cannot hold limits" in errored["status_reason"]
    network.set_spending_limits = real  # type: ignore[method-assign]
    clock.advance(HOURLY)
    await run.run_once()
    assert (await read_cap(client, cap["id"]))["status"] == "ACTIVE"
