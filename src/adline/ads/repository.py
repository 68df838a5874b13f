"""Ad queries, each scoped to one company; deleted ads are invisible."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ads.models import Ad
from adline.core.errors import NotFound
from adline.core.listing import apply_common_filters


def readable_ads(company_id: str) -> Select[Ad]:
    return select(Ad).where(Ad.company_id == company_id, Ad.deleted_at.is_(None))


async def get_ad(
    session: AsyncSession, company_id: str, ad_id: str, *, for_update: bool = False
) -> Ad:
    statement = readable_ads(company_id).where(Ad.id == ad_id)
    if for_update:
        statement = statement.with_for_update()
    ad = (await session.scalars(statement)).first()
    if ad is None:
        raise NotFound(f"No ad with id {ad_id}.", param="id")
    return ad


def filtered_ads(
    company_id: str,
    *,
    campaign_ids: list[str] | None,
    group_ids: list[str] | None,
    statuses: list[str] | None,
    query: str | None,
    created_before: str | None,
    created_after: str | None,
) -> Select[Ad]:
    statement = readable_ads(company_id)
    if campaign_ids is not None:
        statement = statement.where(Ad.ad_campaign_id.in_(campaign_ids))
    if group_ids is not None:
        statement = statement.where(Ad.ad_group_id.in_(group_ids))
    if statuses is not None:
        statement = statement.where(Ad.status.in_(statuses))
    return apply_common_filters(
        statement,
        title=Ad.title,
        id_column=Ad.id,
        created_at=Ad.created_at,
        query=query,
        created_before=created_before,
        created_after=created_after,
    )
