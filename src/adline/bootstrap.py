"""Work the CLI does on the store outside a request: demo data, companies and keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.models import ApiKey
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import IssuedKey, create_api_key, list_api_keys, revoke_api_key
from adline.companies.models import Company
from adline.companies.service import any_company_exists, create_company
from adline.config import Settings
from adline.core.clock import Clock, SystemClock
from adline.core.db import create_engine, create_sessionmaker
from adline.funding.processor import SUCCEEDS
from adline.funding.service import grant_balance, save_test_card
from adline.versions import NEWEST

T = TypeVar("T")

DEMO_COMPANY_NAME = "Demo Company"
# The demo company's starting balance: $1,000 of demo credit.
DEMO_CREDIT_MICROS = 1_000_000_000


@dataclass(frozen=True)
class DemoAccount:
    company_id: str
    api_key: str


async def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


async def create_demo_if_empty(
    settings: Settings, clock: Clock | None = None
) -> DemoAccount | None:
    """On a store with no company, create the demo company and an all-scopes key (once)."""
    clock = clock or SystemClock()

    async def work(session: AsyncSession) -> DemoAccount | None:
        if await any_company_exists(session):
            return None
        company, _ = await create_company(session, clock, name=DEMO_COMPANY_NAME)
        # Money to play with (docs/funding.md#the-demo-company): a balance to add credits
        # from, and the simulated processor's always-succeeding test card for the rest.
        await grant_balance(
            session,
            clock,
            company.id,
            DEMO_CREDIT_MICROS,
            reference=f"demo-credit:{company.id}",
            memo="demo credit",
        )
        await save_test_card(session, clock, company.id, SUCCEEDS)
        # Pinned to the newest version, so the README's tour needs no version header.
        issued = await create_api_key(
            session,
            clock,
            company_id=company.id,
            scopes=list(ALL_SCOPES),
            name="Demo key",
            api_version_date=NEWEST,
        )
        return DemoAccount(company.id, issued.secret)

    return await in_transaction(settings, work)


async def store_is_empty(settings: Settings) -> bool:
    """Whether the (migrated) store holds no company."""

    async def work(session: AsyncSession) -> bool:
        return not await any_company_exists(session)

    return await in_transaction(settings, work)


async def new_company(settings: Settings, name: str, timezone: str) -> str:
    async def work(session: AsyncSession) -> str:
        company, _ = await create_company(session, SystemClock(), name=name, timezone=timezone)
        return company.id

    return await in_transaction(settings, work)


async def new_api_key(
    settings: Settings, company_id: str, scopes: list[str], name: str, api_version_date: str | None
) -> IssuedKey:
    async def work(session: AsyncSession) -> IssuedKey:
        return await create_api_key(
            session,
            SystemClock(),
            company_id=company_id,
            scopes=scopes,
            name=name,
            api_version_date=api_version_date,
        )

    return await in_transaction(settings, work)


async def all_companies(settings: Settings) -> list[tuple[Company, int]]:
    """Every company, oldest first, with how many of its keys are live (neither revoked
    nor expired)."""
    now = SystemClock().now()
    live_key = and_(
        ApiKey.company_id == Company.id,
        ApiKey.revoked_at.is_(None),
        or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
    )
    statement = (
        select(Company, func.count(ApiKey.id))
        .outerjoin(ApiKey, live_key)
        .group_by(Company.id)
        .order_by(Company.created_at, Company.id)
    )

    async def work(session: AsyncSession) -> list[tuple[Company, int]]:
        return [(company, count) for company, count in (await session.execute(statement)).all()]

    return await in_transaction(settings, work)


async def company_keys(settings: Settings, company_id: str) -> list[ApiKey]:
    async def work(session: AsyncSession) -> list[ApiKey]:
        return await list_api_keys(session, company_id)

    return await in_transaction(settings, work)


async def revoke_key(settings: Settings, key_id: str) -> None:
    async def work(session: AsyncSession) -> None:
        await revoke_api_key(session, SystemClock(), key_id)

    await in_transaction(settings, work)
