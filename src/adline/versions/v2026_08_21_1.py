"""From 2026-09-15 down to 2026-08-21-1 (whop-sdk 1.0.14, and 1.0.11 at 2026-08-21)."""

from __future__ import annotations

from typing import Any

from adline.core.versioning import VersionChange, request_migration

METRIC_KINDS = ("ad_campaign", "ad_group", "ad")


class LinkClicksNotReported(VersionChange):
    """Objects did not report `link_clicks` apart from all clicks."""

    added_response_fields = {kind: ("link_clicks",) for kind in METRIC_KINDS}


class AdsPromotedAPostById(VersionChange):
    """An ad that promotes an existing post named it with `post_id`, later
    `existing_post_id`; ads had no `music`."""

    added_fields = {"ad": ("music",)}
    added_request_fields = {
        "ad.create": ("existing_post_id",),
        "ad.update": ("existing_post_id",),
    }
    added_response_fields = {"ad": ("existing_post_id",)}
    request_param_names = {"ad": {"existing_post_id": "post_id"}}

    @request_migration("ad.create", "ad.update")
    @staticmethod
    def post_id_up(body: dict[str, Any]) -> dict[str, Any]:
        if "post_id" in body:
            body["existing_post_id"] = body.pop("post_id")
        return body


class CampaignBudgetTypeFixed(VersionChange):
    """A campaign's `budget_type` (daily or lifetime) was chosen on create only."""

    added_request_fields = {"ad_campaign.update": ("budget_type",)}


CHANGES = [LinkClicksNotReported, AdsPromotedAPostById, CampaignBudgetTypeFixed]
