"""`adline simulate` builds its campaigns in bulk: the trees read through the API exactly as
if a client had created them, past the old 500-campaign limit, and a seed still decides
the whole table."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.campaigns.models import AdCampaign
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.migrate import migrate
from adline.delivery.simulate import (
    MAX_CAMPAIGNS,
    CampaignPlan,
    SeededIds,
    build_campaigns,
    plan_campaigns,
    simulate,
)
from tests.conftest import Tenant
from tests.hierarchy.builders import ok

ENDS_AT = datetime(2026, 3, 9, 9, tzinfo=UTC)
# Fields that name the object or its parents: everything else must match.
NAMES = {"id", "ad_campaign", "ad_group", "ad_campaign_id", "ad_group_id"}


def plans(count: int, seed: int) -> list[CampaignPlan]:
    return list(
        plan_campaigns(count, random.Random(seed), lifetime_share=0.5, ends_at=ENDS_AT, days=7)
    )


async def via_api(client: httpx.AsyncClient, plan: CampaignPlan) -> str:
    """The campaign as a client creates it: POST each object, then launch."""
    campaign = await ok(await client.post("/ad_campaigns", json=plan.campaign))
    for group_body, ad_bodies in plan.groups:
        group = await ok(
            await client.post("/ad_groups", json={**group_body, "ad_campaign_id": campaign["id"]})
        )
        for ad_body in ad_bodies:
            await ok(await client.post("/ads", json={**ad_body, "ad_group_id": group["id"]}))
    await ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
    return str(campaign["id"])


def unnamed(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in NAMES}


async def tree(client: httpx.AsyncClient, campaign_id: str) -> dict[str, Any]:
    """The campaign, its groups and their ads as the API reads them, without ids."""
    campaign = await ok(await client.get(f"/ad_campaigns/{campaign_id}"))
    groups = await ok(
        await client.get("/ad_groups", params={"ad_campaign_id": campaign_id, "first": 100})
    )
    ads = await ok(await client.get("/ads", params={"ad_campaign_id": campaign_id, "first": 100}))
    assert {ad["ad_group"]["id"] for ad in ads["data"]} <= {g["id"] for g in groups["data"]}
    return {
        "campaign": unnamed(campaign),
        "groups": sorted((unnamed(group) for group in groups["data"]), key=repr),
        "ads": sorted((unnamed(ad) for ad in ads["data"]), key=repr),
    }


async def test_bulk_built_campaigns_read_as_if_a_client_created_them(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> None:
    planned = plans(6, seed=3)
    assert {plan.budget_type for plan in planned} == {"daily", "lifetime"}
    built = await build_campaigns(
        create_sessionmaker(engine), clock, tenant.company_id, planned, SeededIds(3, 0)
    )
    try:
        assert list(built.values()) == planned
        for campaign_id, plan in built.items():
            assert campaign_id.startswith("adcamp_") and len(campaign_id) == len("adcamp_") + 14
            bulk = await tree(client, campaign_id)
            assert bulk["campaign"]["status"] == "active"
            assert len(bulk["groups"]) == len(plan.groups)
            assert len(bulk["ads"]) == sum(len(ads) for _, ads in plan.groups)
            assert bulk == await tree(client, await via_api(client, plan))
    finally:
        await retire(engine, tenant)


async def test_more_than_500_campaigns_are_built_and_listed(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> None:
    built = await build_campaigns(
        create_sessionmaker(engine), clock, tenant.company_id, plans(501, seed=4), SeededIds(4, 0)
    )
    try:
        listed: list[dict[str, Any]] = []
        params: dict[str, str] = {"first": "100"}
        while True:
            page = await ok(await client.get("/ad_campaigns", params=params))
            listed += page["data"]
            if not page["page_info"]["has_next_page"]:
                break
            params["after"] = page["page_info"]["end_cursor"]
        assert sorted(campaign["id"] for campaign in listed) == sorted(built)
        assert {campaign["status"] for campaign in listed} == {"active"}
        assert MAX_CAMPAIGNS >= 100_000
    finally:
        await retire(engine, tenant)


async def retire(engine: AsyncEngine, tenant: Tenant) -> None:
    """Delete the tenant's campaigns so later delivery tests (whose worker serves every
    company in the store) do not deliver them too."""
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    async with create_sessionmaker(engine)() as session, session.begin():
        for model in (Ad, AdGroup, AdCampaign):
            await session.execute(
                update(model)
                .where(model.company_id == tenant.company_id, model.deleted_at.is_(None))
                .values(deleted_at=now)
            )


def test_a_seed_decides_the_whole_summary(tmp_path: Path) -> None:
    """On fresh stores of its own (SQLite files), whatever the suite's store."""
    start = datetime(2026, 3, 2, 0, tzinfo=UTC)

    def run(store: str, seed: int) -> list[Any]:
        url = f"sqlite+aiosqlite:///{tmp_path / store}"
        migrate(url)
        result = asyncio.run(
            simulate(
                Settings(database_url=url, delivery_interval=0),
                days=1,
                campaigns=4,
                seed=seed,
                lifetime_share=0.5,
                start=start,
            )
        )
        assert result.started_at == start
        return result.campaigns

    first = run("one.db", seed=8)
    assert sum(row.spend for row in first) > 0
    assert run("two.db", seed=8) == first
    other = run("three.db", seed=9)
    assert [row.spend for row in other] != [row.spend for row in first]
    # The same seed again in a store that holds its ids: other ids, so other draws.
    again = run("one.db", seed=8)
    assert {row.id for row in again}.isdisjoint(row.id for row in first)
    assert [row.title for row in again] == [row.title for row in first]


async def test_simulate_refuses_more_than_the_maximum(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    for campaigns in (0, MAX_CAMPAIGNS + 1):
        try:
            await simulate(settings, days=1, campaigns=campaigns, seed=1)
        except ValueError as error:
            assert f"{MAX_CAMPAIGNS:,}" in str(error)
        else:
            raise AssertionError("accepted")


def test_the_id_sets_of_a_seed_differ_by_salt() -> None:
    first, second = SeededIds(1, 0), SeededIds(1, 1)
    assert first.new("ad") == SeededIds(1, 0).new("ad")
    assert first.new("ad") != second.new("ad")
