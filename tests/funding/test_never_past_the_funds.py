"""Property: whatever the campaigns try to spend, however late and wrong the first reports
are, whenever credits arrive and however many workers run at once, a campaign of a
company without a card never spends more than the money put into it, and the ledger
always balances (docs/funding.md#enforcement).

The network (tests/spend_caps/fake_network.AdversarialNetwork) spends what each step asks
as far as the hard limit Adline gave it allows, enforces a new limit up to ten minutes
late, and reports each hour up to 2.5 h late, first short (even zero), corrected later.

With a daily spend cap over both campaigns too, each new day's cap period starts after
the campaigns' funds did, and the spend of the hours before midnight is still being
reported when it starts: the funds must hold regardless, and so must the cap.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.funding import ledger
from adline.funding.enforcement import campaign_funds
from adline.funding.service import grant_balance
from tests import own_store
from tests.conftest import Tenant
from tests.funding.helpers import reconciled
from tests.hierarchy.builders import build_tree, ok
from tests.spend_caps.fake_network import AdversarialNetwork
from tests.spend_caps.payloads import cap_body

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

CAMPAIGNS = 2
FUNDED: set[str] = set()


@dataclass(frozen=True)
class Step:
    minutes: int
    wants: tuple[int, ...]  # micros each campaign tries to spend now
    credit: tuple[int, int] | None  # (campaign index, cents) added during the step
    concurrent: bool


steps = st.builds(
    Step,
    minutes=st.integers(1, 120),
    wants=st.tuples(*[st.integers(0, 8_000_000)] * CAMPAIGNS),
    credit=st.one_of(st.none(), st.tuples(st.integers(0, CAMPAIGNS - 1), st.integers(1, 900))),
    concurrent=st.booleans(),
)


async def _credit(client: httpx.AsyncClient, campaign_id: str, cents: int) -> None:
    await ok(
        await client.post(f"/ad_campaigns/{campaign_id}/credits", json={"amount": cents / 100})
    )


SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIRST_CENTS = st.tuples(*[st.integers(1, 1500)] * CAMPAIGNS)
PLAN = st.lists(steps, min_size=1, max_size=20)
SEED = st.integers(0, 2**32 - 1)


@SETTINGS
@given(first_cents=FIRST_CENTS, plan=PLAN, seed=SEED)
async def test_spend_never_exceeds_the_funds(
    poor_client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    poor: Tenant,
    first_cents: tuple[int, ...],
    plan: list[Step],
    seed: int,
) -> None:
    await _run(poor_client, engine, clock, poor, first_cents, plan, seed, daily_cap=None)


@SETTINGS
@given(
    first_cents=FIRST_CENTS,
    plan=PLAN,
    seed=SEED,
    # Mostly above the funds (the funds bind at midnight), sometimes below (the cap binds).
    daily_cap=st.one_of(st.integers(20_000_000, 100_000_000), st.integers(500_000, 5_000_000)),
    start_hour=st.integers(14, 23),
)
async def test_spend_under_a_daily_cap_never_exceeds_the_funds(
    poor_client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    poor: Tenant,
    first_cents: tuple[int, ...],
    plan: list[Step],
    seed: int,
    daily_cap: int,
    start_hour: int,
) -> None:
    # Late in a UTC day, so most plans cross midnight: a cap period starting after the
    # campaigns were funded, with the evening's reports still arriving.
    day = clock.now().date() + timedelta(days=1)
    clock.set(datetime.combine(day, time(start_hour - 1), UTC))
    await _run(poor_client, engine, clock, poor, first_cents, plan, seed, daily_cap=daily_cap)


async def _run(
    poor_client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    poor: Tenant,
    first_cents: tuple[int, ...],
    plan: list[Step],
    seed: int,
    daily_cap: int | None,
) -> None:
    if poor.company_id not in FUNDED:
        async with create_sessionmaker(engine)() as session, session.begin():
            await grant_balance(
                session, clock, poor.company_id, 10**12, f"test:{poor.company_id}", "test"
            )
        FUNDED.add(poor.company_id)
    clock.set(clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
    network = AdversarialNetwork(clock, seed)
    cap_id = None
    if daily_cap is not None:
        body = cap_body(str(daily_cap), period="DAILY", start=clock.now().isoformat(), end=None)
        cap_id = (await ok(await poor_client.post("/spend_caps", json=body)))["spend_cap"]["id"]
    campaigns: list[dict[str, Any]] = []
    credited: dict[str, int] = {}
    for cents in first_cents:
        tree = await build_tree(poor_client)
        campaign_id = tree.campaign["id"]
        await _credit(poor_client, campaign_id, cents)
        if cap_id is not None:
            await ok(
                await poor_client.patch(
                    f"/ad_campaigns/{campaign_id}", json={"spend_cap_id": cap_id}
                )
            )
        await ok(await poor_client.patch(f"/ad_campaigns/{campaign_id}", json={"status": "active"}))
        network.ad_of[campaign_id] = tree.ad["id"]
        campaigns.append(tree.campaign)
        credited[campaign_id] = cents * 10_000
    start = clock.now() - timedelta(hours=1)
    registry = AdapterRegistry(clock, {"meta": lambda _: network, "tiktok": lambda _: network})
    sessionmaker = create_sessionmaker(engine)
    workers = [DeliveryWorker(sessionmaker, clock, registry) for _ in range(2)]
    await workers[0].run_once()

    def billed_by_day() -> dict[date, int]:
        days: dict[date, int] = {}
        for campaign in campaigns:
            for at, micros in network.billed[campaign["id"]]:
                days[at.date()] = days.get(at.date(), 0) + micros
        return days

    for step in plan:
        clock.advance(timedelta(minutes=step.minutes))
        for campaign, wanted in zip(campaigns, step.wants, strict=True):
            network.spend(campaign["id"], wanted)
        work = [workers[0].run_once()]
        if step.concurrent:
            work.append(workers[1].run_once())
        if step.credit is not None:
            index, cents = step.credit
            campaign_id = campaigns[index]["id"]
            credited[campaign_id] += cents * 10_000
            # The credit races the workers.
            work.append(_credit(poor_client, campaign_id, cents))
        await asyncio.gather(*work)
        for campaign in campaigns:
            spent = network.true_spend(campaign["id"], start)
            assert spent <= credited[campaign["id"]], (spent, credited, step)
        if daily_cap is not None:
            # The company's days are UTC days (its time zone).
            assert max(billed_by_day().values(), default=0) <= daily_cap, billed_by_day()

    # Every report final: the ledger holds exactly what was billed, within the funds.
    clock.advance(timedelta(hours=8))
    await workers[0].run_once()
    ids = [campaign["id"] for campaign in campaigns]
    async with create_sessionmaker(engine)() as session:
        funds = await campaign_funds(session, ids)
        accounts = [funds[campaign_id].account_id for campaign_id in ids]
        spent = await ledger.kind_sums(session, [a for a in accounts if a], ["spend"])
    for campaign_id in ids:
        account = funds[campaign_id].account_id
        assert account is not None
        assert -spent[account] == network.true_spend(campaign_id, start)
        assert funds[campaign_id].total_credits_micros == credited[campaign_id]
        # Never below zero: credits less spend, nothing overspent.
        assert credited[campaign_id] + spent[account] >= 0
    assert await reconciled(engine, poor.company_id) == []
    for campaign_id in ids:
        await ok(await poor_client.delete(f"/ad_campaigns/{campaign_id}"))
