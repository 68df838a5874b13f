"""MetaAdapter against the contract fixtures: the PAUSED-then-enabled lifecycle, updates,
crash-safe creates, errors as Adline's adapter errors, spending limits, reports and the
read-only calls."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import (
    ConnectionBroken,
    DetailedTargetingOption,
    GeoSelection,
    IdempotencyConflict,
    InvalidSpec,
    ObjectRef,
    PlatformAdapter,
    RateLimited,
    ReportedHour,
    ReviewIssue,
    ReviewOutcome,
    SpendAllowance,
    SpendingLimit,
    Targeting,
    TargetingSearch,
    TransientError,
    WriteResult,
)
from adline.networks.base import MemoryDirectory, NetworkCredentials
from adline.networks.meta.adapter import (
    PROPAGATION,
    REVISION_WINDOW,
    MetaAdapter,
    create_meta_adapter,
)
from adline.networks.meta.client import DEFAULT_API_VERSION

from .conftest import NOW, TOKEN
from .contracts import Replay
from .specs import (
    AD,
    AD_GROUP,
    CAMPAIGN,
    DOLLAR,
    META_AD,
    META_AD_SET,
    META_CAMPAIGN,
    ad,
    ad_group,
    campaign,
)

Contract = Callable[..., Replay]
PENDING_UNTIL = NOW + PROPAGATION


def test_meta_adapter_is_a_platform_adapter() -> None:
    adapter: PlatformAdapter = create_meta_adapter(
        NetworkCredentials("meta", "1234", TOKEN), MemoryDirectory(), clock=ManualClock(NOW)
    )
    assert adapter.platform == "meta"
    assert isinstance(adapter, MetaAdapter)
    assert adapter.account_path == "act_1234"
    assert adapter.client.api_version == DEFAULT_API_VERSION
    assert adapter.revision_window == REVISION_WINDOW == timedelta(days=28)


class TestCreate:
    async def test_campaign_is_created_paused_then_enabled(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        contract("account_read", "campaign_create")
        result = await adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert result == WriteResult(
            "ad_campaign", CAMPAIGN, META_CAMPAIGN, "pending", PENDING_UNTIL
        )
        assert await directory.network_id("ad_campaign", CAMPAIGN) == META_CAMPAIGN

    async def test_ad_set_under_its_campaign(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_campaign", CAMPAIGN, META_CAMPAIGN)
        contract("account_read", "ad_set_create")
        result = await adapter.upsert_ad_group(ad_group(), idempotency_key="k1")
        assert (result.network_id, result.state) == (META_AD_SET, "pending")
        assert await directory.local_id("ad_group", META_AD_SET) == AD_GROUP

    async def test_ad_with_its_creative(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_group", AD_GROUP, META_AD_SET)
        contract("ad_create")
        result = await adapter.upsert_ad(ad(), idempotency_key="k1")
        assert (result.kind, result.id, result.network_id) == ("ad", AD, META_AD)
        assert await directory.network_id("ad", AD) == META_AD

    async def test_not_found_right_after_create_is_retried(
        self, contract: Contract, adapter: MetaAdapter, sleeps: list[float]
    ) -> None:
        contract("account_read", "not_found_after_create")
        result = await adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert result.network_id == META_CAMPAIGN
        assert sleeps == [1.0]

    async def test_invalid_setting_names_the_adline_param(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        contract("account_read", "campaign_create_invalid")
        with pytest.raises(InvalidSpec, match="Your budget is too low") as raised:
            await adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert raised.value.param == "budget_amount"
        assert await directory.network_id("ad_campaign", CAMPAIGN) is None

    async def test_an_ad_set_needs_its_campaign_on_meta(self, adapter: MetaAdapter) -> None:
        with pytest.raises(InvalidSpec) as raised:
            await adapter.upsert_ad_group(ad_group(), idempotency_key="k1")
        assert raised.value.param == "ad_campaign_id"


class TestCrashSafety:
    async def test_a_create_meta_made_before_a_crash_is_found_not_made_again(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        # The directory lost the id (the crash came before the local commit); the
        # reference in the name finds the campaign: one update, no second create.
        played = contract("account_read", "crash_safe_create")
        result = await adapter.upsert_campaign(campaign(), idempotency_key="retry")
        assert result.network_id == META_CAMPAIGN
        assert await directory.network_id("ad_campaign", CAMPAIGN) == META_CAMPAIGN
        assert [r.url.path for r in played.seen if r.method == "POST"] == [
            f"/v26.0/{META_CAMPAIGN}"
        ]

    async def test_a_create_that_failed_is_looked_up_before_it_is_tried_again(
        self, contract: Contract, adapter: MetaAdapter, sleeps: list[float]
    ) -> None:
        played = contract("account_read", "create_transient_then_found")
        result = await adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert result.network_id == META_CAMPAIGN
        creates = [
            r for r in played.seen if r.url.path.endswith("/campaigns") and r.method == "POST"
        ]
        assert len(creates) == 1
        assert sleeps == [1.0]


class TestUpdate:
    async def test_update_sends_the_whole_spec(
        self, contract: Contract, adapter: MetaAdapter
    ) -> None:
        contract("account_read", "campaign_update")
        spec = campaign(
            network_id=META_CAMPAIGN,
            budget=dataclasses.replace(
                campaign().budget,
                amount_micros=75_500_000,  # type: ignore[arg-type]
            ),
        )
        result = await adapter.upsert_campaign(spec, idempotency_key="k2")
        assert (result.network_id, result.state) == (META_CAMPAIGN, "pending")

    async def test_pause(self, contract: Contract, adapter: MetaAdapter) -> None:
        contract("account_read", "campaign_pause")
        spec = campaign(network_id=META_CAMPAIGN, status="paused")
        result = await adapter.upsert_campaign(spec, idempotency_key="k3")
        assert result.state == "pending"

    async def test_delete(self, contract: Contract, adapter: MetaAdapter) -> None:
        contract("object_delete")
        ref = ObjectRef("ad", AD, META_AD)
        result = await adapter.delete_object(ref, idempotency_key="k4")
        assert result == WriteResult("ad", AD, META_AD, "pending", PENDING_UNTIL)

    async def test_a_repeated_key_answers_the_first_result(
        self, contract: Contract, adapter: MetaAdapter
    ) -> None:
        contract("object_delete")
        ref = ObjectRef("ad", AD, META_AD)
        first = await adapter.delete_object(ref, idempotency_key="k4")
        assert await adapter.delete_object(ref, idempotency_key="k4") == first
        with pytest.raises(IdempotencyConflict):
            await adapter.delete_object(ObjectRef("ad", "ad_other"), idempotency_key="k4")


class TestErrors:
    async def test_190_breaks_the_connection(
        self, contract: Contract, adapter: MetaAdapter
    ) -> None:
        contract("account_read", "auth_expired_190")
        with pytest.raises(ConnectionBroken):
            await adapter.upsert_campaign(_updated(), idempotency_key="k")

    @pytest.mark.parametrize(
        ("name", "retry_after"),
        [
            ("rate_limited_17", timedelta(seconds=60)),
            ("rate_limited_613", timedelta(minutes=3)),
            ("rate_limited_80004", timedelta(minutes=12)),
        ],
    )
    async def test_throttles(
        self, contract: Contract, adapter: MetaAdapter, name: str, retry_after: timedelta
    ) -> None:
        contract("account_read", name)
        with pytest.raises(RateLimited) as raised:
            await adapter.upsert_campaign(_updated(), idempotency_key="k")
        assert raised.value.retry_after == retry_after

    @pytest.mark.parametrize(
        "name",
        ["transient_2_then_success", "transient_flag_then_success", "service_unavailable_200"],
    )
    async def test_transient_failures_are_retried(
        self, contract: Contract, adapter: MetaAdapter, name: str
    ) -> None:
        contract("account_read", name)
        result = await adapter.upsert_campaign(_updated(), idempotency_key="k")
        assert result.state == "pending"

    async def test_a_failed_write_is_not_remembered(
        self, contract: Contract, adapter: MetaAdapter
    ) -> None:
        contract("account_read", "rate_limited_17")
        with pytest.raises(RateLimited):
            await adapter.upsert_campaign(_updated(), idempotency_key="k")
        assert "k" not in adapter._answered


class TestSpendingLimits:
    async def test_limit_is_lifetime_spend_plus_limit_rounded_down(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_campaign", CAMPAIGN, META_CAMPAIGN)
        contract("account_read", "spending_limit")
        # $250.255 spent + $100 = $350.255: 35025 cents (never 35026).
        results = await adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN, 100 * DOLLAR)], idempotency_key="k"
        )
        assert results == [
            WriteResult("ad_campaign", CAMPAIGN, META_CAMPAIGN, "pending", PENDING_UNTIL)
        ]

    async def test_counted_from_leaves_out_spend_since_then(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_campaign", CAMPAIGN, META_CAMPAIGN)
        contract("account_read", "spending_limit_counted_from")
        # $300 lifetime; the 10:00 and 11:00 UTC hours ($12) end after 10:30: $288 + $50,
        # less half a cent for each of the three rounded figures summed: 33,798 cents.
        counted_from = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
        results = await adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN, 50 * DOLLAR, counted_from)], idempotency_key="k"
        )
        assert results[0].state == "pending"

    async def test_a_bound_from_before_the_campaign_existed_reads_no_insights(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        """Funds count from the Adline campaign's creation, before Meta's: nothing was spent
        before then, so the cap is the limit itself, without paging the campaign's whole
        life of hourly insights; `created_time` is read once per adapter."""
        await directory.remember("ad_campaign", CAMPAIGN, META_CAMPAIGN)
        contract("account_read", "spending_limit_counted_from_creation")
        adline_created = datetime(2026, 2, 1, 14, 0, tzinfo=UTC)
        results = await adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN, 50 * DOLLAR, adline_created)], idempotency_key="k"
        )
        assert results[0].state == "pending"
        assert await adapter.campaign_spend_before(META_CAMPAIGN, adline_created) == 0

    async def test_removed_limit_and_unknown_campaign(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_campaign", CAMPAIGN, META_CAMPAIGN)
        contract("spending_limit_removed")
        removed, unknown = await adapter.set_spending_limits(
            [SpendingLimit(CAMPAIGN, None), SpendingLimit("adcamp_unknown", 5 * DOLLAR)],
            idempotency_key="k",
        )
        assert removed.state == "pending"
        assert unknown.state == "failed"
        assert unknown.error is not None and unknown.error.code == "object_not_found"

    async def test_allowances_cap_campaigns_and_refuse_ad_sets(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad_campaign", CAMPAIGN, META_CAMPAIGN)
        contract("spending_limit_removed")
        campaign_result, group_result = await adapter.set_spend_allowances(
            [
                SpendAllowance(ObjectRef("ad_campaign", CAMPAIGN), None),
                SpendAllowance(ObjectRef("ad_group", AD_GROUP, META_AD_SET), 5 * DOLLAR),
            ],
            idempotency_key="k",
        )
        assert campaign_result.state == "pending"
        assert group_result.state == "failed"
        assert group_result.error is not None
        assert group_result.error.code == "unsupported_owner"


class TestPullStats:
    async def test_small_window_reads_insights_at_once(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad", AD, META_AD)
        contract("account_read", "insights_sync")
        since = datetime(2026, 3, 2, 9, tzinfo=UTC)
        rows = await adapter.pull_stats(since, since + timedelta(hours=2))
        revision = int(NOW.timestamp())
        # New York is UTC-5 in March before DST: 04:00 local is 09:00 UTC. The 06:00
        # local hour is outside the window; the ad Adline did not make is left out.
        assert rows == [
            ReportedHour(
                ad_id=AD,
                hour_start=since,
                impressions=1200,
                reach=0,
                clicks=30,
                unique_clicks=25,
                link_clicks=20,
                spend_micros=12_340_000,
                event_counts={"purchase": 2},
                event_value_micros={"purchase": 59_980_000},
                revision=revision,
            ),
            ReportedHour(
                AD, since + timedelta(hours=1), 800, 0, 30, 25, 20, 8_100_000, {}, {}, revision
            ),
        ]

    async def test_large_window_is_an_async_report_run(
        self,
        contract: Contract,
        adapter: MetaAdapter,
        directory: MemoryDirectory,
        sleeps: list[float],
    ) -> None:
        await directory.remember("ad", AD, META_AD)
        contract("account_read", "insights_async")
        since = datetime(2026, 2, 1, 5, tzinfo=UTC)  # local midnight
        rows = await adapter.pull_stats(since, datetime(2026, 3, 2, 5, tzinfo=UTC))
        assert [(row.hour_start, row.spend_micros) for row in rows] == [
            (datetime(2026, 2, 10, 18, tzinfo=UTC), 4_000_000),
            (datetime(2026, 2, 11, 5, tzinfo=UTC), 2_500_000),
        ]
        assert sleeps == [5.0]

    async def test_a_sync_read_meta_times_out_becomes_a_report_run(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad", AD, META_AD)
        contract("account_read", "insights_sync_timeout")
        since = datetime(2026, 3, 2, 9, tzinfo=UTC)
        rows = await adapter.pull_stats(since, since + timedelta(hours=1))
        assert [row.spend_micros for row in rows] == [12_340_000]

    async def test_a_failed_report_run_is_transient(
        self, contract: Contract, adapter: MetaAdapter
    ) -> None:
        contract("account_read", "insights_async_failed")
        since = datetime(2026, 2, 1, 5, tzinfo=UTC)
        with pytest.raises(TransientError, match="2490547"):
            await adapter.pull_stats(since, datetime(2026, 3, 2, 5, tzinfo=UTC))


class TestReads:
    async def test_review_outcomes(
        self, contract: Contract, adapter: MetaAdapter, directory: MemoryDirectory
    ) -> None:
        await directory.remember("ad", AD, META_AD)
        await directory.remember("ad", "ad_second0000000", "120200000000005")
        contract("review_outcomes")
        outcomes = await adapter.pull_review_outcomes(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
        assert outcomes == [
            ReviewOutcome(
                "ad_second0000000",
                "120200000000005",
                "approved",
                datetime(2026, 3, 2, 9, 40, tzinfo=UTC),
            ),
            ReviewOutcome(
                AD,
                META_AD,
                "rejected",
                datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
                ReviewIssue(
                    "policy_rejection",
                    "Personal Attributes",
                    "Personal Attributes",
                    "Ads can't assert or imply personal attributes.",
                ),
            ),
        ]

    async def test_estimate_reach(self, contract: Contract, adapter: MetaAdapter) -> None:
        contract("delivery_estimate")
        targeting = Targeting(include=GeoSelection(countries=("US",)), minimum_age=25)
        assert await adapter.estimate_reach(targeting) == (1_200_000, 1_400_000)

    async def test_estimate_reach_of_unmapped_targeting_is_none(self, adapter: MetaAdapter) -> None:
        targeting = Targeting(audiences_include=("aud_1",))
        assert await adapter.estimate_reach(targeting) == (None, None)

    async def test_search_interests(self, contract: Contract, adapter: MetaAdapter) -> None:
        contract("targeting_search_interests")
        search = TargetingSearch(types=("interests", "languages"), query="yoga", limit=2)
        options = await adapter.search_targeting_options(search)
        assert options == [
            DetailedTargetingOption(
                "interests", "6003306084421", "Yoga", None, None, 250_000_000, 294_000_000
            ),
            DetailedTargetingOption(
                "interests", "6003178428036", "Hot yoga", None, None, 4_000_000, 4_700_000
            ),
        ]

    async def test_pixel_token_accepted(self, contract: Contract, adapter: MetaAdapter) -> None:
        contract("pixel_check_accepted")
        check = await adapter.check_pixel_token("1122334455", "EAApixelToken9")
        assert (check.accepted, check.name) == (True, "Shop pixel")

    async def test_pixel_token_refused(self, contract: Contract, adapter: MetaAdapter) -> None:
        contract("pixel_check_refused")
        check = await adapter.check_pixel_token("1122334455", "EAApixelToken9")
        assert not check.accepted
        assert check.error_message == "Invalid OAuth access token - Cannot parse access token"


def _updated():  # type: ignore[no-untyped-def]
    """The campaign of the update fixtures: known to Meta, its budget raised to $75.50."""
    spec = campaign(network_id=META_CAMPAIGN)
    assert spec.budget is not None
    return dataclasses.replace(
        spec, budget=dataclasses.replace(spec.budget, amount_micros=75_500_000)
    )


class TestAdUpdate:
    async def test_an_unchanged_creative_is_not_sent_again(
        self, contract: Contract, adapter: MetaAdapter
    ) -> None:
        contract("ad_update_same_creative")
        result = await adapter.upsert_ad(
            ad(status="paused", network_id=META_AD, ad_group_network_id=META_AD_SET),
            idempotency_key="k",
        )
        assert result.state == "pending"

    async def test_a_changed_creative_is_a_new_one(
        self, contract: Contract, adapter: MetaAdapter
    ) -> None:
        contract("ad_update_new_creative")
        spec = ad(network_id=META_AD, ad_group_network_id=META_AD_SET)
        result = await adapter.upsert_ad(spec, idempotency_key="k")
        assert result.network_id == META_AD
