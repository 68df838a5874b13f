"""Webhooks (docs/webhooks.md): CRUD, signed deliveries verified by whop-sdk 2.6.0's own
helper, retries on the test's clock, disabling, replays, tests and tenancy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.jobs.runner import JobRunner
from adline.webhooks import targets
from adline.webhooks.delivery import RETRY_SCHEDULE, post
from adline.webhooks.events import EVENT_TYPES
from adline.webhooks.targets import UnsafeTarget, check_target
from tests.campaigns.payloads import abo_campaign
from tests.conftest import NEWEST_HEADER, Tenant
from tests.helpers import assert_error
from tests.webhooks.conftest import Receiver

WEBHOOK_KEYS = {
    "id",
    "url",
    "enabled",
    "events",
    "api_version",
    "api_version_date",
    "child_resource_events",
    "resource_id",
    "testable_events",
    "consecutive_failures",
    "failing_since",
    "last_failure_at",
    "disabled_at",
    "disabled_reason",
    "created_at",
    "webhook_secret",
}
ENVELOPE_KEYS = {
    "id",
    "type",
    "timestamp",
    "api_version",
    "api_version_date",
    "account_id",
    "data",
    "previous_attributes",
}


async def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def make_webhook(
    client: httpx.AsyncClient, receiver: Receiver, **overrides: Any
) -> dict[str, Any]:
    webhook: dict[str, Any] = await ok(
        await client.post("/webhooks", json={"url": receiver.url, **overrides})
    )
    receiver.secret = webhook["webhook_secret"]
    return webhook


async def make_campaign(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    campaign: dict[str, Any] = await ok(
        await client.post("/ad_campaigns", json=abo_campaign(**overrides))
    )
    return campaign


async def deliveries(client: httpx.AsyncClient, webhook_id: str) -> list[dict[str, Any]]:
    page = await ok(await client.get(f"/webhooks/{webhook_id}/deliveries"))
    items: list[dict[str, Any]] = page["data"]
    return items


async def webhook_now(client: httpx.AsyncClient, webhook_id: str) -> dict[str, Any]:
    webhook: dict[str, Any] = await ok(await client.get(f"/webhooks/{webhook_id}"))
    return webhook


def longest_wait(attempt: int) -> timedelta:
    """Past the latest moment attempt `attempt + 1` can be due (jitter at most +20 %)."""
    return timedelta(seconds=RETRY_SCHEDULE[attempt] * 1.2 + 1)


class TestCrud:
    async def test_secret_is_shown_once(
        self, client: httpx.AsyncClient, receiver: Receiver
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        assert set(webhook) == WEBHOOK_KEYS
        assert webhook["id"].startswith("hook_")
        assert webhook["webhook_secret"].startswith("ws_")
        assert webhook["events"] == ["ad_campaign.created"]
        assert (webhook["enabled"], webhook["api_version"], webhook["api_version_date"]) == (
            True,
            "v1",
            None,
        )
        read = await webhook_now(client, webhook["id"])
        assert read["webhook_secret"] is None
        assert read == {**webhook, "webhook_secret": None}
        listed = await ok(await client.get("/webhooks"))
        assert [item["id"] for item in listed["data"]] == [webhook["id"]]
        assert listed["data"][0]["webhook_secret"] is None

    async def test_every_event_by_default_and_update(
        self, client: httpx.AsyncClient, receiver: Receiver
    ) -> None:
        webhook = await make_webhook(client, receiver)
        assert webhook["events"] == list(EVENT_TYPES)
        assert webhook["testable_events"] == list(EVENT_TYPES)
        updated = await ok(
            await client.patch(
                f"/webhooks/{webhook['id']}",
                json={"events": ["ad.created"], "api_version_date": "2026-06-20", "enabled": False},
            )
        )
        assert (updated["events"], updated["api_version_date"], updated["enabled"]) == (
            ["ad.created"],
            "2026-06-20",
            False,
        )
        assert updated["disabled_at"] is None  # disabled by its owner, not by Adline
        unpinned = await ok(
            await client.patch(f"/webhooks/{webhook['id']}", json={"api_version_date": None})
        )
        assert unpinned["api_version_date"] is None

    async def test_delete(self, client: httpx.AsyncClient, receiver: Receiver) -> None:
        webhook = await make_webhook(client, receiver)
        deleted = await ok(await client.delete(f"/webhooks/{webhook['id']}"))
        assert deleted == {"id": webhook["id"], "deleted": True}
        assert_error(
            await client.get(f"/webhooks/{webhook['id']}"), 404, "resource_not_found", "id"
        )

    @pytest.mark.parametrize(
        ("body", "param"),
        [
            ({"url": "ftp://example.com/hook"}, "url"),
            ({"url": "not a url"}, "url"),
            ({"url": "https://example.com/h", "events": ["payment.succeeded"]}, "events[0]"),
            ({"url": "https://example.com/h", "events": ["ad.created", "nope"]}, "events[1]"),
            ({"url": "https://example.com/h", "api_version_date": "1999-01-01"}, None),
            ({"url": "https://example.com/h", "enabled": "yes"}, "enabled"),
        ],
    )
    async def test_bad_input_creates_nothing(
        self, client: httpx.AsyncClient, body: dict[str, Any], param: str | None
    ) -> None:
        response = await client.post("/webhooks", json=body)
        assert response.status_code == 400, response.text
        if param is not None:
            assert response.json()["error"]["param"] == param
        assert (await ok(await client.get("/webhooks")))["data"] == []

    async def test_private_targets_refused_unless_allowed(
        self, database_url: str, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
    ) -> None:
        strict: FastAPI = create_app(
            Settings(database_url=database_url), clock=clock, engine=engine
        )
        transport = httpx.ASGITransport(app=strict)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://adline.test/api/v1",
            headers={**NEWEST_HEADER, **tenant.headers},
        ) as strict_client:
            for url in (
                "http://127.0.0.1:8080/h",
                "http://localhost/h",
                "https://10.1.2.3/h",
                "http://[::1]/h",
                "http://169.254.169.254/latest",
                "http://[fd00::1]/h",
            ):
                response = await strict_client.post("/webhooks", json={"url": url})
                assert_error(response, 400, "webhook_target_refused", "url")
            assert (await ok(await strict_client.get("/webhooks")))["data"] == []

    async def test_target_check(self) -> None:
        with pytest.raises(UnsafeTarget):
            await check_target("http://192.168.1.1/", allow_private=False)
        await check_target("http://192.168.1.1/", allow_private=True)
        await check_target("https://93.184.215.14/", allow_private=False)

    async def test_a_send_connects_only_to_an_address_it_checked(
        self, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """DNS rebinding: a name that was public when the URL was saved answers 127.0.0.1
        when the send connects. The check happens in the connect, on the very address."""

        async def rebound(host: str, port: int) -> list[str]:
            return ["127.0.0.1"]

        monkeypatch.setattr(targets, "_addresses", rebound)
        url = f"http://rebinding.example:{receiver.port}/hooks"
        refused = await post(url, "{}", {}, allow_private=False)
        assert refused.status == 0
        assert "non-public address" in refused.response_body["error"]
        assert receiver.requests == 0
        # Allowed (development), it connects to the address resolved here: the name itself
        # resolves nowhere.
        await post(url, "{}", {}, allow_private=True)
        assert receiver.requests == 1

    async def test_another_companys_webhook_is_not_found(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        receiver: Receiver,
    ) -> None:
        webhook = await make_webhook(client, receiver)
        path = f"/webhooks/{webhook['id']}"
        assert_error(await other_client.get(path), 404, "resource_not_found", "id")
        assert_error(
            await other_client.patch(path, json={"enabled": False}), 404, "resource_not_found", "id"
        )
        assert_error(await other_client.delete(path), 404, "resource_not_found", "id")
        assert_error(await other_client.get(f"{path}/deliveries"), 404, "resource_not_found", "id")
        assert (await ok(await other_client.get("/webhooks")))["data"] == []
        assert (await webhook_now(client, webhook["id"]))["enabled"] is True


class TestDelivery:
    async def test_created_and_updated_arrive_signed(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        clock: ManualClock,
        tenant: Tenant,
    ) -> None:
        await make_webhook(client, receiver, events=["ad_campaign.created", "ad_campaign.updated"])
        campaign = await make_campaign(client, title="Spring launch")
        await runner.run_due()
        assert receiver.rejected == 0
        [created] = receiver.received
        body = created.body
        assert set(body) == ENVELOPE_KEYS
        assert created.headers["webhook-id"] == body["id"] and body["id"].startswith("whmsg_")
        assert body["type"] == "ad_campaign.created"
        assert (body["api_version"], body["api_version_date"]) == ("v1", None)
        assert body["account_id"] == tenant.company_id
        assert body["previous_attributes"] is None
        assert body["data"]["id"] == campaign["id"]
        assert "spend" not in body["data"] and "impressions" not in body["data"]
        assert body["data"]["title"] == "Spring launch"

        clock.advance(timedelta(minutes=1))
        await ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"title": "Summer"}))
        await runner.run_due()
        [_, updated] = receiver.received
        assert updated.body["type"] == "ad_campaign.updated"
        assert updated.body["data"]["title"] == "Summer"
        assert updated.body["previous_attributes"] == {
            "title": "Spring launch",
            "updated_at": campaign["updated_at"],
        }
        assert updated.body["id"] != body["id"]

    async def test_unsubscribed_events_are_not_sent(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad.created"])
        await make_campaign(client)
        await runner.run_due()
        assert receiver.requests == 0
        assert await deliveries(client, webhook["id"]) == []

    async def test_a_cookie_a_receiver_sets_is_never_sent_back(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner
    ) -> None:
        # Deliveries share one HTTP client across every company's endpoints.
        receiver.sets_cookie = True
        await make_webhook(client, receiver, events=["ad_campaign.created"])
        for _ in range(2):
            await make_campaign(client)
            await runner.run_due()
        assert len(receiver.received) == 2
        assert all("cookie" not in item.headers for item in receiver.received)

    async def test_data_in_the_pinned_version(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner
    ) -> None:
        await make_webhook(
            client, receiver, events=["ad_campaign.created"], api_version_date="2026-06-20"
        )
        campaign = await make_campaign(client)
        await runner.run_due()
        [pinned] = receiver.received
        assert pinned.body["api_version_date"] == "2026-06-20"
        # 2026-06-20 campaigns had no delivery_status (v2026_06_20.py).
        assert "delivery_status" in campaign
        assert "delivery_status" not in pinned.body["data"]
        assert pinned.body["data"]["id"] == campaign["id"]

    async def test_retries_until_it_succeeds(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        clock: ManualClock,
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        receiver.script = [500, 503]
        await make_campaign(client)
        await runner.run_due()
        failing = await webhook_now(client, webhook["id"])
        assert failing["consecutive_failures"] == 1
        assert failing["failing_since"] is not None
        assert (await ok(await client.get("/webhooks", params={"has_failures": True})))["data"][0][
            "id"
        ] == webhook["id"]

        # Not yet due: nothing is sent before the schedule says so.
        clock.advance(timedelta(seconds=RETRY_SCHEDULE[1] * 0.8 - 1))
        await runner.run_due()
        assert receiver.requests == 1
        clock.advance(longest_wait(1))
        await runner.run_due()
        assert receiver.requests == 2
        clock.advance(longest_wait(2))
        await runner.run_due()
        assert receiver.requests == 3

        attempts = await deliveries(client, webhook["id"])
        assert [a["response_code"] for a in attempts] == [200, 503, 500]
        assert [a["success"] for a in attempts] == [True, False, False]
        assert len({a["id"] for a in attempts}) == 3
        assert len({a["request_body"]["id"] for a in attempts}) == 1
        assert {r.headers["webhook-id"] for r in receiver.received} == {
            attempts[0]["request_body"]["id"]
        }
        assert attempts[0]["response_body"] == {"ok": True}
        healthy = await webhook_now(client, webhook["id"])
        assert (healthy["consecutive_failures"], healthy["failing_since"]) == (0, None)
        assert healthy["enabled"] is True

    async def test_a_redirect_is_a_failure(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner
    ) -> None:
        """Redirects are not followed (they could lead anywhere, private addresses too)."""
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        receiver.script = [302]
        await make_campaign(client)
        await runner.run_due()
        assert receiver.requests == 1
        [attempt] = await deliveries(client, webhook["id"])
        assert (attempt["response_code"], attempt["success"]) == (302, False)
        assert (await webhook_now(client, webhook["id"]))["consecutive_failures"] == 1

    async def test_an_unreachable_endpoint_is_a_failure(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        await ok(
            await client.patch(
                f"/webhooks/{webhook['id']}", json={"url": "http://127.0.0.1:9/closed"}
            )
        )
        await make_campaign(client)
        await runner.run_due()
        [attempt] = await deliveries(client, webhook["id"])
        assert (attempt["response_code"], attempt["success"]) == (0, False)
        assert set(attempt["response_body"]) == {"error", "raw_body"}

    async def test_410_disables_at_once(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        clock: ManualClock,
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        receiver.script = [410]
        await make_campaign(client)
        await runner.run_due()
        gone = await webhook_now(client, webhook["id"])
        assert (gone["enabled"], gone["disabled_reason"]) == (False, "endpoint_gone")
        assert gone["disabled_at"] is not None
        clock.advance(timedelta(days=4))
        await make_campaign(client)
        await runner.run_due()
        assert receiver.requests == 1

        enabled = await ok(await client.patch(f"/webhooks/{webhook['id']}", json={"enabled": True}))
        assert (enabled["enabled"], enabled["disabled_at"], enabled["disabled_reason"]) == (
            True,
            None,
            None,
        )
        assert (enabled["consecutive_failures"], enabled["failing_since"]) == (0, None)

    async def test_exhausted_retries_disable(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        clock: ManualClock,
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        receiver.default = 500
        await make_campaign(client)
        await runner.run_due()
        for attempt in range(1, len(RETRY_SCHEDULE)):
            clock.advance(longest_wait(attempt))
            await runner.run_due()
        assert receiver.requests == len(RETRY_SCHEDULE)
        disabled = await webhook_now(client, webhook["id"])
        assert (disabled["enabled"], disabled["disabled_reason"]) == (False, "delivery_failures")
        assert disabled["last_failure_at"] is not None
        assert disabled["consecutive_failures"] == 1
        assert len(await deliveries(client, webhook["id"])) == len(RETRY_SCHEDULE)
        clock.advance(timedelta(days=1))
        await runner.run_due()
        assert receiver.requests == len(RETRY_SCHEDULE)


class TestReplay:
    async def test_replay_one_keeps_the_id(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        clock: ManualClock,
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        await make_campaign(client)
        await runner.run_due()
        [original] = await deliveries(client, webhook["id"])
        clock.advance(timedelta(minutes=1))
        answer = await ok(
            await client.post(
                f"/webhooks/{webhook['id']}/deliveries/{original['id']}/replay", json={}
            )
        )
        assert answer == {"status": 200, "body": '{"ok": true}', "success": True}
        first, again = receiver.received
        assert again.headers["webhook-id"] == first.headers["webhook-id"]
        assert again.body == first.body
        [replay, _] = await deliveries(client, webhook["id"])
        assert replay["replayed_from"] == original["id"]
        assert original["replayed_from"] is None

        fresh = await ok(
            await client.post(
                f"/webhooks/{webhook['id']}/deliveries/{original['id']}/replay",
                json={"regenerate_id": True},
            )
        )
        assert fresh["success"] is True
        renamed = receiver.received[-1]
        assert renamed.headers["webhook-id"] != first.headers["webhook-id"]
        assert renamed.body["id"] == renamed.headers["webhook-id"]
        assert receiver.rejected == 0

    async def test_replay_unknown_delivery(
        self, client: httpx.AsyncClient, receiver: Receiver
    ) -> None:
        webhook = await make_webhook(client, receiver)
        response = await client.post(
            f"/webhooks/{webhook['id']}/deliveries/whdel_nothing/replay", json={}
        )
        assert_error(response, 404, "resource_not_found", "delivery_id")

    async def test_bulk_replay(
        self,
        client: httpx.AsyncClient,
        receiver: Receiver,
        runner: JobRunner,
        clock: ManualClock,
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        start = clock.now()
        await make_campaign(client, title="One")
        await make_campaign(client, title="Two")
        await runner.run_due()
        assert receiver.requests == 2
        clock.advance(timedelta(hours=1))
        answer = await ok(
            await client.post(
                f"/webhooks/{webhook['id']}/replay",
                json={"sent_after": (start - timedelta(minutes=1)).isoformat()},
            )
        )
        assert answer == {"queued": True}
        await runner.run_due()
        assert receiver.requests == 4
        first_ids = {r.headers["webhook-id"] for r in receiver.received[:2]}
        assert {r.headers["webhook-id"] for r in receiver.received[2:]} == first_ids
        attempts = await deliveries(client, webhook["id"])
        assert sum(1 for a in attempts if a["replayed_from"] is not None) == 2

        # failed_only: nothing failed, nothing is re-sent.
        await ok(
            await client.post(
                f"/webhooks/{webhook['id']}/replay",
                json={"sent_after": start.isoformat(), "failed_only": True},
            )
        )
        await runner.run_due()
        assert receiver.requests == 4


class TestTest:
    async def test_sends_a_sample(
        self, client: httpx.AsyncClient, receiver: Receiver, runner: JobRunner
    ) -> None:
        webhook = await make_webhook(client, receiver, events=["ad_campaign.created"])
        no_campaign = await client.post(
            f"/webhooks/{webhook['id']}/test", json={"event": "ad_campaign.payment_failed"}
        )
        assert_error(no_campaign, 400, "parameter_invalid", "event")
        campaign = await make_campaign(client)
        answer = await ok(
            await client.post(
                f"/webhooks/{webhook['id']}/test", json={"event": "ad_campaign.payment_failed"}
            )
        )
        assert answer == {"status": 200, "body": {"ok": True}, "success": True}
        [sample] = receiver.received
        assert sample.body["type"] == "ad_campaign.payment_failed"
        assert sample.body["data"]["id"] == campaign["id"]
        unknown = await client.post(
            f"/webhooks/{webhook['id']}/test", json={"event": "payment.succeeded"}
        )
        assert_error(unknown, 400, "parameter_invalid", "event[0]")
