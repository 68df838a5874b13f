"""Conversion value rule request bodies and the response shape (whop-sdk 2.6.0's
`AdConversionValueRule`; the same in every API version)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from adline.core.schemas import PageInfoObject, RequestModel

Platform = Literal["tiktok", "meta", "google"]
Scope = Literal["business", "campaign", "ad_group", "ad"]
AdjustmentType = Literal["fixed", "percentage"]
RuleStatus = Literal["active", "paused"]
# The SDK's `AdConversionValueRuleEventEventName`, in its order.
EventName = Literal[
    "purchase",
    "subscribe",
    "start_trial",
    "lead",
    "complete_registration",
    "submit_application",
    "schedule",
    "contact",
    "view_content",
    "add_to_cart",
    "custom",
]
# As long as a recorded event's custom_name may be (docs/conversions.md).
CustomName = Annotated[str, Field(min_length=1, max_length=35)]


class TargetIn(RequestModel):
    platform: Platform
    scope: Scope
    # A campaign, ad group or ad id; null for a business target.
    resource_id: str | None = None


class EventIn(RequestModel):
    event_name: EventName
    custom_name: CustomName | None = None


class FixedValueIn(RequestModel):
    # A decimal string in major units, at most 2 decimals (checked by the service).
    amount: str
    currency: str


class RuleCreate(RequestModel):
    account_id: str
    adjustment_type: AdjustmentType
    events: list[EventIn]
    targets: list[TargetIn]
    fixed_value: FixedValueIn | None = None
    metadata: dict[str, str] | None = None
    percentage_change: Annotated[float, Field(allow_inf_nan=False)] | None = None
    replace_rule_ids: list[str] | None = None
    status: RuleStatus | None = None


class RuleUpdate(RequestModel):
    """Every key optional; only the keys sent change (`targets` and `events` in full)."""

    adjustment_type: AdjustmentType | None = None
    events: list[EventIn] | None = None
    targets: list[TargetIn] | None = None
    fixed_value: FixedValueIn | None = None
    metadata: dict[str, str] | None = None
    percentage_change: Annotated[float, Field(allow_inf_nan=False)] | None = None
    replace_rule_ids: list[str] | None = None


class MoneyObject(BaseModel):
    amount: str
    currency: str
    decimals: int
    display_decimals: int


class RuleEventObject(BaseModel):
    event_name: EventName
    custom_name: str | None


class RuleTargetObject(BaseModel):
    platform: Platform
    scope: Scope
    resource_id: str | None
    resource_title: str | None


class RuleObject(BaseModel):
    id: str
    account_id: str
    adjustment_type: AdjustmentType
    fixed_value: MoneyObject | None
    percentage_change: float | None
    events: list[RuleEventObject]
    targets: list[RuleTargetObject]
    status: RuleStatus
    metadata: dict[str, str]
    created_at: str
    updated_at: str


class RuleList(BaseModel):
    data: list[RuleObject]
    page_info: PageInfoObject


class DeletedRule(BaseModel):
    id: str
    deleted: bool
