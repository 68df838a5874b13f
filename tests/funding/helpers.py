"""Paying and crediting through the API and the checkout pages, as a company would."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import Clock
from adline.core.db import create_sessionmaker
from adline.funding import ledger, service
from adline.funding.models import LedgerTransaction
from adline.funding.processor import SUCCEEDS
from tests.hierarchy.builders import ok


async def checkout(
    client: httpx.AsyncClient,
    pages: httpx.AsyncClient,
    amount: float,
    card: str = SUCCEEDS,
    save: bool = True,
) -> dict[str, Any]:
    """A checkout made through the API and paid on its page; answers the API's object."""
    created = await ok(
        await client.post(
            "/checkout_sessions", json={"amount": amount, "save_payment_method": save}
        )
    )
    page = await pages.post(
        created["url"],
        content=f"card_number={card}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 200, page.text
    return await ok(await client.get(f"/checkout_sessions/{created['id']}"))


async def balance(engine: AsyncEngine, company_id: str) -> int:
    async with create_sessionmaker(engine)() as session:
        return await service.company_balance_micros(session, company_id)


async def transactions(engine: AsyncEngine, company_id: str, kind: str) -> list[LedgerTransaction]:
    """The company's ledger transactions of one kind, oldest first."""
    async with create_sessionmaker(engine)() as session:
        return list(
            await session.scalars(
                select(LedgerTransaction)
                .where(LedgerTransaction.company_id == company_id, LedgerTransaction.kind == kind)
                .order_by(LedgerTransaction.created_at, LedgerTransaction.id)
            )
        )


async def reconciled(engine: AsyncEngine, company_id: str | None = None) -> list[str]:
    async with create_sessionmaker(engine)() as session:
        return await ledger.reconcile(session, company_id)


async def bill(engine: AsyncEngine, clock: Clock, company_id: str) -> int:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await service.bill_thresholds(session, clock, company_id=company_id)


async def paid_checkout(
    engine: AsyncEngine, clock: Clock, company_id: str, micros: int, save: bool = False
) -> str:
    """A checkout made and paid with the 4242 card through the service; answers its id."""
    async with create_sessionmaker(engine)() as session, session.begin():
        made = await service.create_checkout_session(session, clock, company_id, micros, save)
        paid = await service.pay_checkout(session, clock, made.id, SUCCEEDS)
        assert paid.status == "complete", paid.last_error
        return paid.id


async def refund(
    engine: AsyncEngine,
    clock: Clock,
    company_id: str,
    payment_id: str,
    micros: int,
    reference: str,
    **options: Any,
) -> service.Posted:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await service.refund_payment(
            session, clock, company_id, payment_id, micros, reference, **options
        )


async def correct(
    engine: AsyncEngine,
    clock: Clock,
    company_id: str,
    micros: int,
    reference: str,
    reason: str = "operator fix",
    **options: Any,
) -> service.Posted:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await service.post_correction(
            session, clock, company_id, micros, reason, reference, **options
        )


async def account_balance(
    engine: AsyncEngine, company_id: str, kind: str, campaign_id: str | None = None
) -> int:
    """An account's balance as its entries sum it (0 before it has any)."""
    async with create_sessionmaker(engine)() as session:
        account = await ledger.get_account(session, company_id, kind, campaign_id)
        if account is None:
            return 0
        return (await ledger.entry_sums(session, [account.id]))[account.id]
