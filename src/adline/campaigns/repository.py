"""Campaign queries. Every statement starts from `readable_campaigns`, scoped to one company."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.campaigns.models import AdCampaign
from adline.core.errors import NotFound


def readable_campaigns(company_id: str) -> Select[AdCampaign]:
    return select(AdCampaign).where(
        AdCampaign.company_id == company_id, AdCampaign.deleted_at.is_(None)
    )


async def get_campaign(
    session: AsyncSession, company_id: str, campaign_id: str, *, for_update: bool = False
) -> AdCampaign:
    """The company's campaign, or 404: the same answer for another company's and for none."""
    statement = readable_campaigns(company_id).where(AdCampaign.id == campaign_id)
    if for_update:
        statement = statement.with_for_update()
    campaign = (await session.scalars(statement)).first()
    if campaign is None:
        raise NotFound(f"No ad campaign with id {campaign_id}.", param="id")
    return campaign


def filtered_campaigns(
    company_id: str,
    *,
    status: str | None,
    campaign_type: str | None,
    query: str | None,
    created_before: datetime | None,
    created_after: datetime | None,
) -> Select[AdCampaign]:
    statement = readable_campaigns(company_id)
    if status is not None:
        statement = statement.where(AdCampaign.status == status)
    if campaign_type is not None:
        statement = statement.where(AdCampaign.campaign_type == campaign_type)
    if query:
        pattern = f"%{_escape_like(query)}%"
        statement = statement.where(
            or_(
                AdCampaign.title.ilike(pattern, escape="\\"),
                AdCampaign.id.ilike(pattern, escape="\\"),
            )
        )
    if created_before is not None:
        statement = statement.where(AdCampaign.created_at < created_before)
    if created_after is not None:
        statement = statement.where(AdCampaign.created_at > created_after)
    return statement


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
