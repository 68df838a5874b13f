"""Issuing, revoking and checking API keys; the `/api_keys` resource's rules."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.models import ApiKey
from adline.auth.schemas import ApiKeyCreate, ApiKeyUpdate, Permissions
from adline.auth.scopes import ALL_SCOPES
from adline.companies.models import Company
from adline.companies.service import get_company, owner_of
from adline.core.clock import Clock
from adline.core.errors import (
    Forbidden,
    InvalidRequest,
    NotFound,
    ParameterMissing,
    Unauthorized,
)
from adline.core.ids import new_id, random_base62
from adline.core.listing import parse_optional_timestamp
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.core.versioning import VersionBundle

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
    ip_allowlist: list[str] | None = None,
    created_by_user_id: str | None = None,
    created_by_key_id: str | None = None,
) -> IssuedKey:
    """Store a new key (inputs already validated) and return it with its secret, once.

    `created_by_user_id` defaults to the company's owner (keys issued from the CLI).
    """
    await get_company(session, company_id)
    unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
    if unknown:
        raise InvalidRequest(f"Unknown scope: {unknown[0]}.", param="scopes")
    if created_by_user_id is None:
        created_by_user_id = (await owner_of(session, company_id)).id
    secret = SECRET_PREFIX + random_base62(SECRET_RANDOM_LENGTH)
    now = clock.now()
    key = ApiKey(
        id=new_id("apik"),
        company_id=company_id,
        created_by_user_id=created_by_user_id,
        created_by_key_id=created_by_key_id,
        name=name,
        secret_hash=hash_secret(secret),
        secret_last4=secret[-4:],
        scopes=list(dict.fromkeys(scopes)),
        api_version_date=api_version_date,
        ip_allowlist=ip_allowlist or None,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
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
        key.revoked_at = key.updated_at = clock.now()
        await session.flush()
        KEY_CACHE.clear()
    return key


def address_allowed(allowlist: Sequence[str], host: str | None) -> bool:
    """Is `host` (the peer's address) inside one of the allowlist's networks?

    An IPv4 peer seen on a dual-stack socket as `::ffff:a.b.c.d` is matched as `a.b.c.d`.
    No address, or one that does not parse, is outside every list.
    """
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    networks = [ipaddress.ip_network(network) for network in allowlist]
    return any(candidate in network for candidate in candidates for network in networks)


@dataclass(frozen=True)
class KnownKey:
    """What authenticating needs of a key and its company, as read at `read_at`."""

    key_id: str
    company_id: str
    user_id: str | None
    scopes: frozenset[str]
    api_version_date: str | None
    expires_at: datetime | None
    ip_allowlist: tuple[str, ...]
    currency: str
    timezone: str
    read_at: float
    # Set when the secret is the one a rotation replaced: it stops working at this instant.
    grace_ends_at: datetime | None = None


class KeyCache:
    """Keys this process authenticated lately, by secret hash, for at most `ttl` seconds.

    A revocation (or any change to a key) made in another process takes effect here within
    `ttl`; one made in this process clears the cache at once. Unknown and revoked keys are
    never cached, so a new key works at once. Bounded: the oldest entries go first.

    A miss while the same key is already being read joins that read (`read_through`): when
    an entry expires under many requests in flight, one of them reads the key, not all."""

    def __init__(self, ttl: float = 0.5, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._keys: OrderedDict[str, KnownKey] = OrderedDict()
        # Reads under way, by secret hash: a future of the key found, or of None when the
        # read found none or failed (a request that joined then reads for itself).
        self._reads: dict[str, asyncio.Future[KnownKey | None]] = {}
        # Moved by `clear`: a read begun before a change in this process is not cached.
        self._generation = 0

    async def read_through(
        self, secret_hash: str, read: Callable[[], Awaitable[KnownKey | None]]
    ) -> KnownKey | None:
        """The cached key, else the one a read under way finds (it began after the entry
        expired, so it is as fresh), else `read()`'s, cached."""
        known = self.get(secret_hash)
        if known is not None:
            return known
        loop = asyncio.get_running_loop()
        pending = self._reads.get(secret_hash)
        if pending is not None and pending.get_loop() is loop:
            known = await asyncio.shield(pending)
            if known is not None:
                return known
        generation = self._generation
        reading: asyncio.Future[KnownKey | None] = loop.create_future()
        self._reads[secret_hash] = reading
        known = None
        try:
            known = await read()
        finally:
            if self._reads.get(secret_hash) is reading:
                del self._reads[secret_hash]
            reading.set_result(known)
        if known is not None and generation == self._generation:
            self.put(secret_hash, known)
        return known

    def get(self, secret_hash: str) -> KnownKey | None:
        known = self._keys.get(secret_hash)
        if known is None or time.monotonic() - known.read_at > self.ttl:
            return None
        return known

    def put(self, secret_hash: str, known: KnownKey) -> None:
        self._keys[secret_hash] = known
        self._keys.move_to_end(secret_hash)
        while len(self._keys) > self.max_entries:
            self._keys.popitem(last=False)

    def clear(self) -> None:
        self._keys.clear()
        self._reads.clear()
        self._generation += 1


KEY_CACHE = KeyCache()
# A secret is the key's current one or, during a rotation's grace period, its previous one.
KEY_STATEMENT = (
    select(
        ApiKey.id,
        ApiKey.company_id,
        ApiKey.created_by_user_id,
        ApiKey.scopes,
        ApiKey.api_version_date,
        ApiKey.expires_at,
        ApiKey.ip_allowlist,
        Company.currency,
        Company.timezone,
        ApiKey.secret_hash,
        ApiKey.previous_secret_expires_at,
    )
    .join(Company, Company.id == ApiKey.company_id)
    .where(
        or_(
            ApiKey.secret_hash == bindparam("secret_hash"),
            ApiKey.previous_secret_hash == bindparam("secret_hash"),
        ),
        ApiKey.revoked_at.is_(None),
    )
)


async def _known_key(session: AsyncSession, secret_hash: str) -> KnownKey | None:
    return await KEY_CACHE.read_through(secret_hash, partial(_read_key, session, secret_hash))


async def _read_key(session: AsyncSession, secret_hash: str) -> KnownKey | None:
    row = (await session.execute(KEY_STATEMENT, {"secret_hash": secret_hash})).first()
    if row is None:
        return None
    known = KnownKey(
        key_id=row.id,
        company_id=row.company_id,
        user_id=row.created_by_user_id,
        scopes=frozenset(row.scopes),
        api_version_date=row.api_version_date,
        expires_at=row.expires_at,
        ip_allowlist=tuple(row.ip_allowlist or ()),
        currency=row.currency,
        timezone=row.timezone,
        read_at=time.monotonic(),
        # Not the current secret: the one the latest rotation replaced.
        grace_ends_at=None if row.secret_hash == secret_hash else row.previous_secret_expires_at,
    )
    return known


async def authenticate(
    session: AsyncSession, clock: Clock, secret: str, *, client_host: str | None
) -> Principal:
    """The caller behind `secret`, connecting from `client_host` (None when unknown).

    401 for an unknown, revoked or expired key, or a rotated-away secret past its grace
    period; 403 from outside its IP allowlist. Keys are read through `KEY_CACHE`: a
    revocation, update or rotation takes effect in every process within 0.5 s.
    """
    key = await _known_key(session, hash_secret(secret))
    if key is None:
        raise Unauthorized("Invalid or revoked API key.")
    return _checked_principal(key, clock, client_host)


async def authenticate_key_id(
    session: AsyncSession, clock: Clock, key_id: str, *, client_host: str | None
) -> Principal:
    """The caller behind the key `key_id`, checked as `authenticate` checks a secret (a
    signed-in browser, adline.web, holds the key's id, never its secret): 401 once the key
    is revoked or expired, 403 from outside its IP allowlist. Read afresh, not cached."""
    row = (
        await session.execute(
            select(*KEY_STATEMENT.selected_columns)
            .join(Company, Company.id == ApiKey.company_id)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        raise Unauthorized("Invalid or revoked API key.")
    key = KnownKey(
        key_id=row.id,
        company_id=row.company_id,
        user_id=row.created_by_user_id,
        scopes=frozenset(row.scopes),
        api_version_date=row.api_version_date,
        expires_at=row.expires_at,
        ip_allowlist=tuple(row.ip_allowlist or ()),
        currency=row.currency,
        timezone=row.timezone,
        read_at=time.monotonic(),
    )
    return _checked_principal(key, clock, client_host)


def _checked_principal(key: KnownKey, clock: Clock, client_host: str | None) -> Principal:
    now = clock.now()
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("This API key has expired.", code="expired_api_key")
    if key.grace_ends_at is not None and key.grace_ends_at <= now:
        raise Unauthorized(
            "This secret was replaced when the API key was rotated, and its grace period "
            f"ended at {format_timestamp(key.grace_ends_at)}; use the key's new secret.",
            code="expired_api_key",
        )
    if key.ip_allowlist and not address_allowed(key.ip_allowlist, client_host):
        raise Forbidden(
            f"This API key cannot be used from {client_host or 'an unknown address'}: "
            "the address is outside the key's IP allowlist.",
            code="ip_not_allowed",
        )
    return Principal(
        key_id=key.key_id,
        company_id=key.company_id,
        user_id=key.user_id,
        scopes=key.scopes,
        api_version_date=key.api_version_date,
        currency=key.currency,
        timezone=key.timezone,
    )


def ensure_own_account(principal: Principal, account_id: str | None, param: str) -> str:
    """An `account_id`/`company_id` parameter defaults to the key's company; another is a 404."""
    if account_id is None or account_id == principal.company_id:
        return principal.company_id
    raise NotFound(f"No account with id {account_id}.", param=param)


# -- the /api_keys resource --------------------------------------------------------------

ACCOUNT = "account"


def readable_api_keys(company_id: str) -> Select[ApiKey]:
    """The company's keys that still exist: a revoked (deleted) key reads as gone."""
    return select(ApiKey).where(ApiKey.company_id == company_id, ApiKey.revoked_at.is_(None))


async def retrieve_api_key(
    session: AsyncSession, principal: Principal, key_id: str, *, for_update: bool = False
) -> ApiKey:
    """The caller's company's key, or 404: the same answer for another company's and none."""
    statement = readable_api_keys(principal.company_id).where(ApiKey.id == key_id)
    if for_update:
        statement = statement.with_for_update()
    key = (await session.scalars(statement)).first()
    if key is None:
        raise NotFound(f"No API key with id {key_id}.", param="id")
    return key


def _owning_account(
    principal: Principal, resource_id: str | None, resource_type: str | None
) -> str:
    if resource_type not in (None, ACCOUNT):
        raise InvalidRequest(
            f"Invalid value for resource_type: Adline has no {resource_type} API keys; "
            "keys belong to an account (resource_type account).",
            param="resource_type",
        )
    return ensure_own_account(principal, resource_id, "resource_id")


def _granted_scopes(
    principal: Principal,
    company_id: str,
    permissions: Permissions,
    already_held: frozenset[str] = frozenset(),
) -> list[str]:
    """The scopes the statements grant, denials removed; the caller may grant only scopes it
    holds itself (403 `missing_scope` naming the action), or, on update, that the key being
    changed `already_held` (keeping a scope gives nobody anything new)."""
    if permissions.system_role is not None:
        raise InvalidRequest(
            "Invalid value for permissions.system_role: Adline has no system roles; "
            "send permissions.statements.",
            param="permissions.system_role",
        )
    if permissions.statements is None:
        raise ParameterMissing(
            "Missing required parameter: permissions.statements.",
            param="permissions.statements",
        )
    granted: list[str] = []
    denied: set[str] = set()
    for i, statement in enumerate(permissions.statements):
        for j, resource in enumerate(statement.resources or ()):
            if resource != company_id:
                raise InvalidRequest(
                    f"Invalid value for permissions.statements[{i}].resources[{j}]: Adline "
                    f"grants on the whole account only; omit resources or send {company_id}.",
                    param=f"permissions.statements[{i}].resources[{j}]",
                )
        for j, action in enumerate(statement.actions):
            if not statement.grant:
                denied.add(action)
                continue
            if action not in principal.scopes and action not in already_held:
                raise Forbidden(
                    f"This API key lacks {action}, so it cannot grant it to another key.",
                    param=f"permissions.statements[{i}].actions[{j}]",
                )
            granted.append(action)
    return [scope for scope in dict.fromkeys(granted) if scope not in denied]


def _version_pin(body: ApiKeyCreate, bundle: VersionBundle) -> str | None:
    """Omitted: the newest version (the client's "new keys default to the latest version");
    `null`: unpinned, so the key follows the server's default."""
    if "api_version_date" not in body.model_fields_set:
        return bundle.newest
    return _supported_version(body.api_version_date, bundle)


def _supported_version(value: str | None, bundle: VersionBundle) -> str | None:
    if value is not None and not bundle.is_supported(value):
        raise bundle.unsupported(value, "api_version_date")
    return value


def _future_expiry(expires_at: datetime | None, clock: Clock) -> datetime | None:
    if expires_at is not None and expires_at <= clock.now():
        raise InvalidRequest(
            "Invalid value for expires_at: must be in the future.", param="expires_at"
        )
    return expires_at


async def issue_api_key(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    body: ApiKeyCreate,
    bundle: VersionBundle,
) -> IssuedKey:
    """`POST /api_keys`: a key for the caller's own account, granting at most the caller's
    scopes."""
    company_id = _owning_account(principal, body.resource_id, body.resource_type)
    scopes = _granted_scopes(principal, company_id, body.permissions)
    api_version_date = _version_pin(body, bundle)
    _future_expiry(body.expires_at, clock)
    return await create_api_key(
        session,
        clock,
        company_id=company_id,
        scopes=scopes,
        name=body.name,
        api_version_date=api_version_date,
        expires_at=body.expires_at,
        ip_allowlist=list(dict.fromkeys(body.ip_allowlist or ())),
        created_by_user_id=principal.user_id,
        created_by_key_id=principal.key_id,
    )


@dataclass(frozen=True)
class ApiKeyFilters:
    resource_id: str | None = None
    resource_type: str | None = None
    created_before: str | None = None
    created_after: str | None = None
    order: str = "created_at"
    direction: Direction = "desc"


async def list_company_api_keys(
    session: AsyncSession, principal: Principal, filters: ApiKeyFilters, page: PageRequest
) -> Page[ApiKey]:
    company_id = _owning_account(principal, filters.resource_id, filters.resource_type)
    statement = readable_api_keys(company_id)
    before = parse_optional_timestamp(filters.created_before, "created_before")
    after = parse_optional_timestamp(filters.created_after, "created_after")
    if before is not None:
        statement = statement.where(ApiKey.created_at < before)
    if after is not None:
        statement = statement.where(ApiKey.created_at > after)
    return await paginate(
        session,
        statement,
        model=ApiKey,
        order=filters.order,
        direction=filters.direction,
        page=page,
    )


async def delete_api_key(
    session: AsyncSession, clock: Clock, principal: Principal, key_id: str
) -> str:
    """`DELETE /api_keys/{id}` revokes: the secret stops authenticating and the key reads as
    gone (404). A key may delete itself."""
    key = await retrieve_api_key(session, principal, key_id, for_update=True)
    key.revoked_at = key.updated_at = clock.now()
    await session.flush()
    KEY_CACHE.clear()
    return key.id


async def update_api_key(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    key_id: str,
    body: ApiKeyUpdate,
    bundle: VersionBundle,
) -> ApiKey:
    """`PATCH /api_keys/{id}`: change what was sent, keep the rest.

    Everything is checked before anything is written, so a refused update changes nothing.
    `permissions` replaces the key's scopes: it may keep or drop any, and add only scopes
    the caller holds (403 `missing_scope` naming the action, as on create). `null` for
    `api_version_date`, `expires_at` or `ip_allowlist` clears it (unpinned, never expires,
    any address); `null` for `name` or `permissions` is 400: a key always has both."""
    key = await retrieve_api_key(session, principal, key_id, for_update=True)
    sent = body.model_fields_set
    for required in ("name", "permissions"):
        if required in sent and getattr(body, required) is None:
            raise InvalidRequest(
                f"Invalid value for {required}: it cannot be null; omit it to keep the key's.",
                param=required,
            )
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.permissions is not None:
        changes["scopes"] = _granted_scopes(
            principal, key.company_id, body.permissions, frozenset(key.scopes)
        )
    if "api_version_date" in sent:
        changes["api_version_date"] = _supported_version(body.api_version_date, bundle)
    if "expires_at" in sent:
        changes["expires_at"] = _future_expiry(body.expires_at, clock)
    if "ip_allowlist" in sent:
        changes["ip_allowlist"] = list(dict.fromkeys(body.ip_allowlist or ())) or None
    changed = {name: value for name, value in changes.items() if getattr(key, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(key, name, value)
        key.updated_at = clock.now()
        await session.flush()
        # At once here; other processes' caches keep the old key at most KEY_CACHE.ttl.
        KEY_CACHE.clear()
    return key


async def rotate_api_key(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    key_id: str,
    grace_period: timedelta,
) -> IssuedKey:
    """`POST /api_keys/{id}/rotate`: a new secret, returned once; the old one keeps working
    for `grace_period` (zero: it stops at once), then answers 401 `expired_api_key`.

    Rotating hands the caller a working secret of the key, so the caller must hold every
    scope that key holds (403 `missing_scope` naming the first it lacks): rotation is never
    a way to a key with more power. Only the latest rotation's old secret is kept: a second
    rotation ends the first one's grace period at once. A key may rotate itself."""
    key = await retrieve_api_key(session, principal, key_id, for_update=True)
    for scope in key.scopes:
        if scope not in principal.scopes:
            raise Forbidden(
                f"This API key lacks {scope}, which {key.id} holds, so it cannot rotate it.",
                param="id",
            )
    now = clock.now()
    secret = SECRET_PREFIX + random_base62(SECRET_RANDOM_LENGTH)
    if grace_period > timedelta(0):
        key.previous_secret_hash = key.secret_hash
        key.previous_secret_expires_at = now + grace_period
    else:
        key.previous_secret_hash = key.previous_secret_expires_at = None
    key.secret_hash = hash_secret(secret)
    key.secret_last4 = secret[-4:]
    key.updated_at = now
    await session.flush()
    KEY_CACHE.clear()
    return IssuedKey(key=key, secret=secret)


def obfuscated_secret(key: ApiKey) -> str:
    return f"{SECRET_PREFIX}...{key.secret_last4}"


def present_api_key(key: ApiKey, secret: str | None = None) -> dict[str, Any]:
    """The newest-shape ApiKey. `secret` is given only when the key was just issued."""
    held = set(key.scopes)
    return {
        "id": key.id,
        "name": key.name,
        "obfuscated_secret_key": obfuscated_secret(key),
        "secret_key": secret,
        "api_version_date": key.api_version_date,
        "expires_at": None if key.expires_at is None else format_timestamp(key.expires_at),
        "ip_allowlist": key.ip_allowlist,
        # Keys hold scopes on their whole account: one grant, every known action with
        # whether the key holds it.
        "grants": [
            {
                "resource_id": key.company_id,
                "resource_type": ACCOUNT,
                "actions": [{"action": scope, "granted": scope in held} for scope in ALL_SCOPES],
            }
        ],
        "system_role": None,
        "is_default_for_resource": False,
        "created_at": format_timestamp(key.created_at),
        "updated_at": format_timestamp(key.updated_at),
    }
