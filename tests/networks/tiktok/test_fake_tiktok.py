"""TikTokAdapter end to end against `FakeTikTok`, the stateful fake of the v1.3 API, whose
delivery is the simulated network's: the lifecycle, spending limits that hold, each of
the fake's switches, and a create whose answer is lost."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import (
    Budget,
    CampaignSpec,
    ConnectionBroken,
    InvalidSpec,
    LifetimeBudget,
    LimitBound,
    ObjectRef,
    RateLimited,
    SpendAllowance,
    SpendingLimit,
    TransientError,
)
from adline.networks.base import MemoryDirectory, NetworkCredentials
from adline.networks.fakes.tiktok import AD, AD_GROUP, CAMPAIGN, FakeTikTok
from adline.networks.tiktok import create_tiktok_adapter
from adline.networks.tiktok.adapter import PACING_PEAK, TikTokAdapter

from .builders import (
    AD_ID,
    CAMPAIGN_ID,
    GROUP2_ID,
    GROUP_ID,
    IMAGE,
    VIDEO,
    Shelf,
    Sleeps,
    ad_group,
    campaign,
    media_ad,
)

BASE_URL = "https://business-api.tiktok.com/open_api/v1.3"
# Twenty past the hour: each hourly pass comes after the last hour's report (lag 15 min).
START = datetime(2026, 12, 7, 0, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAILY_100 = Budget("daily", 100_000_000)


@dataclasses.dataclass
class World:
    fake: FakeTikTok
    adapter: TikTokAdapter
    directory: MemoryDirectory
    clock: ManualClock
    sleeps: Sleeps

    def another_adapter(self) -> TikTokAdapter:
        """A second process on the same fake: an empty directory, nothing in memory."""
        return _adapter(self.fake, MemoryDirectory(), self.clock, self.sleeps)

    async def run_hours(self, hours: int, *, pull: bool = True) -> None:
        """Let `hours` hours pass; each one the network delivers and, with `pull`, the
        ingester reads the last day (the pass that also checks spending limits)."""
        for _ in range(hours):
            self.clock.advance(HOUR)
            self.fake.advance()
            if pull:
                now = self.clock.now()
                await self.adapter.pull_stats(now - timedelta(days=1), now)


def _adapter(
    fake: FakeTikTok, directory: MemoryDirectory, clock: ManualClock, sleeps: Sleeps
) -> TikTokAdapter:
    return create_tiktok_adapter(
        NetworkCredentials("tiktok", fake.advertiser_id, fake.access_token, page_id="71001"),
        directory,
        clock=clock,
        base_url=BASE_URL,
        transport=httpx.ASGITransport(app=fake),
        sleep=sleeps,
        report_lag=fake.reporting_lag,
        check_interval=HOUR,
        media=Shelf(VIDEO, IMAGE),
    )


def world(**options: Any) -> World:
    clock = ManualClock(START)
    fake = FakeTikTok(clock, **options)
    directory, sleeps = MemoryDirectory(), Sleeps()
    return World(fake, _adapter(fake, directory, clock, sleeps), directory, clock, sleeps)


def cbo_campaign(**changes: Any) -> CampaignSpec:
    return campaign(**{"budget": DAILY_100, **changes})


async def launch(w: World, spec: CampaignSpec | None = None) -> str:
    """A CBO campaign, one ad group, one ad, all active; the campaign's TikTok id."""
    result = await w.adapter.upsert_campaign(spec or cbo_campaign(), idempotency_key="c1")
    await w.adapter.upsert_ad_group(ad_group(budget=None, bidding=None), idempotency_key="g1")
    await w.adapter.upsert_ad(media_ad(VIDEO), idempotency_key="a1")
    assert result.network_id is not None
    return result.network_id


def status(w: World, network_id: str) -> str:
    return str(w.fake.objects[network_id].fields["operation_status"])


def paths(w: World, start: int = 0) -> list[tuple[str, str]]:
    return [(call.method, call.path) for call in w.fake.calls[start:]]


