"""`delivery_status` of campaigns, ad groups and ads: derived on every read, never stored.

One function per level, each from the object, its parents and a summary of its children.
Precedence follows the order of the newest client's enums (spec C.2, C.3, C.5), highest
first; the first rule that holds wins. docs/campaign-states.md lists the rules.

`processing` (changes not yet confirmed by the network) and the learning phase are facts
that delivery reports; until an object has delivered they are false.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Learning = Literal["learning", "learning_limited"] | None


class HasStatus(Protocol):
    status: str


class Scheduled(Protocol):
    status: str
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class DeliveryFacts:
    """What delivery and review say about one object (and, for a parent, its children)."""

    processing: bool = False
    learning: Learning = None
    open_errors: int = 0  # open error-severity issues on the object (and its descendants)
    in_appeal: bool = False  # a rejection of it (or, for a parent, of its ads) is appealed


@dataclass(frozen=True)
class CampaignChildren:
    ad_groups: int = 0
    active_ad_groups: int = 0
    ads: int = 0
    rejected_ads: int = 0


@dataclass(frozen=True)
class AdGroupChildren:
    ads: int = 0
    active_ads: int = 0
    rejected_ads: int = 0


NO_FACTS = DeliveryFacts()


def _before_start(obj: Scheduled, now: datetime) -> bool:
    return obj.starts_at is not None and obj.starts_at > now


def _after_end(obj: Scheduled, now: datetime) -> bool:
    return obj.ends_at is not None and obj.ends_at <= now


def campaign_delivery_status(
    campaign: Scheduled,
    children: CampaignChildren,
    now: datetime,
    facts: DeliveryFacts = NO_FACTS,
) -> str:
    all_rejected = children.ads > 0 and children.rejected_ads == children.ads
    if campaign.status == "payment_failed":
        return "payment_failed"
    if all_rejected and facts.in_appeal:
        return "in_appeal"
    if all_rejected:
        return "all_ads_rejected"
    if campaign.status in ("draft", "duplicating"):
        return "draft"
    if children.ad_groups == 0:
        return "no_ad_groups"
    if children.ads == 0:
        return "no_ads"
    if campaign.status == "paused":
        return "paused"
    if facts.learning is not None:
        return "learning"
    if facts.processing:
        return "processing"
    if facts.open_errors:
        return "issues"
    if _before_start(campaign, now):
        return "scheduled"
    if _after_end(campaign, now):
        return "completed"
    if children.active_ad_groups == 0:
        return "ad_groups_off"
    return "active"


def ad_group_delivery_status(
    group: Scheduled,
    campaign: Scheduled,
    children: AdGroupChildren,
    now: datetime,
    facts: DeliveryFacts = NO_FACTS,
) -> str:
    all_rejected = children.ads > 0 and children.rejected_ads == children.ads
    if (all_rejected or group.status == "rejected") and facts.in_appeal:
        return "in_appeal"
    if all_rejected:
        return "all_ads_rejected"
    if group.status == "rejected":
        return "rejected"
    if campaign.status in ("draft", "duplicating") or group.status == "duplicating":
        return "draft"
    if children.ads == 0:
        return "no_ads"
    if campaign.status == "paused":
        return "campaign_paused"
    if group.status == "paused":
        return "paused"
    if facts.processing:
        return "processing"
    if facts.open_errors:
        return "issues"
    if _before_start(group, now) or _before_start(campaign, now):
        return "scheduled"
    if _after_end(group, now) or _after_end(campaign, now):
        return "completed"
    if children.active_ads == 0:
        return "ads_off"
    if facts.learning == "learning_limited":
        return "learning_limited"
    if facts.learning == "learning":
        return "learning"
    return "active"


def ad_delivery_status(
    ad: HasStatus,
    group: Scheduled,
    campaign: Scheduled,
    now: datetime,
    facts: DeliveryFacts = NO_FACTS,
) -> str:
    """`ad` needs only `status`; its schedule is its group's and campaign's."""
    if ad.status == "rejected" and facts.in_appeal:
        return "in_appeal"
    if ad.status == "rejected":
        return "rejected"
    if ad.status == "in_review":
        return "in_review"
    if campaign.status in ("draft", "duplicating") or "duplicating" in (group.status, ad.status):
        return "draft"
    if campaign.status == "paused":
        return "campaign_paused"
    if group.status == "paused":
        return "ad_group_paused"
    if ad.status == "paused":
        return "paused"
    if facts.processing:
        return "processing"
    if facts.open_errors:
        return "issues"
    # The ad enum has no `completed`: outside its group's or campaign's window it waits.
    if any(_before_start(o, now) or _after_end(o, now) for o in (group, campaign)):
        return "scheduled"
    if facts.learning == "learning_limited":
        return "learning_limited"
    if facts.learning == "learning":
        return "learning"
    return "active"
