"""Objects written in one version read correctly in every other (4 x 4)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.versions.requests import NEWEST, VERSIONS, Dialect, ok

PAIRS = [(writer, reader) for writer in VERSIONS for reader in VERSIONS]


def cbo_campaign(dialect: Dialect, company_id: str) -> dict[str, Any]:
    """A campaign owning a $25/day budget, in the writer's words."""
    if dialect.version == "2025-01-01":
        return {
            "company_id": company_id,
            "title": "Round trip",
            "platform": "meta",
            "daily_budget": 25,
            "config": {"objective": "traffic", "budget_optimization": True},
        }
    if dialect.version == "2026-06-09":
        return {"title": "Round trip", "objective": "traffic", "platform": "meta", "budget": 25}
    return {
        "title": "Round trip",
        "objective": "traffic",
        "platform": "meta",
        "budget_optimization": "ad_campaign",
        "budget_amount": 25,
    }


def campaign_budget(version: str, body: dict[str, Any]) -> Any:
    return {"2025-01-01": body.get("daily_budget"), "2026-06-09": body.get("budget")}.get(
        version, body.get("budget_amount")
    )


def group_budget(version: str, body: dict[str, Any]) -> Any:
    return body["budget"] if version in ("2025-01-01", "2026-06-09") else body["budget_amount"]


@pytest.mark.parametrize(("writer", "reader"), PAIRS, ids=[f"{w}->{r}" for w, r in PAIRS])
async def test_round_trip(
    anonymous: httpx.AsyncClient,
    tenant,
    writer: str,
    reader: str,  # type: ignore[no-untyped-def]
) -> None:
    write, read = Dialect(writer), Dialect(reader)
    as_writer = {**tenant.headers, **write.headers}
    as_reader = {**tenant.headers, **read.headers}
    as_newest = {**tenant.headers, "Api-Version-Date": NEWEST}

    campaign = await ok(
        await anonymous.post(
            "/ad_campaigns", json=cbo_campaign(write, tenant.company_id), headers=as_writer
        )
    )
    seen = await ok(await anonymous.get(f"/ad_campaigns/{campaign['id']}", headers=as_reader))
    assert (seen["id"], seen["title"], seen["platform"], seen["status"]) == (
        campaign["id"],
        "Round trip",
        "meta",
        "draft",
    )
    assert campaign_budget(reader, seen) == 25

    # Ad groups and ads, written in the writer's version under an ABO campaign.
    abo = await ok(
        await anonymous.post(
            "/ad_campaigns",
            json={"title": "ABO", "objective": "sales", "platform": "meta"},
            headers=as_newest,
        )
    )
    group = await ok(
        await anonymous.post(
            "/ad_groups", json=write.group(abo["id"], "Written"), headers=as_writer
        )
    )
    ad = await ok(
        await anonymous.post("/ads", json=write.ad(group["id"], "Ad written"), headers=as_writer)
    )
    seen_group = await ok(await anonymous.get(f"/ad_groups/{group['id']}", headers=as_reader))
    seen_ad = await ok(await anonymous.get(f"/ads/{ad['id']}", headers=as_reader))
    assert (seen_group["title"], seen_group["status"], seen_group["ad_campaign"]) == (
        "Written",
        "active",
        {"id": abo["id"]},
    )
    assert group_budget(reader, seen_group) == 10
    assert (seen_ad["title"], seen_ad["status"], seen_ad["ad_group"]) == (
        "Ad written",
        "active",
        {"id": group["id"]},
    )


async def test_original_fields_survive_newer_writes(
    anonymous: httpx.AsyncClient,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    """What only 2025-01-01 has (countries, ABO fallback budget, config) outlives edits in
    newer versions, and newer settings show in the original `config`."""
    original = {**tenant.headers, "Api-Version-Date": "2025-01-01"}
    newest = {**tenant.headers, "Api-Version-Date": NEWEST}
    created = await ok(
        await anonymous.post(
            "/ad_campaigns",
            json=Dialect("2025-01-01").campaign(tenant.company_id),
            headers=original,
        )
    )
    assert created["target_country_codes"] == ["US", "CA"]
    assert created["daily_budget"] == 6.9
    assert created["config"]["special_categories"] == ["credit"]
    assert created["config"]["budget_optimization"] is False
    assert created["config"]["conversion_goal"] == "purchase"  # as sent (objective: sales)
    newer = await ok(
        await anonymous.patch(
            f"/ad_campaigns/{created['id']}",
            json={"title": "Edited newer", "special_ad_categories": ["housing"]},
            headers=newest,
        )
    )
    assert newer["special_ad_categories"] == ["housing"]
    assert newer["budget_optimization"] == "ad_group"
    again = await ok(await anonymous.get(f"/ad_campaigns/{created['id']}", headers=original))
    assert again["title"] == "Edited newer"
    assert again["target_country_codes"] == ["US", "CA"]
    assert again["daily_budget"] == 6.9
    assert again["config"]["special_categories"] == ["housing"]
    # Once its ad groups have daily budgets, their sum is the campaign's daily budget.
    group = await ok(
        await anonymous.post(
            "/ad_groups",
            json={
                "ad_campaign_id": created["id"],
                "budget_amount": 7,
                "regions": {"include": {"countries": ["MX"]}},
            },
            headers=newest,
        )
    )
    assert group["budget_amount"] == 7
    summed = await ok(await anonymous.get(f"/ad_campaigns/{created['id']}", headers=original))
    assert summed["daily_budget"] == 7
    assert summed["target_country_codes"] == ["US", "CA", "MX"]
