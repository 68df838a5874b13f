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
