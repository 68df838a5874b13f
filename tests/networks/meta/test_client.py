"""The Graph client against the contract fixtures: encoding, paging, report runs, and how
each documented failure becomes an Adline adapter error (retried here or raised)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import respx

from adline.delivery.adapter import (
    ConnectionBroken,
    RateLimited,
    TransientError,
)
from adline.networks.meta.client import (
    DEFAULT_API_VERSION,
    DEFAULT_GRAPH_URL,
    GraphError,
    MetaGraphClient,
    RetryPolicy,
    appsecret_proof,
    encode_params,
    parse_usage,
)

from .conftest import TOKEN, FakeMonotonic, make_client
from .contracts import CONTRACTS, VERSION, Replay, scenario
from .specs import META_CAMPAIGN

UPDATE = {
    "name": "Spring sale [adline:adcamp_a1b2c3d4e5f6g7]",
    "special_ad_categories": [],
    "status": "ACTIVE",
    "daily_budget": 7550,
    "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
}
Contract = Callable[..., Replay]


class TestVersion:
    def test_default_version_is_the_fixtures_version(self) -> None:
        # A version bump must come with a review of the fixtures (networks.md §4 item 4).
        assert DEFAULT_API_VERSION == VERSION
        assert DEFAULT_GRAPH_URL == "https://graph.facebook.com"
        assert [path.name for path in CONTRACTS.iterdir()] == [VERSION]

    def test_every_fixture_says_where_its_shapes_come_from(self) -> None:
        for path in sorted((CONTRACTS / VERSION).glob("*.json")):
            document = scenario(path.stem)
            assert document["scenario"] == path.stem
            assert document["documented_by"], path
            assert document["exchanges"], path
            for exchange in document["exchanges"]:
                assert exchange["request"]["path"].startswith(f"/{VERSION}/"), path
                assert exchange["request"]["query"]["access_token"].startswith("EAA"), path


class TestEncoding:
    def test_nested_values_are_compact_sorted_json(self) -> None:
        encoded = encode_params(
            {
                "targeting": {"geo_locations": {"countries": ["US"]}, "age_min": 18},
                "special_ad_categories": [],
                "is_adset_budget_sharing_enabled": False,
                "daily_budget": 5000,
                "name": "x",
                "left_out": None,
            }
        )
        assert encoded == {
            "targeting": '{"age_min":18,"geo_locations":{"countries":["US"]}}',
            "special_ad_categories": "[]",
            "is_adset_budget_sharing_enabled": "false",
            "daily_budget": "5000",
            "name": "x",
        }

    async def test_appsecret_proof_goes_with_the_token(
        self, contract: Contract, graph: respx.Router, sleeps: list[float]
    ) -> None:
        contract("appsecret_proof")
        client = make_client(graph, sleeps, FakeMonotonic(), app_secret="s3cret")
        body = await client.get("act_1234", {"fields": "currency,timezone_name"})
        await client.aclose()
        assert body["currency"] == "USD"
        assert appsecret_proof("s3cret", TOKEN) == (
            "c99e48103f9ea48502970db0f0aed5a463d063b5b713ec74e7bf532c4ec5e91c"
        )


class TestPaginate:
    async def test_follows_the_after_cursor_until_next_is_gone(
        self, contract: Contract, meta_client: MetaGraphClient
    ) -> None:
        contract("campaigns_paginated")
        rows = [
            row
            async for row in meta_client.paginate(
                "act_1234/campaigns", {"fields": "id,name,status", "limit": 2}
            )
        ]
        assert [row["id"] for row in rows] == ["1201", "1202", "1203"]


class TestErrors:
    async def test_190_breaks_the_connection_without_retry(
        self, contract: Contract, meta_client: MetaGraphClient, sleeps: list[float]
    ) -> None:
        contract("auth_expired_190")
        with pytest.raises(ConnectionBroken, match="190/463") as raised:
            await meta_client.post(META_CAMPAIGN, UPDATE)
        assert isinstance(raised.value.__cause__, GraphError)
        assert sleeps == []

    @pytest.mark.parametrize(
        ("name", "retry_after"),
        [
            # 17 carries no time to regain access: Meta's minimum minute.
            ("rate_limited_17", timedelta(seconds=60)),
            # 613 and 80004 carry the BUC header's estimate, in minutes.
            ("rate_limited_613", timedelta(minutes=3)),
            ("rate_limited_80004", timedelta(minutes=12)),
        ],
    )
    async def test_throttles_raise_rate_limited_with_retry_after(
        self,
        contract: Contract,
        meta_client: MetaGraphClient,
        sleeps: list[float],
        name: str,
        retry_after: timedelta,
    ) -> None:
        contract(name)
        with pytest.raises(RateLimited) as raised:
            await meta_client.post(META_CAMPAIGN, UPDATE)
        assert raised.value.retry_after == retry_after
        assert sleeps == []  # backing off is the caller's: nothing slept here

    async def test_a_throttled_bucket_is_not_called_until_it_recovers(
        self, contract: Contract, meta_client: MetaGraphClient, monotonic: FakeMonotonic
    ) -> None:
        contract("rate_limited_80004")
        with pytest.raises(RateLimited):
            await meta_client.post(META_CAMPAIGN, UPDATE)
        monotonic.now += 60
        with pytest.raises(RateLimited) as raised:  # no request: the router has no more
            await meta_client.post(META_CAMPAIGN, UPDATE)
        assert raised.value.retry_after == timedelta(minutes=11)

    async def test_usage_near_the_limit_pauses_the_bucket(
        self, contract: Contract, meta_client: MetaGraphClient, monotonic: FakeMonotonic
    ) -> None:
        contract("usage_near_limit")
        assert await meta_client.post(META_CAMPAIGN, UPDATE) == {"success": True}
        assert meta_client.last_usage.percent["ads_management"] == 97
        with pytest.raises(RateLimited) as raised:
            await meta_client.post(META_CAMPAIGN, UPDATE)
        assert raised.value.retry_after == timedelta(seconds=60)
        # Insights count against another bucket: still callable (no route: it would fail
        # on the transport, so only the gate is checked).
        meta_client._check_cooldown("ads_insights")
        monotonic.now += 61
        meta_client._check_cooldown("ads_management")

    @pytest.mark.parametrize(
        "name",
        ["transient_2_then_success", "transient_flag_then_success", "service_unavailable_200"],
    )
    async def test_transient_failures_are_retried_then_succeed(
        self, contract: Contract, meta_client: MetaGraphClient, sleeps: list[float], name: str
    ) -> None:
        contract(name)
        assert await meta_client.post(META_CAMPAIGN, UPDATE) == {"success": True}
        assert sleeps == [1.0]

    async def test_retries_are_bounded(
        self, graph: respx.Router, sleeps: list[float], monotonic: FakeMonotonic
    ) -> None:
        failure = scenario("transient_2_then_success")["exchanges"][0]
        graph.route(method="POST").respond(
            failure["response"]["status"], json=failure["response"]["body"]
        )
        client = make_client(graph, sleeps, monotonic)
        client.retry = RetryPolicy(max_attempts=3)
        with pytest.raises(TransientError, match="Meta error 2"):
            await client.post(META_CAMPAIGN, UPDATE)
        await client.aclose()
        assert sleeps == [1.0, 2.0]
        assert graph.calls.call_count == 3


class TestReportRuns:
    async def test_polls_until_completed_then_reads_every_page(
        self, contract: Contract, meta_client: MetaGraphClient, sleeps: list[float]
    ) -> None:
        played = contract("insights_async")
        params = _report_params("2026-02-01", "2026-03-01")
        rows = await meta_client.report_run("act_1234", params)
        assert [(row["date_start"], row["spend"]) for row in rows] == [
            ("2026-02-10", "4.00"),
            ("2026-02-11", "2.50"),
        ]
        assert sleeps == [meta_client.polling.interval]  # one wait, after "Job Running" 40%
        assert len(played.seen) == 5

    async def test_a_failed_run_raises_with_metas_reason(
        self, contract: Contract, meta_client: MetaGraphClient
    ) -> None:
        contract("insights_async_failed")
        params = _report_params("2026-02-01", "2026-03-01")
        with pytest.raises(TransientError, match="-2/2490547: The report could not be completed"):
            await meta_client.report_run("act_1234", params)


class TestUsageHeaders:
    def test_buc_app_and_account_headers(self) -> None:
        usage = parse_usage(
            {
                "x-business-use-case-usage": '{"1234":[{"type":"ads_insights","call_count":40,'
                '"total_cputime":96,"total_time":10,"estimated_time_to_regain_access":0}]}',
                "x-app-usage": '{"call_count":12,"total_cputime":3,"total_time":4}',
                "x-ad-account-usage": '{"acc_id_util_pct":1.67}',
            }
        )
        assert usage.percent == {"ads_insights": 96, "*": 12}
        assert usage.cooldowns() == {"ads_insights": timedelta(seconds=60)}

    def test_unreadable_headers_are_ignored(self) -> None:
        assert parse_usage({"x-app-usage": "not json"}).cooldowns() == {}


def _report_params(since: str, until: str) -> dict[str, object]:
    return {
        "level": "ad",
        "fields": "ad_id,impressions,clicks,unique_clicks,inline_link_clicks,spend,actions,"
        "action_values",
        "breakdowns": ["hourly_stats_aggregated_by_advertiser_time_zone"],
        "time_range": {"since": since, "until": until},
        "time_increment": 1,
    }
