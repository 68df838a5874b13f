"""HTTP for conversion value rules: parse, call one service function, render. The same
shape in every API version (docs/value-rules.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from adline.auth.dependencies import CanReadAds, CanUpdateAds, ClockDep, SessionDep
from adline.core.http import json_body, render, render_deleted, render_list
from adline.core.pagination import Direction, PageRequest, page_params
from adline.value_rules import service
from adline.value_rules.schemas import (
    DeletedRule,
    Platform,
    RuleCreate,
    RuleList,
    RuleObject,
    RuleStatus,
    RuleUpdate,
)

router = APIRouter(prefix="/ad_conversion_value_rules", tags=["ad_conversion_value_rules"])

KIND = "ad_conversion_value_rule"


@router.post("", response_model=RuleObject, summary="Create a conversion value rule")
async def create_rule(
    request: Request,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[RuleCreate, Depends(json_body(RuleCreate, f"{KIND}.create"))],
) -> JSONResponse:
    rule = await service.create_rule(session, clock, principal, body)
    return render(request, KIND, await service.rule_object(session, rule))


@router.get("", response_model=RuleList, summary="List conversion value rules")
async def list_rules(
    request: Request,
    principal: CanReadAds,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    status: RuleStatus | None = None,
    platform: Platform | None = None,
    resource_id: str | None = None,
    order: Literal["created_at"] = "created_at",
    direction: Direction = "desc",
) -> JSONResponse:
    del order  # the only order there is
    result = await service.list_rules(
        session,
        principal,
        account_id=account_id,
        status=status,
        platform=platform,
        resource_id=resource_id,
        page=page,
        direction=direction,
    )
    items = await service.rule_objects(session, result.items)
    return render_list(request, KIND, items, result.page_info)


@router.get("/{rule_id}", response_model=RuleObject, summary="Retrieve a conversion value rule")
async def retrieve_rule(
    request: Request, rule_id: str, principal: CanReadAds, session: SessionDep
) -> JSONResponse:
    rule = await service.get_rule(session, principal.company_id, rule_id)
    return render(request, KIND, await service.rule_object(session, rule))


@router.patch("/{rule_id}", response_model=RuleObject, summary="Update a conversion value rule")
async def update_rule(
    request: Request,
    rule_id: str,
    principal: CanUpdateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[RuleUpdate, Depends(json_body(RuleUpdate, f"{KIND}.update"))],
) -> JSONResponse:
    rule = await service.update_rule(session, clock, principal, rule_id, body)
    return render(request, KIND, await service.rule_object(session, rule))


@router.delete("/{rule_id}", response_model=DeletedRule, summary="Delete a conversion value rule")
async def delete_rule(
    request: Request, rule_id: str, principal: CanUpdateAds, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    deleted_id = await service.delete_rule(session, clock, principal, rule_id)
    return render_deleted(request, KIND, deleted_id)


@router.post("/{rule_id}/pause", response_model=RuleObject, summary="Pause a conversion value rule")
async def pause_rule(
    request: Request, rule_id: str, principal: CanUpdateAds, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    rule = await service.pause_rule(session, clock, principal, rule_id)
    return render(request, KIND, await service.rule_object(session, rule))


@router.post(
    "/{rule_id}/unpause", response_model=RuleObject, summary="Unpause a conversion value rule"
)
async def unpause_rule(
    request: Request, rule_id: str, principal: CanUpdateAds, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    rule = await service.unpause_rule(session, clock, principal, rule_id)
    return render(request, KIND, await service.rule_object(session, rule))
