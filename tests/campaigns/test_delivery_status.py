"""delivery_status, one row per value reachable today (no ad groups exist yet)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adline.campaigns.delivery_status import CampaignChildren, campaign_delivery_status
from adline.campaigns.models import AdCampaign

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIVE = CampaignChildren(ad_groups=2, active_ad_groups=1, ads=3)


def campaign(
    status: str, starts_at: datetime | None = None, ends_at: datetime | None = None
) -> AdCampaign:
    return AdCampaign(status=status, starts_at=starts_at, ends_at=ends_at)


@pytest.mark.parametrize(
    ("status", "children", "starts_at", "ends_at", "expected"),
    [
        ("payment_failed", LIVE, None, None, "payment_failed"),
        (
            "active",
            CampaignChildren(ad_groups=1, active_ad_groups=1, ads=2, rejected_ads=2),
            None,
            None,
            "all_ads_rejected",
        ),
        ("draft", CampaignChildren(), None, None, "draft"),
        ("draft", LIVE, None, None, "draft"),
        ("active", CampaignChildren(), None, None, "no_ad_groups"),
        ("paused", CampaignChildren(), None, None, "no_ad_groups"),
        ("active", CampaignChildren(ad_groups=1, active_ad_groups=1), None, None, "no_ads"),
        ("paused", LIVE, None, None, "paused"),
        ("active", LIVE, NOW + timedelta(days=1), None, "scheduled"),
        ("active", LIVE, None, NOW - timedelta(seconds=1), "completed"),
        (
            "active",
            CampaignChildren(ad_groups=2, active_ad_groups=0, ads=2),
            None,
            None,
            "ad_groups_off",
        ),
        ("active", LIVE, NOW - timedelta(days=1), NOW + timedelta(days=1), "active"),
    ],
)
def test_campaign_delivery_status(
    status: str,
    children: CampaignChildren,
    starts_at: datetime | None,
    ends_at: datetime | None,
    expected: str,
) -> None:
    assert campaign_delivery_status(campaign(status, starts_at, ends_at), children, NOW) == expected
