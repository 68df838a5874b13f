"""Product queries. Every statement starts from `readable_products`, scoped to one company."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.campaigns.models import AdCampaign
from adline.products.models import Product


def readable_products(company_id: str) -> Select[Product]:
    """The company's products that still exist: a deleted one reads as gone."""
    return select(Product).where(Product.company_id == company_id, Product.deleted_at.is_(None))


async def find_product(
    session: AsyncSession, company_id: str, product_id: str, *, for_update: bool = False
) -> Product | None:
    """The company's live product, or None (another company's is as missing as none).

    `for_update` locks the row: a campaign naming it and its deletion are serialised."""
    statement = readable_products(company_id).where(Product.id == product_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


async def route_taken(
    session: AsyncSession, company_id: str, route: str, *, other_than: str | None = None
) -> bool:
    statement = readable_products(company_id).where(Product.route == route)
    if other_than is not None:
        statement = statement.where(Product.id != other_than)
    return (await session.scalars(statement.limit(1))).first() is not None


async def products_by_id(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, Product]:
    """Products by id, deleted ones included (a campaign keeps showing what it promoted)."""
    wanted = {product_id for product_id in ids if product_id is not None}
    if not wanted:
        return {}
    rows = await session.scalars(select(Product).where(Product.id.in_(wanted)))
    return {row.id: row for row in rows}


async def campaigns_promoting(
    session: AsyncSession, product_id: str, limit: int
) -> tuple[int, list[str]]:
    """How many live campaigns promote the product, and the first `limit` of their ids."""
    live = (AdCampaign.product_id == product_id) & AdCampaign.deleted_at.is_(None)
    count = await session.scalar(select(func.count()).select_from(AdCampaign).where(live))
    ids = await session.scalars(
        select(AdCampaign.id)
        .where(live)
        .order_by(AdCampaign.created_at, AdCampaign.id)
        .limit(limit)
    )
    return int(count or 0), list(ids)
