"""Which changes send which events: ad groups, ads, spend caps, status events, and the
outbox's all-or-nothing with the change that caused it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.models import AdCampaign
from adline.campaigns.service import watch_campaign
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.jobs.runner import JobRunner
from adline.spend_caps.ledger import allocate
from adline.webhooks.models import WebhookDelivery, WebhookEvent
from adline.webhooks.retention import PRUNE_JOB
from tests.conftest import Tenant
from tests.hierarchy.builders import build_tree, launched_tree
from tests.spend_caps.payloads import cap_body
from tests.spend_caps.test_daily_summary import cap_with_campaigns, spend
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_webhooks import deliveries, make_campaign, make_webhook, ok


def types(receiver: Receiver) -> list[str]:
    return [item.body["type"] for item in receiver.received]


def by_type(receiver: Receiver) -> dict[str, dict[str, Any]]:
    """The last body received of each type (jobs due together run in any order)."""
    return {item.body["type"]: item.body for item in receiver.received}


async def event_count(engine: AsyncEngine, company_id: str) -> tuple[int, int]:
    async with create_sessionmaker(engine)() as session:
        events = await session.scalar(
            select(func.count())
            .select_from(WebhookEvent)
            .where(WebhookEvent.company_id == company_id)
        )
        deliveries = await session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.company_id == company_id)
        )
    return int(events or 0), int(deliveries or 0)


class TestAdObjects:
    async def test_groups_and_ads(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner, clock: ManualClock
    ) -> None:
        await make_webhook(
            client,
            receiver,
            events=["ad_group.created", "ad_group.updated", "ad.created", "ad.updated"],
        )
        tree = await build_tree(client)
        await runner.run_due()
        created = by_type(receiver)
        assert set(created) == {"ad_group.created", "ad.created"}
        assert created["ad_group.created"]["data"]["id"] == tree.group["id"]
        assert created["ad.created"]["data"]["id"] == tree.ad["id"]
        assert "impressions" not in created["ad.created"]["data"]

        clock.advance(timedelta(minutes=1))
        await ok(await client.post(f"/ads/{tree.ad['id']}/pause"))
        await ok(await client.patch(f"/ad_groups/{tree.group['id']}", json={"title": "Renamed"}))
        await runner.run_due()
        assert sorted(types(receiver)) == sorted([*created, "ad.updated", "ad_group.updated"])
        paused = by_type(receiver)["ad.updated"]
        assert paused["data"]["status"] == "paused"
        assert paused["previous_attributes"]["status"] == tree.ad["status"]
        renamed = by_type(receiver)["ad_group.updated"]
        assert renamed["previous_attributes"]["title"] == tree.group["title"]
        assert set(renamed["previous_attributes"]) >= {"title", "updated_at"}
        assert receiver.rejected == 0

    async def test_a_refused_change_sends_nothing(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        engine: AsyncEngine,
        tenant: Tenant,
    ) -> None:
        await make_webhook(client, receiver, events=["ad_campaign.created", "ad_campaign.updated"])
        campaign = await make_campaign(client)
        before = await event_count(engine, tenant.company_id)
        refused = await client.patch(f"/ad_campaigns/{campaign['id']}", json={"objective": "leads"})
        assert refused.status_code == 400
        unchanged = await client.patch(
            f"/ad_campaigns/{campaign['id']}", json={"title": campaign["title"]}
        )
        assert unchanged.status_code == 200
        assert await event_count(engine, tenant.company_id) == before
        await runner.run_due()
        assert types(receiver) == ["ad_campaign.created"]

    async def test_payment_failed_when_the_status_becomes_it(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        engine: AsyncEngine,
        clock: ManualClock,
        tenant: Tenant,
    ) -> None:
        """Nothing in Adline fails a payment yet (funding is a later issue): the status
        change itself is what sends the event, as whatever sets it will."""
        from adline.auth.service import Principal

        tree = await launched_tree(client)
        await make_webhook(
            client, receiver, events=["ad_campaign.updated", "ad_campaign.payment_failed"]
        )
        principal = Principal(
            key_id=tenant.key_id,
            company_id=tenant.company_id,
            user_id=tenant.user_id,
            scopes=frozenset(),
            api_version_date=None,
        )
        async with create_sessionmaker(engine)() as session, session.begin():
            campaign = await session.get(AdCampaign, tree.campaign["id"])
            assert campaign is not None
            watch = await watch_campaign(session, principal, campaign, clock)
            campaign.status = "payment_failed"
            await session.flush()
            await watch.finish(session, clock)
        await runner.run_due()
        assert sorted(types(receiver)) == ["ad_campaign.payment_failed", "ad_campaign.updated"]
        updated = by_type(receiver)["ad_campaign.updated"]
        failed = by_type(receiver)["ad_campaign.payment_failed"]
        assert updated["previous_attributes"]["status"] == "active"
        assert failed["data"]["status"] == "payment_failed"
        assert failed["previous_attributes"] is None


class TestSpendCaps:
    async def test_updated(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner, clock: ManualClock
    ) -> None:
        await make_webhook(client, receiver, events=["spend_cap.updated"])
        cap = (await ok(await client.post("/spend_caps", json=cap_body())))["spend_cap"]
        clock.advance(timedelta(minutes=1))
        await ok(
            await client.patch(
                f"/spend_caps/{cap['id']}", json={"spend_cap": {"title": "Renamed cap"}}
            )
        )
        await runner.run_due()
        [updated] = receiver.received
        assert updated.body["type"] == "spend_cap.updated"
        assert updated.body["data"]["title"] == "Renamed cap"
        assert updated.body["previous_attributes"]["title"] == cap["title"]

    async def test_depleted_once_per_period(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        engine: AsyncEngine,
        clock: ManualClock,
    ) -> None:
        setup = await cap_with_campaigns(
            client, engine, clock, campaigns=1, period="DAILY", amount_micro="10000000"
        )
        await make_webhook(client, receiver, events=["spend_cap.depleted"])
        [ad] = setup.ads
        day = datetime(2026, 3, 3, tzinfo=UTC)
        await spend(engine, clock, (ad, day + timedelta(hours=2), 11))
        clock.set(day + timedelta(hours=5))
        for _ in range(2):  # two passes over a depleted cap: one event
            async with create_sessionmaker(engine)() as session, session.begin():
                allocation = await allocate(
                    session, setup.cap["id"], clock.now(), timedelta(hours=1)
                )
                assert allocation is not None and allocation.status == "DEPLETED"
        await runner.run_due()
        assert types(receiver) == ["spend_cap.depleted"]
        data: dict[str, Any] = receiver.received[0].body["data"]
        assert (data["id"], data["status"]) == (setup.cap["id"], "DEPLETED")

        # The next day is another period: depleted again, announced again.
        await spend(engine, clock, (ad, day + timedelta(days=1, hours=1), 12))
        clock.set(day + timedelta(days=1, hours=3))
        async with create_sessionmaker(engine)() as session, session.begin():
            await allocate(session, setup.cap["id"], clock.now(), timedelta(hours=1))
        await runner.run_due()
        assert types(receiver) == ["spend_cap.depleted", "spend_cap.depleted"]


class TestCopies:
    async def test_a_finished_copy_is_announced_as_created_with_its_groups_and_ads(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner
    ) -> None:
        tree = await build_tree(client)
        await make_webhook(
            client, receiver, events=["ad_campaign.created", "ad_group.created", "ad.created"]
        )
        [copy] = (
            await ok(await client.post(f"/ad_campaigns/{tree.campaign['id']}/duplicate", json={}))
        )["data"]
        await runner.run_due()
        created = by_type(receiver)
        assert set(created) == {"ad_campaign.created", "ad_group.created", "ad.created"}
        campaign = created["ad_campaign.created"]["data"]
        # Announced once finished: a draft of its own, not a copy in progress.
        assert (campaign["id"], campaign["status"]) == (copy["id"], "draft")
        group = created["ad_group.created"]["data"]
        assert group["id"] != tree.group["id"]
        assert created["ad.created"]["data"]["ad_group"]["id"] == group["id"]
        assert len(receiver.received) == 3


class TestRetention:
    async def test_attempts_and_messages_older_than_30_days_are_pruned(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        engine: AsyncEngine,
        clock: ManualClock,
        tenant: Tenant,
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        await make_campaign(client)
        await runner.run_due()
        [old] = await deliveries(client, webhook["id"])
        clock.advance(timedelta(days=30, minutes=1))
        recent = await make_campaign(client)
        await runner.run_due()
        prune = JobRunner(
            create_sessionmaker(engine), clock, periodic=[PRUNE_JOB], kinds={PRUNE_JOB.kind}
        )
        assert await prune.run_due() == 1
        [kept] = await deliveries(client, webhook["id"])
        assert kept["id"] != old["id"]
        assert kept["request_body"]["data"]["id"] == recent["id"]
        assert await event_count(engine, tenant.company_id) == (1, 1)
