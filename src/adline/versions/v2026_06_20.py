"""From the newest version (2026-10-15-1) down to 2026-06-20, the shape of seed 000."""

from __future__ import annotations

from typing import Any

from adline.ads.content import CONTENT_KEYS
from adline.core.versioning import VersionChange, response_migration
from adline.versions.mappings import (
    AD_GROUP_STATUS_2026_06_09,
    AD_STATUS_2026_06_09,
    CAMPAIGN_STATUS_2026_06_20,
)

# Metrics the newest clients added after seed 000's set of 18.
NEWER_METRICS = (
    "link_clicks",
    "results",
    "result_event",
    "result_event_name",
    "cost_per_unique_click",
    "lead_value",
    "contacts",
    "contact_value",
    "schedules",
    "schedule_value",
    "submitted_applications",
    "submitted_application_value",
    "completed_registrations",
    "completed_registration_value",
    "viewed_contents",
    "viewed_content_value",
    "added_to_carts",
    "added_to_cart_value",
    "cost_per_contact",
    "cost_per_schedule",
    "cost_per_submitted_application",
    "cost_per_completed_registration",
    "cost_per_viewed_content",
    "cost_per_added_to_cart",
    "custom_conversions",
    "custom_event_counts",
    "custom_event_values",
)

# Ad group settings of the newest clients, beyond the budget the older shape shows.
NEWER_AD_GROUP_SETTINGS = (
    "budget_amount_local",
    "budget_currency",
    "bid_type",
    "desired_cost_per_result",
    "minimum_daily_spend",
    "optimization_goal",
    "conversion_location",
    "conversion_event",
    "message_apps",
    "starts_at",
    "ends_at",
    "delivery_schedule",
    "frequency_cap",
    "keywords",
    "languages",
    "placements",
    "demographics",
    "detailed_targeting",
    "audiences",
    "devices",
    "regions",
    "dynamic_creative",
)

# Ad content of the newest clients; seed 001's ad has none of it (it had a title).
NEWER_AD_CONTENT = tuple(key for key in CONTENT_KEYS if key != "title")


# What the original version (2025-01-01) renders from fields the newer steps hide.
STASHED_FOR_ORIGINAL = (
    "status",
    "delivery_status",
    "objective",
    "special_ad_categories",
    "optimization_goal",
    "budget_amount",
    "budget_type",
    "budget_optimization",
    "bid_type",
    "desired_cost_per_result",
    "starts_at",
    "ends_at",
)


def _map_status(body: dict[str, Any], table: dict[str, str]) -> dict[str, Any]:
    body["status"] = table.get(body["status"], body["status"])
    return body


class HideNewerCampaignFields(VersionChange):
    """Campaigns lose what the newest clients added after 2026-06-20: `delivery_status`,
    `campaign_type`, the local-currency budget, bid targets, start and end times and the
    per-event metrics. The status shows only draft, active, paused and payment_failed
    (a campaign being duplicated reads `draft`)."""

    added_fields = {
        "ad_campaign": (
            "campaign_type",
            "budget_amount_local",
            "budget_currency",
            "desired_cost_per_result",
            "starts_at",
            "ends_at",
        )
    }
    added_response_fields = {"ad_campaign": ("delivery_status", *NEWER_METRICS)}

    @response_migration("ad_campaign")
    @staticmethod
    def four_statuses(body: dict[str, Any]) -> dict[str, Any]:
        # Facts the original version still renders, before they are hidden here.
        body["_newest"] = {key: body[key] for key in STASHED_FOR_ORIGINAL}
        return _map_status(body, CAMPAIGN_STATUS_2026_06_20)


class UseSeed001ShapesForAdGroupsAndAds(VersionChange):
    """Ad groups and ads before 2026-06-20's successors had no settings, content or delivery
    status on the wire: an ad group shows its campaign, title, status, platform, budget and
    metrics; an ad its group, campaign, title, status and metrics (seed 001). Statuses use
    the older vocabulary (a copy being made reads `inactive`). Their settings cannot be
    written in these versions either."""

    added_fields = {
        "ad_group": NEWER_AD_GROUP_SETTINGS,
        "ad": NEWER_AD_CONTENT,
    }
    added_response_fields = {
        "ad_group": ("delivery_status", "learning_progress", *NEWER_METRICS),
        "ad": ("delivery_status", *NEWER_METRICS),
    }

    @response_migration("ad_group")
    @staticmethod
    def older_group_statuses(body: dict[str, Any]) -> dict[str, Any]:
        return _map_status(body, AD_GROUP_STATUS_2026_06_09)

    @response_migration("ad")
    @staticmethod
    def older_ad_statuses(body: dict[str, Any]) -> dict[str, Any]:
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
    UseSeed001ShapesForAdGroupsAndAds,
    IdentifyIssuesByPolicyCategory,
]
