"""Creating companies, each with the owner user that acts for its API keys."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.companies.models import Company, User
from adline.core.clock import Clock
from adline.core.errors import InvalidRequest, NotFound
from adline.core.ids import new_id

MAX_NAME_LENGTH = 200


def _username_for(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "", name.lower())[:40]
    return slug or "owner"


async def create_company(
    session: AsyncSession, clock: Clock, *, name: str, timezone: str = "UTC"
) -> tuple[Company, User]:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidRequest(
            f"Invalid value for name: must be 1 to {MAX_NAME_LENGTH} characters.", param="name"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            "Invalid value for timezone: not an IANA time zone.", param="timezone"
        ) from None
    now = clock.now()
    company = Company(
        id=new_id("biz"), name=name, timezone=timezone, currency="usd", created_at=now
    )
    owner = User(
        id=new_id("user"),
        company_id=company.id,
        name=f"{name} owner",
        username=_username_for(name),
        created_at=now,
    )
    session.add(company)
    await session.flush()
    session.add(owner)
    await session.flush()
    return company, owner


async def get_company(session: AsyncSession, company_id: str) -> Company:
    company = await session.get(Company, company_id)
    if company is None:
        raise NotFound(f"No company with id {company_id}.", param="company_id")
    return company


async def owner_of(session: AsyncSession, company_id: str) -> User:
    user = (
        await session.scalars(
            select(User).where(User.company_id == company_id).order_by(User.created_at).limit(1)
        )
    ).first()
    if user is None:
        raise NotFound(f"Company {company_id} has no users.")
    return user


async def any_company_exists(session: AsyncSession) -> bool:
    return (await session.scalars(select(Company.id).limit(1))).first() is not None
