"""HTTP for audiences: parse, call one service function, render. The same shape in every
API version (docs/audiences.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from adline.audiences import service
from adline.audiences.schemas import (
    AudienceCreate,
    AudienceDeleted,
    AudienceList,
    AudienceObject,
    AudiencePeopleAdd,
    AudienceType,
    AudienceUpdate,
    SourceType,
)
from adline.auth.dependencies import (
    CanCreateAds,
    CanDeleteAds,
    CanReadAds,
    CanUpdateAds,
    ClockDep,
    SessionDep,
)
from adline.core.http import json_body, render, render_list
from adline.core.pagination import PageRequest, page_params
from adline.files.router import file_storage

router = APIRouter(prefix="/audiences", tags=["audiences"])

KIND = "audience"


@router.get("", response_model=AudienceList, summary="List audiences")
async def list_audiences(
    request: Request,
    principal: CanReadAds,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    audience_id: str | None = None,
    audience_type: AudienceType | None = None,
    source_type: SourceType | None = None,
) -> JSONResponse:
    result = await service.list_audiences(
        session,
        principal,
        account_id=account_id,
        audience_id=audience_id,
        audience_type=audience_type,
        source_type=source_type,
        page=page,
    )
    items = [service.audience_object(audience) for audience in result.items]
    return render_list(request, KIND, items, result.page_info)


@router.post("", response_model=AudienceObject, summary="Create an audience")
async def create_audience(
    request: Request,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[AudienceCreate, Depends(json_body(AudienceCreate, f"{KIND}.create"))],
) -> JSONResponse:
    audience = await service.create_audience(session, clock, principal, body, file_storage(request))
    return render(request, KIND, service.audience_object(audience))


@router.patch("/{audience_id}", response_model=AudienceObject, summary="Update an audience")
async def update_audience(
    request: Request,
    audience_id: str,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[AudienceUpdate, Depends(json_body(AudienceUpdate, f"{KIND}.update"))],
) -> JSONResponse:
    audience = await service.update_audience(session, clock, principal, audience_id, body)
    return render(request, KIND, service.audience_object(audience))


@router.delete("/{audience_id}", response_model=AudienceDeleted, summary="Delete an audience")
async def delete_audience(
    request: Request,
    audience_id: str,
    principal: CanDeleteAds,
    session: SessionDep,
    clock: ClockDep,
) -> JSONResponse:
    await service.delete_audience(session, clock, principal, audience_id)
    return render(request, f"{KIND}.deleted", {"success": True})


@router.post(
    "/{audience_id}/add_people",
    response_model=AudienceObject,
    summary="Add hashed people to an audience (a customer CSV, or people)",
)
async def add_people(
    request: Request,
    audience_id: str,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[AudiencePeopleAdd, Depends(json_body(AudiencePeopleAdd, f"{KIND}.add_people"))],
) -> JSONResponse:
    audience = await service.add_people(
        session, clock, principal, audience_id, body, file_storage(request)
    )
    return render(request, KIND, service.audience_object(audience))
