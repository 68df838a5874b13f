"""When the campaign's budget settings change, its ad groups follow."""

from __future__ import annotations

import httpx

from tests.campaigns.payloads import cbo_campaign
from tests.hierarchy.builders import build_tree, group_body, ok


async def test_switching_to_a_campaign_budget_clears_the_groups_budgets(
    client: httpx.AsyncClient,
) -> None:
    tree = await build_tree(client)
    assert tree.group["budget_amount"] == 10
    campaign = await ok(
        await client.patch(
            f"/ad_campaigns/{tree.campaign['id']}",
            json={"budget_optimization": "ad_campaign", "budget_amount": 30},
        )
    )
    assert campaign["budget_amount"] == 30
    group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
    assert (group["budget_amount"], group["budget_type"], group["bid_type"]) == (None, None, None)
    launched = await ok(
        await client.patch(f"/ad_campaigns/{tree.campaign['id']}", json={"status": "active"})
    )
    assert launched["status"] == "active"


async def test_switching_to_ad_group_budgets_needs_a_budget_on_each_group_to_launch(
    client: httpx.AsyncClient,
) -> None:
    campaign = await ok(await client.post("/ad_campaigns", json=cbo_campaign()))
    body = group_body(campaign["id"])
    del body["budget_amount"], body["budget_type"]
    group = await ok(await client.post("/ad_groups", json=body))
    await ok(
        await client.post(
            "/ads",
            json={"ad_group_id": group["id"], "url": "https://example.com", "title": "Ad"},
        )
    )
    await ok(
        await client.patch(
            f"/ad_campaigns/{campaign['id']}", json={"budget_optimization": "ad_group"}
        )
    )
    refused = await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"})
    assert refused.status_code == 400
    assert group["id"] in refused.json()["error"]["message"]
    await ok(await client.patch(f"/ad_groups/{group['id']}", json={"budget_amount": 12}))
    launched = await ok(
        await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"})
    )
    assert launched["status"] == "active"


async def test_lowest_cost_bidding_clears_the_groups_cost_targets(
    client: httpx.AsyncClient,
) -> None:
    campaign = await ok(
        await client.post(
            "/ad_campaigns",
            json=cbo_campaign(bid_type="maximum_target", desired_cost_per_result=5),
        )
    )
    body = group_body(campaign["id"], desired_cost_per_result=4)
    del body["budget_amount"], body["budget_type"]
    group = await ok(await client.post("/ad_groups", json=body))
    assert group["desired_cost_per_result"] == 4
    await ok(
        await client.patch(f"/ad_campaigns/{campaign['id']}", json={"bid_type": "minimum_cost"})
    )
    group = await ok(await client.get(f"/ad_groups/{group['id']}"))
    assert group["desired_cost_per_result"] is None
