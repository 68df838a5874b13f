"""Hard enforcement on the simulated network: a cap shared by three campaigns depletes,
all three stop at it (never past it), raising it resumes them; a cap that is not ACTIVE
holds its campaigns, whose own status is untouched and whose delivery status says why."""

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
    # under the cap, and these tests compare spend with the amount to the micro.
    registry = AdapterRegistry(clock, seed=11, options={"meta": {"correction_rate": 0.0}})
    return DeliveryWorker(create_sessionmaker(engine), clock, registry, pass_interval=HOURLY)


async def hours(run: DeliveryWorker, clock: ManualClock, count: int) -> None:
    """Move the clock an hour at a time, with a worker pass after each."""
    for _ in range(count):
        clock.advance(HOURLY)
        await run.run_once()


async def spend_micros(client: httpx.AsyncClient, campaign_id: str) -> int:
    campaign = await ok(await client.get(f"/ad_campaigns/{campaign_id}"))
    return round(campaign["spend"] * 1_000_000)


async def read_cap(client: httpx.AsyncClient, cap_id: str) -> dict[str, Any]:
    return (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]


async def test_a_shared_cap_depletes_stops_all_three_and_resumes_when_raised(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    # $12 for the whole flight, shared by three campaigns that would spend $200 a day each.
    cap = (await ok(await client.post("/spend_caps", json=cap_body("12000000"))))["spend_cap"]
    campaigns = [await live_campaign(client) for _ in range(3)]
    for campaign in campaigns:
        await put_under(engine, clock, campaign["id"], cap["id"])
    run = worker(engine, clock)
    await run.run_once()
    for _ in range(30):
        clock.advance(HOURLY)
        await run.run_once()
        assert int((await read_cap(client, cap["id"]))["applied_ad_spending"]["amount_micro"]) <= (
            12_000_000
        )
    depleted = await read_cap(client, cap["id"])
    assert depleted["status"] == "DEPLETED", depleted
    # Hard and whole: the network bills up to each campaign's limit exactly.
    assert depleted["applied_ad_spending"]["amount_micro"] == "12000000"
    assert depleted["remaining"]["amount_micro"] == "0"
    spent = [await spend_micros(client, c["id"]) for c in campaigns]
    assert all(amount > 0 for amount in spent), spent
    assert sum(spent) == 12_000_000

    for campaign in campaigns:
        read = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
        assert read["status"] == "active"  # the campaign's own status is untouched
        assert read["delivery_status"] == "issues"
        [issue] = [i for i in read["issues"] if i["title"] == "Held by its spend cap"]
        assert cap["id"] in issue["message"] and "DEPLETED" in issue["message"]

    # Nothing more is spent while it is depleted.
    await hours(run, clock, 5)
    assert [await spend_micros(client, c["id"]) for c in campaigns] == spent

    # Raising the amount makes it ACTIVE again and all three resume, still within it.
    await ok(
        await client.patch(
            f"/spend_caps/{cap['id']}",
            json={
                "spend_cap": {
                    "updated_at": depleted["updated_at"],
                    "budget": {"amount": {"currency": "USD", "amount_micro": "24000000"}},
                }
            },
        )
    )
    assert (await read_cap(client, cap["id"]))["status"] == "ACTIVE"
    await run.run_once()
    await hours(run, clock, 30)
    resumed = [await spend_micros(client, c["id"]) for c in campaigns]
    assert all(after > before for after, before in zip(resumed, spent, strict=True)), resumed
    final = await read_cap(client, cap["id"])
    assert int(final["applied_ad_spending"]["amount_micro"]) <= 24_000_000
    assert sum(resumed) == int(final["applied_ad_spending"]["amount_micro"])
    for campaign in campaigns:
        read = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
        if final["status"] == "ACTIVE":
            assert not [i for i in read["issues"] if i["title"] == "Held by its spend cap"]


async def test_an_inactive_cap_holds_its_campaigns_until_it_is_active_again(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    cap = (await ok(await client.post("/spend_caps", json=cap_body("500000000"))))["spend_cap"]
    campaign = await live_campaign(client)
    await put_under(engine, clock, campaign["id"], cap["id"])
    run = worker(engine, clock)
    await run.run_once()
    await hours(run, clock, 4)
    cap = await read_cap(client, cap["id"])
    assert cap["status"] == "ACTIVE"
    off = await ok(
        await client.patch(
            f"/spend_caps/{cap['id']}",
            json={"spend_cap": {"updated_at": cap["updated_at"], "status": "INACTIVE"}},
        )
    )
    await run.run_once()
    await hours(run, clock, 3)  # what was in flight when it was switched off is reported
    held = await spend_micros(client, campaign["id"])
    await hours(run, clock, 6)
    assert await spend_micros(client, campaign["id"]) == held
    read = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
    assert read["status"] == "active" and read["delivery_status"] == "issues"

    await ok(
        await client.patch(
            f"/spend_caps/{cap['id']}",
            json={"spend_cap": {"updated_at": off["spend_cap"]["updated_at"], "status": "ACTIVE"}},
        )
    )
    await run.run_once()
    await hours(run, clock, 6)
    assert await spend_micros(client, campaign["id"]) > held
    read = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
    assert read["delivery_status"] == "active"


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


async def test_a_daily_cap_depletes_and_renews_at_the_companys_midnight(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    body = cap_body("5000000", period="DAILY", end=None)
    cap = (await ok(await client.post("/spend_caps", json=body)))["spend_cap"]
    campaigns = [await live_campaign(client) for _ in range(2)]
    for campaign in campaigns:
        await put_under(engine, clock, campaign["id"], cap["id"])
    run = worker(engine, clock)
    await run.run_once()
    # From 09:00 to 23:00 on the first day (UTC, the company's zone).
    await hours(run, clock, 14)
    first_day = await read_cap(client, cap["id"])
    assert first_day["status"] == "DEPLETED"
    assert first_day["applied_ad_spending"]["amount_micro"] == "5000000"
    assert first_day["current_period"]["end"] == "2026-03-03T00:00:00.000000Z"
    spent_first_day = sum([await spend_micros(client, c["id"]) for c in campaigns])
    assert spent_first_day == 5_000_000
    # Past midnight the cap renews and the campaigns spend again, the new day's $5 at most.
    await hours(run, clock, 12)
    second_day = await read_cap(client, cap["id"])
    assert second_day["current_period"]["start"] == "2026-03-03T00:00:00.000000Z"
    applied = int(second_day["applied_ad_spending"]["amount_micro"])
    assert 0 < applied <= 5_000_000
    total = sum([await spend_micros(client, c["id"]) for c in campaigns])
    assert total == spent_first_day + applied
