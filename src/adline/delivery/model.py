"""The simulator's per-ad model: market parameters, what each optimization goal does, the
rates every ad draws once, the events its clicks turn into, review verdicts and the
corrections of late reports. docs/delivery.md explains each number.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from adline.delivery.adapter import AdGroupSpec, IssueCategory, ReportedHour, ReviewIssue
from adline.delivery.draws import binomial, lognormal_factor, poisson
from adline.metrics.formulas import RESULT_EVENT_OF_CONVERSION

# Market price of 1,000 impressions on each platform, for a US-priced audience.
MARKET_CPM_MICROS: dict[str, int] = {"meta": 12_000_000, "tiktok": 8_000_000, "google": 10_000_000}
DEFAULT_MARKET_CPM_MICROS = 10_000_000
# All clicks per impression, for an average ad.
BASE_CTR: dict[str, float] = {"meta": 0.012, "tiktok": 0.009, "google": 0.02}
DEFAULT_BASE_CTR = 0.01
# Share of an audience active during a run: the pool reach grows toward.
ACTIVE_SHARE = 0.7
# Most impressions one ad group can win per pool person per day (its share of voice).
SLOTS_PER_PERSON_DAY = 3.0
# The clearing price rises by up to this much as an ad's reach nears its pool.
SATURATION_PRICE = 0.5
# Evening auctions cost more: price x (1 - swing/2 + swing x curve/peak).
HOUR_PRICE_SWING = 0.3
PRICE_NOISE = 0.08
QUALITY_SIGMA = 0.3
# Cost caps: when the market cost per result exceeds the target by a factor 1/x, the win
# rate becomes x^exponent and the price paid falls to price x (floor + (1 - floor) x).
COST_CAP_EXPONENT: dict[str, float] = {"average_target": 2.0, "maximum_target": 3.0}
COST_CAP_PRICE_FLOOR: dict[str, float] = {"average_target": 0.7, "maximum_target": 0.5}
# A pacer behind plan spends at most this multiple of an hour's nominal share of the
# budget (daily: the day's budget by the traffic curve; lifetime: the flight's).
CATCH_UP = 2.0
# A lifetime budget without an end is spread over a rolling week.
LIFETIME_HORIZON = timedelta(days=7)
REVIEW_MINUTES = (5, 40)
# A correction is published 1-36 hours after the report it corrects; at most 3 per hour.
CORRECTION_MINUTES = (60, 36 * 60)
MAX_CORRECTIONS = 3
# Invalid-traffic refunds a correction applies, and the late conversions it adds.
CORRECTION_INVALID_IMPRESSIONS = 0.03
CORRECTION_INVALID_CLICKS = 0.05
CORRECTION_LATE_CONVERSIONS = 0.1
FORMAT_CTR: dict[str, float] = {"image": 1.0, "video": 1.1, "carousel": 1.05, "existing_post": 1.15}
INSTANT_FORM_LOCATIONS = frozenset(
    {"instant_forms", "instant_forms_and_messenger", "website_and_instant_forms", "on_ad"}
)


@dataclass(frozen=True)
class GoalShape:
    """How an optimization goal bends delivery: the price it pays (cpm), the clicks it finds
    (ctr), how often its own event happens (conversion), purchase values (value)."""

    cpm: float = 1.0
    ctr: float = 1.0
    conversion: float = 1.0
    value: float = 1.0


GOAL_SHAPES: dict[str, GoalShape] = {
    "conversions": GoalShape(cpm=1.25, conversion=2.0),
    "value": GoalShape(cpm=1.35, conversion=1.8, value=1.5),
    "link_clicks": GoalShape(cpm=1.0, ctr=1.35, conversion=1.0),
    "landing_page_views": GoalShape(cpm=1.05, ctr=1.25, conversion=1.15),
    "reach": GoalShape(cpm=0.55, ctr=0.6),
    "impressions": GoalShape(cpm=0.5, ctr=0.55),
    "lead_generation": GoalShape(cpm=1.2, conversion=2.5),
    "quality_lead": GoalShape(cpm=1.3, ctr=0.95, conversion=2.2),
    "conversations": GoalShape(cpm=1.1, ctr=1.1, conversion=2.0),
}
ENGAGEMENT_SHAPE = GoalShape(cpm=0.75, ctr=0.9)

# Rejections: category (seed 001), weight, and the subtypes a network reports.
ISSUE_CATALOGUE: tuple[tuple[IssueCategory, float, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "policy_rejection",
        0.55,
        (
            (
                "misleading_claims",
                "Misleading claims",
                "The ad makes claims its landing page does not support. Edit the text or the "
                "destination and resubmit the ad.",
            ),
            (
                "prohibited_products",
                "Prohibited product",
                "The ad promotes a product the network does not allow. Remove it from the ad "
                "and the landing page, then resubmit.",
            ),
            (
                "personal_attributes",
                "Personal attributes",
                "The text implies knowledge of the viewer's personal attributes. Rephrase it "
                "without addressing the viewer's traits.",
            ),
        ),
    ),
    (
        "creative_media",
        0.25,
        (
            (
                "low_quality_media",
                "Low-quality media",
                "The image or video is blurry, distorted or badly cropped. Upload a sharper "
                "file in the format's aspect ratio.",
            ),
            (
                "text_overlay",
                "Too much text on the media",
                "The media is mostly text. Move the message into the primary text and keep "
                "the media visual.",
            ),
        ),
    ),
    (
        "audience_targeting",
        0.12,
        (
            (
                "restricted_audience",
                "Audience not allowed",
                "This content may not target the selected ages or places. Narrow the "
                "ad group's targeting to allowed audiences.",
            ),
        ),
    ),
    (
        "ad_volume_limit",
        0.08,
        (
            (
                "ads_running_limit",
                "Ad limit reached",
                "The account runs as many ads as the network allows at once. Pause or "
                "delete ads, then resubmit this one.",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class AdTraits:
    """Rates drawn once per ad from the seed, so ads differ."""

    quality: float
    ctr: float
    link_share: float
    landing_rate: float  # landing page views per link click
    cart_rate: float  # add-to-carts per landing page view
    purchase_rate: float  # purchases per add-to-cart
    lead_rate: float
    registration_rate: float
    other_rate: float  # any other conversion event per landing page view
    messaging_rate: float  # conversations per click (messaging destinations)
    order_value_micros: int


def draw_traits(rng: random.Random, platform: str, creative_format: str) -> AdTraits:
    """An ad's rates, drawn once from its own generator."""
    quality = lognormal_factor(rng, QUALITY_SIGMA)
    base_ctr = BASE_CTR.get(platform, DEFAULT_BASE_CTR)
    format_factor = FORMAT_CTR.get(creative_format, 1.0)
    return AdTraits(
        quality=quality,
        ctr=base_ctr * quality * format_factor * lognormal_factor(rng, 0.2),
        link_share=rng.uniform(0.55, 0.8),
        landing_rate=rng.uniform(0.6, 0.85),
        cart_rate=rng.uniform(0.04, 0.12),
        purchase_rate=rng.uniform(0.25, 0.45),
        lead_rate=rng.uniform(0.03, 0.09),
        registration_rate=rng.uniform(0.02, 0.06),
        other_rate=rng.uniform(0.02, 0.08),
        messaging_rate=rng.uniform(0.15, 0.35),
        order_value_micros=round(rng.uniform(25, 150)) * 1_000_000,
    )


