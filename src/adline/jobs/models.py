from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"


class Job(Base):
    """One unit of background work (docs/jobs.md). Written in the transaction of the change
    that causes it; claimed by a worker under a lease; its outcome recorded only by the
    worker still holding that lease."""

    __tablename__ = "jobs"
    __table_args__ = (
        # The claim: queued jobs that are due, and running ones whose lease ran out.
        Index("ix_jobs_status_run_at", "status", "run_at"),
        # Pruning finished jobs.
        Index("ix_jobs_status_finished_at", "status", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    company_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Runs started so far (a claim counts one): the fencing token of the current run.
    attempts: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # A second enqueue with the same key is a no-op (a periodic job's slot, an event id).
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
