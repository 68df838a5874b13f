"""A campaign's `delivery_status`: derived on every read, never stored.

Precedence follows the order of the newest client's enum (spec C.2), highest first:
payment_failed, in_appeal, all_ads_rejected, draft, no_ad_groups, no_ads, paused, learning,
processing, issues, scheduled, completed, ad_groups_off, active. The first that holds wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from adline.campaigns.models import AdCampaign


@dataclass(frozen=True)
class CampaignChildren:
    """What the campaign's ad groups and ads look like, as far as delivery is concerned."""

    ad_groups: int = 0
    active_ad_groups: int = 0
    ads: int = 0
    rejected_ads: int = 0


def campaign_delivery_status(
    campaign: AdCampaign, children: CampaignChildren, now: datetime
) -> str:
    if campaign.status == "payment_failed":
        return "payment_failed"
    if children.ads and children.rejected_ads == children.ads:
        return "all_ads_rejected"
    if campaign.status == "draft":
        return "draft"
    if children.ad_groups == 0:
        return "no_ad_groups"
    if children.ads == 0:
        return "no_ads"
    if campaign.status == "paused":
        return "paused"
    if campaign.starts_at is not None and campaign.starts_at > now:
        return "scheduled"
    if campaign.ends_at is not None and campaign.ends_at <= now:
        return "completed"
    if children.active_ad_groups == 0:
        return "ad_groups_off"
    return "active"
