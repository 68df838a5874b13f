"""From 2026-07-08-1 (whop-sdk 0.0.41) down to 2026-06-20, the shape of seed 000."""

from __future__ import annotations

from typing import Any

from adline.ads.content import CONTENT_KEYS
from adline.core.versioning import VersionChange, response_migration
from adline.versions.mappings import (
    AD_GROUP_STATUS_2026_06_09,
    AD_STATUS_2026_06_09,
    CAMPAIGN_STATUS_2026_06_20,
)

# Metrics of whop-sdk 0.0.41 beyond seed 000's set of 18.
RELEASE_METRICS = (
    "results",
    "result_event",
    "result_event_name",
    "contacts",
    "schedules",
    "submitted_applications",
    "completed_registrations",
    "viewed_contents",
    "added_to_carts",
    "cost_per_contact",
    "cost_per_schedule",
    "cost_per_submitted_application",
    "cost_per_completed_registration",
    "cost_per_viewed_content",
    "cost_per_added_to_cart",
    "custom_conversions",
    "custom_event_counts",
)

# A report summary's ratios: whop-sdk 0.0.41's names -> the June 2026 clients' (spec B.8).
REPORT_METRIC_NAMES = {
    "click_through_rate": "ctr",
    "cost_per_click": "cpc",
    "cost_per_mille": "cpm",
    "return_on_ad_spend": "roas",
}

# Ad group settings of whop-sdk 0.0.41, beyond the budget the older shape shows.
RELEASE_AD_GROUP_SETTINGS = (
    "bid_type",
    "desired_cost_per_result",
    "minimum_daily_spend",
    "optimization_goal",
    "conversion_location",
    "conversion_event",
    "message_apps",
    "starts_at",
    "ends_at",
    "frequency_cap",
    "languages",
    "placements",
    "demographics",
    "audiences",
    "devices",
    "regions",
    "dynamic_creative",
)

# Ad content of whop-sdk 0.0.41 (the accounts under their name of then); seed 001's ad has
# none of it (it had a title).
RELEASE_AD_CONTENT = tuple(
    "social_accounts" if key == "external_accounts" else key
    for key in CONTENT_KEYS
    if key not in ("title", "existing_post_id", "music", "translations")
)


def _map_status(body: dict[str, Any], table: dict[str, str]) -> dict[str, Any]:
    body["status"] = table.get(body["status"], body["status"])
    return body


class HideNewerCampaignFields(VersionChange):
    """Campaigns did not show their `delivery_status` or the per-event metrics, and took no
    start or end time or bid target. The status showed only draft, active, paused and
    payment_failed."""

    added_request_fields = {
        "ad_campaign.create": ("desired_cost_per_result", "starts_at", "ends_at"),
        "ad_campaign.update": ("desired_cost_per_result", "starts_at", "ends_at"),
    }
    added_response_fields = {"ad_campaign": ("delivery_status", *RELEASE_METRICS)}

    @response_migration("ad_campaign")
    @staticmethod
    def four_statuses(body: dict[str, Any]) -> dict[str, Any]:
        return _map_status(body, CAMPAIGN_STATUS_2026_06_20)


class CampaignsShowNoSpendCapLink(VersionChange):
    """Seeds 000 to 003 print a campaign without `spend_cap_id`, so these versions show
    exactly their fields. Create and update still take `spend_cap_id`, and the link reads
    from the spend cap's side in every version (`GET /campaigns/{id}` of seed 004, and
    each cap's campaign count)."""

    added_response_fields = {"ad_campaign": ("spend_cap_id",)}


class ReportMetricsAbbreviated(VersionChange):
    """A report's summaries (`GET /ad_reports`, the Stainless clients of June 2026, spec
    B.8) named their ratios `ctr`, `cpc`, `cpm` and `roas`; whop-sdk 0.0.41 spelled them
    out (`click_through_rate`, `cost_per_click`, `cost_per_mille`, `return_on_ad_spend`)."""

    @response_migration("ad_report")
    @staticmethod
    def short_names(body: dict[str, Any]) -> dict[str, Any]:
        summaries = [body["summary"], *(row["summary"] for row in body["breakdown"] or [])]
        for summary in summaries:
            for newer, older in REPORT_METRIC_NAMES.items():
                summary[older] = summary.pop(newer)
        return body


class UseSeed001ShapesForAdGroupsAndAds(VersionChange):
    """Ad groups and ads had no settings, content or delivery status on the wire: an ad
    group shows its campaign, title, status, platform, budget and metrics; an ad its group,
    campaign, title, status, platform and metrics (seed 001). Statuses use the older
    vocabulary (a copy being made reads `inactive`). Their settings cannot be written in
    these versions either."""

    added_fields = {
        "ad_group": RELEASE_AD_GROUP_SETTINGS,
        "ad": RELEASE_AD_CONTENT,
    }
    added_response_fields = {
        "ad_group": ("delivery_status", *RELEASE_METRICS),
        "ad": ("delivery_status", *RELEASE_METRICS),
    }

    @response_migration("ad_group")
    @staticmethod
    def older_group_statuses(body: dict[str, Any]) -> dict[str, Any]:
        body["platform"] = body.pop("_platform")
        body["status"] = body.pop("_status")
        return _map_status(body, AD_GROUP_STATUS_2026_06_09)

    @response_migration("ad")
    @staticmethod
    def older_ad_statuses(body: dict[str, Any]) -> dict[str, Any]:
        body["platform"] = body.pop("_platform")
        return _map_status(body, AD_STATUS_2026_06_09)


class IdentifyIssuesByPolicyCategory(VersionChange):
    """An issue was `{id, category, resource_id, resource_type}` with the policy category
    (policy_rejection, creative_media, audience_targeting, ad_volume_limit, or null while
    unclassified) instead of the newest severity, title and message."""

    @response_migration("ad_campaign", "ad_group", "ad")
    @staticmethod
    def issue_shape(body: dict[str, Any]) -> dict[str, Any]:
        body["issues"] = [
            {
                "id": issue["id"],
                "category": issue["_legacy"]["category"],
                "resource_id": issue["resource_id"],
                "resource_type": issue["resource_type"],
                "_legacy": issue["_legacy"],
            }
            for issue in body["issues"]
        ]
        return body


CHANGES = [
    HideNewerCampaignFields,
    CampaignsShowNoSpendCapLink,
    ReportMetricsAbbreviated,
    UseSeed001ShapesForAdGroupsAndAds,
    IdentifyIssuesByPolicyCategory,
]
