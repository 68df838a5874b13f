"""HTTP for ad groups: parse, call one service function, render in the caller's version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import JSONResponse

from adline.ad_groups import service
from adline.ad_groups.models import AdGroup
from adline.ad_groups.schemas import (
    AdGroupCreate,
    AdGroupObject,
    AdGroupUpdate,
    ReachEstimate,
    ReachEstimateRequest,
    TargetingOptionList,
)
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

router = APIRouter(prefix="/ad_groups", tags=["ad_groups"])

KIND = "ad_group"

# Pausing and unpausing an ad group also reads it: Whop requires both permissions (seed 001
# for ads, spec F for ad groups and ads).
CanPause = Annotated[
    Principal, Authenticated(scopes.AD_CAMPAIGN_UPDATE, scopes.AD_CAMPAIGN_BASIC_READ)
]


class DuplicateAdGroup(RequestModel):
    count: int = 1
    preserve_engagement: bool = False
    target_ad_campaign_id: str | None = None


async def _present(
    session: SessionDep,
    clock: ClockDep,
    principal: Principal,
    groups: list[AdGroup],
    window: StatsWindow = LIFETIME,
) -> list[dict[str, Any]]:
    return await service.present_ad_groups(session, principal, groups, window, clock.now())


@router.post("", response_model=AdGroupObject, summary="Create an ad group")
async def create_ad_group(
    request: Request,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[AdGroupCreate, Depends(json_body(AdGroupCreate, f"{KIND}.create"))],
    x_ads_platform: PlatformHeader = None,
) -> JSONResponse:
    group = await service.create_ad_group(session, clock, principal, body, x_ads_platform)
    [item] = await _present(session, clock, principal, [group])
    return render(request, KIND, item)


@router.post(
    "/estimate_reach", response_model=ReachEstimate, summary="Estimate a targeting's reach"
)
async def estimate_reach(
    request: Request,
    principal: CanReadAds,
    session: SessionDep,
    body: Annotated[
        ReachEstimateRequest, Depends(json_body(ReachEstimateRequest, f"{KIND}.estimate_reach"))
    ],
) -> JSONResponse:
    estimate = await service.estimate_reach(session, principal, body, request.app.state.adapters)
    return JSONResponse(estimate)


@router.get("", summary="List ad groups")
async def list_ad_groups(
    request: Request,
    principal: CanReadAds,
    session: SessionDep,
    clock: ClockDep,
    window: Window,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    ad_campaign_id: str | None = None,
    ad_campaign_ids: Annotated[list[str] | None, Query()] = None,
    status: str | None = None,
    query: str | None = None,
    created_before: str | None = None,
    created_after: str | None = None,
    order: ListOrder = "created_at",
    direction: Direction = "desc",
) -> JSONResponse:
    filters = service.AdGroupFilters(
        account_id=account_id,
        ad_campaign_id=ad_campaign_id,
        ad_campaign_ids=ad_campaign_ids,
        status=status,
        query=query,
        created_before=created_before,
        created_after=created_after,
        order=order,
        direction=direction,
    )
    result = await service.list_ad_groups(
        session, principal, filters, page, window=window, now=clock.now()
    )
    items = await _present(session, clock, principal, result.items, window)
    return render_list(request, KIND, items, result.page_info)


# Fixed paths go before "/{ad_group_id}": routes match in declaration order, and the id
# route would take "targeting_options" as an id (tests/test_route_order.py).
@router.get(
    "/targeting_options",
    response_model=TargetingOptionList,
    summary="Search the network's targeting taxonomy",
)
async def search_targeting_options(
    request: Request,
    principal: CanReadAds,
    platform: Annotated[str, Query(description="The network whose taxonomy to search: meta.")],
    account_id: str | None = None,
    query: Annotated[
        str | None, Query(description="Matched case-insensitively; at most 100 characters.")
    ] = None,
    types: Annotated[
        list[str] | None,
        Query(description="Kinds to search (spec C.21), repeated or comma-separated; all."),
    ] = None,
    location_types: Annotated[
        list[str] | None, Query(description="Kinds of place, repeated or comma-separated.")
    ] = None,
    country: Annotated[
        str | None, Query(description="Places in this ISO 3166-1 alpha-2 country only.")
    ] = None,
    limit: Annotated[int | None, Query(description="Results per type, 1-100; 25.")] = None,
    special_ad_categories: Annotated[
        list[str] | None, Query(description="The campaign's special ad categories.")
    ] = None,
) -> JSONResponse:
    params = service.TargetingOptionsParams(
        platform=platform,
        account_id=account_id,
        query=query,
        types=types,
        location_types=location_types,
        country=country,
        limit=limit,
        special_ad_categories=special_ad_categories,
    )
    options = await service.search_targeting_options(principal, params, request.app.state.adapters)
    return JSONResponse({"data": options})


@router.get("/{ad_group_id}", response_model=AdGroupObject, summary="Retrieve an ad group")
async def retrieve_ad_group(
    request: Request,
    ad_group_id: str,
    principal: CanReadAds,
    session: SessionDep,
    clock: ClockDep,
    window: Window,
) -> JSONResponse:
    group = await service.retrieve_ad_group(session, principal, ad_group_id)
    [item] = await _present(session, clock, principal, [group], window)
    return render(request, KIND, item)


@router.patch("/{ad_group_id}", response_model=AdGroupObject, summary="Update an ad group")
async def update_ad_group(
    request: Request,
    ad_group_id: str,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[AdGroupUpdate, Depends(json_body(AdGroupUpdate, f"{KIND}.update"))],
    x_ads_platform: PlatformHeader = None,
) -> JSONResponse:
    group = await service.update_ad_group(
        session, clock, principal, ad_group_id, body, x_ads_platform
    )
    [item] = await _present(session, clock, principal, [group])
    return render(request, KIND, item)


@router.delete("/{ad_group_id}", response_model=DeletedObject, summary="Delete an ad group")
async def delete_ad_group(
    request: Request,
    ad_group_id: str,
    principal: CanDeleteAds,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    return render_deleted(
        request, KIND, await service.delete_ad_group(session, clock, principal, ad_group_id)
    )


@router.post("/{ad_group_id}/pause", response_model=AdGroupObject, summary="Pause an ad group")
async def pause_ad_group(
    request: Request,
    ad_group_id: str,
    principal: CanPause,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    group = await service.act_on_ad_group(session, clock, principal, ad_group_id, "pause")
    [item] = await _present(session, clock, principal, [group])
    return render(request, KIND, item)


@router.post("/{ad_group_id}/unpause", response_model=AdGroupObject, summary="Unpause")
async def unpause_ad_group(
    request: Request,
    ad_group_id: str,
    principal: CanPause,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    group = await service.act_on_ad_group(session, clock, principal, ad_group_id, "unpause")
    [item] = await _present(session, clock, principal, [group])
    return render(request, KIND, item)


@router.post("/{ad_group_id}/duplicate", summary="Duplicate an ad group (with its ads)")
async def duplicate_ad_group(
    request: Request,
    ad_group_id: str,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    background: BackgroundTasks,
    body: Annotated[DuplicateAdGroup, Depends(json_body(DuplicateAdGroup, f"{KIND}.duplicate"))],
) -> JSONResponse:
    copies = await service.duplicate_ad_group(
        session,
        clock,
        principal,
        ad_group_id,
        count=body.count,
        target_ad_campaign_id=body.target_ad_campaign_id,
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
