"""Bulk reads across the campaign -> ad group -> ad tree, for presenting and launching.

Each loader takes many ids and answers in a fixed number of queries, so a page of 100
objects costs the same few round trips as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.campaigns.delivery_status import AdGroupChildren, CampaignChildren, DeliveryFacts
from adline.campaigns.models import AdCampaign
from adline.companies.models import User
from adline.issues.models import PlatformIssue
from adline.metrics.formulas import GroupGoal, ad_group_goal


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


@dataclass(frozen=True)
class LiveGroup:
    """What presenting a campaign reads of each of its live groups: its status, its goal,
    what the original version adds up (daily budgets, regions' countries); plain columns,
    not an `AdGroup` with every targeting setting decoded."""

    id: str
    status: str
    optimization_goal: str | None
    conversion_location: str | None
    conversion_event: str | None
    budget_type: str | None
    budget_amount_micros: int | None
    regions: dict[str, Any] | None

    @cached_property
    def goal(self) -> GroupGoal:
        """What it optimizes for (`ad_group_goal`), worked out once per read."""
        return ad_group_goal(
            self.optimization_goal, self.conversion_location, self.conversion_event
        )


LIVE_GROUP_COLUMNS = tuple(getattr(AdGroup, field.name) for field in fields(LiveGroup))


@dataclass
class CampaignTree:
    """A live campaign with what presenting it needs: its live groups (oldest first), the
    counts beneath it and beneath each group, and how many open issues it has."""

    campaign: AdCampaign
    groups: list[LiveGroup] = field(default_factory=list)
    group_children: dict[str, AdGroupChildren] = field(default_factory=dict)
    open_issues: int = 0
    # Every group it ever had, deleted ones included.
    all_groups: int = 0

    @property
    def children(self) -> CampaignChildren:
        counts = [self.group_children[group.id] for group in self.groups]
        return CampaignChildren(
            ad_groups=len(self.groups),
            active_ad_groups=sum(1 for group in self.groups if group.status == "active"),
            ads=sum(count.ads for count in counts),
            rejected_ads=sum(count.rejected_ads for count in counts),
        )


def _campaign_trees_statement(campaign: Any) -> Select[Any]:
    """One statement: each wanted live campaign of the company (`campaign`: the entity or
    its id), outer-joined to its live groups, each with its live ads counted, and the
    campaign's open issues and groups ever counted (a row per group).

    The ads are joined and grouped by (campaign, group) rather than counted in a subquery
    joined by group id: without table statistics PostgreSQL plans that join as a nested
    loop that re-reads the whole subquery for every group (40 ms for a page of 100
    campaigns); grouped by the primary keys, the other columns are theirs."""
    ids: Any = bindparam("ids", expanding=True)
    open_issues = (
        select(func.count())
        .where(
            PlatformIssue.ad_campaign_id == AdCampaign.id,
            PlatformIssue.resolution_status == "open",
        )
        .correlate(AdCampaign)
        .scalar_subquery()
    )
    all_groups = (
        select(func.count())
        .where(AdGroup.ad_campaign_id == AdCampaign.id)
        .correlate(AdCampaign)
        .scalar_subquery()
    )
    return (
        select(
            campaign,
            *LIVE_GROUP_COLUMNS,
            func.count(Ad.id),
            _count_where(Ad.status == "active"),
            _count_where(Ad.status == "rejected"),
            open_issues,
            all_groups,
        )
        .select_from(AdCampaign)
        .outerjoin(
            AdGroup, (AdGroup.ad_campaign_id == AdCampaign.id) & AdGroup.deleted_at.is_(None)
        )
        .outerjoin(Ad, (Ad.ad_group_id == AdGroup.id) & Ad.deleted_at.is_(None))
        .where(
            AdCampaign.company_id == bindparam("company_id"),
            AdCampaign.id.in_(ids),
            AdCampaign.deleted_at.is_(None),
        )
        .group_by(AdCampaign.id, AdGroup.id)
        .order_by(AdCampaign.id, AdGroup.created_at, AdGroup.id)
    )


CAMPAIGN_TREES = _campaign_trees_statement(AdCampaign)
# For campaigns the session already holds (a list page): their ids, not their rows again.
TREES_OF_CAMPAIGNS = _campaign_trees_statement(AdCampaign.id)


async def _trees(
    session: AsyncSession,
    statement: Select[Any],
    company_id: str,
    campaign_ids: Iterable[str],
    campaign_of: Callable[[Any], AdCampaign],
) -> dict[str, CampaignTree]:
    wanted = sorted(set(campaign_ids))
    group_width = len(LIVE_GROUP_COLUMNS)
    trees: dict[str, CampaignTree] = {}
    for offset in range(0, len(wanted), 500):
        rows = await session.execute(
            statement, {"company_id": company_id, "ids": wanted[offset : offset + 500]}
        )
        for row in rows:
            campaign = campaign_of(row[0])
            group_id = row[1]
            ads, active, rejected, issues, all_groups = row[1 + group_width :]
            tree = trees.get(campaign.id)
            if tree is None:
                tree = trees[campaign.id] = CampaignTree(
                    campaign, open_issues=int(issues or 0), all_groups=int(all_groups or 0)
                )
            if group_id is not None:
                tree.groups.append(LiveGroup(*row[1 : 1 + group_width]))
                tree.group_children[group_id] = AdGroupChildren(
                    int(ads or 0), int(active or 0), int(rejected or 0)
                )
    return trees


async def campaign_trees(
    session: AsyncSession, company_id: str, campaign_ids: Iterable[str]
) -> dict[str, CampaignTree]:
    """The company's live campaigns among `campaign_ids` with their trees, in one query
    (per 500 ids); other ids are simply absent."""
    return await _trees(session, CAMPAIGN_TREES, company_id, campaign_ids, lambda c: c)


async def trees_of_campaigns(
    session: AsyncSession, company_id: str, campaigns: Iterable[AdCampaign]
) -> dict[str, CampaignTree]:
    """`campaign_trees` of campaigns this session loaded (the same objects, which a query
    of their rows would answer from its identity map), without reading their rows again."""
    loaded = {campaign.id: campaign for campaign in campaigns}
    return await _trees(
        session, TREES_OF_CAMPAIGNS, company_id, loaded, lambda campaign_id: loaded[campaign_id]
    )


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
