"""The runner: runs due jobs, reschedules on RetryLater, retries failures with backoff up
to max_attempts, takes over expired leases, fences late outcomes, and runs each periodic
slot once across runners."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.ids import random_base62
from adline.jobs import service
from adline.jobs.models import FAILED, QUEUED, RUNNING, SUCCEEDED, Job
from adline.jobs.registry import JobContext, LeaseLost, RetryLater
from adline.jobs.runner import BACKOFF_BASE, JobRunner, PeriodicJob, backoff
from tests.jobs.conftest import Handlers

LEASE = timedelta(seconds=60)


async def jobs_of(sessionmaker: async_sessionmaker[AsyncSession], kind: str) -> list[Job]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(select(Job).where(Job.kind == kind).order_by(Job.run_at, Job.id))
        )


async def enqueue(
    sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, kind: str, **payload: Any
) -> None:
    async with sessionmaker() as session, session.begin():
        await service.enqueue(session, clock, kind, payload)


class TestRun:
    async def test_a_due_job_runs_once_and_succeeds(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        seen: list[tuple[JobContext, dict[str, Any]]] = []

        async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
            seen.append((ctx, payload))

        kind = handlers.register(record)
        runner = JobRunner(sessionmaker, clock, kinds={kind}, services={"thing": 42})
        await enqueue(sessionmaker, clock, kind, n=1)
        async with sessionmaker() as session, session.begin():
            await service.enqueue(session, clock, kind, {"n": 2}, run_at=clock.now() + LEASE)
        assert await runner.run_due() == 1
        assert await runner.run_due() == 0
        [(ctx, payload)] = seen
        assert payload == {"n": 1}
        assert (ctx.kind, ctx.attempt, ctx.worker_id) == (kind, 1, runner.worker_id)
        assert ctx.services["thing"] == 42
        done, later = await jobs_of(sessionmaker, kind)
        assert (done.status, done.attempts, done.finished_at) == (SUCCEEDED, 1, clock.now())
        assert done.id == ctx.job_id and done.lease_owner is None
        assert later.status == QUEUED
        clock.advance(LEASE)
        assert await runner.run_due() == 1
        assert [payload["n"] for _, payload in seen] == [1, 2]

    async def test_a_job_of_a_kind_without_a_handler_is_left_alone(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        await enqueue(sessionmaker, clock, "test.nobody.handles.this")
        # A runner claims only the kinds it has handlers for.
        assert (
            await JobRunner(sessionmaker, clock, kinds={"test.nobody.handles.this"}).run_due() == 0
        )
        [job] = await jobs_of(sessionmaker, "test.nobody.handles.this")
        assert job.status == QUEUED and job.attempts == 0

    async def test_retry_later_queues_the_job_again_after_its_delay(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        attempts: list[int] = []

        async def busy_once(ctx: JobContext, payload: dict[str, Any]) -> None:
            attempts.append(ctx.attempt)
            if ctx.attempt == 1:
                raise RetryLater(timedelta(minutes=5), "receiver busy")

        kind = handlers.register(busy_once)
        runner = JobRunner(sessionmaker, clock, kinds={kind})
        await enqueue(sessionmaker, clock, kind)
        assert await runner.run_due() == 1
        [job] = await jobs_of(sessionmaker, kind)
        assert job.status == QUEUED
        assert job.run_at == clock.now() + timedelta(minutes=5)
        assert job.last_error is not None and "receiver busy" in job.last_error
        clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
        assert await runner.run_due() == 0
        clock.advance(timedelta(seconds=1))
        assert await runner.run_due() == 1
        [job] = await jobs_of(sessionmaker, kind)
        assert job.status == SUCCEEDED and job.attempts == 2
        assert attempts == [1, 2]

    async def test_a_failing_job_backs_off_then_fails_at_max_attempts(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        async def broken(ctx: JobContext, payload: dict[str, Any]) -> None:
            raise ValueError(f"boom on attempt {ctx.attempt}")

        kind = handlers.register(broken, max_attempts=3)
        runner = JobRunner(sessionmaker, clock, kinds={kind}, rng=random.Random(5))
        expected = random.Random(5)
        await enqueue(sessionmaker, clock, kind)
        for attempt in (1, 2):
            assert await runner.run_due() == 1
            [job] = await jobs_of(sessionmaker, kind)
            wait = backoff(attempt, expected)
            assert job.status == QUEUED
            assert job.run_at == clock.now() + wait
            # Doubling, with jitter between half and all of it.
            assert (
                BACKOFF_BASE * 2 ** (attempt - 1) / 2 <= wait <= BACKOFF_BASE * 2 ** (attempt - 1)
            )
            assert job.last_error is not None
            assert f"ValueError: boom on attempt {attempt}" in job.last_error
            assert await runner.run_due() == 0
            clock.set(job.run_at)
        assert await runner.run_due() == 1
        [job] = await jobs_of(sessionmaker, kind)
        assert (job.status, job.attempts, job.finished_at) == (FAILED, 3, clock.now())
        assert job.last_error is not None and "boom on attempt 3" in job.last_error
        clock.advance(timedelta(days=1))
        assert await runner.run_due() == 0

    def test_backoff_is_capped(self) -> None:
        assert backoff(200, random.Random(1)) <= timedelta(hours=1)


class TestLeases:
    async def test_a_crashed_workers_job_is_run_again_after_its_lease(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        runs: list[int] = []

        async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
            runs.append(ctx.attempt)

        kind = handlers.register(record)
        await enqueue(sessionmaker, clock, kind)
        # A worker claims the job, then dies without a word.
        async with sessionmaker() as session, session.begin():
            [crashed] = await service.claim(session, clock, "crashed", {kind}, lease=LEASE, limit=1)
        runner = JobRunner(sessionmaker, clock, kinds={kind}, lease=LEASE)
        assert await runner.run_due() == 0
        clock.advance(LEASE + timedelta(seconds=1))
        assert await runner.run_due() == 1
        assert runs == [2]
        async with sessionmaker() as session, session.begin():
            assert not await service.mark_failed(
                session, clock, crashed.id, "crashed", crashed.attempt, "late"
            )
        [job] = await jobs_of(sessionmaker, kind)
        assert job.status == SUCCEEDED and job.last_error is None

    async def test_a_handler_completing_in_its_own_transaction_rolls_back_if_its_lease_was_lost(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        follow_up = f"test.follow-up.{random_base62(8)}"

        async def write_then_complete(ctx: JobContext, payload: dict[str, Any]) -> None:
            async with ctx.sessionmaker() as session, session.begin():
                # The handler's effect (here another job), in the completion's transaction.
                await service.enqueue(session, ctx.clock, follow_up, {"from": ctx.job_id})
                await ctx.complete(session)

        kind = handlers.register(write_then_complete)
        await enqueue(sessionmaker, clock, kind)
        async with sessionmaker() as session, session.begin():
            [stale] = await service.claim(session, clock, "slow", {kind}, lease=LEASE, limit=1)
        clock.advance(LEASE + timedelta(seconds=1))
        runner = JobRunner(sessionmaker, clock, kinds={kind}, lease=LEASE)
        assert await runner.run_due() == 1
        assert [job.payload for job in await jobs_of(sessionmaker, follow_up)] == [
            {"from": stale.id}
        ]
        # The slow worker wakes up and runs its (stale) attempt: its writes roll back.
        slow = JobContext(
            job_id=stale.id,
            kind=kind,
            attempt=stale.attempt,
            sessionmaker=sessionmaker,
            clock=clock,
            worker_id="slow",
        )
        try:
            await write_then_complete(slow, {})
        except LeaseLost:
            pass
        else:
            raise AssertionError("a lost lease must refuse the completion")
        assert len(await jobs_of(sessionmaker, follow_up)) == 1
        [job] = await jobs_of(sessionmaker, kind)
        assert job.status == SUCCEEDED and job.attempts == 2

    @pytest.mark.parametrize("undone_by", ["rollback", "savepoint"])
    async def test_a_completion_the_handler_rolled_back_is_left_to_the_runner(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        handlers: Handlers,
        undone_by: str,
    ) -> None:
        # The runner skips its own completion only when the handler's was committed: one
        # that was rolled back (the transaction, or the savepoint it ran in) does not count.
        async def complete_then_undo(ctx: JobContext, payload: dict[str, Any]) -> None:
            async with ctx.sessionmaker() as session:
                if undone_by == "rollback":
                    await session.begin()
                    await ctx.complete(session)
                    await session.rollback()
                    return
                async with session.begin():
                    savepoint = await session.begin_nested()
                    await ctx.complete(session)
                    await savepoint.rollback()

        kind = handlers.register(complete_then_undo)
        await enqueue(sessionmaker, clock, kind)
        assert await JobRunner(sessionmaker, clock, kinds={kind}).run_due() == 1
        [job] = await jobs_of(sessionmaker, kind)
        assert (job.status, job.attempts, job.lease_owner) == (SUCCEEDED, 1, None)

    async def test_the_heartbeat_stops_a_handler_whose_lease_was_taken_over(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        started = asyncio.Event()
        cancelled = asyncio.Event()

        async def hang(ctx: JobContext, payload: dict[str, Any]) -> None:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

        kind = handlers.register(hang)
        await enqueue(sessionmaker, clock, kind)
        # A short lease: the heartbeat checks every third of it.
        runner = JobRunner(sessionmaker, clock, kinds={kind}, lease=timedelta(milliseconds=30))
        running = asyncio.create_task(runner.run_due())
        await started.wait()
        clock.advance(timedelta(seconds=1))
        async with sessionmaker() as session, session.begin():
            [taken] = await service.claim(session, clock, "other", {kind}, lease=LEASE, limit=1)
        assert await running == 1
        assert cancelled.is_set()
        [job] = await jobs_of(sessionmaker, kind)
        assert (job.status, job.lease_owner, job.attempts) == (RUNNING, "other", taken.attempt)


class TestRunForever:
    async def test_it_runs_new_jobs_and_hands_back_a_running_one_when_stopped(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        started: asyncio.Queue[str] = asyncio.Queue()

        async def hang_on_second(ctx: JobContext, payload: dict[str, Any]) -> None:
            await started.put(payload["name"])
            if payload["name"] == "second":
                await asyncio.Event().wait()

        kind = handlers.register(hang_on_second)
        runner = JobRunner(
            sessionmaker, clock, kinds={kind}, poll_interval=timedelta(milliseconds=5)
        )
        task = asyncio.create_task(runner.run_forever())
        try:
            await enqueue(sessionmaker, clock, kind, name="first")
            assert await started.get() == "first"
            # Its outcome is recorded after the handler returns: wait for it, so that the
            # stop below finds only the second job running.
            for _ in range(6000):
                if [job.status for job in await jobs_of(sessionmaker, kind)] == [SUCCEEDED]:
                    break
                await asyncio.sleep(0.005)
            await enqueue(sessionmaker, clock, kind, name="second")
            assert await started.get() == "second"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        first, second = sorted(
            await jobs_of(sessionmaker, kind), key=lambda job: job.payload["name"]
        )
        assert first.status == SUCCEEDED
        # Handed back, due at once, for another runner to take without waiting for the lease.
        assert (second.status, second.run_at, second.lease_owner) == (QUEUED, clock.now(), None)
        assert second.last_error == "runner stopped during the run"

    async def test_on_postgresql_an_enqueued_job_wakes_an_idle_runner(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        handlers: Handlers,
    ) -> None:
        runner, kind, ran = idle_listening_runner(engine, sessionmaker, clock, handlers)
        task = asyncio.create_task(runner.run_forever())
        try:
            # Once the runner listens and is idle again after the claim it makes when
            # listening starts (a job enqueued before would be claimed by it or by the first
            # poll, proving nothing).
            await asyncio.wait_for(runner.listening.wait(), timeout=30)
            await asyncio.sleep(0.5)
            await enqueue(sessionmaker, clock, kind)
            await asyncio.wait_for(ran.wait(), timeout=30)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def test_on_postgresql_a_job_announced_before_the_runner_listens_is_claimed_when_it_does(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        handlers: Handlers,
    ) -> None:
        """The announcement of a job enqueued while the runner is not listening (before it
        first listens, or while its listening connection is lost) reaches no one; the
        runner claims when it listens again instead of waiting for its next poll."""
        runner, kind, ran = idle_listening_runner(engine, sessionmaker, clock, handlers)
        # What `run_forever` runs side by side, the claims first and the listening later.
        claims = asyncio.create_task(runner._drain(stop_when_idle=False))
        listener: asyncio.Task[None] | None = None
        try:
            await asyncio.sleep(0.5)  # the first poll found nothing; idle for an hour
            await enqueue(sessionmaker, clock, kind)
            await asyncio.sleep(0.5)
            assert not ran.is_set()  # announced, but to no one
            listener = asyncio.create_task(runner._listen(engine))
            await asyncio.wait_for(ran.wait(), timeout=30)
        finally:
            for task in (claims, listener):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task


def idle_listening_runner(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: ManualClock,
    handlers: Handlers,
) -> tuple[JobRunner, str, asyncio.Event]:
    """PostgreSQL only: a runner of one new kind whose jobs set the event, polling every hour
    (no test waits for it: only an announcement, or listening starting, makes it claim)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite runners poll")
    ran = asyncio.Event()

    async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
        ran.set()

    kind = handlers.register(record)
    runner = JobRunner(sessionmaker, clock, kinds={kind}, poll_interval=timedelta(hours=1))
    return runner, kind, ran


