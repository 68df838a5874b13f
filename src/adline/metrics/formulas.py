"""Metric formulas and their null/zero rules (spec section I, seeds 000 and 001).

Inputs are integer totals (counts, micro-unit amounts) for one object over one stats
window; outputs are the API's metric fields. Rates are computed from the integers here and
nowhere else. Dollar amounts follow the one rounding rule of `adline.core.money`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adline.core.money import micros_to_dollars, ratio_to_dollars

# Standard conversion events with their own metric fields: event -> (count, value, cost_per).
EVENT_FIELDS: dict[str, tuple[str, str, str]] = {
    "purchase": ("purchases", "purchase_value", "cost_per_purchase"),
    "lead": ("leads", "lead_value", "cost_per_lead"),
    "contact": ("contacts", "contact_value", "cost_per_contact"),
    "schedule": ("schedules", "schedule_value", "cost_per_schedule"),
    "submit_application": (
        "submitted_applications",
        "submitted_application_value",
        "cost_per_submitted_application",
    ),
    "complete_registration": (
        "completed_registrations",
        "completed_registration_value",
        "cost_per_completed_registration",
    ),
    "view_content": ("viewed_contents", "viewed_content_value", "cost_per_viewed_content"),
    "add_to_cart": ("added_to_carts", "added_to_cart_value", "cost_per_added_to_cart"),
}


@dataclass(frozen=True)
class StatTotals:
    """What happened for one object in one window, as integers."""

    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    link_clicks: int = 0
    spend_micros: int = 0
    event_counts: dict[str, int] = field(default_factory=dict)
    event_value_micros: dict[str, int] = field(default_factory=dict)
    # Named custom events; unnamed ones count only in custom_conversions.
    custom_event_counts: dict[str, int] = field(default_factory=dict)
    custom_event_value_micros: dict[str, int] = field(default_factory=dict)
    custom_conversions: int = 0


@dataclass(frozen=True)
class ResultGoal:
    """What the object optimizes for, which decides `results` and the null/zero rules.

    `result_event` is None when nothing Whop-attributable is optimized, or when the groups
    beneath optimize different events (then `results` is the sum of their results).
    """

    optimized: bool = False
    result_event: str | None = None
    result_event_name: str | None = None
    results: int | None = None
    goal_events: frozenset[str] = frozenset()


NO_GOAL = ResultGoal()


def _cost_per(spend_micros: int, count: int, is_goal: bool) -> float | None:
    if count > 0:
        return ratio_to_dollars(spend_micros, count)
    # Zero while a tracked goal has no conversions yet; null when it is not a goal at all.
    return 0.0 if is_goal else None


def compute_metrics(totals: StatTotals, goal: ResultGoal, currency: str) -> dict[str, Any]:
    spend = totals.spend_micros
    impressions = totals.impressions
    metrics: dict[str, Any] = {
        "spend": micros_to_dollars(spend),
        "spend_currency": currency,
        "impressions": impressions,
        "reach": totals.reach,
        "clicks": totals.clicks,
        "unique_clicks": totals.unique_clicks,
        "link_clicks": totals.link_clicks,
        "click_through_rate": totals.clicks / impressions if impressions else 0.0,
        "unique_click_through_rate": totals.unique_clicks / impressions if impressions else None,
        "frequency": impressions / totals.reach if totals.reach else None,
        "cost_per_click": ratio_to_dollars(spend, totals.clicks) if totals.clicks else 0.0,
        "cost_per_mille": ratio_to_dollars(spend * 1000, impressions) if impressions else 0.0,
        "cost_per_unique_click": (
            ratio_to_dollars(spend, totals.unique_clicks) if totals.unique_clicks else None
        ),
    }
    results = goal.results if goal.optimized else None
    metrics["results"] = results
    metrics["result_event"] = goal.result_event if goal.optimized else None
    metrics["result_event_name"] = goal.result_event_name if goal.optimized else None
    if results is None:
        metrics["cost_per_result"] = None
    else:
        metrics["cost_per_result"] = ratio_to_dollars(spend, results) if results else 0.0

    purchase_value = totals.event_value_micros.get("purchase", 0)
    metrics["return_on_ad_spend"] = purchase_value / spend if spend else 0.0
    for event, (count_field, value_field, cost_field) in EVENT_FIELDS.items():
        count = totals.event_counts.get(event, 0)
        metrics[count_field] = count
        metrics[value_field] = micros_to_dollars(totals.event_value_micros.get(event, 0))
        metrics[cost_field] = _cost_per(spend, count, event in goal.goal_events)
    metrics["custom_conversions"] = totals.custom_conversions
    metrics["custom_event_counts"] = dict(totals.custom_event_counts)
    metrics["custom_event_values"] = {
        name: micros_to_dollars(value) for name, value in totals.custom_event_value_micros.items()
    }
    return metrics


# Ad-group conversion events (C.15) that Whop's pixel attributes, as result events (C.16).
RESULT_EVENT_OF_CONVERSION: dict[str, str] = {
    "purchase": "purchase",
    "lead": "lead",
    "schedule": "schedule",
    "submit_application": "submit_application",
    "contact": "contact",
    "complete_registration": "complete_registration",
    "content_view": "view_content",
    "add_to_cart": "add_to_cart",
}
# Standard conversion events that exist on networks but that Whop's pixel does not attribute.
UNATTRIBUTED_CONVERSIONS = frozenset(
    {
        "initiated_checkout",
        "add_payment_info",
        "customize_product",
        "donate",
        "find_location",
        "search",
        "start_trial",
        "subscribe",
    }
)


@dataclass(frozen=True)
class GroupGoal:
    """What one ad group optimizes for, as a result event (None: nothing attributable)."""

    optimization_goal: str | None
    result_event: str | None
    result_event_name: str | None


def ad_group_goal(
    optimization_goal: str | None, conversion_location: str | None, conversion_event: str | None
) -> GroupGoal:
    event: str | None = None
    name: str | None = None
    if conversion_event in RESULT_EVENT_OF_CONVERSION:
        event = RESULT_EVENT_OF_CONVERSION[conversion_event]
    elif conversion_event is not None and conversion_event not in UNATTRIBUTED_CONVERSIONS:
        event, name = "custom", conversion_event
    elif optimization_goal == "conversations" or conversion_location == "messaging":
        event = "messaging_conversation"
    elif optimization_goal in ("lead_generation", "quality_lead"):
        event = "lead"
    return GroupGoal(optimization_goal, event, name)


def result_count(totals: StatTotals, event: str, name: str | None) -> int:
    if event == "custom":
        return totals.custom_event_counts.get(name or "", 0)
    if event == "messaging_conversation":
        return totals.event_counts.get("messaging_conversation", 0)
    return totals.event_counts.get(event, 0)


def combined_goal(goals: list[GroupGoal], totals_by_goal: list[StatTotals]) -> ResultGoal:
    """The result goal of an object whose ad groups have `goals` (one ad group: one goal).

    Several groups optimizing the same event share it; different events leave
    result_event null and results the sum of each group's results (spec section I).
    """
    attributable = [
        (goal, totals)
        for goal, totals in zip(goals, totals_by_goal, strict=True)
        if goal.result_event is not None
    ]
    if not attributable:
        return NO_GOAL
    events = {(goal.result_event, goal.result_event_name) for goal, _ in attributable}
    results = sum(
        result_count(totals, goal.result_event or "", goal.result_event_name)
        for goal, totals in attributable
    )
    goal_events = frozenset(
        goal.result_event for goal, _ in attributable if goal.result_event in EVENT_FIELDS
    )
    if len(events) == 1:
        (event, name) = next(iter(events))
        return ResultGoal(True, event, name, results, goal_events)
    return ResultGoal(True, None, None, results, goal_events)
