"""The value mappings between versions, each tested both ways."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.state_machine import AD, AD_GROUP, CAMPAIGN
from adline.core.db import create_sessionmaker
from adline.issues.service import IssueReport, report_issue
from adline.versions import mappings
from tests.hierarchy.builders import launched_tree
from tests.versions.requests import ok


def test_bid_strategy_and_bid_type_map_both_ways() -> None:
    for strategy, bid_type in mappings.BID_TYPE_OF_BID_STRATEGY.items():
        assert mappings.BID_STRATEGY_OF_BID_TYPE[bid_type] == strategy
    assert set(mappings.BID_STRATEGY_OF_BID_TYPE) == {
        "minimum_cost",
        "average_target",
        "maximum_target",
    }


def test_budget_optimization_flag_maps_both_ways() -> None:
    for flag, enum in mappings.BUDGET_OPTIMIZATION_OF_FLAG.items():
        assert mappings.FLAG_OF_BUDGET_OPTIMIZATION[enum] is flag


def test_conversion_goals_and_objectives_map_both_ways() -> None:
    for objective, goal in mappings.CONVERSION_GOAL_OF_OBJECTIVE.items():
        assert mappings.OBJECTIVE_OF_CONVERSION_GOAL[goal] == objective
    assert set(mappings.CONVERSION_GOAL_OF_OBJECTIVE) == set(
        mappings.OBJECTIVE_OF_CONVERSION_GOAL.values()
    )


def test_special_categories_map_both_ways() -> None:
    for category, legacy in mappings.LEGACY_OF_SPECIAL_AD_CATEGORY.items():
        assert mappings.SPECIAL_AD_CATEGORY_OF_LEGACY[legacy] == category


@given(st.integers(min_value=1, max_value=10**9))
def test_cents_and_dollars_round_trip(cents: int) -> None:
    assert mappings.dollars_to_cents(mappings.cents_to_dollars(cents)) == cents


@pytest.mark.parametrize(
    ("table", "statuses"),
    [
        (mappings.CAMPAIGN_STATUS_2026_06_20, CAMPAIGN.statuses),
        (mappings.AD_GROUP_STATUS_2026_06_09, AD_GROUP.statuses),
        (mappings.AD_STATUS_2026_06_09, AD.statuses),
    ],
)
def test_every_status_adline_produces_has_an_older_value(
    table: dict[str, str], statuses: list[str]
) -> None:
    assert set(statuses) <= set(table)


@pytest.mark.parametrize(
    ("status", "delivery", "original"),
    [
        ("active", "active", "active"),
        ("active", "all_ads_rejected", "flagged"),
        ("active", "in_appeal", "in_review"),
        ("paused", "all_ads_rejected", "paused"),
        ("draft", "draft", "draft"),
    ],
)
def test_original_status(status: str, delivery: str, original: str) -> None:
    assert mappings.original_campaign_status(status, delivery) == original


async def test_one_issue_in_three_shapes(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    tree = await launched_tree(client)
    report = IssueReport(
        resource_type="ad",
        resource_id=tree.ad["id"],
        severity="error",
        title="Ad rejected",
        message="Edit the text and resubmit.",
        category="policy_rejection",
        subtype="personal_attributes",
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        issue = await report_issue(
            session,
            clock,
            company_id=tenant.company_id,
            ad_campaign_id=tree.campaign["id"],
            report=replace(report),
        )
        issue_id = issue.id

    async def issues(version: str) -> list[dict[str, object]]:
        body = await ok(
            await client.get(f"/ads/{tree.ad['id']}", headers={"Api-Version-Date": version})
        )
        result: list[dict[str, object]] = body["issues"]
        return result

    assert await issues("2026-10-15-1") == [
        {
            "id": issue_id,
            "category": "error",
            "title": "Ad rejected",
            "message": "Edit the text and resubmit.",
            "resource_type": "ad",
            "resource_id": tree.ad["id"],
        }
    ]
    assert await issues("2026-06-20") == [
        {
            "id": issue_id,
            "category": "policy_rejection",
            "resource_id": tree.ad["id"],
            "resource_type": "ad",
        }
    ]
    assert await issues("2026-06-09") == [
        {
            "category": "policy_rejection",
            "subtype": "personal_attributes",
            "resource_type": "ad",
            "resource_id": tree.ad["id"],
            "created_at": "2026-03-02T09:00:00.000000Z",
            "resolution_status": "open",
        }
    ]
    original = await ok(
        await client.get(f"/ads/{tree.ad['id']}", headers={"Api-Version-Date": "2025-01-01"})
    )
    assert "issues" not in original
    assert original["status"] == "rejected"


async def test_list_filters_take_older_status_names(
    client: httpx.AsyncClient,
    engine: AsyncEngine,  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import update

    from adline.ad_groups.models import AdGroup

    tree = await launched_tree(client)
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(AdGroup).where(AdGroup.id == tree.group["id"]).values(status="duplicating")
        )

    async def group_ids(status: str, version: str) -> list[str]:
        body = await ok(
            await client.get(
                "/ad_groups", params={"status": status}, headers={"Api-Version-Date": version}
            )
        )
        return [group["id"] for group in body["data"]]

    # 2026-06-09 shows a group being copied as `inactive`, and can filter on it.
    assert await group_ids("inactive", "2026-06-09") == [tree.group["id"]]
    assert await group_ids("duplicating", NEWEST_VERSION) == [tree.group["id"]]
    assert await group_ids("in_review", "2026-06-09") == []
    bad = await client.get("/ad_groups", params={"status": "archived"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "status"


NEWEST_VERSION = "2026-10-15-1"
