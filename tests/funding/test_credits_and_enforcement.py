"""Credits from the company balance, the 402 `payment_required`, funding as a condition of
launch and unpause, `payment_failed`, and the original shape's billing fields."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.companies.models import Company
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.funding.models import LedgerEntry, PaymentMethod
from adline.funding.processor import ATTACHES_THEN_FAILS
from adline.webhooks.models import WebhookEvent
from tests.conftest import Tenant
from tests.funding.helpers import balance, bill, checkout, reconciled
from tests.hierarchy.builders import build_tree, ok
from tests.stats.helpers import hour, store

ORIGINAL = {"Api-Version-Date": "2025-01-01"}


def assert_payment_required(response: httpx.Response, company_id: str) -> dict[str, Any]:
    assert response.status_code == 402, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"type", "message", "code", "param", "deposit_url"}
    assert (error["type"], error["code"], error["param"]) == ("payment_required", None, None)
    assert error["deposit_url"] == f"http://adline.test/checkout?account_id={company_id}"
    return error


async def entries(engine: AsyncEngine, company_id: str) -> int:
    async with create_sessionmaker(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(LedgerEntry))
    return int(count or 0)


async def spend(engine: AsyncEngine, clock: ManualClock, ad_id: str, micros: int) -> None:
    """The network reports `micros` more spend, in an hour of its own before now."""
    hours = len(SPENT.setdefault(ad_id, [])) + 1
    SPENT[ad_id].append(micros)
    start = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours)
    await store(engine, clock, [hour(ad_id, start, spend_micros=micros)])


SPENT: dict[str, list[int]] = {}


class TestCredits:
    async def test_short_balance_is_a_402_and_changes_nothing(
        self, poor_client: httpx.AsyncClient, engine: AsyncEngine, poor: Tenant
    ) -> None:
        tree = await build_tree(poor_client)
        before = await entries(engine, poor.company_id)

        response = await poor_client.post(
            f"/ad_campaigns/{tree.campaign['id']}/credits", json={"amount": 10}
        )

        error = assert_payment_required(response, poor.company_id)
        assert "$0.00" in error["message"] and "$10.00" in error["message"]
        assert await entries(engine, poor.company_id) == before
        assert await reconciled(engine, poor.company_id) == []

    async def test_credits_move_from_the_balance_to_the_campaign(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        poor: Tenant,
    ) -> None:
        tree = await build_tree(poor_client)
        await checkout(poor_client, pages, 100, save=False)

        answered = await ok(
            await poor_client.post(
                f"/ad_campaigns/{tree.campaign['id']}/credits", json={"amount": 30.25}
            )
        )

        assert answered["id"] == tree.campaign["id"]
        assert await balance(engine, poor.company_id) == 69_750_000
        original = await ok(
            await poor_client.get(f"/ad_campaigns/{tree.campaign['id']}", headers=ORIGINAL)
        )
        assert (original["total_credits"], original["remaining_balance"]) == (30.25, 30.25)
        assert original["billing_ledger_account"]["id"].startswith("ldgr_")
        assert original["payment_method"] is None
        # More than is left: refused whole.
        response = await poor_client.post(
            f"/ad_campaigns/{tree.campaign['id']}/credits", json={"amount": 69.76}
        )
        assert_payment_required(response, poor.company_id)
        assert await balance(engine, poor.company_id) == 69_750_000
        assert await reconciled(engine, poor.company_id) == []

    async def test_an_idempotency_key_credits_once(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        poor: Tenant,
    ) -> None:
        tree = await build_tree(poor_client)
        await checkout(poor_client, pages, 50, save=False)
        path = f"/ad_campaigns/{tree.campaign['id']}/credits"
        headers = {"Idempotency-Key": "credit-once"}

        first = await poor_client.post(path, json={"amount": 20}, headers=headers)
        second = await poor_client.post(path, json={"amount": 20}, headers=headers)

        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        assert await balance(engine, poor.company_id) == 30_000_000

    async def test_amounts_and_other_companies(
        self,
        poor_client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
    ) -> None:
        tree = await build_tree(poor_client)
        path = f"/ad_campaigns/{tree.campaign['id']}/credits"
        for amount in (0, 0.001, -1):
            response = await poor_client.post(path, json={"amount": amount})
            assert response.status_code == 400, amount
            assert response.json()["error"]["param"] == "amount"
        response = await other_client.post(path, json={"amount": 1})
        assert response.status_code == 404


class TestEnforcement:
    async def test_launch_needs_funds(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        poor: Tenant,
    ) -> None:
        tree = await build_tree(poor_client)
        path = f"/ad_campaigns/{tree.campaign['id']}"

        refused = await poor_client.patch(path, json={"status": "active"})

        assert_payment_required(refused, poor.company_id)
        assert (await ok(await poor_client.get(path)))["status"] == "draft"
        await checkout(poor_client, pages, 10, save=False)
        await ok(await poor_client.post(f"{path}/credits", json={"amount": 5}))
        launched = await ok(await poor_client.patch(path, json={"status": "active"}))
        assert launched["status"] == "active"

    async def test_a_working_card_is_enough(
        self, poor_client: httpx.AsyncClient, pages: httpx.AsyncClient
    ) -> None:
        tree = await build_tree(poor_client)
        await checkout(poor_client, pages, 0)
        path = f"/ad_campaigns/{tree.campaign['id']}"
        assert (await ok(await poor_client.patch(path, json={"status": "active"})))[
            "status"
        ] == "active"

    async def test_unpause_needs_funds_left(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
    ) -> None:
        tree = await build_tree(poor_client)
        path = f"/ad_campaigns/{tree.campaign['id']}"
        await checkout(poor_client, pages, 10, save=False)
        await ok(await poor_client.post(f"{path}/credits", json={"amount": 10}))
        await ok(await poor_client.patch(path, json={"status": "active"}))
        await ok(await poor_client.post(f"{path}/pause"))
        await spend(engine, clock, tree.ad["id"], 10_000_000)  # every credit spent

        assert_payment_required(await poor_client.post(f"{path}/unpause"), poor.company_id)
        original = await ok(await poor_client.get(path, headers=ORIGINAL))
        assert (original["total_credits"], original["remaining_balance"]) == (10.0, 0.0)
        assert await reconciled(engine, poor.company_id) == []

    async def test_companies_from_before_funding_launch_as_before(
        self, poor_client: httpx.AsyncClient, engine: AsyncEngine, poor: Tenant
    ) -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                update(Company).where(Company.id == poor.company_id).values(funding_required=False)
            )
        tree = await build_tree(poor_client)
        path = f"/ad_campaigns/{tree.campaign['id']}"
        assert (await ok(await poor_client.patch(path, json={"status": "active"})))[
            "status"
        ] == "active"


class TestPaymentFailed:
    async def test_a_failed_threshold_charge_stops_the_campaign_until_a_new_card(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
    ) -> None:
        await ok(
            await poor_client.post(
                "/webhooks",
                json={
                    "url": "https://93.184.216.34/adline",
                    "events": ["ad_campaign.payment_failed"],
                },
            )
        )
        tree = await build_tree(poor_client)
        path = f"/ad_campaigns/{tree.campaign['id']}"
        await checkout(poor_client, pages, 0, card=ATTACHES_THEN_FAILS)
        await ok(await poor_client.patch(path, json={"status": "active"}))

        await spend(engine, clock, tree.ad["id"], 24_990_000)
        assert await bill(engine, clock, poor.company_id) == 0  # under the threshold
        assert (await ok(await poor_client.get(path)))["status"] == "active"
        await spend(engine, clock, tree.ad["id"], 25_000_000)
        assert await bill(engine, clock, poor.company_id) == 0

        failed = await ok(await poor_client.get(path))
        assert (failed["status"], failed["delivery_status"]) == ("payment_failed", "payment_failed")
        async with create_sessionmaker(engine)() as session:
            card = (
                await session.scalars(
                    select(PaymentMethod).where(PaymentMethod.company_id == poor.company_id)
                )
            ).one()
            events = list(
                await session.scalars(
                    select(WebhookEvent.type).where(WebhookEvent.company_id == poor.company_id)
                )
            )
        assert card.status == "failed"
        assert events == ["ad_campaign.payment_failed"]
        # Unpausing is refused while it is payment_failed (fix billing first).
        assert (await poor_client.post(f"{path}/unpause")).status_code == 409
        original = await ok(await poor_client.get(path, headers=ORIGINAL))
        assert original["status"] == "payment_failed"

        # A working card recovers it; the next pass charges what it owes.
        clock.advance(timedelta(minutes=5))
        await checkout(poor_client, pages, 0)
        assert (await ok(await poor_client.get(path)))["status"] == "active"
        assert await bill(engine, clock, poor.company_id) == 1
        original = await ok(await poor_client.get(path, headers=ORIGINAL))
        assert original["remaining_balance"] == 0.0
        assert original["payment_method"]["id"].startswith("payt_")
        assert original["billing_ledger_account"] is None
        assert await reconciled(engine, poor.company_id) == []

    async def test_credits_recover_it_too(
        self,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
    ) -> None:
        tree = await build_tree(poor_client)
        path = f"/ad_campaigns/{tree.campaign['id']}"
        await checkout(poor_client, pages, 0, card=ATTACHES_THEN_FAILS)
        await ok(await poor_client.patch(path, json={"status": "active"}))
        await spend(engine, clock, tree.ad["id"], 30_000_000)
        await bill(engine, clock, poor.company_id)
        assert (await ok(await poor_client.get(path)))["status"] == "payment_failed"

        await checkout(poor_client, pages, 100, save=False)
        recovered = await ok(await poor_client.post(f"{path}/credits", json={"amount": 50}))

        assert recovered["status"] == "active"
        original = await ok(await poor_client.get(path, headers=ORIGINAL))
        # $50 of credits, $30 of it spent already.
        assert (original["total_credits"], original["remaining_balance"]) == (50.0, 20.0)
        assert await reconciled(engine, poor.company_id) == []

    async def test_a_good_card_is_charged_every_threshold(
        self,
        client: httpx.AsyncClient,
        engine: AsyncEngine,
        clock: ManualClock,
        tenant: Tenant,
    ) -> None:
        tree = await build_tree(client)
        path = f"/ad_campaigns/{tree.campaign['id']}"
        await ok(await client.patch(path, json={"status": "active"}))
        await spend(engine, clock, tree.ad["id"], 60_000_000)

        assert await bill(engine, clock, tenant.company_id) == 1
        assert await bill(engine, clock, tenant.company_id) == 0  # nothing owed any more
        assert (await ok(await client.get(path)))["status"] == "active"
        assert await reconciled(engine, tenant.company_id) == []


class TestOriginalShape:
    async def test_an_unfunded_campaign_reads_inactive_with_nothing_available(
        self, poor_client: httpx.AsyncClient, pages: httpx.AsyncClient, poor: Tenant
    ) -> None:
        created = await ok(
            await poor_client.post(
                "/ad_campaigns",
                headers=ORIGINAL,
                json={
                    "company_id": poor.company_id,
                    "config": {"conversion_goal": "purchase", "status": "active"},
                    "daily_budget": 6.9,
                    "platform": "meta",
                    "title": "Until funded",
                },
            )
        )
        assert created["status"] == "inactive"
        assert (created["available_budget"], created["remaining_balance"]) == (0.0, 0.0)
        assert created["payment_method"] is None and created["billing_ledger_account"] is None

        await checkout(poor_client, pages, 10, save=False)
        credited = await ok(
            await poor_client.post(
                f"/ad_campaigns/{created['id']}/credits", json={"amount": 3}, headers=ORIGINAL
            )
        )
        # The daily budget less today's spend, never more than the funds left.
        assert (credited["available_budget"], credited["total_credits"]) == (3.0, 3.0)
        assert credited["billing_ledger_account"]["id"].startswith("ldgr_")

    async def test_lists_load_funding_in_a_batch(
        self, poor_client: httpx.AsyncClient, pages: httpx.AsyncClient
    ) -> None:
        trees = [await build_tree(poor_client, title=f"C{n}") for n in range(3)]
        await checkout(poor_client, pages, 10, save=False)
        for n, tree in enumerate(trees):
            await ok(
                await poor_client.post(
                    f"/ad_campaigns/{tree.campaign['id']}/credits", json={"amount": n + 1}
                )
            )
        listed = await ok(await poor_client.get("/ad_campaigns", headers=ORIGINAL))
        credits = {item["id"]: item["total_credits"] for item in listed["data"]}
        assert credits == {tree.campaign["id"]: float(n + 1) for n, tree in enumerate(trees)}
