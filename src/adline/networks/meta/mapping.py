"""Adline's specs as Meta payloads, and Meta's insights rows as Adline's reported hours.

Pure functions, no HTTP. Money crosses here and only here (docs/networks-meta.md#money):

- Adline amounts are integer micro-units; Meta's budgets, bids and spend caps are integers
  in the account currency's minor units (cents for USD); its reported `spend` and action
  values are decimal strings in major units. Conversions go through `Decimal`, never float.
- Budgets and bids round **half-even** to the minor unit, as Adline renders amounts
  (docs/api.md#money; Adline's amounts have at most two decimals, so USD never rounds).
- A spend cap rounds **down**: a hard limit may stop a fraction of a cent early, never late.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from adline.delivery.adapter import (
    WEEKDAYS,
    AdGroupSpec,
    AdSpec,
    Bidding,
    Budget,
    CampaignSpec,
    CreativeSummary,
    DeliverySchedule,
    FrequencyCap,
    GeoSelection,
    InvalidSpec,
    ObjectKind,
    ReportedHour,
    Targeting,
)
from adline.networks.base import reference

MICROS = Decimal(1_000_000)
# [verify per currency] Currencies Meta counts in whole units (no minor unit); every other
# currency counts in hundredths (networks.md §1.4).
WHOLE_UNIT_CURRENCIES = frozenset(
    {"JPY", "KRW", "CLP", "COP", "CRC", "HUF", "ISK", "IDR", "PYG", "TWD", "VND"}
)
# Meta removes a campaign's spend cap when it is set to this (its reference page's sentinel;
# 0 is refused). [verify]
NO_SPEND_CAP = 922337203685478
# Meta names are at most 400 characters [verify]; the reference suffix always survives.
MAX_NAME_LENGTH = 400

OBJECTIVES: dict[str, str] = {
    "awareness": "OUTCOME_AWARENESS",
    "traffic": "OUTCOME_TRAFFIC",
    "engagement": "OUTCOME_ENGAGEMENT",
    "leads": "OUTCOME_LEADS",
    "sales": "OUTCOME_SALES",
    "app_promotion": "OUTCOME_APP_PROMOTION",
}
BID_STRATEGIES: dict[str, str] = {
    "minimum_cost": "LOWEST_COST_WITHOUT_CAP",
    "average_target": "COST_CAP",
    "maximum_target": "LOWEST_COST_WITH_BID_CAP",
}
SPECIAL_AD_CATEGORIES: dict[str, str] = {
    "housing": "HOUSING",
    "employment": "EMPLOYMENT",
    "financial_products": "FINANCIAL_PRODUCTS_SERVICES",
    "politics": "ISSUES_ELECTIONS_POLITICS",
    "credit": "CREDIT",
}
OPTIMIZATION_GOALS: dict[str, str] = {
    "conversions": "OFFSITE_CONVERSIONS",
    "link_clicks": "LINK_CLICKS",
    "landing_page_views": "LANDING_PAGE_VIEWS",
    "reach": "REACH",
    "impressions": "IMPRESSIONS",
    "engagement": "POST_ENGAGEMENT",
    "conversations": "CONVERSATIONS",
    "video_views": "THRUPLAY",
    "two_second_views": "TWO_SECOND_CONTINUOUS_VIDEO_VIEWS",
    "page_likes": "PAGE_LIKES",
    "social_profile": "VISIT_INSTAGRAM_PROFILE",
    "ad_recall_lift": "AD_RECALL_LIFT",
    "event_responses": "EVENT_RESPONSES",
    "reminders_set": "REMINDERS_SET",
    "lead_generation": "LEAD_GENERATION",
    "quality_lead": "QUALITY_LEAD",
    "value": "VALUE",
    "profile_and_page_engagement": "PROFILE_AND_PAGE_ENGAGEMENT",
}
# Goals whose promoted object is the connection's Page.
PAGE_GOALS = frozenset({"page_likes", "lead_generation", "quality_lead", "event_responses"})
# Adline's standard conversion events as Meta's `custom_event_type`.
CUSTOM_EVENT_TYPES: dict[str, str] = {
    "purchase": "PURCHASE",
    "add_to_cart": "ADD_TO_CART",
    "initiated_checkout": "INITIATED_CHECKOUT",
    "add_payment_info": "ADD_PAYMENT_INFO",
    "complete_registration": "COMPLETE_REGISTRATION",
    "lead": "LEAD",
    "content_view": "CONTENT_VIEW",
    "search": "SEARCH",
    "contact": "CONTACT",
    "customize_product": "CUSTOMIZE_PRODUCT",
    "donate": "DONATE",
    "find_location": "FIND_LOCATION",
    "schedule": "SCHEDULE",
    "start_trial": "START_TRIAL",
    "submit_application": "SUBMIT_APPLICATION",
    "subscribe": "SUBSCRIBE",
}
CALLS_TO_ACTION: dict[str, str] = {
    "shop_now": "SHOP_NOW",
    "learn_more": "LEARN_MORE",
    "sign_up": "SIGN_UP",
    "subscribe": "SUBSCRIBE",
    "download": "DOWNLOAD",
    "book_now": "BOOK_NOW",
    "contact_us": "CONTACT_US",
    "get_offer": "GET_OFFER",
    "order_now": "ORDER_NOW",
    "apply_now": "APPLY_NOW",
}
# Insights action types counted as Adline report events. Only the aggregate types: Meta
# also reports each conversion per source (`offsite_conversion.fb_pixel_purchase`,
# `omni_purchase`, ...), and counting those too would count one purchase twice.
ACTION_EVENTS: dict[str, str] = {
    "purchase": "purchase",
    "add_to_cart": "add_to_cart",
    "initiate_checkout": "initiated_checkout",
    "add_payment_info": "add_payment_info",
    "complete_registration": "complete_registration",
    "lead": "lead",
    "view_content": "view_content",
    "search": "search",
    "contact": "contact",
    "customize_product": "customize_product",
    "donate": "donate",
    "find_location": "find_location",
    "schedule": "schedule",
    "start_trial": "start_trial",
    "submit_application": "submit_application",
    "subscribe": "subscribe",
    "onsite_conversion.messaging_conversation_started_7d": "messaging_conversation",
}
# Meta field (the last part of a blame_field_specs path first) -> Adline's param.
ADLINE_PARAMS: dict[str, str] = {
    "name": "title",
    "objective": "objective",
    "special_ad_categories": "special_ad_categories",
    "daily_budget": "budget_amount",
    "lifetime_budget": "budget_amount",
    "bid_strategy": "bid_strategy",
    "bid_amount": "desired_cost_per_result",
    "spend_cap": "spend_cap",
    "start_time": "starts_at",
    "end_time": "ends_at",
    "stop_time": "ends_at",
    "optimization_goal": "optimization_goal",
    "promoted_object": "conversion_event",
    "adset_schedule": "schedule",
    "frequency_control_specs": "frequency_cap",
    "daily_min_spend_target": "minimum_daily_spend",
    "geo_locations": "regions",
    "excluded_geo_locations": "regions",
    "age_min": "demographics",
    "age_max": "demographics",
    "genders": "demographics",
    "device_platforms": "devices",
    "user_os": "devices",
    "flexible_spec": "detailed_targeting",
    "custom_audiences": "audiences",
    "excluded_custom_audiences": "audiences",
    "locales": "languages",
    "publisher_platforms": "placements",
    "targeting": "targeting",
    "creative": "creative",
    "adset_id": "ad_group_id",
    "campaign_id": "ad_campaign_id",
}
HOURLY_BREAKDOWN = "hourly_stats_aggregated_by_advertiser_time_zone"
INSIGHTS_FIELDS = (
    "ad_id,impressions,clicks,unique_clicks,inline_link_clicks,spend,actions,action_values"
)


# --- Money -------------------------------------------------------------------------------------


def minor_per_major(currency: str) -> int:
    """Minor units in one major unit of `currency`, as Meta counts budgets (100 for USD)."""
    return 1 if currency.upper() in WHOLE_UNIT_CURRENCIES else 100


def to_minor(amount_micros: int, per_major: int = 100, *, rounding: str = ROUND_HALF_EVEN) -> int:
    """Micro-units as Meta's integer minor units (half-even unless told otherwise)."""
    minor = Decimal(amount_micros) * per_major / MICROS
    return int(minor.quantize(Decimal(1), rounding=rounding))


