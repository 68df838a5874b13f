"""Pure translations between Adline's specs and TikTok Business API v1.3 payloads.

No I/O: the adapter calls these, and tests call them without HTTP.

Money. Adline counts integer micro-units; TikTok takes `budget`/`bid_price` as numbers in
the advertiser currency's major units and reports `spend` as decimal strings. Budgets and
bids are rounded half-even to the cent (Adline's own rule for amounts, docs/api.md#money);
a hard spending limit is rounded down to the cent, so the network can never bill more than
the limit. Conversions go through `Decimal`, never float arithmetic.

Names carry the Adline id (`"Spring sale [adcamp_...]"`): it is the client reference by
which the adapter finds an object it created before a crash (docs/networks-tiktok.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from adline.delivery.adapter import (
    WEEKDAYS,
    AdGroupSpec,
    AdSpec,
    Bidding,
    Budget,
    CampaignSpec,
    InvalidSpec,
    ReportedHour,
    RunStatus,
    Targeting,
)

MICROS_PER_UNIT = Decimal(1_000_000)
CENT = Decimal("0.01")
# TikTok's name limits are not in our facts; keep names well inside any plausible one.
MAX_TITLE_LENGTH = 100
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

ENABLE, DISABLE, DELETE = "ENABLE", "DISABLE", "DELETE"

BUDGET_MODES = {"daily": "BUDGET_MODE_DAY", "lifetime": "BUDGET_MODE_TOTAL"}
# A campaign without a budget of its own (ABO) has no campaign cap.
NO_CAMPAIGN_BUDGET = "BUDGET_MODE_INFINITE"

OBJECTIVES = {
    "awareness": "REACH",
    "traffic": "TRAFFIC",
    "engagement": "ENGAGEMENT",
    "leads": "LEAD_GENERATION",
    # [verify] TikTok is said to stop manual-flow WEB_CONVERSIONS creates on 2027-01-01.
    "sales": "WEB_CONVERSIONS",
}

# Adline optimization goal -> (TikTok optimization_goal, billing_event). [verify] names
# beyond CLICK/REACH/CONVERT against the current docs.
OPTIMIZATION_GOALS = {
    "conversions": ("CONVERT", "OCPM"),
    "value": ("VALUE", "OCPM"),
    "link_clicks": ("CLICK", "CPC"),
    "landing_page_views": ("TRAFFIC_LANDING_PAGE_VIEW", "OCPM"),
    "reach": ("REACH", "CPM"),
    "impressions": ("SHOW", "CPM"),
    "video_views": ("ENGAGED_VIEW", "CPV"),
    "lead_generation": ("LEAD_GENERATION", "OCPM"),
}
# The optimisation goals whose bid is a price per result (oCPM), not per click or mille.
CONVERSION_BILLING = "OCPM"

AGE_GROUPS = (
    (13, 17, "AGE_13_17"),
    (18, 24, "AGE_18_24"),
    (25, 34, "AGE_25_34"),
    (35, 44, "AGE_35_44"),
    (45, 54, "AGE_45_54"),
    (55, 100, "AGE_55_100"),
)
GENDERS = {"all": "GENDER_UNLIMITED", "male": "GENDER_MALE", "female": "GENDER_FEMALE"}
OPERATING_SYSTEMS = {"ios": "IOS", "android": "ANDROID"}
PLACEMENTS = {
    "tiktok": "PLACEMENT_TIKTOK",
    "pangle": "PLACEMENT_PANGLE",
    "global_app_bundle": "PLACEMENT_GLOBAL_APP_BUNDLE",
}
# TikTok targets places by GeoNames id [verify]; countries Adline names by ISO code are
# translated here, and a country missing from the table is refused rather than dropped.
COUNTRY_LOCATION_IDS = {
    "AU": "2077456",
    "BR": "3469034",
    "CA": "6251999",
    "DE": "2921044",
    "ES": "2510769",
    "FR": "3017382",
    "GB": "2635167",
    "IT": "3175395",
    "JP": "1861060",
    "MX": "3996063",
    "NL": "2750405",
    "US": "6252001",
}
AD_FORMATS = {
    "image": "SINGLE_IMAGE",
    "video": "SINGLE_VIDEO",
    "carousel": "CAROUSEL_ADS",
    "existing_post": "SINGLE_VIDEO",
}
# TikTok field -> the Adline parameter an InvalidSpec names.
ADLINE_PARAMS = {
    "campaign_name": "title",
    "adgroup_name": "title",
    "ad_name": "title",
    "objective_type": "objective",
    "budget_mode": "budget_type",
    "budget": "budget_amount",
    "bid_price": "desired_cost_per_result",
    "conversion_bid_price": "desired_cost_per_result",
    "bid_type": "bid_type",
    "optimization_goal": "optimization_goal",
    "optimization_event": "conversion_event",
    "schedule_start_time": "starts_at",
    "schedule_end_time": "ends_at",
    "dayparting": "delivery_schedule",
    "frequency": "frequency_cap",
    "frequency_schedule": "frequency_cap",
    "location_ids": "regions",
    "age_groups": "demographics",
    "gender": "demographics",
    "languages": "languages",
    "operating_systems": "devices",
    "interest_category_ids": "detailed_targeting",
    "audience_ids": "audiences",
    "excluded_audience_ids": "audiences",
    "placements": "placements",
    "placement_type": "placements",
    "creatives": "creative",
    "ad_text": "primary_text",
    "call_to_action": "call_to_action",
    "landing_page_url": "url",
    "video_id": "media_ids",
    "image_ids": "media_ids",
    "image_file": "creatives",
    "video_file": "creatives",
    "file_name": "creatives",
}


def adline_param(tiktok_field: str | None) -> str | None:
    return ADLINE_PARAMS.get(tiktok_field or "", tiktok_field)


# --- Money ---------------------------------------------------------------------------------


def major_units(micros: int) -> float:
    """A budget or bid for TikTok: major units, half-even to the cent (Adline's rule)."""
    return float((Decimal(micros) / MICROS_PER_UNIT).quantize(CENT, ROUND_HALF_EVEN))


def limit_major_units(micros: int) -> float:
    """A hard limit for TikTok: major units rounded down to the cent, never above it."""
    return float((Decimal(micros) / MICROS_PER_UNIT).quantize(CENT, ROUND_FLOOR))


def micros(amount: str | float | int | None) -> int:
    """A reported amount (TikTok sends decimal strings) in micro-units, half-even."""
    if amount in (None, ""):
        return 0
    return int((Decimal(str(amount)) * MICROS_PER_UNIT).quantize(Decimal(1), ROUND_HALF_EVEN))


# --- Names and statuses ----------------------------------------------------------------------


def reference(local_id: str) -> str:
    """The client reference an object's name ends with."""
    return f"[{local_id}]"


def object_name(title: str | None, local_id: str) -> str:
    title = (title or "").strip()[:MAX_TITLE_LENGTH]
    return f"{title} {reference(local_id)}" if title else reference(local_id)


def carries_reference(name: str | None, local_id: str) -> bool:
    return bool(name) and str(name).endswith(reference(local_id))


def operation_status(status: RunStatus) -> str:
    if status == "active":
        return ENABLE
    if status == "paused":
        return DISABLE
    raise InvalidSpec(f"Unknown status {status!r}", "status")


# --- What the adapter knows of an object ------------------------------------------------------


@dataclass(frozen=True)
class KnownSettings:
    """What TikTok accepts only on create (`objective_type` and `budget_mode`; `budget_mode`
    None for an ad group without a budget of its own), and the last known
    `operation_status`, so an update sends a status change only when it changes."""

    budget_mode: str | None
    objective_type: str | None = None
    operation_status: str | None = None

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> KnownSettings:
        """From a `/campaign/get/` or `/adgroup/get/` row."""
        return cls(obj.get("budget_mode"), obj.get("objective_type"), obj.get("operation_status"))


def campaign_settings(spec: CampaignSpec) -> KnownSettings:
    return KnownSettings(
        campaign_budget_mode(spec.budget), objective_type(spec.objective), spec_status(spec)
    )


def ad_group_settings(spec: AdGroupSpec) -> KnownSettings:
    mode = BUDGET_MODES[spec.budget.budget_type] if spec.budget is not None else None
    return KnownSettings(mode, None, spec_status(spec))


def spec_status(spec: CampaignSpec | AdGroupSpec | AdSpec) -> str:
    return operation_status(spec.status)


def refuse_fixed_changes(known: KnownSettings, wanted: KnownSettings) -> None:
    """Raise InvalidSpec, naming Adline's parameter, when an update would change what TikTok
    fixes at creation: the objective, budget ownership (CBO/ABO) or the budget type."""
    if known.objective_type is not None and known.objective_type != wanted.objective_type:
        raise InvalidSpec(
            f"TikTok cannot change a campaign's objective ({known.objective_type} to "
            f"{wanted.objective_type}); create a new campaign",
            "objective",
        )
    owned_before, owned_now = _owns_budget(known.budget_mode), _owns_budget(wanted.budget_mode)
    if owned_before != owned_now:
        raise InvalidSpec(
            "TikTok cannot move the budget between the campaign and its ad groups after creation",
            "budget_optimization",
        )
    if owned_now and known.budget_mode != wanted.budget_mode:
        raise InvalidSpec(
            f"TikTok cannot change the budget mode ({known.budget_mode} to "
            f"{wanted.budget_mode}) after creation",
            "budget_type",
        )


def _owns_budget(mode: str | None) -> bool:
    return mode not in (None, NO_CAMPAIGN_BUDGET)


def objective_type(objective: str) -> str:
    try:
        return OBJECTIVES[objective]
    except KeyError:
        raise InvalidSpec(f"TikTok has no objective for {objective!r}", "objective") from None


def campaign_budget_mode(budget: Budget | None) -> str:
    return NO_CAMPAIGN_BUDGET if budget is None else BUDGET_MODES[budget.budget_type]


# --- Campaigns -------------------------------------------------------------------------------


def campaign_create_body(spec: CampaignSpec, advertiser_id: str, request_id: str) -> dict[str, Any]:
    """Created DISABLEd whatever the spec says: the adapter enables it once its id is
    recorded, so a crash never leaves an unrecorded object delivering."""
    body: dict[str, Any] = {
        "advertiser_id": advertiser_id,
        "campaign_name": object_name(spec.title, spec.id),
        "objective_type": objective_type(spec.objective),
        "budget_mode": campaign_budget_mode(spec.budget),
        "operation_status": DISABLE,
        "request_id": request_id,
    }
    if spec.budget is not None:
        body["budget"] = major_units(spec.budget.amount_micros)
        body["budget_optimize_on"] = True
    return body


def campaign_update_body(spec: CampaignSpec, advertiser_id: str, network_id: str) -> dict[str, Any]:
    """CampaignUpdateBody: name and budget only (never `budget_mode`/`objective_type`)."""
    body: dict[str, Any] = {
        "advertiser_id": advertiser_id,
        "campaign_id": network_id,
        "campaign_name": object_name(spec.title, spec.id),
    }
    if spec.budget is not None:
        body["budget"] = major_units(spec.budget.amount_micros)
    return body


# --- Ad groups -------------------------------------------------------------------------------


def ad_group_create_body(
    spec: AdGroupSpec,
    advertiser_id: str,
    campaign_network_id: str,
    request_id: str,
    *,
    now: datetime,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "advertiser_id": advertiser_id,
        "campaign_id": campaign_network_id,
        **_ad_group_fields(spec, now=now),
        "operation_status": DISABLE,
        "request_id": request_id,
    }
    if spec.budget is not None:
        body["budget_mode"] = BUDGET_MODES[spec.budget.budget_type]
    return body


def ad_group_update_body(
    spec: AdGroupSpec, advertiser_id: str, network_id: str, *, now: datetime
) -> dict[str, Any]:
    return {
        "advertiser_id": advertiser_id,
        "adgroup_id": network_id,
        **_ad_group_fields(spec, now=now),
    }


def _ad_group_fields(spec: AdGroupSpec, *, now: datetime) -> dict[str, Any]:
    goal = spec.optimization_goal or "link_clicks"
    if goal not in OPTIMIZATION_GOALS:
        raise InvalidSpec(f"TikTok has no optimization goal for {goal!r}", "optimization_goal")
    optimization_goal, billing_event = OPTIMIZATION_GOALS[goal]
    starts_at = spec.starts_at or now
    body: dict[str, Any] = {
        "adgroup_name": object_name(spec.title, spec.id),
        "optimization_goal": optimization_goal,
        "billing_event": billing_event,
        "pacing": "PACING_MODE_SMOOTH",
        "schedule_type": "SCHEDULE_START_END" if spec.ends_at else "SCHEDULE_FROM_NOW",
        # [verify] v1.3 schedule times are UTC+0.
        "schedule_start_time": _utc_text(starts_at),
        **_bidding(spec.bidding, billing_event),
        **targeting_fields(spec.targeting),
    }
    if spec.ends_at is not None:
        body["schedule_end_time"] = _utc_text(spec.ends_at)
    if spec.budget is not None:
        body["budget"] = major_units(spec.budget.amount_micros)
    if spec.conversion_event is not None:
        body["optimization_event"] = spec.conversion_event.upper()
    if spec.schedule is not None:
        body["dayparting"] = dayparting(spec.schedule.windows)
    cap = spec.frequency_cap
    if cap is not None:
        if cap.per_days is None or not 1 <= cap.per_days <= 7:
            raise InvalidSpec("TikTok caps frequency over 1 to 7 days only", "frequency_cap")
        body["frequency"] = cap.maximum_impressions
        body["frequency_schedule"] = cap.per_days
    return body


def _bidding(bidding: Bidding | None, billing_event: str) -> dict[str, Any]:
    """No target: the lowest cost (`BID_TYPE_NO_BID`). A target (average or maximum; TikTok
    v1.3 as we know it has one custom bid) is `conversion_bid_price` under oCPM, else
    `bid_price` per click, mille or view."""
    if bidding is None or bidding.target_micros is None:
        return {"bid_type": "BID_TYPE_NO_BID"}
    field = "conversion_bid_price" if billing_event == CONVERSION_BILLING else "bid_price"
    return {"bid_type": "BID_TYPE_CUSTOM", field: major_units(bidding.target_micros)}


def targeting_fields(targeting: Targeting) -> dict[str, Any]:
    include = targeting.include
    if targeting.exclude.countries or targeting.exclude.regions or targeting.exclude.cities:
        raise InvalidSpec("TikTok ad groups cannot exclude places", "regions")
    if include.zips or include.custom_locations or include.country_groups:
        raise InvalidSpec("TikTok targets countries, regions and cities only", "regions")
    # Refused, not dropped: a group sent without them would reach people left out.
    if targeting.behaviors:
        raise InvalidSpec("TikTok ad groups take no behaviors from Adline", "detailed_targeting")
    if targeting.demographic_ids:
        raise InvalidSpec("TikTok ad groups take no demographic categories", "demographics")
    unknown = [code for code in include.countries if code.upper() not in COUNTRY_LOCATION_IDS]
    if unknown:
        raise InvalidSpec(f"No TikTok location id known for {', '.join(unknown)}", "regions")
    location_ids = [COUNTRY_LOCATION_IDS[code.upper()] for code in include.countries]
    # Regions and cities are already the network's keys (the taxonomy search answers them).
    location_ids += [*include.regions, *include.cities]
    fields: dict[str, Any] = {
        "location_ids": location_ids,
        "gender": GENDERS[targeting.gender],
    }
    if targeting.placements is None:
        fields["placement_type"] = "PLACEMENT_TYPE_AUTOMATIC"
    else:
        unknown = [p.platform for p in targeting.placements if p.platform not in PLACEMENTS]
        if unknown:
            raise InvalidSpec(f"Not a TikTok placement: {', '.join(unknown)}", "placements")
        fields["placement_type"] = "PLACEMENT_TYPE_NORMAL"
        fields["placements"] = [PLACEMENTS[p.platform] for p in targeting.placements]
    ages = age_groups(targeting.minimum_age, targeting.maximum_age)
    if ages:
        fields["age_groups"] = ages
    if targeting.languages:
        fields["languages"] = list(targeting.languages)
    if targeting.operating_systems:
        fields["operating_systems"] = sorted(
            {OPERATING_SYSTEMS[entry.os] for entry in targeting.operating_systems}
        )
    if targeting.interests:
        fields["interest_category_ids"] = list(targeting.interests)
    if targeting.audiences_include:
        fields["audience_ids"] = list(targeting.audiences_include)
    if targeting.audiences_exclude:
        fields["excluded_audience_ids"] = list(targeting.audiences_exclude)
    return fields


def age_groups(minimum_age: int | None, maximum_age: int | None) -> list[str]:
    """TikTok's age bands that overlap [minimum, maximum]; none (all ages) when unbounded."""
    if minimum_age is None and maximum_age is None:
        return []
    low, high = minimum_age or 18, maximum_age or 100
    return [name for start, end, name in AGE_GROUPS if start <= high and low <= end]


def dayparting(windows: tuple[Any, ...]) -> str:
    """336 characters, one per half hour from Monday 00:00 (local), `1` delivering."""
    slots = ["0"] * (48 * 7)
    for window in windows:
        day = WEEKDAYS.index(window.day)
        for half_hour in range(window.start_hour * 2, window.end_hour * 2):
            slots[day * 48 + half_hour] = "1"
    return "".join(slots)


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime(TIME_FORMAT)


# --- Ads -------------------------------------------------------------------------------------

MediaKind = Literal["image", "video"]


@dataclass(frozen=True)
class TikTokFile:
    """An Adline file as it is in the advertiser's asset library: an image or video id,
    and for a video the image id of its cover (TikTok's own frame, uploaded as an image)."""

    kind: MediaKind
    id: str
    cover: str | None = None


def ad_creative(
    spec: AdSpec, identity_id: str | None, media: Mapping[str, TikTokFile] | None = None
) -> dict[str, Any]:
    """The ad's one creative. `media` maps each of its Adline file ids to what it was
    uploaded as (the adapter uploads them first); without it the ids are sent as TikTok's
    own, as they are."""
    creative = spec.creative
    body: dict[str, Any] = {
        "ad_name": object_name(spec.title, spec.id),
        "ad_format": AD_FORMATS[creative.format],
    }
    if identity_id is not None:
        body["identity_id"] = identity_id
        body["identity_type"] = "CUSTOMIZED_USER"
    if creative.format == "existing_post":
        if creative.existing_post_id is None:
            raise InvalidSpec("A Spark ad needs the post's id", "existing_post_id")
        body["tiktok_item_id"] = creative.existing_post_id
    elif media is not None:
        body.update(_uploaded_media(creative.format, creative.media_ids, media))
    elif creative.format == "video":
        if not creative.media_ids:
            raise InvalidSpec("A video ad needs a video id", "media_ids")
        body["video_id"] = creative.media_ids[0]
    elif creative.media_ids:
        body["image_ids"] = list(creative.media_ids)
    if creative.primary_text is not None:
        body["ad_text"] = creative.primary_text
    if creative.call_to_action is not None:
        body["call_to_action"] = creative.call_to_action.upper()
    if creative.url is not None:
        body["landing_page_url"] = creative.url
    return body


def _uploaded_media(
    format: str, media_ids: tuple[str, ...], media: Mapping[str, TikTokFile]
) -> dict[str, Any]:
    """The creative's files by what they are in the asset library: a video is shown as
    `SINGLE_VIDEO` whatever the ad's format says, with a cover (`image_ids`); images alone
    are `SINGLE_IMAGE` (the first) or a carousel."""
    uploaded = [media[file_id] for file_id in dict.fromkeys(media_ids)]
    videos = [file for file in uploaded if file.kind == "video"]
    images = [file.id for file in uploaded if file.kind == "image"]
    if format == "carousel":
        if videos:
            raise InvalidSpec("A TikTok carousel shows images only", "creatives")
        return {"image_ids": images}
    if videos:
        video = videos[0]
        fields: dict[str, Any] = {"ad_format": AD_FORMATS["video"], "video_id": video.id}
        # A non-Spark video ad names its cover in image_ids [verify]: the creative's
        # first image, else the video's own cover frame.
        cover = images[:1] or ([video.cover] if video.cover else [])
        if cover:
            fields["image_ids"] = cover
        return fields
    if format == "video":
        raise InvalidSpec("A video ad needs a video file", "creatives")
    return {"ad_format": AD_FORMATS["image"], "image_ids": images[:1]} if images else {}


def ad_create_body(
    spec: AdSpec,
    advertiser_id: str,
    ad_group_network_id: str,
    request_id: str,
    identity_id: str | None,
    media: Mapping[str, TikTokFile] | None = None,
) -> dict[str, Any]:
    return {
        "advertiser_id": advertiser_id,
        "adgroup_id": ad_group_network_id,
        # [verify] operation_status as a top-level field of /ad/create/.
        "operation_status": DISABLE,
        "request_id": request_id,
        "creatives": [ad_creative(spec, identity_id, media)],
    }


def ad_update_body(
    spec: AdSpec,
    advertiser_id: str,
    ad_group_network_id: str,
    network_id: str,
    identity_id: str | None,
    media: Mapping[str, TikTokFile] | None = None,
) -> dict[str, Any]:
    return {
        "advertiser_id": advertiser_id,
        "adgroup_id": ad_group_network_id,
        "creatives": [{"ad_id": network_id, **ad_creative(spec, identity_id, media)}],
    }


# --- Reports ---------------------------------------------------------------------------------

REPORT_METRICS = ("spend", "impressions", "clicks", "reach")


def report_hour_start(value: str, zone: ZoneInfo) -> datetime:
    """`stat_time_hour` ("2026-03-02 09:00:00", the advertiser's time zone) as UTC."""
    local = datetime.strptime(value, TIME_FORMAT).replace(tzinfo=zone)
    return local.astimezone(UTC)


def reported_hour(
    row: Mapping[str, Any], ad_id: str, zone: ZoneInfo, revision: int
) -> ReportedHour:
    """One `/report/integrated/get/` row (dimensions `ad_id`, `stat_time_hour`).

    TikTok's clicks are clicks to the destination, so they are also the link clicks; its
    basic report has no unique clicks (0 here), and no conversion events are read yet.
    """
    metrics = row.get("metrics") or {}
    dimensions = row.get("dimensions") or {}
    clicks = _count(metrics.get("clicks"))
    return ReportedHour(
        ad_id=ad_id,
        hour_start=report_hour_start(str(dimensions["stat_time_hour"]), zone),
        impressions=_count(metrics.get("impressions")),
        reach=_count(metrics.get("reach")),
        clicks=clicks,
        unique_clicks=0,
        link_clicks=clicks,
        spend_micros=micros(metrics.get("spend")),
        event_counts={},
        event_value_micros={},
        revision=revision,
    )


def _count(value: Any) -> int:
    if value in (None, "", "-"):
        return 0
    return int(Decimal(str(value)))
