"""The ledger: transactions sum to zero, balances are their entries' sums, concurrent
debits never take a balance below zero, and `adline funding reconcile` says so."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.auth.service import Principal
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.errors import InvalidRequest, PaymentRequired
from adline.funding import ledger, service
from adline.funding.models import LedgerAccount, LedgerEntry
from tests.conftest import Tenant
from tests.funding.helpers import balance, reconciled
from tests.hierarchy.builders import build_tree

ADLINE = str(Path(sys.executable).parent / "adline")


def principal_of(tenant: Tenant) -> Principal:
    return Principal(
        key_id=tenant.key_id,
        company_id=tenant.company_id,
        user_id=tenant.user_id,
        scopes=frozenset(),
        api_version_date=None,
    )


async def grant(engine: AsyncEngine, clock: ManualClock, company_id: str, micros: int) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await service.grant_balance(
            session, clock, company_id, micros, f"grant:{company_id}:{micros}", "test grant"
        )


class TestPost:
    async def test_entries_must_sum_to_zero(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            balance_account = await ledger.ensure_account(
                session, clock, poor.company_id, "company_balance"
            )
            outside = await ledger.ensure_account(session, clock, poor.company_id, "processor")
            with pytest.raises(ValueError, match="sum to zero"):
                await ledger.post(
                    session,
                    clock,
                    company_id=poor.company_id,
                    kind="topup",
                    legs=[ledger.Leg(outside, -5), ledger.Leg(balance_account, 4)],
                )

    async def test_a_reference_is_written_once(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        await grant(engine, clock, poor.company_id, 7_000_000)
        await grant(engine, clock, poor.company_id, 7_000_000)  # the same reference again
        assert await balance(engine, poor.company_id) == 7_000_000
        assert await reconciled(engine, poor.company_id) == []

    async def test_an_account_is_made_once(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            first = await ledger.ensure_account(session, clock, poor.company_id, "network_spend")
            again = await ledger.ensure_account(session, clock, poor.company_id, "network_spend")
        assert first.id == again.id and first.id.startswith("ldgr_")
        assert first.balance_micros is None  # the outside world keeps no cached balance

    async def test_accounts_are_made_once_and_answered_in_the_order_asked(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(ledger, "ACCOUNTS_CHUNK", 2)  # several statements' worth
        campaigns = [
            (await build_tree(poor_client, title=f"C{n}")).campaign["id"] for n in range(3)
        ]
        wanted = [
            ("campaign", campaigns[2]),
            ("network_spend", None),
            ("campaign", campaigns[0]),
            ("campaign", campaigns[1]),
        ]
        async with create_sessionmaker(engine)() as session, session.begin():
            made_first = await ledger.ensure_account(
                session, clock, poor.company_id, "campaign", campaigns[0]
            )
            accounts = await ledger.ensure_accounts(session, clock, poor.company_id, wanted)
        assert [(a.kind, a.ad_campaign_id) for a in accounts] == wanted
        assert accounts[2].id == made_first.id
        async with create_sessionmaker(engine)() as session, session.begin():
            again = await ledger.ensure_accounts(session, clock, poor.company_id, wanted[::-1])
        assert [a.id for a in again] == [a.id for a in accounts][::-1]
        assert [a.balance_micros for a in accounts] == [0, None, 0, 0]


class TestConcurrentDebits:
    async def test_two_credits_cannot_both_spend_the_balance(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client,  # type: ignore[no-untyped-def]
    ) -> None:
        trees = [await build_tree(poor_client, title=f"C{n}") for n in range(2)]
        await grant(engine, clock, poor.company_id, 10_000_000)
        sessions = create_sessionmaker(engine)

        async def credit(campaign_id: str) -> str:
            try:
                async with sessions() as session, session.begin():
                    await service.add_credits(
                        session, clock, principal_of(poor), campaign_id, 6_000_000
                    )
            except PaymentRequired:
                return "refused"
            return "credited"

        outcomes = await asyncio.gather(*(credit(tree.campaign["id"]) for tree in trees))

        assert sorted(outcomes) == ["credited", "refused"]
        assert await balance(engine, poor.company_id) == 4_000_000
        assert await reconciled(engine, poor.company_id) == []

    async def test_spend_of_the_same_campaigns_in_concurrent_transactions_all_lands(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client,  # type: ignore[no-untyped-def]
    ) -> None:
        """Each transaction locks the campaigns' accounts it moves, in one order whatever
        order they come in: none deadlocks, none is lost."""
        campaigns = [
            (await build_tree(poor_client, title=f"C{n}")).campaign["id"] for n in range(4)
        ]
        sessions = create_sessionmaker(engine)

        async def spend(order: list[str], micros: int) -> None:
            async with sessions() as session, session.begin():
                await service.record_spend(
                    session, clock, {campaign: (poor.company_id, micros) for campaign in order}
                )

        await asyncio.gather(
            *(spend(campaigns if n % 2 else campaigns[::-1], 1_000 * (n + 1)) for n in range(6))
        )
        async with sessions() as session:
            accounts = await ledger.ensure_accounts(
                session, clock, poor.company_id, [("campaign", c) for c in campaigns]
            )
        assert [a.balance_micros for a in accounts] == [-21_000] * 4
        assert await reconciled(engine, poor.company_id) == []


class TestReconcile:
    async def test_finds_a_tampered_balance_and_entry(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        cli_env: dict[str, str],
    ) -> None:
        await grant(engine, clock, poor.company_id, 5_000_000)
        clean = await asyncio.to_thread(
            subprocess.run,
            [ADLINE, "funding", "reconcile", "--company", poor.company_id],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert clean.returncode == 0, clean.stderr
        assert "the ledger balances" in clean.stdout

        async with create_sessionmaker(engine)() as session, session.begin():
            account = await ledger.get_account(session, poor.company_id, "company_balance")
            assert account is not None
            await session.execute(
                update(LedgerAccount)
                .where(LedgerAccount.id == account.id)
                .values(balance_micros=6_000_000)
            )
            await session.execute(
                update(LedgerEntry)
                .where(LedgerEntry.account_id == account.id)
                .values(amount_micros=5_000_001)
            )
        broken = await asyncio.to_thread(
            subprocess.run,
            [ADLINE, "funding", "reconcile", "--company", poor.company_id],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert broken.returncode == 1
        lines = broken.stdout.splitlines()
        assert len(lines) == 2, lines
        assert lines[0].startswith("mismatch: transaction ltxn_")
        assert "sum to 1 micros" in lines[0]
        assert f"account {account.id} (company_balance of {poor.company_id})" in lines[1]
        assert "cached balance 6000000 micros, entries sum to 5000001" in lines[1]


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("topup"), st.integers(0, 0), st.integers(1, 50_000_000)),
        st.tuples(st.just("credit"), st.integers(0, 1), st.integers(1, 50_000_000)),
        st.tuples(st.just("spend"), st.integers(0, 1), st.integers(-5_000_000, 30_000_000)),
        st.tuples(st.just("bill"), st.integers(0, 0), st.integers(1, 40_000_000)),
        st.tuples(st.just("pay"), st.integers(0, 0), st.integers(1_000_000, 50_000_000)),
        st.tuples(st.just("refund"), st.integers(0, 0), st.integers(1, 50_000_000)),
        # 0: the balance against the outside; 1: a campaign against the outside; 2: a
        # campaign against the balance.
        st.tuples(
            st.just("correct"),
            st.integers(0, 2),
            st.integers(-30_000_000, 30_000_000).filter(lambda micros: micros != 0),
        ),
    ),
    min_size=1,
    max_size=25,
)
TREES: dict[str, list[str]] = {}
PAID: dict[str, list[str]] = {}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
async def test_the_ledger_always_balances(
    engine: AsyncEngine,
    clock: ManualClock,
    poor: Tenant,
    poor_client,  # type: ignore[no-untyped-def]
    operations: list[tuple[str, int, int]],
) -> None:
    """Any mix of top-ups, credits (refused when short), spend reports (corrections down
    too), threshold billing, paid checkouts, refunds of them and operators' corrections
    (refused when they would take a balance below zero or refund too much): every
    transaction sums to zero, every cached balance is its entries' sum, and the company
    balance is never below zero."""
    if poor.company_id not in TREES:
        TREES[poor.company_id] = [
            (await build_tree(poor_client, title=f"P{n}")).campaign["id"] for n in range(2)
        ]
        async with create_sessionmaker(engine)() as session, session.begin():
            await service.save_test_card(session, clock, poor.company_id, "4242424242424242")
    campaigns = TREES[poor.company_id]
    paid = PAID.setdefault(poor.company_id, [])
    sessions = create_sessionmaker(engine)
    for kind, index, micros in operations:
        clock.advance(timedelta(microseconds=1))
        reference = f"op:{clock.now()}"
        async with sessions() as session, session.begin():
            if kind == "pay":
                made = await service.create_checkout_session(
                    session, clock, poor.company_id, micros, save=False
                )
                await service.pay_checkout(session, clock, made.id, "4242424242424242")
                paid.append(made.id)
            elif kind in ("refund", "correct"):
                try:
                    async with session.begin_nested():
                        if kind == "refund" and paid:
                            await service.refund_payment(
                                session, clock, poor.company_id, paid[-1], micros, reference
                            )
                        elif kind == "correct":
                            await service.post_correction(
                                session,
                                clock,
                                poor.company_id,
                                micros,
                                "property test",
                                reference,
                                campaign_id=None if index == 0 else campaigns[0],
                                against="balance" if index == 2 else "outside",
                            )
                except InvalidRequest:
                    pass
            elif kind == "topup":
                clock.advance(timedelta(microseconds=1))
                await service.grant_balance(
                    session, clock, poor.company_id, micros, f"t:{clock.now()}", "topup"
                )
            elif kind == "credit":
                try:
                    async with session.begin_nested():
                        await service.add_credits(
                            session, clock, principal_of(poor), campaigns[index], micros
                        )
                except PaymentRequired:
                    pass
            elif kind == "spend":
                await service.record_spend(
                    session, clock, {campaigns[index]: (poor.company_id, micros)}
                )
            else:
                await service.bill_thresholds(
                    session, clock, threshold_micros=micros, company_id=poor.company_id
                )
        assert await balance(engine, poor.company_id) >= 0
    assert await reconciled(engine, poor.company_id) == []
