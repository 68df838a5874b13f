"""HTTP for conversion events: `POST /conversions`, `POST /events`, `POST /events/batch`, and
reading them back: `GET /events`, `POST /events/validate_pixel`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from adline.auth import scopes
from adline.auth.dependencies import Authenticated, ClockDep, SessionDep
from adline.auth.service import Principal
from adline.conversions import reads, service
from adline.conversions.public import (
    PUBLIC_EVENTS_PATH,
    KeyOrPixel,
    as_browser_event,
    sent_by_pixel,
)
from adline.conversions.schemas import (
    ConversionCreate,
    EventBatch,
    EventBatchResult,
    EventCreate,
    EventList,
    EventRecorded,
    PixelValidation,
    ValidatePixelRequest,
)
from adline.core.http import json_body, render, render_list
from adline.core.pagination import Direction, PageRequest, page_params

router = APIRouter(tags=["events"])

CanCreate = Annotated[Principal, Authenticated(scopes.EVENT_CREATE)]
# Reading events back is reading what the ads earned: the stats scope.
CanReadEvents = Annotated[Principal, Authenticated(scopes.AD_CAMPAIGN_STATS_READ)]


@router.post(
    "/conversions",
    response_model=EventRecorded,
    summary="Record a conversion event (older SDK; see POST /events)",
)
async def create_conversion(
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[ConversionCreate, Depends(json_body(ConversionCreate, "conversion.create"))],
) -> JSONResponse:
    event_id = await service.record_event(session, clock, principal, body.company_id, body)
    return JSONResponse({"id": event_id})


@router.post(
    PUBLIC_EVENTS_PATH,
    response_model=EventRecorded,
    summary="Record a conversion event (with a key, or from a browser through a pixel)",
)
async def create_event(
    request: Request,
    principal: Annotated[Principal, Depends(KeyOrPixel((scopes.EVENT_CREATE,)))],
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[EventCreate, Depends(json_body(EventCreate, "event.create"))],
    pixel_id: Annotated[
        str | None,
        Query(
            description="Without an API key: the ad pixel whose company records the event "
            "(the browser pixel's way in). With a key: one of its company's pixels."
        ),
    ] = None,
) -> JSONResponse:
    if sent_by_pixel(request):
        body = as_browser_event(request, body)
    event_id = await service.record_event(
        session, clock, principal, body.account_id, body, company_param="account_id"
    )
    return JSONResponse({"id": event_id})


@router.post(
    "/events/batch",
    response_model=EventBatchResult,
    summary="Record up to 1,000 conversion events; each item succeeds or fails alone",
)
async def create_events(
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[EventBatch, Depends(json_body(EventBatch, "event.batch"))],
) -> JSONResponse:
    results = await service.record_batch(session, clock, principal, body.events)
    return JSONResponse({"data": results})


@router.get("/events", response_model=EventList, summary="List identity-linked events")
async def list_events(
    request: Request,
    principal: CanReadEvents,
    session: SessionDep,
    clock: ClockDep,
    page: Annotated[PageRequest, Depends(page_params)],
    identifier: str | None = None,
    account_id: str | None = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    direction: Direction = "desc",
    event: str | None = None,
    source: str | None = None,
    attribution_model: Literal["last_touch", "first_touch"] = "last_touch",
    country: str | None = None,
    city: str | None = None,
    device: str | None = None,
    browser: str | None = None,
    os: str | None = None,
    utm_source: str | None = None,
    hostname: str | None = None,
    page_filter: Annotated[str | None, Query(alias="page")] = None,
) -> JSONResponse:
    filters = reads.EventFilters(
        identifier=identifier,
        from_=from_,
        to=to,
        event=event,
        source=source,
        attribution_model=attribution_model,
        country=country,
        city=city,
        utm_source=utm_source,
        unsupported=(
            ("device", device),
            ("browser", browser),
            ("os", os),
            ("hostname", hostname),
            ("page", page_filter),
        ),
    )
    result = await reads.list_events(
        session,
        clock,
        principal,
        account_id=account_id,
        filters=filters,
        page=page,
        direction=direction,
    )
    items = await reads.event_objects(session, result.items, attribution_model)
    return render_list(request, "event", items, result.page_info)


@router.post(
    "/events/validate_pixel",
    response_model=PixelValidation,
    summary="Check whether an account, or one page, is sending events",
)
async def validate_pixel(
    request: Request,
    principal: CanReadEvents,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[
        ValidatePixelRequest, Depends(json_body(ValidatePixelRequest, "event.validate_pixel"))
    ],
) -> JSONResponse:
    validation = await reads.validate_pixel(
        session, clock, principal, account_id=body.account_id, url=body.url
    )
    return render(request, "pixel_validation", validation)
