"""HTTP for ad pixels: parse, call one service function, render. The same shape in every
API version (docs/pixels.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from adline.auth import scopes
from adline.auth.dependencies import Authenticated, ClockDep, SessionDep
from adline.auth.service import Principal
from adline.core.http import json_body, render, render_deleted, render_list
from adline.core.pagination import Direction, PageRequest, page_params
from adline.pixels import service
from adline.pixels.schemas import DeletedPixel, PixelCreate, PixelList, PixelObject, PixelUpdate

router = APIRouter(prefix="/ad_pixels", tags=["ad_pixels"])

KIND = "ad_pixel"

CanManagePixels = Annotated[Principal, Authenticated(scopes.AD_PIXEL_MANAGE)]


@router.post("", response_model=PixelObject, summary="Add a pixel (its token is checked)")
async def create_pixel(
    request: Request,
    principal: CanManagePixels,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[PixelCreate, Depends(json_body(PixelCreate, f"{KIND}.create"))],
) -> JSONResponse:
    state = request.app.state
    pixel = await service.create_pixel(
        session, clock, principal, state.adapters, state.token_cipher, body
    )
    return render(request, KIND, service.pixel_object(pixel))


@router.get("", response_model=PixelList, summary="List pixels")
async def list_pixels(
    request: Request,
    principal: CanManagePixels,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    order: Literal["created_at"] = "created_at",
    direction: Direction = "desc",
) -> JSONResponse:
    del order  # the only order there is
    result = await service.list_pixels(
        session, principal, account_id=account_id, page=page, direction=direction
    )
    items = [service.pixel_object(pixel) for pixel in result.items]
    return render_list(request, KIND, items, result.page_info)


@router.get("/{pixel_id}", response_model=PixelObject, summary="Retrieve a pixel")
async def retrieve_pixel(
    request: Request, pixel_id: str, principal: CanManagePixels, session: SessionDep
) -> JSONResponse:
    pixel = await service.get_pixel(session, principal.company_id, pixel_id)
    return render(request, KIND, service.pixel_object(pixel))


@router.patch("/{pixel_id}", response_model=PixelObject, summary="Replace a pixel's token")
async def update_pixel(
    request: Request,
    pixel_id: str,
    principal: CanManagePixels,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[PixelUpdate, Depends(json_body(PixelUpdate, f"{KIND}.update"))],
) -> JSONResponse:
    state = request.app.state
    pixel = await service.update_pixel(
        session, clock, principal, state.adapters, state.token_cipher, pixel_id, body
    )
    return render(request, KIND, service.pixel_object(pixel))


@router.delete("/{pixel_id}", response_model=DeletedPixel, summary="Remove a pixel and its token")
async def delete_pixel(
    request: Request, pixel_id: str, principal: CanManagePixels, session: SessionDep
) -> JSONResponse:
    deleted_id = await service.delete_pixel(session, principal, pixel_id)
    return render_deleted(request, KIND, deleted_id)
