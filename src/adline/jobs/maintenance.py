"""The jobs table's own upkeep: `jobs.prune`, hourly, deletes finished jobs past their
retention."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from adline.jobs import service
from adline.jobs.registry import JobContext, job_handler
from adline.jobs.runner import PeriodicJob

logger = logging.getLogger("adline.jobs")

PRUNE = "jobs.prune"
# Kept this long after they finished: succeeded jobs for a look at recent work, failed ones
# long enough for someone to notice and read last_error.
SUCCEEDED_RETENTION = timedelta(days=7)
FAILED_RETENTION = timedelta(days=30)
PRUNE_JOB = PeriodicJob(PRUNE, every=timedelta(hours=1))


@job_handler(PRUNE, max_attempts=3)
async def prune_finished_jobs(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.sessionmaker() as session, session.begin():
        deleted = await service.prune(
            session, ctx.clock, succeeded_for=SUCCEEDED_RETENTION, failed_for=FAILED_RETENTION
        )
        await ctx.complete(session)
    if deleted:
        logger.info("pruned %d finished jobs", deleted)
