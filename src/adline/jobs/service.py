"""The jobs table's operations: enqueue (in the caller's transaction), claim under a lease,
renew it, and record an outcome fenced on the lease (docs/jobs.md).

Every outcome is written `WHERE id = :id AND lease_owner = :me AND attempts = :attempt AND
status = 'running'`: a worker whose lease ran out and was taken over (it was slow, or paused
long enough to look dead) changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from adline.core.clock import Clock
from adline.core.ids import new_id
from adline.jobs.models import FAILED, QUEUED, RUNNING, SUCCEEDED, Job
from adline.jobs.registry import DEFAULT_MAX_ATTEMPTS, HANDLERS

TABLE = cast(Table, Job.__table__)
# PostgreSQL: a job due now is announced on this channel when its transaction commits, so
# that idle runners claim it at once instead of at their next poll.
WAKE_CHANNEL = "adline_jobs"
# last_error keeps the end of a long traceback message only up to this length.
MAX_ERROR_LENGTH = 4000


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    kind: str
    payload: dict[str, Any]
    company_id: str | None
    # This run's number (1 for the first): the fencing token with the lease owner.
    attempt: int
    max_attempts: int


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession) -> Any:
    return (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(TABLE)


async def enqueue(
    session: AsyncSession,
    clock: Clock,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    company_id: str | None = None,
) -> None:
    """Add a job in the caller's transaction (an outbox: it exists if and only if the
    caller's change commits), with its handler's max_attempts. With `dedupe_key`, a job
    already holding that key makes this a no-op, whatever its status."""
    # Every handler module, for each kind's max_attempts (imported on first use: they
    # import this module).
    import adline.jobs.handlers  # noqa: F401

    now = clock.now()
    registered = HANDLERS.get(kind)
    statement = (
        _insert(session)
        .values(
            id=new_id("job"),
            kind=kind,
            payload=payload,
            company_id=company_id,
            status=QUEUED,
            run_at=now if run_at is None else run_at,
            attempts=0,
            max_attempts=DEFAULT_MAX_ATTEMPTS if registered is None else registered.max_attempts,
            lease_owner=None,
            lease_expires_at=None,
            last_error=None,
            dedupe_key=dedupe_key,
            created_at=now,
            updated_at=now,
            finished_at=None,
        )
        .on_conflict_do_nothing(index_elements=[TABLE.c.dedupe_key])
    )
    await session.execute(statement)
    if _dialect(session) == "postgresql" and (run_at is None or run_at <= now):
        # Sent at commit (and dropped with a rollback); one per transaction, however many
        # jobs it enqueued (PostgreSQL folds identical notifications).
        await session.execute(select(func.pg_notify(WAKE_CHANNEL, "")))


def _due(kinds: Collection[str], now: datetime) -> Any:
    return select(TABLE.c.id).where(
        TABLE.c.kind.in_(sorted(kinds)),
        or_(
            and_(TABLE.c.status == QUEUED, TABLE.c.run_at <= now),
            and_(TABLE.c.status == RUNNING, TABLE.c.lease_expires_at < now),
        ),
    )


async def any_due(session: AsyncSession, clock: Clock, kinds: Collection[str]) -> bool:
    """Whether a claim would find a job: a read, so that an idle runner's polls take no
    write lock (SQLite has one for the whole database)."""
    if not kinds:
        return False
    found = await session.scalar(_due(kinds, clock.now()).limit(1))
    return found is not None


async def claim(
    session: AsyncSession,
    clock: Clock,
    worker_id: str,
    kinds: Collection[str],
    *,
    lease: timedelta,
    limit: int,
) -> list[ClaimedJob]:
    """Take up to `limit` jobs of `kinds` that are due (queued with run_at passed, or
    running under a lease that ran out) for `worker_id`, oldest first. PostgreSQL skips rows
    another claim has locked, so concurrent workers take disjoint jobs without waiting;
    SQLite serializes writers, so the second claim sees the first's rows as running."""
    if not kinds or limit < 1:
        return []
    now = clock.now()
    due = _due(kinds, now).order_by(TABLE.c.run_at, TABLE.c.id).limit(limit)
    if _dialect(session) == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(TABLE)
        .where(TABLE.c.id.in_(due.scalar_subquery()))
        .values(
            status=RUNNING,
            lease_owner=worker_id,
            lease_expires_at=now + lease,
            attempts=TABLE.c.attempts + 1,
            updated_at=now,
        )
        .returning(
            TABLE.c.id,
            TABLE.c.kind,
            TABLE.c.payload,
            TABLE.c.company_id,
            TABLE.c.attempts,
            TABLE.c.max_attempts,
            TABLE.c.run_at,
        )
    )
    # RETURNING's order is not the subquery's: put the oldest first again.
    rows = sorted((await session.execute(statement)).all(), key=lambda row: (row.run_at, row.id))
    return [
        ClaimedJob(row.id, row.kind, row.payload, row.company_id, row.attempts, row.max_attempts)
        for row in rows
    ]


def _fenced(job_id: str, worker_id: str, attempt: int) -> Any:
    return update(TABLE).where(
        TABLE.c.id == job_id,
        TABLE.c.status == RUNNING,
        TABLE.c.lease_owner == worker_id,
        TABLE.c.attempts == attempt,
    )


async def _changed(session: AsyncSession, statement: Any) -> bool:
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def renew_lease(
    session: AsyncSession, clock: Clock, job_id: str, worker_id: str, attempt: int, lease: timedelta
) -> bool:
    """Extend a running job's lease; False when it is no longer this run's."""
    now = clock.now()
    return await _changed(
        session,
        _fenced(job_id, worker_id, attempt).values(lease_expires_at=now + lease, updated_at=now),
    )


async def mark_succeeded(
    session: AsyncSession, clock: Clock, job_id: str, worker_id: str, attempt: int
) -> bool:
    now = clock.now()
    return await _changed(
        session,
        _fenced(job_id, worker_id, attempt).values(
            status=SUCCEEDED,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
            finished_at=now,
        ),
    )


async def reschedule(
    session: AsyncSession,
    clock: Clock,
    job_id: str,
    worker_id: str,
    attempt: int,
    run_at: datetime,
    error: str,
) -> bool:
    """Queue the job again for `run_at`, keeping why in last_error."""
    return await _changed(
        session,
        _fenced(job_id, worker_id, attempt).values(
            status=QUEUED,
            run_at=run_at,
            lease_owner=None,
            lease_expires_at=None,
            last_error=error[-MAX_ERROR_LENGTH:],
            updated_at=clock.now(),
        ),
    )


async def mark_failed(
    session: AsyncSession, clock: Clock, job_id: str, worker_id: str, attempt: int, error: str
) -> bool:
    now = clock.now()
    return await _changed(
        session,
        _fenced(job_id, worker_id, attempt).values(
            status=FAILED,
            lease_owner=None,
            lease_expires_at=None,
            last_error=error[-MAX_ERROR_LENGTH:],
            updated_at=now,
            finished_at=now,
        ),
    )


async def prune(
    session: AsyncSession, clock: Clock, *, succeeded_for: timedelta, failed_for: timedelta
) -> int:
    """Delete jobs that succeeded more than `succeeded_for` ago and those that failed more
    than `failed_for` ago. A periodic job's dedupe key goes with its row, long after its
    slot has passed, so the slot is not enqueued again."""
    now = clock.now()
    result = await session.execute(
        delete(TABLE).where(
            or_(
                and_(TABLE.c.status == SUCCEEDED, TABLE.c.finished_at < now - succeeded_for),
                and_(TABLE.c.status == FAILED, TABLE.c.finished_at < now - failed_for),
            )
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
