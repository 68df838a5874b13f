"""`webhooks.prune`, hourly: messages and their delivery attempts are kept 30 days (as
Whop keeps them), long enough to read and replay, and then deleted."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.core.clock import Clock
from adline.jobs.registry import JobContext, job_handler
from adline.jobs.runner import PeriodicJob
from adline.webhooks.models import PENDING, WebhookDelivery, WebhookEvent
from adline.webhooks.service import RETENTION

logger = logging.getLogger("adline.webhooks")

PRUNE = "webhooks.prune"
PRUNE_JOB = PeriodicJob(PRUNE, every=timedelta(hours=1))


async def prune_deliveries(session: AsyncSession, clock: Clock) -> tuple[int, int]:
    """Delete attempts older than the retention (a pending retry is kept whatever its age)
    and then the messages no attempt refers to any more; answers how many of each."""
    before = clock.now() - RETENTION
    attempts = await session.execute(
        delete(WebhookDelivery)
        .where(
            WebhookDelivery.status != PENDING,
            func.coalesce(WebhookDelivery.sent_at, WebhookDelivery.scheduled_at) < before,
        )
        .execution_options(synchronize_session=False)
    )
    messages = await session.execute(
        delete(WebhookEvent)
        .where(
            WebhookEvent.created_at < before,
            ~exists(select(WebhookDelivery.id).where(WebhookDelivery.event_id == WebhookEvent.id)),
        )
        .execution_options(synchronize_session=False)
    )
    return attempts.rowcount or 0, messages.rowcount or 0  # type: ignore[attr-defined]


@job_handler(PRUNE, max_attempts=3)
async def prune_old_deliveries(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.sessionmaker() as session, session.begin():
        attempts, messages = await prune_deliveries(session, ctx.clock)
        await ctx.complete(session)
    if attempts or messages:
        logger.info("pruned %d webhook attempts and %d messages", attempts, messages)
