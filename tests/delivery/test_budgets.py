"""Budgets, Adline's spend allowances, the bounded overspend, and pacing over the day."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from adline.delivery.adapter import (
    AdGroupSpec,
    AdSpec,
    Budget,
    CreativeSummary,
    ObjectRef,
    SpendAllowance,
)
from adline.delivery.draws import DRAW_CEILING, DRAW_SLACK
from adline.delivery.pacing import TRAFFIC_CURVE
from adline.delivery.simulator import SimulatedNetwork
from tests.delivery.builders import (
    DOLLAR,
    START,
    US,
    clock_of,
    launch,
    network,
    run,
    settle,
    spend_by_local_day,
)

# Far above any simulated price of one impression (US CPMs are ~$10-30).
MAX_IMPRESSION_PRICE = 100_000


def overspend_bound(remaining: int, ads: int, sim: SimulatedNetwork) -> float:
    """docs/delivery.md: at most one notice delay of the stopping hour's delivery, whose
    unthrottled spend is at most DRAW_CEILING x what remained plus DRAW_SLACK impressions
    per ad."""
    hour_spend = DRAW_CEILING * remaining + DRAW_SLACK * ads * MAX_IMPRESSION_PRICE
    return hour_spend * sim.notice_delay.total_seconds() / 3600


async def _allow(sim: SimulatedNetwork, owner: ObjectRef, amount: int | None, key: str) -> None:
    [result] = await sim.set_spend_allowances([SpendAllowance(owner, amount)], idempotency_key=key)
    assert result.state == "pending"


class TestAllowances:
    async def test_spend_stops_at_the_allowance_within_the_bound(self) -> None:
        allowance = 20 * DOLLAR
        overspent = []
        for seed in range(1, 11):
            sim = network(seed, start=START - timedelta(minutes=1))
            await launch(sim, ads=3, budget=Budget("daily", 100 * DOLLAR))
            await _allow(sim, ObjectRef("ad_campaign", "c1"), allowance, "allow")
            run(sim, 48 + 1 / 60)
            billed = sim.billed_spend_micros("c1")
            assert allowance * 0.97 <= billed <= allowance + overspend_bound(allowance, 3, sim)
            overspent.append(billed - allowance)
            rows = await settle(sim)
            assert sum(row.spend_micros for row in rows) == billed
            # Delivery ends in the hour the allowance runs out.
            last = max(row.hour_start for row in rows)
            assert sum(row.spend_micros for row in rows if row.hour_start < last) < allowance
        # Real networks overspend a little, so Adline's overspend measurement has something
        # to measure.
        assert any(amount > 0 for amount in overspent)

    async def test_a_new_allowance_resumes_and_none_removes_it(self) -> None:
        sim = network(start=START - timedelta(minutes=1))
        await launch(sim, cbo=False, budget=Budget("daily", 40 * DOLLAR))
        owner = ObjectRef("ad_group", "c1_g")
        await _allow(sim, owner, 5 * DOLLAR, "first")
        run(sim, 24)  # to 23:59 on day 1
        first_day = sim.billed_spend_micros("c1_g")
        assert first_day <= 5 * DOLLAR + overspend_bound(5 * DOLLAR, 1, sim)

        await _allow(sim, owner, 8 * DOLLAR, "second")
        run(sim, 24)
        second_day = sim.billed_spend_micros("c1_g") - first_day
        assert 7 * DOLLAR <= second_day <= 8 * DOLLAR + overspend_bound(8 * DOLLAR, 1, sim)

        await _allow(sim, owner, None, "remove")
        run(sim, 24)
        third_day = sim.billed_spend_micros("c1_g") - first_day - second_day
        assert 36 * DOLLAR <= third_day <= 40 * DOLLAR + overspend_bound(40 * DOLLAR, 1, sim)

    async def test_counted_from_caps_total_spend_under_reporting_lag(self) -> None:
        """Adline holds a $30 cap. At 12:10 it has seen reports up to 11:00 only. "$30 minus
        what I saw, from now" overspends by the unseen spend; "$30 counted from the start"
        does not, because the network counts its own spend."""
        cap = 30 * DOLLAR
        billed = {}
        for counted in (False, True):
            sim = network(9)
            await launch(sim, ads=2, budget=Budget("daily", 100 * DOLLAR))
            run(sim, 12)
            clock_of(sim).advance(timedelta(minutes=10))
            seen = sum(
                row.spend_micros for row in await sim.pull_stats(START, START + timedelta(days=1))
            )
            assert 0 < seen < sim.billed_spend_micros("c1")  # hour 11 is not published yet
            owner = ObjectRef("ad_campaign", "c1")
            if counted:
                allowance = SpendAllowance(owner, cap, counted_from=START)
            else:
                allowance = SpendAllowance(owner, cap - seen)
            await sim.set_spend_allowances([allowance], idempotency_key="cap")
            run(sim, 36)
            billed[counted] = sim.billed_spend_micros("c1")
        assert billed[True] <= cap + overspend_bound(cap, 2, sim)
        assert billed[False] > billed[True] + 2 * DOLLAR

    async def test_counted_from_counts_part_of_an_hour(self) -> None:
        sim = network(start=START - timedelta(minutes=1))
        await launch(sim, budget=Budget("daily", 100 * DOLLAR))
        run(sim, 6)  # to 04:59
        owner = sim._owners["c1"]
        since = START + timedelta(hours=2, minutes=30)
        expected = owner.spend_by_hour[START + timedelta(hours=2)] // 2 + sum(
            owner.spend_by_hour[START + timedelta(hours=hour)] for hour in (3, 4)
        )
        await sim.set_spend_allowances(
            [SpendAllowance(ObjectRef("ad_campaign", "c1"), expected + 2 * DOLLAR, since)],
            idempotency_key="cap2",
        )
        run(sim, 24)
        after = sim.billed_spend_micros("c1") - sum(
            owner.spend_by_hour[START + timedelta(hours=hour)] for hour in range(5)
        )
        assert 1.9 * DOLLAR <= after <= 2 * DOLLAR + overspend_bound(2 * DOLLAR, 1, sim)

    async def test_an_allowance_set_mid_hour_stops_delivery_mid_hour(self) -> None:
        sim = network()
        await launch(sim, budget=Budget("daily", 500 * DOLLAR))
        run(sim, 20)
        clock_of(sim).advance(timedelta(minutes=20))
        before = sim.billed_spend_micros("c1")
        await _allow(sim, ObjectRef("ad_campaign", "c1"), 0, "stop")
        run(sim, 4)
        rows = await settle(sim)
        assert sum(row.spend_micros for row in rows) == sim.billed_spend_micros("c1")
        by_hour = {row.hour_start - START: row.spend_micros for row in rows}
        # Hour 20 delivered its first 20 minutes (plus at most one notice delay), then stopped.
        assert 0 < by_hour[timedelta(hours=20)] < 0.6 * by_hour[timedelta(hours=19)]
        assert not any(hour > timedelta(hours=20) for hour in by_hour)
        assert sim.billed_spend_micros("c1") > before


class TestBudgets:
    async def test_daily_budget_is_spent_each_day_within_the_bound(self) -> None:
        budget = 50 * DOLLAR
        for zone in ("UTC", "Asia/Kolkata", "America/Los_Angeles"):
            sim = network(3)
            await launch(sim, ads=2, budget=Budget("daily", budget), campaign={"time_zone": zone})
            run(sim, 5 * 24)
            days = sorted(sim._owners["c1"].spend_by_day)
            assert len(days) >= 5
            for day in days[1:-1]:  # whole local days
                spent = sim.billed_spend_micros("c1", day)
                assert 0.95 * budget <= spent <= budget + overspend_bound(budget, 2, sim), zone
            rows = await settle(sim)
            assert spend_by_local_day(rows, zone) == {
                day: sim.billed_spend_micros("c1", day) for day in days
            }

    async def test_a_late_first_day_gets_its_share_of_the_budget(self) -> None:
        sim = network(start=START + timedelta(hours=18))
        await launch(sim, budget=Budget("daily", 50 * DOLLAR))
        run(sim, 30)
        first, second = sorted(sim._owners["c1"].spend_by_day)[:2]
        share = sum(TRAFFIC_CURVE[18:]) / sum(TRAFFIC_CURVE)
        assert sim.billed_spend_micros("c1", first) <= 50 * DOLLAR * share * 1.05
        assert sim.billed_spend_micros("c1", second) >= 0.95 * 50 * DOLLAR

    async def test_lifetime_budget_spreads_until_the_end(self) -> None:
        sim = network()
        amount = 300 * DOLLAR
        await launch(
            sim,
            ads=2,
            budget=Budget("lifetime", amount),
            campaign={"ends_at": START + timedelta(days=3)},
        )
        run(sim, 5 * 24)
        billed = sim.billed_spend_micros("c1")
        assert 0.95 * amount <= billed <= amount + overspend_bound(amount, 2, sim)
        days = sim._owners["c1"].spend_by_day
        assert len(days) == 3
        assert all(spent >= 0.25 * amount for spent in days.values())

    async def test_minimum_daily_spend_of_a_group_under_a_campaign_budget(self) -> None:
        sim = network()
        budget = 100 * DOLLAR
        await launch(sim, ads=2, budget=Budget("daily", budget))
        await sim.upsert_ad_group(
            AdGroupSpec(
                "g2",
                "c1",
                "active",
                optimization_goal="link_clicks",
                minimum_daily_spend_micros=45 * DOLLAR,
                targeting=US,
            ),
            idempotency_key="g2",
        )
        await sim.upsert_ad(
            AdSpec("a2", "g2", "active", CreativeSummary("video")), idempotency_key="a2"
        )
        run(sim, 3 * 24)
        rows = await settle(sim)
        by_group: dict[str, int] = defaultdict(int)
        for row in rows:
            if START + timedelta(days=1) <= row.hour_start < START + timedelta(days=2):
                by_group["g2" if row.ad_id == "a2" else "c1_g"] += row.spend_micros
        assert by_group["g2"] >= 0.4 * budget
        assert by_group["c1_g"] > 0


class TestPacing:
    async def test_spend_follows_the_traffic_curve_in_local_time(self) -> None:
        for zone in ("UTC", "Asia/Tokyo"):
            sim = network(8)
            await launch(
                sim, ads=3, budget=Budget("daily", 200 * DOLLAR), campaign={"time_zone": zone}
            )
            run(sim, 8 * 24)
            rows = await settle(sim)
            by_local_hour: dict[int, int] = defaultdict(int)
            for row in rows:
                local = row.hour_start.astimezone(ZoneInfo(zone))
                if local.date() > (START + timedelta(days=1)).date():  # whole days only
                    by_local_hour[local.hour] += row.spend_micros
            hourly = [by_local_hour[hour] for hour in range(24)]
            assert statistics.correlation(hourly, TRAFFIC_CURVE) > 0.97, zone
            assert min(hourly[19], hourly[20]) > 5 * max(hourly[3], hourly[4]), zone
