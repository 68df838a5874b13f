"""The browser pixel's `POST /events?pixel_id=`: no key, the pixel's company only, website
events only, its own rate limit, and CORS for pages on other origins."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.config import Settings
from adline.conversions.models import ConversionEvent
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.pixels import service as pixels
from tests.conftest import NEWEST_HEADER, Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import ok
from tests.pixels.test_pixels import pixel_body

PAGE_ORIGIN = "https://shop.example"
VISITOR_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"


def visitor_address() -> str:
    return f"203.0.113.{secrets.randbelow(254) + 1}"


@asynccontextmanager
async def browser_of(app: FastAPI, address: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A visitor's browser on a shop's page: no key, its own address and user agent."""
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=(address or visitor_address(), 50000)
    )
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://adline.test/api/v1",
        headers={**NEWEST_HEADER, "User-Agent": VISITOR_AGENT, "Origin": PAGE_ORIGIN},
    ) as browser:
        yield browser


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_of(app) as client:
        yield client


async def new_pixel(client: httpx.AsyncClient, tenant: Tenant) -> str:
    return str((await ok(await client.post("/ad_pixels", json=pixel_body(tenant))))["id"])


def page_event(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return {
        "account_id": tenant.company_id,
        "event_name": "add_to_cart",
        "url": "https://shop.example/p/1",
        **fields,
    }


async def events_of(engine: AsyncEngine, *tenants: Tenant) -> list[ConversionEvent]:
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(ConversionEvent)
            .where(ConversionEvent.company_id.in_([t.company_id for t in tenants]))
            .order_by(ConversionEvent.id)
        )
        return list(rows)


