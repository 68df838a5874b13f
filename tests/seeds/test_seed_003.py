"""Seed 003 as printed: the original AdCampaign object, read unversioned (no
`Api-Version-Date`, a key that pins no version: 2025-01-01), with every field the seed
lists, the type it prints for each, and real values: a live campaign promoting a product,
with delivery today and before (the stats written through the service, as adapters do)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from tests.conftest import START, Tenant
from tests.hierarchy.builders import ad_body
from tests.seeds.printed import (
    BOOLEAN,
    DATE_TIME,
    INTEGER,
    NUMBER,
    STRING,
    ArrayOf,
    Spec,
    assert_shape,
    enum,
    nullable,
)
from tests.stats.helpers import hour, store

# The seed's field list, in its order, with the type it prints for each. It names the
# nested objects without their keys: those are seed 002's (the same object in its create
# answer), and `config`'s are seed 002's create body's.
SEED_FIELDS: dict[str, Spec] = {
    "id": STRING,
    "title": STRING,
    "status": enum(
        "active",
        "paused",
        "inactive",
        "stale",
        "pending_refund",
        "payment_failed",
        "draft",
        "in_review",
        "flagged",
    ),
    "target_country_codes": ArrayOf(STRING),
    "daily_budget": nullable(NUMBER),
    "platform": nullable(enum("meta", "tiktok")),
    "available_budget": NUMBER,
    "created_at": DATE_TIME,
    "updated_at": DATE_TIME,
    "paused_until": nullable(DATE_TIME),
    "clicks_count": INTEGER,
    "impressions_count": INTEGER,
    "purchases_count": INTEGER,
    "remaining_balance": NUMBER,
    "revenue": NUMBER,
    "return_on_ad_spend": NUMBER,
    "todays_spend": NUMBER,
    "total_credits": NUMBER,
    "total_spend": NUMBER,
    # "The access pass being promoted. Null for campaigns that don't target a specific
    # product."
    "product": nullable({"id": STRING, "title": STRING, "route": STRING}),
    "created_by_user": {"id": STRING, "name": STRING, "username": STRING},
    # No billing in Adline yet (issue 18): null, as for a campaign paid from the balance.
    "payment_method": nullable(
        {"typename": STRING, "id": STRING, "created_at": DATE_TIME, "payment_method_type": STRING}
    ),
    "billing_ledger_account": nullable({"id": STRING}),
    # "Meta campaign configuration ... Null for non-Meta campaigns."
    "config": nullable(
        {
            "conversion_goal": STRING,
            "bid_strategy": enum("lowest_cost", "bid_cap", "cost_cap"),
            "bid_amount": nullable(INTEGER),
            "status": enum("active", "paused"),
            "special_categories": ArrayOf(STRING),
            "budget_optimization": BOOLEAN,
            "start_time": nullable(STRING),
            "end_time": nullable(STRING),
        }
    ),
}


YESTERDAY = START - timedelta(days=1)  # 2026-03-01T09:00Z
EARLIER_TODAY = START - timedelta(hours=1)  # 2026-03-02T08:00Z (the clock reads 09:00)


@pytest.fixture
async def raw(app: FastAPI, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """A client as the seed's: the bearer key, no `Api-Version-Date`; the key pins none."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://adline.test/api/v1",
        headers={"Authorization": f"Bearer {tenant.key}"},
    ) as c:
        yield c


