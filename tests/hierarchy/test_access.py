"""Ad group and ad endpoints: another company's objects are 404, and each needs its scope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adline.auth import scopes
from tests.helpers import assert_error
from tests.hierarchy.builders import Tree, ad_body, build_tree, group_body

# Pause and unpause also read the object (seed 001; spec F): both permissions are needed.
PAUSE = (scopes.AD_CAMPAIGN_UPDATE, scopes.AD_CAMPAIGN_BASIC_READ)


def endpoints(tree: Tree) -> list[tuple[str, str, dict[str, Any] | None, str | tuple[str, ...]]]:
    """(method, path, body, scope or scopes) for every ad group and ad endpoint, aimed at
    `tree`."""
    group, ad, campaign = tree.group["id"], tree.ad["id"], tree.campaign["id"]
    return [
        ("POST", "/ad_groups", group_body(campaign), scopes.AD_CAMPAIGN_CREATE),
        ("GET", f"/ad_groups/{group}", None, scopes.AD_CAMPAIGN_BASIC_READ),
        ("PATCH", f"/ad_groups/{group}", {"title": "Hijacked"}, scopes.AD_CAMPAIGN_UPDATE),
        ("POST", f"/ad_groups/{group}/pause", None, PAUSE),
        ("POST", f"/ad_groups/{group}/unpause", None, PAUSE),
        ("POST", f"/ad_groups/{group}/duplicate", {}, scopes.AD_CAMPAIGN_CREATE),
        ("DELETE", f"/ad_groups/{group}", None, scopes.AD_CAMPAIGN_DELETE),
        ("POST", "/ads", ad_body(group), scopes.AD_CAMPAIGN_CREATE),
        ("GET", f"/ads/{ad}", None, scopes.AD_CAMPAIGN_BASIC_READ),
        ("PATCH", f"/ads/{ad}", {"title": "Hijacked"}, scopes.AD_CAMPAIGN_UPDATE),
        ("POST", f"/ads/{ad}/pause", None, PAUSE),
        ("POST", f"/ads/{ad}/unpause", None, PAUSE),
        ("POST", f"/ads/{ad}/duplicate", {}, scopes.AD_CAMPAIGN_CREATE),
        ("DELETE", f"/ads/{ad}", None, scopes.AD_CAMPAIGN_DELETE),
        ("POST", f"/ad_campaigns/{campaign}/duplicate", {}, scopes.AD_CAMPAIGN_CREATE),
    ]


ENDPOINT_COUNT = 15


@pytest.mark.parametrize("index", range(ENDPOINT_COUNT))
async def test_another_companys_objects_are_404(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, index: int
) -> None:
    theirs = await build_tree(other_client)
    method, path, body, _ = endpoints(theirs)[index]
    response = await client.request(method, path, json=body)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["type"] == "not_found"
    # Their tree is untouched.
    ad = (await other_client.get(f"/ads/{theirs.ad['id']}")).json()
    assert (ad["title"], ad["status"]) == (theirs.ad["title"], "active")
    group = (await other_client.get(f"/ad_groups/{theirs.group['id']}")).json()
    assert (group["title"], group["status"]) == (theirs.group["title"], "active")
    assert len((await other_client.get("/ad_campaigns")).json()["data"]) == 1


@pytest.mark.parametrize("index", range(ENDPOINT_COUNT))
async def test_each_endpoint_needs_its_scope(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    tenant,  # type: ignore[no-untyped-def]
    make_key,  # type: ignore[no-untyped-def]
    index: int,
) -> None:
    tree = await build_tree(client)
    method, path, body, needed = endpoints(tree)[index]
    required = (needed,) if isinstance(needed, str) else needed
    for scope in required:
        lacking = await make_key(tenant, [s for s in scopes.ALL_SCOPES if s != scope])
        response = await anonymous.request(
            method, path, json=body, headers={"Authorization": f"Bearer {lacking}"}
        )
        error = assert_error(response, 403, "missing_scope", None)
        assert scope in error["message"]
    only = await make_key(tenant, list(required))
    allowed = await anonymous.request(
        method, path, json=body, headers={"Authorization": f"Bearer {only}"}
    )
    assert allowed.status_code == 200, allowed.text


def test_endpoint_table_is_complete() -> None:
    fake = Tree({"id": "c"}, {"id": "g"}, {"id": "a"})
    assert len(endpoints(fake)) == ENDPOINT_COUNT


async def test_list_filters_of_ad_groups_and_ads(client: httpx.AsyncClient) -> None:
    one = await build_tree(client)
    two = await build_tree(client)

    async def listed(path: str, params: Any) -> list[str]:
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        return sorted(item["id"] for item in response.json()["data"])

    assert await listed("/ad_groups", {"ad_campaign_id": one.campaign["id"]}) == [one.group["id"]]
    both = [("ad_campaign_ids", one.campaign["id"]), ("ad_campaign_ids", two.campaign["id"])]
    assert await listed("/ad_groups", both) == sorted([one.group["id"], two.group["id"]])
    assert await listed("/ads", both) == sorted([one.ad["id"], two.ad["id"]])
    assert await listed("/ads", {"ad_group_id": two.group["id"]}) == [two.ad["id"]]
    assert await listed("/ads", [("ad_group_ids", one.group["id"])]) == [one.ad["id"]]
    assert await listed("/ads", {"status": "paused"}) == []
    assert await listed("/ad_groups", {"query": one.group["id"]}) == [one.group["id"]]
    too_many = [("ad_campaign_ids", f"adcamp_{i:014d}") for i in range(101)]
    assert_error(
        await client.get("/ad_groups", params=too_many), 400, "parameter_invalid", "ad_campaign_ids"
    )
    assert_error(
        await client.get("/ads", params={"status": "draft"}), 400, "parameter_invalid", "status"
    )


class TestPlatformHeader:
    @pytest.mark.parametrize(
        ("method", "path_of", "body_of"),
        [
            ("PATCH", lambda t: f"/ad_campaigns/{t.campaign['id']}", lambda t: {"title": "x"}),
            ("POST", lambda t: "/ad_groups", lambda t: group_body(t.campaign["id"])),
            ("PATCH", lambda t: f"/ad_groups/{t.group['id']}", lambda t: {"title": "x"}),
            ("POST", lambda t: "/ads", lambda t: ad_body(t.group["id"])),
            ("PATCH", lambda t: f"/ads/{t.ad['id']}", lambda t: {"title": "x"}),
        ],
    )
    async def test_a_stale_platform_is_a_409(
        self, client: httpx.AsyncClient, method: str, path_of: Any, body_of: Any
    ) -> None:
        tree = await build_tree(client)
        path, body = path_of(tree), body_of(tree)
        stale = await client.request(method, path, json=body, headers={"X-Ads-Platform": "tiktok"})
        assert_error(stale, 409, "campaign_changed", None)
        bad = await client.request(method, path, json=body, headers={"X-Ads-Platform": "myspace"})
        assert_error(bad, 400, "parameter_invalid", "X-Ads-Platform")
        fresh = await client.request(method, path, json=body, headers={"X-Ads-Platform": "meta"})
        assert fresh.status_code == 200, fresh.text
