"""Ad rules beyond an ad's own content: its group and campaign, its state, duplication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups import repository as ad_groups
from adline.ad_groups import service as ad_group_service
from adline.ad_groups.models import AdGroup
from adline.ad_groups.schemas import AdGroupCreate
from adline.ads import repository
from adline.ads.content import apply_fields, check_ad, content_object
from adline.ads.models import Ad
from adline.ads.schemas import AdCreate, AdUpdate
from adline.auth.service import Principal, ensure_own_account
from adline.campaigns import duplication, tree
from adline.campaigns import repository as campaigns
from adline.campaigns.delivery_status import ad_delivery_status
from adline.campaigns.models import AdCampaign
from adline.campaigns.state_machine import AD, Action
from adline.connections.external_accounts import check_ad_accounts
from adline.core.clock import Clock
from adline.core.db import column_values
from adline.core.errors import Conflict, InvalidRequest
from adline.core.http import validate_body
from adline.core.ids import new_id
from adline.core.listing import id_scope
from adline.core.pagination import Direction, Page, PageRequest
from adline.core.platforms import check_platform_header
from adline.core.timestamps import format_timestamp
from adline.files.service import check_ad_files
from adline.issues.models import PlatformIssue
from adline.issues.service import issue_object, open_issues_by_campaign
from adline.metrics.formulas import ad_group_goal, combined_goal, compute_metrics
from adline.metrics.window import LIFETIME, StatsWindow
from adline.stats import service as stats
from adline.stats.ordering import paginate_list
from adline.versions.mappings import status_filter
from adline.webhooks import events as webhook_events

NOT_CONTENT = {"ad_group_id", "ad_group", "status"}


def _refuse_while_copying(*rows: AdCampaign | AdGroup | Ad) -> None:
    for row in rows:
        if row.status == "duplicating":
            raise Conflict(f"{row.id} is still being duplicated; wait until the copy is done.")


async def _inline_ad_group(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    data: dict[str, Any],
    platform_header: str | None,
) -> AdGroup:
    """`POST /ads` with an `ad_group` body creates the group in the same transaction."""
    body = validate_body(AdGroupCreate, data, location=("ad_group",))
    return await ad_group_service.create_ad_group(
        session, clock, principal, body, platform_header, param_prefix="ad_group."
    )


def new_ad(ad_id: str, campaign: AdCampaign, group: AdGroup, body: AdCreate, now: datetime) -> Ad:
    """The row a create stores for `body` in `group`, its content applied and checked:
    `create_ad` and `adline simulate`."""
    ad = Ad(
        id=ad_id,
        company_id=campaign.company_id,
        ad_campaign_id=campaign.id,
        ad_group_id=group.id,
        # Review is immediate by default: an ad created in a live campaign runs at once.
        status=body.status or "active",
        platform=group.platform,
        url_parameters={},
        creatives=[],
        primary_texts=[],
        headlines=[],
        descriptions=[],
        external_accounts=[],
        created_at=now,
        updated_at=now,
    )
    apply_fields(ad, body, body.model_fields_set - NOT_CONTENT)
    check_ad(ad, group, campaign)
    return ad


async def create_ad(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    body: AdCreate,
    platform_header: str | None = None,
) -> Ad:
    if (body.ad_group_id is None) == (body.ad_group is None):
        raise InvalidRequest(
            "Send exactly one of ad_group_id (an existing ad group) or ad_group (a new one).",
            param="ad_group_id",
            code="parameter_missing" if body.ad_group_id is None else "parameter_invalid",
        )
    if body.ad_group is not None:
        group = await _inline_ad_group(session, clock, principal, body.ad_group, platform_header)
    else:
        group = await ad_groups.get_ad_group(
            session, principal.company_id, body.ad_group_id or "", param="ad_group_id"
        )
    campaign = await campaigns.get_campaign(session, principal.company_id, group.ad_campaign_id)
    check_platform_header(platform_header, group.platform)
    _refuse_while_copying(campaign, group)
    now = clock.now()
    ad = new_ad(new_id("ad"), campaign, group, body, now)
    await check_ad_files(session, ad)
    await check_ad_accounts(session, ad, group.platform)
    session.add(ad)
    await session.flush()
    await webhook_events.announce_created(
        session,
        clock,
        ad.company_id,
        "ad.created",
        webhook_presenter(session, principal, ad, clock),
    )
    return ad


def webhook_presenter(
    session: AsyncSession, principal: Principal, ad: Ad, clock: Clock
) -> webhook_events.Presenter:
    """The ad as a webhook event snapshots it (newest shape)."""

    async def present() -> dict[str, Any]:
        [body] = await present_ads(session, principal, [ad], LIFETIME, clock.now())
        return body

    return present


async def watch_ad(
    session: AsyncSession, principal: Principal, ad: Ad, clock: Clock
) -> webhook_events.ChangeWatch:
    return await webhook_events.ChangeWatch.start(
        session, ad.company_id, "ad.updated", webhook_presenter(session, principal, ad, clock)
    )


async def update_ad(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    ad_id: str,
    body: AdUpdate,
    platform_header: str | None = None,
) -> Ad:
    ad = await repository.get_ad(session, principal.company_id, ad_id, for_update=True)
    check_platform_header(platform_header, ad.platform)
    group = await ad_groups.get_ad_group(session, principal.company_id, ad.ad_group_id)
    campaign = await campaigns.get_campaign(session, principal.company_id, ad.ad_campaign_id)
    _refuse_while_copying(ad)
    watch = await watch_ad(session, principal, ad, clock)
    sent = body.model_fields_set
    before = column_values(ad)
    apply_fields(ad, body, sent - NOT_CONTENT)
    check_ad(ad, group, campaign)
    if sent & {"creatives", "music"}:
        await check_ad_files(session, ad)
    if "external_accounts" in sent:
        await check_ad_accounts(session, ad, group.platform)
    now = clock.now()
    if ad.status == "rejected" and column_values(ad) != before:
        # An edited ad goes back to review, which is immediate by default.
        await _resubmit(session, ad, now)
    if "status" in sent:
        if body.status is None:
            raise InvalidRequest("Invalid value for status: must not be null.", param="status")
        ad.status = AD.next_status(ad.status, "pause" if body.status == "paused" else "unpause")
    if column_values(ad) != before:
        ad.updated_at = now
    await session.flush()
    await watch.finish(session, clock)
    return ad


async def _resubmit(session: AsyncSession, ad: Ad, now: datetime) -> None:
    rejections = await session.scalars(
        select(PlatformIssue).where(
            PlatformIssue.resource_id == ad.id,
            PlatformIssue.category == "policy_rejection",
            PlatformIssue.resolution_status == "open",
        )
    )
    for issue in rejections:
        issue.resolution_status = "resolved"
        issue.updated_at = now
    ad.status = "active"


async def act_on_ad(
    session: AsyncSession, clock: Clock, principal: Principal, ad_id: str, action: Action
) -> Ad:
    ad = await repository.get_ad(session, principal.company_id, ad_id, for_update=True)
    status = AD.next_status(ad.status, action)
    if status != ad.status:
        watch = await watch_ad(session, principal, ad, clock)
        ad.status = status
        ad.updated_at = clock.now()
        await session.flush()
        await watch.finish(session, clock)
    return ad


async def delete_ad(session: AsyncSession, clock: Clock, principal: Principal, ad_id: str) -> str:
    ad = await repository.get_ad(session, principal.company_id, ad_id, for_update=True)
    AD.next_status(ad.status, "delete")
    now = clock.now()
    ad.deleted_at = now
    ad.updated_at = now
    await session.flush()
    return ad.id


async def duplicate_ad(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    ad_id: str,
    *,
    count: int,
    target_ad_group_id: str | None,
    preserve_engagement: bool,
) -> list[Ad]:
    duplication.check_count(count)
    source = await repository.get_ad(session, principal.company_id, ad_id)
    _refuse_while_copying(source)
    group = await ad_groups.get_ad_group(
        session,
        principal.company_id,
        target_ad_group_id or source.ad_group_id,
        param="target_ad_group_id",
    )
    campaign = await campaigns.get_campaign(session, principal.company_id, group.ad_campaign_id)
    _refuse_while_copying(campaign, group)
    if group.platform != source.platform:
        raise InvalidRequest(
            f"Invalid value for target_ad_group_id: the ad group runs on {group.platform}, "
            f"the ad on {source.platform}.",
            param="target_ad_group_id",
        )
    try:
        check_ad(source, group, campaign)
    except InvalidRequest as error:
        raise InvalidRequest(
            f"Invalid value for target_ad_group_id: the ad does not fit that ad group "
            f"({error.message})",
            param="target_ad_group_id",
        ) from None
    now = clock.now()
    copies = [duplication.copy_ad(source, group, now, preserve_engagement) for _ in range(count)]
    session.add_all(copies)
    await session.flush()
    return copies


async def retrieve_ad(session: AsyncSession, principal: Principal, ad_id: str) -> Ad:
    return await repository.get_ad(session, principal.company_id, ad_id)


@dataclass(frozen=True)
class AdFilters:
    account_id: str | None = None
    ad_campaign_id: str | None = None
    ad_campaign_ids: list[str] | None = None
    ad_group_id: str | None = None
    ad_group_ids: list[str] | None = None
    status: str | None = None
    query: str | None = None
    created_before: str | None = None
    created_after: str | None = None
    order: str = "created_at"
    direction: Direction = "desc"


async def list_ads(
    session: AsyncSession,
    principal: Principal,
    filters: AdFilters,
    page: PageRequest,
    *,
    window: StatsWindow,
    now: datetime,
) -> Page[Ad]:
    """One page; a stat `order` ranks the whole list over `window` (as of `now`)."""
    company_id = ensure_own_account(principal, filters.account_id, "account_id")
    statement = repository.filtered_ads(
        company_id,
        campaign_ids=id_scope(filters.ad_campaign_id, filters.ad_campaign_ids, "ad_campaign_ids"),
        group_ids=id_scope(filters.ad_group_id, filters.ad_group_ids, "ad_group_ids"),
        statuses=status_filter("ad", filters.status),
        query=filters.query,
        created_before=filters.created_before,
        created_after=filters.created_after,
    )
    return await paginate_list(
        session,
        statement,
        model=Ad,
        level="ad",
        company_id=company_id,
        order=filters.order,
        direction=filters.direction,
        page=page,
        window=window,
        now=now,
    )


async def present_ads(
    session: AsyncSession,
    principal: Principal,
    ads: list[Ad],
    window: StatsWindow,
    now: datetime,
) -> list[dict[str, Any]]:
    campaign_rows = await tree.campaigns_by_id(session, [ad.ad_campaign_id for ad in ads])
    group_rows = await tree.groups_by_id(session, [ad.ad_group_id for ad in ads])
    issues = await open_issues_by_campaign(session, campaign_rows.keys())
    ad_totals = await stats.totals(session, "ad", [ad.id for ad in ads], window)
    objects = []
    for ad in ads:
        group, campaign = group_rows[ad.ad_group_id], campaign_rows[ad.ad_campaign_id]
        own, facts = tree.issue_facts(issues[ad.ad_campaign_id], {ad.id})
        goal = ad_group_goal(
            group.optimization_goal, group.conversion_location, group.conversion_event
        )
        totals = ad_totals[ad.id]
        objects.append(
            {
                "id": ad.id,
                "ad_group": {"id": ad.ad_group_id},
                "ad_campaign": {"id": ad.ad_campaign_id},
                # No client's ad status has `duplicating`: a copy being made delivers
                # nothing yet, so it reads `paused` until done (docs/campaign-states.md).
                "status": "paused" if ad.status == "duplicating" else ad.status,
                "delivery_status": ad_delivery_status(ad, group, campaign, now, facts),
                "platform": ad.platform,
                "issues": [issue_object(issue) for issue in own],
                "created_at": format_timestamp(ad.created_at),
                "updated_at": format_timestamp(ad.updated_at),
                **content_object(ad),
                **compute_metrics(totals, combined_goal([goal], [totals]), principal.currency),
            }
        )
    return objects
