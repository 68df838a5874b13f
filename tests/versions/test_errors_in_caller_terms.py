"""A 400 about a request body names the parameter the caller's version has, in its `param`
and in its message, not the newest version's name for it."""

from __future__ import annotations

import httpx

from tests.helpers import assert_error
from tests.versions.requests import NEWEST, Dialect, ok

OLD = Dialect("2026-06-09")


async def _campaign(client: httpx.AsyncClient) -> str:
    body = {"title": "Errors", "objective": "sales", "platform": "meta"}
    created = await ok(await client.post("/ad_campaigns", json=body))
    campaign_id: str = created["id"]
    return campaign_id


async def test_a_2026_06_09_budget_error_names_budget(client: httpx.AsyncClient) -> None:
    campaign_id = await _campaign(client)
    body = {**OLD.group(campaign_id), "budget": -5}
    response = await client.post("/ad_groups", json=body, headers=OLD.headers)
    error = assert_error(response, 400, "parameter_invalid", "budget")
    assert "budget_amount" not in error["message"]
    assert "budget" in error["message"]


async def test_the_newest_version_keeps_its_own_names(client: httpx.AsyncClient) -> None:
    campaign_id = await _campaign(client)
    body = {**Dialect(NEWEST).group(campaign_id), "budget_amount": -5}
    response = await client.post("/ad_groups", json=body, headers={"Api-Version-Date": NEWEST})
    error = assert_error(response, 400, "parameter_invalid", "budget_amount")
    assert "budget_amount" in error["message"]
