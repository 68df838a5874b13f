"""Bulk reads across the campaign -> ad group -> ad tree, for presenting and launching.

Each loader takes many ids and answers in a fixed number of queries, so a page of 100
objects costs the same few round trips as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.campaigns.delivery_status import AdGroupChildren, CampaignChildren, DeliveryFacts
from adline.campaigns.models import AdCampaign
from adline.companies.models import User
from adline.issues.models import PlatformIssue


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


async def campaign_children(
    session: AsyncSession, groups_by_campaign: dict[str, list[AdGroup]]
) -> dict[str, CampaignChildren]:
    """Counts under each campaign, from its live groups (loaded by `live_groups_of`)."""
    ids = list(groups_by_campaign)
    result: dict[str, CampaignChildren] = defaultdict(CampaignChildren)
    if not ids:
        return result
    ads = await session.execute(
        select(Ad.ad_campaign_id, func.count(), _count_where(Ad.status == "rejected"))
        .where(Ad.ad_campaign_id.in_(ids), Ad.deleted_at.is_(None))
        .group_by(Ad.ad_campaign_id)
    )
    ad_counts = {row[0]: (int(row[1]), int(row[2] or 0)) for row in ads}
    for campaign_id, groups in groups_by_campaign.items():
        ad_total, ad_rejected = ad_counts.get(campaign_id, (0, 0))
        active = sum(1 for group in groups if group.status == "active")
        result[campaign_id] = CampaignChildren(len(groups), active, ad_total, ad_rejected)
    return result


async def ad_group_children(
    session: AsyncSession, group_ids: Iterable[str]
) -> dict[str, AdGroupChildren]:
    ids = list(set(group_ids))
    result: dict[str, AdGroupChildren] = defaultdict(AdGroupChildren)
    if not ids:
        return result
    rows = await session.execute(
        select(
            Ad.ad_group_id,
            func.count(),
            _count_where(Ad.status == "active"),
            _count_where(Ad.status == "rejected"),
        )
        .where(Ad.ad_group_id.in_(ids), Ad.deleted_at.is_(None))
        .group_by(Ad.ad_group_id)
    )
    for group_id, total, active, rejected in rows:
        result[group_id] = AdGroupChildren(int(total), int(active or 0), int(rejected or 0))
    return result


async def live_groups_of(
    session: AsyncSession, campaign_ids: Iterable[str]
) -> dict[str, list[AdGroup]]:
    ids = list(set(campaign_ids))
    grouped: dict[str, list[AdGroup]] = defaultdict(list)
    if not ids:
        return grouped
    rows = await session.scalars(
        select(AdGroup)
        .where(AdGroup.ad_campaign_id.in_(ids), AdGroup.deleted_at.is_(None))
        .order_by(AdGroup.created_at, AdGroup.id)
    )
    for group in rows:
        grouped[group.ad_campaign_id].append(group)
    return grouped


async def campaigns_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, AdCampaign]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(AdCampaign).where(AdCampaign.id.in_(wanted)))
    return {campaign.id: campaign for campaign in rows}


async def groups_by_id(session: AsyncSession, ids: Iterable[str]) -> dict[str, AdGroup]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(AdGroup).where(AdGroup.id.in_(wanted)))
    return {group.id: group for group in rows}


async def ad_ids_by_group(session: AsyncSession, group_ids: Iterable[str]) -> dict[str, set[str]]:
    ids = list(set(group_ids))
    grouped: dict[str, set[str]] = defaultdict(set)
    if not ids:
        return grouped
    rows = await session.execute(
        select(Ad.ad_group_id, Ad.id).where(Ad.ad_group_id.in_(ids), Ad.deleted_at.is_(None))
    )
    for group_id, ad_id in rows:
        grouped[group_id].add(ad_id)
    return grouped


async def live_ads_of_campaign(session: AsyncSession, campaign_id: str) -> list[Ad]:
    rows = await session.scalars(
        select(Ad)
        .where(Ad.ad_campaign_id == campaign_id, Ad.deleted_at.is_(None))
        .order_by(Ad.created_at, Ad.id)
    )
    return list(rows)


async def users_by_id(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, User]:
    wanted = list({user_id for user_id in ids if user_id})
    if not wanted:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(wanted)))
    return {user.id: user for user in rows}


def issue_facts(
    issues: Sequence[PlatformIssue], resource_ids: set[str]
) -> tuple[list[PlatformIssue], DeliveryFacts]:
    """The open issues on `resource_ids` (deduplicated), and what they mean for delivery."""
    mine = [issue for issue in issues if issue.resource_id in resource_ids]
    facts = DeliveryFacts(
        open_errors=sum(1 for issue in mine if issue.severity == "error"),
        in_appeal=any(issue.in_appeal for issue in mine),
    )
    return mine, facts
