"""delivery_status: one row per value of each level's enum (spec C.2, C.3, C.5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from adline.campaigns.delivery_status import (
    AdGroupChildren,
    CampaignChildren,
    DeliveryFacts,
    ad_delivery_status,
    ad_group_delivery_status,
    campaign_delivery_status,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAST = NOW - timedelta(days=1)
FUTURE = NOW + timedelta(days=1)
LIVE = CampaignChildren(ad_groups=2, active_ad_groups=1, ads=3)
GROUP_LIVE = AdGroupChildren(ads=2, active_ads=1)


@dataclass
class Row:
    status: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None


CAMPAIGN_CASES = [
    ("payment_failed", Row("payment_failed"), LIVE, DeliveryFacts()),
    ("in_appeal", Row("active"), CampaignChildren(1, 1, 2, 2), DeliveryFacts(in_appeal=True)),
    ("all_ads_rejected", Row("active"), CampaignChildren(1, 1, 2, 2), DeliveryFacts()),
    ("draft", Row("draft"), CampaignChildren(), DeliveryFacts()),
    ("draft", Row("duplicating"), LIVE, DeliveryFacts()),
    ("no_ad_groups", Row("active"), CampaignChildren(), DeliveryFacts()),
    ("no_ad_groups", Row("paused"), CampaignChildren(), DeliveryFacts()),
    ("no_ads", Row("active"), CampaignChildren(1, 1, 0, 0), DeliveryFacts()),
    ("paused", Row("paused"), LIVE, DeliveryFacts()),
    ("learning", Row("active"), LIVE, DeliveryFacts(learning="learning")),
    ("processing", Row("active"), LIVE, DeliveryFacts(processing=True)),
    ("issues", Row("active"), LIVE, DeliveryFacts(open_errors=1)),
    ("scheduled", Row("active", starts_at=FUTURE), LIVE, DeliveryFacts()),
    ("completed", Row("active", ends_at=PAST), LIVE, DeliveryFacts()),
    ("ad_groups_off", Row("active"), CampaignChildren(2, 0, 2, 0), DeliveryFacts()),
    ("active", Row("active", starts_at=PAST, ends_at=FUTURE), LIVE, DeliveryFacts()),
]


@pytest.mark.parametrize(("expected", "campaign", "children", "facts"), CAMPAIGN_CASES)
def test_campaign(
    expected: str, campaign: Row, children: CampaignChildren, facts: DeliveryFacts
) -> None:
    assert campaign_delivery_status(campaign, children, NOW, facts) == expected


ACTIVE = Row("active")
GROUP_CASES = [
    ("in_appeal", Row("rejected"), ACTIVE, GROUP_LIVE, DeliveryFacts(in_appeal=True)),
    ("all_ads_rejected", ACTIVE, ACTIVE, AdGroupChildren(2, 0, 2), DeliveryFacts()),
    ("rejected", Row("rejected"), ACTIVE, GROUP_LIVE, DeliveryFacts()),
    ("draft", ACTIVE, Row("draft"), GROUP_LIVE, DeliveryFacts()),
    ("draft", Row("duplicating"), ACTIVE, GROUP_LIVE, DeliveryFacts()),
    ("no_ads", ACTIVE, ACTIVE, AdGroupChildren(), DeliveryFacts()),
    ("campaign_paused", ACTIVE, Row("paused"), GROUP_LIVE, DeliveryFacts()),
    ("paused", Row("paused"), ACTIVE, GROUP_LIVE, DeliveryFacts()),
    ("processing", ACTIVE, ACTIVE, GROUP_LIVE, DeliveryFacts(processing=True)),
    ("issues", ACTIVE, ACTIVE, GROUP_LIVE, DeliveryFacts(open_errors=2)),
    ("scheduled", Row("active", starts_at=FUTURE), ACTIVE, GROUP_LIVE, DeliveryFacts()),
    ("scheduled", ACTIVE, Row("active", starts_at=FUTURE), GROUP_LIVE, DeliveryFacts()),
    ("completed", Row("active", ends_at=PAST), ACTIVE, GROUP_LIVE, DeliveryFacts()),
    ("completed", ACTIVE, Row("active", ends_at=PAST), GROUP_LIVE, DeliveryFacts()),
    ("ads_off", ACTIVE, ACTIVE, AdGroupChildren(2, 0, 0), DeliveryFacts()),
    ("learning_limited", ACTIVE, ACTIVE, GROUP_LIVE, DeliveryFacts(learning="learning_limited")),
    ("learning", ACTIVE, ACTIVE, GROUP_LIVE, DeliveryFacts(learning="learning")),
    ("active", ACTIVE, ACTIVE, GROUP_LIVE, DeliveryFacts()),
]


@pytest.mark.parametrize(("expected", "group", "campaign", "children", "facts"), GROUP_CASES)
def test_ad_group(
    expected: str, group: Row, campaign: Row, children: AdGroupChildren, facts: DeliveryFacts
) -> None:
    assert ad_group_delivery_status(group, campaign, children, NOW, facts) == expected


AD_CASES = [
    ("in_appeal", Row("rejected"), ACTIVE, ACTIVE, DeliveryFacts(in_appeal=True)),
    ("rejected", Row("rejected"), ACTIVE, ACTIVE, DeliveryFacts()),
    ("in_review", Row("in_review"), ACTIVE, ACTIVE, DeliveryFacts()),
    ("draft", ACTIVE, ACTIVE, Row("draft"), DeliveryFacts()),
    ("draft", Row("duplicating"), ACTIVE, ACTIVE, DeliveryFacts()),
    ("campaign_paused", ACTIVE, Row("paused"), Row("paused"), DeliveryFacts()),
    ("ad_group_paused", Row("paused"), Row("paused"), ACTIVE, DeliveryFacts()),
    ("paused", Row("paused"), ACTIVE, ACTIVE, DeliveryFacts()),
    ("processing", ACTIVE, ACTIVE, ACTIVE, DeliveryFacts(processing=True)),
    ("issues", ACTIVE, ACTIVE, ACTIVE, DeliveryFacts(open_errors=1)),
    ("scheduled", ACTIVE, Row("active", starts_at=FUTURE), ACTIVE, DeliveryFacts()),
    ("scheduled", ACTIVE, ACTIVE, Row("active", ends_at=PAST), DeliveryFacts()),
    ("learning_limited", ACTIVE, ACTIVE, ACTIVE, DeliveryFacts(learning="learning_limited")),
    ("learning", ACTIVE, ACTIVE, ACTIVE, DeliveryFacts(learning="learning")),
    ("active", ACTIVE, ACTIVE, ACTIVE, DeliveryFacts()),
]


@pytest.mark.parametrize(("expected", "ad", "group", "campaign", "facts"), AD_CASES)
def test_ad(expected: str, ad: Row, group: Row, campaign: Row, facts: DeliveryFacts) -> None:
    assert ad_delivery_status(ad, group, campaign, NOW, facts) == expected


@pytest.mark.parametrize(
    ("cases", "enum"),
    [
        (
            CAMPAIGN_CASES,
            "payment_failed in_appeal all_ads_rejected draft no_ad_groups no_ads paused "
            "learning processing issues scheduled completed ad_groups_off active",
        ),
        (
            GROUP_CASES,
            "in_appeal all_ads_rejected rejected draft no_ads campaign_paused paused "
            "processing issues scheduled completed ads_off learning_limited learning active",
        ),
        (
            AD_CASES,
            "in_appeal rejected in_review draft campaign_paused ad_group_paused paused "
            "processing issues scheduled learning_limited learning active",
        ),
    ],
)
def test_every_enum_value_is_covered(cases: list[tuple[object, ...]], enum: str) -> None:
    assert {case[0] for case in cases} == set(enum.split())
