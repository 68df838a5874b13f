"""HTTP for seed 004's surface, the same in every version: spend caps (the object wrapped as
`{"spend_cap": {...}}`, the list as `{"spend_caps": [...], "page_info": {...}}`) and the
campaign form that names a cap (`{"campaign": {...}}`, spend_caps/campaigns.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from adline.auth.dependencies import (
    CanCreateAds,
    CanReadAds,
    CanReadSpendCaps,
    CanWriteSpendCaps,
    ClockDep,
    SessionDep,
)
from adline.core.errors import InvalidRequest
from adline.core.http import PRIVATE_PREFIX, JsonBody, json_body, read_json_object, render
from adline.core.pagination import Direction, PageRequest, page_params
from adline.spend_caps import campaigns, service, summary
from adline.spend_caps.campaigns import CampaignEnvelope, WrappedCampaignCreate
from adline.spend_caps.periods import STATUSES, Status
from adline.spend_caps.schemas import (
    SpendCapCreate,
    SpendCapDailySummaryObject,
    SpendCapEnvelope,
    SpendCapList,
    SpendCapUpdate,
)

caps = APIRouter(prefix="/spend_caps", tags=["spend_caps"])

KIND = "spend_cap"
CAMPAIGN_KIND = "campaign"


def _statuses(values: list[str] | None) -> list[Status] | None:
    """`status=ACTIVE&status=DEPLETED` or `status=ACTIVE,DEPLETED`."""
    if not values:
        return None
    wanted: list[Status] = []
    for value in values:
        for part in value.split(","):
            name = part.strip()
            if name not in STATUSES:
                raise InvalidRequest(
                    f"Invalid value for status: {name!r} is not one of {', '.join(STATUSES)}.",
                    param="status",
                )
            wanted.append(name)
    return wanted


@caps.post("", response_model=SpendCapEnvelope, summary="Create a spend cap")
async def create_spend_cap(
    request: Request,
    principal: CanWriteSpendCaps,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[SpendCapCreate, Depends(json_body(SpendCapCreate, f"{KIND}.create"))],
) -> JSONResponse:
    cap = await service.create_spend_cap(session, clock, principal, body)
    payload = await service.present_spend_cap(session, principal, cap, clock.now())
    return render(request, KIND, {"spend_cap": payload})


@caps.get("", response_model=SpendCapList, summary="List spend caps")
async def list_spend_caps(
    request: Request,
    principal: CanReadSpendCaps,
    session: SessionDep,
    clock: ClockDep,
    page: Annotated[PageRequest, Depends(page_params)],
    status: Annotated[list[str] | None, Query()] = None,
    direction: Direction = "desc",
) -> JSONResponse:
    now = clock.now()
    result = await service.list_spend_caps(
        session, principal, statuses=_statuses(status), page=page, direction=direction, now=now
    )
    items = await service.present_spend_caps(session, principal, result.items, now)
    return render(
        request,
        f"{KIND}.list",
        {"spend_caps": items, "page_info": result.page_info.as_dict()},
    )


@caps.get("/{spend_cap_id}", response_model=SpendCapEnvelope, summary="Retrieve a spend cap")
async def retrieve_spend_cap(
    request: Request,
    spend_cap_id: str,
    principal: CanReadSpendCaps,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    cap = await service.get_spend_cap(session, principal.company_id, spend_cap_id)
    payload = await service.present_spend_cap(session, principal, cap, clock.now())
    return render(request, KIND, {"spend_cap": payload})


@caps.patch("/{spend_cap_id}", response_model=SpendCapEnvelope, summary="Update a spend cap")
async def update_spend_cap(
    request: Request,
    spend_cap_id: str,
    principal: CanWriteSpendCaps,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[SpendCapUpdate, Depends(json_body(SpendCapUpdate, f"{KIND}.update"))],
) -> JSONResponse:
    cap = await service.update_spend_cap(session, clock, principal, spend_cap_id, body.spend_cap)
    payload = await service.present_spend_cap(session, principal, cap, clock.now())
    return render(request, KIND, {"spend_cap": payload})


@caps.get(
    "/{spend_cap_id}/daily_summary",
    response_model=SpendCapDailySummaryObject,
    summary="A spend cap's spend per day",
    description="One row per local day (the company's time zone) from `from` to `to` "
    "(inclusive, at most 366 days). `Accept: text/csv` answers the same rows as CSV.",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def spend_cap_daily_summary(
    request: Request,
    spend_cap_id: str,
    principal: CanReadSpendCaps,
    session: SessionDep,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
) -> Response:
    result = await summary.daily_summary(session, principal, spend_cap_id, from_, to)
    if summary.wants_csv(request.headers.get("accept")):
        return Response(summary.to_csv(result), media_type="text/csv; charset=utf-8")
    return render(request, f"{KIND}.daily_summary", summary.to_json(result))


campaign_form = APIRouter(prefix="/campaigns", tags=["spend_caps"])


class WrappedCampaignBody(JsonBody[WrappedCampaignCreate]):
    """`{"campaign": {...}}`, with no private (`_`) keys inside either."""

    async def __call__(self, request: Request) -> WrappedCampaignCreate:
        inner = (await read_json_object(request)).get("campaign")
        for key in inner if isinstance(inner, dict) else ():
            if key.startswith(PRIVATE_PREFIX):
                raise InvalidRequest(f"Unknown parameter: campaign.{key}.", param=f"campaign.{key}")
        return await super().__call__(request)


wrapped_campaign_body = WrappedCampaignBody(WrappedCampaignCreate, f"{CAMPAIGN_KIND}.create")


@campaign_form.post(
    "",
    response_model=CampaignEnvelope,
    summary="Create a campaign in seed 004's form",
    description='`{"campaign": {...}}`: the newest `POST /ad_campaigns` body plus `ad_type` '
    "(`ITEM`), with `objective` (default `sales`) and `platform` (default `meta`) optional. "
    "Answers the campaign in the same form. The same in every version.",
)
async def create_campaign(
    request: Request,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[WrappedCampaignCreate, Depends(wrapped_campaign_body)],
) -> JSONResponse:
    campaign = await campaigns.create_campaign(session, clock, principal, body.campaign)
    payload = await campaigns.read_campaign(session, principal, campaign.id, clock.now())
    return render(request, CAMPAIGN_KIND, payload)


@campaign_form.get(
    "/{campaign_id}",
    response_model=CampaignEnvelope,
    summary="Retrieve a campaign in seed 004's form",
)
async def retrieve_campaign(
    request: Request,
    campaign_id: str,
    principal: CanReadAds,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    payload = await campaigns.read_campaign(session, principal, campaign_id, clock.now())
    return render(request, CAMPAIGN_KIND, payload)


router = APIRouter()
router.include_router(caps)
router.include_router(campaign_form)
