"""Ad group settings: every rule, through the pipeline the HTTP handlers run.

validate_body(AdGroupCreate | AdGroupUpdate, body) -> apply_fields -> check_ad_group ->
settings_object, on in-memory rows (no database).

`INVALID_AD_GROUP_CASES`, `valid_ad_group_body` and `campaign_for` are shared with the HTTP
tests of POST /ad_groups, which re-run every case against a real campaign of that kind:
the bodies are plain JSON, to be sent with the real `ad_campaign_id` put in.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adline.ad_groups.models import AdGroup
from adline.ad_groups.schemas import (
    PLACEMENT_POSITIONS,
    AdGroupCreate,
    AdGroupObject,
    AdGroupUpdate,
)
from adline.ad_groups.settings import apply_fields, check_ad_group, settings_object
from adline.campaigns.models import AdCampaign
from adline.core.errors import InvalidRequest
from adline.core.http import validate_body
from adline.metrics.formulas import NO_GOAL, StatTotals, compute_metrics

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CAMPAIGN_ID = "adcamp_SettingsTest0001"
COMPANY_ID = "biz_SettingsTest01"
CAMPAIGN_KINDS = ("abo", "cbo", "search_abo", "abo_special", "tiktok_abo")
ABO_KINDS = ("abo", "search_abo", "abo_special", "tiktok_abo")


def campaign_for(kind: str) -> AdCampaign:
    """An in-memory campaign of one kind, all drafts:

    - abo: Meta, standard, objective sales, ad-group budgets (ABO);
    - cbo: Meta, standard, objective traffic, a campaign budget of $25/day, bid minimum_cost
      (the POST /ad_campaigns body `tests.campaigns.payloads.cbo_campaign()`);
    - search_abo: abo with campaign_type search;
    - abo_special: abo with special_ad_categories ["housing"];
    - tiktok_abo: abo on TikTok.
    """
    if kind not in CAMPAIGN_KINDS:
        raise ValueError(f"unknown campaign kind {kind!r}")
    cbo = kind == "cbo"
    return AdCampaign(
        id=CAMPAIGN_ID,
        company_id=COMPANY_ID,
        title="Settings test",
        status="draft",
        platform="tiktok" if kind == "tiktok_abo" else "meta",
        campaign_type="search" if kind == "search_abo" else "standard",
        objective="traffic" if cbo else "sales",
        special_ad_categories=["housing"] if kind == "abo_special" else [],
        budget_optimization="ad_campaign" if cbo else "ad_group",
        budget_type="daily" if cbo else None,
        budget_amount_micros=25_000_000 if cbo else None,
        bid_type="minimum_cost" if cbo else None,
        desired_cost_per_result_micros=None,
        starts_at=None,
        ends_at=None,
        created_at=NOW,
        updated_at=NOW,
    )


def valid_ad_group_body(campaign_kind: str) -> dict[str, Any]:
    """The smallest valid POST /ad_groups body for a campaign of that kind."""
    if campaign_kind not in CAMPAIGN_KINDS:
        raise ValueError(f"unknown campaign kind {campaign_kind!r}")
    body: dict[str, Any] = {"ad_campaign_id": CAMPAIGN_ID, "title": "Prospecting"}
    if campaign_kind in ABO_KINDS:
        body["budget_amount"] = 20
    if campaign_kind == "search_abo":
        body["keywords"] = [{"text": "running shoes"}]
    return body


def _location(**overrides: Any) -> dict[str, Any]:
    return {"latitude": 30.27, "longitude": -97.74, "radius": 10, **overrides}


def _locations(count: int) -> list[dict[str, Any]]:
    return [_location(latitude=round(-80 + index * 0.5, 2)) for index in range(count)]


def _windows(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"start": start, "end": end} for start, end in pairs]


LIFETIME_WEEK = {
    "budget_type": "lifetime",
    "budget_amount": 100,
    "starts_at": "2026-03-10T00:00:00Z",
    "ends_at": "2026-03-17T00:00:00Z",
}
MESSAGING = {"conversion_location": "messaging", "message_apps": ["messenger"]}

# (case id, campaign kind, body overrides, expected code, expected param)
INVALID_AD_GROUP_CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    # --- the body itself
    ("unknown_field", "abo", {"colour": "red"}, "parameter_invalid", "colour"),
    ("ad_campaign_id_null", "abo", {"ad_campaign_id": None}, "parameter_invalid", "ad_campaign_id"),
    ("title_blank", "abo", {"title": "  "}, "parameter_invalid", "title"),
    ("title_too_long", "abo", {"title": "x" * 101}, "parameter_invalid", "title"),
    ("title_not_string", "abo", {"title": 7}, "parameter_invalid", "title"),
    ("status_unknown", "abo", {"status": "rejected"}, "parameter_invalid", "status"),
    ("status_null", "abo", {"status": None}, "parameter_invalid", "status"),
    ("dynamic_creative_not_bool", "tiktok_abo", {"dynamic_creative": "yes"},
     "parameter_invalid", "dynamic_creative"),
    # --- budget and bidding
    ("budget_missing_abo", "abo", {"budget_amount": None}, "parameter_missing", "budget_amount"),
    ("budget_negative", "abo", {"budget_amount": -5}, "parameter_invalid", "budget_amount"),
    ("budget_three_decimals", "abo", {"budget_amount": 20.001}, "parameter_invalid",
     "budget_amount"),
    ("budget_string", "abo", {"budget_amount": "20"}, "parameter_invalid", "budget_amount"),
    ("budget_and_local", "abo", {"budget_amount": 20, "budget_amount_local": 20},
     "parameter_invalid", "budget_amount_local"),
    ("budget_local_three_decimals", "abo", {"budget_amount": None, "budget_amount_local": 9.999},
     "parameter_invalid", "budget_amount_local"),
    ("budget_daily_below_minimum", "abo", {"budget_amount": 4.99}, "parameter_invalid",
     "budget_amount"),
    ("budget_local_daily_below_minimum", "tiktok_abo",
     {"budget_amount": None, "budget_amount_local": 1}, "parameter_invalid", "budget_amount"),
    ("budget_type_unknown", "abo", {"budget_type": "weekly"}, "parameter_invalid", "budget_type"),
    ("lifetime_without_ends_at", "abo", {"budget_type": "lifetime", "budget_amount": 100},
     "parameter_missing", "ends_at"),
    ("lifetime_shorter_than_24h", "abo",
     {**LIFETIME_WEEK, "ends_at": "2026-03-10T23:00:00Z"}, "parameter_invalid", "ends_at"),
    ("lifetime_below_5_a_day", "abo", {**LIFETIME_WEEK, "budget_amount": 34.99},
     "parameter_invalid", "budget_amount"),
    ("lifetime_from_now_below_5_a_day", "abo",
     {"budget_type": "lifetime", "budget_amount": 14.99, "ends_at": "2026-03-05T09:00:00Z"},
     "parameter_invalid", "budget_amount"),
    ("cbo_budget_amount", "cbo", {"budget_amount": 20}, "parameter_invalid", "budget_amount"),
    ("cbo_budget_amount_local", "cbo", {"budget_amount_local": 20}, "parameter_invalid",
     "budget_amount"),
    ("cbo_budget_type", "cbo", {"budget_type": "daily"}, "parameter_invalid", "budget_type"),
    ("cbo_bid_type", "cbo", {"bid_type": "minimum_cost"}, "parameter_invalid", "bid_type"),
    ("cbo_target_under_minimum_cost", "cbo", {"desired_cost_per_result": 3},
     "parameter_invalid", "desired_cost_per_result"),
    ("bid_type_unknown", "abo", {"bid_type": "lowest_cost"}, "parameter_invalid", "bid_type"),
    ("average_target_without_target", "abo", {"bid_type": "average_target"},
     "parameter_missing", "desired_cost_per_result"),
    ("maximum_target_without_target", "abo", {"bid_type": "maximum_target"},
     "parameter_missing", "desired_cost_per_result"),
    ("minimum_cost_with_target", "abo",
     {"bid_type": "minimum_cost", "desired_cost_per_result": 3}, "parameter_invalid",
     "desired_cost_per_result"),
    ("default_bid_with_target", "abo", {"desired_cost_per_result": 3}, "parameter_invalid",
     "desired_cost_per_result"),
    ("target_zero", "abo", {"bid_type": "average_target", "desired_cost_per_result": 0},
     "parameter_invalid", "desired_cost_per_result"),
    ("target_three_decimals", "abo",
     {"bid_type": "average_target", "desired_cost_per_result": 1.234}, "parameter_invalid",
     "desired_cost_per_result"),
    ("minimum_daily_spend_negative", "abo", {"minimum_daily_spend": -1}, "parameter_invalid",
     "minimum_daily_spend"),
    ("minimum_daily_spend_three_decimals", "abo", {"minimum_daily_spend": 1.005},
     "parameter_invalid", "minimum_daily_spend"),
    ("minimum_daily_spend_above_daily_budget", "abo", {"minimum_daily_spend": 20.01},
     "parameter_invalid", "minimum_daily_spend"),
    ("minimum_daily_spend_above_campaign_budget", "cbo", {"minimum_daily_spend": 26},
     "parameter_invalid", "minimum_daily_spend"),
    ("minimum_daily_spend_above_lifetime_share", "abo",
     {**LIFETIME_WEEK, "minimum_daily_spend": 15}, "parameter_invalid", "minimum_daily_spend"),
    # --- schedule
    ("starts_at_not_timestamp", "abo", {"starts_at": "next monday"}, "parameter_invalid",
     "starts_at"),
    ("ends_at_number", "abo", {"ends_at": 1767225600}, "parameter_invalid", "ends_at"),
    ("ends_at_before_starts_at", "abo",
     {"starts_at": "2026-04-01T00:00:00Z", "ends_at": "2026-03-31T00:00:00Z"},
     "parameter_invalid", "ends_at"),
    ("ends_at_in_the_past", "cbo", {"ends_at": "2026-03-01T00:00:00Z"}, "parameter_invalid",
     "ends_at"),
    ("schedule_start_half_hour", "tiktok_abo",
     {"delivery_schedule": {"monday": _windows(("09:30", "17:00"))}}, "parameter_invalid",
     "delivery_schedule.monday[0].start"),
    ("schedule_start_midnight_end", "tiktok_abo",
     {"delivery_schedule": {"monday": _windows(("24:00", "24:00"))}}, "parameter_invalid",
     "delivery_schedule.monday[0].start"),
    ("schedule_end_past_midnight", "tiktok_abo",
     {"delivery_schedule": {"sunday": _windows(("09:00", "25:00"))}}, "parameter_invalid",
     "delivery_schedule.sunday[0].end"),
    ("schedule_end_before_start", "tiktok_abo",
     {"delivery_schedule": {"tuesday": _windows(("17:00", "09:00"))}}, "parameter_invalid",
     "delivery_schedule.tuesday[0].end"),
    ("schedule_empty_window", "tiktok_abo",
     {"delivery_schedule": {"tuesday": _windows(("09:00", "09:00"))}}, "parameter_invalid",
     "delivery_schedule.tuesday[0].end"),
    ("schedule_unknown_day", "tiktok_abo", {"delivery_schedule": {"funday": []}},
     "parameter_invalid", "delivery_schedule.funday"),
    ("schedule_window_missing_end", "tiktok_abo",
     {"delivery_schedule": {"monday": [{"start": "09:00"}]}}, "parameter_missing",
     "delivery_schedule.monday[0].end"),
    ("schedule_without_windows", "tiktok_abo", {"delivery_schedule": {"monday": []}},
     "parameter_invalid", "delivery_schedule"),
    ("schedule_windows_overlap", "tiktok_abo",
     {"delivery_schedule": {"monday": _windows(("09:00", "12:00"), ("11:00", "14:00"))}},
     "parameter_invalid", "delivery_schedule.monday[1]"),
    ("schedule_windows_touch", "tiktok_abo",
     {"delivery_schedule": {"friday": _windows(("13:00", "17:00"), ("09:00", "13:00"))}},
     "parameter_invalid", "delivery_schedule.friday[1]"),
    ("schedule_meta_daily_budget", "abo",
     {"delivery_schedule": {"monday": _windows(("09:00", "17:00"))}}, "parameter_invalid",
     "delivery_schedule"),
    ("schedule_meta_campaign_daily_budget", "cbo",
     {"delivery_schedule": {"monday": _windows(("09:00", "17:00"))}}, "parameter_invalid",
     "delivery_schedule"),
    # --- goal, destination, frequency cap
    ("optimization_goal_unknown", "abo", {"optimization_goal": "clicks"}, "parameter_invalid",
     "optimization_goal"),
    ("conversion_location_unknown", "abo", {"conversion_location": "email"},
     "parameter_invalid", "conversion_location"),
    ("conversion_event_blank", "abo", {"conversion_event": " "}, "parameter_invalid",
     "conversion_event"),
    ("conversion_event_too_long", "abo", {"conversion_event": "e" * 201}, "parameter_invalid",
     "conversion_event"),
    ("conversion_event_number", "abo", {"conversion_event": 5}, "parameter_invalid",
     "conversion_event"),
    ("message_apps_unknown", "abo", {**MESSAGING, "message_apps": ["messenger", "telegram"]},
     "parameter_invalid", "message_apps[1]"),
    ("message_apps_empty", "abo", {**MESSAGING, "message_apps": []}, "parameter_invalid",
     "message_apps"),
    ("messaging_without_apps", "abo", {"conversion_location": "messaging"},
     "parameter_missing", "message_apps"),
    ("apps_without_messaging", "abo", {"message_apps": ["whatsapp"]}, "parameter_invalid",
     "message_apps"),
    ("apps_with_website", "abo", {"conversion_location": "website", "message_apps": ["whatsapp"]},
     "parameter_invalid", "message_apps"),
    ("frequency_cap_zero", "abo",
     {"optimization_goal": "reach", "frequency_cap": {"maximum_impressions": 0, "per_days": 7}},
     "parameter_invalid", "frequency_cap.maximum_impressions"),
    ("frequency_cap_without_maximum", "abo",
     {"optimization_goal": "reach", "frequency_cap": {"per_days": 7}}, "parameter_missing",
     "frequency_cap.maximum_impressions"),
    ("frequency_cap_per_days_zero", "abo",
     {"optimization_goal": "reach", "frequency_cap": {"maximum_impressions": 2, "per_days": 0}},
     "parameter_invalid", "frequency_cap.per_days"),
    ("frequency_cap_float", "abo",
     {"optimization_goal": "reach", "frequency_cap": {"maximum_impressions": 2.5}},
     "parameter_invalid", "frequency_cap.maximum_impressions"),
    ("frequency_cap_conversions_goal", "abo",
     {"optimization_goal": "conversions", "frequency_cap": {"maximum_impressions": 2}},
     "parameter_invalid", "frequency_cap"),
    ("frequency_cap_without_goal", "abo", {"frequency_cap": {"maximum_impressions": 2}},
     "parameter_invalid", "frequency_cap"),
    ("frequency_cap_cbo_traffic_objective", "cbo",
     {"optimization_goal": "reach", "frequency_cap": {"maximum_impressions": 2, "per_days": 7}},
     "parameter_invalid", "frequency_cap"),
    # --- keywords
    ("keyword_81_chars", "search_abo", {"keywords": [{"text": "k" * 81}]}, "parameter_invalid",
     "keywords[0].text"),
    ("keyword_11_words", "search_abo", {"keywords": [{"text": " ".join(["word"] * 11)}]},
     "parameter_invalid", "keywords[0].text"),
    ("keyword_symbol", "search_abo",
     {"keywords": [{"text": "running shoes"}, {"text": "shoes!"}]}, "parameter_invalid",
     "keywords[1].text"),
    ("keyword_quotes", "search_abo", {"keywords": [{"text": '"running shoes"'}]},
     "parameter_invalid", "keywords[0].text"),
    ("keyword_blank", "search_abo", {"keywords": [{"text": "   "}]}, "parameter_invalid",
     "keywords[0].text"),
    ("keyword_without_text", "search_abo", {"keywords": [{"match_type": "exact"}]},
     "parameter_missing", "keywords[0].text"),
    ("keyword_match_type_unknown", "search_abo",
     {"keywords": [{"text": "shoes", "match_type": "fuzzy"}]}, "parameter_invalid",
     "keywords[0].match_type"),
    ("keyword_negative_string", "search_abo",
     {"keywords": [{"text": "shoes", "negative": "true"}]}, "parameter_invalid",
     "keywords[0].negative"),
    ("keywords_on_standard_campaign", "abo", {"keywords": [{"text": "running shoes"}]},
     "parameter_invalid", "keywords"),
    ("empty_keywords_on_standard_campaign", "abo", {"keywords": []}, "parameter_invalid",
     "keywords"),
    # --- languages and placements
    ("language_name", "abo", {"languages": ["en", "english"]}, "parameter_invalid",
     "languages[1]"),
    ("language_upper_case", "abo", {"languages": ["EN"]}, "parameter_invalid", "languages[0]"),
    ("language_three_letters", "abo", {"languages": ["eng"]}, "parameter_invalid",
     "languages[0]"),
    ("languages_null", "abo", {"languages": None}, "parameter_invalid", "languages"),
    ("placements_manual", "abo", {"placements": "manual"}, "parameter_invalid", "placements"),
    ("placements_empty", "abo", {"placements": []}, "parameter_invalid", "placements"),
    ("placements_null", "abo", {"placements": None}, "parameter_invalid", "placements"),
    ("placement_platform_unknown", "abo", {"placements": [{"platform": "tiktok"}]},
     "parameter_invalid", "placements[0].platform"),
    ("placement_position_unknown", "abo",
     {"placements": [{"platform": "facebook", "positions": ["feed", "feeed"]}]},
     "parameter_invalid", "placements[0].positions[1]"),
    ("placement_positions_empty", "abo",
     {"placements": [{"platform": "facebook", "positions": []}]}, "parameter_invalid",
     "placements[0].positions"),
    ("placement_position_of_other_platform", "abo",
     {"placements": [{"platform": "instagram"}, {"platform": "facebook", "positions": ["reels"]}]},
     "parameter_invalid", "placements[1].positions[0]"),
    ("placement_platform_twice", "abo",
     {"placements": [{"platform": "instagram"}, {"platform": "instagram"}]},
     "parameter_invalid", "placements[1].platform"),
    ("placements_listed_on_tiktok", "tiktok_abo", {"placements": [{"platform": "facebook"}]},
     "parameter_invalid", "placements"),
    # --- demographics, detailed targeting, audiences, devices
    ("minimum_age_12", "abo", {"demographics": {"minimum_age": 12}}, "parameter_invalid",
     "demographics.minimum_age"),
    ("maximum_age_66", "abo", {"demographics": {"maximum_age": 66}}, "parameter_invalid",
     "demographics.maximum_age"),
    ("maximum_below_minimum_age", "abo", {"demographics": {"minimum_age": 30, "maximum_age": 25}},
     "parameter_invalid", "demographics.maximum_age"),
    ("age_not_integer", "abo", {"demographics": {"minimum_age": 18.5}}, "parameter_invalid",
     "demographics.minimum_age"),
    ("gender_unknown", "abo", {"demographics": {"gender": "other"}}, "parameter_invalid",
     "demographics.gender"),
    ("automatic_not_bool", "abo", {"demographics": {"automatic": 1}}, "parameter_invalid",
     "demographics.automatic"),
    ("demographics_null", "abo", {"demographics": None}, "parameter_invalid", "demographics"),
    ("interests_over_100", "abo",
     {"detailed_targeting": {"interests": [{"id": str(n)} for n in range(101)]}},
     "parameter_invalid", "detailed_targeting.interests"),
    ("behaviors_over_100", "abo",
     {"detailed_targeting": {"behaviors": [{"id": str(n)} for n in range(101)]}},
     "parameter_invalid", "detailed_targeting.behaviors"),
    ("demographic_categories_over_100", "abo",
     {"detailed_targeting": {
         "demographics": [{"id": str(n), "type": "income"} for n in range(101)]}},
     "parameter_invalid", "detailed_targeting.demographics"),
    ("interest_id_blank", "abo", {"detailed_targeting": {"interests": [{"id": ""}]}},
     "parameter_invalid", "detailed_targeting.interests[0].id"),
    ("behavior_type_unknown", "abo",
     {"detailed_targeting": {"behaviors": [{"id": "6002714895372", "behavior_type": "music"}]}},
     "parameter_invalid", "detailed_targeting.behaviors[0].behavior_type"),
    ("behavior_period_zero", "abo",
     {"detailed_targeting": {"behaviors": [{"id": "1", "behavior_type": "video", "period": 0}]}},
     "parameter_invalid", "detailed_targeting.behaviors[0].period"),
    ("demographic_category_without_type", "abo",
     {"detailed_targeting": {"demographics": [{"id": "6003054185372"}]}}, "parameter_missing",
     "detailed_targeting.demographics[0].type"),
    ("detailed_targeting_with_automatic", "abo",
     {"demographics": {"automatic": True}, "detailed_targeting": {"interests": [{"id": "1"}]}},
     "parameter_invalid", "detailed_targeting"),
    ("detailed_targeting_special_category", "abo_special",
     {"detailed_targeting": {"interests": [{"id": "6003139266461", "name": "Movies"}]}},
     "parameter_invalid", "detailed_targeting"),
    ("detailed_targeting_null", "abo", {"detailed_targeting": None}, "parameter_invalid",
     "detailed_targeting"),
    ("audience_id_without_prefix", "abo", {"audiences": {"include": ["aud_123"]}},
     "parameter_invalid", "audiences.include[0]"),
    ("audiences_with_automatic", "abo",
     {"demographics": {"automatic": True}, "audiences": {"exclude": ["adaud_Past01"]}},
     "parameter_invalid", "audiences"),
    ("audience_included_and_excluded", "abo",
     {"audiences": {"include": ["adaud_A1", "adaud_B2"], "exclude": ["adaud_C3", "adaud_B2"]}},
     "parameter_invalid", "audiences.exclude[1]"),
    ("audiences_null", "abo", {"audiences": None}, "parameter_invalid", "audiences"),
    ("device_platform_unknown", "abo", {"devices": {"platforms": ["mobile", "tablet"]}},
     "parameter_invalid", "devices.platforms[1]"),
    ("device_os_unknown", "abo", {"devices": {"operating_systems": [{"os": "windows"}]}},
     "parameter_invalid", "devices.operating_systems[0].os"),
    ("device_os_version_word", "abo",
     {"devices": {"operating_systems": [{"os": "ios", "minimum_version": "latest"}]}},
     "parameter_invalid", "devices.operating_systems[0].minimum_version"),
    ("devices_null", "abo", {"devices": None}, "parameter_invalid", "devices"),
    # --- regions
    ("country_unknown", "abo", {"regions": {"include": {"countries": ["US", "XX"]}}},
     "parameter_invalid", "regions.include.countries[1]"),
    ("country_lower_case", "abo", {"regions": {"include": {"countries": ["us"]}}},
     "parameter_invalid", "regions.include.countries[0]"),
    ("country_alpha_3", "abo", {"regions": {"exclude": {"countries": ["USA"]}}},
     "parameter_invalid", "regions.exclude.countries[0]"),
    ("region_without_country", "abo", {"regions": {"include": {"regions": ["CA"]}}},
     "parameter_invalid", "regions.include.regions[0]"),
    ("region_unknown_state", "abo", {"regions": {"include": {"regions": ["US-TX", "US-XX"]}}},
     "parameter_invalid", "regions.include.regions[1]"),
    ("region_outside_us", "abo", {"regions": {"include": {"regions": ["GB-ENG"]}}},
     "parameter_invalid", "regions.include.regions[0]"),
    ("city_without_key", "abo", {"regions": {"include": {"cities": [{"name": "Austin"}]}}},
     "parameter_missing", "regions.include.cities[0].key"),
    ("zip_object_extra_key", "abo",
     {"regions": {"include": {"zips": [{"key": "US:78756", "name": "Austin"}]}}},
     "parameter_invalid", "regions.include.zips[0]"),
    ("zip_number", "abo", {"regions": {"include": {"zips": [78756]}}}, "parameter_invalid",
     "regions.include.zips[0]"),
    ("zip_bare_on_meta", "abo", {"regions": {"include": {"zips": ["US:78701", "78756"]}}},
     "parameter_invalid", "regions.include.zips[1]"),
    ("zip_unknown_country_on_meta", "abo", {"regions": {"exclude": {"zips": [{"key": "XX:1"}]}}},
     "parameter_invalid", "regions.exclude.zips[0]"),
    ("zip_keyed_on_tiktok", "tiktok_abo", {"regions": {"exclude": {"zips": ["US:78756"]}}},
     "parameter_invalid", "regions.exclude.zips[0]"),
    ("country_group_excluded", "abo", {"regions": {"exclude": {"country_groups": ["europe"]}}},
     "parameter_invalid", "regions.exclude.country_groups"),
    ("country_group_malformed", "abo", {"regions": {"include": {"country_groups": ["Europe"]}}},
     "parameter_invalid", "regions.include.country_groups[0]"),
    ("custom_location_latitude", "abo",
     {"regions": {"include": {"custom_locations": [_location(latitude=91)]}}},
     "parameter_invalid", "regions.include.custom_locations[0].latitude"),
    ("custom_location_longitude", "abo",
     {"regions": {"include": {"custom_locations": [_location(longitude=-181)]}}},
     "parameter_invalid", "regions.include.custom_locations[0].longitude"),
    ("custom_location_without_radius", "abo",
     {"regions": {"include": {"custom_locations": [{"latitude": 1, "longitude": 2}]}}},
     "parameter_missing", "regions.include.custom_locations[0].radius"),
    ("custom_location_51_miles", "abo",
     {"regions": {"include": {"custom_locations": [_location(radius=51)]}}},
     "parameter_invalid", "regions.include.custom_locations[0].radius"),
    ("custom_location_81_km", "abo",
     {"regions": {"exclude": {"custom_locations": [
         _location(), _location(radius=81, distance_unit="kilometer")]}}},
     "parameter_invalid", "regions.exclude.custom_locations[1].radius"),
    ("custom_location_below_1", "abo",
     {"regions": {"include": {"custom_locations": [_location(radius=0.5)]}}},
     "parameter_invalid", "regions.include.custom_locations[0].radius"),
    ("custom_location_unit_unknown", "abo",
     {"regions": {"include": {"custom_locations": [_location(distance_unit="meter")]}}},
     "parameter_invalid", "regions.include.custom_locations[0].distance_unit"),
    ("custom_location_country_unknown", "abo",
     {"regions": {"include": {"custom_locations": [_location(country_code="ZZ")]}}},
     "parameter_invalid", "regions.include.custom_locations[0].country_code"),
    ("custom_locations_over_200_include", "abo",
     {"regions": {"include": {"custom_locations": _locations(201)}}}, "parameter_invalid",
     "regions.include.custom_locations[200]"),
    ("custom_locations_over_200_across", "abo",
     {"regions": {"include": {"custom_locations": _locations(150)},
                  "exclude": {"custom_locations": _locations(51)}}},
     "parameter_invalid", "regions.exclude.custom_locations[50]"),
    ("custom_location_special_without_country", "abo_special",
     {"regions": {"include": {"custom_locations": [_location(country_code="US"), _location()]}}},
     "parameter_missing", "regions.include.custom_locations[1].country_code"),
    ("regions_null", "abo", {"regions": None}, "parameter_invalid", "regions"),
    ("regions_unknown_side", "abo", {"regions": {"only": {}}}, "parameter_invalid",
     "regions.only"),
    # --- creative
    ("dynamic_creative_on_meta", "abo", {"dynamic_creative": True}, "parameter_invalid",
     "dynamic_creative"),
]  # fmt: skip


def _row(campaign: AdCampaign) -> AdGroup:
    return AdGroup(
        id="adgrp_SettingsTest01",
        company_id=campaign.company_id,
        ad_campaign_id=campaign.id,
        status="active",
        platform=campaign.platform,
        created_at=NOW,
        updated_at=NOW,
    )


def create(body: dict[str, Any], campaign: AdCampaign, now: datetime = NOW) -> AdGroup:
    """What POST /ad_groups does with the body, minus the database."""
    parsed = validate_body(AdGroupCreate, body)
    group = _row(campaign)
    apply_fields(group, parsed, parsed.model_fields_set)
    check_ad_group(group, campaign, now)
    return group


def create_kind(kind: str, **overrides: Any) -> tuple[AdGroup, AdCampaign]:
    campaign = campaign_for(kind)
    return create({**valid_ad_group_body(kind), **overrides}, campaign), campaign


def update(
    group: AdGroup, body: dict[str, Any], campaign: AdCampaign, now: datetime = NOW
) -> AdGroup:
    """What PATCH /ad_groups/{id} does with the body, minus the database."""
    parsed = validate_body(AdGroupUpdate, body)
    apply_fields(group, parsed, parsed.model_fields_set)
    check_ad_group(group, campaign, now)
    return group


def render(group: AdGroup) -> dict[str, Any]:
    return settings_object(group, "usd")


def expect_error(code: str, param: str) -> pytest.RaisesExc[InvalidRequest]:
    return pytest.raises(InvalidRequest, check=lambda e: (e.code, e.param) == (code, param))


class TestInvalidValues:
    def test_case_ids_are_unique(self) -> None:
        ids = [case[0] for case in INVALID_AD_GROUP_CASES]
        assert len(ids) == len(set(ids))

    @pytest.mark.parametrize(
        ("kind", "overrides", "code", "param"),
        [pytest.param(*case[1:], id=case[0]) for case in INVALID_AD_GROUP_CASES],
    )
    def test_is_refused_with_its_param(
        self, kind: str, overrides: dict[str, Any], code: str, param: str
    ) -> None:
        body = {**valid_ad_group_body(kind), **copy.deepcopy(overrides)}
        with pytest.raises(InvalidRequest) as caught:
            create(body, campaign_for(kind))
        assert (caught.value.code, caught.value.param) == (code, param), caught.value.message
        assert caught.value.status_code == 400
        assert caught.value.message


EMPTY_GEO: dict[str, Any] = {
    "countries": [],
    "regions": [],
    "cities": [],
    "zips": [],
    "country_groups": [],
    "custom_locations": [],
}


def defaults(**overrides: Any) -> dict[str, Any]:
    """settings_object of a group that set nothing but a $20 daily ABO budget."""
    return {
        "title": "Prospecting",
        "budget_amount": 20.0,
        "budget_amount_local": 20.0,
        "budget_currency": "usd",
        "budget_type": "daily",
        "bid_type": "minimum_cost",
        "desired_cost_per_result": None,
        "minimum_daily_spend": None,
        "optimization_goal": None,
        "conversion_location": None,
        "conversion_event": None,
        "message_apps": None,
        "starts_at": None,
        "ends_at": None,
        "delivery_schedule": None,
        "frequency_cap": None,
        "keywords": None,
        "languages": [],
        "placements": [],
        "demographics": {
            "automatic": False,
            "gender": "all",
            "minimum_age": None,
            "maximum_age": None,
        },
        "detailed_targeting": {"interests": [], "behaviors": [], "demographics": []},
        "audiences": {"include": [], "exclude": []},
        "devices": {"platforms": [], "operating_systems": []},
        "regions": {"include": EMPTY_GEO, "exclude": EMPTY_GEO},
        "dynamic_creative": None,
        **overrides,
    }


class TestValidBodies:
    @pytest.mark.parametrize("kind", CAMPAIGN_KINDS)
    def test_base_body_of_every_kind_is_valid(self, kind: str) -> None:
        create_kind(kind)

    def test_abo_defaults(self) -> None:
        group, _ = create_kind("abo")
        assert render(group) == defaults()
        assert group.budget_amount_micros == 20_000_000
        assert group.placements is None

    def test_cbo_group_carries_no_budget(self) -> None:
        group, _ = create_kind("cbo")
        assert render(group) == defaults(
            budget_amount=None, budget_amount_local=None, budget_type=None, bid_type=None
        )

    def test_a_group_renders_on_a_row_fresh_from_the_store(self) -> None:
        # JSON columns read back as {} (their server-side default) render in full shape.
        group = _row(campaign_for("abo"))
        group.title = "Prospecting"
        group.budget_amount_micros = 20_000_000
        group.budget_type, group.bid_type = "daily", "minimum_cost"
        group.languages, group.demographics, group.detailed_targeting = [], {}, {}
        group.audiences, group.devices, group.regions = {}, {}, {}
        assert render(group) == defaults()

    def test_every_setting_round_trips(self) -> None:
        body = {
            **valid_ad_group_body("abo"),
            "title": "Everything",
            "status": "paused",
            **LIFETIME_WEEK,
            "bid_type": "maximum_target",
            "desired_cost_per_result": 4.5,
            "minimum_daily_spend": 10,
            "optimization_goal": "conversations",
            "conversion_location": "messaging",
            "conversion_event": "purchase",
            "message_apps": ["messenger", "whatsapp"],
            "delivery_schedule": {
                "monday": _windows(("00:00", "09:00"), ("10:00", "24:00")),
                "wednesday": [],
                "saturday": _windows(("12:00", "13:00")),
            },
            "languages": ["en", "es"],
            "placements": [
                {"platform": "facebook", "positions": ["feed", "story"]},
                {"platform": "threads"},
            ],
            "demographics": {"gender": "female", "minimum_age": 18, "maximum_age": 65},
            "detailed_targeting": {
                "interests": [{"id": "6003139266461", "name": "Movies"}, {"id": "6003"}],
                "behaviors": [
                    {"id": "6002714895372", "behavior_type": "video", "period": 30},
                    {"id": "6002714898572", "name": "Frequent travelers"},
                ],
                "demographics": [{"id": "6003054185372", "type": "life_events"}],
            },
            "audiences": {"include": ["adaud_Buyers01"], "exclude": ["adaud_Churned2"]},
            "devices": {
                "platforms": ["mobile"],
                "operating_systems": [{"os": "ios", "minimum_version": "18.0"}, {"os": "android"}],
            },
            "regions": {
                "include": {
                    "countries": ["US", "CA"],
                    "regions": ["US-TX", "US-DC"],
                    "cities": [{"key": "2420379", "name": "Austin"}, {"key": "2418779"}],
                    "zips": ["US:78756", {"key": "US:78701"}],
                    "country_groups": ["europe"],
                    "custom_locations": [
                        _location(name="Office", country_code="US"),
                        _location(radius=80, distance_unit="kilometer"),
                    ],
                },
                "exclude": {"countries": ["MX"], "country_groups": []},
            },
        }
        group = create(body, campaign_for("abo"))
        assert group.status == "paused"
        assert group.dynamic_creative is None
        assert render(group) == defaults(
            title="Everything",
            budget_amount=100.0,
            budget_amount_local=100.0,
            budget_type="lifetime",
            bid_type="maximum_target",
            desired_cost_per_result=4.5,
            minimum_daily_spend=10.0,
            optimization_goal="conversations",
            conversion_location="messaging",
            conversion_event="purchase",
            message_apps=["messenger", "whatsapp"],
            starts_at="2026-03-10T00:00:00.000000Z",
            ends_at="2026-03-17T00:00:00.000000Z",
            delivery_schedule={
                "monday": _windows(("00:00", "09:00"), ("10:00", "24:00")),
                "saturday": _windows(("12:00", "13:00")),
            },
            languages=["en", "es"],
            placements=[
                {"platform": "facebook", "positions": ["feed", "story"]},
                {"platform": "threads", "positions": ["threads_stream"]},
            ],
            demographics={
                "automatic": False,
                "gender": "female",
                "minimum_age": 18,
                "maximum_age": 65,
            },
            detailed_targeting={
                "interests": [{"id": "6003139266461", "name": "Movies"}, {"id": "6003"}],
                "behaviors": [
                    {"id": "6002714895372", "behavior_type": "video", "period": 30},
                    {"id": "6002714898572", "name": "Frequent travelers"},
                ],
                "demographics": [{"id": "6003054185372", "type": "life_events"}],
            },
            audiences={"include": ["adaud_Buyers01"], "exclude": ["adaud_Churned2"]},
            devices={
                "platforms": ["mobile"],
                "operating_systems": [{"os": "ios", "minimum_version": "18.0"}, {"os": "android"}],
            },
            regions={
                "include": {
                    "countries": ["US", "CA"],
                    "regions": ["US-TX", "US-DC"],
                    "cities": [{"key": "2420379", "name": "Austin"}, {"key": "2418779"}],
                    "zips": ["US:78756", "US:78701"],
                    "country_groups": ["europe"],
                    "custom_locations": [
                        {
                            "latitude": 30.27,
                            "longitude": -97.74,
                            "radius": 10,
                            "distance_unit": "mile",
                            "name": "Office",
                            "country_code": "US",
                        },
                        {
                            "latitude": 30.27,
                            "longitude": -97.74,
                            "radius": 80,
                            "distance_unit": "kilometer",
                        },
                    ],
                },
                "exclude": {**EMPTY_GEO, "countries": ["MX"]},
            },
        )

    def test_budget_amount_local_is_the_usd_amount(self) -> None:
        group, _ = create_kind("abo", budget_amount=None, budget_amount_local=12.34)
        assert group.budget_amount_micros == 12_340_000
        assert render(group)["budget_amount"] == render(group)["budget_amount_local"] == 12.34

    def test_minimum_budgets_are_accepted(self) -> None:
        create_kind("abo", budget_amount=5)
        create_kind("abo", **{**LIFETIME_WEEK, "budget_amount": 35, "minimum_daily_spend": 5})
        create_kind("abo", budget_amount=20, minimum_daily_spend=20)

    def test_lifetime_of_exactly_24_hours(self) -> None:
        group, _ = create_kind(
            "abo", budget_type="lifetime", budget_amount=5, ends_at="2026-03-03T09:00:00Z"
        )
        assert render(group)["budget_type"] == "lifetime"

    def test_target_bidding(self) -> None:
        group, _ = create_kind("abo", bid_type="average_target", desired_cost_per_result=2.5)
        assert render(group)["bid_type"] == "average_target"
        assert render(group)["desired_cost_per_result"] == 2.5

    def test_cbo_group_sets_a_target_when_the_campaign_bids_for_one(self) -> None:
        campaign = campaign_for("cbo")
        campaign.bid_type = "average_target"
        campaign.desired_cost_per_result_micros = 3_000_000
        group = create({**valid_ad_group_body("cbo"), "desired_cost_per_result": 2}, campaign)
        assert render(group)["desired_cost_per_result"] == 2.0
        assert render(group)["bid_type"] is None

    def test_cbo_frequency_cap_with_awareness_objective(self) -> None:
        campaign = campaign_for("cbo")
        campaign.objective = "awareness"
        cap = {"maximum_impressions": 3, "per_days": 7}
        for goal in ("reach", "video_views"):
            body = {**valid_ad_group_body("cbo"), "optimization_goal": goal, "frequency_cap": cap}
            assert render(create(body, campaign))["frequency_cap"] == cap

    def test_cbo_frequency_cap_with_engagement_objective_is_thruplay_only(self) -> None:
        campaign = campaign_for("cbo")
        campaign.objective = "engagement"
        cap = {"maximum_impressions": 3}
        body = {**valid_ad_group_body("cbo"), "frequency_cap": cap}
        create({**body, "optimization_goal": "video_views"}, campaign)
        with expect_error("parameter_invalid", "frequency_cap"):
            create({**body, "optimization_goal": "reach"}, campaign)

    def test_frequency_cap_without_per_days(self) -> None:
        group, _ = create_kind(
            "abo", optimization_goal="reach", frequency_cap={"maximum_impressions": 2}
        )
        assert render(group)["frequency_cap"] == {"maximum_impressions": 2, "per_days": None}

    def test_schedule_on_a_cbo_lifetime_campaign(self) -> None:
        campaign = campaign_for("cbo")
        campaign.budget_type = "lifetime"
        campaign.budget_amount_micros = 500_000_000
        campaign.ends_at = NOW + timedelta(days=30)
        schedule = {"sunday": _windows(("18:00", "24:00"))}
        body = {**valid_ad_group_body("cbo"), "delivery_schedule": schedule}
        assert render(create(body, campaign))["delivery_schedule"] == schedule

    def test_schedule_with_a_daily_budget_off_meta(self) -> None:
        schedule = {"monday": _windows(("09:00", "12:00"), ("13:00", "17:00"))}
        group, _ = create_kind("tiktok_abo", delivery_schedule=schedule)
        assert render(group)["delivery_schedule"] == schedule

    def test_null_schedule_delivers_every_hour(self) -> None:
        group, _ = create_kind("abo", delivery_schedule=None)
        assert render(group)["delivery_schedule"] is None

    def test_keywords_fill_their_defaults(self) -> None:
        keywords = [
            {"text": "running shoes"},
            {"text": "women's trail running shoes size ten wide fit", "match_type": "phrase"},
            {"text": "k" * 80, "match_type": "exact", "negative": True},
        ]
        group, _ = create_kind("search_abo", keywords=keywords)
        assert render(group)["keywords"] == [
            {"text": "running shoes", "match_type": "broad", "negative": False},
            {
                "text": "women's trail running shoes size ten wide fit",
                "match_type": "phrase",
                "negative": False,
            },
            {"text": "k" * 80, "match_type": "exact", "negative": True},
        ]

    def test_search_group_may_wait_for_keywords_until_launch(self) -> None:
        body = {**valid_ad_group_body("search_abo")}
        del body["keywords"]
        assert render(create(body, campaign_for("search_abo")))["keywords"] is None

    def test_custom_conversion_event(self) -> None:
        group, _ = create_kind("abo", conversion_event="Booked a demo")
        assert render(group)["conversion_event"] == "Booked a demo"

    def test_automatic_placements(self) -> None:
        group, _ = create_kind("abo", placements="automatic")
        assert group.placements is None
        assert render(group)["placements"] == []

    def test_placement_without_positions_targets_all_of_them(self) -> None:
        group, _ = create_kind("abo", placements=[{"platform": "instagram"}])
        assert render(group)["placements"] == [
            {"platform": "instagram", "positions": list(PLACEMENT_POSITIONS["instagram"])}
        ]

    def test_automatic_audience_alone(self) -> None:
        group, _ = create_kind("abo", demographics={"automatic": True})
        assert render(group)["demographics"]["automatic"] is True

    def test_special_category_custom_location_with_country(self) -> None:
        location = _location(country_code="US")
        group, _ = create_kind(
            "abo_special",
            regions={
                "include": {"custom_locations": [location]},
                "exclude": {"custom_locations": [_location()]},
            },
        )
        assert render(group)["regions"]["include"]["custom_locations"][0]["country_code"] == "US"

    def test_200_custom_locations_across_include_and_exclude(self) -> None:
        regions = {
            "include": {"custom_locations": _locations(120)},
            "exclude": {"custom_locations": _locations(80)},
        }
        group, _ = create_kind("abo", regions=regions)
        assert len(render(group)["regions"]["exclude"]["custom_locations"]) == 80

    def test_tiktok_takes_bare_zips_and_dynamic_creative(self) -> None:
        group, _ = create_kind(
            "tiktok_abo",
            regions={"include": {"zips": ["78756", {"key": "10001"}]}},
            dynamic_creative=True,
        )
        assert render(group)["regions"]["include"]["zips"] == ["78756", "10001"]
        assert render(group)["dynamic_creative"] is True

    def test_meta_takes_dynamic_creative_false(self) -> None:
        group, _ = create_kind("abo", dynamic_creative=False)
        assert render(group)["dynamic_creative"] is False

    def test_title_may_be_null(self) -> None:
        group, _ = create_kind("abo", title=None)
        assert render(group)["title"] is None


class TestUpdate:
    def _full(self) -> tuple[AdGroup, AdCampaign]:
        return create_kind(
            "abo",
            optimization_goal="reach",
            frequency_cap={"maximum_impressions": 2, "per_days": 7},
            conversion_event="lead",
            minimum_daily_spend=6,
            starts_at="2026-03-10T00:00:00Z",
            ends_at="2026-04-10T00:00:00Z",
            languages=["fr"],
            placements=[{"platform": "facebook", "positions": ["feed"]}],
            demographics={"gender": "male", "minimum_age": 21},
            detailed_targeting={"interests": [{"id": "1"}], "behaviors": [{"id": "2"}]},
            audiences={"include": ["adaud_A1"]},
            devices={"platforms": ["desktop"]},
            regions={"include": {"countries": ["FR"]}},
        )

    def test_only_the_keys_sent_change(self) -> None:
        group, campaign = self._full()
        before = render(group)
        update(group, {"title": "Renamed", "languages": []}, campaign)
        assert render(group) == {**before, "title": "Renamed", "languages": []}

    def test_empty_patch_changes_nothing(self) -> None:
        group, campaign = self._full()
        before = render(group)
        update(group, {}, campaign)
        assert render(group) == before

    @pytest.mark.parametrize(
        ("field", "cleared"),
        [
            ("title", None),
            ("frequency_cap", None),
            ("minimum_daily_spend", None),
            ("conversion_event", None),
            ("starts_at", None),
            ("ends_at", None),
            ("delivery_schedule", None),
        ],
    )
    def test_null_clears_a_nullable_setting(self, field: str, cleared: Any) -> None:
        group, campaign = self._full()
        before = render(group)
        update(group, {field: None}, campaign)
        assert render(group) == {**before, field: cleared}

    def test_null_goal_needs_the_cap_cleared_too(self) -> None:
        group, campaign = self._full()
        with expect_error("parameter_invalid", "frequency_cap"):
            update(group, {"optimization_goal": None}, campaign)
        group, campaign = self._full()
        update(group, {"optimization_goal": None, "frequency_cap": None}, campaign)
        assert render(group)["optimization_goal"] is None

    @pytest.mark.parametrize(
        "field",
        [
            "status",
            "languages",
            "placements",
            "demographics",
            "detailed_targeting",
            "audiences",
            "devices",
            "regions",
        ],
    )
    def test_null_is_refused_for_a_setting_that_always_has_a_value(self, field: str) -> None:
        group, campaign = self._full()
        with expect_error("parameter_invalid", field):
            update(group, {field: None}, campaign)

    @pytest.mark.parametrize("field", ["ad_campaign_id", "dynamic_creative"])
    def test_create_only_fields_are_refused(self, field: str) -> None:
        group, campaign = self._full()
        with expect_error("parameter_invalid", field):
            update(group, {field: "adcamp_Other" if field == "ad_campaign_id" else False}, campaign)

    def test_status(self) -> None:
        group, campaign = self._full()
        update(group, {"status": "paused"}, campaign)
        assert group.status == "paused"

    def test_nested_settings_are_replaced_whole(self) -> None:
        group, campaign = self._full()
        update(
            group,
            {
                "demographics": {"maximum_age": 40},
                "detailed_targeting": {"behaviors": [{"id": "3"}]},
                "regions": {"exclude": {"countries": ["DE"]}},
            },
            campaign,
        )
        rendered = render(group)
        assert rendered["demographics"] == {
            "automatic": False,
            "gender": "all",
            "minimum_age": None,
            "maximum_age": 40,
        }
        assert rendered["detailed_targeting"] == {
            "interests": [],
            "behaviors": [{"id": "3"}],
            "demographics": [],
        }
        assert rendered["regions"] == {
            "include": EMPTY_GEO,
            "exclude": {**EMPTY_GEO, "countries": ["DE"]},
        }

    def test_placements_back_to_automatic(self) -> None:
        group, campaign = self._full()
        update(group, {"placements": "automatic"}, campaign)
        assert group.placements is None
        assert render(group)["placements"] == []

    def test_budget_null_under_abo_is_missing(self) -> None:
        group, campaign = self._full()
        with expect_error("parameter_missing", "budget_amount"):
            update(group, {"budget_amount": None}, campaign)

    def test_budget_change(self) -> None:
        group, campaign = self._full()
        update(group, {"budget_amount_local": 30}, campaign)
        assert render(group)["budget_amount"] == 30.0

    def test_budget_type_null_falls_back_to_daily(self) -> None:
        group, campaign = create_kind("abo", **LIFETIME_WEEK)
        update(group, {"budget_type": None}, campaign)
        assert render(group)["budget_type"] == "daily"

    def test_switching_to_minimum_cost_drops_the_target(self) -> None:
        group, campaign = create_kind("abo", bid_type="average_target", desired_cost_per_result=2.5)
        update(group, {"bid_type": "minimum_cost"}, campaign)
        assert render(group)["desired_cost_per_result"] is None

    def test_switching_to_a_target_needs_one(self) -> None:
        group, campaign = create_kind("abo")
        with expect_error("parameter_missing", "desired_cost_per_result"):
            update(group, {"bid_type": "maximum_target"}, campaign)
        group, campaign = create_kind("abo")
        update(group, {"bid_type": "maximum_target", "desired_cost_per_result": 9}, campaign)
        assert render(group)["desired_cost_per_result"] == 9.0

    def test_leaving_messaging_drops_the_apps(self) -> None:
        group, campaign = create_kind("abo", **MESSAGING)
        update(group, {"conversion_location": "website"}, campaign)
        assert render(group)["message_apps"] is None
        assert render(group)["conversion_location"] == "website"

    def test_rules_apply_to_the_merged_row(self) -> None:
        group, campaign = create_kind("abo")
        with expect_error("parameter_missing", "message_apps"):
            update(group, {"conversion_location": "messaging"}, campaign)
        group, campaign = self._full()
        with expect_error("parameter_invalid", "frequency_cap"):
            update(group, {"optimization_goal": "link_clicks"}, campaign)
        group, campaign = self._full()
        with expect_error("parameter_invalid", "detailed_targeting"):
            update(group, {"demographics": {"automatic": True}}, campaign)
        group, campaign = self._full()
        with expect_error("parameter_invalid", "minimum_daily_spend"):
            update(group, {"budget_amount": 5}, campaign)

    def test_keywords_replace_and_clear(self) -> None:
        group, campaign = create_kind("search_abo")
        update(group, {"keywords": [{"text": "trail shoes", "negative": True}]}, campaign)
        assert render(group)["keywords"] == [
            {"text": "trail shoes", "match_type": "broad", "negative": True}
        ]
        update(group, {"keywords": None}, campaign)
        assert render(group)["keywords"] is None


NOT_SETTINGS = {
    "id",
    "ad_campaign",
    "status",
    "delivery_status",
    "platform",
    "issues",
    "created_at",
    "updated_at",
    "learning_progress",
}
# The AdGroup of whop-sdk 2.6.0 (spec field-sets.md, column 2.6.0): 79 keys.
SDK_260_AD_GROUP_KEYS = {
    "ad_campaign", "added_to_cart_value", "added_to_carts", "audiences", "bid_type",
    "budget_amount", "budget_amount_local", "budget_currency", "budget_type",
    "click_through_rate", "clicks", "completed_registration_value", "completed_registrations",
    "contact_value", "contacts", "conversion_event", "conversion_location",
    "cost_per_added_to_cart", "cost_per_click", "cost_per_completed_registration",
    "cost_per_contact", "cost_per_lead", "cost_per_mille", "cost_per_purchase",
    "cost_per_result", "cost_per_schedule", "cost_per_submitted_application",
    "cost_per_unique_click", "cost_per_viewed_content", "created_at", "custom_conversions",
    "custom_event_counts", "custom_event_values", "delivery_schedule", "delivery_status",
    "demographics", "desired_cost_per_result", "detailed_targeting", "devices",
    "dynamic_creative", "ends_at", "frequency", "frequency_cap", "id", "impressions", "issues",
    "keywords", "languages", "lead_value", "leads", "learning_progress", "link_clicks",
    "message_apps", "minimum_daily_spend", "optimization_goal", "placements", "platform",
    "purchase_value", "purchases", "reach", "regions", "result_event", "result_event_name",
    "results", "return_on_ad_spend", "schedule_value", "schedules", "spend", "spend_currency",
    "starts_at", "status", "submitted_application_value", "submitted_applications", "title",
    "unique_click_through_rate", "unique_clicks", "updated_at", "viewed_content_value",
    "viewed_contents",
}  # fmt: skip


class TestResponseShape:
    def test_ad_group_object_has_the_newest_key_set(self) -> None:
        assert set(AdGroupObject.model_fields) == SDK_260_AD_GROUP_KEYS
        assert len(SDK_260_AD_GROUP_KEYS) == 79

    def test_settings_object_renders_exactly_the_configuration_keys(self) -> None:
        metrics = set(compute_metrics(StatTotals(), NO_GOAL, "usd"))
        group, _ = create_kind("abo")
        assert set(render(group)) == SDK_260_AD_GROUP_KEYS - NOT_SETTINGS - metrics

    @pytest.mark.parametrize("kind", CAMPAIGN_KINDS)
    def test_a_whole_object_validates_against_the_response_model(self, kind: str) -> None:
        group, _ = create_kind(kind)
        whole = {
            "id": group.id,
            "ad_campaign": {"id": group.ad_campaign_id},
            "status": group.status,
            "delivery_status": "draft",
            "platform": group.platform,
            "issues": [],
            "created_at": "2026-03-02T09:00:00.000000Z",
            "updated_at": "2026-03-02T09:00:00.000000Z",
            "learning_progress": None,
            **compute_metrics(StatTotals(), NO_GOAL, "usd"),
            **render(group),
        }
        parsed = AdGroupObject.model_validate(whole)
        assert set(parsed.model_dump()) == SDK_260_AD_GROUP_KEYS

    def test_request_schema_documents_the_alternative_shapes(self) -> None:
        schema = AdGroupCreate.model_json_schema()
        placements = schema["properties"]["placements"]["anyOf"]
        assert {"type": "string", "const": "automatic"} in placements
        zips = schema["$defs"]["GeoLocations"]["properties"]["zips"]["anyOf"][0]["items"]["anyOf"]
        assert any(option.get("required") == ["key"] for option in zips)
