"""The pure TikTok mappers: money, what is fixed at creation, targeting, reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest

from adline.delivery.adapter import (
    Bidding,
    Budget,
    CreativeFormat,
    CreativeSummary,
    DeliverySchedule,
    FrequencyCap,
    GeoSelection,
    InvalidSpec,
    ScheduleWindow,
    Targeting,
)
from adline.networks.tiktok import mapping
from adline.networks.tiktok.mapping import KnownSettings

from .builders import START, ad, ad_group, campaign


class TestMoney:
    @pytest.mark.parametrize(
        ("micros", "major"),
        [
            (12_345_000, 12.34),  # half-even: 4 stays
            (12_355_000, 12.36),  # half-even: 5 goes up to the even 6
            (20_000_000, 20.0),
            (1_505_000, 1.5),
            (1, 0.0),
        ],
    )
    def test_budgets_and_bids_round_half_even_to_the_cent(self, micros: int, major: float) -> None:
        assert mapping.major_units(micros) == major

    def test_a_hard_limit_rounds_down(self) -> None:
        assert mapping.limit_major_units(12_349_999) == 12.34

    @pytest.mark.parametrize(
        ("reported", "micros"), [("1.23", 1_230_000), ("0.455", 455_000), ("0", 0), (None, 0)]
    )
    def test_reported_spend_becomes_micros(self, reported: str | None, micros: int) -> None:
        assert mapping.micros(reported) == micros


class TestFixedAtCreation:
    def test_an_unchanged_campaign_passes(self) -> None:
        known = mapping.campaign_settings(campaign())
        mapping.refuse_fixed_changes(known, mapping.campaign_settings(campaign(status="paused")))

    @pytest.mark.parametrize(
        ("known", "param"),
        [
            (KnownSettings("BUDGET_MODE_DAY", "REACH"), "objective"),
            (KnownSettings("BUDGET_MODE_TOTAL", "TRAFFIC"), "budget_type"),
            (KnownSettings("BUDGET_MODE_INFINITE", "TRAFFIC"), "budget_optimization"),
        ],
    )
    def test_a_change_names_adlines_param(self, known: KnownSettings, param: str) -> None:
        with pytest.raises(InvalidSpec) as refused:
            mapping.refuse_fixed_changes(known, mapping.campaign_settings(campaign()))
        assert refused.value.param == param

    def test_an_ad_group_under_cbo_has_no_budget_mode_to_change(self) -> None:
        wanted = mapping.ad_group_settings(ad_group(budget=None))
        mapping.refuse_fixed_changes(KnownSettings("BUDGET_MODE_INFINITE"), wanted)
        with pytest.raises(InvalidSpec) as refused:
            mapping.refuse_fixed_changes(KnownSettings("BUDGET_MODE_DAY"), wanted)
        assert refused.value.param == "budget_optimization"

    def test_an_unknown_objective_is_refused(self) -> None:
        with pytest.raises(InvalidSpec) as refused:
            mapping.campaign_settings(campaign(objective="app_installs"))
        assert refused.value.param == "objective"


class TestCampaignBodies:
    def test_an_update_never_carries_what_creation_fixed(self) -> None:
        body = mapping.campaign_update_body(campaign(), "1", "2")
        assert not {"budget_mode", "objective_type", "operation_status"} & set(body)

    def test_an_abo_campaign_has_no_campaign_budget(self) -> None:
        body = mapping.campaign_create_body(campaign(budget=None), "1", "9")
        assert body["budget_mode"] == "BUDGET_MODE_INFINITE"
        assert "budget" not in body and "budget_optimize_on" not in body
        assert body["operation_status"] == "DISABLE"

    def test_the_name_carries_the_reference(self) -> None:
        name = mapping.object_name("x" * 300, "adcamp_AAAAAAAAAAAAAA")
        assert mapping.carries_reference(name, "adcamp_AAAAAAAAAAAAAA")
        assert len(name) == mapping.MAX_TITLE_LENGTH + len(" [adcamp_AAAAAAAAAAAAAA]")
        assert not mapping.carries_reference(
            "Other [adcamp_AAAAAAAAAAAAAB]", "adcamp_AAAAAAAAAAAAAA"
        )


class TestAdGroupBodies:
    def test_a_conversion_target_is_a_conversion_bid_price(self) -> None:
        spec = ad_group(
            optimization_goal="conversions", bidding=Bidding("average_target", 7_000_000)
        )
        body = mapping.ad_group_update_body(spec, "1", "2", now=START)
        assert (body["billing_event"], body["bid_type"], body["conversion_bid_price"]) == (
            "OCPM",
            "BID_TYPE_CUSTOM",
            7.0,
        )
        assert "budget_mode" not in body and "operation_status" not in body

    def test_the_lowest_cost_sends_no_bid(self) -> None:
        body = mapping.ad_group_update_body(ad_group(bidding=Bidding()), "1", "2", now=START)
        assert body["bid_type"] == "BID_TYPE_NO_BID"
        assert "bid_price" not in body

    def test_a_schedule_and_end_become_dayparting_and_start_end(self) -> None:
        spec = ad_group(
            ends_at=datetime(2026, 12, 20, 12, tzinfo=UTC),
            schedule=DeliverySchedule((ScheduleWindow("tuesday", 9, 17),)),
            frequency_cap=FrequencyCap(3, 7),
        )
        body = mapping.ad_group_update_body(spec, "1", "2", now=START)
        assert body["schedule_type"] == "SCHEDULE_START_END"
        assert body["schedule_end_time"] == "2026-12-20 12:00:00"
        dayparting = body["dayparting"]
        assert len(dayparting) == 336
        assert dayparting[48 + 18 : 48 + 34] == "1" * 16
        assert dayparting.count("1") == 16
        assert (body["frequency"], body["frequency_schedule"]) == (3, 7)

    def test_a_frequency_cap_over_the_whole_run_is_refused(self) -> None:
        with pytest.raises(InvalidSpec) as refused:
            mapping.ad_group_update_body(
                ad_group(frequency_cap=FrequencyCap(3)), "1", "2", now=START
            )
        assert refused.value.param == "frequency_cap"

    def test_an_unsupported_goal_is_refused(self) -> None:
        with pytest.raises(InvalidSpec) as refused:
            mapping.ad_group_update_body(
                ad_group(optimization_goal="page_likes"), "1", "2", now=START
            )
        assert refused.value.param == "optimization_goal"


class TestTargeting:
    def test_ages_cover_the_bands_they_overlap(self) -> None:
        assert mapping.age_groups(None, None) == []
        assert mapping.age_groups(30, 50) == ["AGE_25_34", "AGE_35_44", "AGE_45_54"]
        assert mapping.age_groups(None, 20) == ["AGE_18_24"]

    def test_a_country_without_a_known_location_id_is_refused(self) -> None:
        with pytest.raises(InvalidSpec) as refused:
            mapping.targeting_fields(Targeting(include=GeoSelection(countries=("ZW",))))
        assert refused.value.param == "regions"

    def test_excluded_places_are_refused(self) -> None:
        with pytest.raises(InvalidSpec):
            mapping.targeting_fields(Targeting(exclude=GeoSelection(countries=("US",))))

    @pytest.mark.parametrize(
        ("targeting", "param"),
        [
            (Targeting(behaviors=("6002714895372",)), "detailed_targeting"),
            (Targeting(demographic_ids=("6002714398172",)), "demographics"),
            (Targeting(include=GeoSelection(zips=("US:10001",))), "regions"),
        ],
    )
    def test_what_tiktok_does_not_take_is_refused_not_dropped(
        self, targeting: Targeting, param: str
    ) -> None:
        with pytest.raises(InvalidSpec) as refused:
            mapping.targeting_fields(targeting)
        assert refused.value.param == param

    def test_automatic_placements_and_the_rest(self) -> None:
        fields = mapping.targeting_fields(
            Targeting(
                include=GeoSelection(countries=("us",), regions=("5332921",)),
                interests=("25100",),
                audiences_include=("aud1",),
                audiences_exclude=("aud2",),
            )
        )
        assert fields == {
            "location_ids": ["6252001", "5332921"],
            "gender": "GENDER_UNLIMITED",
            "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
            "interest_category_ids": ["25100"],
            "audience_ids": ["aud1"],
            "excluded_audience_ids": ["aud2"],
        }


class TestReports:
    def test_a_local_hour_becomes_utc(self) -> None:
        row = {
            "dimensions": {"ad_id": "1", "stat_time_hour": "2026-12-05 09:00:00"},
            "metrics": {"spend": "2.50", "impressions": "10", "clicks": "1", "reach": "9"},
        }
        hour = mapping.reported_hour(row, "ad_X", ZoneInfo("America/New_York"), 7)
        assert hour.hour_start == datetime(2026, 12, 5, 14, tzinfo=UTC)
        assert (hour.spend_micros, hour.impressions, hour.revision) == (2_500_000, 10, 7)

    def test_budget_type_of_a_lifetime_budget(self) -> None:
        assert mapping.campaign_budget_mode(Budget("lifetime", 1)) == "BUDGET_MODE_TOTAL"


class TestUploadedMedia:
    """A creative's files as the asset library knows them (`media`, from media.py)."""

    MEDIA: ClassVar[dict[str, mapping.TikTokFile]] = {
        "file_V": mapping.TikTokFile("video", "v10033g50000a", cover="ad-site-i18n-sg/cover"),
        "file_A": mapping.TikTokFile("image", "ad-site-i18n-sg/a"),
        "file_B": mapping.TikTokFile("image", "ad-site-i18n-sg/b"),
    }

    def creative(self, format: CreativeFormat, *media_ids: str) -> dict[str, Any]:
        spec = ad(creative=CreativeSummary(format=format, media_ids=media_ids))
        return mapping.ad_creative(spec, None, self.MEDIA)

    def test_a_video_shows_with_its_own_cover_or_the_creatives_first_image(self) -> None:
        alone = self.creative("image", "file_V")
        assert (alone["ad_format"], alone["video_id"]) == ("SINGLE_VIDEO", "v10033g50000a")
        assert alone["image_ids"] == ["ad-site-i18n-sg/cover"]
        with_image = self.creative("video", "file_V", "file_B")
        assert with_image["image_ids"] == ["ad-site-i18n-sg/b"]

    def test_images_are_one_image_or_a_carousel(self) -> None:
        assert self.creative("image", "file_A", "file_B")["image_ids"] == ["ad-site-i18n-sg/a"]
        carousel = self.creative("carousel", "file_A", "file_B")
        assert carousel["ad_format"] == "CAROUSEL_ADS"
        assert carousel["image_ids"] == ["ad-site-i18n-sg/a", "ad-site-i18n-sg/b"]

    def test_a_video_ad_without_a_video_is_refused(self) -> None:
        with pytest.raises(InvalidSpec) as refused:
            self.creative("video", "file_A")
        assert refused.value.param == "creatives"
