"""From 2026-06-20 down to 2026-06-09: seed 001 and the older Stainless client (spec L)."""

from __future__ import annotations

from typing import Any

from adline.core.versioning import VersionChange, request_migration, response_migration


class NameTheBudgetBudget(VersionChange):
    """Campaigns and ad groups called their budget `budget` (dollars), not `budget_amount`.
    Campaigns did not show their objective, special ad categories, optimization goal,
    budget optimization or bid type; a campaign created with a `budget` owns it (CBO)."""

    added_fields = {
        "ad_campaign": (
            "special_ad_categories",
            "optimization_goal",
            "budget_optimization",
            "bid_type",
        )
    }
    # The objective is still written on create (every campaign needs one) but not shown.
    added_response_fields = {"ad_campaign": ("objective",)}
    renamed_fields = {
        "ad_campaign": {"budget": "budget_amount"},
        "ad_group": {"budget": "budget_amount"},
    }

    @request_migration("ad_campaign.create")
    @staticmethod
    def budget_means_campaign_budget(body: dict[str, Any]) -> dict[str, Any]:
        if body.get("budget_amount") is not None:
            body["budget_optimization"] = "ad_campaign"
        return body


class IssuesWithoutId(VersionChange):
    """An issue had no id: `{category, subtype, resource_type, resource_id, created_at,
    resolution_status}` (seed 001), category null until the network classified it."""

    @response_migration("ad_campaign", "ad_group", "ad")
    @staticmethod
    def issue_shape(body: dict[str, Any]) -> dict[str, Any]:
        body["issues"] = [
            {
                "category": issue["_legacy"]["category"],
                "subtype": issue["_legacy"]["subtype"],
                "resource_type": issue["resource_type"],
                "resource_id": issue["resource_id"],
                "created_at": issue["_legacy"]["created_at"],
                "resolution_status": issue["_legacy"]["resolution_status"],
            }
            for issue in body["issues"]
        ]
        return body


CHANGES = [NameTheBudgetBudget, IssuesWithoutId]
