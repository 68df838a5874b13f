"""TikTokAdapter against the v1.3 contract fixtures: each test replays the exchanges an
operation makes, checks every request exactly, and asserts the normalised answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import (
    Budget,
    ConnectionBroken,
    IdempotencyConflict,
    InvalidSpec,
    ItemError,
    ObjectRef,
    RateLimited,
    SpendAllowance,
    SpendingLimit,
    TransientError,
    WriteResult,
)
from adline.networks.base import MemoryDirectory
from adline.networks.tiktok import create_tiktok_adapter
from adline.networks.tiktok.adapter import PROPAGATION

from .builders import (
    AD_ID,
    AD_NETWORK_ID,
    CAMPAIGN_ID,
    CAMPAIGN_NETWORK_ID,
    CREDENTIALS,
    GROUP2_ID,
    GROUP2_NETWORK_ID,
    GROUP_ID,
    GROUP_NETWORK_ID,
    KNOWN_AD,
    KNOWN_CAMPAIGN,
    KNOWN_GROUP,
    KNOWN_GROUP2,
    START,
    ad,
    ad_group,
    campaign,
    wire,
)
from .replay import Replay

PENDING_AT = START + PROPAGATION
CREATE_CAMPAIGN = ("campaign_get_none", "campaign_create_ok", "campaign_status_enable")


class TestCreate:
    async def test_a_campaign_is_created_disabled_then_enabled(self) -> None:
        directory = MemoryDirectory()
        with Replay(*CREATE_CAMPAIGN) as replay:
            adapter = create_tiktok_adapter(
                CREDENTIALS, directory, clock=ManualClock(START), transport=replay.transport
            )
            result = await adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert replay.served == list(CREATE_CAMPAIGN)
        assert result == WriteResult(
            "ad_campaign", CAMPAIGN_ID, CAMPAIGN_NETWORK_ID, "pending", PENDING_AT
        )
        assert await directory.network_id("ad_campaign", CAMPAIGN_ID) == CAMPAIGN_NETWORK_ID

    async def test_a_paused_campaign_stays_disabled(self) -> None:
        with Replay("campaign_get_none", "campaign_create_ok") as replay:
            wired = await wire(replay)
            result = await wired.adapter.upsert_campaign(
                campaign(status="paused"), idempotency_key="k1"
            )
        assert result.network_id == CAMPAIGN_NETWORK_ID

    async def test_an_ad_group_is_created_disabled_with_major_units(self) -> None:
        names = ("adgroup_get_none", "adgroup_create_ok", "adgroup_status_enable")
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            result = await wired.adapter.upsert_ad_group(ad_group(), idempotency_key="k1")
        assert result == WriteResult("ad_group", GROUP_ID, GROUP_NETWORK_ID, "pending", PENDING_AT)
        assert await wired.directory.local_id("ad_group", GROUP_NETWORK_ID) == GROUP_ID

    async def test_an_ad_is_created_disabled_then_enabled(self) -> None:
        with Replay("ad_get_none", "ad_create_ok", "ad_status_enable") as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, KNOWN_GROUP)
            result = await wired.adapter.upsert_ad(ad(), idempotency_key="k1")
        assert result == WriteResult("ad", AD_ID, AD_NETWORK_ID, "pending", PENDING_AT)

    async def test_a_create_under_an_unknown_parent_is_not_sent(self) -> None:
        with Replay() as replay:
            wired = await wire(replay)
            with pytest.raises(Exception, match="does not exist on TikTok yet"):
                await wired.adapter.upsert_ad_group(ad_group(), idempotency_key="k1")


class TestCrashSafeCreate:
    async def test_a_create_lost_before_the_commit_is_found_not_made_again(self) -> None:
        # The first attempt created the campaign, then the worker died before Adline
        # committed its id: the directory is empty, the campaign exists (DISABLEd).
        names = ("campaign_get_found", "campaign_update_after_crash", "campaign_status_enable")
        with Replay(*names) as replay:
            wired = await wire(replay)
            result = await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert replay.served == list(names)  # no campaign/create/
        assert result.network_id == CAMPAIGN_NETWORK_ID
        assert await wired.directory.network_id("ad_campaign", CAMPAIGN_ID) == CAMPAIGN_NETWORK_ID

    async def test_a_create_with_an_unknown_outcome_is_not_resent(self) -> None:
        names = (
            "campaign_get_none",
            "campaign_create_system_error_50000",
            "campaign_get_found",
            "campaign_update_after_crash",
            "campaign_status_enable",
        )
        with Replay(*names) as replay:
            wired = await wire(replay)
            with pytest.raises(TransientError):
                await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
            assert wired.sleeps == []  # the client did not resend the create
            # The retry looks first, and finds what the ambiguous create made.
            result = await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert result.network_id == CAMPAIGN_NETWORK_ID

    async def test_a_duplicated_request_is_read_back(self) -> None:
        names = (
            "campaign_get_none",
            "campaign_create_duplicated_40050",
            "campaign_get_found",
            "campaign_update_after_crash",
            "campaign_status_enable",
        )
        with Replay(*names) as replay:
            wired = await wire(replay)
            result = await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert result.network_id == CAMPAIGN_NETWORK_ID


class TestUpdate:
    async def test_an_update_sends_the_budget_in_major_units(self) -> None:
        with Replay("campaign_get_by_id", "campaign_update_ok") as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            result = await wired.adapter.upsert_campaign(
                campaign(budget=Budget("daily", 20_000_000)), idempotency_key="k1"
            )
        # Already ENABLEd on TikTok: no status call.
        assert result.state == "pending"

    async def test_pausing_disables_through_the_status_endpoint(self) -> None:
        names = ("campaign_get_by_id", "campaign_update_ok", "campaign_status_disable")
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            await wired.adapter.upsert_campaign(
                campaign(status="paused", budget=Budget("daily", 20_000_000)),
                idempotency_key="k1",
            )
        assert replay.served == list(names)

    @pytest.mark.parametrize(
        ("changes", "param"),
        [
            ({"objective": "awareness"}, "objective"),
            ({"budget": Budget("lifetime", 12_345_000)}, "budget_type"),
            ({"budget": None}, "budget_optimization"),
        ],
    )
    async def test_what_tiktok_fixes_at_creation_is_refused_without_a_call(
        self, changes: dict[str, object], param: str
    ) -> None:
        with Replay(*CREATE_CAMPAIGN) as replay:
            wired = await wire(replay)
            await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
            # Every fixture is served: any further request fails the replay.
            with pytest.raises(InvalidSpec) as refused:
                await wired.adapter.upsert_campaign(campaign(**changes), idempotency_key="k2")
        assert refused.value.param == param

    async def test_a_fresh_adapter_reads_the_object_once_then_refuses(self) -> None:
        with Replay("campaign_get_by_id") as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            with pytest.raises(InvalidSpec) as refused:
                await wired.adapter.upsert_campaign(
                    campaign(objective="sales"), idempotency_key="k1"
                )
        assert refused.value.param == "objective"
        assert replay.served == ["campaign_get_by_id"]  # no campaign/update/

    async def test_a_transient_system_error_is_retried_then_succeeds(self) -> None:
        names = ("campaign_get_by_id", "campaign_update_system_error_50000", "campaign_update_ok")
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            result = await wired.adapter.upsert_campaign(
                campaign(budget=Budget("daily", 20_000_000)), idempotency_key="k1"
            )
        assert result.state == "pending"
        assert wired.sleeps == [1.0]


class TestErrors:
    async def test_an_invalid_param_is_invalid_spec_naming_adlines_param(self) -> None:
        with Replay("campaign_get_none", "campaign_create_invalid_40002") as replay:
            wired = await wire(replay)
            with pytest.raises(InvalidSpec, match="40002") as refused:
                await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert refused.value.param == "budget_amount"

    async def test_an_invalid_token_breaks_the_connection(self) -> None:
        with Replay("campaign_get_none", "campaign_create_token_40105") as replay:
            wired = await wire(replay)
            with pytest.raises(ConnectionBroken, match="40105"):
                await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")

    async def test_a_rate_limit_that_outlasts_the_second_waits_the_minute(self) -> None:
        limited = "campaign_update_rate_limited_40100"
        with Replay("campaign_get_by_id", limited, limited, limited) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            with pytest.raises(RateLimited) as limit:
                await wired.adapter.upsert_campaign(
                    campaign(budget=Budget("daily", 20_000_000)), idempotency_key="k1"
                )
        assert wired.sleeps == [1.0, 1.0]  # the QPS window, twice
        assert limit.value.retry_after == timedelta(minutes=5)  # then read as QPM

    async def test_a_daily_rate_limit_waits_until_midnight_utc(self) -> None:
        names = ("campaign_get_by_id", "campaign_update_rate_limited_40100_qpd")
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            with pytest.raises(RateLimited) as limit:
                await wired.adapter.upsert_campaign(
                    campaign(budget=Budget("daily", 20_000_000)), idempotency_key="k1"
                )
        assert wired.sleeps == []
        assert limit.value.retry_after == datetime(2026, 12, 7, tzinfo=UTC) - START

    async def test_a_failed_write_is_not_remembered(self) -> None:
        names = ("campaign_get_none", "campaign_create_token_40105", *CREATE_CAMPAIGN)
        with Replay(*names) as replay:
            wired = await wire(replay)
            with pytest.raises(ConnectionBroken):
                await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
            result = await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
        assert result.network_id == CAMPAIGN_NETWORK_ID


class TestIdempotency:
    async def test_the_same_key_and_spec_answers_the_first_result(self) -> None:
        with Replay(*CREATE_CAMPAIGN) as replay:
            wired = await wire(replay)
            first = await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
            again = await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
            with pytest.raises(IdempotencyConflict):
                await wired.adapter.upsert_campaign(campaign(title="Other"), idempotency_key="k1")
        assert again == first


class TestDeleteAndStatus:
    async def test_delete_uses_the_status_endpoint(self) -> None:
        with Replay("campaign_status_delete") as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            result = await wired.adapter.delete_object(
                ObjectRef("ad_campaign", CAMPAIGN_ID), idempotency_key="k1"
            )
        assert result == WriteResult(
            "ad_campaign", CAMPAIGN_ID, CAMPAIGN_NETWORK_ID, "pending", PENDING_AT
        )

    async def test_a_partial_success_fails_only_the_unconfirmed_id(self) -> None:
        with Replay("adgroup_status_disable_partial_20001") as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN, KNOWN_GROUP, KNOWN_GROUP2)
            results = await wired.adapter.set_spend_allowances(
                [
                    SpendAllowance(ObjectRef("ad_group", GROUP_ID), 0),
                    SpendAllowance(ObjectRef("ad_group", GROUP2_ID), 0),
                ],
                idempotency_key="k1",
            )
        assert results[0] == WriteResult(
            "ad_group", GROUP_ID, GROUP_NETWORK_ID, "pending", PENDING_AT
        )
        assert results[1].state == "failed"
        assert results[1].network_id == GROUP2_NETWORK_ID
        assert results[1].error == ItemError(
            "status_update_failed",
            "Partial success: some ad groups failed to update.",
            retryable=True,
        )


class TestSpendingLimits:
    async def test_a_zero_limit_pauses_the_campaign(self) -> None:
        with Replay("campaign_status_disable") as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            results = await wired.adapter.set_spending_limits(
                [SpendingLimit(CAMPAIGN_ID, 0)], idempotency_key="k1"
            )
        assert [result.state for result in results] == ["pending"]

    async def test_an_unknown_campaign_fails_per_item_without_a_call(self) -> None:
        # Positive limits are enforced by the adapter: test_fake_tiktok.py tests them.
        with Replay() as replay:
            wired = await wire(replay, KNOWN_CAMPAIGN)
            results = await wired.adapter.set_spending_limits(
                [
                    SpendingLimit("adcamp_UNKNOWN0000000", 5_000_000),
                    SpendingLimit("adcamp_UNKNOWN0000000", 0),
                ],
                idempotency_key="k1",
            )
        assert [(r.state, r.error and r.error.code) for r in results] == [
            ("failed", "object_not_found"),
            ("failed", "object_not_found"),
        ]

    async def test_a_held_campaign_stays_disabled_through_an_upsert(self) -> None:
        names = (*CREATE_CAMPAIGN, "campaign_status_disable", "campaign_update_ok")
        with Replay(*names) as replay:
            wired = await wire(replay)
            await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
            await wired.adapter.set_spending_limits(
                [SpendingLimit(CAMPAIGN_ID, 0)], idempotency_key="k2"
            )
            # Active in Adline, but held at zero: the upsert does not enable it again.
            await wired.adapter.upsert_campaign(
                campaign(budget=Budget("daily", 20_000_000)), idempotency_key="k3"
            )
        assert replay.served == list(names)

    async def test_removing_the_limit_lifts_the_pause(self) -> None:
        names = (*CREATE_CAMPAIGN, "campaign_status_disable", "campaign_status_enable")
        with Replay(*names) as replay:
            wired = await wire(replay)
            await wired.adapter.upsert_campaign(campaign(), idempotency_key="k1")
            await wired.adapter.set_spending_limits(
                [SpendingLimit(CAMPAIGN_ID, 0)], idempotency_key="k2"
            )
            results = await wired.adapter.set_spending_limits(
                [SpendingLimit(CAMPAIGN_ID, None)], idempotency_key="k3"
            )
        assert [result.state for result in results] == ["pending"]
        assert replay.served == list(names)


class TestStats:
    async def test_hourly_rows_of_every_page_map_to_adline_ids(self) -> None:
        with Replay("report_hourly_page1", "report_hourly_page2") as replay:
            wired = await wire(replay, KNOWN_AD)
            rows = await wired.adapter.pull_stats(
                datetime(2026, 12, 5, tzinfo=UTC), datetime(2026, 12, 6, tzinfo=UTC)
            )
        revision = int(START.timestamp())
        assert [(r.ad_id, r.hour_start.hour, r.spend_micros, r.revision) for r in rows] == [
            (AD_ID, 9, 1_230_000, revision),
            (AD_ID, 10, 455_000, revision),
        ]  # the unknown ad's row and the hour without delivery are left out
        assert (rows[0].impressions, rows[0].clicks, rows[0].link_clicks, rows[0].reach) == (
            1000,
            12,
            12,
            900,
        )

    async def test_a_re_read_day_answers_revised_numbers_with_a_higher_revision(self) -> None:
        day = (datetime(2026, 12, 5, 9, tzinfo=UTC), datetime(2026, 12, 5, 10, tzinfo=UTC))
        names = ("report_hourly_page1", "report_hourly_page2", "report_hourly_revised")
        with Replay(*names) as replay:
            wired = await wire(replay, KNOWN_AD)
            first = await wired.adapter.pull_stats(*day)
            wired.clock.advance(timedelta(hours=6))
            again = await wired.adapter.pull_stats(*day)
        assert [r.clicks for r in first] == [12]
        assert [r.clicks for r in again] == [14]
        assert again[0].revision > first[0].revision

    async def test_an_empty_range_makes_no_request(self) -> None:
        with Replay() as replay:
            wired = await wire(replay)
            assert await wired.adapter.pull_stats(START, START) == []


class TestReads:
    async def test_a_pixel_token_is_checked_with_its_own_token(self) -> None:
        with Replay("pixel_list_ok") as replay:
            wired = await wire(replay)
            check = await wired.adapter.check_pixel_token("CABC123DEF", "pixel-token")
        assert (check.accepted, check.name) == (True, "Shop pixel")

    async def test_reads_without_documented_facts_answer_conservatively(self) -> None:
        with Replay() as replay:
            wired = await wire(replay)
            assert await wired.adapter.pull_review_outcomes() == []
            assert await wired.adapter.estimate_reach(ad_group().targeting) == (None, None)
