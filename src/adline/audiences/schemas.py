"""Audience request bodies and the response shape (whop-sdk 2.6.0's `Audience`; the same
in every API version). `people` and `column_mapping` on add_people are Adline's own: see
docs/audiences.md."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from adline.core.schemas import PageInfoObject, RequestModel

AudienceType = Literal["custom", "lookalike"]
SourceType = Literal["csv_upload", "people_filter", "engagement"]
AudienceStatus = Literal["pending", "processing", "syncing", "ready", "partial", "failed"]


class ColumnMappingIn(RequestModel):
    """CSV headers per identity field (the SDK's `CreateAudiencesRequestColumnMapping`)."""

    country: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    ltv: str | None = None
    phone: str | None = None


class AudienceCreate(RequestModel):
    account_id: str
    audience_type: AudienceType | None = None
    auto_refresh: bool | None = None
    column_mapping: ColumnMappingIn | None = None
    count: int | None = None
    # Engagement rules: read only to say they are not supported, so any object is taken.
    engagement: dict[str, Any] | None = None
    file_id: str | None = None
    filters: dict[str, Any] | None = None
    name: str | None = None
    percentage: int | None = None
    source_audience_id: str | None = None
    source_type: SourceType | None = None


class AudienceUpdate(RequestModel):
    filters: dict[str, Any] | None = None
    # A blank name is ignored rather than clearing it (the SDK's docstring).
    name: str | None = None


class PersonIn(RequestModel):
    """One person, by the lowercase hex SHA-256 of a normalized identifier."""

    email: str | None = None
    phone: str | None = None


class AudiencePeopleAdd(RequestModel):
    # The SDK's customer CSV (a ready `text/csv` file), read with the audience's saved
    # column mapping, or with `column_mapping` (Adline's own) for this call.
    file_id: str | None = None
    column_mapping: ColumnMappingIn | None = None
    # Adline's own: the hashed identifiers themselves.
    people: list[PersonIn] | None = None


class MatchRateObject(BaseModel):
    platform: Literal["meta"]
    status: Literal["calculating", "available", "unavailable"] | None
    lower_bound: float | None
    upper_bound: float | None


class AudienceObject(BaseModel):
    id: str
    name: str
    audience_type: AudienceType
    source_type: SourceType
    status: AudienceStatus
    auto_refresh: bool
    engagement: dict[str, Any] | None
    filters: dict[str, Any] | None
    error_message: str | None
    lookalike_ratio: float | None
    lookalike_starting_ratio: float | None
    source_audience_id: str | None
    match_rates: list[MatchRateObject]
    platform_audience_ids: list[str]
    total_rows: float
    processed_rows: float
    matched_rows: float
    progress_percent: float
    last_refreshed_at: str | None
    created_at: str
    updated_at: str


class AudienceList(BaseModel):
    data: list[AudienceObject]
    page_info: PageInfoObject


class AudienceDeleted(BaseModel):
    success: bool
