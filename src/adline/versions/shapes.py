"""The response shapes of every version, as models: they describe each version in its
OpenAPI document, and tests validate every response against them (exact keys and types).

The newest shapes are the domains' own response models; older ones are written here from
the seeds and the spec (B.2-B.5, L). A field added to every version at once (a campaign's
`spend_cap_id`, seed 004) is in every release version's model; the seeds' versions print
their campaigns without it (`CampaignsShowNoSpendCapLink`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from adline.ad_groups.schemas import AdGroupObject
from adline.ads.schemas import AdObject
from adline.campaigns.schemas import AdCampaignObject
from adline.reports.schemas import ReportBucket
from adline.versions.release_shapes import RELEASES, release_shapes

LegacyCategory = Literal[
    "policy_rejection", "creative_media", "audience_targeting", "ad_volume_limit"
]
Platform = Literal["meta", "tiktok"]


class Shape(BaseModel):
    """Exactly these keys, each always present, with these types."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Reference(Shape):
    id: str


class PaymentMethodShape(Shape):
    """Seed 003's `payment_method` (BasePaymentMethod)."""

    typename: str
    id: str
    created_at: str
    payment_method_type: str


class Metrics2026(Shape):
    """The 18 metrics of seeds 000 and 001."""

    spend: float
    spend_currency: str | None
    impressions: int
    reach: int
    clicks: int
    unique_clicks: int
    purchases: int
    leads: int
    frequency: float | None
    click_through_rate: float
    unique_click_through_rate: float | None
    return_on_ad_spend: float
    purchase_value: float
    cost_per_click: float
    cost_per_mille: float
    cost_per_result: float | None
    cost_per_purchase: float | None
    cost_per_lead: float | None


class Issue20260620(Shape):
    id: str
    category: LegacyCategory | None
    resource_id: str | None
    resource_type: Literal["ad_campaign", "ad_group", "ad"]


class Issue20260609(Shape):
    category: LegacyCategory | None
    subtype: str | None
    resource_type: Literal["ad_campaign", "ad_group", "ad"]
    resource_id: str | None
    created_at: str
    resolution_status: Literal["open", "resolved", "acknowledged"]


class AdCampaign20260620(Metrics2026):
    id: str
    title: str
    status: Literal["draft", "active", "paused", "payment_failed"]
    platform: Platform
    objective: Literal["awareness", "traffic", "engagement", "leads", "sales"] | None
    special_ad_categories: list[Literal["housing", "employment", "financial_products", "politics"]]
    optimization_goal: str | None
    budget_amount: float | None
    budget_type: Literal["daily", "lifetime"] | None
    budget_optimization: Literal["ad_campaign", "ad_group"] | None
    bid_type: Literal["minimum_cost", "average_target", "maximum_target"] | None
    created_at: str
    updated_at: str
    issues: list[Issue20260620]


GroupStatus2026 = Literal["active", "paused", "inactive", "in_review", "rejected", "flagged"]


class AdGroup20260620(Metrics2026):
    id: str
    ad_campaign: Reference
    title: str | None
    status: GroupStatus2026
    platform: Platform
    budget_amount: float | None
    budget_type: Literal["daily", "lifetime"] | None
    created_at: str
    updated_at: str
    issues: list[Issue20260620]


class Ad20260620(Metrics2026):
    id: str
    ad_group: Reference
    ad_campaign: Reference
    title: str | None
    status: GroupStatus2026
    platform: Platform
    created_at: str
    updated_at: str
    issues: list[Issue20260620]


class AdCampaign20260609(Metrics2026):
    id: str
    title: str
    status: Literal["active", "paused", "payment_failed", "draft", "in_review", "flagged"]
    platform: Platform
    budget: float | None
    budget_type: Literal["daily", "lifetime"] | None
    created_at: str
    updated_at: str
    issues: list[Issue20260609]


class AdGroup20260609(Metrics2026):
    id: str
    ad_campaign: Reference
    title: str | None
    status: GroupStatus2026
    platform: Platform
    budget: float | None
    budget_type: Literal["daily", "lifetime"] | None
    created_at: str
    updated_at: str
    issues: list[Issue20260609]