class TestLifecycle:
    async def test_a_campaign_from_creation_to_deletion(self) -> None:
        w = world()
        result = await w.adapter.upsert_campaign(cbo_campaign(), idempotency_key="c1")
        campaign_id = str(result.network_id)
        # Looked up by its reference, created DISABLEd, enabled once recorded.
        assert paths(w) == [
            ("GET", "campaign/get/"),
            ("POST", "campaign/create/"),
            ("POST", "campaign/status/update/"),
        ]
        assert w.fake.calls[1].params["operation_status"] == "DISABLE"
        assert status(w, campaign_id) == "ENABLE"
        await w.adapter.upsert_ad_group(ad_group(budget=None, bidding=None), idempotency_key="g1")
        await w.adapter.upsert_ad(media_ad(VIDEO), idempotency_key="a1")
        [group], [the_ad] = w.fake.live(AD_GROUP), w.fake.live(AD)
        assert (group.fields["operation_status"], the_ad.fields["operation_status"]) == (
            "ENABLE",
            "ENABLE",
        )
        assert the_ad.fields["ad_name"] == "Video 1 [ad_CCCCCCCCCCCCCC]"

        # A budget update goes to TikTok in major units.
        await w.adapter.upsert_campaign(
            cbo_campaign(budget=Budget("daily", 120_000_000)), idempotency_key="c2"
        )
        assert w.fake.objects[campaign_id].fields["budget"] == 120.0

        # An objective change is refused before anything is sent.
        sent = len(w.fake.calls)
        with pytest.raises(InvalidSpec) as refused:
            await w.adapter.upsert_campaign(
                cbo_campaign(objective="awareness"), idempotency_key="c3"
            )
        assert refused.value.param == "objective"
        assert len(w.fake.calls) == sent

        # Deliver a day, pause for three hours (nothing is billed), resume.
        await w.run_hours(24, pull=False)
        await w.adapter.upsert_campaign(
            cbo_campaign(status="paused", budget=Budget("daily", 120_000_000)),
            idempotency_key="c4",
        )
        assert status(w, campaign_id) == "DISABLE"
        paused_at = w.clock.now()
        await w.run_hours(4, pull=False)
        billed = w.fake.network.billed_by_hour(campaign_id)
        assert all(amount == 0 for hour, amount in billed.items() if hour > paused_at)
        await w.adapter.upsert_campaign(
            cbo_campaign(budget=Budget("daily", 120_000_000)), idempotency_key="c5"
        )
        assert status(w, campaign_id) == "ENABLE"
        await w.run_hours(48, pull=False)

        # The adapter's report is the fake's own billing, to the cent per ad-hour.
        now = w.clock.now()
        rows = await w.adapter.pull_stats(START - HOUR, now)
        assert rows and {row.ad_id for row in rows} == {AD_ID}
        reported = sum(row.spend_micros for row in rows)
        assert reported > 150_000_000
        assert abs(reported - w.fake.billed_micros(campaign_id)) <= 5_000 * len(rows)
        simulated = await w.fake.network.pull_stats(START - HOUR, now)
        assert [(r.hour_start, r.impressions, r.clicks) for r in rows] == [
            (r.hour_start, r.impressions, r.clicks) for r in simulated
        ]

        await w.adapter.delete_object(ObjectRef("ad_campaign", CAMPAIGN_ID), idempotency_key="d1")
        assert status(w, campaign_id) == "DELETE"
        assert w.fake.live(CAMPAIGN) == []
        deleted_at = w.clock.now()
        await w.run_hours(3, pull=False)
        billed = w.fake.network.billed_by_hour(campaign_id)
        assert all(amount == 0 for hour, amount in billed.items() if hour > deleted_at)

    async def test_a_partial_status_update_fails_only_the_refused_group(self) -> None:
        w = world()
        await w.adapter.upsert_campaign(campaign(budget=None), idempotency_key="c1")
        for key, group_id in (("g1", GROUP_ID), ("g2", GROUP2_ID)):
            await w.adapter.upsert_ad_group(
                ad_group(id=group_id, bidding=None), idempotency_key=key
            )
        await w.adapter.delete_object(ObjectRef("ad_group", GROUP2_ID), idempotency_key="d1")
        results = await w.adapter.set_spend_allowances(
            [SpendAllowance(ObjectRef("ad_group", g), 0) for g in (GROUP_ID, GROUP2_ID)],
            idempotency_key="s1",
        )
        assert [result.state for result in results] == ["pending", "failed"]
        assert results[1].error is not None and results[1].error.retryable
        assert [obj.fields["operation_status"] for obj in w.fake.live(AD_GROUP)] == ["DISABLE"]


