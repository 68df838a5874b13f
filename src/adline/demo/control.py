"""Moving a demo server's time (docs/demo.md): `DemoControl`, which the API
(`/api/v1/demo`, adline.demo.router) and the web UI (`request.app.state.demo`) call.

A step moves the demo clock forward an hour at a time and runs the server's own delivery
worker's pass at each hour (`fast_forward`, under the lock its periodic pass takes), so the
simulated networks deliver, bill and report (with their reporting lag) hour by hour, and
budgets and spend caps are enforced as if the time had passed. Everything else on the same
clock follows: API timestamps, stats windows, the job runner's schedule.

One advance at a time: a step asked for while a step or a run is going is refused with a
409 (`Conflict`), never queued, so a double click cannot move time twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adline.core.errors import Conflict, InvalidRequest
from adline.delivery.jobs import pass_lock
from adline.delivery.worker import DeliveryWorker, fast_forward
from adline.demo.clock import DemoClock

logger = logging.getLogger("adline.demo")

HOUR = timedelta(hours=1)
# The longest step: a month of hourly passes.
MAX_STEP_HOURS = 31 * 24
# The fastest run: a week of simulated time per real second (each hour is a delivery pass,
# so a run goes at most as fast as the passes do).
MAX_SPEED = 168.0


def check_hours(hours: object) -> int:
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_STEP_HOURS:
        raise InvalidRequest(
            f"Invalid value for hours: must be a whole number of hours from 1 to "
            f"{MAX_STEP_HOURS} (31 days).",
            param="hours",
        )
    return hours


def check_speed(speed: object) -> float:
    if (
        isinstance(speed, bool)
        or not isinstance(speed, int | float)
        or not 0 < speed <= MAX_SPEED
        or speed != speed  # NaN
    ):
        raise InvalidRequest(
            f"Invalid value for speed: must be simulated hours per second, above 0 and at "
            f"most {MAX_SPEED:g}.",
            param="speed",
        )
    return float(speed)


class DemoControl:
    """A demo server's time. Made with the app (so the UI finds it at once); `start` (the
    app's lifespan) loads the store's time and hands it the embedded delivery worker."""

    def __init__(self, clock: DemoClock) -> None:
        self.clock = clock
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._worker: DeliveryWorker | None = None
        self._step_task: asyncio.Task[None] | None = None
        self._progress: tuple[int, int] | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._speed: float | None = None
        self._stopping = asyncio.Event()

    async def load(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Go on from the simulated time the store recorded (before anything reads the
        clock)."""
        self._sessionmaker = sessionmaker
        async with sessionmaker() as session:
            await self.clock.load(session)

    def attach(self, worker: DeliveryWorker) -> None:
        """The worker whose passes the steps run: the server's embedded one."""
        self._worker = worker

    def now(self) -> datetime:
        """The simulated now (UTC)."""
        return self.clock.now()

    @property
    def progress(self) -> tuple[int, int] | None:
        """(hours done, hours asked) of the step running, else None (a run reports none)."""
        return self._progress

    @property
    def running_speed(self) -> float | None:
        """The speed of the run going (simulated hours per real second), else None."""
        return self._speed

    async def step(self, hours: int) -> None:
        """Move time `hours` forward, a delivery pass at each hour; returns when done (the
        step goes on if the caller is cancelled). 400 on bad `hours`, 409 while another
        step or a run is going."""
        await asyncio.shield(self.begin_step(hours))

    def begin_step(self, hours: int) -> asyncio.Task[None]:
        """`step` without waiting: checks and claims the clock now, answers the step's task
        (the API's `POST /demo/step` answers at once; clients follow `progress`)."""
        hours = check_hours(hours)
        self._check_idle("step")
        self._require_worker()
        self._progress = (0, hours)
        task = asyncio.create_task(self._step(hours))
        self._step_task = task
        return task

    async def run(self, speed: float) -> None:
        """Advance `speed` simulated hours per real second in the background, until
        `stop`; returns at once. Running already: the new speed applies from now."""
        speed = check_speed(speed)
        if self._step_task is not None:
            self._check_idle("run")
        self._require_worker()
        self._speed = speed
        if self._run_task is None:
            self._stopping = asyncio.Event()
            self._run_task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop a run after the hour it is in (at most one pass); nothing when none runs."""
        task = self._run_task
        if task is None:
            return
        self._stopping.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        """At shutdown: stop a run, cut a step short (the worker starts its next pass from
        the store, as after a crash; the clock keeps the step's end)."""
        await self.stop()
        task = self._step_task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _check_idle(self, action: str) -> None:
        if self._speed is not None:
            raise Conflict(
                f"The demo is running at {self._speed:g} simulated hours a second: stop it "
                f"before you {action}."
            )
        if self._progress is not None:
            done, asked = self._progress
            raise Conflict(
                f"A step is already running ({done} of {asked} hours done): wait for it to "
                f"finish before you {action}."
            )

    def _require_worker(self) -> DeliveryWorker:
        if self._worker is None or self._sessionmaker is None:
            raise Conflict("This server runs no delivery worker of its own to step.")
        return self._worker

    async def _step(self, hours: int) -> None:
        try:
            async for done in self._advance(hours):
                self._progress = (done, hours)
        except Exception:
            logger.exception("demo step of %d hours failed", hours)
            raise
        finally:
            self._progress = None
            self._step_task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        owed = 0.0
        last = loop.time()
        try:
            while not self._stopping.is_set():
                speed = self._speed or MAX_SPEED
                # Wake when the next hour is owed (at most a second apart, for a new speed).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), timeout=min(1.0, max(0.0, (1 - owed) / speed))
                    )
                    break
                now = loop.time()
                # Passes slower than the speed: no backlog beyond a second's worth.
                owed = min(owed + (now - last) * speed, max(speed, 1.0))
                last = now
                while owed >= 1 and not self._stopping.is_set():
                    async for _ in self._advance(1):
                        pass
                    owed -= 1
        except Exception:
            logger.exception("demo run stopped by an error")
        finally:
            self._speed = None
            self._run_task = None

    async def _advance(self, hours: int) -> AsyncIterator[int]:
        """Record the step's end in the store first (a restart never goes back behind what
        the networks' journal may hold), then one pass per hour; yields the hours done."""
        worker = self._require_worker()
        assert self._sessionmaker is not None
        start = self.clock.now()
        async with self._sessionmaker() as session, session.begin():
            await self.clock.save(session, start + hours * HOUR)
        for done in range(1, hours + 1):
            at = start + done * HOUR
            async with pass_lock(worker):
                await fast_forward(worker, self.clock, at, at, HOUR)
            yield done
