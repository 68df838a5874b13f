"""Network connection rules: add (the token is checked first), read, replace the token or
page, remove; a broken token and its fix; which connection a company's delivery uses.
Services only flush; the request owns the transaction. See docs/connections.md.

A company has at most one connection per platform. Without an active one there, it runs
on the simulated network, every company's default: `connection_for` answers None.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal, ensure_own_account
from adline.campaigns.models import AdCampaign
from adline.companies.models import Company
from adline.connections.checker import ConnectionCheck, ConnectionChecker
from adline.connections.models import ExternalAccount, NetworkConnection, NetworkObject
from adline.connections.schemas import NetworkConnectionCreate, NetworkConnectionUpdate
from adline.core.clock import Clock
from adline.core.db import lock_row
from adline.core.encryption import TokenCipher
from adline.core.errors import (
    AdPlatformUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
)
from adline.core.ids import is_well_formed_id, new_id
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.delivery.adapter import AdapterError
from adline.issues.models import PlatformIssue
from adline.issues.service import IssueReport, report_issue
from adline.networks.base import NetworkCredentials

ID_PREFIX = "netc"
PLATFORM_NAMES = {"meta": "Meta", "tiktok": "TikTok"}
# The external accounts each network's ads run under.
ACCOUNT_PLATFORMS = {"meta": ("facebook", "instagram"), "tiktok": ("tiktok",)}
AD_ACCOUNT_IDS = {
    "meta": (re.compile(r"act_[0-9]{1,20}"), "Meta's ad account id: act_ then digits"),
    "tiktok": (re.compile(r"[0-9]{6,20}"), "TikTok's advertiser id: 6 to 20 digits"),
}


class ConnectionTaken(Conflict):
    code = "network_connection_already_exists"


class TokenRefused(InvalidRequest):
    code = "access_token_refused"


def readable_connections(company_id: str) -> Select[NetworkConnection]:
    """The company's connections: every query starts here."""
    return select(NetworkConnection).where(NetworkConnection.company_id == company_id)


async def get_connection(
    session: AsyncSession, company_id: str, connection_id: str, *, for_update: bool = False
) -> NetworkConnection:
    """The company's connection, or 404: the same answer for another company's and none."""
    connection = None
    if is_well_formed_id(connection_id):
        statement = readable_connections(company_id).where(NetworkConnection.id == connection_id)
        if for_update:
            # Read again under the lock, even when the session already holds the row.
            statement = statement.with_for_update().execution_options(populate_existing=True)
        connection = (await session.scalars(statement)).first()
    if connection is None:
        raise NotFound(f"No network connection with id {connection_id}.", param="id")
    return connection


async def connection_for(
    session: AsyncSession, company_id: str, platform: str
) -> NetworkConnection | None:
    """The company's active real connection on `platform`, or None: the simulated network
    (the default). A broken connection answers None too, but the worker must not fall
    back to the simulator for it: see `is_broken` and docs/connections.md#delivery."""
    return (
        await session.scalars(
            readable_connections(company_id).where(
                NetworkConnection.platform == platform, NetworkConnection.status == "active"
            )
        )
    ).first()


async def is_broken(session: AsyncSession, company_id: str, platform: str) -> bool:
    """Has the company a connection on `platform` whose token no longer works? Syncing
    that platform stops until the token is replaced."""
    found = await session.scalar(
        select(NetworkConnection.id).where(
            NetworkConnection.company_id == company_id,
            NetworkConnection.platform == platform,
            NetworkConnection.status == "broken",
        )
    )
    return found is not None


def credentials(connection: NetworkConnection, cipher: TokenCipher) -> NetworkCredentials:
    """What a real adapter is built from; the token in the clear: never for an answer or a
    log."""
    return NetworkCredentials(
        platform=connection.platform,
        account_id=connection.ad_account_id,
        access_token=cipher.open(connection.access_token_sealed),
        page_id=connection.page_id,
    )


def _check_ad_account(platform: str, ad_account_id: str) -> None:
    pattern, shape = AD_ACCOUNT_IDS[platform]
    if not pattern.fullmatch(ad_account_id):
        raise InvalidRequest(
            f"Invalid value for external_id: {ad_account_id!r} is not {shape}.",
            param="external_id",
        )


async def check_token(checker: ConnectionChecker, wanted: NetworkCredentials) -> ConnectionCheck:
    """Ask the network; a refused token is a 400 (nothing is stored), an unanswered check
    a 503."""
    try:
        check = await checker.check(wanted)
    except AdapterError as error:
        raise AdPlatformUnavailable(
            f"The ad platform could not check the access token: {error}. Try again later."
        ) from error
    if not check.accepted:
        raise TokenRefused(
            f"{PLATFORM_NAMES[wanted.platform]} refused the access token for "
            f"{wanted.account_id}: {check.error_message}",
            param="access_token",
        )
    return check


