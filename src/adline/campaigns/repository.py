"""Campaign queries. Every statement starts from `readable_campaigns`, scoped to one company."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.campaigns.models import AdCampaign
from adline.core.errors import NotFound
from adline.core.listing import apply_common_filters


def readable_campaigns(company_id: str) -> Select[AdCampaign]:
    return select(AdCampaign).where(
        AdCampaign.company_id == company_id, AdCampaign.deleted_at.is_(None)
    )


async def get_campaign(
    session: AsyncSession,
    company_id: str,
    campaign_id: str,
    *,
    for_update: bool = False,
    param: str = "id",
) -> AdCampaign:
    """The company's campaign, or 404: the same answer for another company's and for none."""
    statement = readable_campaigns(company_id).where(AdCampaign.id == campaign_id)
    if for_update:
        statement = statement.with_for_update()
    campaign = (await session.scalars(statement)).first()
    if campaign is None:
        raise NotFound(f"No ad campaign with id {campaign_id}.", param=param)
    return campaign


def filtered_campaigns(
    company_id: str,
    *,
    statuses: list[str] | None,
    campaign_type: str | None,
    query: str | None,
    created_before: str | None,
    created_after: str | None,
) -> Select[AdCampaign]:
    statement = readable_campaigns(company_id)
    if statuses is not None:
        statement = statement.where(AdCampaign.status.in_(statuses))
    if campaign_type is not None:
        statement = statement.where(AdCampaign.campaign_type == campaign_type)
    return apply_common_filters(
        statement,
        title=AdCampaign.title,
        id_column=AdCampaign.id,
        created_at=AdCampaign.created_at,
        query=query,
        created_before=created_before,
        created_after=created_after,
    )
