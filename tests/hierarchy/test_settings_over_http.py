"""Every ad group and ad validation case of the unit tests, sent again over HTTP.

The unit tests (tests/ad_groups, tests/ads) run each rule through the same functions the
endpoints call; here each bad body goes through POST /ad_groups or POST /ads and must get
the same 400 with the same `param`, and nothing is created.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.ad_groups.test_settings import INVALID_AD_GROUP_CASES, valid_ad_group_body
from tests.ads.test_content import GROUP_KINDS, INVALID_AD_CASES, valid_ad_body
from tests.helpers import assert_error
from tests.hierarchy.builders import ok

CAMPAIGN_BODIES: dict[str, dict[str, Any]] = {
    "abo": {"title": "Settings", "objective": "sales", "platform": "meta"},
    "cbo": {
        "title": "Settings",
        "objective": "traffic",
        "platform": "meta",
        "budget_optimization": "ad_campaign",
        "budget_amount": 25,
    },
    "search_abo": {
        "title": "Settings",
        "objective": "sales",
        "platform": "meta",
        "campaign_type": "search",
    },
    "abo_special": {
        "title": "Settings",
        "objective": "sales",
        "platform": "meta",
        "special_ad_categories": ["housing"],
    },
    "tiktok_abo": {"title": "Settings", "objective": "sales", "platform": "tiktok"},
}


@pytest.mark.parametrize(
    ("case_id", "kind", "overrides", "code", "param"),
    INVALID_AD_GROUP_CASES,
    ids=[case[0] for case in INVALID_AD_GROUP_CASES],
)
async def test_ad_group_case(
    client: httpx.AsyncClient,
    case_id: str,
    kind: str,
    overrides: dict[str, Any],
    code: str,
    param: str,
) -> None:
    campaign = await ok(await client.post("/ad_campaigns", json=CAMPAIGN_BODIES[kind]))
    body = {**valid_ad_group_body(kind), "ad_campaign_id": campaign["id"], **overrides}
    assert_error(await client.post("/ad_groups", json=body), 400, code, param)
    assert (await client.get("/ad_groups")).json()["data"] == []


async def ad_group_of_kind(client: httpx.AsyncClient, kind: str) -> dict[str, Any]:
    """An ABO campaign and ad group over HTTP, like tests.ads.test_content.group_for(kind)."""
    platform, objective, goal, location = GROUP_KINDS[kind]
    campaign = await ok(
        await client.post(
            "/ad_campaigns", json={"title": kind, "objective": objective, "platform": platform}
        )
    )
    return await ok(
        await client.post(
            "/ad_groups",
            json={
                "ad_campaign_id": campaign["id"],
                "title": f"Group {kind}",
                "budget_amount": 20,
                "optimization_goal": goal,
                "conversion_location": location,
            },
        )
    )


@pytest.mark.parametrize(
    ("case_id", "kind", "overrides", "code", "param"),
    INVALID_AD_CASES,
    ids=[case[0] for case in INVALID_AD_CASES],
)
async def test_ad_case(
    client: httpx.AsyncClient,
    case_id: str,
    kind: str,
    overrides: dict[str, Any],
    code: str,
    param: str,
) -> None:
    group = await ad_group_of_kind(client, kind)
    body = {**valid_ad_body(kind), "ad_group_id": group["id"], **overrides}
    assert_error(await client.post("/ads", json=body), 400, code, param)
    assert (await client.get("/ads")).json()["data"] == []
