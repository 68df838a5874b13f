"""A durable worker's simulated networks live in the store: a worker that dies between
simulating an hour and publishing it (or between publishing and ingesting it) loses
nothing, and its successor reports every hour exactly once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery import worker as worker_module
from adline.delivery.adapter import ReportedHour, SpendingLimit
from adline.delivery.models import SimulatedNetworkState, SimulatedNetworkWrite
from adline.delivery.registry import AdapterRegistry
from adline.delivery.simulator import SimulatedNetwork
from adline.delivery.worker import DeliveryWorker
from tests import own_store
from tests.networks.offline import offline_transports
from tests.worker.test_worker import live_campaign

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

HOUR = timedelta(hours=1)
# Each test drives a network of its own (the store is shared by the whole run).
SEEDS = iter(range(1301, 1400))


class Killed(BaseException):
    """What SIGKILL does to a worker: it stops wherever it is, nothing after runs."""


def durable(engine: AsyncEngine, clock: ManualClock, seed: int) -> DeliveryWorker:
    return DeliveryWorker(
        create_sessionmaker(engine),
        clock,
        AdapterRegistry(clock, seed=seed, options={"meta": {"correction_rate": 0.3}}),
        durable=True,
    )


def meta(run: DeliveryWorker) -> SimulatedNetwork:
    network = run.registry.adapter("meta")
    assert isinstance(network, SimulatedNetwork)
    return network


async def passes(run: DeliveryWorker, clock: ManualClock, count: int, step: timedelta) -> None:
    for _ in range(count):
        clock.advance(step)
        await run.run_once()


async def stored(engine: AsyncEngine, ad_id: str) -> dict[datetime, tuple[Any, ...]]:
    from adline.stats.models import AdStatHour

    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(select(AdStatHour).where(AdStatHour.ad_id == ad_id))
        return {
            row.hour_start: (row.revision, row.impressions, row.clicks, row.spend_micros)
            for row in rows
        }


async def reported(network: SimulatedNetwork, ad_id: str, until: datetime) -> dict[datetime, Any]:
    rows: list[ReportedHour] = await network.pull_stats(until - timedelta(days=7), until)
    return {
        row.hour_start: (row.revision, row.impressions, row.clicks, row.spend_micros)
        for row in rows
        if row.ad_id == ad_id
    }


async def test_a_crash_between_simulating_and_ingesting_an_hour_reports_it_exactly_once(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, ad = await live_campaign(client)
    seed = next(SEEDS)
    first = durable(engine, clock, seed)
    await first.run_once()
    await passes(first, clock, 6, HOUR)
    # 15:00: hour 14 is simulated but not published yet (15 minutes of reporting lag).
    assert meta(first).simulated_until == clock.now()
    clock.advance(timedelta(minutes=20))
    # 15:20: hour 14 is published and pulled, and the worker dies inside the ingest.
    real_ingest = worker_module.ingest

    async def dies(*args: Any, **kwargs: Any) -> int:
        await real_ingest(*args, **kwargs)
        raise Killed

    monkeypatch.setattr(worker_module, "ingest", dies)
    with pytest.raises(Killed):
        await first.run_once()
    monkeypatch.setattr(worker_module, "ingest", real_ingest)
    what_it_saw = await reported(meta(first), ad["id"], clock.now())
    last_hour = clock.now().replace(minute=0) - HOUR
    assert last_hour in what_it_saw and last_hour not in await stored(engine, ad["id"])

    # A new process (nothing shared but the store) at the same instant, then on.
    second = durable(engine, clock, seed)
    await second.run_once()
    assert await stored(engine, ad["id"]) == what_it_saw
    await passes(second, clock, 5, HOUR)
    # The dead worker's network, had it lived, would have reported the same hours.
    meta(first).advance_to(clock.now())
    assert await stored(engine, ad["id"]) == await reported(meta(first), ad["id"], clock.now())


async def test_a_worker_started_later_reports_the_hours_its_predecessor_left(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    _, _, ad = await live_campaign(client)
    seed = next(SEEDS)
    first = durable(engine, clock, seed)
    await first.run_once()
    await passes(first, clock, 4, HOUR)
    # At 13:00 it simulates hour 12 and dies before the next pass, so hour 12 was never
    # published to it. Its successor starts three hours later.
    clock.advance(3 * HOUR + timedelta(minutes=20))
    second = durable(engine, clock, seed)
    await second.run_once()
    rows = await stored(engine, ad["id"])
    hours = sorted(rows)
    assert hours[-1] == clock.now().replace(minute=0) - HOUR
    assert hours == [hours[0] + n * HOUR for n in range(len(hours))]  # no gap
    meta(first).advance_to(clock.now())
    assert rows == await reported(meta(first), ad["id"], clock.now())


async def test_two_durable_workers_drive_one_network(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    """Taking turns, each worker's replica first takes the other's writes: the store holds
    what one network reports, and the journal holds each write once."""
    campaign, _, ad = await live_campaign(client)
    seed = next(SEEDS)
    one, two = durable(engine, clock, seed), durable(engine, clock, seed)
    for number in range(12):
        clock.advance(timedelta(minutes=30))
        await (one if number % 2 else two).run_once()
        if number == 5:
            await client.post(f"/ad_campaigns/{campaign['id']}/pause")
        if number == 8:
            await client.post(f"/ad_campaigns/{campaign['id']}/unpause")
    clock.advance(timedelta(minutes=30))
    await one.run_once()
    third = durable(engine, clock, seed)
    await third.run_once()
    rows = await stored(engine, ad["id"])
    # A replica rebuilt from the journal reports exactly what the store holds.
    assert rows == await reported(meta(third), ad["id"], clock.now())
    assert len(rows) >= 3
    async with create_sessionmaker(engine)() as session:
        state = await session.get(SimulatedNetworkState, f"meta:{seed}")
        keys = list(
            await session.scalars(
                select(SimulatedNetworkWrite.idempotency_key).where(
                    SimulatedNetworkWrite.network_id == f"meta:{seed}"
                )
            )
        )
    assert state is not None and state.journal_length == len(keys) == len(set(keys))
    assert state.pulled_at == clock.now()


async def test_the_servers_embedded_worker_is_durable(
    database_url: str, engine: AsyncEngine, clock: ManualClock
) -> None:
    seed = next(SEEDS)
    settings = Settings(database_url=database_url, delivery_interval=3600, simulator_seed=seed)
    # Its worker serves every connection in the shared store: offline ones.
    app = create_app(settings, clock=clock, network_transports=offline_transports())
    async with app.router.lifespan_context(app):
        for _ in range(200):  # its first pass runs at start
            async with create_sessionmaker(engine)() as session:
                state = await session.get(SimulatedNetworkState, f"meta:{seed}")
            if state is not None and state.pulled_at is not None:
                break
            await asyncio.sleep(0.05)
    assert state is not None and state.pulled_at == clock.now()


async def test_a_worker_sends_its_limits_again_after_another_worker_wrote_others(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    """A worker remembers the limits a network accepted from it; once another worker wrote
    to that network, the network holds that worker's, so the memory goes."""
    campaign, _, _ = await live_campaign(client)
    seed = next(SEEDS)
    one, two = durable(engine, clock, seed), durable(engine, clock, seed)
    await one.run_once()  # no cap: the campaign's limit is none
    clock.advance(timedelta(minutes=5))
    # Another worker (one with a different picture of the caps) holds the campaign at 0.
    assert two.durable is not None
    async with create_sessionmaker(engine)() as session, session.begin():
        await two.durable.attach(session)
        await meta(two).set_spending_limits(
            [SpendingLimit(campaign["id"], 0)], idempotency_key="held by another worker"
        )
        await two.durable.record(session)
    clock.advance(timedelta(minutes=5))
    await one.run_once()  # the same limits as its first pass
    next_hour = clock.now().replace(minute=0, second=0, microsecond=0) + HOUR
    assert meta(one).spending_limit_left(campaign["id"], next_hour) is None
