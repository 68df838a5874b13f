"""A job worker process for tests/jobs/test_worker_killed.py:
`python -m tests.jobs.kill_worker DATABASE_URL MARKER_DIR WORKER_ID LEASE_SECONDS`.

It runs jobs of one kind whose effect is a row written in the same transaction as the job's
completion. On its first attempt the handler writes the row, says so in MARKER_DIR, and then
waits (before committing) to be killed: the test kills the process there, mid-job.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from adline.core.clock import SystemClock
from adline.core.db import create_engine, create_sessionmaker
from adline.jobs.registry import JobContext, job_handler
from adline.jobs.runner import JobRunner

KIND = "tests.effect_once"
EFFECTS_TABLE = "test_job_effects"


async def main(database_url: str, marker_dir: Path, worker_id: str, lease: timedelta) -> None:
    @job_handler(KIND)
    async def write_effect(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.sessionmaker() as session, session.begin():
            await session.execute(
                text(
                    f"INSERT INTO {EFFECTS_TABLE} (job_id, worker_id, attempt) "
                    "VALUES (:job_id, :worker_id, :attempt)"
                ),
                {"job_id": ctx.job_id, "worker_id": ctx.worker_id, "attempt": ctx.attempt},
            )
            if ctx.attempt == 1:
                (marker_dir / "mid-job").write_text(str(os.getpid()))
                await asyncio.sleep(3600)  # killed here: the row is written, not committed
            await ctx.complete(session)

    engine = create_engine(database_url)
    runner = JobRunner(
        create_sessionmaker(engine),
        SystemClock(),
        worker_id=worker_id,
        lease=lease,
        kinds={KIND},
        poll_interval=timedelta(seconds=0.1),
    )
    try:
        await runner.run_forever()
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, marker, worker, lease_seconds = sys.argv[1:5]
    asyncio.run(main(url, Path(marker), worker, timedelta(seconds=float(lease_seconds))))
