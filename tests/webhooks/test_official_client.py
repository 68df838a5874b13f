"""whop-sdk 2.6.0's own `client.webhooks` drives the webhook routes, typed models in and
out, against the tests' app (in process), with a receiver verifying what it sends."""

from __future__ import annotations

import httpx
import pytest
from whop_sdk import AsyncWhop, BadRequestError, NotFoundError

from adline.core.clock import ManualClock
from adline.jobs.runner import JobRunner
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_webhooks import make_campaign


async def test_the_client_round_trip(
    whop: AsyncWhop,
    client: httpx.AsyncClient,
    receiver: Receiver,
    runner: JobRunner,
    clock: ManualClock,
) -> None:
    created = await whop.webhooks.create(url=receiver.url, events=["ad_campaign.created"])
    assert created.id.startswith("hook_") and created.webhook_secret
    receiver.secret = created.webhook_secret
    read = await whop.webhooks.retrieve(created.id)
    assert (read.webhook_secret, read.events, read.enabled) == (None, ["ad_campaign.created"], True)
    listed = [item.id async for item in await whop.webhooks.list()]
    assert listed == [created.id]

    campaign = await make_campaign(client)
    await runner.run_due()
    [received] = receiver.received
    assert received.body["data"]["id"] == campaign["id"]

    [attempt] = [item async for item in await whop.webhooks.list_deliveries(created.id)]
    assert (attempt.event, attempt.success, attempt.response_code) == (
        "ad_campaign.created",
        True,
        200,
    )
    replayed = await whop.webhooks.replay_delivery(created.id, attempt.id)
    assert (replayed.status, replayed.success) == (200, True)
    queued = await whop.webhooks.replay(created.id, sent_after="2026-01-01T00:00:00Z")
    assert queued.queued is True
    tested = await whop.webhooks.test(created.id, event="ad_campaign.updated")
    assert (tested.status, tested.success) == (200, True)
    await runner.run_due()
    assert receiver.rejected == 0 and len(receiver.received) == 4

    updated = await whop.webhooks.update(created.id, enabled=False, api_version_date="2026-06-20")
    assert (updated.enabled, updated.api_version_date) == (False, "2026-06-20")
    with pytest.raises(BadRequestError):
        await whop.webhooks.create(url=receiver.url, events=["payment.succeeded"])
    deleted = await whop.webhooks.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(NotFoundError):
        await whop.webhooks.retrieve(created.id)