class TestPeriodic:
    async def test_each_slot_runs_once_across_runners(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: ManualClock, handlers: Handlers
    ) -> None:
        runs: list[tuple[str, str]] = []

        async def tick(ctx: JobContext, payload: dict[str, Any]) -> None:
            runs.append((ctx.worker_id, payload["what"]))

        kind = handlers.register(tick)
        every = PeriodicJob(kind, every=timedelta(minutes=1), payload={"what": "tick"})
        first = JobRunner(sessionmaker, clock, kinds={kind}, periodic=[every], worker_id="a")
        second = JobRunner(sessionmaker, clock, kinds={kind}, periodic=[every], worker_id="b")
        clock.advance(timedelta(seconds=10))
        assert await first.run_due() + await second.run_due() == 1
        clock.advance(timedelta(seconds=40))  # same slot
        assert await second.run_due() + await first.run_due() == 0
        clock.advance(timedelta(seconds=10))  # the next one
        assert await second.run_due() + await first.run_due() == 1
        assert [what for _, what in runs] == ["tick", "tick"]
        jobs = await jobs_of(sessionmaker, kind)
        assert [job.dedupe_key for job in jobs] == [
            f"{kind}/60s@2026-03-02T09:00:00+00:00",
            f"{kind}/60s@2026-03-02T09:01:00+00:00",
        ]
        assert [job.run_at for job in jobs] == [
            every.slot_start(clock.now()) - timedelta(minutes=1),
            every.slot_start(clock.now()),
        ]