class TestSpendingLimits:
    async def test_a_positive_limit_holds_with_no_overspend(self) -> None:
        w = world()
        campaign_id = await launch(w)
        limit = 250_000_000
        [result] = await w.adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN_ID, limit, counted_from=START)], idempotency_key="l1"
        )
        assert result.state == "applied"  # nothing spent yet: nothing to hold

        await w.run_hours(4 * 24)

        billed = w.fake.billed_micros(campaign_id, since=START)
        assert billed <= limit  # 0 overspend, in the fake's own billing
        assert billed >= limit // 2  # and the limit, not the budget, stopped it
        assert status(w, campaign_id) == "DISABLE"
        check = w.adapter.limit_checks[CAMPAIGN_ID]
        assert check.held and check.reported_micros + check.margin_micros >= limit
        # Held through an upsert that asks for active.
        await w.adapter.upsert_campaign(cbo_campaign(), idempotency_key="c2")
        assert status(w, campaign_id) == "DISABLE"

        # Raised well above the spend: delivery resumes; removed: it stays on.
        await w.adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN_ID, 1_000_000_000, counted_from=START)], idempotency_key="l2"
        )
        assert status(w, campaign_id) == "ENABLE"
        await w.adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN_ID, None)], idempotency_key="l3"
        )
        await w.run_hours(3)
        assert status(w, campaign_id) == "ENABLE"
        assert w.fake.billed_micros(campaign_id, since=START) > billed

    async def test_a_lifetime_budgets_margin_is_its_share_of_the_flight_left(self) -> None:
        """The check and the spend cap's ledger (`spending_limit_margin`) take the same
        margin for a lifetime budget: `PACING_PEAK` times its even share of the hours left
        in its flight (a campaign's own budget runs to its ad groups' last end)."""
        w = world()
        lifetime, ends = 960_000_000, START + timedelta(days=10)
        await w.adapter.upsert_campaign(
            cbo_campaign(budget=Budget("lifetime", lifetime)), idempotency_key="c1"
        )
        await w.adapter.upsert_ad_group(
            ad_group(budget=None, bidding=None, ends_at=ends), idempotency_key="g1"
        )
        await w.adapter.upsert_ad(media_ad(VIDEO), idempotency_key="a1")
        await w.adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN_ID, 200_000_000, counted_from=START)], idempotency_key="l1"
        )
        check = w.adapter.limit_checks[CAMPAIGN_ID]
        spread = w.adapter.spend_margin(lifetime * PACING_PEAK / (10 * 24))
        granted = w.adapter.spending_limit_margin(0, [LifetimeBudget(lifetime, ends)])
        assert check.margin_micros == spread == granted
        assert not check.held  # $200 is well above a margin of about $36
        # An hour before the end the share is the whole budget; without an end too.
        w.clock.set(ends - HOUR)
        assert w.adapter.spending_limit_margin(0, [LifetimeBudget(lifetime, ends)]) == (
            w.adapter.spend_margin(lifetime)
        )
        assert w.adapter.spending_limit_margin(0, [LifetimeBudget(lifetime, None)]) == (
            w.adapter.spend_margin(lifetime)
        )

    async def test_a_limit_already_reached_holds_at_once(self) -> None:
        w = world()
        campaign_id = await launch(w)
        await w.run_hours(48, pull=False)
        spent = w.fake.billed_micros(campaign_id, since=START)
        [result] = await w.adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN_ID, spent, counted_from=START)], idempotency_key="l1"
        )
        assert result.state == "pending"
        assert status(w, campaign_id) == "DISABLE"

    @pytest.mark.parametrize("binding", ["earlier", "later"])
    async def test_of_two_bounds_the_tighter_holds_each_counted_from_its_own_start(
        self, binding: str
    ) -> None:
        """A capped campaign on limited funds: the funds counted from its creation, the cap
        from its period's start; the adapter holds the campaign at whichever leaves less."""
        w = world()
        campaign_id = await launch(w)
        await w.run_hours(30)
        earlier_spend = w.fake.billed_micros(campaign_id, since=START)
        cap_from = w.clock.now() - timedelta(hours=2)
        tight, loose = 150_000_000, 5_000_000_000
        funds = earlier_spend + (tight if binding == "earlier" else loose)
        cap = loose if binding == "earlier" else tight
        await w.adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN_ID, cap, cap_from, also=(LimitBound(funds, START),))],
            idempotency_key="l1",
        )
        await w.run_hours(4 * 24)
        since_creation = w.fake.billed_micros(campaign_id, since=START)
        since_cap = w.fake.billed_micros(campaign_id, since=cap_from)
        assert since_creation <= funds and since_cap <= cap
        assert status(w, campaign_id) == "DISABLE"
        check = w.adapter.limit_checks[CAMPAIGN_ID]
        if binding == "earlier":
            assert check.reported_micros + check.margin_micros >= funds
        else:
            assert check.reported_micros + check.margin_micros >= cap

    async def test_the_margin_is_the_budget_rate_over_lag_interval_and_propagation(self) -> None:
        w = world()
        # 100 a day at 4x its even hourly share, over 1 h + 15 min + 1 h + 1 min.
        assert w.adapter.spend_margin(100_000_000 * 4 / 24) == 37_777_778

    async def test_an_unknown_campaign_fails_its_item(self) -> None:
        w = world()
        [result] = await w.adapter.set_spending_limits(
            [SpendingLimit("adcamp_UNKNOWN0000000", 5_000_000)], idempotency_key="l1"
        )
        assert result.state == "failed" and result.error is not None
        assert result.error.code == "object_not_found"


