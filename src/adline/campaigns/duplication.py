"""Duplicating campaigns, ad groups and ads.

A duplicate request copies the rows at once, with new ids, in status `duplicating`, and
answers with the copies. Finishing (`finish_duplicates`, run right after the request
commits and again at start-up for anything left over) turns each copy into a `draft`
campaign, or gives a group or ad copy its source's active/paused state. A copy whose
source vanished meanwhile fails and is removed (a GET then answers 404).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.auth.service import Principal
from adline.campaigns.models import AdCampaign
from adline.companies.models import Company
from adline.core.clock import Clock
from adline.core.db import clone_row
from adline.core.errors import InvalidRequest
from adline.core.ids import new_id
from adline.spend_caps import service as spend_caps
from adline.spend_caps.models import SpendCapMembership
from adline.webhooks import events as webhook_events

MAX_COPIES = 10
RowT = TypeVar("RowT", AdCampaign, AdGroup, Ad)


def check_count(count: int) -> None:
    if not 1 <= count <= MAX_COPIES:
        raise InvalidRequest(
            f"Invalid value for count: must be between 1 and {MAX_COPIES}.", param="count"
        )


def copy_ad(source: Ad, group: AdGroup, now: datetime, preserve_engagement: bool) -> Ad:
    return clone_row(
        source,
        id=new_id("ad"),
        ad_group_id=group.id,
        ad_campaign_id=group.ad_campaign_id,
        status="duplicating",
        duplicate_of_id=source.id,
        # Keeping the network post keeps its likes and comments; otherwise a new post.
        post_id=source.post_id if preserve_engagement else None,
        post_thumbnail_url=source.post_thumbnail_url if preserve_engagement else None,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )


async def copy_ad_group(
    session: AsyncSession,
    source: AdGroup,
    campaign: AdCampaign,
    now: datetime,
    preserve_engagement: bool,
) -> AdGroup:
    """Copy a group and its live ads into `campaign` (flushed, not yet finished)."""
    group = clone_row(
        source,
        id=new_id("adgrp"),
        ad_campaign_id=campaign.id,
        status="duplicating",
        duplicate_of_id=source.id,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    session.add(group)
    await session.flush()
    ads = await session.scalars(
        select(Ad)
        .where(Ad.ad_group_id == source.id, Ad.deleted_at.is_(None))
        .order_by(Ad.created_at, Ad.id)
    )
    for ad in list(ads):
        session.add(copy_ad(ad, group, now, preserve_engagement))
    await session.flush()
    return group


async def copy_campaign(
    session: AsyncSession,
    clock: Clock,
    source: AdCampaign,
    preserve_engagement: bool,
    *,
    currency: str,
) -> AdCampaign:
    """Copy a campaign with its live groups and ads (flushed, not yet finished). The copy
    joins its source's spend cap now: a membership of its own, opened at `clock.now()`."""
    now = clock.now()
    campaign = clone_row(
        source,
        id=new_id("adcamp"),
        status="duplicating",
        duplicate_of_id=source.id,
        spend_cap_id=None,
        # A copy is a plain draft: its source's request to run (2025-01-01) is not copied.
        original_config_status=None,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    session.add(campaign)
    await session.flush()
    if source.spend_cap_id is not None:
        await spend_caps.link_campaign(session, clock, campaign, source.spend_cap_id, currency)
    groups = await session.scalars(
        select(AdGroup)
        .where(AdGroup.ad_campaign_id == source.id, AdGroup.deleted_at.is_(None))
        .order_by(AdGroup.created_at, AdGroup.id)
    )
    for group in list(groups):
        await copy_ad_group(session, group, campaign, now, preserve_engagement)
    return campaign


def _finished_status(model: type[RowT], source_status: str) -> str:
    if model is AdCampaign:
        return "draft"
    # Copies keep their source's active/paused state; an ad in review is copied as active
    # (its copy is reviewed on launch) and a rejected source yields a paused copy.
    return {"active": "active", "paused": "paused", "in_review": "active"}.get(
        source_status, "paused"
    )


async def _finish(
    session: AsyncSession, model: type[RowT], copies: list[RowT], now: datetime
) -> list[RowT]:
    """Finish `copies` of one table; return those whose source is gone (failed)."""
    source_ids = {copy.duplicate_of_id for copy in copies if copy.duplicate_of_id}
    sources = {
        row.id: row for row in await session.scalars(select(model).where(model.id.in_(source_ids)))
    }
    failed = []
    for copy in copies:
        source = sources.get(copy.duplicate_of_id or "")
        if source is None or source.deleted_at is not None:
            failed.append(copy)
            continue
        copy.status = _finished_status(model, source.status)
        copy.duplicate_of_id = None
        copy.updated_at = now
    return failed


async def finish_duplicates(
    session: AsyncSession, clock: Clock, campaign_ids: Iterable[str]
) -> None:
    """Finish every copy still `duplicating` in these campaigns (idempotent)."""
    ids = sorted(set(campaign_ids))
    now = clock.now()
    # The copies' rows first, locked in id order, as a delete locks its campaign before its
    # groups and ads: a delete of a copy waits for its finish (or the finish for it) instead
    # of each holding rows the other needs (a deadlock on PostgreSQL).
    locked = await session.scalars(
        select(AdCampaign).where(AdCampaign.id.in_(ids)).order_by(AdCampaign.id).with_for_update()
    )
    campaigns = [campaign for campaign in locked if campaign.status == "duplicating"]
    groups = list(
        await session.scalars(
            select(AdGroup).where(
                AdGroup.ad_campaign_id.in_(ids),
                AdGroup.status == "duplicating",
                AdGroup.deleted_at.is_(None),
            )
        )
    )
    ads = list(
        await session.scalars(
            select(Ad).where(
                Ad.ad_campaign_id.in_(ids), Ad.status == "duplicating", Ad.deleted_at.is_(None)
            )
        )
    )
    failed_campaigns = {c.id for c in await _finish(session, AdCampaign, campaigns, now)}
    failed_groups = {g.id for g in await _finish(session, AdGroup, groups, now)}
    failed_ads = {a.id for a in await _finish(session, Ad, ads, now)}
    # A failed copy never existed for the client: remove it with everything under it
    # (its time under a spend cap too: it never spent).
    if failed_campaigns:
        await session.execute(
            delete(SpendCapMembership).where(
                SpendCapMembership.ad_campaign_id.in_(failed_campaigns)
            )
        )
        await session.execute(delete(Ad).where(Ad.ad_campaign_id.in_(failed_campaigns)))
        await session.execute(delete(AdGroup).where(AdGroup.ad_campaign_id.in_(failed_campaigns)))
        await session.execute(delete(AdCampaign).where(AdCampaign.id.in_(failed_campaigns)))
    if failed_groups:
        await session.execute(delete(Ad).where(Ad.ad_group_id.in_(failed_groups)))
        await session.execute(delete(AdGroup).where(AdGroup.id.in_(failed_groups)))
    if failed_ads:
        await session.execute(delete(Ad).where(Ad.id.in_(failed_ads)))
    await session.flush()
    gone_groups = failed_groups | {g.id for g in groups if g.ad_campaign_id in failed_campaigns}
    await _announce_copies(
        session,
        clock,
        [c for c in campaigns if c.id not in failed_campaigns],
        [g for g in groups if g.id not in gone_groups],
        [
            a
            for a in ads
            if a.id not in failed_ads
            and a.ad_group_id not in gone_groups
            and a.ad_campaign_id not in failed_campaigns
        ],
    )


async def _announce_copies(
    session: AsyncSession,
    clock: Clock,
    campaigns: list[AdCampaign],
    groups: list[AdGroup],
    ads: list[Ad],
) -> None:
    """`<kind>.created` for each finished copy: a copy becomes an object of its own when it
    is finished, so that is when subscribers hear of it (a failed one never existed)."""
    # Imported here: these services import this module to duplicate.
    from adline.ad_groups import service as ad_groups_service
    from adline.ads import service as ads_service
    from adline.campaigns import service as campaigns_service

    company_ids = {row.company_id for rows in (campaigns, groups, ads) for row in rows}
    if not company_ids:
        return
    # Nobody's key asked for this (it runs after the request, or at start-up): the copies
    # are presented as their company sees them.
    principals = {
        company.id: Principal(
            key_id="",
            company_id=company.id,
            user_id=None,
            scopes=frozenset(),
            api_version_date=None,
            currency=company.currency,
            timezone=company.timezone,
        )
        for company in await session.scalars(select(Company).where(Company.id.in_(company_ids)))
    }
    for campaign in campaigns:
        principal = principals[campaign.company_id]
        present = campaigns_service.webhook_presenter(session, principal, campaign, clock)
        await webhook_events.announce_created(
            session, clock, campaign.company_id, "ad_campaign.created", present
        )
    for group in groups:
        principal = principals[group.company_id]
        present = ad_groups_service.webhook_presenter(session, principal, group, clock)
        await webhook_events.announce_created(
            session, clock, group.company_id, "ad_group.created", present
        )
    for ad in ads:
        principal = principals[ad.company_id]
        present = ads_service.webhook_presenter(session, principal, ad, clock)
        await webhook_events.announce_created(session, clock, ad.company_id, "ad.created", present)


async def finish_in_new_session(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, campaign_ids: list[str]
) -> None:
    async with sessionmaker() as session, session.begin():
        await finish_duplicates(session, clock, campaign_ids)


async def finish_pending_duplicates(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    """At start-up: finish copies that a stopped process left `duplicating`."""
    async with sessionmaker() as session, session.begin():
        campaign_ids = set(
            await session.scalars(select(AdCampaign.id).where(AdCampaign.status == "duplicating"))
        )
        for model in (AdGroup, Ad):
            campaign_ids |= set(
                await session.scalars(
                    select(model.ad_campaign_id).where(
                        model.status == "duplicating", model.deleted_at.is_(None)
                    )
                )
            )
        if campaign_ids:
            await finish_duplicates(session, clock, campaign_ids)
