"""Response models of the reports (spec B.8, with the metric names of whop-sdk 0.0.41 and
1.0.14, the last clients that had reports) and of the stats time series (newest client)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Granularity = Literal["hourly", "daily", "weekly", "monthly"]
Breakdown = Literal["campaign", "ad_group", "ad"]
Interval = Literal[
    "minute", "five_minutes", "thirty_minutes", "hour", "day", "week", "month", "year"
]
Metric = Literal["ad_spend", "ad_delivery"]


class ReportSummary(BaseModel):
    impressions: int
    clicks: int
    reach: int
    spend: float
    spend_currency: str | None
    click_through_rate: float
    cost_per_click: float
    cost_per_mille: float | None
    frequency: float | None
    return_on_ad_spend: float | None
    result_count: int | None
    result_label_key: str | None
    result_label_override: str | None
    cost_per_result: float | None


class ReportBucket(BaseModel):
    bucket_start: str
    stat_date: str
    stat_hour: int | None
    granularity: Granularity
    impressions: int
    clicks: int
    reach: int
    spend: float
    spend_currency: str | None
    result_count: int | None
    result_label_key: str | None
    result_label_override: str | None


class ReportRow(BaseModel):
    id: str
    level: Breakdown
    name: str | None
    summary: ReportSummary
    granularity: list[ReportBucket] | None


class AdReport(BaseModel):
    summary: ReportSummary
    granularity: list[ReportBucket] | None
    breakdown: list[ReportRow] | None


class TimeSeriesBreakdownItem(BaseModel):
    name: str
    value: float | None = None


class TimeSeriesPoint(BaseModel):
    timestamp: int
    value: float | None = None
    breakdown: list[TimeSeriesBreakdownItem] | None = None


class TimeSeriesTotal(BaseModel):
    name: str
    value: float | None = None


class TimeSeriesData(BaseModel):
    currency: str | None = None
    points: list[TimeSeriesPoint]
    totals: list[TimeSeriesTotal] | None = None


class TimeSeries(BaseModel):
    data: TimeSeriesData


class MetricDescription(BaseModel):
    key: str
    name: str
    description: str
    unit: Literal["count", "currency", "percent"]
    properties: list[str]


class MetricCatalog(BaseModel):
    data: list[MetricDescription]


class ReportColumn(BaseModel):
    """A property (an attribute of a row) or a metric (a number measured over it) of a
    report, as whop-sdk 2.6.0's `GET /stats/reports` describes columns."""

    key: str
    name: str
    type: Literal["property", "metric"]
    # Properties only.
    available_on: list[str] | None = None
    set: Literal["fixed", "open"] | None = None
    # Metrics only.
    unit: Literal["money", "count", "rate", "months", "years"] | None = None
    aggregate: Literal["sum", "average", "none"] | None = None
    weight: str | None = None
    default: bool | None = None
    breakdowns: list[str] | None = None
    windows: list[str] | None = None


class ReportDescription(BaseModel):
    key: str
    path: str
    description: str
    window_kind: Literal["range", "as_of"]
    window_field: str | None = None
    breakdowns: list[str]
    columns: list[ReportColumn]


class ReportCatalog(BaseModel):
    data: list[ReportDescription]
