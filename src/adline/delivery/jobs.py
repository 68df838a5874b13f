"""The delivery pass as a periodic job (`delivery.pass`, one per `delivery_interval` slot
across every runner). The pass itself is adline.delivery.worker's; the runner's process
holds the DeliveryWorker (its memory of what the networks accepted is a cache of that
process) and hands it to the handler as `ctx.services[DELIVERY_WORKER]`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from weakref import WeakKeyDictionary

from adline.delivery.worker import DeliveryWorker
from adline.jobs.registry import JobContext, job_handler
from adline.jobs.runner import PeriodicJob

DELIVERY_PASS = "delivery.pass"
# The runner's `services` key of the process's DeliveryWorker.
DELIVERY_WORKER = "delivery_worker"

# One pass at a time per DeliveryWorker: its caches assume passes do not overlap. (A slot
# that comes due while the previous pass still runs waits for it.)
_pass_locks: WeakKeyDictionary[DeliveryWorker, asyncio.Lock] = WeakKeyDictionary()


def pass_lock(worker: DeliveryWorker) -> asyncio.Lock:
    """The lock every pass of `worker` runs under: the periodic job's, and a demo server's
    steps (adline.demo.control), which run the same worker's passes on a moved clock."""
    return _pass_locks.setdefault(worker, asyncio.Lock())


def delivery_pass_job(interval: timedelta) -> PeriodicJob:
    return PeriodicJob(DELIVERY_PASS, every=interval)


# One attempt: a failed pass is not retried on its own, the next slot's pass does it all
# again (every step is idempotent).
@job_handler(DELIVERY_PASS, max_attempts=1)
async def run_delivery_pass(ctx: JobContext, payload: dict[str, Any]) -> None:
    worker = ctx.services[DELIVERY_WORKER]
    if not isinstance(worker, DeliveryWorker):
        raise TypeError(f"services[{DELIVERY_WORKER!r}] is not a DeliveryWorker")
    async with pass_lock(worker):
        await worker.run_once()
