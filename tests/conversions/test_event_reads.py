"""Reading events back: `GET /events` (filters, cursors, people, attribution) and
`POST /events/validate_pixel`, over HTTP and through whop-sdk 2.6.0's `client.events`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from whop_sdk import AsyncWhop

from adline.auth.scopes import EVENT_CREATE
from adline.conversions.reads import normalized_url
from adline.conversions.service import record_click
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from tests.conftest import START, Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import build_tree, ok

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RANGE = {"from": "2026-02-01T00:00:00Z", "to": "2026-03-02T09:00:00Z"}


async def send(client: httpx.AsyncClient, tenant: Tenant, at: datetime, **fields: Any) -> str:
    body = {
        "account_id": tenant.company_id,
        "event_name": "lead",
        "event_time": at.isoformat(),
        **fields,
    }
    return str((await ok(await client.post("/events", json=body)))["id"])


async def listed(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    body = await ok(await client.get("/events", params={**RANGE, **params}))
    return list(body["data"])


class TestList:
    async def test_events_in_a_range_newest_first_and_paged(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        ids = [await send(client, tenant, START - n * HOUR) for n in (3, 2, 1)]
        assert [e["id"] for e in await listed(client)] == ids[::-1]
        assert [e["id"] for e in await listed(client, direction="asc")] == ids
        first = await ok(await client.get("/events", params={**RANGE, "first": 2}))
        assert [e["id"] for e in first["data"]] == ids[:0:-1]
        assert first["page_info"]["has_next_page"] is True
        after = first["page_info"]["end_cursor"]
        rest = await ok(await client.get("/events", params={**RANGE, "first": 2, "after": after}))
        assert [e["id"] for e in rest["data"]] == ids[:1]
        assert rest["page_info"]["has_previous_page"] is True
        narrow = {"from": (START - 2 * HOUR).isoformat(), "to": (START - 2 * HOUR).isoformat()}
        only = await ok(await client.get("/events", params=narrow))
        assert [e["id"] for e in only["data"]] == [ids[1]]

    async def test_the_event_shape_and_its_credited_ad(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        tree = await build_tree(client, title="Spring")
        async with create_sessionmaker(engine)() as session, session.begin():
            await record_click(session, tree.ad["id"], "fb-click-1", START - 2 * HOUR)
        event_id = await send(
            client,
            tenant,
            START - HOUR,
            event_name="purchase",
            value=12.5,
            currency="eur",
            url="https://shop.example/checkout?x=1",
            context={"fbclid": "fb-click-1", "utm_source": "facebook"},
            user={"email": "Ann@Example.com", "country": "DE", "city": "Berlin"},
        )
        [event] = await listed(client)
        assert event["id"] == event_id
        assert (event["event_name"], event["value"], event["currency"]) == ("purchase", 12.5, "eur")
        assert event["total_usd_amount"] > 12.5  # a euro is worth more than a dollar
        assert (event["url"], event["path"]) == ("https://shop.example/checkout?x=1", "/checkout")
        assert event["person_id"].startswith("prsn_")
        assert event["context"]["ad_id"] == tree.ad["id"]
        assert event["context"]["ad_set_id"] == tree.group["id"]
        assert event["context"]["ad_campaign_id"] == tree.campaign["id"]
        assert (event["context"]["ad_click_id"], event["context"]["ad_click_type"]) == (
            "fb-click-1",
            "fbclid",
        )
        assert event["context"]["source_type"] == "ad_click"
        assert event["context"]["utm_source"] == "facebook"
        assert event["user"]["country"] == "DE"
        assert event["related"]["ad_campaign"] == {
            "id": tree.campaign["id"],
            "platform": "meta",
            "title": "Spring",
        }
        source = f"whop:{tree.campaign['id']}:*"
        assert [e["id"] for e in await listed(client, source=source)] == [event_id]
        exact = f"whop:{tree.campaign['id']}:{tree.group['id']}:{tree.ad['id']}"
        assert [e["id"] for e in await listed(client, source=exact)] == [event_id]
        assert await listed(client, source="unknown") == []

    async def test_a_person_is_one_id_across_events_and_found_by_identifier(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        first = await send(client, tenant, START - 3 * HOUR, user={"email": "ann@example.com"})
        second = await send(client, tenant, START - 2 * HOUR, user={"email": "ANN@example.com"})
        await send(client, tenant, START - HOUR, user={"email": "bob@example.com"})
        journey = await ok(
            await client.get(
                "/events", params={"identifier": "Ann@Example.com", "direction": "asc"}
            )
        )
        assert [e["id"] for e in journey["data"]] == [first, second]
        assert len({e["person_id"] for e in journey["data"]}) == 1
        cookie = await send(client, tenant, START - HOUR, context={"fbp": "fb.1.123.456"})
        by_cookie = await ok(await client.get("/events", params={"identifier": "fb.1.123.456"}))
        assert [e["id"] for e in by_cookie["data"]] == [cookie]

    async def test_filters(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        lead = await send(client, tenant, START - HOUR, user={"country": "us", "city": "Austin"})
        buy = await send(
            client, tenant, START - HOUR, event_name="purchase", context={"utm_source": "tt"}
        )
        custom = await send(client, tenant, START - HOUR, event_name="custom", custom_name="quiz")
        assert [e["id"] for e in await listed(client, event="pixel.lead")] == [lead]
        assert [e["id"] for e in await listed(client, event="payment.completed")] == [buy]
        assert [e["id"] for e in await listed(client, event="pixel.custom:quiz")] == [custom]
        both = {e["id"] for e in await listed(client, event="pixel.lead,pixel.purchase")}
        assert both == {lead, buy}
        assert [e["id"] for e in await listed(client, country="US")] == [lead]
        assert [e["id"] for e in await listed(client, city="Austin,Paris")] == [lead]
        assert [e["id"] for e in await listed(client, utm_source="tt")] == [buy]

    @pytest.mark.parametrize(
        ("params", "status", "code", "param"),
        [
            ({"from": RANGE["from"]}, 400, "parameter_missing", "to"),
            ({"to": RANGE["to"]}, 400, "parameter_missing", "from"),
            ({**RANGE, "from": "yesterday"}, 400, "parameter_invalid", "from"),
            ({"from": RANGE["to"], "to": RANGE["from"]}, 400, "parameter_invalid", "to"),
            ({**RANGE, "event": "lead"}, 400, "parameter_invalid", "event"),
            ({**RANGE, "source": "referrer:example.com"}, 400, "parameter_invalid", "source"),
            ({**RANGE, "source": "whop:adcamp_x"}, 400, "parameter_invalid", "source"),
            ({**RANGE, "device": "iPhone"}, 400, "parameter_invalid", "device"),
            ({**RANGE, "page": "/checkout"}, 400, "parameter_invalid", "page"),
            ({"identifier": "prsn_abc"}, 400, "parameter_invalid", "identifier"),
            ({**RANGE, "first": "0"}, 400, "parameter_invalid", "first"),
            ({**RANGE, "after": "nonsense"}, 400, "parameter_invalid", "after"),
        ],
    )
    async def test_bad_queries_are_named(
        self,
        client: httpx.AsyncClient,
        params: dict[str, str],
        status: int,
        code: str,
        param: str,
    ) -> None:
        assert_error(await client.get("/events", params=params), status, code, param)

    async def test_another_companys_events_are_not_seen(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
    ) -> None:
        await send(client, tenant, START - HOUR, user={"email": "ann@example.com"})
        assert await listed(other_client) == []
        journey = await ok(
            await other_client.get("/events", params={"identifier": "ann@example.com"})
        )
        assert journey["data"] == []
        assert_error(
            await other_client.get("/events", params={**RANGE, "account_id": tenant.company_id}),
            404,
            "resource_not_found",
            "account_id",
        )

    async def test_the_scope_is_stats_read(
        self, anonymous: httpx.AsyncClient, tenant: Tenant, make_key: Any
    ) -> None:
        anonymous.headers["Authorization"] = f"Bearer {await make_key(tenant, [EVENT_CREATE])}"
        assert_error(await anonymous.get("/events", params=RANGE), 403, "missing_scope", None)
        assert_error(
            await anonymous.post("/events/validate_pixel", json={}), 403, "missing_scope", None
        )


class TestValidatePixel:
    async def test_an_account_without_events_is_not_installed(
        self, client: httpx.AsyncClient
    ) -> None:
        answer = await ok(await client.post("/events/validate_pixel", json={}))
        assert answer == {
            "installed": False,
            "last_seen_days": None,
            "last_fired_days": {},
            "host_events": [],
            "page_events": [],
            "firing_data_ok": True,
            "native_tracking": False,
            "affiliate_tracking_detected": False,
            "reachable": None,
            "url": None,
        }

    async def test_recent_events_install_the_account_and_their_page(
        self, client: httpx.AsyncClient, tenant: Tenant, clock: ManualClock
    ) -> None:
        page = "https://Shop.Example:443/landing/?utm_source=x#top"
        await send(client, tenant, START - 2 * DAY, url=page)
        await send(client, tenant, START - 40 * DAY, event_name="purchase", url=page)
        await send(client, tenant, START - DAY, event_name="contact", url="https://else.example/")
        account = await ok(await client.post("/events/validate_pixel", json={}))
        assert (account["installed"], account["last_seen_days"]) == (True, 1)
        assert account["host_events"] == ["contact", "lead"]
        assert account["last_fired_days"] == {"contact": 1, "lead": 2, "purchase": 40}

        on_page = await ok(
            await client.post(
                "/events/validate_pixel", json={"url": "https://shop.example/landing"}
            )
        )
        assert on_page["url"] == "https://shop.example/landing"
        assert (on_page["installed"], on_page["reachable"]) == (True, True)
        assert on_page["page_events"] == ["lead"]
        assert on_page["last_fired_days"] == {"lead": 2, "purchase": 40}

        clock.advance(10 * DAY)  # too long ago to count as installed, still remembered
        later = await ok(await client.post("/events/validate_pixel", json={}))
        assert (later["installed"], later["last_seen_days"]) == (False, 11)

    async def test_a_page_without_events_is_unknown_not_fetched(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        await send(client, tenant, START - HOUR, url="https://shop.example/a")
        answer = await ok(
            await client.post("/events/validate_pixel", json={"url": "https://shop.example/b"})
        )
        assert (answer["installed"], answer["reachable"], answer["page_events"]) == (
            False,
            None,
            [],
        )
        assert answer["host_events"] == ["lead"]

    async def test_bad_input_is_named(
        self, client: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        for body, status, code, param in (
            ({"url": "ftp://shop.example/"}, 400, "parameter_invalid", "url"),
            ({"url": 5}, 400, "parameter_invalid", "url"),
            ({"account_id": other_tenant.company_id}, 404, "resource_not_found", "account_id"),
        ):
            assert_error(
                await client.post("/events/validate_pixel", json=body), status, code, param
            )

    def test_urls_are_normalized_to_the_page(self) -> None:
        assert normalized_url("HTTPS://A.example:443/x/?q=1#f") == "https://a.example/x"
        assert normalized_url("http://a.example:8080") == "http://a.example:8080/"
        assert normalized_url("mailto:x@y.z") is None
        assert normalized_url("http://[::1") is None


async def test_the_official_client_lists_and_validates(
    whop: AsyncWhop, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    ids = [await send(client, tenant, START - n * HOUR, url="https://a.example/") for n in (2, 1)]
    pager = await whop.events.list(
        from_=START - DAY, to=START, first=1, event="pixel.lead", direction="desc"
    )
    assert [event.id async for event in pager] == ids[::-1]  # the pager follows the cursors
    journey = await whop.events.list(account_id=tenant.company_id, from_=START - DAY, to=START)
    assert [event.event_name for event in journey.items] == ["lead", "lead"]
    validation = await whop.events.validate_pixel(url="https://a.example")
    assert validation.installed and validation.page_events == ["lead"]
    account = await whop.events.validate_pixel(account_id=tenant.company_id)
    assert account.installed and account.url is None
