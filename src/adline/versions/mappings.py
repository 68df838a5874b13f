"""Value mappings between API versions (spec D.1), one table each, used both ways.

Where a newer value has no older counterpart, the table maps it to the closest documented
older value; docs/versions.md lists those choices.
"""

from __future__ import annotations

from typing import Any

from adline.core.errors import InvalidRequest
from adline.core.money import MICROS_PER_CENT, dollars_to_micros, micros_to_dollars

# bid strategy (2025-01-01 `config.bid_strategy`) <-> bid type (newer `bid_type`).
BID_TYPE_OF_BID_STRATEGY = {
    "lowest_cost": "minimum_cost",
    "cost_cap": "average_target",
    "bid_cap": "maximum_target",
}
BID_STRATEGY_OF_BID_TYPE = {value: key for key, value in BID_TYPE_OF_BID_STRATEGY.items()}

# budget optimization: a boolean (2025-01-01 `config.budget_optimization`) <-> the enum.
BUDGET_OPTIMIZATION_OF_FLAG = {True: "ad_campaign", False: "ad_group"}
FLAG_OF_BUDGET_OPTIMIZATION = {value: key for key, value in BUDGET_OPTIMIZATION_OF_FLAG.items()}

# special categories: free strings in 2025-01-01, an enum later.
SPECIAL_AD_CATEGORY_OF_LEGACY = {
    "housing": "housing",
    "employment": "employment",
    "credit": "financial_products",
    "financial_products": "financial_products",
    "politics": "politics",
    "issues_elections_politics": "politics",
}
LEGACY_OF_SPECIAL_AD_CATEGORY = {
    "housing": "housing",
    "employment": "employment",
    "financial_products": "credit",
    "politics": "issues_elections_politics",
}

# 2025-01-01 `config.conversion_goal` (seed 002) -> objective.
OBJECTIVE_OF_CONVERSION_GOAL = {
    "purchase": "sales",
    "add_to_cart": "sales",
    "initiate_checkout": "sales",
    "lead": "leads",
    "complete_registration": "leads",
    "submit_application": "leads",
    "contact": "leads",
    "schedule": "leads",
    "link_clicks": "traffic",
    "landing_page_views": "traffic",
    "reach": "awareness",
    "impressions": "awareness",
    "post_engagement": "engagement",
    "page_likes": "engagement",
    "video_views": "engagement",
}

# objective -> 2025-01-01 `config.conversion_goal`, shown for campaigns created without one
# (with `config.objective`, or in a newer version).
CONVERSION_GOAL_OF_OBJECTIVE = {
    "sales": "purchase",
    "leads": "lead",
    "traffic": "link_clicks",
    "awareness": "reach",
    "engagement": "post_engagement",
}

# Campaign status: the newest 12 values -> the 4 of 2026-06-20 (seed 000).
CAMPAIGN_STATUS_2026_06_20 = {
    "draft": "draft",
    "active": "active",
    "paused": "paused",
    "payment_failed": "payment_failed",
    "duplicating": "draft",
    "importing": "draft",
    "imported": "draft",
    "inactive": "paused",
    "stale": "paused",
    "pending_refund": "payment_failed",
    "in_review": "active",
    "flagged": "active",
}

# Ad group status: newest -> 2026-06-09 (active, paused, inactive, in_review, rejected, flagged).
AD_GROUP_STATUS_2026_06_09 = {
    "active": "active",
    "paused": "paused",
    "rejected": "rejected",
    "duplicating": "inactive",
}

# Ad status: newest -> 2026-06-09 (ExternalAdStatuses of seed 001).
AD_STATUS_2026_06_09 = {
    "active": "active",
    "paused": "paused",
    "in_review": "in_review",
    "rejected": "rejected",
    "duplicating": "inactive",
}

# Campaign status of 2025-01-01 (9 values) from the 2026-06-09 status and, where it says
# more, the newest delivery status.
ORIGINAL_STATUS_OF_DELIVERY = {
    "in_appeal": "in_review",
    "all_ads_rejected": "flagged",
}


