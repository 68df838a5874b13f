"""POST /ad_groups/estimate_reach answers from the simulated network's audience model."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import assert_error


async def estimate(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/ad_groups/estimate_reach", json={"platform": "meta", **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_wider_targeting_reaches_more_people(client: httpx.AsyncClient) -> None:
    us = await estimate(client, regions={"include": {"countries": ["US"]}})
    assert set(us) == {"users_lower_bound", "users_upper_bound"}
    assert 0 < us["users_lower_bound"] < us["users_upper_bound"]
    wider = await estimate(client, regions={"include": {"countries": ["US", "CA", "GB"]}})
    assert wider["users_lower_bound"] > us["users_lower_bound"]
    narrower = await estimate(
        client,
        regions={"include": {"countries": ["US"]}},
        demographics={"minimum_age": 25, "maximum_age": 34, "gender": "female"},
    )
    assert narrower["users_upper_bound"] < us["users_lower_bound"]


async def test_bad_targeting_and_other_accounts(
    client: httpx.AsyncClient,
    other_tenant,  # type: ignore[no-untyped-def]
) -> None:
    bad = await client.post(
        "/ad_groups/estimate_reach",
        json={"platform": "meta", "regions": {"include": {"countries": ["XX"]}}},
    )
    assert_error(bad, 400, "parameter_invalid", "regions.include.countries[0]")
    missing = await client.post("/ad_groups/estimate_reach", json={})
    assert_error(missing, 400, "parameter_missing", "platform")
    theirs = await client.post(
        "/ad_groups/estimate_reach",
        json={"platform": "meta", "account_id": other_tenant.company_id},
    )
    assert_error(theirs, 404, "resource_not_found", "account_id")
