"""Migration 0023 copies the processor's charge id of payments recorded before it out of
their memos, so that they can be refunded too (docs/funding.md#refunds)."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.migrate import alembic_config
from adline.funding.models import CheckoutSession, LedgerTransaction
from tests.funding.helpers import paid_checkout, refund
from tests.funding.test_ledger import grant
from tests.own_store import database_url, engine

__all__ = ["database_url", "engine"]  # a store of its own: it is migrated down and up


async def processor_references(engine: AsyncEngine, company_id: str) -> dict[str, str | None]:
    async with create_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(LedgerTransaction.reference, LedgerTransaction.processor_reference).where(
                LedgerTransaction.company_id == company_id
            )
        )
        return {str(reference): processor for reference, processor in rows}


async def test_payments_from_before_it_become_refundable(
    database_url: str,
    engine: AsyncEngine,
    clock: ManualClock,
    make_tenant,  # type: ignore[no-untyped-def]
) -> None:
    tenant = await make_tenant(name="Migrated Co", funded=False)
    checkout_id = await paid_checkout(engine, clock, tenant.company_id, 20_000_000)
    await grant(engine, clock, tenant.company_id, 5_000_000)
    before = await processor_references(engine, tenant.company_id)
    charge_id = before[f"checkout:{checkout_id}"]
    assert charge_id is not None and charge_id.startswith("sim_ch_")

    # Back to 0022, whose rows had the charge id only in their memo, and up again.
    await engine.dispose()
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0022")
    await asyncio.to_thread(command.upgrade, config, "head")

    after = await processor_references(engine, tenant.company_id)
    assert after == {
        f"checkout:{checkout_id}": charge_id,
        f"grant:{tenant.company_id}:5000000": None,  # no payment: nothing to copy
    }
    async with create_sessionmaker(engine)() as session:
        checkout = await session.get(CheckoutSession, checkout_id)
        assert checkout is not None and checkout.transaction_id is not None
    posted = await refund(engine, clock, tenant.company_id, checkout_id, 20_000_000, "old")
    assert posted.transaction.refund_of_id == checkout.transaction_id
