"""Reports: published only after the lag; late corrections with higher revisions; plausible
numbers; events shaped by the optimization goal."""

from __future__ import annotations

from datetime import datetime, timedelta

from adline.delivery.adapter import Budget, ReportedHour
from tests.delivery.builders import (
    DOLLAR,
    START,
    clock_of,
    launch,
    network,
    published_rows,
    run,
    totals,
)


def _plausible(row: ReportedHour) -> None:
    assert row.hour_start.minute == 0 and row.hour_start.utcoffset() == timedelta(0)
    assert 0 <= row.reach <= row.impressions
    assert 0 <= row.link_clicks <= row.clicks <= row.impressions
    assert 0 <= row.unique_clicks <= row.clicks
    assert row.spend_micros > 0 and row.impressions > 0
    assert all(count > 0 for count in row.event_counts.values())
    assert set(row.event_value_micros) <= set(row.event_counts)


class TestReportingLag:
    async def test_an_hour_is_published_only_after_the_lag(self) -> None:
        sim = network(reporting_lag=timedelta(minutes=15))
        await launch(sim)
        run(sim, 3)  # hours 0, 1, 2 simulated; now 03:00
        hour = START + timedelta(hours=2)
        rows = await sim.pull_stats(hour, hour + timedelta(hours=1))
        assert rows == []
        clock_of(sim).advance(timedelta(minutes=14, seconds=59))
        assert await sim.pull_stats(hour, hour + timedelta(hours=1)) == []
        clock_of(sim).advance(timedelta(seconds=1))
        [row] = await sim.pull_stats(hour, hour + timedelta(hours=1))
        assert row.hour_start == hour and row.revision == 1
        # The window is half-open and aligned to hour starts.
        assert await sim.pull_stats(hour + timedelta(hours=1), hour + timedelta(hours=5)) == []

    async def test_unsimulated_hours_are_not_reported_whatever_the_clock(self) -> None:
        sim = network()
        await launch(sim)
        clock_of(sim).advance(timedelta(days=2))  # the clock moves; nobody advanced the network
        assert await published_rows(sim) == []
        sim.advance_to(sim.clock.now())
        assert await published_rows(sim)


class TestCorrections:
    async def test_corrections_arrive_later_with_a_higher_revision(self) -> None:
        sim = network(4, correction_rate=0.3)
        await launch(sim, ads=3, budget=Budget("daily", 300 * DOLLAR))
        # Pull every 15 minutes, as an ingester would: each row is first seen as revision 1
        # (a correction comes at least an hour after the report it corrects).
        first: dict[tuple[str, datetime], ReportedHour] = {}
        for _ in range(2 * 24 * 4 + 1):
            run(sim, 0.25)
            for row in await published_rows(sim):
                first.setdefault((row.ad_id, row.hour_start), row)
        assert first and all(row.revision == 1 for row in first.values())

        clock_of(sim).advance(timedelta(days=5))  # every correction is out (at most 3 x 36 h)
        later = {(row.ad_id, row.hour_start): row for row in await published_rows(sim)}
        assert later.keys() == first.keys()
        corrected = [key for key, row in later.items() if row.revision > 1]
        share = len(corrected) / len(later)
        assert 0.18 < share < 0.42  # ~30%, a few revisions more than once
        assert any(later[key].revision > 2 for key in corrected)
        for key in corrected:
            before, after = first[key], later[key]
            _plausible(after)
            # Each correction refunds at most 3% as invalid traffic.
            kept = 0.97 ** (after.revision - 1)
            assert kept * before.impressions - 1 <= after.impressions <= before.impressions
            assert kept * before.spend_micros - 3 <= after.spend_micros <= before.spend_micros
            assert after.clicks <= before.clicks
            for event, count in before.event_counts.items():
                assert after.event_counts[event] >= count
        assert (
            sum(
                sum(later[key].event_counts.values()) - sum(first[key].event_counts.values())
                for key in corrected
            )
            > 0
        )  # late conversions

    async def test_no_corrections_at_rate_zero(self) -> None:
        sim = network(correction_rate=0.0)
        await launch(sim)
        run(sim, 48)
        clock_of(sim).advance(timedelta(days=6))
        assert {row.revision for row in await published_rows(sim)} == {1}


class TestNumbers:
    async def test_rows_are_plausible_and_ads_differ(self) -> None:
        sim = network(2)
        await launch(sim, ads=4, budget=Budget("daily", 400 * DOLLAR))
        run(sim, 4 * 24)
        clock_of(sim).advance(sim.reporting_lag)
        rows = await published_rows(sim)
        for row in rows:
            _plausible(row)
        per_ad = {
            ad: totals([row for row in rows if row.ad_id == ad]) for ad in {r.ad_id for r in rows}
        }
        ctrs = sorted(t["clicks"] / t["impressions"] for t in per_ad.values())
        assert ctrs[-1] > 1.2 * ctrs[0]  # per-ad rates drawn once, so ads differ
        overall = totals(rows)
        assert 0.004 < overall["clicks"] / overall["impressions"] < 0.03
        assert overall["purchase"] > 0
        cpm = overall["spend_micros"] * 1000 / overall["impressions"]
        assert 5 * DOLLAR < cpm < 40 * DOLLAR
        assert sum(row.event_value_micros.get("purchase", 0) for row in rows) > 0

    async def test_the_goal_shapes_the_events(self) -> None:
        results = {}
        for goal, event, location in (
            ("link_clicks", None, None),
            ("lead_generation", None, "instant_forms"),
            ("conversions", "schedule", "website"),
            ("conversations", None, "messaging"),
        ):
            sim = network(6)
            await launch(
                sim,
                ads=2,
                budget=Budget("daily", 200 * DOLLAR),
                group={
                    "optimization_goal": goal,
                    "conversion_event": event,
                    "conversion_location": location,
                },
            )
            run(sim, 3 * 24)
            clock_of(sim).advance(sim.reporting_lag)
            results[goal] = totals(await published_rows(sim))
        assert "lead" not in results["link_clicks"]
        assert results["lead_generation"]["lead"] > 0
        assert results["conversions"]["schedule"] > 0
        assert results["conversations"]["messaging_conversation"] > 0
        ctr = {goal: t["clicks"] / t["impressions"] for goal, t in results.items()}
        assert ctr["link_clicks"] > ctr["lead_generation"]
