"""The adapter interface as the simulator implements it: writes, ids, idempotency, errors,
partial failures, the registry, and the converters from stored API settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import (
    AdGroupSpec,
    Budget,
    CampaignSpec,
    CustomLocation,
    DeliverySchedule,
    FrequencyCap,
    GeoSelection,
    IdempotencyConflict,
    InvalidSpec,
    ObjectNotFound,
    ObjectRef,
    OperatingSystem,
    PlacementSelection,
    PlatformAdapter,
    RateLimited,
    ScheduleWindow,
    SpendAllowance,
    Targeting,
)
from adline.delivery.registry import (
    AdapterContext,
    AdapterRegistry,
    UnsupportedPlatform,
    simulated,
)
from adline.delivery.simulator import SimulatedNetwork
from tests.delivery.builders import DOLLAR, START, clock_of, launch, network, run, settle


class TestWrites:
    async def test_writes_answer_pending_with_network_ids(self) -> None:
        sim = network()
        result = await sim.upsert_campaign(
            CampaignSpec("c1", "biz", "active", "sales", budget=Budget("daily", 10 * DOLLAR)),
            idempotency_key="k1",
        )
        assert result.state == "pending"
        assert result.effective_at == START + sim.propagation_delay
        assert result.network_id is not None and result.network_id.isdigit()
        assert len(result.network_id) == 18

        again = await sim.upsert_campaign(
            CampaignSpec(
                "c1",
                "biz",
                "paused",
                "sales",
                network_id=result.network_id,
                budget=Budget("daily", 10 * DOLLAR),
            ),
            idempotency_key="k2",
        )
        assert again.network_id == result.network_id

    async def test_network_ids_are_stable_per_seed(self) -> None:
        first, second, other = network(seed=3), network(seed=3), network(seed=4)
        for sim in (first, second, other):
            await launch(sim)
        ids = [sim._campaigns["c1"].network_id for sim in (first, second, other)]
        assert ids[0] == ids[1] != ids[2]

    async def test_same_key_same_payload_replays_the_first_answer(self) -> None:
        sim = network()
        _, _, [ad] = await launch(sim)
        clock_of(sim).advance(timedelta(minutes=5))
        changed = replace(ad, creative=replace(ad.creative, headline="New"))
        first = await sim.upsert_ad(changed, idempotency_key="edit")
        clock_of(sim).advance(timedelta(minutes=5))
        replay = await sim.upsert_ad(changed, idempotency_key="edit")
        assert replay == first
        # The edit was applied once: one review for the creation, one for the edit.
        assert len(sim._ad_states[ad.id].reviews) == 2

    async def test_same_key_other_payload_is_a_conflict(self) -> None:
        sim = network()
        campaign, _, _ = await launch(sim)
        with pytest.raises(IdempotencyConflict):
            await sim.upsert_campaign(
                replace(campaign, title="Other"), idempotency_key="c1:campaign"
            )

    async def test_failed_writes_are_not_remembered(self) -> None:
        sim = network()
        group = AdGroupSpec("g1", "missing", "active", budget=Budget("daily", DOLLAR))
        with pytest.raises(ObjectNotFound):
            await sim.upsert_ad_group(group, idempotency_key="g")
        await sim.upsert_campaign(
            CampaignSpec("missing", "biz", "active", "sales"), idempotency_key="c"
        )
        result = await sim.upsert_ad_group(group, idempotency_key="g")
        assert result.state == "pending"

    async def test_rate_limit_raises_with_retry_after(self) -> None:
        sim = network(max_writes_per_hour=4)
        clock_of(sim).advance(timedelta(minutes=45))
        await launch(sim, ads=2)  # four writes
        with pytest.raises(RateLimited) as raised:
            await sim.delete_object(ObjectRef("ad", "c1_a0"), idempotency_key="d")
        assert raised.value.retry_after == timedelta(minutes=15)
        assert raised.value.retryable
        clock_of(sim).advance(timedelta(minutes=15))
        await sim.delete_object(ObjectRef("ad", "c1_a0"), idempotency_key="d")

    async def test_refused_settings(self) -> None:
        sim = network()
        with pytest.raises(InvalidSpec) as raised:
            await sim.upsert_campaign(
                CampaignSpec("c1", "biz", "active", "sales", time_zone="Mars/Olympus"),
                idempotency_key="k",
            )
        assert raised.value.param == "time_zone"
        await launch(sim, "c2")
        with pytest.raises(InvalidSpec) as raised:
            await sim.upsert_ad_group(
                AdGroupSpec("g", "c2", "active", budget=Budget("daily", DOLLAR)),
                idempotency_key="g",
            )
        assert raised.value.param == "budget"

    async def test_deleted_objects_stop_and_refuse_updates(self) -> None:
        sim = network()
        campaign, _, _ = await launch(sim)
        run(sim, 3)
        deleted = await sim.delete_object(ObjectRef("ad_campaign", "c1"), idempotency_key="del")
        assert deleted.state == "pending"
        run(sim, 24)
        rows = await settle(sim)
        assert rows, "delivered before the delete"
        assert max(row.hour_start for row in rows) < START + timedelta(hours=4)
        with pytest.raises(ObjectNotFound):
            await sim.upsert_campaign(campaign, idempotency_key="after")
        again = await sim.delete_object(ObjectRef("ad_campaign", "c1"), idempotency_key="del2")
        assert again.state == "applied"


class TestSpendAllowances:
    async def test_each_item_answers_for_itself(self) -> None:
        sim = network()
        await launch(sim)
        results = await sim.set_spend_allowances(
            [
                SpendAllowance(ObjectRef("ad_campaign", "c1"), 5 * DOLLAR),
                SpendAllowance(ObjectRef("ad_campaign", "nope"), 5 * DOLLAR),
                SpendAllowance(ObjectRef("ad", "c1_a0"), 5 * DOLLAR),
                SpendAllowance(ObjectRef("ad_group", "c1_g"), -1),
                SpendAllowance(ObjectRef("ad_group", "c1_g"), None),
            ],
            idempotency_key="allow",
        )
        assert [r.state for r in results] == ["pending", "failed", "failed", "failed", "pending"]
        assert [r.error.code if r.error else None for r in results] == [
            None,
            "object_not_found",
            "invalid_owner",
            "invalid_amount",
            None,
        ]


class TestRegistry:
    def test_default_serves_meta_and_tiktok_with_the_simulator(self) -> None:
        registry = AdapterRegistry(ManualClock(START), seed=5)
        assert registry.platforms == ("meta", "tiktok")
        meta = registry.adapter("meta")
        assert isinstance(meta, SimulatedNetwork)
        assert meta.platform == "meta" and meta.seed == 5
        assert registry.adapter("tiktok").platform == "tiktok"
        assert registry.adapter("meta") is meta
        with pytest.raises(UnsupportedPlatform):
            registry.adapter("google")

    def test_factories_and_options_are_configuration(self) -> None:
        built: list[AdapterContext] = []

        def recording(context: AdapterContext) -> PlatformAdapter:
            built.append(context)
            return simulated(context)

        registry = AdapterRegistry(
            ManualClock(START),
            {"google": recording},
            options={"google": {"rejection_rate": 0.5}},
        )
        adapter = registry.adapter("google")
        assert registry.platforms == ("google",)
        assert isinstance(adapter, SimulatedNetwork) and adapter.rejection_rate == 0.5
        assert built[0].platform == "google"
        with pytest.raises(UnsupportedPlatform):
            registry.adapter("meta")


class TestConverters:
    def test_targeting_from_stored_settings(self) -> None:
        targeting = Targeting.from_api(
            regions={
                "include": {
                    "countries": ["US"],
                    "regions": ["US-CA"],
                    "cities": [{"key": "2420379", "name": "Austin"}],
                    "zips": ["US:78756", {"key": "US:10001"}],
                    "country_groups": [],
                    "custom_locations": [
                        {
                            "latitude": 1.5,
                            "longitude": 2.5,
                            "radius": 10,
                            "distance_unit": "kilometer",
                        }
                    ],
                },
                "exclude": {"countries": ["CA"]},
            },
            demographics={
                "automatic": False,
                "gender": "female",
                "minimum_age": 25,
                "maximum_age": None,
            },
            languages=["en"],
            devices={
                "platforms": ["mobile"],
                "operating_systems": [{"os": "ios", "minimum_version": "17"}],
            },
            detailed_targeting={
                "interests": [{"id": "6003", "name": "Yoga"}],
                "behaviors": [],
                "demographics": [{"id": "d1", "type": "income"}],
            },
            audiences={"include": ["adaud_1"], "exclude": []},
            placements=[{"platform": "instagram", "positions": ["stream", "story"]}],
        )
        assert targeting == Targeting(
            include=GeoSelection(
                countries=("US",),
                regions=("US-CA",),
                cities=("2420379",),
                zips=("US:78756", "US:10001"),
                custom_locations=(CustomLocation(1.5, 2.5, 10.0, "kilometer"),),
            ),
            exclude=GeoSelection(countries=("CA",)),
            minimum_age=25,
            gender="female",
            languages=("en",),
            device_platforms=("mobile",),
            operating_systems=(OperatingSystem("ios", "17"),),
            interests=("6003",),
            demographic_ids=("d1",),
            demographic_categories=(("income", "d1"),),
            audiences_include=("adaud_1",),
            placements=(PlacementSelection("instagram", ("stream", "story")),),
        )
        assert Targeting.from_api() == Targeting()
        hash(targeting)  # frozen all the way down: usable as a cache key

    def test_schedule_and_cap_from_stored_settings(self) -> None:
        schedule = DeliverySchedule.from_api(
            {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "18:00", "end": "24:00"}]}
        )
        assert schedule == DeliverySchedule(
            (ScheduleWindow("monday", 9, 12), ScheduleWindow("monday", 18, 24))
        )
        assert schedule.allows(0, 9) and schedule.allows(0, 23)
        assert not schedule.allows(0, 12) and not schedule.allows(1, 10)
        assert DeliverySchedule.from_api(None) is None
        assert FrequencyCap.from_api({"maximum_impressions": 2, "per_days": None}) == FrequencyCap(
            2
        )
        assert FrequencyCap.from_api(None) is None
