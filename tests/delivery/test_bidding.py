"""Bid types: a cost target below the market's cost per result lowers delivery."""

from __future__ import annotations

from adline.delivery.adapter import Bidding, Budget
from tests.delivery.builders import DOLLAR, launch, network, run


async def _spend(bidding: Bidding, seed: int = 21, group_target: int | None = None) -> int:
    sim = network(seed)
    group = {"bidding": Bidding(target_micros=group_target)} if group_target else {}
    await launch(
        sim, ads=3, budget=Budget("daily", 100 * DOLLAR), campaign={"bidding": bidding}, group=group
    )
    run(sim, 3 * 24)
    return sim.billed_spend_micros("c1")


class TestCostCaps:
    async def test_a_tight_target_lowers_delivery(self) -> None:
        # Purchases cost tens of dollars at market prices; $5 is far below that.
        lowest = await _spend(Bidding("minimum_cost"))
        average = await _spend(Bidding("average_target", 5 * DOLLAR))
        maximum = await _spend(Bidding("maximum_target", 5 * DOLLAR))
        assert lowest > 0.9 * 3 * 100 * DOLLAR * 0.95  # the budget, less the late first day
        assert average < 0.3 * lowest
        assert maximum < average

    async def test_a_generous_target_changes_nothing(self) -> None:
        lowest = await _spend(Bidding("minimum_cost"))
        generous = await _spend(Bidding("average_target", 1_000 * DOLLAR))
        assert generous == lowest

    async def test_a_group_target_under_a_campaign_budget(self) -> None:
        lowest = await _spend(Bidding("average_target", 1_000 * DOLLAR))
        group_capped = await _spend(
            Bidding("average_target", 1_000 * DOLLAR), group_target=5 * DOLLAR
        )
        assert group_capped < 0.3 * lowest

    async def test_minimum_cost_ignores_targets(self) -> None:
        assert await _spend(Bidding("minimum_cost"), group_target=DOLLAR) == await _spend(
            Bidding("minimum_cost")
        )
