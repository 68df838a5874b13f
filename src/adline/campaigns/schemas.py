"""Ad campaign request bodies and the response shape, newest version (spec B.1, A.2)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from adline.core.schemas import Dollars, PageInfoObject, RequestModel, Timestamp, Title
from adline.metrics.schemas import MetricFields
from adline.stats.ordering import ListOrder

Objective = Literal["awareness", "traffic", "engagement", "leads", "sales"]
Platform = Literal["meta", "tiktok"]
BudgetOptimization = Literal["ad_campaign", "ad_group"]
BudgetType = Literal["daily", "lifetime"]
BidType = Literal["minimum_cost", "average_target", "maximum_target"]
CampaignType = Literal["standard", "search"]
SpecialAdCategory = Literal["housing", "employment", "financial_products", "politics"]
CampaignOrder = ListOrder


class OriginalCampaignFields(RequestModel):
    """What only the original version (2025-01-01) writes. Its migration fills this from
    the old body (clients cannot send `_original` themselves); newer versions never see it."""

    target_country_codes: list[str] | None = None
    product_id: str | None = None
    # The campaign-level daily budget of an ABO campaign (see AdCampaign).
    daily_budget: Dollars | None = None
    # `config` as sent, where the newer fields do not say it all (see AdCampaign).
    bid_strategy: Literal["lowest_cost"] | None = None
    conversion_goal: str | None = None
    config_status: Literal["active", "paused"] | None = None
    special_categories: list[str] | None = None


class CampaignCreate(RequestModel):
    title: Title
    objective: Objective
    platform: Platform
    account_id: str | None = None
    budget_optimization: BudgetOptimization = "ad_group"
    budget_type: BudgetType | None = None
    budget_amount: Dollars | None = None
    budget_amount_local: Dollars | None = None
    bid_type: BidType | None = None
    desired_cost_per_result: Dollars | None = Field(default=None, gt=0)
    campaign_type: CampaignType = "standard"
    special_ad_categories: list[SpecialAdCategory] = Field(default_factory=list)
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    # The spend cap the campaign draws on (`sc_...`; docs/spend-caps.md).
    spend_cap_id: str | None = None
    original: OriginalCampaignFields | None = Field(default=None, alias="_original")


class CampaignUpdate(RequestModel):
    """Every key optional; only the keys sent change (`model_fields_set`)."""

    title: Title | None = None
    status: Literal["active"] | None = None
    budget_amount: Dollars | None = None
    budget_amount_local: Dollars | None = None
    budget_type: BudgetType | None = None
    budget_optimization: BudgetOptimization | None = None
    bid_type: BidType | None = None
    desired_cost_per_result: Dollars | None = None
    objective: Objective | None = None
    campaign_type: CampaignType | None = None
    special_ad_categories: list[SpecialAdCategory] | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    # Another cap moves the campaign there; null takes it out of its cap.
    spend_cap_id: str | None = None
    original: OriginalCampaignFields | None = Field(default=None, alias="_original")


class PlatformIssue(BaseModel):
    id: str
    category: Literal["information", "warning", "error"]
    title: str
    message: str
    resource_type: Literal["ad_campaign", "ad_group", "ad"]
    resource_id: str | None


class AdCampaignObject(MetricFields):
    """The newest AdCampaign: every key is always present (nullable ones as null)."""

    id: str
    title: str
    status: str
    delivery_status: str
    platform: Platform
    campaign_type: CampaignType
    objective: Objective | None
    special_ad_categories: list[SpecialAdCategory]
    optimization_goal: str | None
    budget_amount: float | None
    budget_amount_local: float | None
    budget_currency: str
    budget_type: BudgetType | None
    budget_optimization: BudgetOptimization | None
    bid_type: BidType | None
    desired_cost_per_result: float | None
    starts_at: str | None
    ends_at: str | None
    # The spend cap the campaign draws on; null when none. In every version.
    spend_cap_id: str | None
    created_at: str
    updated_at: str
    issues: list[PlatformIssue]


class AdCampaignList(BaseModel):
    data: list[AdCampaignObject]
    page_info: PageInfoObject


class DeletedObject(BaseModel):
    id: str
    deleted: bool
