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


ORIGINAL = Dialect("2025-01-01")


async def test_a_2025_01_01_start_time_error_names_config_start_time(
    client: httpx.AsyncClient,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    body = ORIGINAL.campaign(tenant.company_id)
    body["config"] = {**body["config"], "budget_optimization": True, "start_time": "soon"}
    response = await client.post("/ad_campaigns", json=body, headers=ORIGINAL.headers)
    error = assert_error(response, 400, "parameter_invalid", "config.start_time")
    assert "starts_at" not in error["message"]
    assert "config.start_time" in error["message"]
    assert (await client.get("/ad_campaigns")).json()["data"] == []


async def test_a_2025_01_01_company_error_names_company_id(
    client: httpx.AsyncClient,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    body = {**ORIGINAL.campaign(tenant.company_id), "company_id": "biz_AAAAAAAAAAAAAA"}
    response = await client.post("/ad_campaigns", json=body, headers=ORIGINAL.headers)
    assert response.status_code in (400, 403, 404), response.text
    error = response.json()["error"]
    assert error["param"] == "company_id"
    assert "account_id" not in error["message"]


async def test_a_2025_01_01_ad_group_title_error_names_name(client: httpx.AsyncClient) -> None:
    campaign_id = await _campaign(client)
    body = {**ORIGINAL.group(campaign_id), "name": "x" * 1000}
    response = await client.post("/ad_groups", json=body, headers=ORIGINAL.headers)
    error = assert_error(response, 400, "parameter_invalid", "name")
    assert "title" not in error["message"]
