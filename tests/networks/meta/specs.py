"""The Adline specs the Meta contract fixtures were written for."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from adline.delivery.adapter import (
    AdGroupSpec,
    AdSpec,
    Bidding,
    Budget,
    CampaignSpec,
    CreativeSummary,
    GeoSelection,
    PlacementSelection,
    Targeting,
)

CAMPAIGN, AD_GROUP, AD = "adcamp_a1b2c3d4e5f6g7", "adgrp_a1b2c3d4e5f6g7", "ad_a1b2c3d4e5f6g7"
META_CAMPAIGN, META_AD_SET, META_AD = "120200000000001", "120200000000002", "120200000000003"
DOLLAR = 1_000_000


def campaign(**changes: Any) -> CampaignSpec:
    spec = CampaignSpec(
        id=CAMPAIGN,
        account_id="act_1234",
        status="active",
        objective="sales",
        title="Spring sale",
        budget=Budget("daily", 50 * DOLLAR),
    )
    return dataclasses.replace(spec, **changes)


def ad_group(**changes: Any) -> AdGroupSpec:
    spec = AdGroupSpec(
        id=AD_GROUP,
        campaign_id=CAMPAIGN,
        status="active",
        title="US women",
        optimization_goal="link_clicks",
        # Under CBO only the group's own cost target is read: $1.50 a click.
        bidding=Bidding("minimum_cost", 1_500_000),
        starts_at=datetime(2026, 3, 3, tzinfo=UTC),
        targeting=Targeting(
            include=GeoSelection(countries=("US",)),
            minimum_age=18,
            maximum_age=65,
            gender="female",
            placements=(PlacementSelection("facebook", ("feed",)),),
        ),
    )
    return dataclasses.replace(spec, **changes)


def ad(**changes: Any) -> AdSpec:
    spec = AdSpec(
        id=AD,
        ad_group_id=AD_GROUP,
        status="active",
        title="Spring image",
        creative=CreativeSummary(
            format="image",
            media_ids=("abc123hash",),
            primary_text="Spring is here",
            headline="20% off",
            call_to_action="shop_now",
            url="https://shop.example.com/spring",
        ),
    )
    return dataclasses.replace(spec, **changes)
