"""HTTP for conversion events: `POST /conversions`, `POST /events`, `POST /events/batch`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from adline.auth import scopes
from adline.auth.dependencies import Authenticated, ClockDep, SessionDep
from adline.auth.service import Principal
from adline.conversions import service
from adline.conversions.schemas import (
    ConversionCreate,
    EventBatch,
    EventBatchResult,
    EventCreate,
    EventRecorded,
)
from adline.core.http import json_body

router = APIRouter(tags=["events"])

CanCreate = Annotated[Principal, Authenticated(scopes.EVENT_CREATE)]


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


@router.post("/events", response_model=EventRecorded, summary="Record a conversion event")
async def create_event(
    principal: CanCreate,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[EventCreate, Depends(json_body(EventCreate, "event.create"))],
) -> JSONResponse:
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
