"""Ad group settings: request -> row, the rules on the merged row, row -> response keys.

The service calls, on create and on every PATCH:

    apply_fields(group, body, body.model_fields_set)   # write what was sent
    check_ad_group(group, campaign, clock.now())        # every rule on the merged row

and renders the configuration part of the response with `settings_object`. Nested settings
are stored as JSON in their response shape with every default filled in, so rendering only
copies them (rows written before a key existed are filled in on the way out).

Rules on one value are in `adline.ad_groups.schemas`; docs/ad-groups.md lists them all.
"""

from __future__ import annotations

import copy
import math
import re
from datetime import datetime, timedelta
from typing import Any

from adline.ad_groups.iso_codes import COUNTRIES
from adline.ad_groups.models import AdGroup
from adline.ad_groups.schemas import (
    PLACEMENT_POSITIONS,
    WEEKDAYS,
    AdGroupCreate,
    AdGroupFields,
    ExcludedGeoLocations,
    GeoLocations,
)
from adline.campaigns.models import AdCampaign
from adline.campaigns.service import (
    MIN_DAILY_BUDGET_MICROS,
    TARGET_BID_TYPES,
    _budget_micros,
    _micros,
)
from adline.core.errors import InvalidRequest, ParameterMissing
from adline.core.money import micros_to_dollars
from adline.core.timestamps import format_timestamp

# Settings the response always carries as a value: a sent null is refused, not stored.
NOT_NULLABLE = frozenset(
    {
        "status",
        "languages",
        "placements",
        "demographics",
        "detailed_targeting",
        "audiences",
        "devices",
        "regions",
    }
)
# Goals a frequency cap fits: reach, and ThruPlay (`video_views`).
FREQUENCY_CAP_GOALS = frozenset({"reach", "video_views"})
# Under a campaign budget the cap applies campaign-wide, and only with these objectives,
# each allowing these goals.
CBO_FREQUENCY_CAP_GOALS: dict[str, frozenset[str]] = {
    "awareness": frozenset({"reach", "video_views"}),
    "engagement": frozenset({"video_views"}),
}
MAX_CUSTOM_LOCATIONS = 200
MIN_LIFETIME_RUN = timedelta(hours=24)

DEFAULT_DEMOGRAPHICS: dict[str, Any] = {
    "automatic": False,
    "gender": "all",
    "minimum_age": None,
    "maximum_age": None,
}
_GEO_KEYS = ("countries", "regions", "cities", "zips", "country_groups", "custom_locations")
_META_ZIP = re.compile(r"^([A-Z]{2}):(\S+)$")


# --- Writing a request into the row ------------------------------------------------------------


