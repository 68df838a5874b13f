"""The audience model: reach estimates respond to targeting; reach saturates toward the
audience; frequency caps hold per person and window."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta

from adline.delivery.adapter import (
    Budget,
    CustomLocation,
    FrequencyCap,
    GeoSelection,
    OperatingSystem,
    PlacementSelection,
    Targeting,
)
from adline.delivery.audience import audience_size, inventory_share, price_level
from tests.delivery.builders import DOLLAR, START, launch, network, run, settle

ZIP = Targeting(include=GeoSelection(zips=("US:78756",)))


def geo(*countries: str, **more: object) -> Targeting:
    return Targeting(include=GeoSelection(countries=countries), **more)  # type: ignore[arg-type]


class TestEstimateReach:
    async def test_wider_regions_reach_more(self) -> None:
        sim = network()
        ladder = [
            Targeting(include=GeoSelection(zips=("US:78756",))),
            Targeting(include=GeoSelection(cities=("2420379",))),
            Targeting(include=GeoSelection(regions=("US-TX",))),
            geo("US"),
            geo("US", "CA"),
            Targeting(include=GeoSelection(country_groups=("north_america",))),
            Targeting(),  # worldwide
        ]
        estimates = [await sim.estimate_reach(targeting) for targeting in ladder]
        lowers = [lower for lower, _ in estimates if lower is not None]
        assert len(lowers) == len(ladder)
        assert lowers == sorted(lowers) and len(set(lowers)) == len(lowers)
        for lower, upper in estimates:
            assert lower is not None and upper is not None
            assert 0.6 < lower / upper < 0.72  # +-20% around the size, two digits

    async def test_narrowing_settings_reach_fewer(self) -> None:
        sim = network()
        [base], narrower = (
            [geo("US")],
            [
                geo("US", minimum_age=25, maximum_age=34),
                geo("US", gender="female"),
                geo("US", languages=("es",)),
                geo("US", device_platforms=("desktop",)),
                geo("US", operating_systems=(OperatingSystem("ios"),)),
                geo("US", interests=("6003139266461",)),
                geo("US", audiences_include=("adaud_1",)),
                replace(geo("US"), exclude=GeoSelection(regions=("US-CA",))),
            ],
        )
        size = audience_size(base, "meta")
        for targeting in narrower:
            assert audience_size(targeting, "meta") < size, targeting
        lower, upper = await sim.estimate_reach(base)
        assert lower is not None and upper is not None and lower < size < upper

        # More interests (OR'd) reach more than one.
        one = audience_size(geo("US", interests=("a",)), "meta")
        assert audience_size(geo("US", interests=("a", "b", "c")), "meta") > one
        # Automatic (Advantage+) audiences ignore age and gender.
        assert audience_size(geo("US", minimum_age=50, automatic=True), "meta") > audience_size(
            geo("US", minimum_age=50), "meta"
        )

    async def test_too_narrow_is_not_estimated(self) -> None:
        sim = network()
        tiny = Targeting(
            include=GeoSelection(custom_locations=(CustomLocation(30.3, -97.7, 1, "kilometer"),)),
            interests=("x",),
            minimum_age=60,
        )
        assert await sim.estimate_reach(tiny) == (None, None)

    def test_platforms_and_prices(self) -> None:
        assert audience_size(geo("US"), "tiktok") < audience_size(geo("US"), "meta")
        assert price_level(geo("IN")) < price_level(geo("US"))
        assert price_level(geo("US", interests=("a",))) > price_level(geo("US"))
        feeds = replace(geo("US"), placements=(PlacementSelection("facebook", ("feed",)),))
        assert inventory_share(feeds, "meta") < inventory_share(geo("US"), "meta") == 1.0


class TestReach:
    async def test_reach_stays_below_the_audience_and_saturates(self) -> None:
        sim = network()
        await launch(sim, budget=Budget("daily", 80 * DOLLAR), group={"targeting": ZIP})
        run(sim, 10 * 24)
        rows = await settle(sim)
        audience = sim.audience_size("c1_g")
        assert 5_000 < audience < 50_000
        impressions: dict[int, int] = defaultdict(int)
        reach: dict[int, int] = defaultdict(int)
        for row in rows:
            assert row.reach <= row.impressions
            day = (row.hour_start - START).days
            impressions[day] += row.impressions
            reach[day] += row.reach
        assert sum(reach.values()) <= audience
        # Each day reaches fewer new people; cumulative frequency keeps rising.
        assert reach[9] < 0.5 * reach[1]
        frequencies = []
        for day in range(1, 10):
            total_impressions = sum(impressions[d] for d in range(day + 1))
            frequencies.append(total_impressions / sum(reach[d] for d in range(day + 1)))
        assert frequencies == sorted(frequencies)
        assert frequencies[-1] > 2 * frequencies[0]

    async def test_large_audiences_reach_almost_one_person_per_impression(self) -> None:
        sim = network()
        await launch(sim)
        run(sim, 48)
        rows = await settle(sim)
        impressions = sum(row.impressions for row in rows)
        assert 0.97 * impressions < sum(row.reach for row in rows) <= impressions


class TestFrequencyCap:
    async def test_cap_holds_per_person_and_window(self) -> None:
        cap = FrequencyCap(maximum_impressions=2, per_days=1)
        sim = network()
        group = {"targeting": ZIP, "optimization_goal": "reach", "conversion_event": None}
        await launch(
            sim,
            "capped",
            budget=Budget("daily", 400 * DOLLAR),
            group={**group, "frequency_cap": cap},
        )
        await launch(sim, "free", budget=Budget("daily", 400 * DOLLAR), group=group)
        run(sim, 4 * 24)
        windows = sim.frequency_windows("capped_g")
        assert [window.index for window in windows] == [0, 1, 2, 3]
        assert [window.start for window in windows] == [
            (START + timedelta(days=day)).date() for day in range(4)
        ]
        for window in windows:
            assert window.max_per_person <= 2
            assert window.impressions <= 2 * window.people + 1e-6
        # The cap binds: the capped group serves its whole pool twice a day and no more,
        # while the uncapped one keeps delivering to people who saw it already.
        pool = sim.audience_size("capped_g") * 0.7
        assert windows[1].impressions > 0.9 * 2 * pool
        rows = await settle(sim)
        by_campaign: dict[str, int] = defaultdict(int)
        for row in rows:
            if START + timedelta(days=1) <= row.hour_start < START + timedelta(days=2):
                by_campaign[row.ad_id.split("_")[0]] += row.impressions
        assert by_campaign["free"] > 1.2 * by_campaign["capped"]

        # On the first day (its first window), no one was reached more than twice.
        first_day = [
            row
            for row in rows
            if row.ad_id.startswith("capped") and row.hour_start < START + timedelta(days=1)
        ]
        assert sum(r.impressions for r in first_day) <= 2 * sum(r.reach for r in first_day)

    async def test_cap_over_the_whole_run(self) -> None:
        sim = network()
        await launch(
            sim,
            budget=Budget("daily", 100 * DOLLAR),
            group={
                "targeting": ZIP,
                "optimization_goal": "reach",
                "frequency_cap": FrequencyCap(3),
            },
        )
        run(sim, 6 * 24)
        [window] = sim.frequency_windows("c1_g")
        assert window.max_per_person <= 3
        rows = await settle(sim)
        assert sum(row.impressions for row in rows) <= 3 * sum(row.reach for row in rows)
