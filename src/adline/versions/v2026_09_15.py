"""From 2026-09-23 down to 2026-09-15 (whop-sdk 1.1.5)."""

from __future__ import annotations

from typing import Any

from adline.core.versioning import VersionChange, response_migration
from adline.versions.mappings import DELIVERY_STATUS_2026_09_15, remap


class BudgetsWithoutLocalCurrency(VersionChange):
    """Campaign and ad group budgets were dollars only: no `budget_amount_local` and no
    `budget_currency`."""

    added_fields = {
        "ad_campaign": ("budget_amount_local",),
        "ad_group": ("budget_amount_local",),
    }
    added_response_fields = {
        "ad_campaign": ("budget_currency",),
        "ad_group": ("budget_currency",),
    }


class AdGroupsAndAdsWithoutPlatform(VersionChange):
    """Ad groups and ads did not repeat their campaign's `platform`. (The seeds' older
    shapes show it again: 2026-06-20 puts it back.)"""

    @response_migration("ad_group", "ad")
    @staticmethod
    def keep_platform_aside(body: dict[str, Any]) -> dict[str, Any]:
        body["_platform"] = body.pop("platform")
        return body


class DeliveryWithoutInAppeal(VersionChange):
    """Delivery statuses had no `in_appeal`: a campaign or ad group with an appealed
    rejection read `issues`, an appealed ad `rejected`. Lead-form completions had no
    `button_type`, `file_url` or `phone_number`, custom locations no `country_code`."""

    @response_migration("ad_campaign")
    @staticmethod
    def campaign_delivery(body: dict[str, Any]) -> dict[str, Any]:
        return remap(body, "delivery_status", DELIVERY_STATUS_2026_09_15["ad_campaign"])

    @response_migration("ad_group")
    @staticmethod
    def group_delivery(body: dict[str, Any]) -> dict[str, Any]:
        regions = body.get("regions") or {}
        for side in ("include", "exclude"):
            for location in regions.get(side, {}).get("custom_locations") or []:
                location.pop("country_code", None)
        return remap(body, "delivery_status", DELIVERY_STATUS_2026_09_15["ad_group"])

    @response_migration("ad")
    @staticmethod
    def ad_delivery(body: dict[str, Any]) -> dict[str, Any]:
        completion = (body.get("lead_form") or {}).get("completion")
        if isinstance(completion, dict):
            for key in ("button_type", "file_url", "phone_number"):
                completion.pop(key, None)
        return remap(body, "delivery_status", DELIVERY_STATUS_2026_09_15["ad"])


CHANGES = [BudgetsWithoutLocalCurrency, AdGroupsAndAdsWithoutPlatform, DeliveryWithoutInAppeal]