def apply_fields(group: AdGroup, body: AdGroupFields, sent: set[str]) -> None:
    """Write the sent settings into the row, in their stored (response) shape.

    Amounts become micro-units; nested settings are stored with their defaults filled in;
    `"automatic"` placements are stored as None; a sent null clears a nullable setting and
    is refused for the others. Rules on several fields wait for `check_ad_group`.
    """
    for field in type(body).model_fields:
        if field in sent and field in NOT_NULLABLE and getattr(body, field) is None:
            raise InvalidRequest(f"Invalid value for {field}: must not be null.", param=field)

    if "title" in sent:
        group.title = body.title
    if "status" in sent and body.status is not None:
        group.status = body.status
    if {"budget_amount", "budget_amount_local"} & sent:
        group.budget_amount_micros = _budget_micros(body.budget_amount, body.budget_amount_local)
    if "budget_type" in sent:
        group.budget_type = body.budget_type
    if "bid_type" in sent:
        group.bid_type = body.bid_type
        if body.bid_type == "minimum_cost" and "desired_cost_per_result" not in sent:
            # Like campaigns: switching to minimum_cost drops the target.
            group.desired_cost_per_result_micros = None
    if "desired_cost_per_result" in sent:
        group.desired_cost_per_result_micros = _optional_micros(
            body.desired_cost_per_result, "desired_cost_per_result"
        )
    if "minimum_daily_spend" in sent:
        group.minimum_daily_spend_micros = _optional_micros(
            body.minimum_daily_spend, "minimum_daily_spend"
        )
    if "optimization_goal" in sent:
        group.optimization_goal = body.optimization_goal
    if "conversion_location" in sent:
        group.conversion_location = body.conversion_location
        if body.conversion_location != "messaging" and "message_apps" not in sent:
            # Message apps belong to a messaging destination: moving away drops them.
            group.message_apps = None
    if "conversion_event" in sent:
        group.conversion_event = body.conversion_event
    if "message_apps" in sent:
        group.message_apps = None if body.message_apps is None else list(body.message_apps)
    if "starts_at" in sent:
        group.starts_at = body.starts_at
    if "ends_at" in sent:
        group.ends_at = body.ends_at
    if "delivery_schedule" in sent:
        schedule = body.delivery_schedule
        group.delivery_schedule = (
            None
            if schedule is None
            else {
                day: [window.model_dump() for window in windows]
                for day in WEEKDAYS
                if (windows := getattr(schedule, day))
            }
        )
    if "frequency_cap" in sent:
        cap = body.frequency_cap
        group.frequency_cap = None if cap is None else cap.model_dump()
    if "keywords" in sent:
        keywords = body.keywords
        group.keywords = None if keywords is None else [k.model_dump() for k in keywords]
    if "languages" in sent and body.languages is not None:
        group.languages = list(body.languages)
    if "placements" in sent and body.placements is not None:
        group.placements = [
            {
                "platform": placement.platform,
                "positions": list(placement.positions or PLACEMENT_POSITIONS[placement.platform]),
            }
            for placement in body.placements
        ] or None  # [] is how the schema hands over "automatic"
    if "demographics" in sent and body.demographics is not None:
        group.demographics = body.demographics.model_dump()
    if "detailed_targeting" in sent and body.detailed_targeting is not None:
        targeting = body.detailed_targeting
        group.detailed_targeting = {
            section: [entry.model_dump(exclude_none=True) for entry in entries or []]
            for section, entries in (
                ("interests", targeting.interests),
                ("behaviors", targeting.behaviors),
                ("demographics", targeting.demographics),
            )
        }
    if "audiences" in sent and body.audiences is not None:
        group.audiences = {
            "include": list(body.audiences.include or []),
            "exclude": list(body.audiences.exclude or []),
        }
    if "devices" in sent and body.devices is not None:
        group.devices = {
            "platforms": list(body.devices.platforms or []),
            "operating_systems": [
                system.model_dump(exclude_none=True)
                for system in body.devices.operating_systems or []
            ],
        }
    if "regions" in sent and body.regions is not None:
        group.regions = {
            "include": _stored_geo(body.regions.include),
            "exclude": _stored_geo(body.regions.exclude),
        }
    if "dynamic_creative" in sent and isinstance(body, AdGroupCreate):
        group.dynamic_creative = body.dynamic_creative


def _optional_micros(amount: float | None, param: str) -> int | None:
    return None if amount is None else _micros(amount, param)


def _stored_geo(geo: GeoLocations | ExcludedGeoLocations | None) -> dict[str, Any]:
    if geo is None:
        return _empty_geo()
    return {
        "countries": list(geo.countries or []),
        "regions": list(geo.regions or []),
        "cities": [city.model_dump(exclude_none=True) for city in geo.cities or []],
        "zips": list(geo.zips or []),
        "country_groups": list(geo.country_groups or []),
        "custom_locations": [
            place.model_dump(exclude_none=True) for place in geo.custom_locations or []
        ],
    }


def _empty_geo() -> dict[str, Any]:
    return {key: [] for key in _GEO_KEYS}


# --- Rules on the merged row ---------------------------------------------------------------------


def check_ad_group(group: AdGroup, campaign: AdCampaign, now: datetime) -> None:
    """Every rule that depends on several settings or on the campaign, on the merged row.

    Run after `apply_fields`, on create and on every update. Under ad-group budgets (ABO)
    it also fills in the budget defaults: `budget_type` daily and `bid_type` minimum_cost.
    Raises InvalidRequest / ParameterMissing naming the exact param; the first problem wins.

    Not checked here (they need the database): that a CBO campaign's groups share one
    frequency cap, that the audiences exist, and the launch-time needs (a search campaign's
    groups each have a keyword) and fixed-after-launch settings.
    """
    if group.dynamic_creative and campaign.platform == "meta":
        raise _invalid(
            "dynamic_creative",
            "Meta has deprecated dynamic creative and rejects true; send false or leave it out",
        )
    _check_schedule_bounds(group, now)
    _check_budget(group, campaign, now)
    _check_bidding(group, campaign)
    _check_minimum_daily_spend(group, campaign, now)
    _check_messaging(group)
    _check_delivery_schedule(group, campaign)
    _check_frequency_cap(group, campaign)
    if group.keywords is not None and campaign.campaign_type != "search":
        raise _invalid(
            "keywords", "only ad groups of search campaigns (campaign_type search) take keywords"
        )
    _check_placements(group, campaign)
    _check_audience_targeting(group, campaign)
    _check_regions(group, campaign)