async def create_connection(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    checker: ConnectionChecker,
    cipher: TokenCipher,
    body: NetworkConnectionCreate,
) -> NetworkConnection:
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    _check_ad_account(body.platform, body.external_id)
    existing = readable_connections(company_id).where(NetworkConnection.platform == body.platform)

    async def refuse_a_second() -> None:
        if (await session.scalars(existing.limit(1))).first() is not None:
            raise ConnectionTaken(
                f"Account {company_id} already has a {PLATFORM_NAMES[body.platform]} "
                "connection; replace its token (PATCH) or delete it first.",
                param="platform",
            )

    await refuse_a_second()
    # The network is asked before any lock is taken: its answer can take seconds, and no
    # other write of the company (on SQLite, of the store) should wait for it.
    wanted = NetworkCredentials(body.platform, body.external_id, body.access_token, body.page_id)
    check = await check_token(checker, wanted)
    # Serialise connection writes per company: two creates cannot both pass this check.
    await lock_row(session, Company.name, company_id)
    await refuse_a_second()
    now = clock.now()
    connection = NetworkConnection(
        id=new_id(ID_PREFIX),
        company_id=company_id,
        platform=body.platform,
        ad_account_id=body.external_id,
        page_id=body.page_id,
        name=check.name,
        status="active",
        error_message=None,
        broken_at=None,
        access_token_sealed=cipher.seal(body.access_token),
        created_at=now,
        updated_at=now,
    )
    try:
        # A savepoint: an account another company connected meanwhile fails only this.
        async with session.begin_nested():
            session.add(connection)
            await session.flush()
    except IntegrityError as error:
        raise ConnectionTaken(
            f"The {PLATFORM_NAMES[body.platform]} account {body.external_id} is already "
            "connected to another business; each serves one.",
            param="external_id",
        ) from error
    return connection


async def update_connection(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    checker: ConnectionChecker,
    cipher: TokenCipher,
    connection_id: str,
    body: NetworkConnectionUpdate,
) -> NetworkConnection:
    """Replace the token (checked first: refused changes nothing) and/or the page. An
    accepted token fixes a broken connection (`fix`).

    The new token is checked before the row is locked, so a slow network holds no lock;
    the row is then locked and written only if it has not changed since it was read (a
    concurrent change, a worker marking it broken: 409, send the change again)."""
    connection = await get_connection(session, principal.company_id, connection_id)
    sent = body.model_fields_set
    if "access_token" in sent and body.access_token is None:
        raise InvalidRequest(
            "Invalid value for access_token: must not be null.", param="access_token"
        )
    check = None
    seen = _checked_state(connection)
    if body.access_token is not None:
        page_id = body.page_id if "page_id" in sent else connection.page_id
        wanted = NetworkCredentials(
            connection.platform, connection.ad_account_id, body.access_token, page_id
        )
        check = await check_token(checker, wanted)
    connection = await get_connection(session, principal.company_id, connection_id, for_update=True)
    if check is not None and _checked_state(connection) != seen:
        raise Conflict(
            "The network connection changed while its new access token was checked; "
            "send the change again."
        )
    page_id = body.page_id if "page_id" in sent else connection.page_id
    if check is not None:
        assert body.access_token is not None
        connection.access_token_sealed = cipher.seal(body.access_token)
        connection.name = check.name
        if connection.status == "broken":
            await fix(session, clock, connection)
    connection.page_id = page_id
    connection.updated_at = clock.now()
    await session.flush()
    return connection


def _checked_state(connection: NetworkConnection) -> tuple[object, ...]:
    """What a token check and the write after it depend on: any change in between (another
    update, the worker marking it broken) moves one of these."""
    return (
        connection.access_token_sealed,
        connection.page_id,
        connection.status,
        connection.updated_at,
    )


async def delete_connection(
    session: AsyncSession, clock: Clock, principal: Principal, connection_id: str
) -> str:
    """Remove the connection, its token and its object ids; the company is back on the
    simulated network there, so a broken connection's issues are resolved."""
    connection = await get_connection(session, principal.company_id, connection_id, for_update=True)
    if connection.status == "broken":
        await fix(session, clock, connection)
    await session.execute(delete(NetworkObject).where(NetworkObject.connection_id == connection.id))
    await session.execute(delete(NetworkConnection).where(NetworkConnection.id == connection.id))
    return connection.id


