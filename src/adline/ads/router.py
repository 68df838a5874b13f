"""HTTP for ads: parse, call one service function, render in the caller's version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import JSONResponse

from adline.ads import service
from adline.ads.models import Ad
from adline.ads.schemas import AdCreate, AdObject, AdUpdate
from adline.auth import scopes
from adline.auth.dependencies import (
    Authenticated,
    CanCreateAds,
    CanDeleteAds,
    CanReadAds,
    CanUpdateAds,
    ClockDep,
    SessionDep,
)
from adline.auth.service import Principal
from adline.campaigns.duplication import finish_in_new_session
from adline.campaigns.schemas import DeletedObject
from adline.core.http import json_body, render, render_collection, render_deleted, render_list
from adline.core.pagination import Direction, PageRequest, page_params
from adline.core.platforms import PlatformHeader
from adline.core.schemas import RequestModel
from adline.metrics.window import LIFETIME, StatsWindow, Window
from adline.stats.ordering import ListOrder

router = APIRouter(prefix="/ads", tags=["ads"])

KIND = "ad"

# Pausing and unpausing an ad also reads it: Whop requires both permissions (seed 001
# for ads, spec F for ad groups and ads).
CanPause = Annotated[
    Principal, Authenticated(scopes.AD_CAMPAIGN_UPDATE, scopes.AD_CAMPAIGN_BASIC_READ)
]


class DuplicateAd(RequestModel):
    count: int = 1
    preserve_engagement: bool = False
    target_ad_group_id: str | None = None


async def _present(
    session: SessionDep,
    clock: ClockDep,
    principal: Principal,
    ads: list[Ad],
    window: StatsWindow = LIFETIME,
) -> list[dict[str, Any]]:
    return await service.present_ads(session, principal, ads, window, clock.now())


@router.post("", response_model=AdObject, summary="Create an ad (optionally with its ad group)")
async def create_ad(
    request: Request,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[AdCreate, Depends(json_body(AdCreate, f"{KIND}.create"))],
    x_ads_platform: PlatformHeader = None,
) -> JSONResponse:
    ad = await service.create_ad(session, clock, principal, body, x_ads_platform)
    [item] = await _present(session, clock, principal, [ad])
    return render(request, KIND, item)


@router.get("", summary="List ads")
async def list_ads(
    request: Request,
    principal: CanReadAds,
    session: SessionDep,
    clock: ClockDep,
    window: Window,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    ad_campaign_id: str | None = None,
    ad_campaign_ids: Annotated[list[str] | None, Query()] = None,
    ad_group_id: str | None = None,
    ad_group_ids: Annotated[list[str] | None, Query()] = None,
    status: str | None = None,
    query: str | None = None,
    created_before: str | None = None,
    created_after: str | None = None,
    order: ListOrder = "created_at",
    direction: Direction = "desc",
) -> JSONResponse:
    filters = service.AdFilters(
        account_id=account_id,
        ad_campaign_id=ad_campaign_id,
        ad_campaign_ids=ad_campaign_ids,
        ad_group_id=ad_group_id,
        ad_group_ids=ad_group_ids,
        status=status,
        query=query,
        created_before=created_before,
        created_after=created_after,
        order=order,
        direction=direction,
    )
    result = await service.list_ads(
        session, principal, filters, page, window=window, now=clock.now()
    )
    items = await _present(session, clock, principal, result.items, window)
    return render_list(request, KIND, items, result.page_info)


@router.get("/{ad_id}", response_model=AdObject, summary="Retrieve an ad")
async def retrieve_ad(
    request: Request,
    ad_id: str,
    principal: CanReadAds,
    session: SessionDep,
    clock: ClockDep,
    window: Window,
) -> JSONResponse:
    ad = await service.retrieve_ad(session, principal, ad_id)
    [item] = await _present(session, clock, principal, [ad], window)
    return render(request, KIND, item)


@router.patch("/{ad_id}", response_model=AdObject, summary="Update an ad")
async def update_ad(
    request: Request,
    ad_id: str,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[AdUpdate, Depends(json_body(AdUpdate, f"{KIND}.update"))],
    x_ads_platform: PlatformHeader = None,
) -> JSONResponse:
    ad = await service.update_ad(session, clock, principal, ad_id, body, x_ads_platform)
    [item] = await _present(session, clock, principal, [ad])
    return render(request, KIND, item)


@router.delete("/{ad_id}", response_model=DeletedObject, summary="Delete an ad")
async def delete_ad(
    request: Request, ad_id: str, principal: CanDeleteAds, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    return render_deleted(request, KIND, await service.delete_ad(session, clock, principal, ad_id))


@router.post("/{ad_id}/pause", response_model=AdObject, summary="Pause an ad")
async def pause_ad(
    request: Request, ad_id: str, principal: CanPause, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    ad = await service.act_on_ad(session, clock, principal, ad_id, "pause")
    [item] = await _present(session, clock, principal, [ad])
    return render(request, KIND, item)


@router.post("/{ad_id}/unpause", response_model=AdObject, summary="Unpause an ad")
async def unpause_ad(
    request: Request, ad_id: str, principal: CanPause, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    ad = await service.act_on_ad(session, clock, principal, ad_id, "unpause")
    [item] = await _present(session, clock, principal, [ad])
    return render(request, KIND, item)


@router.post("/{ad_id}/duplicate", summary="Duplicate an ad")
async def duplicate_ad(
    request: Request,
    ad_id: str,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    background: BackgroundTasks,
    body: Annotated[DuplicateAd, Depends(json_body(DuplicateAd, f"{KIND}.duplicate"))],
) -> JSONResponse:
    copies = await service.duplicate_ad(
        session,
        clock,
        principal,
        ad_id,
        count=body.count,
        target_ad_group_id=body.target_ad_group_id,
        preserve_engagement=body.preserve_engagement,
    )
    items = await _present(session, clock, principal, copies)
    background.add_task(
        finish_in_new_session,
        request.app.state.sessionmaker,
        clock,
        [copy.ad_campaign_id for copy in copies],
    )
    return render_collection(request, KIND, items)
