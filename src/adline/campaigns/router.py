"""HTTP for ad campaigns: parse, call one service function, render in the caller's version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse

from adline.auth.dependencies import (
    CanCreateAds,
    CanDeleteAds,
    CanReadAds,
    CanUpdateAds,
    ClockDep,
    SessionDep,
)
from adline.auth.service import Principal
from adline.campaigns import service
from adline.campaigns.duplication import finish_in_new_session
from adline.campaigns.models import AdCampaign
from adline.campaigns.schemas import (
    AdCampaignList,
    AdCampaignObject,
    CampaignCreate,
    CampaignOrder,
    CampaignType,
    CampaignUpdate,
    DeletedObject,
)
from adline.core.http import (
    facts_needed,
    json_body,
    render,
    render_collection,
    render_deleted,
    render_list,
)
from adline.core.pagination import Direction, PageRequest, page_params
from adline.core.platforms import PlatformHeader
from adline.core.schemas import RequestModel
from adline.metrics.window import LIFETIME, StatsWindow, Window

router = APIRouter(prefix="/ad_campaigns", tags=["ad_campaigns"])

KIND = "ad_campaign"


async def _render_one(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    principal: Principal,
    campaign: AdCampaign,
    window: StatsWindow = LIFETIME,
) -> JSONResponse:
    [body] = await service.present_campaigns(
        session, principal, [campaign], window, clock.now(), facts_needed(request)
    )
    return render(request, KIND, body)


@router.post("", response_model=AdCampaignObject, summary="Create an ad campaign (as a draft)")
async def create_ad_campaign(
    request: Request,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[CampaignCreate, Depends(json_body(CampaignCreate, f"{KIND}.create"))],
) -> JSONResponse:
    campaign = await service.create_campaign(session, clock, principal, body)
    return await _render_one(request, session, clock, principal, campaign)


@router.get("", response_model=AdCampaignList, summary="List ad campaigns")
async def list_ad_campaigns(
    request: Request,
    principal: CanReadAds,
    session: SessionDep,
    clock: ClockDep,
    window: Window,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    company_id: str | None = None,
    status: str | None = None,
    campaign_type: CampaignType | None = None,
    query: str | None = None,
    created_before: str | None = None,
    created_after: str | None = None,
    order: CampaignOrder = "created_at",
    direction: Direction = "desc",
) -> JSONResponse:
    filters = service.CampaignFilters(
        account_id=account_id,
        company_id=company_id,
        status=status,
        campaign_type=campaign_type,
        query=query,
        created_before=created_before,
        created_after=created_after,
        order=order,
        direction=direction,
    )
    result = await service.list_campaigns(
        session, principal, filters, page, window=window, now=clock.now()
    )
    items = await service.present_campaigns(
        session, principal, result.items, window, clock.now(), facts_needed(request)
    )
    return render_list(request, KIND, items, result.page_info)


@router.get("/{campaign_id}", response_model=AdCampaignObject, summary="Retrieve an ad campaign")
async def retrieve_ad_campaign(
    request: Request,
    campaign_id: str,
    principal: CanReadAds,
    session: SessionDep,
    clock: ClockDep,
    window: Window,
) -> JSONResponse:
    body = await service.read_campaign(
        session, principal, campaign_id, window, clock.now(), facts_needed(request)
    )
    return render(request, KIND, body)


@router.patch("/{campaign_id}", response_model=AdCampaignObject, summary="Update an ad campaign")
async def update_ad_campaign(
    request: Request,
    campaign_id: str,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[CampaignUpdate, Depends(json_body(CampaignUpdate, f"{KIND}.update"))],
    x_ads_platform: PlatformHeader = None,
) -> JSONResponse:
    campaign = await service.update_campaign(
        session, clock, principal, campaign_id, body, x_ads_platform
    )
    return await _render_one(request, session, clock, principal, campaign)


@router.delete("/{campaign_id}", response_model=DeletedObject, summary="Delete an ad campaign")
async def delete_ad_campaign(
    request: Request,
    campaign_id: str,
    principal: CanDeleteAds,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    deleted_id = await service.delete_campaign(session, clock, principal, campaign_id)
    return render_deleted(request, KIND, deleted_id)


class DuplicateCampaign(RequestModel):
    count: int = 1
    preserve_engagement: bool = False


@router.post("/{campaign_id}/duplicate", summary="Duplicate a campaign with its groups and ads")
async def duplicate_ad_campaign(
    request: Request,
    campaign_id: str,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    background: BackgroundTasks,
    body: Annotated[DuplicateCampaign, Depends(json_body(DuplicateCampaign, f"{KIND}.duplicate"))],
) -> JSONResponse:
    copies = await service.duplicate_campaign(
        session,
        clock,
        principal,
        campaign_id,
        count=body.count,
        preserve_engagement=body.preserve_engagement,
    )
    items = await service.present_campaigns(
        session, principal, copies, LIFETIME, clock.now(), facts_needed(request)
    )
    background.add_task(
        finish_in_new_session,
        request.app.state.sessionmaker,
        clock,
        [copy.id for copy in copies],
    )
    return render_collection(request, KIND, items)


@router.post("/{campaign_id}/pause", response_model=AdCampaignObject, summary="Pause")
async def pause_ad_campaign(
    request: Request,
    campaign_id: str,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    campaign = await service.act_on_campaign(session, clock, principal, campaign_id, "pause")
    return await _render_one(request, session, clock, principal, campaign)


@router.post("/{campaign_id}/unpause", response_model=AdCampaignObject, summary="Unpause")
async def unpause_ad_campaign(
    request: Request,
    campaign_id: str,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    campaign = await service.act_on_campaign(session, clock, principal, campaign_id, "unpause")
    return await _render_one(request, session, clock, principal, campaign)
