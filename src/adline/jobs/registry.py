"""Job handlers by kind: a module registers its handlers with `@job_handler("kind")`, and
a runner runs the jobs of every kind registered in its process (adline.jobs.handlers
imports every module that has handlers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adline.core.clock import Clock

DEFAULT_MAX_ATTEMPTS = 10


class LeaseLost(Exception):
    """The job's lease went to another worker (this one was too slow or was cut off): this
    worker must not record an outcome, and a handler's transaction that tried to must roll
    back."""


@dataclass(frozen=True)
class JobContext:
    """What a handler gets besides its payload."""

    job_id: str
    kind: str
    # 1 for the first run.
    attempt: int
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    # The runner's id: the lease owner that completions are fenced on.
    worker_id: str = ""
    # Objects that live in the runner's process (the delivery worker and its caches), by
    # name, as the runner was given them.
    services: Mapping[str, Any] = field(default_factory=dict)

    async def complete(self, session: AsyncSession) -> None:
        """Mark the job succeeded inside `session`'s transaction, fenced on this run's
        lease: commit it with the handler's writes and they take effect exactly once.
        Raises LeaseLost (so the caller's transaction rolls back) if another worker has
        taken the job over."""
        from adline.jobs.service import mark_succeeded

        if not await mark_succeeded(session, self.clock, self.job_id, self.worker_id, self.attempt):
            raise LeaseLost(f"job {self.job_id} attempt {self.attempt} lost its lease")


class RetryLater(Exception):
    """Raised by a handler to be run again after `delay` (not counted as a failure, though
    the attempt counts towards max_attempts)."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay
        self.reason = reason


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class RegisteredHandler:
    kind: str
    handler: JobHandler
    max_attempts: int


# Every handler imported so far, by kind.
HANDLERS: dict[str, RegisteredHandler] = {}


def job_handler(
    kind: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated function as the handler of `kind`'s jobs."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def register(handler: JobHandler) -> JobHandler:
        existing = HANDLERS.get(kind)
        if existing is not None and existing.handler is not handler:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        HANDLERS[kind] = RegisteredHandler(kind, handler, max_attempts)
        return handler

    return register


def unregister(kind: str) -> None:
    """Forget `kind`'s handler (tests that registered one of their own)."""
    HANDLERS.pop(kind, None)
