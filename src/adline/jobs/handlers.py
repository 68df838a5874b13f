"""Every module that registers job handlers, imported here so that a runner knows them all
(a job of a kind whose module is missing here waits for a runner that has it). Add new
ones to the list."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import adline.delivery.jobs
import adline.jobs.maintenance
import adline.webhooks.delivery
import adline.webhooks.retention
from adline.core.clock import Clock
from adline.delivery.jobs import DELIVERY_PASS, DELIVERY_WORKER, delivery_pass_job
from adline.delivery.worker import DeliveryWorker
from adline.jobs.maintenance import PRUNE_JOB
from adline.jobs.registry import HANDLERS
from adline.jobs.runner import JobRunner, PeriodicJob

HANDLER_MODULES = (
    adline.delivery.jobs,
    adline.jobs.maintenance,
    adline.webhooks.delivery,
    adline.webhooks.retention,
)


def periodic_jobs(delivery_interval: timedelta | None) -> list[PeriodicJob]:
    """A process's periodic schedule: the jobs table's and the webhook log's pruning, and the
    delivery pass every `delivery_interval` unless that runs elsewhere (None)."""
    schedule = [PRUNE_JOB, adline.webhooks.retention.PRUNE_JOB]
    if delivery_interval is not None:
        schedule.append(delivery_pass_job(delivery_interval))
    return schedule


def process_runner(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    delivery_worker: DeliveryWorker | None,
    delivery_interval: timedelta | None,
    services: Mapping[str, Any] | None = None,
    **options: Any,
) -> JobRunner:
    """The runner of a server or `adline worker` process: every handler, and the periodic
    schedule. Without a delivery worker it leaves delivery passes to the processes that
    have one (a server started with ADLINE_DELIVERY_INTERVAL=0 beside `adline worker`).
    `services` (with the delivery worker added) reach handlers as `ctx.services`."""
    services = dict(services or {})
    kinds = set(HANDLERS)
    if delivery_worker is None:
        kinds.discard(DELIVERY_PASS)
        delivery_interval = None
    else:
        services[DELIVERY_WORKER] = delivery_worker
    return JobRunner(
        sessionmaker,
        clock,
        periodic=periodic_jobs(delivery_interval),
        services=services,
        kinds=kinds,
        **options,
    )
