"""An operator's signed correction of the company balance or a campaign's account, against
the outside world or the balance: a `correction` transaction, never below zero, once per
reference (docs/funding.md#corrections)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.errors import InvalidRequest, NotFound, ParameterMissing
from adline.funding import ledger, service
from adline.funding.errors import ReferenceReused
from adline.funding.limits import FUNDING_KINDS
from adline.funding.models import LedgerTransaction
from adline.funding.processor import ATTACHES_THEN_FAILS
from tests.conftest import Tenant
from tests.funding.helpers import account_balance, balance, correct, reconciled, transactions
from tests.funding.test_ledger import grant
from tests.hierarchy.builders import build_tree, ok


async def corrections(engine: AsyncEngine, company_id: str) -> list[LedgerTransaction]:
    return await transactions(engine, company_id, "correction")


async def funded(engine: AsyncEngine, company_id: str, campaign_id: str) -> int:
    """The campaign's funds as its delivery limit counts them (adline.funding.limits)."""
    async with create_sessionmaker(engine)() as session:
        account = await ledger.get_account(session, company_id, "campaign", campaign_id)
        assert account is not None
        return (await ledger.kind_sums(session, [account.id], FUNDING_KINDS))[account.id]


class TestTheBalance:
    async def test_against_the_outside_world_both_ways(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        added = await correct(
            engine, clock, poor.company_id, 25_000_000, "wire-7", reason="wire received"
        )
        clock.advance(timedelta(seconds=1))
        taken = await correct(
            engine, clock, poor.company_id, -10_000_000, "fix-8", reason="double entry"
        )

        assert (added.amount_micros, taken.amount_micros) == (25_000_000, -10_000_000)
        assert await balance(engine, poor.company_id) == 15_000_000
        assert await account_balance(engine, poor.company_id, "processor") == -15_000_000
        first, second = await corrections(engine, poor.company_id)
        assert first.memo == "correction of the company balance: wire received"
        assert (first.reference, second.reference) == (
            f"correction:{poor.company_id}:wire-7",
            f"correction:{poor.company_id}:fix-8",
        )
        assert first.ad_campaign_id is None
        assert await reconciled(engine, poor.company_id) == []

    async def test_never_below_zero(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        await grant(engine, clock, poor.company_id, 15_000_000)

        with pytest.raises(InvalidRequest) as refused:
            await correct(engine, clock, poor.company_id, -20_000_000, "too-much")

        assert refused.value.param == "amount"
        assert "the company balance holds $15.00" in refused.value.message
        assert "never takes a balance below zero" in refused.value.message
        assert await corrections(engine, poor.company_id) == []
        # Down to zero exactly is allowed.
        await correct(engine, clock, poor.company_id, -15_000_000, "all")
        assert await balance(engine, poor.company_id) == 0
        assert await reconciled(engine, poor.company_id) == []


class TestACampaign:
    async def test_against_the_outside_world(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client: httpx.AsyncClient,
    ) -> None:
        campaign_id = (await build_tree(poor_client)).campaign["id"]

        await correct(engine, clock, poor.company_id, 10_000_000, "c1", campaign_id=campaign_id)
        clock.advance(timedelta(seconds=1))

        assert await account_balance(engine, poor.company_id, "campaign", campaign_id) == 10_000_000
        assert await balance(engine, poor.company_id) == 0
        # Its delivery limit counts a correction as money in, and out.
        assert await funded(engine, poor.company_id, campaign_id) == 10_000_000
        with pytest.raises(InvalidRequest, match=rf"campaign {campaign_id} holds \$10\.00"):
            await correct(
                engine, clock, poor.company_id, -15_000_000, "c2", campaign_id=campaign_id
            )
        await correct(engine, clock, poor.company_id, -4_000_000, "c3", campaign_id=campaign_id)
        assert await funded(engine, poor.company_id, campaign_id) == 6_000_000
        [first, second] = await corrections(engine, poor.company_id)
        assert first.ad_campaign_id == second.ad_campaign_id == campaign_id
        assert await reconciled(engine, poor.company_id) == []

    async def test_against_the_company_balance(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client: httpx.AsyncClient,
    ) -> None:
        campaign_id = (await build_tree(poor_client)).campaign["id"]
        await grant(engine, clock, poor.company_id, 50_000_000)
        options = {"campaign_id": campaign_id, "against": "balance"}

        await correct(engine, clock, poor.company_id, 20_000_000, "in", **options)
        await correct(engine, clock, poor.company_id, -5_000_000, "back", **options)

        assert await balance(engine, poor.company_id) == 35_000_000
        assert await account_balance(engine, poor.company_id, "campaign", campaign_id) == 15_000_000
        with pytest.raises(InvalidRequest, match=r"the company balance holds \$35\.00"):
            await correct(engine, clock, poor.company_id, 40_000_000, "more", **options)
        with pytest.raises(InvalidRequest, match=rf"campaign {campaign_id} holds \$15\.00"):
            await correct(engine, clock, poor.company_id, -16_000_000, "less", **options)
        assert len(await corrections(engine, poor.company_id)) == 2
        # Nothing came from or went to the outside world.
        assert await account_balance(engine, poor.company_id, "processor") == -50_000_000
        assert await reconciled(engine, poor.company_id) == []

    async def test_money_behind_a_failed_campaign_brings_it_back(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client: httpx.AsyncClient,
        pages: httpx.AsyncClient,
    ) -> None:
        from tests.funding.helpers import checkout

        tree = await build_tree(poor_client)
        path = f"/ad_campaigns/{tree.campaign['id']}"
        await checkout(poor_client, pages, 0, card=ATTACHES_THEN_FAILS)
        await ok(await poor_client.patch(path, json={"status": "active"}))
        async with create_sessionmaker(engine)() as session, session.begin():
            await service.record_spend(
                session, clock, {tree.campaign["id"]: (poor.company_id, 30_000_000)}
            )
            await service.bill_thresholds(session, clock, company_id=poor.company_id)
        assert (await ok(await poor_client.get(path)))["status"] == "payment_failed"

        await correct(
            engine, clock, poor.company_id, 40_000_000, "goodwill", campaign_id=tree.campaign["id"]
        )

        assert (await ok(await poor_client.get(path)))["status"] == "active"
        assert await reconciled(engine, poor.company_id) == []


class TestRequests:
    async def test_the_same_reference_is_applied_once(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        first = await correct(engine, clock, poor.company_id, 5_000_000, "once")
        again = await correct(engine, clock, poor.company_id, 5_000_000, "once")

        assert (first.applied_now, again.applied_now) == (True, False)
        assert again.transaction.id == first.transaction.id
        assert await balance(engine, poor.company_id) == 5_000_000
        with pytest.raises(ReferenceReused) as reused:
            await correct(engine, clock, poor.company_id, -5_000_000, "once")
        assert reused.value.status_code == 409 and reused.value.param == "reference"
        assert await balance(engine, poor.company_id) == 5_000_000

    async def test_bad_input_changes_nothing(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        other_tenant: Tenant,
        poor_client: httpx.AsyncClient,
    ) -> None:
        campaign_id = (await build_tree(poor_client)).campaign["id"]
        with pytest.raises(InvalidRequest) as zero:
            await correct(engine, clock, poor.company_id, 0, "z")
        assert zero.value.param == "amount"
        for reason in ("", "   "):
            with pytest.raises(ParameterMissing) as missing:
                await correct(engine, clock, poor.company_id, 1_000_000, "r", reason=reason)
            assert missing.value.param == "reason"
        with pytest.raises(InvalidRequest) as long:
            await correct(engine, clock, poor.company_id, 1_000_000, "l", reason="x" * 121)
        assert long.value.param == "reason"
        with pytest.raises(InvalidRequest) as against:
            await correct(engine, clock, poor.company_id, 1_000_000, "a", against="network")
        assert against.value.param == "against"
        with pytest.raises(InvalidRequest, match="name a campaign"):
            await correct(engine, clock, poor.company_id, 1_000_000, "b", against="balance")
        with pytest.raises(ParameterMissing):
            await correct(engine, clock, poor.company_id, 1_000_000, "")
        with pytest.raises(NotFound) as other:
            await correct(
                engine, clock, other_tenant.company_id, 1_000_000, "o", campaign_id=campaign_id
            )
        assert other.value.param == "campaign"
        with pytest.raises(NotFound):
            await correct(engine, clock, "biz_00000000000000", 1_000_000, "n")
        assert await corrections(engine, poor.company_id) == []
        assert await corrections(engine, other_tenant.company_id) == []
        assert await balance(engine, poor.company_id) == 0