class TestRecording:
    async def test_a_page_records_a_website_event_for_the_pixels_company(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        sent = await browser.post(
            "/events", params={"pixel_id": pixel_id}, json=page_event(tenant, value=19.5)
        )
        recorded = await ok(sent)
        assert recorded["id"].startswith("evt_")
        [event] = await events_of(engine, tenant)
        assert event.id == recorded["id"]
        assert (event.event_name, event.action_source, event.value_micros) == (
            "add_to_cart",
            "website",
            19_500_000,
        )
        # The visitor's address and browser, as the pixel saw them.
        assert event.details["context"]["user_agent"] == VISITOR_AGENT
        assert event.details["context"]["ip_address"].startswith("203.0.113.")
        # The company reads it back with its key like any other event.
        listed = await ok(
            await client.get(
                "/events",
                params={"from": "2026-03-01T00:00:00Z", "to": "2026-03-03T00:00:00Z"},
            )
        )
        assert [item["id"] for item in listed["data"]] == [recorded["id"]]

    async def test_what_the_page_sent_wins_over_what_the_request_shows(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        context = {"ip_address": "192.0.2.7", "user_agent": "Server-side tag", "fbclid": "IwAR1"}
        body = page_event(tenant, action_source="website", context=context)
        await ok(await browser.post("/events", params={"pixel_id": pixel_id}, json=body))
        [event] = await events_of(engine, tenant)
        assert event.details["context"] == context

    async def test_a_beacon_sent_as_text_plain_is_read_as_json(
        self, client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        """`navigator.sendBeacon(url, string)` sends `text/plain`, which needs no preflight."""
        pixel_id = await new_pixel(client, tenant)
        sent = await browser.post(
            "/events",
            params={"pixel_id": pixel_id},
            content=json.dumps(page_event(tenant)),
            headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
        await ok(sent)

    async def test_a_repeated_event_id_is_recorded_once(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        body = page_event(tenant, event_id="cart-42")
        first = await ok(await browser.post("/events", params={"pixel_id": pixel_id}, json=body))
        again = await ok(await browser.post("/events", params={"pixel_id": pixel_id}, json=body))
        assert first == again
        assert len(await events_of(engine, tenant)) == 1


class TestRefusals:
    async def test_another_companys_account_is_not_found_and_records_nothing(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        sent = await browser.post(
            "/events", params={"pixel_id": pixel_id}, json=page_event(other_tenant)
        )
        assert_error(sent, 404, "resource_not_found", "account_id")
        assert await events_of(engine, tenant, other_tenant) == []

    async def test_a_browser_cannot_claim_an_offline_event(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        body = page_event(tenant, action_source="physical_store")
        sent = await browser.post("/events", params={"pixel_id": pixel_id}, json=body)
        assert_error(sent, 400, "parameter_invalid", "action_source")
        assert await events_of(engine, tenant) == []

    @pytest.mark.parametrize(
        ("params", "status", "code", "param"),
        [
            ({}, 401, "invalid_api_key", None),
            ({"pixel_id": "adpx_AAAAAAAAAAAAAA"}, 404, "resource_not_found", "pixel_id"),
            ({"pixel_id": "adcamp_AAAAAAAAAAAAAA"}, 404, "resource_not_found", "pixel_id"),
        ],
    )
    async def test_no_key_and_no_pixel_of_adline_is_refused(
        self,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        params: dict[str, str],
        status: int,
        code: str,
        param: str | None,
    ) -> None:
        sent = await browser.post("/events", params=params, json=page_event(tenant))
        assert_error(sent, status, code, param)
        assert await events_of(engine, tenant) == []

    async def test_a_disabled_pixel_records_nothing(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock: ManualClock,
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        async with create_sessionmaker(engine)() as session, session.begin():
            await pixels.set_disabled(session, clock, tenant.company_id, pixel_id, True)
        sent = await browser.post("/events", params={"pixel_id": pixel_id}, json=page_event(tenant))
        assert_error(sent, 403, "pixel_disabled", "pixel_id")
        assert await events_of(engine, tenant) == []

    async def test_a_bad_key_is_refused_even_beside_a_good_pixel(
        self,
        client: httpx.AsyncClient,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        """A request that carries a key is judged by its key, never rescued by a pixel."""
        pixel_id = await new_pixel(client, tenant)
        sent = await browser.post(
            "/events",
            params={"pixel_id": pixel_id},
            json=page_event(tenant),
            headers={"Authorization": "Bearer adl_sk_not_a_key"},
        )
        assert_error(sent, 401, "invalid_api_key", None)
        assert await events_of(engine, tenant) == []

    async def test_the_pixel_opens_no_other_endpoint(
        self, client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        for sent in (
            await browser.post(
                "/events/batch",
                params={"pixel_id": pixel_id},
                json={"events": [page_event(tenant)]},
            ),
            await browser.get(
                "/events",
                params={"pixel_id": pixel_id, "from": "2026-03-01T00:00:00Z"},
            ),
            await browser.get("/ad_campaigns", params={"pixel_id": pixel_id}),
        ):
            assert_error(sent, 401, "invalid_api_key", None)


class TestRateLimit:
    @pytest.fixture
    def limited_app(
        self, database_url: str, engine: AsyncEngine, clock: ManualClock
    ) -> Callable[..., FastAPI]:
        def make(**settings: Any) -> FastAPI:
            return create_app(
                Settings(database_url=database_url, rate_limit_per_second=0, **settings),
                clock=clock,
                engine=engine,
            )

        return make

    async def test_each_pixel_has_its_own_bucket_whoever_sends(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
        limited_app: Callable[..., FastAPI],
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        client.headers.update(other_tenant.headers)
        other_pixel_id = await new_pixel(client, other_tenant)
        app = limited_app(pixel_rate_limit_per_second=0.5, pixel_rate_limit_burst=3)
        answers = []
        # Four visitors, one request each: the pixel's bucket, not theirs, runs dry.
        for _ in range(4):
            async with browser_of(app) as visitor:
                answers.append(
                    await visitor.post(
                        "/events", params={"pixel_id": pixel_id}, json=page_event(tenant)
                    )
                )
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        assert [answer.headers["x-ratelimit-remaining"] for answer in answers] == [
            "2",
            "1",
            "0",
            "0",
        ]
        assert all(answer.headers["x-ratelimit-limit"] == "3" for answer in answers)
        refused = assert_error(answers[-1], 429, "rate_limited", None)
        assert "for this pixel" in refused["message"]
        assert answers[-1].headers["retry-after"] == "2"
        # A browser reads the 429 too: the CORS header is on it.
        assert answers[-1].headers["access-control-allow-origin"] == "*"
        async with browser_of(app) as visitor:
            other = await visitor.post(
                "/events", params={"pixel_id": other_pixel_id}, json=page_event(other_tenant)
            )
        await ok(other)

    async def test_one_address_still_meets_its_own_limit(
        self, client: httpx.AsyncClient, tenant: Tenant, limited_app: Callable[..., FastAPI]
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        app = limited_app(address_rate_limit_per_second=0.5, address_rate_limit_burst=2)
        async with browser_of(app) as visitor:
            answers = [
                await visitor.post(
                    "/events", params={"pixel_id": pixel_id}, json=page_event(tenant)
                )
                for _ in range(3)
            ]
        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert "without a valid API key" in answers[-1].json()["error"]["message"]


class TestCors:
    async def test_a_preflight_allows_any_origin_but_no_key(
        self, browser: httpx.AsyncClient
    ) -> None:
        preflight = await browser.options(
            "/events",
            headers={
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert preflight.headers["access-control-allow-methods"] == "POST"
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "content-type" in allowed and "authorization" not in allowed
        assert "access-control-allow-credentials" not in preflight.headers

    async def test_answers_on_the_events_path_are_readable_cross_origin(
        self, client: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        pixel_id = await new_pixel(client, tenant)
        sent = await browser.post("/events", params={"pixel_id": pixel_id}, json=page_event(tenant))
        assert sent.headers["access-control-allow-origin"] == "*"

    async def test_no_other_path_answers_cors(self, browser: httpx.AsyncClient) -> None:
        preflight = await browser.options(
            "/ad_campaigns", headers={"Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in preflight.headers
        listed = await browser.get("/ad_campaigns")
        assert "access-control-allow-origin" not in listed.headers
        batch = await browser.options(
            "/events/batch", headers={"Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in batch.headers


class TestWithAKey:
    async def test_a_key_may_name_its_own_pixel_but_no_other(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        own = await new_pixel(client, tenant)
        await ok(await client.post("/events", params={"pixel_id": own}, json=page_event(tenant)))
        client.headers.update(other_tenant.headers)
        theirs = await client.post(
            "/events", params={"pixel_id": own}, json=page_event(other_tenant)
        )
        assert_error(theirs, 404, "resource_not_found", "pixel_id")
        assert len(await events_of(engine, tenant)) == 1
        assert await events_of(engine, other_tenant) == []
