"""The job runner: claims due jobs under a lease, runs their handlers, and records each
outcome fenced on that lease (docs/jobs.md).

A handler whose database effect must happen exactly once writes it and the job's
completion in one transaction, so that a run whose lease was taken over rolls back instead:

    @job_handler("webhooks.deliver")
    async def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
        ...  # network call (at least once: the receiver dedupes on our event id)
        async with ctx.sessionmaker() as session, session.begin():
            session.add(DeliveryAttempt(...))
            await ctx.complete(session)  # raises LeaseLost: the insert rolls back

Otherwise the runner marks the job succeeded once the handler returns (in a transaction of
its own, skipped when the handler's completion was committed); a handler that raises
`RetryLater` runs again after its delay, and one that raises anything else runs again
after an exponential backoff with jitter, until its `max_attempts` is spent (then the job
is `failed`, its last error kept). Both count as attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import traceback
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from adline.core.clock import Clock
from adline.core.ids import random_base62
from adline.jobs import service
from adline.jobs.registry import HANDLERS, JobContext, LeaseLost, RetryLater
from adline.jobs.service import ClaimedJob

logger = logging.getLogger("adline.jobs")

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_POLL_INTERVAL = timedelta(seconds=0.5)
DEFAULT_CONCURRENCY = 4
# A failed run waits BACKOFF_BASE * 2**(attempt - 1), at most BACKOFF_MAX, times a jitter
# between one half and one (so that jobs that failed together do not retry together).
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_MAX = timedelta(hours=1)
# Periodic slots are counted from here, so every process cuts time into the same slots.
SLOT_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def backoff(attempt: int, rng: random.Random) -> timedelta:
    """How long a job waits after its `attempt`-th run failed."""
    ceiling = min(BACKOFF_BASE * 2 ** min(attempt - 1, 30), BACKOFF_MAX)
    return timedelta(seconds=ceiling.total_seconds() * rng.uniform(0.5, 1.0))


@dataclass(frozen=True)
class PeriodicJob:
    """A job enqueued once per slot of `every`, however many runners tick in that slot."""

    kind: str
    every: timedelta
    payload: dict[str, Any] = field(default_factory=dict)

    def slot_start(self, now: datetime) -> datetime:
        return SLOT_EPOCH + self.every * ((now - SLOT_EPOCH) // self.every)

    def dedupe_key(self, slot_start: datetime) -> str:
        # The interval is part of the key: a slot of a 60 s schedule and one of a 300 s
        # schedule that start at the same instant are different slots.
        return f"{self.kind}/{self.every.total_seconds():g}s@{slot_start.isoformat()}"


class _Completion:
    """Whether a run's `ctx.complete(session)` was committed: then the job is succeeded
    under this run's lease and the runner has nothing left to record. Set only when the
    completion's outermost transaction commits with no rollback (of it or of a savepoint)
    after the completion, so a completion that was undone leaves the runner to mark the
    job, as before."""

    __slots__ = ("committed",)

    def __init__(self) -> None:
        self.committed = False

    def watch(self, session: Session) -> None:
        settled = False

        def after_commit(session: Session) -> None:
            nonlocal settled
            # Also called when a savepoint is released: only the outermost commit counts.
            if not settled and not session.in_nested_transaction():
                settled = True
                self.committed = True

        def after_rollback(session: Session) -> None:
            nonlocal settled
            settled = True  # the completion may have been rolled back with it

        event.listen(session, "after_commit", after_commit)
        event.listen(session, "after_rollback", after_rollback)


@dataclass(frozen=True)
class _RunContext(JobContext):
    """The JobContext of one run, noting whether the handler's completion was committed."""

    completion: _Completion = field(default_factory=_Completion, repr=False, compare=False)

    async def complete(self, session: AsyncSession) -> None:
        await super().complete(session)
        self.completion.watch(session.sync_session)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{random_base62(6)}"