def original_campaign_status(status: str, delivery_status: str) -> str:
    if status == "active" and delivery_status in ORIGINAL_STATUS_OF_DELIVERY:
        return ORIGINAL_STATUS_OF_DELIVERY[delivery_status]
    return status


def cents_to_micros(cents: int) -> int:
    return cents * MICROS_PER_CENT


def dollars_to_cents(dollars: float) -> int:
    """`config.bid_amount` of 2025-01-01 is whole cents (rounded half-even)."""
    return round(dollars_to_micros(round(dollars, 2)) / MICROS_PER_CENT)


def cents_to_dollars(cents: int) -> float:
    return micros_to_dollars(cents_to_micros(cents))


def _inverse(table: dict[str, str]) -> dict[str, list[str]]:
    inverse: dict[str, list[str]] = {}
    for newer, older in table.items():
        inverse.setdefault(older, []).append(newer)
    return inverse


# A list's `status` filter takes the values of every version: an older name stands for the
# newest statuses it renders (e.g. an ad group `inactive` is one being duplicated); names
# Adline never produces match nothing.
STATUS_FILTERS: dict[str, dict[str, list[str]]] = {
    "ad_campaign": {
        **{status: [status] for status in ("draft", "active", "paused", "payment_failed")},
        "duplicating": ["duplicating"],
        **{
            status: [] for status in ("inactive", "stale", "pending_refund", "in_review", "flagged")
        },
    },
    "ad_group": {
        **_inverse(AD_GROUP_STATUS_2026_06_09),
        **{status: [status] for status in AD_GROUP_STATUS_2026_06_09},
        "in_review": [],
        "flagged": [],
    },
    "ad": {
        **_inverse(AD_STATUS_2026_06_09),
        **{status: [status] for status in AD_STATUS_2026_06_09},
        "flagged": [],
    },
}


def status_filter(kind: str, value: str | None) -> list[str] | None:
    """The newest statuses a list's `status` parameter selects; 400 for an unknown value."""
    if value is None:
        return None
    table = STATUS_FILTERS[kind]
    if value not in table:
        raise InvalidRequest(
            f"Invalid value for status: must be one of {', '.join(table)}.", param="status"
        )
    return table[value]


# Campaign delivery status: newest -> 2026-10-09-2, before `learning` was told apart.
CAMPAIGN_DELIVERY_STATUS_2026_10_09_2 = {"learning": "active"}

# Delivery status: newest -> 2026-09-15, before `in_appeal` (an appealed ad is still
# rejected; a campaign or ad group with one has issues).
DELIVERY_STATUS_2026_09_15 = {
    "ad_campaign": {"in_appeal": "issues"},
    "ad_group": {"in_appeal": "issues"},
    "ad": {"in_appeal": "rejected"},
}

# Ad call to action: newest -> 2026-09-23, before donate_now, see_more and visit_site.
CALL_TO_ACTION_2026_09_23 = {
    "donate_now": "learn_more",
    "see_more": "see_details",
    "visit_site": "open_link",
}

# Status: newest -> 2026-07-08-1, before `duplicating` (a campaign copy becomes a draft; an
# ad group copy delivers nothing until it is done).
STATUS_2026_07_08_1 = {
    "ad_campaign": {"duplicating": "draft"},
    "ad_group": {"duplicating": "paused"},
}

# Result event: newest -> 2026-07-08-1, before messaging conversations were their own event.
RESULT_EVENT_2026_07_08_1 = {"messaging_conversation": "custom"}

# Ad delivery status: newest -> 2026-07-08-1, before `scheduled` (not delivering yet).
AD_DELIVERY_STATUS_2026_07_08_1 = {"scheduled": "processing"}

# Ad group conversion location: newest -> 2026-07-08-1, before the Instagram variants.
CONVERSION_LOCATION_2026_07_08_1 = {
    "instagram_and_facebook": "profile",
    "instagram_profile": "profile",
}


def remap(body: dict[str, Any], field: str, table: dict[str, str]) -> dict[str, Any]:
    """Show a newer value of `body[field]` as the older one `table` maps it to."""
    value = body.get(field)
    if isinstance(value, str) and value in table:
        body[field] = table[value]
    return body