class TestConcurrentWorkers:
    async def test_two_workers_never_run_one_job_twice(
        self,
        database_url: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: ManualClock,
        handlers: Handlers,
    ) -> None:
        ran: list[tuple[str, str]] = []
        jitter = random.Random(3)

        async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
            ran.append((ctx.job_id, ctx.worker_id))
            await asyncio.sleep(jitter.uniform(0, 0.002))

        kind = handlers.register(record)
        async with sessionmaker() as session, session.begin():
            for n in range(300):
                await service.enqueue(session, clock, kind, {"n": n})
        # Engines of their own: separate connection pools, as two processes would have.
        engines = [create_engine(database_url), create_engine(database_url)]
        try:
            runners = [
                JobRunner(
                    create_sessionmaker(engine),
                    clock,
                    kinds={kind},
                    worker_id=name,
                    concurrency=8,
                )
                for engine, name in zip(engines, ("one", "two"), strict=True)
            ]
            counts = await asyncio.gather(*(runner.run_due() for runner in runners))
        finally:
            for engine in engines:
                await engine.dispose()
        jobs = await jobs_of(sessionmaker, kind)
        assert len(jobs) == 300
        assert Counter(job_id for job_id, _ in ran) == {job.id: 1 for job in jobs}
        assert sum(counts) == 300
        assert all(count > 0 for count in counts), counts
        assert Counter(worker for _, worker in ran) == {"one": counts[0], "two": counts[1]}
        assert {(job.status, job.attempts) for job in jobs} == {(SUCCEEDED, 1)}
