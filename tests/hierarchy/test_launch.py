"""Launching a draft campaign: what it needs, and what it does."""

from __future__ import annotations

import httpx
import pytest

from tests.campaigns.payloads import abo_campaign, cbo_campaign
from tests.helpers import assert_error
from tests.hierarchy.builders import ad_body, build_tree, group_body, ok


async def launch(client: httpx.AsyncClient, campaign_id: str) -> httpx.Response:
    return await client.patch(f"/ad_campaigns/{campaign_id}", json={"status": "active"})


class TestLaunch:
    async def test_a_complete_campaign_launches_and_delivers(
        self, client: httpx.AsyncClient
    ) -> None:
        tree = await build_tree(client)
        assert tree.campaign["delivery_status"] == "draft"
        assert tree.group["delivery_status"] == "draft"
        assert tree.ad["delivery_status"] == "draft"
        launched = await ok(await launch(client, tree.campaign["id"]))
        assert launched["status"] == "active"
        assert launched["delivery_status"] == "active"
        group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
        ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
        assert (group["delivery_status"], ad["delivery_status"]) == ("active", "active")
        # The campaign reports its groups' shared goal and result event.
        assert launched["optimization_goal"] == "conversions"
        assert launched["result_event"] == "purchase"
        assert launched["results"] == 0
        assert launched["cost_per_result"] == 0
        assert launched["cost_per_purchase"] == 0
        assert launched["cost_per_lead"] is None

    async def test_no_ad_groups(self, client: httpx.AsyncClient) -> None:
        campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
        error = assert_error(
            await launch(client, campaign["id"]), 400, "campaign_incomplete", "status"
        )
        assert "no ad groups" in error["message"]

    async def test_no_ads(self, client: httpx.AsyncClient) -> None:
        campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
        await ok(await client.post("/ad_groups", json=group_body(campaign["id"])))
        error = assert_error(
            await launch(client, campaign["id"]), 400, "campaign_incomplete", "status"
        )
        assert "no ads" in error["message"]
        assert (await client.get(f"/ad_campaigns/{campaign['id']}")).json()["status"] == "draft"

    async def test_only_paused_ad_groups(self, client: httpx.AsyncClient) -> None:
        tree = await build_tree(client)
        await ok(await client.post(f"/ad_groups/{tree.group['id']}/pause"))
        error = assert_error(
            await launch(client, tree.campaign["id"]), 400, "campaign_incomplete", "status"
        )
        assert "active ad groups" in error["message"]

    async def test_search_campaign_needs_keywords_on_every_group(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await ok(
            await client.post("/ad_campaigns", json=abo_campaign(campaign_type="search"))
        )
        group = await ok(await client.post("/ad_groups", json=group_body(campaign["id"])))
        await ok(await client.post("/ads", json=ad_body(group["id"])))
        error = assert_error(
            await launch(client, campaign["id"]), 400, "campaign_incomplete", "status"
        )
        assert "keywords" in error["message"] and group["id"] in error["message"]
        await ok(
            await client.patch(
                f"/ad_groups/{group['id']}", json={"keywords": [{"text": "running shoes"}]}
            )
        )
        assert (await ok(await launch(client, campaign["id"])))["status"] == "active"

    async def test_cbo_campaign_launches_with_budgetless_groups(
        self, client: httpx.AsyncClient
    ) -> None:
        campaign = await ok(await client.post("/ad_campaigns", json=cbo_campaign()))
        body = group_body(campaign["id"])
        del body["budget_amount"], body["budget_type"]
        group = await ok(await client.post("/ad_groups", json=body))
        assert group["budget_amount"] is None
        await ok(await client.post("/ads", json=ad_body(group["id"])))
        assert (await ok(await launch(client, campaign["id"])))["status"] == "active"

    async def test_an_ad_created_in_a_live_campaign_runs_at_once(
        self, client: httpx.AsyncClient
    ) -> None:
        tree = await build_tree(client)
        await ok(await launch(client, tree.campaign["id"]))
        second = await ok(await client.post("/ads", json=ad_body(tree.group["id"], title="Second")))
        assert second["status"] == "active"
        assert second["delivery_status"] == "active"


class TestParentsDoNotRewriteChildren:
    async def test_pausing_a_campaign_keeps_children_status(
        self, client: httpx.AsyncClient
    ) -> None:
        tree = await build_tree(client)
        await ok(await launch(client, tree.campaign["id"]))
        paused = await ok(await client.post(f"/ad_campaigns/{tree.campaign['id']}/pause"))
        assert paused["delivery_status"] == "paused"
        group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
        ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
        assert (group["status"], group["delivery_status"]) == ("active", "campaign_paused")
        assert (ad["status"], ad["delivery_status"]) == ("active", "campaign_paused")
        await ok(await client.post(f"/ad_campaigns/{tree.campaign['id']}/unpause"))
        ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
        assert ad["delivery_status"] == "active"

    async def test_pausing_a_group_shows_on_its_ads(self, client: httpx.AsyncClient) -> None:
        tree = await build_tree(client)
        await ok(await launch(client, tree.campaign["id"]))
        await ok(await client.post(f"/ad_groups/{tree.group['id']}/pause"))
        ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
        assert (ad["status"], ad["delivery_status"]) == ("active", "ad_group_paused")
        campaign = await ok(await client.get(f"/ad_campaigns/{tree.campaign['id']}"))
        assert campaign["delivery_status"] == "ad_groups_off"

    @pytest.mark.parametrize("level", ["ad_groups", "ads"])
    async def test_patch_status_pauses_and_resumes(
        self, client: httpx.AsyncClient, level: str
    ) -> None:
        tree = await build_tree(client)
        object_id = tree.group["id"] if level == "ad_groups" else tree.ad["id"]
        paused = await ok(await client.patch(f"/{level}/{object_id}", json={"status": "paused"}))
        assert paused["status"] == "paused"
        active = await ok(await client.patch(f"/{level}/{object_id}", json={"status": "active"}))
        assert active["status"] == "active"
