"""HTTP for reports: `GET /ad_reports` (spec A.3, B.8) and `GET /stats/time_series` (A.1).

Both are new kinds with no version changes: every API version answers the same shape.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from adline.auth import scopes
from adline.auth.dependencies import Authenticated, SessionDep
from adline.auth.service import Principal
from adline.core.http import render
from adline.reports import service
from adline.reports.schemas import (
    AdReport,
    Breakdown,
    Granularity,
    MetricCatalog,
    TimeSeries,
)

router = APIRouter(tags=["reports"])

CanReadStats = Annotated[Principal, Authenticated(scopes.AD_CAMPAIGN_STATS_READ)]
Ids = Annotated[list[str] | None, Query()]
From = Annotated[str | None, Query(alias="from")]


@router.get("/ad_reports", response_model=AdReport, summary="Report delivery over a window")
async def ad_report(
    request: Request,
    principal: CanReadStats,
    session: SessionDep,
    from_: From = None,
    to: str | None = None,
    company_id: str | None = None,
    account_id: str | None = None,
    ad_campaign_id: str | None = None,
    ad_group_id: str | None = None,
    ad_id: str | None = None,
    ad_campaign_ids: Ids = None,
    ad_group_ids: Ids = None,
    ad_ids: Ids = None,
    granularity: Granularity | None = None,
    breakdown: Breakdown | None = None,
    currency: str | None = None,
) -> JSONResponse:
    report = await service.ad_report(
        session,
        principal,
        service.ReportRequest(
            from_=from_,
            to=to,
            scopes={
                "company_id": company_id,
                "account_id": account_id,
                "ad_campaign_id": ad_campaign_id,
                "ad_group_id": ad_group_id,
                "ad_id": ad_id,
                "ad_campaign_ids": ad_campaign_ids,
                "ad_group_ids": ad_group_ids,
                "ad_ids": ad_ids,
            },
            granularity=granularity,
            breakdown=breakdown,
            currency=currency,
        ),
    )
    return render(request, "ad_report", report)


@router.get(
    "/stats/time_series", response_model=MetricCatalog, summary="List the time-series metrics"
)
async def list_time_series(request: Request, principal: CanReadStats) -> JSONResponse:
    return render(request, "stats_metric.collection", {"data": service.METRICS})


@router.get("/stats/time_series/{metric}", response_model=TimeSeries, summary="A metric over time")
async def retrieve_time_series(
    request: Request,
    metric: str,
    principal: CanReadStats,
    session: SessionDep,
    from_: From = None,
    to: str | None = None,
    interval: str | None = None,
    time_zone: str | None = None,
    account_id: str | None = None,
    ad_campaign_ids: Ids = None,
    ad_group_ids: Ids = None,
    ad_ids: Ids = None,
    convert_to: str | None = None,
    breakdown_by: str | None = None,
) -> JSONResponse:
    series = await service.time_series(
        session,
        principal,
        service.SeriesRequest(
            metric=metric,
            from_=from_,
            to=to,
            interval=interval,
            time_zone=time_zone,
            account_id=account_id,
            ad_campaign_ids=ad_campaign_ids,
            ad_group_ids=ad_group_ids,
            ad_ids=ad_ids,
            convert_to=convert_to,
            breakdown_by=breakdown_by,
        ),
    )
    return render(request, "stats_time_series", series)
