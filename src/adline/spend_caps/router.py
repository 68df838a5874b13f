"""HTTP for spend caps (seed 004): the object is wrapped as `{"spend_cap": {...}}`, the list
as `{"spend_caps": [...], "page_info": {...}}`; the shape is the same in every version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from adline.auth.dependencies import CanReadSpendCaps, CanWriteSpendCaps, ClockDep, SessionDep
from adline.core.errors import InvalidRequest
from adline.core.http import json_body, render
from adline.core.pagination import Direction, PageRequest, page_params
from adline.spend_caps import service, summary
from adline.spend_caps.periods import STATUSES, Status
from adline.spend_caps.schemas import (
    SpendCapCreate,
    SpendCapDailySummaryObject,
    SpendCapEnvelope,
    SpendCapList,
    SpendCapUpdate,
)

router = APIRouter(prefix="/spend_caps", tags=["spend_caps"])

KIND = "spend_cap"


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


@router.post("", response_model=SpendCapEnvelope, summary="Create a spend cap")
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


@router.get("", response_model=SpendCapList, summary="List spend caps")
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


@router.get("/{spend_cap_id}", response_model=SpendCapEnvelope, summary="Retrieve a spend cap")
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


@router.patch("/{spend_cap_id}", response_model=SpendCapEnvelope, summary="Update a spend cap")
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


@router.get(
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
