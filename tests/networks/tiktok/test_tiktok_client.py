"""TikTokClient: transport conventions, the envelope, the retry policy, paging."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from adline.core.clock import ManualClock
from adline.delivery.adapter import AdapterError, ObjectNotFound, RateLimited, TransientError
from adline.networks.tiktok.client import (
    API_VERSION,
    DEFAULT_BASE_URL,
    TikTokClient,
    encode_query,
    named_field,
    rate_limit_wait,
)

from .builders import CAMPAIGN_NETWORK_ID, GROUP_NETWORK_ID, START, Sleeps
from .replay import ADVERTISER_ID, BASE_URL, FIXTURES, TOKEN, Replay, load


class TestVersion:
    def test_the_default_version_is_the_fixtures_version(self) -> None:
        assert FIXTURES.name == API_VERSION
        assert f"https://business-api.tiktok.com/open_api/{FIXTURES.name}" == DEFAULT_BASE_URL

    def test_every_fixture_speaks_that_version(self) -> None:
        for path in sorted(FIXTURES.glob("*.json")):
            request = load(path.stem)["request"]
            assert request["path"].startswith(f"/open_api/{API_VERSION}/"), path.name
            assert "Access-Token" in request["headers"], path.name


class TestEncoding:
    def test_lists_and_objects_go_as_compact_json(self) -> None:
        query = {
            "advertiser_id": ADVERTISER_ID,
            "dimensions": ["ad_id", "stat_time_hour"],
            "filtering": {"secondary_status": "CAMPAIGN_STATUS_ALL"},
            "enable_total_metrics": False,
            "order_field": None,
            "page": 2,
        }
        assert encode_query(query) == {
            "advertiser_id": ADVERTISER_ID,
            "dimensions": '["ad_id","stat_time_hour"]',
            "filtering": '{"secondary_status":"CAMPAIGN_STATUS_ALL"}',
            "enable_total_metrics": "false",
            "page": "2",
        }

    def test_an_error_names_the_field_it_is_about(self) -> None:
        sent = {"advertiser_id": "1", "budget": 1.0, "campaign_name": "x"}
        assert named_field("budget: too low", sent) == "budget"
        assert named_field("advertiser_id is wrong", sent) is None


class TestRateLimitWindows:
    @pytest.mark.parametrize(
        ("message", "wait"),
        [
            ("Too many requests. Please retry in some time.", timedelta(seconds=1)),
            ("QPM limit reached", timedelta(minutes=5)),
            ("Requests per minute exceeded", timedelta(minutes=5)),
            ("The app's QPD limit for the day is reached", timedelta(hours=14)),
        ],
    )
    def test_the_window_decides_the_wait(self, message: str, wait: timedelta) -> None:
        assert rate_limit_wait(message, START) == wait


def _client(handler: object, sleeps: Sleeps) -> TikTokClient:
    transport = httpx.MockTransport(handler)  # type: ignore[arg-type]
    return TikTokClient(
        BASE_URL, TOKEN, transport=transport, sleep=sleeps, clock=ManualClock(START)
    )


class TestRetries:
    async def test_a_5xx_without_an_envelope_backs_off_then_fails(self) -> None:
        calls: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            calls.append(request)
            return httpx.Response(503, text="upstream unavailable")

        sleeps = Sleeps()
        with pytest.raises(TransientError, match="503"):
            await _client(handler, sleeps).get("campaign/get/", {"advertiser_id": "1"})
        assert (len(calls), sleeps) == (3, [1.0, 2.0])

    async def test_a_timeout_is_transient(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("slow", request=request)

        sleeps = Sleeps()
        with pytest.raises(TransientError, match="ReadTimeout"):
            await _client(handler, sleeps).post("campaign/update/", {"advertiser_id": "1"})
        assert sleeps == [1.0, 2.0]

    async def test_a_create_with_an_unknown_outcome_is_sent_once(self) -> None:
        calls: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            calls.append(request)
            return httpx.Response(200, json={"code": 50002, "message": "timeout", "data": {}})

        sleeps = Sleeps()
        with pytest.raises(TransientError, match="50002"):
            await _client(handler, sleeps).post("campaign/create/", {}, replay_safe=False)
        assert (len(calls), sleeps) == (1, [])

    async def test_a_rate_limit_is_retried_even_on_a_create(self) -> None:
        answers = iter(
            [
                {"code": 40100, "message": "Too many requests.", "data": {}},
                {"code": 0, "message": "OK", "data": {"campaign_id": CAMPAIGN_NETWORK_ID}},
            ]
        )

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=next(answers))

        sleeps = Sleeps()
        answer = await _client(handler, sleeps).post("campaign/create/", {}, replay_safe=False)
        assert answer.data == {"campaign_id": CAMPAIGN_NETWORK_ID}
        assert sleeps == [1.0]

    async def test_an_http_429_is_a_rate_limit(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(429, text="slow down")

        with pytest.raises(RateLimited) as limit:
            await _client(handler, Sleeps()).get("campaign/get/", {})
        assert limit.value.retry_after == timedelta(minutes=5)


class TestEnvelope:
    @pytest.mark.parametrize(
        ("code", "error"), [(40007, ObjectNotFound), (41000, AdapterError), (40012, AdapterError)]
    )
    async def test_other_codes_raise_adapter_errors(
        self, code: int, error: type[AdapterError]
    ) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"code": code, "message": "no", "request_id": "r"})

        with pytest.raises(error, match=f"TikTok {code}: no \\(request_id r\\)"):
            await _client(handler, Sleeps()).get("ad/get/", {})


class TestPages:
    async def test_pages_are_followed_until_page_info_says_the_last(self) -> None:
        with Replay("adgroup_get_page1", "adgroup_get_page2") as replay:
            client = TikTokClient(BASE_URL, TOKEN, transport=replay.transport, sleep=Sleeps())
            rows = await client.list_all(
                "adgroup/get/",
                {
                    "advertiser_id": ADVERTISER_ID,
                    "filtering": {
                        "campaign_ids": [CAMPAIGN_NETWORK_ID],
                        "adgroup_name": "[adgrp_BBBBBBBBBBBBBB]",
                    },
                },
                page_size=100,
            )
        assert len(rows) == 4
        assert rows[-1]["adgroup_id"] == GROUP_NETWORK_ID


UPDATE = {
    "advertiser_id": ADVERTISER_ID,
    "campaign_id": CAMPAIGN_NETWORK_ID,
    "campaign_name": "Winter sale [adcamp_AAAAAAAAAAAAAA]",
    "budget": 20.0,
}


class TestReplayIsStrict:
    """The contract check itself: a request that differs from its fixture fails."""

    @pytest.mark.parametrize(
        ("body", "complaint"),
        [
            ({**UPDATE, "budget": 20.01}, "budget="),
            ({**UPDATE, "budget_mode": "BUDGET_MODE_DAY"}, "forbidden key 'budget_mode'"),
            ({**UPDATE, "po_number": "1"}, "keys sent"),
        ],
    )
    async def test_a_different_request_fails(self, body: dict[str, object], complaint: str) -> None:
        with pytest.raises(AssertionError, match=complaint), Replay("campaign_update_ok") as replay:
            client = TikTokClient(BASE_URL, TOKEN, transport=replay.transport, sleep=Sleeps())
            await client.post("campaign/update/", body)

    async def test_another_token_fails(self) -> None:
        with pytest.raises(AssertionError, match="Access-Token"), Replay("campaign_update_ok") as r:
            client = TikTokClient(BASE_URL, "other", transport=r.transport, sleep=Sleeps())
            await client.post("campaign/update/", UPDATE)