class JobRunner:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        worker_id: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        concurrency: int = DEFAULT_CONCURRENCY,
        periodic: Sequence[PeriodicJob] = (),
        poll_interval: timedelta = DEFAULT_POLL_INTERVAL,
        services: Mapping[str, Any] | None = None,
        kinds: Collection[str] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Runs the jobs of every registered kind (or of `kinds` only). `services` reach
        handlers as `ctx.services`. `rng` draws the retry jitter."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if lease <= timedelta(0):
            raise ValueError("lease must be positive")
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.worker_id = worker_id or default_worker_id()
        self.lease = lease
        self.concurrency = concurrency
        self.periodic = tuple(periodic)
        self.poll_interval = poll_interval
        self.services: Mapping[str, Any] = dict(services or {})
        self._kinds = None if kinds is None else frozenset(kinds)
        self._rng = rng or random.Random()
        # The slot each periodic job was last enqueued for by this runner: one insert per
        # slot and runner, not one per tick.
        self._enqueued_slots: dict[str, datetime] = {}
        # Set when PostgreSQL announces a job (service.WAKE_CHANNEL): stop waiting, claim.
        self._wake = asyncio.Event()
        # Set while this runner listens for announced jobs (PostgreSQL).
        self.listening = asyncio.Event()

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds this runner claims: those it has a handler for (a job of a kind no
        handler here knows waits for a runner that does)."""
        registered = frozenset(HANDLERS)
        return registered if self._kinds is None else registered & self._kinds

    async def tick(self) -> None:
        """Enqueue each periodic job's current slot, unless this runner already did; the
        slot's dedupe key makes the other runners' inserts no-ops."""
        now = self.clock.now()
        due = [
            (job, job.slot_start(now))
            for job in self.periodic
            if self._enqueued_slots.get(job.kind) != job.slot_start(now)
        ]
        if not due:
            return
        async with self.sessionmaker() as session, session.begin():
            for job, slot in due:
                await service.enqueue(
                    session,
                    self.clock,
                    job.kind,
                    dict(job.payload),
                    run_at=slot,
                    dedupe_key=job.dedupe_key(slot),
                )
        for job, slot in due:
            self._enqueued_slots[job.kind] = slot

    async def run_due(self) -> int:
        """Tick, then claim and run every job due now until none is left; answers how many
        runs there were (tests, fast-forward)."""
        await self.tick()
        return await self._drain(stop_when_idle=True)

    async def run_forever(self) -> None:
        """Tick and run jobs until cancelled; jobs still running then are cancelled and
        handed back, due at once (a runner that dies instead leaves them to their leases).
        On PostgreSQL it also listens for enqueued jobs, to claim them without waiting
        for its next poll."""
        engine = self.sessionmaker.kw.get("bind")
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
            await self._drain(stop_when_idle=False)
            return
        listener = asyncio.create_task(self._listen(engine), name=f"{self.worker_id} listens")
        try:
            await self._drain(stop_when_idle=False)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _listen(self, engine: AsyncEngine) -> None:
        """Set `_wake` at each announced job, and once each time listening starts (for the
        jobs enqueued before it); listen again when the connection is lost (polling covers
        the gap until then)."""
        while True:
            try:
                await self._listen_on_one_connection(engine)
            except Exception:
                logger.warning("job runner %s: listening failed; polling", self.worker_id)
            await asyncio.sleep(self.poll_interval.total_seconds())

    async def _listen_on_one_connection(self, engine: AsyncEngine) -> None:
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_lost(*_: object) -> None:
            if not lost.done():
                lost.set_result(None)

        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            if driver is None:
                return
            driver.add_termination_listener(on_lost)
            await driver.add_listener(service.WAKE_CHANNEL, self._announced)
            # A job enqueued before the LISTEN took effect (after the last claim, or while
            # the connection was lost) was announced to no one: claim once now.
            self._wake.set()
            self.listening.set()
            try:
                await lost
            finally:
                self.listening.clear()
                driver.remove_termination_listener(on_lost)
                if not driver.is_closed():
                    await driver.remove_listener(service.WAKE_CHANNEL, self._announced)

    def _announced(self, *_: object) -> None:
        self._wake.set()

    async def _drain(self, *, stop_when_idle: bool) -> int:
        running: set[asyncio.Task[None]] = set()
        ran = 0
        try:
            while True:
                claimed: list[ClaimedJob] = []
                try:
                    if not stop_when_idle:
                        await self.tick()
                    free = self.concurrency - len(running)
                    if free > 0:
                        claimed = await self._claim(free)
                except Exception:
                    if stop_when_idle:
                        raise
                    logger.exception("job runner %s: claim failed", self.worker_id)
                for job in claimed:
                    running.add(asyncio.create_task(self._run(job), name=f"job {job.id}"))
                ran += len(claimed)
                if claimed and len(running) < self.concurrency:
                    continue  # there may be more due: claim again at once
                if not running and stop_when_idle:
                    return ran
                if stop_when_idle:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                else:
                    done = await self._idle(running)
                    running -= done
                    for task in done:
                        # A handler's errors are recorded on its job; what is left is the
                        # store failing to record an outcome (the lease then expires).
                        error = task.exception()
                        if error is not None:
                            if stop_when_idle:
                                raise error
                            logger.error(
                                "job runner %s: recording an outcome failed",
                                self.worker_id,
                                exc_info=error,
                            )
        finally:
            for task in running:
                task.cancel()
            # Each hands its job back (_run); what goes wrong then is logged there.
            await asyncio.gather(*running, return_exceptions=True)

    async def _idle(self, running: set[asyncio.Task[None]]) -> set[asyncio.Task[None]]:
        """Wait until a job finishes, a job is announced, or the poll interval passed;
        answers the finished jobs."""
        woken = asyncio.ensure_future(self._wake.wait())
        waits: set[asyncio.Future[Any]] = {*running, woken}
        try:
            done, _ = await asyncio.wait(
                waits,
                timeout=self.poll_interval.total_seconds(),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            woken.cancel()
        self._wake.clear()
        return {task for task in running if task in done}

    async def _claim(self, limit: int) -> list[ClaimedJob]:
        kinds = self.kinds
        async with self.sessionmaker() as session:
            if not await service.any_due(session, self.clock, kinds):
                return []
        async with self.sessionmaker() as session, session.begin():
            return await service.claim(
                session, self.clock, self.worker_id, kinds, lease=self.lease, limit=limit
            )

    async def _run(self, job: ClaimedJob) -> None:
        registered = HANDLERS.get(job.kind)
        if registered is None:  # unregistered since the claim (tests)
            return
        context = _RunContext(
            job_id=job.id,
            kind=job.kind,
            attempt=job.attempt,
            sessionmaker=self.sessionmaker,
            clock=self.clock,
            worker_id=self.worker_id,
            services=self.services,
        )
        handler: asyncio.Future[None] = asyncio.ensure_future(
            registered.handler(context, dict(job.payload))
        )
        heartbeat = asyncio.create_task(self._heartbeat(job, handler))
        try:
            await handler
        except asyncio.CancelledError:
            if heartbeat.done() and not heartbeat.cancelled() and heartbeat.result():
                logger.warning("job %s (%s): lease lost; run abandoned", job.id, job.kind)
                return
            # The runner is stopping: hand the job back for the next runner to take at once
            # rather than when the lease runs out.
            await self._release(job)
            raise
        except LeaseLost:
            logger.warning("job %s (%s): lease lost; outcome not recorded", job.id, job.kind)
            return
        except RetryLater as retry:
            await self._retry(job, retry.delay, f"retry later: {retry.reason}")
            return
        except Exception as error:
            reason = "".join(traceback.format_exception(error)).strip()
            delay = backoff(job.attempt, self._rng)
            await self._retry(job, delay, reason)
            return
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        if context.completion.committed:
            return  # the handler completed the job in its own transaction (ctx.complete)
        async with self.sessionmaker() as session, session.begin():
            # No row changes when the lease was lost meanwhile.
            await service.mark_succeeded(session, self.clock, job.id, self.worker_id, job.attempt)

    async def _retry(self, job: ClaimedJob, delay: timedelta, reason: str) -> None:
        async with self.sessionmaker() as session, session.begin():
            if job.attempt >= job.max_attempts:
                recorded = await service.mark_failed(
                    session, self.clock, job.id, self.worker_id, job.attempt, reason
                )
                if recorded:
                    logger.error(
                        "job %s (%s) failed after %d attempts: %s",
                        job.id,
                        job.kind,
                        job.attempt,
                        reason,
                    )
                return
            run_at = self.clock.now() + delay
            recorded = await service.reschedule(
                session, self.clock, job.id, self.worker_id, job.attempt, run_at, reason
            )
            if recorded:
                logger.info(
                    "job %s (%s) attempt %d: will run again at %s: %s",
                    job.id,
                    job.kind,
                    job.attempt,
                    run_at.isoformat(),
                    reason.splitlines()[-1] if reason else "",
                )

    async def _release(self, job: ClaimedJob) -> None:
        try:
            async with self.sessionmaker() as session, session.begin():
                await service.reschedule(
                    session,
                    self.clock,
                    job.id,
                    self.worker_id,
                    job.attempt,
                    self.clock.now(),
                    "runner stopped during the run",
                )
        except Exception:
            logger.exception("job %s: could not hand it back; its lease will expire", job.id)

    async def _heartbeat(self, job: ClaimedJob, handler: asyncio.Future[None]) -> bool:
        """Renew the job's lease every third of it while the handler runs; stop the handler
        and answer True if the lease was taken over (its outcome would be refused anyway)."""
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                async with self.sessionmaker() as session, session.begin():
                    kept = await service.renew_lease(
                        session, self.clock, job.id, self.worker_id, job.attempt, self.lease
                    )
            except Exception:
                logger.exception("job %s: lease renewal failed; trying again", job.id)
                continue
            if not kept:
                handler.cancel()
                return True


@contextlib.asynccontextmanager
async def running_in_background(runner: JobRunner) -> AsyncIterator[asyncio.Task[None]]:
    """`runner.run_forever()` as a task for the length of the block (the server's lifespan)."""
    task = asyncio.create_task(runner.run_forever(), name=f"job runner {runner.worker_id}")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
