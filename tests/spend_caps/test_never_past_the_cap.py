"""Property: whatever the campaigns try to spend, however late and wrong the first reports
are, however the amount moves and however many workers run at once, the cap's campaigns
never spend past it.

The network (fake_network.AdversarialNetwork) spends what each step asks as far as the
hard limits Adline gave it allow, enforces a new limit up to ten minutes late, reports an
hour up to 2.5 h late, first short (even zero) and corrected later. The campaigns join the
cap before they deliver (the network bills nothing before it holds a limit: see "Joining a
cap" in docs/spend-caps.md for the exposure of a campaign that joins while delivering).

The bound is the amount, except after the amount was lowered below what was already
committed to the campaigns: then it is what was committed at that moment
(docs/spend-caps.md, "Lowering the amount").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.models import AdCampaign
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.spend_caps.models import SpendCap
from adline.spend_caps.service import link_campaign
from tests import own_store
from tests.hierarchy.builders import launched_tree, ok
from tests.spend_caps.fake_network import AdversarialNetwork
from tests.spend_caps.payloads import cap_body

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

CAMPAIGNS = 3
TREES: dict[str, list[dict[str, Any]]] = {}


@dataclass(frozen=True)
class Step:
    minutes: int
    wants: tuple[float, ...]  # what each campaign tries to spend now, as a share of the amount
    change: str | None  # "raise", "lower", "off", "on"
    factor: float
    concurrent: bool


steps = st.builds(
    Step,
    minutes=st.integers(1, 120),
    wants=st.tuples(*[st.floats(0, 0.6)] * CAMPAIGNS),
    change=st.sampled_from((None, None, None, "raise", "lower", "off", "on")),
    factor=st.floats(0.2, 2.0),
    concurrent=st.booleans(),
)


async def _cap(client: httpx.AsyncClient, cap_id: str) -> dict[str, Any]:
    return (await ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]


async def _committed(engine: AsyncEngine, cap_id: str) -> int:
    async with create_sessionmaker(engine)() as session:
        cap = await session.get(SpendCap, cap_id)
        assert cap is not None
        return cap.granted_micros


async def _link(
    engine: AsyncEngine, clock: ManualClock, campaign_id: str, cap_id: str | None
) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        campaign = await session.scalar(select(AdCampaign).where(AdCampaign.id == campaign_id))
        assert campaign is not None
        await link_campaign(session, clock, campaign, cap_id, "usd")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    amount=st.integers(1_000_000, 30_000_000),
    plan=st.lists(steps, min_size=1, max_size=25),
    seed=st.integers(0, 2**32 - 1),
)
async def test_applied_spend_never_exceeds_the_cap(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Any,
    amount: int,
    plan: list[Step],
    seed: int,
) -> None:
    # Fixtures (and so the campaigns) are set up once for all examples.
    if tenant.company_id not in TREES:
        TREES[tenant.company_id] = [
            (await launched_tree(client)).campaign for _ in range(CAMPAIGNS)
        ]
    campaigns = TREES[tenant.company_id]
    # On the hour, so "since the cap started" means the same hours to Adline and the network.
    start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    clock.set(start)
    body = cap_body(str(amount), start=start.isoformat(), end=None)
    cap = (await ok(await client.post("/spend_caps", json=body)))["spend_cap"]
    network = AdversarialNetwork(clock, seed)
    for campaign in campaigns:
        network.ad_of[campaign["id"]] = await _ad_of(client, campaign["id"])
        await _link(engine, clock, campaign["id"], cap["id"])
    registry = AdapterRegistry(clock, {"meta": lambda _: network, "tiktok": lambda _: network})
    sessionmaker = create_sessionmaker(engine)
    workers = [DeliveryWorker(sessionmaker, clock, registry) for _ in range(2)]
    await workers[0].run_once()

    bound = amount
    current = amount

    def true_total() -> int:
        return sum(network.true_spend(c["id"], start) for c in campaigns)

    for step in plan:
        clock.advance(timedelta(minutes=step.minutes))
        for campaign, share in zip(campaigns, step.wants, strict=True):
            network.spend(campaign["id"], int(amount * share))
        change = None
        if step.change is not None:
            read = await _cap(client, cap["id"])
            changes: dict[str, Any] = {"updated_at": read["updated_at"]}
            if step.change in ("raise", "lower"):
                scale = 1 + step.factor if step.change == "raise" else step.factor / 2
                current = max(0, int(current * scale))
                changes["budget"] = {"amount": {"currency": "USD", "amount_micro": str(current)}}
            else:
                changes["status"] = "INACTIVE" if step.change == "off" else "ACTIVE"
            change = client.patch(f"/spend_caps/{cap['id']}", json={"spend_cap": changes})
        passes = [workers[0].run_once()]
        if step.concurrent:
            passes.append(workers[1].run_once())
        if change is not None:
            # The user's change races the workers.
            results = await asyncio.gather(change, *passes)
            await ok(results[0])
        else:
            await asyncio.gather(*passes)
        if step.change == "lower":
            # Read after the race: either order leaves a valid bound (see the module doc).
            bound = max(current, await _committed(engine, cap["id"]))
        else:
            bound = max(bound, current) if step.change == "raise" else bound
        applied = int((await _cap(client, cap["id"]))["applied_ad_spending"]["amount_micro"])
        assert true_total() <= bound, (true_total(), bound, step)
        assert applied <= true_total()

    # Every report final: Adline has seen exactly what was billed, and it is within bound.
    clock.advance(timedelta(hours=8))
    await workers[0].run_once()
    applied = int((await _cap(client, cap["id"]))["applied_ad_spending"]["amount_micro"])
    assert applied == true_total() <= bound
    for campaign in campaigns:
        await _link(engine, clock, campaign["id"], None)


async def _ad_of(client: httpx.AsyncClient, campaign_id: str) -> str:
    ads = await ok(await client.get("/ads", params={"ad_campaign_id": campaign_id}))
    [ad] = ads["data"]
    return str(ad["id"])
