"""Reporting, resolving and listing platform issues.

Networks (through their adapters) report issues; objects list their open ones,
deduplicated, and a campaign lists its descendants' too. An open `policy_rejection` on an
ad or ad group makes it `rejected`; resolving the last one sends it back to `active`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.core.clock import Clock
from adline.core.errors import NotFound
from adline.core.ids import new_id
from adline.core.timestamps import format_timestamp
from adline.issues.models import PlatformIssue

ResourceType = Literal["ad_campaign", "ad_group", "ad"]
Severity = Literal["information", "warning", "error"]
LegacyCategory = Literal[
    "policy_rejection", "creative_media", "audience_targeting", "ad_volume_limit"
]


@dataclass(frozen=True)
class IssueReport:
    resource_type: ResourceType
    resource_id: str
    severity: Severity
    title: str
    message: str
    category: LegacyCategory | None = None
    subtype: str | None = None
    in_appeal: bool = False

    @property
    def dedupe_key(self) -> str:
        return f"{self.category}:{self.subtype}:{self.title}"


async def report_issue(
    session: AsyncSession,
    clock: Clock,
    *,
    company_id: str,
    ad_campaign_id: str,
    report: IssueReport,
) -> PlatformIssue:
    """Record an issue; a re-report of the same problem on the same object updates it."""
    now = clock.now()
    existing = (
        await session.scalars(
            select(PlatformIssue).where(
                PlatformIssue.resource_id == report.resource_id,
                PlatformIssue.dedupe_key == report.dedupe_key,
            )
        )
    ).first()
    issue = existing or PlatformIssue(
        id=new_id("adiss"),
        company_id=company_id,
        ad_campaign_id=ad_campaign_id,
        resource_type=report.resource_type,
        resource_id=report.resource_id,
        dedupe_key=report.dedupe_key,
        created_at=now,
    )
    issue.category = report.category
    issue.subtype = report.subtype
    issue.severity = report.severity
    issue.title = report.title
    issue.message = report.message
    issue.in_appeal = report.in_appeal
    issue.resolution_status = "open"
    issue.updated_at = now
    if existing is None:
        session.add(issue)
    await session.flush()
    await _sync_rejection(session, clock, issue)
    return issue


async def resolve_issue(session: AsyncSession, clock: Clock, issue_id: str) -> PlatformIssue:
    issue = await session.get(PlatformIssue, issue_id)
    if issue is None:
        raise NotFound(f"No issue with id {issue_id}.", param="id")
    issue.resolution_status = "resolved"
    issue.updated_at = clock.now()
    await session.flush()
    await _sync_rejection(session, clock, issue)
    return issue


async def _sync_rejection(session: AsyncSession, clock: Clock, issue: PlatformIssue) -> None:
    """Keep `rejected` in step with open policy rejections on ads and ad groups."""
    if issue.resource_type not in ("ad", "ad_group") or issue.category != "policy_rejection":
        return
    still_rejected = (
        await session.scalars(
            select(PlatformIssue.id).where(
                PlatformIssue.resource_id == issue.resource_id,
                PlatformIssue.category == "policy_rejection",
                PlatformIssue.resolution_status == "open",
            )
        )
    ).first() is not None
    target: Ad | AdGroup | None = await session.get(
        Ad if issue.resource_type == "ad" else AdGroup, issue.resource_id
    )
    if target is None:
        return
    if still_rejected and target.status != "rejected":
        target.status = "rejected"
        target.updated_at = clock.now()
    elif not still_rejected and target.status == "rejected":
        target.status = "active"
        target.updated_at = clock.now()
    await session.flush()


async def open_issues_by_campaign(
    session: AsyncSession, campaign_ids: Iterable[str]
) -> dict[str, list[PlatformIssue]]:
    ids = list(set(campaign_ids))
    grouped: dict[str, list[PlatformIssue]] = defaultdict(list)
    if not ids:
        return grouped
    rows = await session.scalars(
        select(PlatformIssue)
        .where(PlatformIssue.ad_campaign_id.in_(ids), PlatformIssue.resolution_status == "open")
        .order_by(PlatformIssue.created_at, PlatformIssue.id)
    )
    for issue in rows:
        grouped[issue.ad_campaign_id].append(issue)
    return grouped


def issue_object(issue: PlatformIssue) -> dict[str, Any]:
    """The newest shape (B.5); older versions render the same row differently."""
    return {
        "id": issue.id,
        "category": issue.severity,
        "title": issue.title,
        "message": issue.message,
        "resource_type": issue.resource_type,
        "resource_id": issue.resource_id,
        # What older versions render of the same issue (B.5); never sent in this shape.
        "_legacy": {
            "category": issue.category,
            "subtype": issue.subtype,
            "created_at": format_timestamp(issue.created_at),
            "resolution_status": issue.resolution_status,
        },
    }
