"""HTTP for products: parse, call one service function, render. The same shape in every
API version (docs/products.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from adline.auth.dependencies import CanReadProducts, CanWriteProducts, ClockDep, SessionDep
from adline.core.http import json_body, render, render_deleted, render_list
from adline.core.pagination import Direction, PageRequest, page_params
from adline.products import service
from adline.products.schemas import (
    DeletedProduct,
    ProductCreate,
    ProductList,
    ProductObject,
    ProductUpdate,
)

router = APIRouter(prefix="/products", tags=["products"])

KIND = "product"


@router.post("", response_model=ProductObject, summary="Create a product")
async def create_product(
    request: Request,
    principal: CanWriteProducts,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[ProductCreate, Depends(json_body(ProductCreate, f"{KIND}.create"))],
) -> JSONResponse:
    product = await service.create_product(session, clock, principal, body)
    return render(request, KIND, service.product_object(product))


@router.get("", response_model=ProductList, summary="List products")
async def list_products(
    request: Request,
    principal: CanReadProducts,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    company_id: str | None = None,
    direction: Direction = "desc",
) -> JSONResponse:
    result = await service.list_products(
        session,
        principal,
        account_id=account_id,
        company_id=company_id,
        page=page,
        direction=direction,
    )
    items = [service.product_object(product) for product in result.items]
    return render_list(request, KIND, items, result.page_info)


@router.get("/{product_id}", response_model=ProductObject, summary="Retrieve a product")
async def retrieve_product(
    request: Request, product_id: str, principal: CanReadProducts, session: SessionDep
) -> JSONResponse:
    product = await service.get_product(session, principal.company_id, product_id)
    return render(request, KIND, service.product_object(product))


@router.patch("/{product_id}", response_model=ProductObject, summary="Update a product")
async def update_product(
    request: Request,
    product_id: str,
    principal: CanWriteProducts,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[ProductUpdate, Depends(json_body(ProductUpdate, f"{KIND}.update"))],
) -> JSONResponse:
    product = await service.update_product(session, clock, principal, product_id, body)
    return render(request, KIND, service.product_object(product))


@router.delete("/{product_id}", response_model=DeletedProduct, summary="Delete a product")
async def delete_product(
    request: Request,
    product_id: str,
    principal: CanWriteProducts,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    deleted_id = await service.delete_product(session, clock, principal, product_id)
    return render_deleted(request, KIND, deleted_id)
