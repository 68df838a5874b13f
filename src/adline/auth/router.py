"""HTTP for API keys: parse, call one service function, render in the caller's version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from adline.auth import scopes, service
from adline.auth.dependencies import Authenticated, ClockDep, SessionDep
from adline.auth.schemas import (
    ApiKeyCreate,
    ApiKeyList,
    ApiKeyObject,
    DeletedApiKey,
    KeyOrder,
    ResourceType,
)
from adline.auth.service import Principal
from adline.core.http import json_body, render, render_deleted, render_list, version_bundle
from adline.core.pagination import Direction, PageRequest, page_params

router = APIRouter(prefix="/api_keys", tags=["api_keys"])

KIND = "api_key"

CanManage = Annotated[Principal, Authenticated(scopes.DEVELOPER_MANAGE_API_KEY)]


@router.post(
    "", response_model=ApiKeyObject, summary="Create an API key (the secret is shown only here)"
)
async def create_api_key(
    request: Request,
    principal: CanManage,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[ApiKeyCreate, Depends(json_body(ApiKeyCreate, f"{KIND}.create"))],
) -> JSONResponse:
    issued = await service.issue_api_key(session, clock, principal, body, version_bundle(request))
    return render(request, KIND, service.present_api_key(issued.key, issued.secret))


@router.get("", response_model=ApiKeyList, summary="List the account's API keys")
async def list_api_keys(
    request: Request,
    principal: CanManage,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
    resource_id: str | None = None,
    resource_type: ResourceType | None = None,
    created_before: str | None = None,
    created_after: str | None = None,
    order: KeyOrder = "created_at",
    direction: Direction = "desc",
) -> JSONResponse:
    filters = service.ApiKeyFilters(
        resource_id=resource_id,
        resource_type=resource_type,
        created_before=created_before,
        created_after=created_after,
        order=order,
        direction=direction,
    )
    result = await service.list_company_api_keys(session, principal, filters, page)
    items = [service.present_api_key(key) for key in result.items]
    return render_list(request, KIND, items, result.page_info)


@router.get("/{key_id}", response_model=ApiKeyObject, summary="Retrieve an API key")
async def retrieve_api_key(
    request: Request, key_id: str, principal: CanManage, session: SessionDep
) -> JSONResponse:
    key = await service.retrieve_api_key(session, principal, key_id)
    return render(request, KIND, service.present_api_key(key))


@router.delete("/{key_id}", response_model=DeletedApiKey, summary="Revoke an API key")
async def delete_api_key(
    request: Request, key_id: str, principal: CanManage, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    deleted_id = await service.delete_api_key(session, clock, principal, key_id)
    return render_deleted(request, KIND, deleted_id)
