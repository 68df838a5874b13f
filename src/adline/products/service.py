"""Product rules: create, read, list, update, delete. Services only flush; the request owns
the transaction. Callable from tests without HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal, ensure_own_account
from adline.companies.models import Company
from adline.core.clock import Clock
from adline.core.db import lock_row
from adline.core.errors import Conflict, InvalidRequest, NotFound
from adline.core.ids import new_id
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.products import repository
from adline.products.models import Product
from adline.products.schemas import ProductCreate, ProductUpdate

# Campaigns named in the 409 of a delete refused because they promote the product.
NAMED_CAMPAIGNS = 3


class RouteTaken(Conflict):
    code = "route_taken"


class ProductInUse(Conflict):
    code = "product_in_use"


def _route_taken(route: str) -> RouteTaken:
    return RouteTaken(
        f"Another product of this account already has the route {route!r}; routes are unique "
        "within an account.",
        param="route",
    )


async def get_product(
    session: AsyncSession, company_id: str, product_id: str, *, for_update: bool = False
) -> Product:
    """The company's product, or 404: the same answer for another company's and for none."""
    product = await repository.find_product(session, company_id, product_id, for_update=for_update)
    if product is None:
        raise NotFound(f"No product with id {product_id}.", param="id")
    return product


async def promoted_product(
    session: AsyncSession, company_id: str, product_id: str, param: str = "product_id"
) -> Product:
    """The product a campaign is about to promote, locked until the request ends (so it
    cannot be deleted meanwhile); 400 naming `param` when the company has none such."""
    product = await repository.find_product(session, company_id, product_id, for_update=True)
    if product is None:
        raise InvalidRequest(
            f"Invalid value for {param}: this account has no product with id {product_id}; "
            "create it with POST /products first.",
            param=param,
        )
    return product


async def create_product(
    session: AsyncSession, clock: Clock, principal: Principal, body: ProductCreate
) -> Product:
    if body.account_id is not None and body.company_id is not None:
        raise InvalidRequest(
            "Send account_id or company_id, not both (they name the same thing).",
            param="company_id",
        )
    param = "company_id" if body.company_id is not None else "account_id"
    company_id = ensure_own_account(principal, body.account_id or body.company_id, param)
    # Serialise writes per company so that two creates cannot take one route together.
    await lock_row(session, Company.name, company_id)
    if await repository.route_taken(session, company_id, body.route):
        raise _route_taken(body.route)
    now = clock.now()
    product = Product(
        id=new_id("prod"),
        company_id=company_id,
        title=body.title,
        route=body.route,
        created_at=now,
        updated_at=now,
    )
    session.add(product)
    await session.flush()
    return product


async def update_product(
    session: AsyncSession, clock: Clock, principal: Principal, product_id: str, body: ProductUpdate
) -> Product:
    sent = body.model_fields_set
    for field in ("title", "route"):
        if field in sent and getattr(body, field) is None:
            raise InvalidRequest(f"Invalid value for {field}: must not be null.", param=field)
    if "route" in sent:
        await lock_row(session, Company.name, principal.company_id)
    product = await get_product(session, principal.company_id, product_id, for_update=True)
    changed = False
    if body.title is not None and body.title != product.title:
        product.title = body.title
        changed = True
    if body.route is not None and body.route != product.route:
        if await repository.route_taken(
            session, principal.company_id, body.route, other_than=product.id
        ):
            raise _route_taken(body.route)
        product.route = body.route
        changed = True
    if changed:
        product.updated_at = clock.now()
        await session.flush()
    return product


async def delete_product(
    session: AsyncSession, clock: Clock, principal: Principal, product_id: str
) -> str:
    """Archive the product; 409 while a live campaign promotes it (the row lock keeps a
    campaign from starting to promote it meanwhile)."""
    product = await get_product(session, principal.company_id, product_id, for_update=True)
    count, campaign_ids = await repository.campaigns_promoting(session, product.id, NAMED_CAMPAIGNS)
    if count:
        more = f" and {count - len(campaign_ids)} more" if count > len(campaign_ids) else ""
        raise ProductInUse(
            f"Cannot delete product {product.id}: {count} campaign(s) promote it "
            f"({', '.join(campaign_ids)}{more}). Delete those campaigns, or make them "
            "promote another product (product_id), first."
        )
    now = clock.now()
    product.deleted_at = now
    product.updated_at = now
    await session.flush()
    return product.id


async def list_products(
    session: AsyncSession,
    principal: Principal,
    *,
    account_id: str | None,
    company_id: str | None = None,
    page: PageRequest,
    direction: Direction,
) -> Page[Product]:
    """One page of the company's products; `account_id` and `company_id` (the same thing
    under two names) may each name only the caller's company, else 404 naming it."""
    ensure_own_account(principal, company_id, "company_id")
    owner = ensure_own_account(principal, account_id, "account_id")
    return await paginate(
        session,
        repository.readable_products(owner),
        model=Product,
        order="created_at",
        direction=direction,
        page=page,
    )


def product_object(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "title": product.title,
        "route": product.route,
        "created_at": format_timestamp(product.created_at),
        "updated_at": format_timestamp(product.updated_at),
    }


def product_reference(product: Product | None) -> dict[str, str] | None:
    """What a 2025-01-01 campaign shows of the product it promotes (seeds 002 and 003)."""
    if product is None:
        return None
    return {"id": product.id, "title": product.title, "route": product.route}
