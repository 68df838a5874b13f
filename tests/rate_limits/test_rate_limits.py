"""Rate limits: a token bucket per API key and per client address, 429 with Retry-After,
X-RateLimit-* on every answer (docs/api.md#rate-limits).

Each test runs its own app with low limits and its own client address (on PostgreSQL the
buckets are rows every app of the run shares)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.campaigns import service as campaigns_service
from adline.config import Settings
from adline.core.clock import ManualClock
from tests.campaigns.payloads import abo_campaign
from tests.conftest import NEWEST_HEADER, Tenant

LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def new_address() -> str:
    """A client address no other test uses (TEST-NET-2 and -3, and documentation IPv6)."""
    return f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


@pytest.fixture
def limited(database_url: str, engine: AsyncEngine, clock: ManualClock) -> Callable[..., Any]:
    """`limited(**settings)`: a client (no key, rooted at /api/v1) of an app with these
    settings, calling from an address of its own."""

    @asynccontextmanager
    async def make(address: str | None = None, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(
            Settings(database_url=database_url, **settings), clock=clock, engine=engine
        )
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(address or new_address(), 4321)
        )
        async with httpx.AsyncClient(
            transport=transport, base_url="http://adline.test/api/v1", headers=NEWEST_HEADER
        ) as client:
            yield client

    return make


def assert_limit_headers(response: httpx.Response, limit: int, clock: ManualClock) -> int:
    for name in LIMIT_HEADERS:
        assert name in response.headers, (response.status_code, response.request.url, name)
    assert response.headers["x-ratelimit-limit"] == str(limit)
    reset = int(response.headers["x-ratelimit-reset"])
    # A Unix time, by the app's clock: now, or when the bucket is full again.
    assert clock.now().timestamp() <= reset
    return int(response.headers["x-ratelimit-remaining"])


async def test_a_key_gets_its_burst_then_429_then_recovers(
    limited: Callable[..., Any], tenant: Tenant, clock: ManualClock
) -> None:
    async with limited(rate_limit_per_second=0.5, rate_limit_burst=3) as client:
        client.headers.update(tenant.headers)
        answers = [await client.get("/ad_campaigns") for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        remaining = [assert_limit_headers(answer, 3, clock) for answer in answers]
        assert remaining == [2, 1, 0, 0]

        refused = answers[-1]
        error = refused.json()["error"]
        assert (error["type"], error["code"], error["param"]) == (
            "too_many_requests",
            "rate_limited",
            None,
        )
        assert "API key" in error["message"]
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 2
        assert "retry-after" not in answers[0].headers

        # A write is refused before it runs.
        create = await client.post("/ad_campaigns", json=abo_campaign())
        assert create.status_code == 429

        await asyncio.sleep(retry_after + 0.05)
        recovered = await client.get("/ad_campaigns")
        assert recovered.status_code == 200, recovered.text
        assert recovered.json()["data"] == []
        assert assert_limit_headers(recovered, 3, clock) == 0


async def test_each_key_has_its_own_bucket(
    limited: Callable[..., Any], tenant: Tenant, other_tenant: Tenant
) -> None:
    async with limited(rate_limit_per_second=0.01, rate_limit_burst=2) as client:
        for _ in range(2):
            assert (await client.get("/ad_campaigns", headers=tenant.headers)).status_code == 200
        assert (await client.get("/ad_campaigns", headers=tenant.headers)).status_code == 429
        other = await client.get("/ad_campaigns", headers=other_tenant.headers)
        assert other.status_code == 200
        assert other.headers["x-ratelimit-remaining"] == "1"


async def test_calls_without_a_valid_key_are_limited_per_address(
    limited: Callable[..., Any], tenant: Tenant, clock: ManualClock
) -> None:
    address = new_address()
    settings = {"address_rate_limit_per_second": 0.01, "address_rate_limit_burst": 3}
    async with limited(address, **settings) as client:
        no_key = await client.get("/ad_campaigns")
        bad_key = await client.get("/ad_campaigns", headers={"Authorization": "Bearer adl_sk_no"})
        malformed = await client.get("/ad_campaigns", headers={"Authorization": "Basic eA=="})
        assert [a.status_code for a in (no_key, bad_key, malformed)] == [401, 401, 401]
        assert [assert_limit_headers(a, 3, clock) for a in (no_key, bad_key, malformed)] == [
            2,
            1,
            0,
        ]
        # The address is spent: a 429 instead of the 401, with or without a key.
        for headers in ({}, {"Authorization": "Bearer adl_sk_guess"}):
            refused = await client.get("/ad_campaigns", headers=headers)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "rate_limited"
            assert "without a valid API key" in refused.json()["error"]["message"]
            assert int(refused.headers["retry-after"]) >= 1
        # A valid key from the same address has a bucket of its own.
        valid = await client.get("/ad_campaigns", headers=tenant.headers)
        assert valid.status_code == 200
        assert valid.headers["x-ratelimit-limit"] == "200"
    # Another address is unaffected.
    async with limited(**settings) as elsewhere:
        assert (await elsewhere.get("/ad_campaigns")).status_code == 401


async def test_every_answer_carries_the_headers(
    limited: Callable[..., Any],
    tenant: Tenant,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with limited(
        rate_limit_per_second=0.1,
        rate_limit_burst=50,
        address_rate_limit_per_second=0.1,
        address_rate_limit_burst=50,
    ) as client:
        client.headers.update(tenant.headers)
        created = await client.post("/ad_campaigns", json=abo_campaign())
        answers = {
            "200": created,
            "400 body": await client.post("/ad_campaigns", json={"title": 5}),
            "400 version": await client.get(
                "/ad_campaigns", headers={"Api-Version-Date": "1999-01-01"}
            ),
            "401": await client.get("/ad_campaigns", headers={"Authorization": "Bearer nope"}),
            "404 object": await client.get("/ad_campaigns/adcamp_00000000000000"),
            "404 malformed id": await client.get("/ad_campaigns/not!an!id"),
            "404 route": await client.get("/no_such_thing"),
            "405": await client.put("/ad_campaigns"),
            "413": await client.post("/ad_campaigns", content=b"x" * (2 * 1024 * 1024)),
            "OPTIONS": await client.options("/ad_campaigns"),
            "HEAD": await client.head(f"/ad_campaigns/{created.json()['id']}"),
            "docs": await client.get("/openapi.json"),
        }

        async def crash(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("boom")

        monkeypatch.setattr(campaigns_service, "create_campaign", crash)
        answers["500"] = await client.post("/ad_campaigns", json=abo_campaign())
        monkeypatch.undo()

        remaining = []
        for label, answer in answers.items():
            if label[0].isdigit():
                assert answer.status_code == int(label[:3]), (label, answer.text)
            remaining.append(assert_limit_headers(answer, 50, clock))
        # Each took a token, from the key's bucket or (the 401) the address's.
        assert remaining[0] == 49
        assert remaining[-1] < 49
        # The health check is not limited.
        transport = client._transport
        async with httpx.AsyncClient(transport=transport, base_url="http://adline.test") as raw:
            health = await raw.get("/healthz")
        assert health.status_code == 200
        assert not any(name in health.headers for name in LIMIT_HEADERS)


async def test_an_answer_before_authentication_with_a_known_key_is_the_keys(
    limited: Callable[..., Any], tenant: Tenant
) -> None:
    """A malformed path answered before the key is checked still costs the key's token
    (the key was authenticated a moment ago by this process)."""
    async with limited(rate_limit_per_second=0.01, rate_limit_burst=2) as client:
        client.headers.update(tenant.headers)
        assert (await client.get("/ad_campaigns")).status_code == 200
        edge = await client.get("/ad_campaigns/not!an!id")
        assert edge.status_code == 404
        assert edge.headers["x-ratelimit-remaining"] == "0"
        refused = await client.get("/ad_campaigns/not!an!id")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"


async def test_a_rate_of_zero_turns_the_limit_off(
    limited: Callable[..., Any], tenant: Tenant
) -> None:
    async with limited(
        rate_limit_per_second=0, rate_limit_burst=1, address_rate_limit_per_second=0
    ) as client:
        for headers in (tenant.headers, {}):
            for _ in range(3):
                answer = await client.get("/ad_campaigns", headers=headers)
                assert answer.status_code in (200, 401)
                assert not any(name in answer.headers for name in LIMIT_HEADERS)


async def test_the_default_limits_do_not_bother_a_busy_client(
    limited: Callable[..., Any], tenant: Tenant
) -> None:
    """150 requests as fast as they come: the default burst (200) takes them all."""
    async with limited() as client:
        client.headers.update(tenant.headers)
        started = time.monotonic()
        answers = await asyncio.gather(*(client.get("/ad_campaigns") for _ in range(150)))
        assert {answer.status_code for answer in answers} == {200}, time.monotonic() - started
