"""From 2026-10-08 down to 2026-09-29 (whop-sdk 2.2.0, and 2.1.0)."""

from __future__ import annotations

from typing import Any

from adline.core.versioning import VersionChange, response_migration


class CampaignsWithoutCampaignType(VersionChange):
    """Campaigns had no `campaign_type` (standard or search): every campaign was a
    standard one, and could not be created as anything else."""

    added_fields = {"ad_campaign": ("campaign_type",)}


class IssuesWithoutCategoryAndTitle(VersionChange):
    """An issue was `{id, message, resource_id, resource_type}`: no severity `category`
    (information, warning, error) and no `title`."""

    @response_migration("ad_campaign", "ad_group", "ad")
    @staticmethod
    def message_only(body: dict[str, Any]) -> dict[str, Any]:
        for issue in body["issues"]:
            issue.pop("category", None)
            issue.pop("title", None)
        return body


class AdGroupsWithoutKeywordsOrLearningProgress(VersionChange):
    """Ad groups had no search `keywords` and did not show their `learning_progress`."""

    added_fields = {"ad_group": ("keywords",)}
    added_response_fields = {"ad_group": ("learning_progress",)}


class AdsNamedTheirAccountsSocialAccounts(VersionChange):
    """The accounts an ad runs under were its `social_accounts` (`[{id}]`), later renamed
    `external_accounts`."""

    renamed_fields = {"ad": {"social_accounts": "external_accounts"}}


CHANGES = [
    CampaignsWithoutCampaignType,
    IssuesWithoutCategoryAndTitle,
    AdGroupsWithoutKeywordsOrLearningProgress,
    AdsNamedTheirAccountsSocialAccounts,
]