def _invalid(param: str, why: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for {param}: {why}.", param=param)


def _missing(param: str, why: str) -> ParameterMissing:
    return ParameterMissing(f"Missing required parameter: {param} ({why}).", param=param)


def _days(start: datetime, end: datetime) -> int:
    return max(1, math.ceil((end - start) / timedelta(days=1)))


def _check_schedule_bounds(group: AdGroup, now: datetime) -> None:
    start = group.starts_at or now
    if group.ends_at is not None and group.ends_at <= start:
        after = "starts_at" if group.starts_at is not None else "now"
        raise _invalid("ends_at", f"must be after {after}")


def _check_budget(group: AdGroup, campaign: AdCampaign, now: datetime) -> None:
    if campaign.budget_optimization == "ad_campaign":
        for field, value in (
            ("budget_amount", group.budget_amount_micros),
            ("budget_type", group.budget_type),
            ("bid_type", group.bid_type),
        ):
            if value is not None:
                raise _invalid(
                    field,
                    "the campaign owns the budget and bidding (budget_optimization "
                    "ad_campaign); leave it out of its ad groups",
                )
        return

    budget = group.budget_amount_micros
    if budget is None:
        raise _missing(
            "budget_amount",
            "under budget_optimization ad_group each ad group owns its budget; send "
            "budget_amount or budget_amount_local",
        )
    group.budget_type = group.budget_type or "daily"
    group.bid_type = group.bid_type or "minimum_cost"
    if group.budget_type == "daily":
        if budget < MIN_DAILY_BUDGET_MICROS:
            raise _invalid("budget_amount", "a daily budget must be at least $5.00")
        return
    start = group.starts_at or now
    if group.ends_at is None:
        raise _missing("ends_at", "a lifetime budget needs an end")
    if group.ends_at - start < MIN_LIFETIME_RUN:
        raise _invalid("ends_at", "a lifetime budget needs ends_at at least 24 hours after start")
    days = _days(start, group.ends_at)
    minimum = MIN_DAILY_BUDGET_MICROS * days
    if budget < minimum:
        raise _invalid(
            "budget_amount",
            f"a lifetime budget over {days} day(s) must be at least "
            f"${micros_to_dollars(minimum):.2f} ($5.00 a day)",
        )


def _check_bidding(group: AdGroup, campaign: AdCampaign) -> None:
    desired = group.desired_cost_per_result_micros
    if campaign.budget_optimization == "ad_campaign":
        # The campaign's bid_type rules; a group may set its own target under a target one.
        if desired is not None and campaign.bid_type not in TARGET_BID_TYPES:
            raise _invalid(
                "desired_cost_per_result",
                f"the campaign bids with {campaign.bid_type}, which takes no target",
            )
        return
    if group.bid_type in TARGET_BID_TYPES and desired is None:
        raise _missing("desired_cost_per_result", f"bid_type {group.bid_type} bids toward it")
    if group.bid_type == "minimum_cost" and desired is not None:
        raise _invalid(
            "desired_cost_per_result",
            "minimum_cost bidding takes no target; use average_target or maximum_target",
        )


def _budget_owner(
    group: AdGroup, campaign: AdCampaign
) -> tuple[str | None, int | None, datetime | None, datetime | None]:
    """(budget_type, amount, starts_at, ends_at) of whichever level holds the budget."""
    if campaign.budget_optimization == "ad_campaign":
        return (
            campaign.budget_type,
            campaign.budget_amount_micros,
            campaign.starts_at,
            campaign.ends_at,
        )
    return group.budget_type, group.budget_amount_micros, group.starts_at, group.ends_at


def _check_minimum_daily_spend(group: AdGroup, campaign: AdCampaign, now: datetime) -> None:
    floor = group.minimum_daily_spend_micros
    budget_type, budget, starts_at, ends_at = _budget_owner(group, campaign)
    if floor is None or budget is None:
        return
    owner = "campaign's" if campaign.budget_optimization == "ad_campaign" else "ad group's"
    if budget_type == "lifetime" and ends_at is not None:
        days = _days(starts_at or now, ends_at)
        if floor * days > budget:
            raise _invalid(
                "minimum_daily_spend",
                f"{days} day(s) of it must fit in the {owner} lifetime budget "
                f"(${micros_to_dollars(budget):.2f})",
            )
    elif budget_type != "lifetime" and floor > budget:
        raise _invalid(
            "minimum_daily_spend",
            f"must not exceed the {owner} daily budget (${micros_to_dollars(budget):.2f})",
        )


def _check_messaging(group: AdGroup) -> None:
    if group.conversion_location == "messaging" and not group.message_apps:
        raise _missing("message_apps", "conversion_location messaging needs the apps to open")
    if group.message_apps is not None and group.conversion_location != "messaging":
        raise _invalid(
            "message_apps", "only ad groups whose conversion_location is messaging take it"
        )


def _check_delivery_schedule(group: AdGroup, campaign: AdCampaign) -> None:
    schedule = group.delivery_schedule
    if schedule is None:
        return
    if not any(schedule.get(day) for day in WEEKDAYS):
        raise _invalid(
            "delivery_schedule",
            "has no window, so the ad group would never deliver; send null to deliver at "
            "every hour",
        )
    for day in WEEKDAYS:
        windows = schedule.get(day) or []
        for index, window in enumerate(windows):
            for earlier, other in enumerate(windows[:index]):
                # "HH:00" strings compare in time order; sharing an hour is touching.
                if window["start"] <= other["end"] and other["start"] <= window["end"]:
                    raise _invalid(
                        f"delivery_schedule.{day}[{index}]",
                        f"overlaps or touches window {earlier} of {day}; merge them into one",
                    )
    budget_type = _budget_owner(group, campaign)[0]
    if campaign.platform == "meta" and budget_type != "lifetime":
        owner = "its campaign" if campaign.budget_optimization == "ad_campaign" else "the ad group"
        raise _invalid(
            "delivery_schedule",
            f"Meta schedules delivery only with a lifetime budget, and {owner} has a daily one",
        )


def _check_frequency_cap(group: AdGroup, campaign: AdCampaign) -> None:
    if group.frequency_cap is None:
        return
    goal = group.optimization_goal
    if goal not in FREQUENCY_CAP_GOALS:
        raise _invalid(
            "frequency_cap",
            "only ad groups optimizing for reach or ThruPlay (optimization_goal reach or "
            "video_views) take one",
        )
    if campaign.budget_optimization == "ad_campaign":
        allowed = CBO_FREQUENCY_CAP_GOALS.get(campaign.objective, frozenset())
        if goal not in allowed:
            raise _invalid(
                "frequency_cap",
                "under a campaign budget a frequency cap needs the awareness objective "
                "(reach or video_views) or engagement (video_views); the campaign's "
                f"objective is {campaign.objective}",
            )


def _check_placements(group: AdGroup, campaign: AdCampaign) -> None:
    placements = group.placements
    if placements is None:
        return
    if campaign.platform != "meta":
        raise _invalid(
            "placements",
            f"the platforms and positions listed are Meta's; on {campaign.platform} send "
            '"automatic"',
        )
    seen: set[str] = set()
    for index, placement in enumerate(placements):
        platform = placement["platform"]
        if platform in seen:
            raise _invalid(f"placements[{index}].platform", f"{platform} is listed twice")
        seen.add(platform)
        valid = PLACEMENT_POSITIONS[platform]
        for position_index, position in enumerate(placement["positions"]):
            if position not in valid:
                raise _invalid(
                    f"placements[{index}].positions[{position_index}]",
                    f"{position!r} is not a {platform} position; {platform} offers "
                    + ", ".join(valid),
                )


def _check_audience_targeting(group: AdGroup, campaign: AdCampaign) -> None:
    automatic = bool((group.demographics or {}).get("automatic"))
    targeting = group.detailed_targeting or {}
    if any(targeting.get(section) for section in ("interests", "behaviors", "demographics")):
        if automatic:
            raise _invalid(
                "detailed_targeting",
                "automatic audience targeting (demographics.automatic) takes no detailed targeting",
            )
        if campaign.special_ad_categories:
            raise _invalid(
                "detailed_targeting",
                "campaigns with special_ad_categories take no detailed targeting",
            )
    audiences = group.audiences or {}
    include = audiences.get("include") or []
    exclude = audiences.get("exclude") or []
    if automatic and (include or exclude):
        raise _invalid(
            "audiences",
            "automatic audience targeting (demographics.automatic) takes no saved audiences",
        )
    for index, audience in enumerate(exclude):
        if audience in include:
            raise _invalid(f"audiences.exclude[{index}]", f"{audience} is also included")


def _check_regions(group: AdGroup, campaign: AdCampaign) -> None:
    regions = group.regions or {}
    counted = 0
    for side in ("include", "exclude"):
        places = regions.get(side) or {}
        for index, place in enumerate(places.get("custom_locations") or []):
            counted += 1
            if counted > MAX_CUSTOM_LOCATIONS:
                raise _invalid(
                    f"regions.{side}.custom_locations[{index}]",
                    f"at most {MAX_CUSTOM_LOCATIONS} custom locations across include and exclude",
                )
            if (
                side == "include"
                and campaign.special_ad_categories
                and not place.get("country_code")
            ):
                raise _missing(
                    f"regions.include.custom_locations[{index}].country_code",
                    "campaigns with special_ad_categories declare the countries they reach",
                )
        for index, code in enumerate(places.get("zips") or []):
            _check_zip(code, f"regions.{side}.zips[{index}]", campaign.platform)


def _check_zip(code: str, param: str, platform: str) -> None:
    if platform == "meta":
        match = _META_ZIP.match(code)
        if match is None or match.group(1) not in COUNTRIES:
            raise _invalid(param, "Meta keys postal codes by country, as 'US:78756' (COUNTRY:CODE)")
    elif ":" in code:
        raise _invalid(param, f"{platform} takes the bare postal code, such as '78756'")


# --- Rendering -----------------------------------------------------------------------------------


def settings_object(group: AdGroup, currency: str) -> dict[str, Any]:
    """The configuration keys of the newest AdGroup response, defaults filled in."""
    budget = _dollars(group.budget_amount_micros)
    schedule = group.delivery_schedule
    demographics = group.demographics or {}
    targeting = group.detailed_targeting or {}
    audiences = group.audiences or {}
    devices = group.devices or {}
    regions = group.regions or {}
    return {
        "title": group.title,
        "budget_amount": budget,
        "budget_amount_local": budget,
        "budget_currency": currency,
        "budget_type": group.budget_type,
        "bid_type": group.bid_type,
        "desired_cost_per_result": _dollars(group.desired_cost_per_result_micros),
        "minimum_daily_spend": _dollars(group.minimum_daily_spend_micros),
        "optimization_goal": group.optimization_goal,
        "conversion_location": group.conversion_location,
        "conversion_event": group.conversion_event,
        "message_apps": None if group.message_apps is None else list(group.message_apps),
        "starts_at": None if group.starts_at is None else format_timestamp(group.starts_at),
        "ends_at": None if group.ends_at is None else format_timestamp(group.ends_at),
        "delivery_schedule": (
            None
            if schedule is None
            else {day: copy.deepcopy(schedule[day]) for day in WEEKDAYS if schedule.get(day)}
        ),
        "frequency_cap": (
            None
            if group.frequency_cap is None
            else {"per_days": None, **copy.deepcopy(group.frequency_cap)}
        ),
        "keywords": None if group.keywords is None else copy.deepcopy(group.keywords),
        "languages": list(group.languages or []),
        "placements": copy.deepcopy(group.placements or []),
        "demographics": {**DEFAULT_DEMOGRAPHICS, **demographics},
        "detailed_targeting": {
            section: copy.deepcopy(targeting.get(section) or [])
            for section in ("interests", "behaviors", "demographics")
        },
        "audiences": {
            "include": list(audiences.get("include") or []),
            "exclude": list(audiences.get("exclude") or []),
        },
        "devices": {
            "platforms": list(devices.get("platforms") or []),
            "operating_systems": copy.deepcopy(devices.get("operating_systems") or []),
        },
        "regions": {
            side: {
                key: copy.deepcopy((regions.get(side) or {}).get(key) or []) for key in _GEO_KEYS
            }
            for side in ("include", "exclude")
        },
        "dynamic_creative": group.dynamic_creative,
    }


def _dollars(micros: int | None) -> float | None:
    return None if micros is None else micros_to_dollars(micros)
