"""`order` by a stat ranks the whole list over the window, page after page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.stats.ordering import STAT_ORDERS
from tests.hierarchy.builders import ad_body, build_tree, group_body, ok
from tests.stats.helpers import hour, store

HOUR = datetime(2026, 3, 1, 10, tzinfo=UTC)
DOLLAR = 1_000_000


async def ads_in_one_group(client: httpx.AsyncClient, count: int) -> tuple[str, list[str]]:
    tree = await build_tree(client)
    group_id = tree.group["id"]
    ids = [tree.ad["id"]]
    for _ in range(count - 1):
        ids.append((await ok(await client.post("/ads", json=ad_body(group_id))))["id"])
    return group_id, ids


async def walk(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], between: Any = None
) -> list[dict[str, Any]]:
    """Every page forward with first=2; `between` runs after the first page."""
    items: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {**params, "first": 2, **({"after": after} if after else {})}
        body = await ok(await client.get(path, params=query))
        items.extend(body["data"])
        if not body["page_info"]["has_next_page"]:
            return items
        after = body["page_info"]["end_cursor"]
        if between is not None and len(items) == 2:
            await between()


async def test_order_by_spend_ranks_across_pages_and_holds_while_stats_arrive(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    group_id, ads = await ads_in_one_group(client, 5)
    spends = [3, 1, 5, 1, 4]  # two ads tie: the id breaks it
    await store(
        engine,
        clock,
        [hour(ad, HOUR, spend_micros=s * DOLLAR) for ad, s in zip(ads, spends, strict=True)],
    )
    expected = sorted(zip(spends, ads, strict=True), reverse=True)

    async def a_new_hour_arrives() -> None:
        # The cheapest ad becomes the most expensive after the first page was read.
        clock.advance(timedelta(minutes=5))
        cheapest = expected[-1][1]
        await store(
            engine, clock, [hour(cheapest, HOUR + timedelta(hours=1), spend_micros=DOLLAR * 50)]
        )

    params = {"ad_group_id": group_id, "order": "spend"}
    listed = await walk(client, "/ads", params, between=a_new_hour_arrives)
    # The walk ranks as of its first page: nothing repeats, nothing is skipped.
    assert [ad["id"] for ad in listed] == [ad for _, ad in expected]
    # Each object shows its current stats.
    assert listed[-1]["spend"] == 51.0

    # A new walk ranks with the new hour.
    fresh = await walk(client, "/ads", params)
    assert fresh[0]["id"] == expected[-1][1]
    assert [ad["spend"] for ad in fresh] == [51.0, 5.0, 4.0, 3.0, 1.0]

    ascending = await walk(client, "/ads", {**params, "direction": "asc"})
    assert [ad["id"] for ad in ascending] == [ad["id"] for ad in reversed(fresh)]


async def test_backward_pages_mirror_forward_ones(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    group_id, ads = await ads_in_one_group(client, 5)
    await store(
        engine,
        clock,
        [hour(ad, HOUR, impressions=i * 10, clicks=i) for i, ad in enumerate(ads, start=1)],
    )
    params = {"ad_group_id": group_id, "order": "impressions", "direction": "asc"}
    first = await ok(await client.get("/ads", params={**params, "first": 2}))
    second = await ok(
        await client.get(
            "/ads", params={**params, "first": 2, "after": first["page_info"]["end_cursor"]}
        )
    )
    assert [ad["id"] for ad in first["data"] + second["data"]] == ads[:4]
    back = await ok(
        await client.get(
            "/ads", params={**params, "last": 2, "before": second["page_info"]["start_cursor"]}
        )
    )
    assert [ad["id"] for ad in back["data"]] == ads[:2]
    assert back["page_info"]["has_previous_page"] is False
    assert back["page_info"]["has_next_page"] is True


@pytest.mark.parametrize("direction", ["desc", "asc"])
async def test_undefined_ratios_sort_last_in_either_direction(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, direction: str
) -> None:
    group_id, ads = await ads_in_one_group(client, 4)
    # cost per click: $1, $0.50, none (no clicks), none (no stats at all)
    await store(
        engine,
        clock,
        [
            hour(ads[0], HOUR, clicks=2, spend_micros=2 * DOLLAR),
            hour(ads[1], HOUR, clicks=4, spend_micros=2 * DOLLAR),
            hour(ads[2], HOUR, spend_micros=2 * DOLLAR),
        ],
    )
    params = {"ad_group_id": group_id, "order": "cost_per_click", "direction": direction}
    listed = [ad["id"] for ad in await walk(client, "/ads", params)]
    defined = [ads[0], ads[1]] if direction == "desc" else [ads[1], ads[0]]
    undefined = sorted(ads[2:], reverse=direction == "desc")
    assert listed == defined + undefined


async def test_every_stat_order_is_accepted_on_every_list(client: httpx.AsyncClient) -> None:
    await build_tree(client)
    assert len(STAT_ORDERS) == 13
    for order in sorted(STAT_ORDERS):
        for path in ("/ad_campaigns", "/ad_groups", "/ads"):
            for direction in ("asc", "desc"):
                params = {"order": order, "direction": direction, "first": 1}
                body = await ok(await client.get(path, params=params))
                assert len(body["data"]) == 1, (path, order)
    response = await client.get("/ads", params={"order": "purchases"})
    assert response.status_code == 400


async def test_a_cursor_belongs_to_its_order_and_direction(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    group_id, _ = await ads_in_one_group(client, 3)
    params = {"ad_group_id": group_id, "order": "spend", "first": 1}
    cursor = (await ok(await client.get("/ads", params=params)))["page_info"]["end_cursor"]
    for other in ({"order": "clicks"}, {"direction": "asc"}, {"order": "created_at"}):
        response = await client.get("/ads", params={**params, **other, "after": cursor})
        assert response.status_code == 400, other
        assert response.json()["error"]["param"] == "after"
    created = await ok(await client.get("/ads", params={**params, "order": "created_at"}))
    response = await client.get(
        "/ads", params={**params, "after": created["page_info"]["end_cursor"]}
    )
    assert response.status_code == 400


async def test_campaigns_and_groups_rank_by_their_own_totals(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    trees = [await build_tree(client, title=f"Campaign {i}") for i in range(3)]
    # The middle campaign has two groups whose spend adds up past the others.
    extra_group = await ok(
        await client.post("/ad_groups", json=group_body(trees[1].campaign["id"]))
    )
    extra_ad = await ok(await client.post("/ads", json=ad_body(extra_group["id"])))
    await store(
        engine,
        clock,
        [
            hour(trees[0].ad["id"], HOUR, spend_micros=4 * DOLLAR),
            hour(trees[1].ad["id"], HOUR, spend_micros=3 * DOLLAR),
            hour(extra_ad["id"], HOUR, spend_micros=2 * DOLLAR),
            hour(trees[2].ad["id"], HOUR, spend_micros=1 * DOLLAR),
        ],
    )
    campaigns = await walk(client, "/ad_campaigns", {"order": "spend"})
    assert [c["id"] for c in campaigns] == [trees[i].campaign["id"] for i in (1, 0, 2)]
    assert [c["spend"] for c in campaigns] == [5.0, 4.0, 1.0]
    groups = await walk(client, "/ad_groups", {"order": "spend", "direction": "asc"})
    assert [g["spend"] for g in groups] == [1.0, 2.0, 3.0, 4.0]
