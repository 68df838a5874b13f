"""From 2026-09-29 down to 2026-09-23 (whop-sdk 2.0.0)."""

from __future__ import annotations

from typing import Any

from adline.core.errors import InvalidRequest
from adline.core.versioning import VersionChange, request_migration, response_migration
from adline.versions.mappings import CALL_TO_ACTION_2026_09_23, remap

AD_TEXTS = ("headlines", "descriptions", "primary_texts")


class CampaignScheduleAndBidTargetNotShown(VersionChange):
    """A campaign did not show its `desired_cost_per_result`, `starts_at` or `ends_at`
    (create and update already took them)."""

    added_response_fields = {"ad_campaign": ("desired_cost_per_result", "starts_at", "ends_at")}


class AdGroupsWithoutDeliverySchedule(VersionChange):
    """Ad groups had no `delivery_schedule` (dayparting): they delivered around the clock."""

    added_fields = {"ad_group": ("delivery_schedule",)}


class AdTextsWereStrings(VersionChange):
    """An ad's `headlines`, `descriptions` and `primary_texts` were lists of strings, not of
    `{text, language}` objects; ads had no `translations`, creatives no `language`, and the
    calls to action donate_now, see_more and visit_site did not exist yet."""

    added_fields = {"ad": ("translations",)}

    @request_migration("ad.create", "ad.update")
    @staticmethod
    def strings_up(body: dict[str, Any]) -> dict[str, Any]:
        for field in AD_TEXTS:
            texts = body.get(field)
            if texts is None:
                continue
            if not isinstance(texts, list):
                raise InvalidRequest(f"Invalid value for {field}: must be a list.", param=field)
            for index, text in enumerate(texts):
                if not isinstance(text, str):
                    raise InvalidRequest(
                        f"Invalid value for {field}[{index}]: must be a string.",
                        param=f"{field}[{index}]",
                    )
            body[field] = [{"text": text} for text in texts]
        for index, creative in enumerate(body.get("creatives") or []):
            if isinstance(creative, dict) and "language" in creative:
                raise InvalidRequest(
                    "Unknown parameter: language. It exists in newer API versions only.",
                    param=f"creatives[{index}].language",
                )
        return body

    @response_migration("ad")
    @staticmethod
    def strings_down(body: dict[str, Any]) -> dict[str, Any]:
        for field in AD_TEXTS:
            body[field] = [text["text"] for text in body[field]]
        for creative in body["creatives"]:
            creative.pop("language", None)
        return remap(body, "call_to_action", CALL_TO_ACTION_2026_09_23)


CHANGES = [
    CampaignScheduleAndBidTargetNotShown,
    AdGroupsWithoutDeliverySchedule,
    AdTextsWereStrings,
]