class Ad20260609(Metrics2026):
    id: str
    ad_group: Reference
    ad_campaign: Reference
    title: str | None
    status: GroupStatus2026
    platform: Platform
    created_at: str
    updated_at: str
    issues: list[Issue20260609]


class CreatedByUser(Shape):
    id: str
    name: str | None
    username: str


class PromotedProduct(Shape):
    id: str
    title: str
    route: str


class CampaignConfig(Shape):
    """Seed 002's `config`, as the create body has it."""

    conversion_goal: str | None
    bid_strategy: Literal["lowest_cost", "bid_cap", "cost_cap"]
    bid_amount: int | None
    status: Literal["active", "paused"]
    special_categories: list[str]
    budget_optimization: bool
    start_time: str | None
    end_time: str | None


class AdCampaign20250101(Shape):
    id: str
    title: str
    status: Literal[
        "active",
        "paused",
        "inactive",
        "stale",
        "pending_refund",
        "payment_failed",
        "draft",
        "in_review",
        "flagged",
    ]
    target_country_codes: list[str]
    daily_budget: float | None
    platform: Platform | None
    available_budget: float
    created_at: str
    updated_at: str
    paused_until: str | None
    clicks_count: int
    impressions_count: int
    purchases_count: int
    remaining_balance: float
    revenue: float
    return_on_ad_spend: float
    todays_spend: float
    total_credits: float
    total_spend: float
    product: PromotedProduct | None
    created_by_user: CreatedByUser | None
    payment_method: PaymentMethodShape | None
    billing_ledger_account: Reference | None
    config: CampaignConfig | None


class AdGroup20250101(Shape):
    id: str
    ad_campaign: Reference
    title: str | None
    status: GroupStatus2026
    platform: Platform
    budget: float | None
    budget_type: Literal["daily", "lifetime"] | None
    created_at: str
    updated_at: str


class Ad20250101(Shape):
    id: str
    ad_campaign: Reference
    ad_group: Reference
    created_at: str
    platform: Platform
    status: GroupStatus2026
    title: str | None
    updated_at: str


class ReportSummary20260620(Shape):
    """A report summary before whop-sdk 0.0.41 spelled its ratios out (spec B.8)."""

    impressions: int
    clicks: int
    reach: int
    spend: float
    spend_currency: str | None
    ctr: float
    cpc: float
    cpm: float | None
    frequency: float | None
    roas: float | None
    result_count: int | None
    result_label_key: str | None
    result_label_override: str | None
    cost_per_result: float | None


class ReportRow20260620(Shape):
    id: str
    level: Literal["campaign", "ad_group", "ad"]
    name: str | None
    summary: ReportSummary20260620
    granularity: list[ReportBucket] | None


class AdReport20260620(Shape):
    summary: ReportSummary20260620
    granularity: list[ReportBucket] | None
    breakdown: list[ReportRow20260620] | None


RESPONSE_SHAPES: dict[str, dict[str, type[BaseModel]]] = {
    "2026-10-15-1": {"ad_campaign": AdCampaignObject, "ad_group": AdGroupObject, "ad": AdObject},
    "2026-06-20": {
        "ad_report": AdReport20260620,
        "ad_campaign": AdCampaign20260620,
        "ad_group": AdGroup20260620,
        "ad": Ad20260620,
    },
    "2026-06-09": {
        "ad_report": AdReport20260620,
        "ad_campaign": AdCampaign20260609,
        "ad_group": AdGroup20260609,
        "ad": Ad20260609,
    },
    "2025-01-01": {
        "ad_report": AdReport20260620,
        "ad_campaign": AdCampaign20250101,
        "ad_group": AdGroup20250101,
        "ad": Ad20250101,
    },
}

# The official client releases' default versions answer in the releases' own objects
# (the newest one is the domains' models above).
RESPONSE_SHAPES.update(
    {
        version: release_shapes(release)
        for release, version in RELEASES
        if version not in RESPONSE_SHAPES
    }
)
