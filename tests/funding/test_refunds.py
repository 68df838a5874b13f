"""An operator's refund of a payment (a paid checkout, a card charge) to its card: at most
what it took less earlier refunds, at most the unspent company balance, once per
reference, through the processor (docs/funding.md#refunds)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.errors import InvalidRequest, NotFound, ParameterMissing
from adline.funding import ledger, service
from adline.funding.errors import ReferenceReused, RefundFailed
from adline.funding.models import CheckoutSession, LedgerTransaction
from adline.funding.processor import SUCCEEDS, RefundResult, SimulatedProcessor
from tests.conftest import Tenant
from tests.funding.helpers import (
    account_balance,
    balance,
    correct,
    paid_checkout,
    reconciled,
    refund,
    transactions,
)
from tests.funding.test_ledger import grant, principal_of
from tests.hierarchy.builders import build_tree


async def payment_of(engine: AsyncEngine, checkout_id: str) -> str:
    async with create_sessionmaker(engine)() as session:
        checkout = await session.get(CheckoutSession, checkout_id)
        assert checkout is not None and checkout.transaction_id is not None
        return checkout.transaction_id


async def refunds(engine: AsyncEngine, company_id: str) -> list[LedgerTransaction]:
    return await transactions(engine, company_id, "payment_refund")


class Refusing(SimulatedProcessor):
    """A processor that refuses every refund (a disputed charge)."""

    def refund(
        self, *, charge_reference: str, amount_micros: int, idempotency_key: str
    ) -> RefundResult:
        return RefundResult(
            succeeded=False,
            failure_code="charge_disputed",
            failure_message="The charge is disputed.",
        )


class TestRefundPayment:
    async def test_a_paid_checkout_goes_back_to_its_card(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        checkout_id = await paid_checkout(engine, clock, poor.company_id, 100_000_000)

        posted = await refund(
            engine, clock, poor.company_id, checkout_id, 40_000_000, "ticket-1", reason="unused"
        )

        assert posted.applied_now and posted.amount_micros == 40_000_000
        [made] = await refunds(engine, poor.company_id)
        assert made.id == posted.transaction.id
        assert made.refund_of_id == await payment_of(engine, checkout_id)
        assert made.processor_reference is not None
        assert made.processor_reference.startswith("sim_re_")
        assert made.reference == f"refund:{poor.company_id}:ticket-1"
        assert "unused" in made.memo and checkout_id in made.memo
        assert await balance(engine, poor.company_id) == 60_000_000
        # The outside world has received back what it had paid in, less the rest.
        assert await account_balance(engine, poor.company_id, "processor") == -60_000_000
        assert await reconciled(engine, poor.company_id) == []

    async def test_the_same_reference_is_applied_once(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        checkout_id = await paid_checkout(engine, clock, poor.company_id, 100_000_000)
        first = await refund(engine, clock, poor.company_id, checkout_id, 40_000_000, "t-1")
        again = await refund(engine, clock, poor.company_id, checkout_id, 40_000_000, "t-1")

        assert (first.applied_now, again.applied_now) == (True, False)
        assert again.transaction.id == first.transaction.id
        assert len(await refunds(engine, poor.company_id)) == 1
        assert await balance(engine, poor.company_id) == 60_000_000

        # The same reference for another refund is refused, not applied as the first.
        with pytest.raises(ReferenceReused) as reused:
            await refund(engine, clock, poor.company_id, checkout_id, 30_000_000, "t-1")
        assert reused.value.param == "reference" and first.transaction.id in reused.value.message
        assert await balance(engine, poor.company_id) == 60_000_000

    async def test_at_most_what_was_paid_less_earlier_refunds(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        checkout_id = await paid_checkout(engine, clock, poor.company_id, 100_000_000)
        other_id = await paid_checkout(engine, clock, poor.company_id, 50_000_000)
        await refund(engine, clock, poor.company_id, checkout_id, 70_000_000, "a")

        # The balance holds $80, but this payment has only $30 left to give back.
        with pytest.raises(InvalidRequest) as refused:
            await refund(engine, clock, poor.company_id, checkout_id, 40_000_000, "b")
        assert refused.value.param == "amount"
        assert "at most $30.00" in refused.value.message
        assert "$100.00 paid, $70.00 refunded before" in refused.value.message

        # Named by its top-up transaction, the payment is the same one.
        payment = await payment_of(engine, checkout_id)
        await refund(engine, clock, poor.company_id, payment, 30_000_000, "c")
        with pytest.raises(InvalidRequest, match=r"at most \$0\.00"):
            await refund(engine, clock, poor.company_id, checkout_id, 10_000, "d")
        # Other payments' refunds are their own.
        await refund(engine, clock, poor.company_id, other_id, 50_000_000, "e")
        assert await balance(engine, poor.company_id) == 0
        assert len(await refunds(engine, poor.company_id)) == 3
        assert await reconciled(engine, poor.company_id) == []

    async def test_money_given_to_campaigns_is_not_refundable(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client: httpx.AsyncClient,
    ) -> None:
        tree = await build_tree(poor_client)
        checkout_id = await paid_checkout(engine, clock, poor.company_id, 100_000_000)
        async with create_sessionmaker(engine)() as session, session.begin():
            await service.add_credits(
                session, clock, principal_of(poor), tree.campaign["id"], 80_000_000
            )

        with pytest.raises(InvalidRequest) as refused:
            await refund(engine, clock, poor.company_id, checkout_id, 50_000_000, "r")

        assert refused.value.param == "amount"
        message = refused.value.message
        assert "holds $20.00" in message and "not refundable" in message
        assert await refunds(engine, poor.company_id) == []
        assert await balance(engine, poor.company_id) == 20_000_000
        # What is left unspent can go back.
        await refund(engine, clock, poor.company_id, checkout_id, 20_000_000, "r2")
        assert await balance(engine, poor.company_id) == 0
        assert await reconciled(engine, poor.company_id) == []

    async def test_a_card_charge_is_refunded_once_its_money_is_back_on_the_balance(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client: httpx.AsyncClient,
    ) -> None:
        tree = await build_tree(poor_client)
        campaign_id = tree.campaign["id"]
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            await service.save_test_card(session, clock, poor.company_id, SUCCEEDS)
            await service.record_spend(session, clock, {campaign_id: (poor.company_id, 30_000_000)})
            assert await service.bill_thresholds(session, clock, company_id=poor.company_id) == 1
            # The network later refunds $10 of that spend (a report corrected down).
            await service.record_spend(
                session, clock, {campaign_id: (poor.company_id, -10_000_000)}
            )
            [charge] = await session.scalars(
                select(LedgerTransaction).where(
                    LedgerTransaction.company_id == poor.company_id,
                    LedgerTransaction.kind == "charge",
                )
            )
        assert charge.processor_reference is not None

        # The $10 sits in the campaign's account: not refundable until moved back.
        with pytest.raises(InvalidRequest, match=r"holds \$0\.00"):
            await refund(engine, clock, poor.company_id, charge.id, 10_000_000, "ch-1")
        await correct(
            engine,
            clock,
            poor.company_id,
            -10_000_000,
            "move-back",
            reason="network refund of invalid clicks",
            campaign_id=campaign_id,
            against="balance",
        )
        posted = await refund(engine, clock, poor.company_id, charge.id, 10_000_000, "ch-1")

        assert posted.transaction.refund_of_id == charge.id
        assert await balance(engine, poor.company_id) == 0
        assert await account_balance(engine, poor.company_id, "campaign", campaign_id) == 0
        # Paid $30 by card, $10 of it back: the outside world is owed nothing more.
        assert await account_balance(engine, poor.company_id, "processor") == -20_000_000
        assert await reconciled(engine, poor.company_id) == []

    async def test_what_is_not_a_processor_payment_is_refused(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        other_tenant: Tenant,
    ) -> None:
        await grant(engine, clock, poor.company_id, 9_000_000)
        async with create_sessionmaker(engine)() as session, session.begin():
            [granted] = await session.scalars(
                select(LedgerTransaction).where(LedgerTransaction.company_id == poor.company_id)
            )
            unpaid = await service.create_checkout_session(
                session, clock, poor.company_id, 5_000_000, save=False
            )
        others = await paid_checkout(engine, clock, other_tenant.company_id, 5_000_000)

        with pytest.raises(InvalidRequest, match="not a payment through the processor"):
            await refund(engine, clock, poor.company_id, granted.id, 1_000_000, "g")
        with pytest.raises(InvalidRequest, match="took no payment"):
            await refund(engine, clock, poor.company_id, unpaid.id, 1_000_000, "u")
        for missing in (others, await payment_of(engine, others), "cs_00000000000000", "x"):
            with pytest.raises(NotFound) as not_found:
                await refund(engine, clock, poor.company_id, missing, 1_000_000, "n")
            assert not_found.value.param == "payment"
        assert await refunds(engine, poor.company_id) == []
        assert await balance(engine, poor.company_id) == 9_000_000

    async def test_bad_input_changes_nothing(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        checkout_id = await paid_checkout(engine, clock, poor.company_id, 10_000_000)
        for micros in (0, -1_000_000):
            with pytest.raises(InvalidRequest) as refused:
                await refund(engine, clock, poor.company_id, checkout_id, micros, "x")
            assert refused.value.param == "amount"
        with pytest.raises(ParameterMissing):
            await refund(engine, clock, poor.company_id, checkout_id, 1_000_000, "  ")
        for reference, reason in (("r" * 101, ""), ("tab\there", ""), ("ok", "why" * 60)):
            with pytest.raises(InvalidRequest):
                await refund(
                    engine, clock, poor.company_id, checkout_id, 1_000_000, reference, reason=reason
                )
        assert await refunds(engine, poor.company_id) == []
        assert await balance(engine, poor.company_id) == 10_000_000

    async def test_a_refund_the_processor_refuses_writes_nothing(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        checkout_id = await paid_checkout(engine, clock, poor.company_id, 10_000_000)

        with pytest.raises(RefundFailed) as refused:
            await refund(
                engine, clock, poor.company_id, checkout_id, 4_000_000, "p", pay_with=Refusing()
            )

        assert refused.value.status_code == 409 and refused.value.code == "refund_failed"
        assert "disputed" in refused.value.message
        assert await refunds(engine, poor.company_id) == []
        assert await balance(engine, poor.company_id) == 10_000_000
        # Nothing was recorded under the reference: once the processor agrees, it is applied.
        posted = await refund(engine, clock, poor.company_id, checkout_id, 4_000_000, "p")
        assert posted.applied_now

    async def test_concurrent_refunds_cannot_both_take_the_same_money(
        self, engine: AsyncEngine, clock: ManualClock, poor: Tenant
    ) -> None:
        checkout_id = await paid_checkout(engine, clock, poor.company_id, 100_000_000)

        async def attempt(reference: str) -> str:
            try:
                await refund(engine, clock, poor.company_id, checkout_id, 60_000_000, reference)
            except InvalidRequest:
                return "refused"
            return "refunded"

        outcomes = await asyncio.gather(attempt("one"), attempt("two"))

        assert sorted(outcomes) == ["refunded", "refused"]
        assert await balance(engine, poor.company_id) == 40_000_000
        assert await reconciled(engine, poor.company_id) == []

    async def test_the_ledger_never_refunds_out_of_a_campaign(
        self,
        engine: AsyncEngine,
        clock: ManualClock,
        poor: Tenant,
        poor_client: httpx.AsyncClient,
    ) -> None:
        tree = await build_tree(poor_client)
        async with create_sessionmaker(engine)() as session, session.begin():
            account = await ledger.ensure_account(
                session, clock, poor.company_id, "campaign", tree.campaign["id"]
            )
            outside = await ledger.ensure_account(session, clock, poor.company_id, "processor")
            with pytest.raises(ValueError, match="never a campaign"):
                await ledger.post(
                    session,
                    clock,
                    company_id=poor.company_id,
                    kind="payment_refund",
                    legs=[ledger.Leg(account, -1), ledger.Leg(outside, 1)],
                )
            count = await session.scalar(
                select(func.count())
                .select_from(LedgerTransaction)
                .where(LedgerTransaction.company_id == poor.company_id)
            )
        assert count == 0