def goal_shape(goal: str | None) -> GoalShape:
    if goal is None:
        return GoalShape()
    return GOAL_SHAPES.get(goal, ENGAGEMENT_SHAPE)


def goal_event(group_spec: AdGroupSpec) -> str | None:
    """The event the group optimizes, in report vocabulary (`view_content`, custom names)."""
    event = group_spec.conversion_event
    if event is not None:
        return RESULT_EVENT_OF_CONVERSION.get(event, event)
    goal = group_spec.optimization_goal
    if goal in ("lead_generation", "quality_lead"):
        return "lead"
    if goal == "conversations" or group_spec.conversion_location == "messaging":
        return "messaging_conversation"
    if goal == "value":
        return "purchase"
    if goal == "landing_page_views":
        return "view_content"
    return None


def result_rate(traits: AdTraits, group_spec: AdGroupSpec) -> float:
    """Results per impression the network expects for the group's goal."""
    goal = group_spec.optimization_goal
    shape = goal_shape(goal)
    ctr = traits.ctr * shape.ctr
    link = ctr * traits.link_share
    if goal in ("reach", "impressions"):
        return 1 / 1000  # results are counted per thousand
    if goal == "link_clicks":
        return link
    if goal == "landing_page_views":
        return link * traits.landing_rate
    event = goal_event(group_spec)
    landed = link * traits.landing_rate
    rates = {
        "view_content": landed,
        "add_to_cart": landed * traits.cart_rate,
        "purchase": landed * traits.cart_rate * traits.purchase_rate,
        "lead": (ctr if group_spec.conversion_location in INSTANT_FORM_LOCATIONS else landed)
        * traits.lead_rate,
        "complete_registration": landed * traits.registration_rate,
        "messaging_conversation": ctr * traits.messaging_rate,
    }
    if event is not None:
        return rates.get(event, landed * traits.other_rate) * shape.conversion
    return ctr * 3  # engagement-style goals: reactions, views and clicks


