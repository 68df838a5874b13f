"""From 2026-08-21-1 down to 2026-07-08-1 (whop-sdk 0.0.41, the last Stainless client)."""

from __future__ import annotations

from typing import Any

from adline.core.versioning import VersionChange, response_migration
from adline.versions.mappings import (
    AD_DELIVERY_STATUS_2026_07_08_1,
    CONVERSION_LOCATION_2026_07_08_1,
    RESULT_EVENT_2026_07_08_1,
    STATUS_2026_07_08_1,
    remap,
)

METRIC_KINDS = ("ad_campaign", "ad_group", "ad")

# Per-event values and the cost per unique click, added by whop-sdk 1.0.
EVENT_VALUES = (
    "lead_value",
    "contact_value",
    "schedule_value",
    "submitted_application_value",
    "completed_registration_value",
    "viewed_content_value",
    "added_to_cart_value",
    "custom_event_values",
    "cost_per_unique_click",
)


class EventValuesNotReported(VersionChange):
    """Objects counted each event but did not report its value (`lead_value`, ...,
    `custom_event_values`), nor the cost per unique click."""

    added_response_fields = {kind: EVENT_VALUES for kind in METRIC_KINDS}


class StatusesBeforeDuplication(VersionChange):
    """Nothing was `duplicating` yet (a campaign copy reads `draft`, an ad group copy
    `paused`); messaging conversations were a `custom` result event; an ad waiting for its
    start time read `processing`; ad groups had no Instagram conversion locations."""

    @response_migration("ad_campaign")
    @staticmethod
    def campaign_values(body: dict[str, Any]) -> dict[str, Any]:
        remap(body, "result_event", RESULT_EVENT_2026_07_08_1)
        return remap(body, "status", STATUS_2026_07_08_1["ad_campaign"])

    @response_migration("ad_group")
    @staticmethod
    def group_values(body: dict[str, Any]) -> dict[str, Any]:
        # The seeds' vocabulary below tells a copy apart again (`inactive`).
        body["_status"] = body["status"]
        remap(body, "result_event", RESULT_EVENT_2026_07_08_1)
        remap(body, "conversion_location", CONVERSION_LOCATION_2026_07_08_1)
        return remap(body, "status", STATUS_2026_07_08_1["ad_group"])

    @response_migration("ad")
    @staticmethod
    def ad_values(body: dict[str, Any]) -> dict[str, Any]:
        remap(body, "result_event", RESULT_EVENT_2026_07_08_1)
        return remap(body, "delivery_status", AD_DELIVERY_STATUS_2026_07_08_1)


class AdGroupsWithoutDetailedTargeting(VersionChange):
    """Ad groups had no `detailed_targeting` (interests, behaviours), and a campaign's
    special ad categories were set on create only."""

    added_fields = {"ad_group": ("detailed_targeting",)}
    added_request_fields = {"ad_campaign.update": ("special_ad_categories",)}


class FlagsAndListsAlwaysSet(VersionChange):
    """An ad group always said whether it used `dynamic_creative` and which `message_apps`
    it used, and an ad whether it allowed `multi_advertiser_ads`: never null (unset reads
    `false` and `[]`)."""

    @response_migration("ad_group")
    @staticmethod
    def group_defaults(body: dict[str, Any]) -> dict[str, Any]:
        if body.get("dynamic_creative") is None:
            body["dynamic_creative"] = False
        if body.get("message_apps") is None:
            body["message_apps"] = []
        return body

    @response_migration("ad")
    @staticmethod
    def ad_defaults(body: dict[str, Any]) -> dict[str, Any]:
        if body.get("multi_advertiser_ads") is None:
            body["multi_advertiser_ads"] = False
        return body


class DeletesAnsweredTrue(VersionChange):
    """Deleting a campaign, ad group or ad answered a bare `true` (the Stainless clients
    read a boolean), not `{id, deleted}`."""

    @response_migration("ad_campaign.deleted", "ad_group.deleted", "ad.deleted")
    @staticmethod
    def bare_true(body: dict[str, Any]) -> bool:
        return True


CHANGES = [
    EventValuesNotReported,
    StatusesBeforeDuplication,
    AdGroupsWithoutDetailedTargeting,
    FlagsAndListsAlwaysSet,
    DeletesAnsweredTrue,
]
