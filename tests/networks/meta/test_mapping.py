"""The pure mappers: Adline specs as Meta payloads, money in minor units, insights rows as
reported hours. No HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from adline.delivery.adapter import (
    Bidding,
    Budget,
    CustomLocation,
    DeliverySchedule,
    FrequencyCap,
    GeoSelection,
    InvalidSpec,
    OperatingSystem,
    ScheduleWindow,
    Targeting,
)
from adline.networks.meta.mapping import (
    MetaTargetingIds,
    ad_set_payload,
    adline_param,
    campaign_payload,
    creative_payload,
    has_reference,
    micros_of_major,
    micros_of_minor,
    minor_per_major,
    object_name,
    reported_hour,
    spend_cap_minor,
    targeting_spec,
    to_minor,
)

from .specs import DOLLAR, META_CAMPAIGN, ad, ad_group, campaign


class TestMoney:
    def test_budgets_round_half_even_to_the_cent(self) -> None:
        assert to_minor(50 * DOLLAR) == 5000
        assert to_minor(12_345_000) == 1234  # 1234.5 -> even
        assert to_minor(12_355_000) == 1236  # 1235.5 -> even
        assert to_minor(12_345_001) == 1235

    def test_whole_unit_currencies(self) -> None:
        assert minor_per_major("USD") == 100
        assert minor_per_major("jpy") == 1
        assert to_minor(1_500 * DOLLAR, minor_per_major("JPY")) == 1500

    def test_spend_caps_round_down(self) -> None:
        assert spend_cap_minor(350_255_000) == 35025
        assert spend_cap_minor(350_259_999) == 35025

    def test_reported_amounts(self) -> None:
        assert micros_of_major("12.34") == 12_340_000
        assert micros_of_major("0.0000005") == 0
        assert micros_of_major(None) == 0
        assert micros_of_minor("2000") == 20 * DOLLAR


class TestCampaign:
    def test_create_is_paused_with_categories_and_cbo_budget(self) -> None:
        payload = campaign_payload(
            campaign(special_ad_categories=("housing", "financial_products")),
            100,
            creating=True,
        )
        assert payload == {
            "name": "Spring sale [adline:adcamp_a1b2c3d4e5f6g7]",
            "special_ad_categories": ["HOUSING", "FINANCIAL_PRODUCTS_SERVICES"],
            "status": "PAUSED",
            "objective": "OUTCOME_SALES",
            "buying_type": "AUCTION",
            "daily_budget": 5000,
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
        }

    def test_abo_update_has_no_budget_and_no_objective(self) -> None:
        starts = datetime(2026, 3, 3, 8, tzinfo=UTC)
        payload = campaign_payload(
            campaign(budget=None, status="paused", starts_at=starts), 100, creating=False
        )
        assert payload == {
            "name": "Spring sale [adline:adcamp_a1b2c3d4e5f6g7]",
            "special_ad_categories": [],
            "status": "PAUSED",
            "is_adset_budget_sharing_enabled": False,
            "start_time": "2026-03-03T08:00:00+0000",
        }

    @pytest.mark.parametrize(
        ("bid_type", "strategy"),
        [("average_target", "COST_CAP"), ("maximum_target", "LOWEST_COST_WITH_BID_CAP")],
    )
    def test_bid_strategies(self, bid_type: str, strategy: str) -> None:
        spec = campaign(bidding=Bidding(bid_type, 2 * DOLLAR))  # type: ignore[arg-type]
        assert campaign_payload(spec, 100, creating=True)["bid_strategy"] == strategy

    def test_unknown_objective_is_refused(self) -> None:
        with pytest.raises(InvalidSpec) as raised:
            campaign_payload(campaign(objective="bogus"), 100, creating=True)
        assert raised.value.param == "objective"


class TestAdSet:
    def test_abo_with_schedule_cap_and_conversion(self) -> None:
        spec = ad_group(
            campaign_network_id=META_CAMPAIGN,
            budget=Budget("lifetime", 700 * DOLLAR),
            bidding=Bidding("average_target", 12_340_000),
            optimization_goal="conversions",
            conversion_event="purchase",
            minimum_daily_spend_micros=10 * DOLLAR,
            schedule=DeliverySchedule((ScheduleWindow("monday", 9, 17),)),
            frequency_cap=FrequencyCap(3, 7),
        )
        payload = ad_set_payload(spec, 100, creating=True, pixel_id="555")
        assert payload["campaign_id"] == META_CAMPAIGN
        assert payload["lifetime_budget"] == 70000
        assert payload["bid_strategy"] == "COST_CAP"
        assert payload["bid_amount"] == 1234
        assert payload["optimization_goal"] == "OFFSITE_CONVERSIONS"
        assert payload["promoted_object"] == {"custom_event_type": "PURCHASE", "pixel_id": "555"}
        assert payload["daily_min_spend_target"] == 1000
        assert payload["adset_schedule"] == [
            {"days": [1], "start_minute": 540, "end_minute": 1020, "timezone_type": "ADVERTISER"}
        ]
        assert payload["pacing_type"] == ["day_parting"]
        assert payload["frequency_control_specs"] == [
            {"event": "IMPRESSIONS", "interval_days": 7, "max_frequency": 3}
        ]

    def test_update_never_moves_the_ad_set(self) -> None:
        payload = ad_set_payload(ad_group(status="paused"), 100, creating=False)
        assert "campaign_id" not in payload
        assert payload["status"] == "PAUSED"

    def test_custom_event_and_page_goal(self) -> None:
        custom = ad_group(conversion_event="quiz_done", optimization_goal="conversions")
        assert ad_set_payload(custom, 100, creating=False, pixel_id="555")["promoted_object"] == {
            "custom_event_str": "quiz_done",
            "custom_event_type": "OTHER",
            "pixel_id": "555",
        }
        likes = ad_group(optimization_goal="page_likes")
        assert ad_set_payload(likes, 100, creating=False, page_id="987")["promoted_object"] == {
            "page_id": "987"
        }


class TestTargeting:
    def test_full_spec(self) -> None:
        targeting = Targeting(
            include=GeoSelection(
                countries=("US",),
                regions=("3847",),
                cities=("2418779",),
                zips=("US:94304",),
                custom_locations=(CustomLocation(37.4, -122.1, 10, "kilometer"),),
            ),
            exclude=GeoSelection(regions=("3843",)),
            gender="male",
            automatic=True,
            device_platforms=("mobile",),
            operating_systems=(OperatingSystem("ios", "14.0"), OperatingSystem("android")),
            interests=("6003139266461",),
            behaviors=("6002714895372",),
        )
        assert targeting_spec(targeting) == {
            "geo_locations": {
                "countries": ["US"],
                "regions": [{"key": "3847"}],
                "cities": [{"key": "2418779"}],
                "zips": [{"key": "US:94304"}],
                "custom_locations": [
                    {
                        "latitude": 37.4,
                        "longitude": -122.1,
                        "radius": 10,
                        "distance_unit": "kilometer",
                    }
                ],
            },
            "excluded_geo_locations": {"regions": [{"key": "3843"}]},
            "genders": [1],
            "device_platforms": ["mobile"],
            "user_os": ["iOS_ver_14.0_and_above", "Android"],
            "flexible_spec": [
                {"interests": [{"id": "6003139266461"}], "behaviors": [{"id": "6002714895372"}]}
            ],
            "targeting_automation": {"advantage_audience": 1},
        }

    def test_saved_audiences_and_languages_go_as_the_accounts_ids(self) -> None:
        targeting = Targeting(
            include=GeoSelection(countries=("US",)),
            languages=("en", "pt"),
            audiences_include=("adaud_buyers0000001", "adaud_leads00000001"),
            audiences_exclude=("adaud_churned000001",),
        )
        ids = MetaTargetingIds(
            custom_audiences={
                "adaud_buyers0000001": "2385001",
                "adaud_leads00000001": "2385002",
                "adaud_churned000001": "2385003",
            },
            locales={"en": (1001,), "pt": (16, 31)},
        )
        spec = targeting_spec(targeting, ids)
        assert spec["custom_audiences"] == [{"id": "2385001"}, {"id": "2385002"}]
        assert spec["excluded_custom_audiences"] == [{"id": "2385003"}]
        assert spec["locales"] == [16, 31, 1001]

    def test_demographic_categories_go_under_their_types_key(self) -> None:
        targeting = Targeting.from_api(
            detailed_targeting={
                "interests": [{"id": "6003139266461"}],
                "demographics": [
                    {"id": "6002714398172", "type": "life_events"},
                    {"id": "6009990000001", "type": "industries"},
                    {"id": "6002714398173", "type": "life_events"},
                ],
            }
        )
        spec = targeting_spec(targeting)
        assert spec["flexible_spec"] == [
            {
                "interests": [{"id": "6003139266461"}],
                "life_events": [{"id": "6002714398172"}, {"id": "6002714398173"}],
                "industries": [{"id": "6009990000001"}],
            }
        ]

    @pytest.mark.parametrize(
        ("targeting", "param", "named"),
        [
            (Targeting(audiences_include=("adaud_1",)), "audiences", "adaud_1"),
            (Targeting(audiences_exclude=("adaud_2",)), "audiences", "adaud_2"),
            (Targeting(languages=("en", "ab")), "languages", "'ab'"),
            (
                # A spec journaled before demographic types were carried.
                Targeting(demographic_ids=("6002714398172",)),
                "detailed_targeting.demographics",
                "6002714398172",
            ),
        ],
    )
    def test_what_has_no_meta_id_is_refused_naming_it_not_dropped(
        self, targeting: Targeting, param: str, named: str
    ) -> None:
        ids = MetaTargetingIds(locales={"en": (1001,), "ab": ()})
        with pytest.raises(InvalidSpec) as raised:
            targeting_spec(targeting, ids)
        assert raised.value.param == param
        assert named in str(raised.value)


class TestReference:
    def test_the_reference_survives_a_long_title(self) -> None:
        name = object_name("x" * 500, "ad", "ad_a1b2c3d4e5f6g7")
        assert len(name) == 400
        assert has_reference(name, "ad_a1b2c3d4e5f6g7")
        assert not has_reference(name, "ad_a1b2c3d4e5f6g")
        assert object_name(None, "ad_group", "adgrp_1") == "ad group [adline:adgrp_1]"

    def test_blame_fields_as_adline_params(self) -> None:
        assert adline_param(["daily_budget"]) == "budget_amount"
        assert adline_param(["targeting", "age_min"]) == "demographics"
        assert adline_param(["targeting", "something_new"]) == "targeting"
        assert adline_param(["unknown"]) is None


class TestCreative:
    def test_image_link_ad(self) -> None:
        payload = creative_payload(ad(), page_id="987")
        assert re.fullmatch(r"\[adline:ad_a1b2c3d4e5f6g7\] [0-9a-f]{16}", payload.pop("name"))
        assert payload == {
            "object_story_spec": {
                "page_id": "987",
                "link_data": {
                    "link": "https://shop.example.com/spring",
                    "message": "Spring is here",
                    "name": "20% off",
                    "image_hash": "abc123hash",
                    "call_to_action": {
                        "type": "SHOP_NOW",
                        "value": {"link": "https://shop.example.com/spring"},
                    },
                },
            },
        }

    def test_without_a_page_is_refused(self) -> None:
        with pytest.raises(InvalidSpec):
            creative_payload(ad(), page_id=None)


class TestInsightsRow:
    def test_local_hour_to_utc_and_events(self) -> None:
        row = {
            "ad_id": "1",
            "date_start": "2026-07-01",
            "hourly_stats_aggregated_by_advertiser_time_zone": "23:00:00 - 23:59:59",
            "impressions": "10",
            "clicks": "2",
            "inline_link_clicks": "1",
            "spend": "0.50",
            "actions": [
                {"action_type": "lead", "value": "1"},
                {
                    "action_type": "onsite_conversion.messaging_conversation_started_7d",
                    "value": "3",
                },
                {"action_type": "offsite_conversion.fb_pixel_lead", "value": "1"},
            ],
        }
        hour = reported_hour(row, ad_id="ad_1", zone=ZoneInfo("Europe/Berlin"), revision=7)
        assert hour.hour_start == datetime(2026, 7, 1, 21, tzinfo=UTC)  # CEST = UTC+2
        assert (hour.impressions, hour.clicks, hour.unique_clicks) == (10, 2, 0)
        assert hour.spend_micros == 500_000
        assert hour.event_counts == {"lead": 1, "messaging_conversation": 3}
        assert hour.revision == 7
