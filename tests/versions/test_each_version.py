"""Every version, end to end: each response has exactly its version's keys and types."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from adline.core.versioning import token_order
from adline.versions.shapes import RESPONSE_SHAPES
from tests.helpers import assert_error
from tests.versions.requests import VERSIONS, Dialect, ok


def check(version: str, kind: str, body: Any) -> None:
    model: type[BaseModel] = RESPONSE_SHAPES[version][kind]
    if version == "2026-10-15-1":
        # The newest models are the domains' own: exact keys checked here, types by pydantic.
        assert set(body) == set(model.model_fields), set(body) ^ set(model.model_fields)
        model.model_validate(body)
    else:
        model.model_validate(body, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
async def test_lifecycle_in_each_version(
    anonymous: httpx.AsyncClient,
    tenant,
    version: str,  # type: ignore[no-untyped-def]
) -> None:
    dialect = Dialect(version)
    headers = {**tenant.headers, **dialect.headers}
    api = anonymous

    async def call(method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = await api.request(method, path, json=body, headers=headers, params=params)
        result = await ok(response)
        assert response.headers["Api-Version-Date"] == version
        return result

    campaign = await call("POST", "/ad_campaigns", dialect.campaign(tenant.company_id))
    check(version, "ad_campaign", campaign)
    group = await call("POST", "/ad_groups", dialect.group(campaign["id"]))
    check(version, "ad_group", group)
    ad = await call("POST", "/ads", dialect.ad(group["id"]))
    check(version, "ad", ad)

    for kind, path, obj in (
        ("ad_campaign", "/ad_campaigns", campaign),
        ("ad_group", "/ad_groups", group),
        ("ad", "/ads", ad),
    ):
        check(version, kind, await call("GET", f"{path}/{obj['id']}"))
        listed = await call("GET", path)
        assert set(listed) == {"data", "page_info"}
        assert [item["id"] for item in listed["data"]] == [obj["id"]]
        for item in listed["data"]:
            check(version, kind, item)

    updated = await call(
        "PATCH", f"/ad_campaigns/{campaign['id']}", dialect.campaign_update("Renamed")
    )
    check(version, "ad_campaign", updated)
    assert updated["title"] == "Renamed"
    group = await call("PATCH", f"/ad_groups/{group['id']}", dialect.group_update("Regrouped"))
    check(version, "ad_group", group)
    assert group["title"] == "Regrouped"
    ad = await call("PATCH", f"/ads/{ad['id']}", {"title": "Retitled"})
    check(version, "ad", ad)
    assert ad["title"] == "Retitled"

    launched = await call("PATCH", f"/ad_campaigns/{campaign['id']}", dialect.launch())
    check(version, "ad_campaign", launched)
    assert launched["status"] == "active"
    for kind, path, obj in (
        ("ad_campaign", "/ad_campaigns", campaign),
        ("ad_group", "/ad_groups", group),
        ("ad", "/ads", ad),
    ):
        paused = await call("POST", f"{path}/{obj['id']}/pause")
        check(version, kind, paused)
        assert paused["status"] == "paused"
        resumed = await call("POST", f"{path}/{obj['id']}/unpause")
        check(version, kind, resumed)
        assert resumed["status"] == "active"

    copies = await call("POST", f"/ad_campaigns/{campaign['id']}/duplicate", {"count": 1})
    assert set(copies) == {"data"}
    for copy in copies["data"]:
        check(version, "ad_campaign", copy)

    deleted_ad = await call("DELETE", f"/ads/{ad['id']}")
    # The Stainless clients (2026-07-08-1 and before) read a delete's answer as a boolean.
    bare = token_order(version) <= token_order("2026-07-08-1")
    assert deleted_ad == (True if bare else {"id": ad["id"], "deleted": True})
    deleted_group = await call("DELETE", f"/ad_groups/{group['id']}")
    assert deleted_group == (True if bare else {"id": group["id"], "deleted": True})
    deleted = await call("DELETE", f"/ad_campaigns/{campaign['id']}")
    assert deleted == (True if bare else {"id": campaign["id"], "deleted": True})


NEWER_FIELDS = {
    # version: (method, path template, body with a field that version never had, param)
    "2026-09-29": [
        (
            "POST",
            "/ad_campaigns",
            {"title": "x", "objective": "sales", "platform": "meta", "campaign_type": "search"},
            "campaign_type",
        ),
        ("POST", "/ad_groups", {"ad_campaign_id": "adcamp_x", "keywords": []}, "keywords"),
        ("POST", "/ads", {"ad_group_id": "adgrp_x", "external_accounts": []}, "external_accounts"),
    ],
    "2026-09-23": [
        (
            "POST",
            "/ad_groups",
            {"ad_campaign_id": "adcamp_x", "delivery_schedule": None},
            "delivery_schedule",
        ),
        ("POST", "/ads", {"ad_group_id": "adgrp_x", "translations": None}, "translations"),
    ],
    "2026-09-15": [
        (
            "POST",
            "/ad_campaigns",
            {"title": "x", "objective": "sales", "platform": "meta", "budget_amount_local": 5},
            "budget_amount_local",
        ),
    ],
    "2026-08-21-1": [
        ("POST", "/ads", {"ad_group_id": "adgrp_x", "existing_post_id": "1"}, "existing_post_id"),
        ("POST", "/ads", {"ad_group_id": "adgrp_x", "music": None}, "music"),
    ],
    "2026-07-08-1": [
        (
            "POST",
            "/ad_groups",
            {"ad_campaign_id": "adcamp_x", "detailed_targeting": None},
            "detailed_targeting",
        ),
    ],
    "2026-06-20": [
        (
            "POST",
            "/ad_campaigns",
            {"title": "x", "objective": "sales", "platform": "meta", "campaign_type": "search"},
            "campaign_type",
        ),
        ("POST", "/ad_groups", {"ad_campaign_id": "adcamp_x", "languages": ["en"]}, "languages"),
        ("POST", "/ads", {"ad_group_id": "adgrp_x", "url": "https://example.com"}, "url"),
    ],
    "2026-06-09": [
        (
            "POST",
            "/ad_campaigns",
            {"title": "x", "objective": "sales", "platform": "meta", "budget_amount": 10},
            "budget_amount",
        ),
        (
            "POST",
            "/ad_campaigns",
            {"title": "x", "objective": "sales", "platform": "meta", "bid_type": "minimum_cost"},
            "bid_type",
        ),
        (
            "POST",
            "/ad_groups",
            {"ad_campaign_id": "adcamp_x", "budget_amount": 10},
            "budget_amount",
        ),
    ],
    "2025-01-01": [
        (
            "POST",
            "/ad_campaigns",
            {"title": "x", "objective": "sales", "platform": "meta"},
            "objective",
        ),
        (
            "POST",
            "/ad_campaigns",
            {
                "company_id": "biz_x",
                "title": "x",
                "platform": "meta",
                "daily_budget": 6,
                "config": {"objective": "sales"},
                "account_id": "biz_x",
            },
            "account_id",
        ),
        ("POST", "/ad_groups", {"ad_campaign_id": "adcamp_x"}, "ad_campaign_id"),
        ("POST", "/ad_groups", {"campaign_id": "adcamp_x", "title": "x"}, "title"),
    ],
    "2026-10-15-1": [
        (
            "POST",
            "/ad_campaigns",
            {"title": "x", "objective": "sales", "platform": "meta", "company_id": "biz_x"},
            "company_id",
        ),
        (
            "POST",
            "/ad_campaigns",
            {"title": "x", "objective": "sales", "platform": "meta", "daily_budget": 6},
            "daily_budget",
        ),
        ("POST", "/ad_groups", {"ad_campaign_id": "adcamp_x", "budget": 10}, "budget"),
    ],
}
NEWER_CASES = [(version, *case) for version, cases in NEWER_FIELDS.items() for case in cases]


@pytest.mark.parametrize(("version", "method", "path", "body", "param"), NEWER_CASES)
async def test_fields_of_other_versions_are_refused(
    client: httpx.AsyncClient,
    version: str,
    method: str,
    path: str,
    body: dict[str, Any],
    param: str,
) -> None:
    response = await client.request(method, path, json=body, headers={"Api-Version-Date": version})
    assert_error(response, 400, "parameter_invalid", param)
    assert (await client.get(path)).json()["data"] == []


async def test_unversioned_callers_get_the_original_shapes(
    anonymous: httpx.AsyncClient,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    anonymous.headers.pop("Api-Version-Date")
    response = await anonymous.post(
        "/ad_campaigns",
        json=Dialect("2025-01-01").campaign(tenant.company_id),
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Api-Version-Date"] == "2025-01-01"
    check("2025-01-01", "ad_campaign", response.json())
