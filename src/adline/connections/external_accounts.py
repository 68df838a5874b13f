"""External accounts (whop-sdk 2.6.0's `/external_accounts`, ids `sacc_`): the pages and
profiles a company's ads run under, and the creators its Instagram accounts run
partnership ads with. Services only flush. See docs/connections.md#external-accounts.

Every company's accounts live on the simulated network, its default connection: `connect`
and `create` link the network's deterministic page or profile for the company (`simulated`),
`refresh` re-reads it, `posts` and `lead_forms` come from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Select, delete, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ads.models import Ad
from adline.auth.service import Principal, ensure_own_account
from adline.companies.models import Company
from adline.connections import simulated
from adline.connections.models import ExternalAccount
from adline.connections.schemas import ExternalAccountConnect, ExternalAccountCreate
from adline.connections.service import connection_error
from adline.core.clock import Clock
from adline.core.db import lock_row
from adline.core.errors import Conflict, InvalidRequest, NotFound
from adline.core.ids import is_well_formed_id, new_id
from adline.core.pagination import (
    Direction,
    Page,
    PageInfo,
    PageRequest,
    SortKey,
    decode_number_cursor,
    encode_cursor,
    paginate,
)
from adline.core.timestamps import format_timestamp

ID_PREFIX = "sacc"
OWN = "account"  # `connected_to` of the company's own accounts
ADVERTISE = ["advertise"]
# The accounts each network's ads run under.
AD_PLATFORMS = {"meta": ("facebook", "instagram"), "tiktok": ("tiktok",)}


class AccountInUse(Conflict):
    code = "external_account_in_use"


class PartnerTaken(Conflict):
    code = "partner_already_exists"


def readable_accounts(company_id: str) -> Select[ExternalAccount]:
    """The company's own external accounts (partners are read through their Instagram
    account): every query starts here, so another company's are not found."""
    return select(ExternalAccount).where(
        ExternalAccount.company_id == company_id, ExternalAccount.connected_to == OWN
    )


def _not_found(account_id: str, param: str) -> NotFound:
    return NotFound(f"No external account with id {account_id}.", param=param)


async def get_account(
    session: AsyncSession,
    company_id: str,
    account_id: str,
    *,
    param: str = "id",
    partners_too: bool = False,
) -> ExternalAccount:
    """The company's external account, or 404: the same answer for another company's."""
    found = None
    if is_well_formed_id(account_id):
        statement = select(ExternalAccount).where(
            ExternalAccount.company_id == company_id, ExternalAccount.id == account_id
        )
        if not partners_too:
            statement = statement.where(ExternalAccount.connected_to == OWN)
        found = (await session.scalars(statement)).first()
    if found is None:
        raise _not_found(account_id, param)
    return found


async def _company(session: AsyncSession, company_id: str) -> Company:
    company = await session.get(Company, company_id)
    assert company is not None  # the key's own company
    return company


def _apply_profile(account: ExternalAccount, profile: simulated.Profile) -> None:
    account.name = profile.name
    account.username = profile.username
    account.url = profile.url
    account.profile_picture_url = profile.profile_picture_url
    account.verified = profile.verified


async def _link(
    session: AsyncSession,
    clock: Clock,
    company: Company,
    platform: str,
    origin: simulated.Origin,
    parent_id: str | None = None,
) -> ExternalAccount:
    """The company's account for (platform, origin): made, or re-read when it exists."""
    profile = simulated.own_profile(company.id, company.name, platform, origin)
    now = clock.now()
    account = (
        await session.scalars(
            readable_accounts(company.id).where(
                ExternalAccount.platform == platform,
                ExternalAccount.external_id == profile.external_id,
            )
        )
    ).first()
    if account is None:
        position = await session.scalar(
            select(ExternalAccount.display_order)
            .where(ExternalAccount.company_id == company.id, ExternalAccount.connected_to == OWN)
            .order_by(ExternalAccount.display_order.desc())
            .limit(1)
        )
        account = ExternalAccount(
            id=new_id(ID_PREFIX),
            company_id=company.id,
            connected_to=OWN,
            platform=platform,
            external_id=profile.external_id,
            trust_level="oauth" if origin == "connected" else "authorized",
            scopes=list(ADVERTISE),
            partnership_status=None,
            display_order=(position or 0) + 1,
            created_at=now,
        )
        session.add(account)
    _apply_profile(account, profile)
    account.parent_id = parent_id
    account.error = await connection_error(session, company.id, platform)
    account.updated_at = now
    await session.flush()
    return account


