"""From 2026-10-13-1 down to 2026-10-09-2 (whop-sdk 2.4.0)."""

from __future__ import annotations

from typing import Any

from adline.core.versioning import VersionChange, response_migration
from adline.versions.mappings import CAMPAIGN_DELIVERY_STATUS_2026_10_09_2, remap

# Newest campaign facts the original version (2025-01-01) renders, kept before any step
# down the chain changes or hides them.
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


class CampaignDeliveryWithoutLearning(VersionChange):
    """A campaign's delivery status did not say `learning` yet: a campaign still in its
    learning phase read `active`."""

    @response_migration("ad_campaign")
    @staticmethod
    def learning_reads_active(body: dict[str, Any]) -> dict[str, Any]:
        # This is the first step down: keep what 2025-01-01 shows before anything changes.
        body["_newest"] = {key: body[key] for key in STASHED_FOR_ORIGINAL}
        return remap(body, "delivery_status", CAMPAIGN_DELIVERY_STATUS_2026_10_09_2)


CHANGES = [CampaignDeliveryWithoutLearning]
