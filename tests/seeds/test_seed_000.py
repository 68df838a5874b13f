"""Seed 000 as printed: `POST /ad_campaigns/{id}/pause` with only the bearer key, answered
unversioned (no `Api-Version-Date`, a key with no pinned version: the original 2025-01-01
shape, as the seed says) and at `Api-Version-Date: 2026-06-20` (the seed's example
response: its keys, and the type the seed prints for each field)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.issues.service import IssueReport, report_issue
from tests.conftest import Tenant
from tests.hierarchy.builders import Tree, launched_tree
from tests.seeds.printed import (
    NUMBER,
    STRING,
    ArrayOf,
    Spec,
    assert_same_structure,
    assert_shape,
    enum,
    nullable,
)
from tests.seeds.test_seed_003 import SEED_FIELDS as SEED_003_FIELDS

# The seed's example response, verbatim.
SEED_EXAMPLE: dict[str, Any] = {
    "id": "<string>",
    "title": "<string>",
    "status": "draft",
    "platform": "meta",
    "objective": "awareness",
    "special_ad_categories": ["housing"],
    "optimization_goal": "<string>",
    "budget_amount": 123,
    "budget_type": "daily",
    "budget_optimization": "ad_campaign",
    "bid_type": "minimum_cost",
    "created_at": "<string>",
    "updated_at": "<string>",
    "click_through_rate": 123,
    "clicks": 123,
    "cost_per_click": 123,
    "cost_per_lead": 123,
    "cost_per_mille": 123,
    "cost_per_purchase": 123,
    "cost_per_result": 123,
    "frequency": 123,
    "impressions": 123,
    "leads": 123,
    "purchase_value": 123,
    "purchases": 123,
    "reach": 123,
    "return_on_ad_spend": 123,
    "spend": 123,
    "spend_currency": "<string>",
    "unique_click_through_rate": 123,
    "unique_clicks": 123,
    "issues": [
        {
            "id": "<string>",
            "category": "policy_rejection",
            "resource_id": "<string>",
            "resource_type": "ad_campaign",
        }
    ],
}

# The seed's field list: each field's printed type (`enum<string> | null` and so on).
SEED_FIELDS: dict[str, Spec] = {
    "id": STRING,
    "title": STRING,
    "status": enum("draft", "active", "paused", "payment_failed"),
    "platform": enum("meta"),
    "objective": nullable(enum("awareness", "traffic", "engagement", "leads", "sales")),
    "special_ad_categories": ArrayOf(
        enum("housing", "employment", "financial_products", "politics")
    ),
    "optimization_goal": nullable(STRING),
    "budget_amount": nullable(NUMBER),
    "budget_type": nullable(enum("daily", "lifetime")),
    "budget_optimization": nullable(enum("ad_campaign", "ad_group")),
    "bid_type": nullable(enum("minimum_cost", "average_target", "maximum_target")),
    "created_at": STRING,
    "updated_at": STRING,
    "click_through_rate": NUMBER,
    "clicks": NUMBER,
    "cost_per_click": NUMBER,
    "cost_per_lead": nullable(NUMBER),
    "cost_per_mille": NUMBER,
    "cost_per_purchase": nullable(NUMBER),
    "cost_per_result": nullable(NUMBER),
    "frequency": nullable(NUMBER),
    "impressions": NUMBER,
    "leads": NUMBER,
    "purchase_value": NUMBER,
    "purchases": NUMBER,
    "reach": NUMBER,
    "return_on_ad_spend": NUMBER,
    "spend": NUMBER,
    "spend_currency": nullable(STRING),
    "unique_click_through_rate": nullable(NUMBER),
    "unique_clicks": NUMBER,
    # The seed prints the items' keys only in the example: their values' types are taken
    # from it (`category` and `resource_type` as seed 001 enumerates them).
    "issues": ArrayOf(
        {
            "id": STRING,
            "category": enum(
                "policy_rejection", "creative_media", "audience_targeting", "ad_volume_limit"
            ),
            "resource_id": STRING,
            "resource_type": enum("ad_campaign", "ad_group", "ad"),
        }
    ),
}

# Unversioned callers get the original shape (seed 000's header note): the AdCampaign
# seed 003 prints, field for field (tests/seeds/test_seed_003.py).
ORIGINAL_FIELDS = SEED_003_FIELDS


@pytest.fixture
async def raw(app: FastAPI, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """The seed's curl: the bearer key and nothing else (no `Api-Version-Date`); the
    tenant's key pins no version."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://adline.test/api/v1",
        headers={"Authorization": f"Bearer {tenant.key}"},
    ) as c:
        yield c


async def flagged_tree(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> Tree:
    """A launched campaign with an open issue, so that `issues` has an item to check."""
    tree = await launched_tree(client)
    async with create_sessionmaker(engine)() as session, session.begin():
        await report_issue(
            session,
            clock,
            company_id=tenant.company_id,
            ad_campaign_id=tree.campaign["id"],
            report=IssueReport(
                resource_type="ad_campaign",
                resource_id=tree.campaign["id"],
                severity="warning",
                title="Audience too narrow",
                message="Widen the regions or ages to reach more people.",
                category="audience_targeting",
            ),
        )
    return tree


async def test_pause_unversioned_answers_the_original_shape(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
) -> None:
    tree = await flagged_tree(client, engine, clock, tenant)
    assert "Api-Version-Date" not in raw.headers
    clock.advance(timedelta(minutes=5))

    response = await raw.post(f"/ad_campaigns/{tree.campaign['id']}/pause")

    assert response.status_code == 200, response.text
    assert response.headers["Api-Version-Date"] == "2025-01-01"
    body = response.json()
    assert_shape(body, ORIGINAL_FIELDS)
    assert (body["id"], body["status"]) == (tree.campaign["id"], "paused")
    assert body["config"]["status"] == "paused"
    assert body["updated_at"].startswith("2026-03-02T09:05:00")


async def pause_at_2026_06_20(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
) -> tuple[Tree, httpx.Response]:
    tree = await flagged_tree(client, engine, clock, tenant)
    clock.advance(timedelta(minutes=5))
    response = await raw.post(
        f"/ad_campaigns/{tree.campaign['id']}/pause", headers={"Api-Version-Date": "2026-06-20"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["Api-Version-Date"] == "2026-06-20"
    return tree, response


async def test_pause_at_2026_06_20_answers_the_seeds_fields_and_types(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
) -> None:
    tree, response = await pause_at_2026_06_20(client, raw, engine, clock, tenant)
    body = response.json()

    assert_shape(body, SEED_FIELDS)
    assert_same_structure(body, SEED_EXAMPLE)
    assert (body["id"], body["status"]) == (tree.campaign["id"], "paused")
    assert body["updated_at"] == "2026-03-02T09:05:00.000000Z"
    [issue] = body["issues"]
    assert (issue["resource_type"], issue["resource_id"]) == ("ad_campaign", body["id"])
    assert issue["category"] == "audience_targeting"