def spend_cap_minor(limit_micros: int, per_major: int = 100) -> int:
    """A hard limit in minor units, rounded down so it is never exceeded."""
    return to_minor(limit_micros, per_major, rounding=ROUND_FLOOR)


def micros_of_major(value: Any) -> int:
    """A reported major-unit decimal (`"12.34"`) as micro-units."""
    if value in (None, ""):
        return 0
    return int((Decimal(str(value)) * MICROS).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def micros_of_minor(value: Any, per_major: int = 100) -> int:
    """A minor-unit amount Meta reads back (`"2000"`, a string) as micro-units."""
    return int(Decimal(str(value)) * MICROS / per_major)


# --- Client reference --------------------------------------------------------------------------


def object_name(title: str | None, kind: ObjectKind, local_id: str) -> str:
    """The name Meta shows: the title (or the kind), then the reference. The title is cut,
    never the reference, so a lookup always finds the object."""
    mark = reference(local_id)
    label = (title or kind.replace("_", " ")).strip()
    room = MAX_NAME_LENGTH - len(mark) - 1
    return f"{label[:room].rstrip()} {mark}"


def has_reference(name: Any, local_id: str) -> bool:
    return isinstance(name, str) and name.endswith(reference(local_id))


def reference_filter(local_id: str) -> list[dict[str, Any]]:
    """An edge `filtering` that narrows a list to names carrying the reference (the caller
    still checks each name, so a filter Meta ignored only costs pages, never a mix-up)."""
    return [{"field": "name", "operator": "CONTAIN", "value": reference(local_id)}]


# --- Specs -> payloads -------------------------------------------------------------------------


def campaign_payload(spec: CampaignSpec, per_major: int, *, creating: bool) -> dict[str, Any]:
    """The campaign's settings. Created PAUSED (enabled once everything below exists);
    `special_ad_categories` is always sent, as Meta requires on create and edit."""
    payload: dict[str, Any] = {
        "name": object_name(spec.title, "ad_campaign", spec.id),
        "special_ad_categories": [_special_category(c) for c in spec.special_ad_categories],
        "status": "PAUSED" if creating else _status(spec.status),
    }
    if creating:
        # Meta fixes the objective and buying type at create.
        payload["objective"] = _objective(spec.objective)
        payload["buying_type"] = "AUCTION"
    if spec.budget is not None:  # CBO: the campaign owns the budget and the bid strategy
        payload.update(_budget(spec.budget, per_major))
        payload["bid_strategy"] = BID_STRATEGIES[spec.bidding.bid_type]
    else:
        # [verify] ABO campaigns are asked to say whether ad sets share budgets.
        payload["is_adset_budget_sharing_enabled"] = False
    if spec.starts_at is not None:
        payload["start_time"] = graph_time(spec.starts_at)
    if spec.ends_at is not None:
        payload["stop_time"] = graph_time(spec.ends_at)
    return payload


def ad_set_payload(
    spec: AdGroupSpec,
    per_major: int,
    *,
    creating: bool,
    page_id: str | None = None,
    pixel_id: str | None = None,
    ids: MetaTargetingIds | None = None,
) -> dict[str, Any]:
    """The ad set's settings. `campaign_id` only on create: an ad set never moves. `ids`
    are the account's ids for the targeting's saved audiences and languages."""
    payload: dict[str, Any] = {
        "name": object_name(spec.title, "ad_group", spec.id),
        "status": "PAUSED" if creating else _status(spec.status),
        "billing_event": "IMPRESSIONS",
        "targeting": targeting_spec(spec.targeting, ids),
    }
    if creating:
        if spec.campaign_network_id is None:
            raise InvalidSpec("The ad set's campaign is not on Meta yet", "ad_campaign_id")
        payload["campaign_id"] = spec.campaign_network_id
    if spec.optimization_goal is not None:
        goal = OPTIMIZATION_GOALS.get(spec.optimization_goal)
        if goal is None:
            raise InvalidSpec(
                f"Meta has no optimization goal {spec.optimization_goal!r}", "optimization_goal"
            )
        payload["optimization_goal"] = goal
    promoted = promoted_object(spec, page_id=page_id, pixel_id=pixel_id)
    if promoted is not None:
        payload["promoted_object"] = promoted
    if spec.budget is not None:  # ABO: the ad set owns budget and bid strategy
        payload.update(_budget(spec.budget, per_major))
        bidding = spec.bidding or Bidding()
        payload["bid_strategy"] = BID_STRATEGIES[bidding.bid_type]
    if spec.bidding is not None and spec.bidding.target_micros is not None:
        payload["bid_amount"] = to_minor(spec.bidding.target_micros, per_major)
    if spec.minimum_daily_spend_micros is not None:
        payload["daily_min_spend_target"] = to_minor(spec.minimum_daily_spend_micros, per_major)
    if spec.starts_at is not None:
        payload["start_time"] = graph_time(spec.starts_at)
    if spec.ends_at is not None:
        payload["end_time"] = graph_time(spec.ends_at)
    if spec.schedule is not None:
        payload["adset_schedule"] = ad_set_schedule(spec.schedule)
        payload["pacing_type"] = ["day_parting"]
    if spec.frequency_cap is not None:
        payload["frequency_control_specs"] = [frequency_control(spec.frequency_cap)]
    return payload


def promoted_object(
    spec: AdGroupSpec, *, page_id: str | None, pixel_id: str | None
) -> dict[str, Any] | None:
    """What the ad set optimizes for: the pixel event (website conversions) or the Page."""
    if spec.conversion_event is not None and pixel_id is not None:
        event = CUSTOM_EVENT_TYPES.get(spec.conversion_event)
        if event is None:  # a custom event name
            return {
                "custom_event_str": spec.conversion_event,
                "custom_event_type": "OTHER",
                "pixel_id": pixel_id,
            }
        return {"custom_event_type": event, "pixel_id": pixel_id}
    if spec.optimization_goal in PAGE_GOALS and page_id is not None:
        return {"page_id": page_id}
    return None


@dataclass(frozen=True)
class MetaTargetingIds:
    """What the adapter looked up on the account for a targeting: each saved audience's
    custom audience id, and each ISO 639-1 language's locale keys."""

    custom_audiences: Mapping[str, str] = field(default_factory=dict)
    locales: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


def targeting_spec(targeting: Targeting, ids: MetaTargetingIds | None = None) -> dict[str, Any]:
    """Meta's targeting spec. Saved audiences and languages go as the ids `ids` holds for
    them; one it lacks is refused rather than left out:
    dropping them would deliver (and spend) wider than asked."""
    ids = ids or MetaTargetingIds()
    spec: dict[str, Any] = {"geo_locations": geo_locations(targeting.include)}
    for key, audiences in (
        ("custom_audiences", targeting.audiences_include),
        ("excluded_custom_audiences", targeting.audiences_exclude),
    ):
        if audiences:
            spec[key] = [{"id": _custom_audience(ids, local)} for local in audiences]
    if targeting.languages:
        spec["locales"] = sorted(
            {key for code in targeting.languages for key in _locale_keys(ids, code)}
        )
    excluded = geo_locations(targeting.exclude)
    if excluded:
        spec["excluded_geo_locations"] = excluded
    if targeting.minimum_age is not None:
        spec["age_min"] = targeting.minimum_age
    if targeting.maximum_age is not None:
        spec["age_max"] = targeting.maximum_age
    if targeting.gender != "all":
        spec["genders"] = [1 if targeting.gender == "male" else 2]
    if targeting.device_platforms:
        spec["device_platforms"] = list(targeting.device_platforms)
    if targeting.operating_systems:
        spec["user_os"] = [
            _user_os(entry.os, entry.minimum_version) for entry in targeting.operating_systems
        ]
    detailed: dict[str, list[dict[str, str]]] = {}
    if targeting.interests:
        detailed["interests"] = [{"id": value} for value in targeting.interests]
    if targeting.behaviors:
        detailed["behaviors"] = [{"id": value} for value in targeting.behaviors]
    # Meta files each demographic category under its type's own key (life_events,
    # industries, income, family_statuses, work_*, education_*): Adline's types are those keys.
    typed = {category_id for _, category_id in targeting.demographic_categories}
    untyped = [value for value in targeting.demographic_ids if value not in typed]
    if untyped:
        raise InvalidSpec(
            "Demographic categories without their type cannot be sent to Meta: "
            + ", ".join(untyped),
            "detailed_targeting.demographics",
        )
    for kind, category_id in targeting.demographic_categories:
        detailed.setdefault(kind, []).append({"id": category_id})
    if detailed:
        spec["flexible_spec"] = [detailed]  # one entry: its options are OR'd
    spec["targeting_automation"] = {"advantage_audience": 1 if targeting.automatic else 0}
    if targeting.placements is not None:
        spec["publisher_platforms"] = [entry.platform for entry in targeting.placements]
        for entry in targeting.placements:
            if entry.positions:
                spec[f"{entry.platform}_positions"] = list(entry.positions)
    return spec


def _custom_audience(ids: MetaTargetingIds, audience_id: str) -> str:
    found = ids.custom_audiences.get(audience_id)
    if found is None:
        raise InvalidSpec(f"The saved audience {audience_id} is not on Meta yet", "audiences")
    return found


def _locale_keys(ids: MetaTargetingIds, code: str) -> tuple[int, ...]:
    keys = ids.locales.get(code)
    if not keys:
        raise InvalidSpec(f"Meta has no locale for the language {code!r}", "languages")
    return keys


def geo_locations(selection: GeoSelection) -> dict[str, Any]:
    geo: dict[str, Any] = {}
    if selection.countries:
        geo["countries"] = list(selection.countries)
    if selection.regions:
        geo["regions"] = [{"key": key} for key in selection.regions]
    if selection.cities:
        geo["cities"] = [{"key": key} for key in selection.cities]
    if selection.zips:
        geo["zips"] = [{"key": key} for key in selection.zips]
    if selection.country_groups:
        geo["country_groups"] = list(selection.country_groups)
    if selection.custom_locations:
        geo["custom_locations"] = [
            {
                "latitude": place.latitude,
                "longitude": place.longitude,
                "radius": place.radius,
                "distance_unit": place.distance_unit,
            }
            for place in selection.custom_locations
        ]
    return geo


def ad_set_schedule(schedule: DeliverySchedule) -> list[dict[str, Any]]:
    """Day-parting in the account's time zone (Meta's days count from Sunday = 0)."""
    return [
        {
            "days": [(WEEKDAYS.index(window.day) + 1) % 7],
            "start_minute": window.start_hour * 60,
            "end_minute": window.end_hour * 60,
            "timezone_type": "ADVERTISER",
        }
        for window in schedule.windows
    ]


def frequency_control(cap: FrequencyCap) -> dict[str, Any]:
    # Meta's interval is 1-90 days; "the whole run" takes the longest. [verify]
    return {
        "event": "IMPRESSIONS",
        "interval_days": cap.per_days or 90,
        "max_frequency": cap.maximum_impressions,
    }


@dataclass(frozen=True)
class MetaMedia:
    """An Adline file as it is on the ad account: an image's hash or a video's id. A video
    shown without an image file of the ad carries the `uri` of the thumbnail Meta made
    for it (`thumbnail_url`), which `video_data` requires."""

    kind: Literal["image", "video"]
    id: str
    thumbnail_url: str | None = None


def creative_payload(
    ad: AdSpec, *, page_id: str | None, media: Mapping[str, MetaMedia] | None = None
) -> dict[str, Any]:
    """The ad creative (`POST /act_{id}/adcreatives`), named by `creative_name`. `media`
    maps each of the creative's Adline file ids to what it was uploaded as (the adapter
    uploads them first); without it the ids are sent as Meta image hashes (video ids for
    video) as they are. The name digests what the creative shows with Adline's file ids,
    so telling whether a creative changed needs no upload."""
    named = _creative_content(ad.creative, page_id, None)
    content = named if media is None else _creative_content(ad.creative, page_id, media)
    return {"name": creative_name(ad.id, named), **content}


def creative_name(ad_id: str, content: Mapping[str, Any]) -> str:
    """The ad's reference and a digest of what the creative shows, so an update tells from
    one read whether the creative changed: a change sends the ad back to review, so an
    unchanged creative is never sent again."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return f"{reference(ad_id)} {hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def _creative_content(
    creative: CreativeSummary, page_id: str | None, media: Mapping[str, MetaMedia] | None
) -> dict[str, Any]:
    def uploaded(file_id: str) -> MetaMedia:
        if media is None:
            return MetaMedia("video" if creative.format == "video" else "image", file_id)
        return media[file_id]

    if creative.format == "existing_post":
        if page_id is None or creative.existing_post_id is None:
            raise InvalidSpec("An existing post needs the Page and the post id", "creative")
        return {"object_story_id": f"{page_id}_{creative.existing_post_id}"}
    if page_id is None:
        raise InvalidSpec("Meta ads run under a Page; the connection names none", "creative")
    story: dict[str, Any] = {"page_id": page_id}
    first = _first(creative.media_ids)
    shown = uploaded(first) if first is not None else None
    carousel = creative.format == "carousel"
    if carousel and any(uploaded(each).kind == "video" for each in creative.media_ids):
        raise InvalidSpec("A carousel on Meta shows images only", "creatives")
    if creative.format == "video" or (
        creative.format != "carousel" and shown is not None and shown.kind == "video"
    ):
        # One video file is shown as a video whatever the ad's format says.
        files = [uploaded(each) for each in creative.media_ids]
        clip = next((each for each in files if each.kind == "video"), shown)
        video: dict[str, Any] = {"video_id": clip.id if clip is not None else None}
        # Meta requires a thumbnail in video_data: the ad's own image file when it has
        # one, else the thumbnail Meta made for the video.
        still = next((each for each in files if each.kind == "image"), None)
        if still is not None:
            video["image_hash"] = still.id
        elif clip is not None and clip.thumbnail_url is not None:
            video["image_url"] = clip.thumbnail_url
        _put(video, "message", creative.primary_text)
        _put(video, "title", creative.headline)
        _put(video, "link_description", creative.description)
        if creative.call_to_action is not None and creative.url is not None:
            video["call_to_action"] = _call_to_action(creative)
        story["video_data"] = video
    else:
        link: dict[str, Any] = {"link": creative.url}
        _put(link, "message", creative.primary_text)
        _put(link, "name", creative.headline)
        _put(link, "description", creative.description)
        if creative.format == "carousel":
            link["child_attachments"] = [
                {"image_hash": uploaded(each).id, "link": creative.url}
                for each in creative.media_ids
            ]
        elif shown is not None:
            link["image_hash"] = shown.id
        if creative.call_to_action is not None:
            link["call_to_action"] = _call_to_action(creative)
        story["link_data"] = link
    return {"object_story_spec": story}


# How Graph writes instants: ISO 8601 with a numeric UTC offset, e.g. 2026-03-01T10:00:00+0000.
GRAPH_TIME = "%Y-%m-%dT%H:%M:%S%z"


def graph_time(instant: datetime) -> str:
    """An instant as Graph takes it."""
    return instant.astimezone(UTC).strftime(GRAPH_TIME)


def parse_graph_time(text: object) -> datetime:
    """An instant as Graph writes it (`created_time`, `updated_time`)."""
    return datetime.strptime(str(text), GRAPH_TIME)


def adline_param(blamed: Sequence[str]) -> str | None:
    """Adline's param for a `blame_field_specs` path (`["targeting", "age_min"]`): the most
    specific part Adline knows."""
    for part in reversed(blamed):
        if part in ADLINE_PARAMS:
            return ADLINE_PARAMS[part]
    return None


# --- Insights -> reported hours ----------------------------------------------------------------


@dataclass(frozen=True)
class LocalHour:
    """One insights row's hour: its local date and the hour of the day (0-23)."""

    day: date
    hour: int

    def to_utc(self, zone: tzinfo) -> datetime:
        return datetime.combine(self.day, time(self.hour), tzinfo=zone).astimezone(UTC)


def local_hour(row: Mapping[str, Any]) -> LocalHour:
    """`date_start` and `"09:00:00 - 09:59:59"` (the account's time zone)."""
    span = str(row[HOURLY_BREAKDOWN])
    return LocalHour(date.fromisoformat(str(row["date_start"])), int(span[:2]))


def reported_hour(
    row: Mapping[str, Any], *, ad_id: str, zone: tzinfo, revision: int
) -> ReportedHour:
    """One hourly insights row. Meta offers no hourly reach, so `reach` is 0 (ingestion
    keeps daily reach elsewhere); `unique_clicks` is Meta's, when it sends it."""
    counts = _actions(row.get("actions"), _count)
    values = _actions(row.get("action_values"), micros_of_major)
    return ReportedHour(
        ad_id=ad_id,
        hour_start=local_hour(row).to_utc(zone),
        impressions=_count(row.get("impressions")),
        reach=0,
        clicks=_count(row.get("clicks")),
        unique_clicks=_count(row.get("unique_clicks")),
        link_clicks=_count(row.get("inline_link_clicks")),
        spend_micros=micros_of_major(row.get("spend")),
        event_counts=counts,
        event_value_micros=values,
        revision=revision,
    )


def insights_params(since: date, until: date, *, level: str = "ad") -> dict[str, Any]:
    """The hourly insights of local days `since`..`until` (both included), a row per ad,
    day and hour."""
    return {
        "level": level,
        "fields": INSIGHTS_FIELDS,
        "breakdowns": [HOURLY_BREAKDOWN],
        "time_range": {"since": since.isoformat(), "until": until.isoformat()},
        "time_increment": 1,
    }


# --- Helpers -----------------------------------------------------------------------------------


def _budget(budget: Budget, per_major: int) -> dict[str, int]:
    field = "daily_budget" if budget.budget_type == "daily" else "lifetime_budget"
    return {field: to_minor(budget.amount_micros, per_major)}


def _status(status: str) -> str:
    return "ACTIVE" if status == "active" else "PAUSED"


def _objective(objective: str) -> str:
    try:
        return OBJECTIVES[objective]
    except KeyError:
        raise InvalidSpec(f"Meta has no objective {objective!r}", "objective") from None


def _special_category(category: str) -> str:
    return SPECIAL_AD_CATEGORIES.get(category, category.upper())


def _user_os(os: str, minimum_version: str | None) -> str:
    name = "iOS" if os == "ios" else "Android"
    return f"{name}_ver_{minimum_version}_and_above" if minimum_version else name


def _call_to_action(creative: CreativeSummary) -> dict[str, Any]:
    kind = str(creative.call_to_action)
    action: dict[str, Any] = {"type": CALLS_TO_ACTION.get(kind, kind.upper())}
    if creative.url is not None:
        action["value"] = {"link": creative.url}
    return action


def _put(target: dict[str, Any], key: str, value: str | None) -> None:
    if value is not None:
        target[key] = value


def _first(values: Iterable[str]) -> str | None:
    return next(iter(values), None)


def _count(value: Any) -> int:
    """A count Meta sends as a string (`"1200"`)."""
    return int(Decimal(str(value))) if value not in (None, "") else 0


def _actions(entries: Any, convert: Callable[[Any], int]) -> dict[str, int]:
    """Report events from `actions` (counts) or `action_values` (money), by Adline name."""
    totals: dict[str, int] = {}
    for entry in entries or ():
        event = ACTION_EVENTS.get(str(entry.get("action_type")))
        if event is None:
            continue
        amount = convert(entry.get("value"))
        if amount:
            totals[event] = totals.get(event, 0) + amount
    return totals
