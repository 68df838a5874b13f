"""HTTP for API keys: parse, call one service function, render in the caller's version."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from adline.auth import catalogue, scopes, service
from adline.auth.dependencies import Authenticated, ClockDep, SessionDep
from adline.auth.schemas import (
    ApiKeyCreate,
    ApiKeyList,
    ApiKeyObject,
    ApiKeyRotate,
    ApiKeyUpdate,
    DeletedApiKey,
    KeyOrder,
    PermissionList,
    ResourceType,
)
from adline.auth.service import Principal
from adline.config import Settings
from adline.core.http import json_body, render, render_deleted, render_list, version_bundle
from adline.core.pagination import Direction, PageInfo, PageRequest, page_params

router = APIRouter(prefix="/api_keys", tags=["api_keys"])

KIND = "api_key"

CanManage = Annotated[Principal, Authenticated(scopes.DEVELOPER_MANAGE_API_KEY)]
# The catalogue holds no account data: any valid key may read it (to know what to ask for).
AnyKey = Annotated[Principal, Authenticated()]


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


# Before `/{key_id}`: routes match in order, and "permissions" would read as a key id.
@router.get(
    "/permissions",
    response_model=PermissionList,
    summary="List the permission catalogue: every scope and the operations it grants",
)
async def list_permissions(request: Request, principal: AnyKey) -> JSONResponse:
    permissions = catalogue.permission_catalogue(request.app.routes)
    # Small and whole: one page, as the client documents.
    whole = PageInfo(
        start_cursor=None, end_cursor=None, has_next_page=False, has_previous_page=False
    )
    return render_list(request, "permission", permissions, whole)


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


@router.patch("/{key_id}", response_model=ApiKeyObject, summary="Update an API key")
async def update_api_key(
    request: Request,
    key_id: str,
    principal: CanManage,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[ApiKeyUpdate, Depends(json_body(ApiKeyUpdate, f"{KIND}.update"))],
) -> JSONResponse:
    key = await service.update_api_key(
        session, clock, principal, key_id, body, version_bundle(request)
    )
    return render(request, KIND, service.present_api_key(key))


@router.post(
    "/{key_id}/rotate",
    response_model=ApiKeyObject,
    summary="Rotate an API key's secret (the new secret is shown only here)",
)
async def rotate_api_key(
    request: Request,
    key_id: str,
    principal: CanManage,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[ApiKeyRotate, Depends(json_body(ApiKeyRotate, f"{KIND}.rotate"))],
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    seconds = body.grace_period_seconds
    if seconds is None:
        seconds = settings.key_rotation_grace_seconds
    rotated = await service.rotate_api_key(
        session, clock, principal, key_id, timedelta(seconds=seconds)
    )
    return render(request, KIND, service.present_api_key(rotated.key, rotated.secret))
