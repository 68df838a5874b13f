"""HTTP for reports: `GET /ad_reports` (spec A.3, B.8), `GET /stats/time_series` (A.1), the
report catalog `GET /stats/reports`, and the deprecated `GET /stats` and `GET /stats/{metric}`.

All are new kinds with no version changes: every API version answers the same shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
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
    ReportCatalog,
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


async def series_request(
    metric: str,
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
) -> service.SeriesRequest:
    """The query of a metric's time series, under its path and its deprecated one."""
    return service.SeriesRequest(
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
    )


SeriesQuery = Annotated[service.SeriesRequest, Depends(series_request)]

# `GET /stats` and `GET /stats/{metric}` are the old names of the time series, still served.
# whop-sdk 2.3.0 first calls them deprecated; its default version is 2026-10-08, so that day
# is the `Deprecation` date (RFC 9745). `Link` names the successor (RFC 5829's
# `successor-version`). No end of service has been announced, so there is no `Sunset`
# (RFC 8594): a date would be made up. See docs/reports.md.
DEPRECATED_SINCE = datetime(2026, 10, 8, tzinfo=UTC)
DEPRECATION = f"@{int(DEPRECATED_SINCE.timestamp())}"  # RFC 9745: a Unix time
DEPRECATION_HEADERS: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "Deprecation": {
                "description": f"When the path was deprecated (RFC 9745): `{DEPRECATION}`, "
                f"{DEPRECATED_SINCE.date()}.",
                "schema": {"type": "string"},
            },
            "Link": {
                "description": 'The path that replaces it, `rel="successor-version"`.',
                "schema": {"type": "string"},
            },
        }
    }
}


def deprecated(response: JSONResponse, successor: str) -> JSONResponse:
    response.headers["Deprecation"] = DEPRECATION
    response.headers["Link"] = f'<{successor}>; rel="successor-version"'
    return response


# Fixed paths under /stats come before `/stats/{metric}`, which would take them as metrics.


@router.get(
    "/stats/time_series", response_model=MetricCatalog, summary="List the time-series metrics"
)
async def list_time_series(request: Request, principal: CanReadStats) -> JSONResponse:
    return render(request, "stats_metric.collection", {"data": service.METRICS})


@router.get("/stats/time_series/{metric}", response_model=TimeSeries, summary="A metric over time")
async def retrieve_time_series(
    request: Request, principal: CanReadStats, session: SessionDep, query: SeriesQuery
) -> JSONResponse:
    series = await service.time_series(session, principal, query)
    return render(request, "stats_time_series", series)


@router.get(
    "/stats/reports",
    response_model=ReportCatalog,
    summary="List the reports: aggregates not bucketed over time",
)
async def list_reports(request: Request, principal: CanReadStats) -> JSONResponse:
    return render(request, "stats_report.collection", {"data": service.REPORTS})


@router.get(
    "/stats",
    response_model=MetricCatalog,
    summary="List the time-series metrics (deprecated: use GET /stats/time_series)",
    deprecated=True,
    responses=DEPRECATION_HEADERS,
)
async def list_stats(request: Request, principal: CanReadStats) -> JSONResponse:
    response = await list_time_series(request, principal)
    return deprecated(response, request.url_for("list_time_series").path)


@router.get(
    "/stats/{metric}",
    response_model=TimeSeries,
    summary="A metric over time (deprecated: use GET /stats/time_series/{metric})",
    deprecated=True,
    responses=DEPRECATION_HEADERS,
)
async def retrieve_stats(
    request: Request, principal: CanReadStats, session: SessionDep, query: SeriesQuery
) -> JSONResponse:
    response = await retrieve_time_series(request, principal, session, query)
    return deprecated(response, request.url_for("retrieve_time_series", metric=query.metric).path)
