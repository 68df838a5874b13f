"""A week of 50 campaigns (150 ads) simulates in a few seconds."""

from __future__ import annotations

from collections import Counter

from adline.delivery.adapter import (
    AdGroupSpec,
    AdSpec,
    Budget,
    CampaignSpec,
    CreativeFormat,
    CreativeSummary,
    FrequencyCap,
    GeoSelection,
    Targeting,
)
from adline.delivery.simulator import SimulatedNetwork
from tests.delivery.builders import DOLLAR, network, run, settle

COUNTRIES = [("US",), ("GB", "IE"), ("DE",), ("BR",), ("IN",), ("US", "CA"), ("FR",), ("AU", "NZ")]
GOALS = [
    ("conversions", "purchase"),
    ("link_clicks", None),
    ("reach", None),
    ("lead_generation", None),
    ("landing_page_views", None),
]
ZONES = ["UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata"]


async def build_fifty(sim: SimulatedNetwork) -> None:
    """50 campaigns x 1 ad group x 3 ads: CBO and ABO, four zones, five goals, caps."""
    for index in range(50):
        cbo = index % 2 == 0
        await sim.upsert_campaign(
            CampaignSpec(
                f"c{index}",
                "biz",
                "active",
                "sales",
                budget=Budget("daily", (20 + 3 * index) * DOLLAR) if cbo else None,
                time_zone=ZONES[index % len(ZONES)],
            ),
            idempotency_key=f"c{index}",
        )
        goal, event = GOALS[index % len(GOALS)]
        await sim.upsert_ad_group(
            AdGroupSpec(
                f"g{index}",
                f"c{index}",
                "active",
                budget=None if cbo else Budget("daily", 40 * DOLLAR),
                optimization_goal=goal,
                conversion_event=event,
                frequency_cap=FrequencyCap(2, 1) if goal == "reach" else None,
                targeting=Targeting(
                    include=GeoSelection(countries=COUNTRIES[index % len(COUNTRIES)]),
                    minimum_age=18 + index % 10,
                ),
            ),
            idempotency_key=f"g{index}",
        )
        formats: tuple[CreativeFormat, ...] = ("image", "video", "carousel")
        for number, creative in enumerate(formats):
            await sim.upsert_ad(
                AdSpec(f"a{index}_{number}", f"g{index}", "active", CreativeSummary(creative)),
                idempotency_key=f"a{index}_{number}",
            )


class TestScale:
    async def test_fifty_campaigns_for_a_week(self) -> None:
        sim = network(7, correction_rate=0.05)
        await build_fifty(sim)
        # Its speed is measured by `adline simulate` (README), not asserted here.
        for _ in range(7 * 24):
            run(sim, 1)
        rows = await settle(sim)
        hours_per_ad = Counter(row.ad_id for row in rows)
        assert len(hours_per_ad) == 150
        assert sum(hours_per_ad.values()) > 0.95 * 150 * 7 * 24
