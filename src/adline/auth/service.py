"""Issuing, revoking and checking API keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.models import ApiKey
from adline.auth.scopes import ALL_SCOPES
from adline.companies.models import Company
from adline.companies.service import get_company, owner_of
from adline.core.clock import Clock
from adline.core.errors import InvalidRequest, NotFound, Unauthorized
from adline.core.ids import new_id, random_base62

SECRET_PREFIX = "adl_sk_"
SECRET_RANDOM_LENGTH = 40


def hash_secret(secret: str) -> str:
    # Secrets carry ~238 bits of randomness, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its company and what it may do."""

    key_id: str
    company_id: str
    user_id: str | None
    scopes: frozenset[str]
    api_version_date: str | None
    # The company's reporting currency and time zone, read with the key to save a query.
    currency: str = "usd"
    timezone: str = "UTC"


async def create_api_key(
    session: AsyncSession,
    clock: Clock,
    *,
    company_id: str,
    scopes: list[str],
    name: str = "API key",
    api_version_date: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedKey:
    await get_company(session, company_id)
    unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
    if unknown:
        raise InvalidRequest(f"Unknown scope: {unknown[0]}.", param="scopes")
    owner = await owner_of(session, company_id)
    secret = SECRET_PREFIX + random_base62(SECRET_RANDOM_LENGTH)
    key = ApiKey(
        id=new_id("apik"),
        company_id=company_id,
        created_by_user_id=owner.id,
        name=name,
        secret_hash=hash_secret(secret),
        secret_last4=secret[-4:],
        scopes=list(dict.fromkeys(scopes)),
        api_version_date=api_version_date,
        expires_at=expires_at,
        created_at=clock.now(),
    )
    session.add(key)
    await session.flush()
    return IssuedKey(key=key, secret=secret)


async def list_api_keys(session: AsyncSession, company_id: str) -> list[ApiKey]:
    await get_company(session, company_id)
    statement = (
        select(ApiKey).where(ApiKey.company_id == company_id).order_by(ApiKey.created_at, ApiKey.id)
    )
    return list((await session.scalars(statement)).all())


async def revoke_api_key(session: AsyncSession, clock: Clock, key_id: str) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}.", param="id")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await session.flush()
    return key


async def authenticate(session: AsyncSession, clock: Clock, secret: str) -> Principal:
    row = (
        await session.execute(
            select(ApiKey, Company.currency, Company.timezone)
            .join(Company, Company.id == ApiKey.company_id)
            .where(ApiKey.secret_hash == hash_secret(secret))
        )
    ).first()
    if row is None or row[0].revoked_at is not None:
        raise Unauthorized("Invalid or revoked API key.")
    key, currency, timezone = row
    if key.expires_at is not None and key.expires_at <= clock.now():
        raise Unauthorized("This API key has expired.", code="expired_api_key")
    return Principal(
        key_id=key.id,
        company_id=key.company_id,
        user_id=key.created_by_user_id,
        scopes=frozenset(key.scopes),
        api_version_date=key.api_version_date,
        currency=currency,
        timezone=timezone,
    )


def ensure_own_account(principal: Principal, account_id: str | None, param: str) -> str:
    """An `account_id`/`company_id` parameter defaults to the key's company; another is a 404."""
    if account_id is None or account_id == principal.company_id:
        return principal.company_id
    raise NotFound(f"No account with id {account_id}.", param=param)