async def create_account(
    session: AsyncSession, clock: Clock, principal: Principal, body: ExternalAccountCreate
) -> ExternalAccount:
    """A page (facebook) or profile (tiktok) made for the company: made once, then the same
    one is answered."""
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    await lock_row(session, Company.name, company_id)
    return await _link(
        session, clock, await _company(session, company_id), body.platform, "managed"
    )


def _valid_redirect(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequest(
            "Invalid value for redirect_url: must be an http or https URL.", param="redirect_url"
        )


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


async def connect(
    session: AsyncSession, clock: Clock, principal: Principal, body: ExternalAccountConnect
) -> str:
    """Link the company's accounts on the simulated network and answer the URL to send
    the user to. The simulated network grants at once, so the URL is `redirect_url` with
    the success parameters: following it is the end of the flow."""
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    _valid_redirect(body.redirect_url)
    if body.platform not in ("meta_business", "tiktok"):
        raise InvalidRequest(
            f"Invalid value for platform: Adline runs ads on Meta and TikTok; {body.platform} "
            "accounts cannot be connected.",
            param="platform",
        )
    if body.scopes != ADVERTISE:
        raise InvalidRequest(
            'Invalid value for scopes: send ["advertise"]. Adline connects an account\'s '
            "advertising assets, not personal profiles.",
            param="scopes",
        )
    await lock_row(session, Company.name, company_id)
    company = await _company(session, company_id)
    if body.platform == "meta_business":
        page = await _link(session, clock, company, "facebook", "connected")
        await _link(session, clock, company, "instagram", "connected", parent_id=page.id)
        platform = "meta_business"
    else:
        await _link(session, clock, company, "tiktok", "connected")
        platform = "tiktok"
    return _with_query(
        body.redirect_url,
        external_account_connected=platform,
        social_account_connected=platform,
    )


async def refresh(
    session: AsyncSession, clock: Clock, principal: Principal, account_id: str, owner: str | None
) -> ExternalAccount:
    """Re-read the account from its network: its profile (the company's current name), its
    error (its network's connection broken, or none); for a partner, the creator's answer
    (approved once `simulated.APPROVAL_DELAY` has passed since the invitation)."""
    company_id = ensure_own_account(principal, owner, "account_id")
    account = await get_account(session, company_id, account_id, partners_too=True)
    now = clock.now()
    if account.connected_to == OWN:
        company = await _company(session, company_id)
        origin: simulated.Origin = "connected" if account.trust_level == "oauth" else "managed"
        _apply_profile(
            account, simulated.own_profile(company.id, company.name, account.platform, origin)
        )
        account.error = await connection_error(session, company_id, account.platform)
    else:
        _apply_profile(account, simulated.partner_profile(account.username or ""))
        invited = account.created_at
        if account.partnership_status == "pending" and now >= invited + simulated.APPROVAL_DELAY:
            account.partnership_status = "approved"
    account.updated_at = now
    await session.flush()
    return account


async def delete_account(
    session: AsyncSession, principal: Principal, account_id: str, owner: str | None
) -> str:
    """Disconnect: the row goes, with the account's partners. Refused (409) while one of
    the company's ads names it; an Instagram account it owned stays, without parent."""
    company_id = ensure_own_account(principal, owner, "account_id")
    account = await get_account(session, company_id, account_id)
    await lock_row(session, Company.name, company_id)
    users = await ads_naming(session, company_id, [account.id])
    if users:
        raise AccountInUse(
            f"External account {account.id} is named by ad {users[0]}; change the ad's "
            "external_accounts (or delete the ad) first.",
            param="id",
        )
    await session.execute(
        update(ExternalAccount)
        .where(ExternalAccount.company_id == company_id, ExternalAccount.parent_id == account.id)
        .values(parent_id=None)
    )
    await session.execute(
        delete(ExternalAccount).where(
            ExternalAccount.company_id == company_id,
            ExternalAccount.connected_to.in_([account.id]),
        )
    )
    await session.execute(delete(ExternalAccount).where(ExternalAccount.id == account.id))
    return account.id


async def ads_naming(
    session: AsyncSession, company_id: str, account_ids: Iterable[str]
) -> list[str]:
    """The company's live ads naming any of the accounts, by id."""
    wanted = set(account_ids)
    rows = await session.execute(
        select(Ad.id, Ad.external_accounts)
        .where(Ad.company_id == company_id, Ad.deleted_at.is_(None))
        .order_by(Ad.id)
    )
    return [
        ad_id
        for ad_id, accounts in rows
        if any(entry.get("id") in wanted for entry in accounts or [])
    ]


async def list_accounts(
    session: AsyncSession,
    principal: Principal,
    *,
    account_id: str | None,
    platform: str | None,
    trust_level: str | None,
    verified: bool | None,
    scopes: Sequence[str],
    page: PageRequest,
    order: str,
    direction: Direction,
) -> Page[ExternalAccount]:
    owner = ensure_own_account(principal, account_id, "account_id")
    statement = readable_accounts(owner)
    if platform is not None:
        statement = statement.where(ExternalAccount.platform == platform)
    if trust_level is not None:
        statement = statement.where(ExternalAccount.trust_level == trust_level)
    if verified is not None:
        statement = statement.where(ExternalAccount.verified == verified)
    if any(scope not in ADVERTISE for scope in scopes):
        statement = statement.where(false())  # every account holds exactly `advertise`
    sort = None
    if order == "display_order":
        sort = SortKey("display_order", ExternalAccount.__table__.c.display_order)
    return await paginate(
        session,
        statement,
        model=ExternalAccount,
        order="created_at",
        direction=direction,
        page=page,
        sort=sort,
    )


# --- posts and lead forms ------------------------------------------------------------------


def _cursor_id(item: dict[str, Any]) -> str:
    """The item's id as a cursor holds ids (letters and digits after a prefix)."""
    return "post_" + str(item["id"]).replace("_", "")


def page_of(
    items: list[dict[str, Any]], page: PageRequest
) -> tuple[list[dict[str, Any]], PageInfo]:
    """A forward page of a fixed list (`first`/`after`): cursors name the item's position."""
    start = 0
    if page.after is not None:
        position, item_id = decode_number_cursor(page.after, "post", "after")
        if (
            not isinstance(position, int)
            or not 0 <= position < len(items)
            or _cursor_id(items[position]) != item_id
        ):
            raise InvalidRequest(
                "Invalid value for after: not a cursor of this list.", param="after"
            )
        start = position + 1
    size = page.first or 25
    kept = items[start : start + size]
    cursors = [encode_cursor("post", start + n, _cursor_id(item)) for n, item in enumerate(kept)]
    info = PageInfo(
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
        has_next_page=start + size < len(items),
        has_previous_page=start > 0,
    )
    return kept, info


async def list_posts(
    session: AsyncSession,
    principal: Principal,
    account_id: str,
    owner: str | None,
    post_id: str | None,
    page: PageRequest,
) -> tuple[list[dict[str, Any]], PageInfo]:
    company_id = ensure_own_account(principal, owner, "account_id")
    account = await get_account(session, company_id, account_id)
    posts = simulated.posts(account.platform, account.external_id, account.name)
    if post_id is not None:
        posts = [post for post in posts if post["id"] == post_id]
        if not posts:
            raise NotFound(f"External account {account.id} has no post {post_id}.", param="post_id")
    return page_of(posts, page)


async def list_lead_forms(
    session: AsyncSession, principal: Principal, account_id: str, owner: str | None
) -> list[dict[str, Any]]:
    company_id = ensure_own_account(principal, owner, "account_id")
    account = await get_account(session, company_id, account_id)
    if account.platform != "facebook":
        raise InvalidRequest(
            f"Lead forms live on Facebook pages; {account.id} is a {account.platform} account.",
            param="id",
        )
    return simulated.lead_forms(
        account.external_id, account.name, format_timestamp(account.created_at)
    )


# --- partners ------------------------------------------------------------------------------


async def _instagram(
    session: AsyncSession, principal: Principal, account_id: str, owner: str | None
) -> ExternalAccount:
    company_id = ensure_own_account(principal, owner, "account_id")
    account = await get_account(session, company_id, account_id, param="external_account_id")
    if account.platform != "instagram":
        raise InvalidRequest(
            f"Partnership ads run with Instagram accounts; {account.id} is a "
            f"{account.platform} account.",
            param="external_account_id",
        )
    return account


async def list_partners(
    session: AsyncSession,
    principal: Principal,
    account_id: str,
    owner: str | None,
    page: PageRequest,
) -> Page[ExternalAccount]:
    instagram = await _instagram(session, principal, account_id, owner)
    return await paginate(
        session,
        select(ExternalAccount).where(
            ExternalAccount.company_id == instagram.company_id,
            ExternalAccount.connected_to == instagram.id,
        ),
        model=ExternalAccount,
        order="created_at",
        direction="asc",
        page=page,
    )


async def add_partner(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    account_id: str,
    owner: str | None,
    username: str,
) -> ExternalAccount:
    """Invite a creator: `pending` until they approve (a refresh after
    `simulated.APPROVAL_DELAY`)."""
    instagram = await _instagram(session, principal, account_id, owner)
    name = username.strip().removeprefix("@")
    if not simulated.INSTAGRAM_USERNAME.fullmatch(name):
        raise InvalidRequest(
            "Invalid value for username: an Instagram username is 1 to 30 letters, digits, "
            "periods and underscores.",
            param="username",
        )
    await lock_row(session, Company.name, instagram.company_id)
    profile = simulated.partner_profile(name)
    taken = (
        await session.scalars(
            select(ExternalAccount).where(
                ExternalAccount.company_id == instagram.company_id,
                ExternalAccount.connected_to == instagram.id,
                ExternalAccount.external_id == profile.external_id,
            )
        )
    ).first()
    if taken is not None:
        raise PartnerTaken(
            f"@{profile.username} is already a partner of {instagram.id} ({taken.id}).",
            param="username",
        )
    now = clock.now()
    partner = ExternalAccount(
        id=new_id(ID_PREFIX),
        company_id=instagram.company_id,
        connected_to=instagram.id,
        platform="instagram",
        external_id=profile.external_id,
        trust_level="claimed",
        scopes=[],
        parent_id=None,
        partnership_status="pending",
        error=None,
        display_order=0,
        created_at=now,
        updated_at=now,
    )
    _apply_profile(partner, profile)
    session.add(partner)
    await session.flush()
    return partner


async def remove_partner(
    session: AsyncSession, principal: Principal, account_id: str, partner_id: str, owner: str | None
) -> str:
    instagram = await _instagram(session, principal, account_id, owner)
    partner = None
    if is_well_formed_id(partner_id):
        partner = (
            await session.scalars(
                select(ExternalAccount).where(
                    ExternalAccount.company_id == instagram.company_id,
                    ExternalAccount.connected_to == instagram.id,
                    ExternalAccount.id == partner_id,
                )
            )
        ).first()
    if partner is None:
        raise _not_found(partner_id, "id")
    await session.execute(delete(ExternalAccount).where(ExternalAccount.id == partner.id))
    return partner.id


# --- ads -----------------------------------------------------------------------------------


async def check_ad_accounts(session: AsyncSession, ad: Ad, platform: str) -> None:
    """An ad's `external_accounts` name the company's own accounts, on its network
    (Facebook and Instagram for Meta, TikTok for TikTok): 400 naming the entry otherwise,
    the same for another company's account as for none."""
    entries = list(ad.external_accounts or [])
    if not entries:
        return
    rows = await session.scalars(
        readable_accounts(ad.company_id).where(
            ExternalAccount.id.in_([entry["id"] for entry in entries])
        )
    )
    found = {row.id: row for row in rows}
    for index, entry in enumerate(entries):
        param = f"external_accounts[{index}].id"
        account = found.get(entry["id"])
        if account is None:
            raise InvalidRequest(
                f"Invalid value for {param}: this account has no external account "
                f"{entry['id']}; connect one with POST /external_accounts/connect first.",
                param=param,
            )
        if account.platform not in AD_PLATFORMS.get(platform, ()):
            raise InvalidRequest(
                f"Invalid value for {param}: {account.id} is a {account.platform} account; "
                f"this ad runs on {platform}.",
                param=param,
            )


# --- rendering -----------------------------------------------------------------------------


def _parent(parent: ExternalAccount) -> dict[str, Any]:
    return {
        "id": parent.id,
        "external_id": parent.external_id,
        "name": parent.name,
        "platform": parent.platform,
        "profile_picture_url": parent.profile_picture_url,
        "username": parent.username,
        "verified": parent.verified,
    }


async def parents_of(
    session: AsyncSession, accounts: Iterable[ExternalAccount]
) -> dict[str, ExternalAccount]:
    wanted = {account.parent_id for account in accounts if account.parent_id is not None}
    if not wanted:
        return {}
    rows = await session.scalars(select(ExternalAccount).where(ExternalAccount.id.in_(wanted)))
    return {row.id: row for row in rows}


def account_object(
    account: ExternalAccount, parents: dict[str, ExternalAccount] | None = None
) -> dict[str, Any]:
    parent = (parents or {}).get(account.parent_id or "")
    return {
        "id": account.id,
        "error": account.error,
        "external_id": account.external_id,
        "name": account.name,
        "parent_external_account": None if parent is None else _parent(parent),
        "partnership_status": account.partnership_status,
        "platform": account.platform,
        "profile_picture_url": account.profile_picture_url,
        "scopes": list(account.scopes or []),
        "url": account.url,
        "username": account.username,
        "verified": account.verified,
    }


async def present(session: AsyncSession, accounts: list[ExternalAccount]) -> list[dict[str, Any]]:
    parents = await parents_of(session, accounts)
    return [account_object(account, parents) for account in accounts]