async def list_connections(
    session: AsyncSession,
    principal: Principal,
    *,
    account_id: str | None,
    page: PageRequest,
    direction: Direction,
) -> Page[NetworkConnection]:
    owner = ensure_own_account(principal, account_id, "account_id")
    return await paginate(
        session,
        readable_connections(owner),
        model=NetworkConnection,
        order="created_at",
        direction=direction,
        page=page,
    )


# --- broken tokens -------------------------------------------------------------------------


def issue_subtype(connection: NetworkConnection) -> str:
    return f"network_connection:{connection.id}"


def _issue_title(connection: NetworkConnection) -> str:
    return f"The {PLATFORM_NAMES[connection.platform]} connection needs a new access token"


async def mark_broken(
    session: AsyncSession, clock: Clock, connection: NetworkConnection, message: str
) -> list[PlatformIssue]:
    """The network refused the connection's token (`ConnectionBroken`): the connection is
    `broken` (syncing it stops), each of the company's campaigns on that platform gets an
    error issue saying so, and its external accounts there carry the reason. Repeating it
    updates the message; `broken_at` stays the first failure's."""
    now = clock.now()
    if connection.status != "broken":
        connection.broken_at = now
    connection.status = "broken"
    connection.error_message = message
    connection.updated_at = now
    await session.flush()
    platform = PLATFORM_NAMES[connection.platform]
    campaigns = await session.scalars(
        select(AdCampaign)
        .where(
            AdCampaign.company_id == connection.company_id,
            AdCampaign.platform == connection.platform,
            AdCampaign.deleted_at.is_(None),
        )
        .order_by(AdCampaign.created_at, AdCampaign.id)
    )
    issues = []
    for campaign in list(campaigns):
        issues.append(
            await report_issue(
                session,
                clock,
                company_id=connection.company_id,
                ad_campaign_id=campaign.id,
                report=IssueReport(
                    resource_type="ad_campaign",
                    resource_id=campaign.id,
                    severity="error",
                    title=_issue_title(connection),
                    message=f"{platform} no longer accepts the access token of "
                    f"{connection.ad_account_id}: {message} Nothing is synced with {platform} "
                    "until the token is replaced (PATCH /network_connections/{id}).",
                    subtype=issue_subtype(connection),
                ),
            )
        )
    await session.execute(
        update(ExternalAccount)
        .where(
            ExternalAccount.company_id == connection.company_id,
            ExternalAccount.platform.in_(ACCOUNT_PLATFORMS[connection.platform]),
        )
        .values(error=f"The {platform} connection is broken: {message}", updated_at=now)
    )
    return issues


async def fix(session: AsyncSession, clock: Clock, connection: NetworkConnection) -> None:
    """The connection works again (a new token was accepted, or it is removed): `active`,
    its issues resolved, its external accounts' error cleared."""
    now = clock.now()
    connection.status = "active"
    connection.error_message = None
    connection.broken_at = None
    connection.updated_at = now
    await session.execute(
        update(PlatformIssue)
        .where(
            PlatformIssue.company_id == connection.company_id,
            PlatformIssue.subtype == issue_subtype(connection),
            PlatformIssue.resolution_status == "open",
        )
        .values(resolution_status="resolved", updated_at=now)
    )
    await session.execute(
        update(ExternalAccount)
        .where(
            ExternalAccount.company_id == connection.company_id,
            ExternalAccount.platform.in_(ACCOUNT_PLATFORMS[connection.platform]),
            ExternalAccount.error.is_not(None),
        )
        .values(error=None, updated_at=now)
    )
    await session.flush()


async def connection_error(session: AsyncSession, company_id: str, platform: str) -> str | None:
    """What an external account on `platform` (facebook, instagram, tiktok) shows as its
    error: the reason its network's connection is broken, else None."""
    network = "tiktok" if platform == "tiktok" else "meta"
    connection = (
        await session.scalars(
            readable_connections(company_id).where(
                NetworkConnection.platform == network, NetworkConnection.status == "broken"
            )
        )
    ).first()
    if connection is None:
        return None
    return f"The {PLATFORM_NAMES[network]} connection is broken: {connection.error_message}"


def connection_object(connection: NetworkConnection) -> dict[str, Any]:
    """The API shape: everything but the token."""
    return {
        "id": connection.id,
        "account_id": connection.company_id,
        "platform": connection.platform,
        "external_id": connection.ad_account_id,
        "page_id": connection.page_id,
        "name": connection.name,
        "status": connection.status,
        "error_message": connection.error_message,
        "broken_at": None
        if connection.broken_at is None
        else format_timestamp(connection.broken_at),
        "created_at": format_timestamp(connection.created_at),
        "updated_at": format_timestamp(connection.updated_at),
    }