def draw_events(
    rng: random.Random,
    traits: AdTraits,
    group_spec: AdGroupSpec,
    clicks: int,
    link_clicks: int,
) -> tuple[dict[str, int], dict[str, int]]:
    """Conversion events of an ad-hour's clicks: landings, carts, purchases (with values)
    and the group's own goal event, in report vocabulary; zero counts are left out."""
    goal = goal_event(group_spec)
    shape = goal_shape(group_spec.optimization_goal)

    def boost(event: str) -> float:
        return shape.conversion if event == goal else 1.0

    counts: dict[str, int] = {}
    values: dict[str, int] = {}
    landed = binomial(rng, link_clicks, min(0.98, traits.landing_rate * boost("view_content")))
    carts = binomial(rng, landed, min(0.95, traits.cart_rate * boost("add_to_cart")))
    purchases = binomial(rng, carts, min(0.95, traits.purchase_rate * boost("purchase")))
    counts["view_content"] = landed
    counts["add_to_cart"] = carts
    counts["purchase"] = purchases
    if purchases:
        values["purchase"] = sum(
            round(traits.order_value_micros * shape.value * lognormal_factor(rng, 0.5))
            for _ in range(purchases)
        )
    if goal == "lead" or group_spec.conversion_location in INSTANT_FORM_LOCATIONS:
        # Instant forms open on the click; website leads come from landings.
        base = clicks if group_spec.conversion_location in INSTANT_FORM_LOCATIONS else landed
        counts["lead"] = binomial(rng, base, min(0.9, traits.lead_rate * boost("lead")))
    if goal == "complete_registration":
        rate = min(0.9, traits.registration_rate * boost(goal))
        counts[goal] = binomial(rng, landed, rate)
    elif goal == "messaging_conversation":
        counts[goal] = binomial(rng, clicks, min(0.9, traits.messaging_rate * boost(goal)))
    elif goal is not None and goal not in counts:
        counts[goal] = binomial(rng, landed, min(0.9, traits.other_rate * boost(goal)))
    return {k: v for k, v in counts.items() if v}, values


def pick_issue(rng: random.Random) -> ReviewIssue:
    total = sum(weight for _, weight, _ in ISSUE_CATALOGUE)
    point = rng.random() * total
    category, _, subtypes = ISSUE_CATALOGUE[-1]
    for entry in ISSUE_CATALOGUE:
        point -= entry[1]
        if point < 0:
            category, _, subtypes = entry
            break
    subtype, title, message = subtypes[rng.randrange(len(subtypes))]
    return ReviewIssue(category, subtype, title, message)


def corrected(
    rng: random.Random, row: ReportedHour, revision: int, traits: AdTraits
) -> ReportedHour:
    """A later report of the same hour: invalid traffic refunded, late conversions added."""
    refunded = math.floor(row.impressions * rng.uniform(0, CORRECTION_INVALID_IMPRESSIONS))
    impressions = row.impressions - refunded
    spend = row.spend_micros * impressions // row.impressions if row.impressions else 0
    clicks = row.clicks - binomial(rng, row.clicks, rng.uniform(0, CORRECTION_INVALID_CLICKS))
    counts = dict(row.event_counts)
    values = dict(row.event_value_micros)
    for event, count in row.event_counts.items():
        late = poisson(rng, CORRECTION_LATE_CONVERSIONS * (count + 1))
        if not late:
            continue
        counts[event] = count + late
        if event == "purchase":
            values["purchase"] = values.get("purchase", 0) + late * traits.order_value_micros
    return ReportedHour(
        ad_id=row.ad_id,
        hour_start=row.hour_start,
        impressions=impressions,
        reach=min(row.reach, impressions),
        clicks=clicks,
        unique_clicks=min(row.unique_clicks, clicks),
        link_clicks=min(row.link_clicks, clicks),
        spend_micros=spend,
        event_counts=counts,
        event_value_micros=values,
        revision=revision,
    )
