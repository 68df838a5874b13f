"""The delivery pass as a periodic job: a runner with the process's DeliveryWorker runs one
pass per slot, however many runners tick; a runner without one leaves the pass alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery.jobs import DELIVERY_PASS, delivery_pass_job
from adline.delivery.models import SimulatedNetworkState
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.jobs.handlers import process_runner
from adline.jobs.models import SUCCEEDED, Job
from adline.jobs.runner import JobRunner
from tests import own_store

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

# Slots are named by their start.
SEED = 1777
AT = datetime(2026, 7, 1, 12, 0, 10, tzinfo=UTC)
INTERVAL = timedelta(minutes=7)


async def last_pull(engine: AsyncEngine) -> datetime | None:
    async with create_sessionmaker(engine)() as session:
        state = await session.get(SimulatedNetworkState, f"meta:{SEED}")
    return None if state is None else state.pulled_at


async def test_one_pass_per_slot_across_runners(engine: AsyncEngine) -> None:
    clock = ManualClock(AT)
    sessionmaker = create_sessionmaker(engine)

    def runner() -> JobRunner:
        worker = DeliveryWorker(
            sessionmaker, clock, AdapterRegistry(clock, seed=SEED), INTERVAL, durable=True
        )
        return process_runner(
            sessionmaker, clock, delivery_worker=worker, delivery_interval=INTERVAL
        )

    first, second = runner(), runner()
    assert await first.run_due() >= 1
    assert await last_pull(engine) == AT
    assert await second.run_due() == 0
    clock.advance(INTERVAL)
    assert await second.run_due() >= 1
    assert await first.run_due() == 0
    assert await last_pull(engine) == AT + INTERVAL
    slot = delivery_pass_job(INTERVAL).slot_start(AT)
    assert AT - INTERVAL < slot <= AT
    async with sessionmaker() as session:
        passes = list(
            await session.scalars(
                select(Job)
                .where(Job.kind == DELIVERY_PASS, Job.run_at >= slot)
                .where(Job.run_at <= AT + INTERVAL)
                .order_by(Job.run_at)
            )
        )
    assert [(job.run_at, job.status) for job in passes] == [
        (slot, SUCCEEDED),
        (slot + INTERVAL, SUCCEEDED),
    ]


async def test_a_runner_without_a_delivery_worker_leaves_the_pass_to_others(
    engine: AsyncEngine,
) -> None:
    clock = ManualClock(AT + timedelta(days=3))
    runner = process_runner(
        create_sessionmaker(engine), clock, delivery_worker=None, delivery_interval=INTERVAL
    )
    assert DELIVERY_PASS not in runner.kinds
    assert [job.kind for job in runner.periodic] == ["jobs.prune", "webhooks.prune"]