async def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def live_campaign(
    client: httpx.AsyncClient, raw: httpx.AsyncClient, tenant: Tenant, clock: ManualClock
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Seed 002's create (unversioned), an ad group targeting Canada and an ad (newest
    version), launched unversioned a minute later. Answers (product, campaign, ad)."""
    product = await ok(
        await client.post(
            "/products", json={"title": "Pickaxe Analytics", "route": "pickaxe-analytics"}
        )
    )
    campaign = await ok(
        await raw.post(
            "/ad_campaigns",
            json={
                "company_id": tenant.company_id,
                "config": {
                    "conversion_goal": "purchase",
                    "bid_strategy": "lowest_cost",
                    "bid_amount": 42,
                    "status": "active",
                    "special_categories": ["online_gambling_and_gaming"],
                    "budget_optimization": True,
                    "start_time": "2026-03-01T00:00:00.000Z",
                    "end_time": "2026-06-30T23:59:59.000Z",
                },
                "daily_budget": 6.9,
                "platform": "meta",
                "title": "Pickaxe spring launch",
                "ad_creative_set_ids": [],
                "product_id": product["id"],
                "target_country_codes": ["US"],
            },
        )
    )
    group = await ok(
        await client.post(
            "/ad_groups",
            json={
                "ad_campaign_id": campaign["id"],
                "title": "Buyers",
                "optimization_goal": "conversions",
                "conversion_location": "website",
                "conversion_event": "purchase",
                "regions": {"include": {"countries": ["CA"]}},
            },
        )
    )
    ad = await ok(await client.post("/ads", json=ad_body(group["id"])))
    clock.advance(timedelta(minutes=1))
    await ok(
        await raw.patch(f"/ad_campaigns/{campaign['id']}", json={"config": {"status": "active"}})
    )
    return product, campaign, ad


async def deliver(engine: AsyncEngine, clock: ManualClock, ad_id: str) -> None:
    """What the network reported: an hour yesterday and one earlier today."""
    await store(
        engine,
        clock,
        [
            hour(
                ad_id,
                YESTERDAY,
                impressions=1000,
                clicks=40,
                spend_micros=2_500_000,
                event_counts={"purchase": 1},
                event_value_micros={"purchase": 30_000_000},
            ),
            hour(
                ad_id,
                EARLIER_TODAY,
                impressions=500,
                clicks=10,
                spend_micros=1_200_000,
                event_counts={"purchase": 1},
                event_value_micros={"purchase": 20_000_000},
            ),
        ],
    )


async def test_the_object_has_every_field_of_the_seed_with_real_values(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
) -> None:
    product, created, ad = await live_campaign(client, raw, tenant, clock)
    await deliver(engine, clock, ad["id"])
    assert "Api-Version-Date" not in raw.headers

    response = await raw.get(f"/ad_campaigns/{created['id']}")

    body = await ok(response)
    assert response.headers["Api-Version-Date"] == "2025-01-01"
    assert_shape(body, SEED_FIELDS)
    newest = await ok(await client.get(f"/ad_campaigns/{created['id']}"))

    assert (body["id"], body["title"], body["platform"]) == (
        created["id"],
        "Pickaxe spring launch",
        "meta",
    )
    assert body["status"] == "active"
    # The countries sent, then those its ad groups include.
    assert body["target_country_codes"] == ["US", "CA"]
    assert body["created_at"] == "2026-03-02T09:00:00.000000Z"
    assert body["updated_at"] == "2026-03-02T09:01:00.000000Z"  # launched a minute later
    assert body["paused_until"] is None  # a pause in Adline has no end

    # Delivery: what the network reported, all time and today.
    assert (body["impressions_count"], body["clicks_count"]) == (1500, 50)
    assert body["total_spend"] == 3.7 == newest["spend"]
    assert body["todays_spend"] == 1.2
    assert body["daily_budget"] == 6.9
    assert body["available_budget"] == 5.7  # the daily budget less today's spend
    assert body["purchases_count"] == newest["purchases"] == 2
    assert body["revenue"] == newest["purchase_value"] == 50.0
    # A percentage, as the original shape documents it: 50 / 3.70 is 13.5135x.
    assert body["return_on_ad_spend"] == round(newest["return_on_ad_spend"] * 100, 2) == 1351.35

    assert body["product"] == {
        "id": product["id"],
        "title": "Pickaxe Analytics",
        "route": "pickaxe-analytics",
    }
    assert body["created_by_user"]["id"] == tenant.user_id
    assert body["created_by_user"]["name"] == "Acme owner"
    assert body["config"] == {
        "conversion_goal": "purchase",
        "bid_strategy": "lowest_cost",
        "bid_amount": 42,
        "status": "active",
        "special_categories": ["online_gambling_and_gaming"],
        "budget_optimization": True,
        "start_time": "2026-03-01T00:00:00.000000Z",
        "end_time": "2026-06-30T23:59:59.000000Z",
    }
    # No credits: the tenant's saved card pays for it (docs/funding.md).
    assert body["remaining_balance"] == body["total_credits"] == 0
    assert body["payment_method"]["id"].startswith("payt_")
    assert body["billing_ledger_account"] is None

    # The list answers the same object.
    listed = await ok(await raw.get("/ad_campaigns"))
    assert listed["data"] == [body]


async def test_a_day_later_today_starts_again_and_a_pause_shows(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
) -> None:
    _, created, ad = await live_campaign(client, raw, tenant, clock)
    await deliver(engine, clock, ad["id"])
    clock.advance(timedelta(days=1))

    paused = await ok(await raw.post(f"/ad_campaigns/{created['id']}/pause"))

    assert_shape(paused, SEED_FIELDS)
    assert (paused["status"], paused["config"]["status"]) == ("paused", "paused")
    assert paused["todays_spend"] == 0
    assert paused["available_budget"] == 6.9
    assert paused["total_spend"] == 3.7


async def test_a_tiktok_campaign_without_a_product(raw: httpx.AsyncClient, tenant: Tenant) -> None:
    """The nullable fields: no product, and no `config` (it describes Meta campaigns)."""
    created = await ok(
        await raw.post(
            "/ad_campaigns",
            json={
                "company_id": tenant.company_id,
                "config": {"conversion_goal": "lead"},
                "daily_budget": 5,
                "platform": "tiktok",
                "title": "Short video",
            },
        )
    )
    body = await ok(await raw.get(f"/ad_campaigns/{created['id']}"))
    assert_shape(body, SEED_FIELDS)
    assert (body["status"], body["platform"], body["product"], body["config"]) == (
        "draft",
        "tiktok",
        None,
        None,
    )
    assert body["target_country_codes"] == []
