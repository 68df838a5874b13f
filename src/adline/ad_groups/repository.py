"""Ad group queries, each scoped to one company; deleted groups are invisible."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.core.errors import NotFound
from adline.core.listing import apply_common_filters


def readable_ad_groups(company_id: str) -> Select[AdGroup]:
    return select(AdGroup).where(AdGroup.company_id == company_id, AdGroup.deleted_at.is_(None))


async def get_ad_group(
    session: AsyncSession,
    company_id: str,
    group_id: str,
    *,
    for_update: bool = False,
    param: str = "id",
) -> AdGroup:
    statement = readable_ad_groups(company_id).where(AdGroup.id == group_id)
    if for_update:
        statement = statement.with_for_update()
    group = (await session.scalars(statement)).first()
    if group is None:
        raise NotFound(f"No ad group with id {group_id}.", param=param)
    return group


def filtered_ad_groups(
    company_id: str,
    *,
    campaign_ids: list[str] | None,
    statuses: list[str] | None,
    query: str | None,
    created_before: str | None,
    created_after: str | None,
) -> Select[AdGroup]:
    statement = readable_ad_groups(company_id)
    if campaign_ids is not None:
        statement = statement.where(AdGroup.ad_campaign_id.in_(campaign_ids))
    if statuses is not None:
        statement = statement.where(AdGroup.status.in_(statuses))
    return apply_common_filters(
        statement,
        title=AdGroup.title,
        id_column=AdGroup.id,
        created_at=AdGroup.created_at,
        query=query,
        created_before=created_before,
        created_after=created_after,
    )
