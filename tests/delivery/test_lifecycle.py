"""When nothing may deliver: paused objects, schedules, starts and ends, review."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from adline.delivery.adapter import Budget, DeliverySchedule, ScheduleWindow
from tests.delivery.builders import DOLLAR, START, clock_of, launch, network, paused, run, settle


class TestStatus:
    async def test_paused_campaign_group_or_ad_never_delivers(self) -> None:
        for level in ("campaign", "group", "ad"):
            sim = network()
            campaign, group, ads = await launch(sim, ads=2)
            if level == "campaign":
                await sim.upsert_campaign(paused(campaign), idempotency_key="pause")
            elif level == "group":
                await sim.upsert_ad_group(paused(group), idempotency_key="pause")
            else:
                await sim.upsert_ad(paused(ads[0]), idempotency_key="pause")
            run(sim, 48)
            rows = await settle(sim)
            if level == "ad":
                assert rows and {row.ad_id for row in rows} == {ads[1].id}
            else:
                assert rows == [], level

    async def test_pause_and_resume_mid_run(self) -> None:
        sim = network()
        campaign, _, _ = await launch(sim)
        clock = clock_of(sim)
        run(sim, 10)
        clock.advance(timedelta(minutes=30))  # pause at 10:30, live at 10:30:30
        await sim.upsert_campaign(paused(campaign), idempotency_key="pause")
        run(sim, 20.5)  # to 07:00 the next day
        await sim.upsert_campaign(campaign, idempotency_key="resume")  # live at 07:00:30
        run(sim, 5)
        rows = await settle(sim)
        hours = {row.hour_start - START for row in rows}
        assert timedelta(hours=10) in hours  # the half hour before the pause
        assert not any(timedelta(hours=11) <= hour < timedelta(hours=31) for hour in hours)
        assert timedelta(hours=31) in hours

        # The paused half hour delivered about half of a neighbouring hour.
        by_hour = {row.hour_start - START: row.impressions for row in rows}
        assert by_hour[timedelta(hours=10)] < 0.8 * by_hour[timedelta(hours=9)]


class TestSchedule:
    async def test_no_delivery_outside_windows_in_the_account_zone(self) -> None:
        sim = network()
        weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday")
        schedule = DeliverySchedule(
            (
                *(ScheduleWindow(day, 9, 17) for day in weekdays),
                ScheduleWindow("saturday", 20, 24),
            )
        )
        await launch(
            sim,
            budget=Budget("lifetime", 500 * DOLLAR),
            campaign={"time_zone": "America/New_York", "ends_at": START + timedelta(days=14)},
            group={"schedule": schedule},
        )
        run(sim, 7 * 24)
        rows = await settle(sim)
        assert rows
        zone = ZoneInfo("America/New_York")
        for row in rows:
            local = row.hour_start.astimezone(zone)
            assert schedule.allows(local.weekday(), local.hour), local
        local_days = {row.hour_start.astimezone(zone).weekday() for row in rows}
        assert local_days == {0, 1, 2, 3, 4, 5}  # Sunday has no window


class TestStartsAndEnds:
    async def test_only_between_start_and_end(self) -> None:
        sim = network()
        starts, ends = START + timedelta(hours=30), START + timedelta(hours=60, minutes=30)
        await launch(sim, campaign={"starts_at": starts, "ends_at": ends})
        run(sim, 96)
        rows = await settle(sim)
        assert rows
        assert min(row.hour_start for row in rows) == starts
        assert max(row.hour_start for row in rows) == START + timedelta(hours=60)

    async def test_ad_group_window_under_a_campaign_budget(self) -> None:
        sim = network()
        starts = START + timedelta(days=1)
        await launch(sim, group={"starts_at": starts, "ends_at": starts + timedelta(days=1)})
        run(sim, 72)
        rows = await settle(sim)
        assert rows
        assert all(starts <= row.hour_start < starts + timedelta(days=1) for row in rows)


class TestReview:
    async def test_ads_deliver_only_after_approval(self) -> None:
        sim = network()
        _, _, [ad] = await launch(sim)
        run(sim, 1)
        [outcome] = await sim.pull_review_outcomes()
        assert outcome.status == "approved" and outcome.ad_id == ad.id
        assert START < outcome.decided_at < START + timedelta(minutes=41)
        assert await sim.pull_review_outcomes() == [outcome]  # idempotent
        assert await sim.pull_review_outcomes(since=outcome.decided_at + timedelta(seconds=1)) == []

        # A new creative goes back to review; the ad stops until it is approved again.
        clock_of(sim).advance(timedelta(hours=5))
        sim.advance_to(sim.clock.now())
        edited = replace(ad, creative=replace(ad.creative, primary_text="Now 30% off"))
        await sim.upsert_ad(edited, idempotency_key="edit")
        # An edit that leaves the creative alone does not.
        await sim.upsert_ad(replace(edited, title="Renamed"), idempotency_key="rename")
        assert len(sim._ad_states[ad.id].reviews) == 2
        [first_pull] = await sim.pull_review_outcomes()
        assert first_pull == outcome  # the new review has not finished
        run(sim, 1)
        [second] = await sim.pull_review_outcomes()
        assert second.decided_at > outcome.decided_at
