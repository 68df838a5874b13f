"""`order=results` and `order=cost_per_result` follow each ad group's result event, at
every level, and agree with the `results` each object shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from tests.campaigns.payloads import abo_campaign
from tests.hierarchy.builders import ad_body, group_body, ok
from tests.stats.helpers import hour, store
from tests.stats.test_ordering import walk

HOUR = datetime(2026, 3, 1, 10, tzinfo=UTC)
DOLLAR = 1_000_000

# name: (ad group settings, the stats of its one ad)
KINDS: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "purchase": ({}, {"spend_micros": 6 * DOLLAR, "event_counts": {"purchase": 2, "lead": 7}}),
    "lead": (
        {"conversion_event": "lead"},
        {"spend_micros": 6 * DOLLAR, "event_counts": {"lead": 3}},
    ),
    "custom": (
        {"conversion_event": "quiz done"},
        {
            "spend_micros": 4 * DOLLAR,
            "event_counts": {"purchase": 9},
            "custom_event_counts": {"quiz done": 4, "other": 8},
        },
    ),
    "messaging": (
        {
            "optimization_goal": "conversations",
            "conversion_location": "messaging",
            "conversion_event": None,
            "message_apps": ["messenger"],
        },
        {"spend_micros": 5 * DOLLAR, "event_counts": {"messaging_conversation": 1}},
    ),
    # Optimizes an event Whop does not attribute: no results at all.
    "unattributed": (
        {"conversion_event": "initiated_checkout"},
        {"spend_micros": 2 * DOLLAR, "event_counts": {"purchase": 5}},
    ),
    "no_stats": ({}, None),
}


@pytest.fixture
async def kinds(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> dict[str, dict[str, str]]:
    """One campaign with one group and one ad for each kind: name -> path -> id."""
    ids: dict[str, dict[str, str]] = {}
    rows = []
    for name, (settings, stats) in KINDS.items():
        campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign(title=name)))
        group = await ok(
            await client.post("/ad_groups", json=group_body(campaign["id"], **settings))
        )
        ad = await ok(await client.post("/ads", json=ad_body(group["id"])))
        ids[name] = {"/ad_campaigns": campaign["id"], "/ad_groups": group["id"], "/ads": ad["id"]}
        if stats is not None:
            rows.append(hour(ad["id"], HOUR, **stats))
    await store(engine, clock, rows)
    return ids


def names(listed: list[dict[str, Any]], ids: dict[str, dict[str, str]], path: str) -> list[str]:
    by_id = {kind[path]: name for name, kind in ids.items()}
    return [by_id[item["id"]] for item in listed]


def by_id_order(
    ids: dict[str, dict[str, str]], path: str, members: list[str], desc: bool
) -> list[str]:
    return sorted(members, key=lambda name: ids[name][path], reverse=desc)


@pytest.mark.parametrize("path", ["/ad_campaigns", "/ad_groups", "/ads"])
async def test_order_by_results(
    client: httpx.AsyncClient, kinds: dict[str, dict[str, str]], path: str
) -> None:
    listed = await walk(client, path, {"order": "results"})
    assert names(listed, kinds, path) == [
        "custom",
        "lead",
        "purchase",
        "messaging",
        "no_stats",
        "unattributed",
    ]
    assert [item["results"] for item in listed] == [4, 3, 2, 1, 0, None]
    listed = await walk(client, path, {"order": "results", "direction": "asc"})
    assert [item["results"] for item in listed] == [0, 1, 2, 3, 4, None]


@pytest.mark.parametrize("path", ["/ad_campaigns", "/ad_groups", "/ads"])
async def test_order_by_cost_per_result(
    client: httpx.AsyncClient, kinds: dict[str, dict[str, str]], path: str
) -> None:
    undefined = ["no_stats", "unattributed"]
    listed = await walk(client, path, {"order": "cost_per_result"})
    assert names(listed, kinds, path) == [
        "messaging",
        "purchase",
        "lead",
        "custom",
        *by_id_order(kinds, path, undefined, desc=True),
    ]
    assert [item["cost_per_result"] for item in listed][:4] == [5.0, 3.0, 2.0, 1.0]
    listed = await walk(client, path, {"order": "cost_per_result", "direction": "asc"})
    assert names(listed, kinds, path) == [
        "custom",
        "lead",
        "purchase",
        "messaging",
        *by_id_order(kinds, path, undefined, desc=False),
    ]