class TestSwitches:
    async def test_slow_consistency_hides_a_new_object_for_its_first_reads(self) -> None:
        w = world()
        w.fake.slow_consistency(2)
        campaign_id = await launch(w)
        query = {
            "advertiser_id": w.fake.advertiser_id,
            "filtering": {"campaign_ids": [campaign_id]},
        }
        seen = [len(await w.adapter.client.list_all("campaign/get/", query)) for _ in range(3)]
        assert seen == [0, 0, 1]

    async def test_a_qps_rate_limit_is_waited_out_and_retried(self) -> None:
        w = world()
        w.fake.rate_limit(1, "QPS")
        await w.adapter.upsert_campaign(cbo_campaign(), idempotency_key="c1")
        assert w.sleeps == [1.0]
        assert len(w.fake.live(CAMPAIGN)) == 1

    async def test_a_qpm_rate_limit_is_raised_with_its_five_minutes(self) -> None:
        w = world()
        w.fake.rate_limit(1, "QPM")
        with pytest.raises(RateLimited) as limited:
            await w.adapter.upsert_campaign(cbo_campaign(), idempotency_key="c1")
        assert limited.value.retry_after == timedelta(minutes=5)
        assert "QPM" in str(limited.value)
        assert w.sleeps == []

    async def test_an_expired_token_breaks_every_call(self) -> None:
        w = world()
        await launch(w)
        w.fake.expire_token()
        with pytest.raises(ConnectionBroken, match="40105"):
            await w.adapter.upsert_campaign(cbo_campaign(title="Renamed"), idempotency_key="c2")
        with pytest.raises(ConnectionBroken, match="40105"):
            await w.adapter.pull_stats(START - timedelta(days=1), START)

    async def test_a_re_read_day_answers_the_late_corrections(self) -> None:
        w = world(correction_rate=1.0)
        await launch(w)
        await w.run_hours(24, pull=False)
        day = (START - timedelta(minutes=20), START + timedelta(hours=23, minutes=40))
        first = {row.hour_start: row for row in await w.adapter.pull_stats(*day)}
        await w.run_hours(48, pull=False)
        again = {row.hour_start: row for row in await w.adapter.pull_stats(*day)}
        revised = [hour for hour in first if first[hour].spend_micros != again[hour].spend_micros]
        assert revised  # invalid traffic refunded after the first read
        for hour in revised:
            assert again[hour].spend_micros < first[hour].spend_micros
            assert again[hour].revision > first[hour].revision

    async def test_a_pixel_is_checked_with_its_own_token(self) -> None:
        pixel = {"pixel_id": "7300000000000000001", "pixel_code": "CABC", "pixel_name": "Shop"}
        w = world(pixel_tokens=("pixel-token",), pixels=(pixel,))
        accepted = await w.adapter.check_pixel_token("CABC", "pixel-token")
        refused = await w.adapter.check_pixel_token("CABC", "stolen-token")
        assert (accepted.accepted, accepted.name) == (True, "Shop")
        assert not refused.accepted and "40105" in str(refused.error_message)


class TestCrashSafety:
    async def test_a_create_whose_answer_was_lost_is_found_by_its_reference(self) -> None:
        w = world()
        w.fake.lose_next_create_answer()
        with pytest.raises(TransientError):
            await w.adapter.upsert_campaign(cbo_campaign(), idempotency_key="c1")
        # The process dies with its directory; the retry runs in a new one.
        retried = await w.another_adapter().upsert_campaign(cbo_campaign(), idempotency_key="c1")
        [only] = w.fake.live(CAMPAIGN)
        assert retried.network_id == only.id
        assert only.fields["operation_status"] == "ENABLE"
        assert [c.path for c in w.fake.calls].count("campaign/create/") == 1

    async def test_a_lost_create_not_yet_readable_is_not_made_twice(self) -> None:
        w = world()
        w.fake.slow_consistency(2)
        w.fake.lose_next_create_answer()
        with pytest.raises(TransientError):
            await w.adapter.upsert_campaign(cbo_campaign(), idempotency_key="c1")
        retry = w.another_adapter()
        # The lookup misses it; the create's request_id is a duplicate (40050); the
        # read-back misses it too: not readable yet, try later.
        with pytest.raises(TransientError, match="not readable yet"):
            await retry.upsert_campaign(cbo_campaign(), idempotency_key="c1")
        result = await retry.upsert_campaign(cbo_campaign(), idempotency_key="c1")
        [only] = w.fake.live(CAMPAIGN)
        assert result.network_id == only.id
        assert [c.path for c in w.fake.calls].count("campaign/create/") == 2
