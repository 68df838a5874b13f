"""Seed 004's campaign form (`POST /campaigns`, `GET /campaigns/{id}`): what it accepts
beyond the seed's example, what it refuses (naming the field under `campaign.`), and that
a refused create creates nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adline.auth import scopes
from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import ok
from tests.spend_caps.payloads import cap_body


async def new_cap(client: httpx.AsyncClient, **overrides: Any) -> str:
    cap_id: str = (await ok(await client.post("/spend_caps", json=cap_body(**overrides))))[
        "spend_cap"
    ]["id"]
    return cap_id


async def campaign_count(client: httpx.AsyncClient) -> int:
    return len((await ok(await client.get("/ad_campaigns")))["data"])


async def test_without_a_cap_or_ad_type_and_with_newest_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/campaigns",
        json={
            "campaign": {
                "title": "Always on",
                "objective": "traffic",
                "budget_optimization": "ad_campaign",
                "budget_amount": 25,
            }
        },
    )
    campaign = (await ok(response))["campaign"]
    assert (campaign["ad_type"], campaign["spend_cap_id"]) == ("ITEM", None)
    assert (campaign["objective"], campaign["platform"]) == ("traffic", "meta")
    assert (campaign["budget_amount"], campaign["budget_type"]) == (25.0, "daily")


async def test_moving_the_campaign_through_the_whop_endpoints(client: httpx.AsyncClient) -> None:
    first, second = await new_cap(client), await new_cap(client)
    body = {"campaign": {"title": "Spring Promo - Display", "spend_cap_id": first}}
    campaign = (await ok(await client.post("/campaigns", json=body)))["campaign"]
    moved = await ok(
        await client.patch(f"/ad_campaigns/{campaign['id']}", json={"spend_cap_id": second})
    )
    assert moved["spend_cap_id"] == second
    again = (await ok(await client.get(f"/campaigns/{campaign['id']}")))["campaign"]
    assert (again["spend_cap_id"], again["ad_type"]) == (second, "ITEM")


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({}, 400, "parameter_missing", "campaign"),
        ({"title": "Unwrapped"}, 400, "parameter_missing", "campaign"),
        ({"campaign": "Spring"}, 400, "parameter_invalid", "campaign"),
        ({"campaign": {}}, 400, "parameter_missing", "campaign.title"),
        ({"campaign": {"title": "x"}, "extra": 1}, 400, "parameter_invalid", "extra"),
        (
            {"campaign": {"title": "x", "colour": "red"}},
            400,
            "parameter_invalid",
            "campaign.colour",
        ),
        (
            {"campaign": {"title": "x", "ad_type": "BANNER"}},
            400,
            "parameter_invalid",
            "campaign.ad_type",
        ),
        (
            {"campaign": {"title": "x", "ad_type": "item"}},
            400,
            "parameter_invalid",
            "campaign.ad_type",
        ),
        (
            {"campaign": {"title": "x", "ad_type": None}},
            400,
            "parameter_invalid",
            "campaign.ad_type",
        ),
        (
            {"campaign": {"title": "x", "_original": {}}},
            400,
            "parameter_invalid",
            "campaign._original",
        ),
        ({"_original": {}}, 400, "parameter_invalid", "_original"),
        (
            {"campaign": {"title": "x", "spend_cap_id": "sc_AAAAAAAAAAAAAA"}},
            404,
            "resource_not_found",
            "campaign.spend_cap_id",
        ),
        (
            {"campaign": {"title": "x", "budget_amount": 25}},
            400,
            "parameter_invalid",
            "campaign.budget_amount",
        ),
    ],
)
async def test_refusals_name_the_field_and_create_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, code: str, param: str
) -> None:
    response = await client.post("/campaigns", json=body)
    error = assert_error(response, status, code, param)
    assert param in error["message"] or status == 404
    assert await campaign_count(client) == 0


async def test_a_cap_in_another_currency_is_refused_by_name(client: httpx.AsyncClient) -> None:
    cap = await new_cap(client, currency="EUR")
    body = {"campaign": {"title": "x", "spend_cap_id": cap}}
    error = assert_error(
        await client.post("/campaigns", json=body),
        400,
        "spend_cap_currency_mismatch",
        "campaign.spend_cap_id",
    )
    assert error["message"].startswith("Invalid value for campaign.spend_cap_id:")
    assert await campaign_count(client) == 0


async def test_another_companys_campaign_and_cap_are_not_found(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await new_cap(other_client)
    body = {"campaign": {"title": "x", "spend_cap_id": theirs}}
    assert_error(
        await client.post("/campaigns", json=body),
        404,
        "resource_not_found",
        "campaign.spend_cap_id",
    )
    campaign = (await ok(await other_client.post("/campaigns", json={"campaign": {"title": "x"}})))[
        "campaign"
    ]
    response = await client.get(f"/campaigns/{campaign['id']}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_not_found"


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", "/campaigns", scopes.AD_CAMPAIGN_CREATE),
        ("GET", "/campaigns/{id}", scopes.AD_CAMPAIGN_BASIC_READ),
    ],
)
async def test_the_campaign_scopes(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    tenant: Tenant,
    make_key: Any,
    method: str,
    path: str,
    scope: str,
) -> None:
    campaign = (await ok(await client.post("/campaigns", json={"campaign": {"title": "x"}})))[
        "campaign"
    ]
    url = path.format(id=campaign["id"])
    body = {"campaign": {"title": "y"}} if method == "POST" else None
    lacking = await make_key(tenant, [s for s in scopes.ALL_SCOPES if s != scope])
    refused = await anonymous.request(
        method, url, json=body, headers={"Authorization": f"Bearer {lacking}"}
    )
    assert scope in assert_error(refused, 403, "missing_scope", None)["message"]
    only = await make_key(tenant, [scope])
    allowed = await anonymous.request(
        method, url, json=body, headers={"Authorization": f"Bearer {only}"}
    )
    assert allowed.status_code == 200, allowed.text
