from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.duplication import finish_duplicates
from adline.core.db import create_sessionmaker
from tests.helpers import assert_error
from tests.hierarchy.builders import ad_body, build_tree, group_body, launched_tree, ok


async def ids(client: httpx.AsyncClient, path: str, **params: Any) -> list[str]:
    return [item["id"] for item in (await ok(await client.get(path, params=params)))["data"]]


class TestCascade:
    async def test_deleting_a_campaign_deletes_its_groups_and_ads(
        self, client: httpx.AsyncClient
    ) -> None:
        tree = await build_tree(client)
        keep = await build_tree(client)
        deleted = await ok(await client.delete(f"/ad_campaigns/{tree.campaign['id']}"))
        assert deleted == {"id": tree.campaign["id"], "deleted": True}
        assert_error(
            await client.get(f"/ad_groups/{tree.group['id']}"), 404, "resource_not_found", "id"
        )
        assert_error(await client.get(f"/ads/{tree.ad['id']}"), 404, "resource_not_found", "id")
        assert await ids(client, "/ad_groups") == [keep.group["id"]]
        assert await ids(client, "/ads") == [keep.ad["id"]]

    async def test_deleting_a_group_deletes_its_ads(self, client: httpx.AsyncClient) -> None:
        tree = await build_tree(client)
        sibling = await ok(await client.post("/ad_groups", json=group_body(tree.campaign["id"])))
        await ok(await client.delete(f"/ad_groups/{tree.group['id']}"))
        assert_error(await client.get(f"/ads/{tree.ad['id']}"), 404, "resource_not_found", "id")
        assert await ids(client, "/ad_groups") == [sibling["id"]]
        campaign = await ok(await client.get(f"/ad_campaigns/{tree.campaign['id']}"))
        assert campaign["delivery_status"] == "draft"
        assert_error(
            await client.post(f"/ad_groups/{tree.group['id']}/pause"),
            404,
            "resource_not_found",
            "id",
        )

    async def test_deleting_an_ad(self, client: httpx.AsyncClient) -> None:
        tree = await build_tree(client)
        assert (await ok(await client.delete(f"/ads/{tree.ad['id']}")))["deleted"] is True
        assert await ids(client, "/ads") == []
        group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
        assert group["delivery_status"] == "draft"


class TestDuplicate:
    async def test_campaign_deep_copy(self, client: httpx.AsyncClient) -> None:
        tree = await launched_tree(client)
        await ok(await client.post("/ads", json=ad_body(tree.group["id"], title="Second ad")))
        await ok(await client.post(f"/ads/{tree.ad['id']}/pause"))
        response = await ok(
            await client.post(f"/ad_campaigns/{tree.campaign['id']}/duplicate", json={"count": 2})
        )
        assert set(response) == {"data"}
        copies = response["data"]
        assert len(copies) == 2
        assert all(copy["status"] == "duplicating" for copy in copies)
        for copy in copies:
            assert copy["id"] != tree.campaign["id"]
            finished = await ok(await client.get(f"/ad_campaigns/{copy['id']}"))
            assert finished["status"] == "draft"
            assert finished["title"] == tree.campaign["title"]
            groups = (
                await ok(await client.get("/ad_groups", params={"ad_campaign_id": copy["id"]}))
            )["data"]
            assert len(groups) == 1 and groups[0]["id"] != tree.group["id"]
            assert groups[0]["status"] == "active"
            assert groups[0]["budget_amount"] == tree.group["budget_amount"]
            ads = (await ok(await client.get("/ads", params={"ad_campaign_id": copy["id"]})))[
                "data"
            ]
            assert sorted((ad["title"], ad["status"]) for ad in ads) == [
                ("Second ad", "active"),
                ("Spring sale", "paused"),
            ]
            assert not {ad["id"] for ad in ads} & {tree.ad["id"]}
            assert all(ad["ad_group"]["id"] == groups[0]["id"] for ad in ads)
        # The source is untouched.
        source = await ok(await client.get(f"/ad_campaigns/{tree.campaign['id']}"))
        assert source["status"] == "active"

    async def test_group_copy_into_another_campaign(self, client: httpx.AsyncClient) -> None:
        tree = await build_tree(client)
        other = await build_tree(client)
        await ok(await client.post(f"/ad_groups/{tree.group['id']}/pause"))
        copies = (
            await ok(
                await client.post(
                    f"/ad_groups/{tree.group['id']}/duplicate",
                    json={"count": 3, "target_ad_campaign_id": other.campaign["id"]},
                )
            )
        )["data"]
        assert len(copies) == 3
        assert len({copy["id"] for copy in copies}) == 3
        for copy in copies:
            assert copy["status"] == "duplicating"
            assert copy["ad_campaign"] == {"id": other.campaign["id"]}
            finished = await ok(await client.get(f"/ad_groups/{copy['id']}"))
            assert finished["status"] == "paused"
            ads = await ids(client, "/ads", ad_group_id=copy["id"])
            assert len(ads) == 1 and ads[0] != tree.ad["id"]

    async def test_ad_copy(self, client: httpx.AsyncClient) -> None:
        tree = await build_tree(client)
        target = await ok(await client.post("/ad_groups", json=group_body(tree.campaign["id"])))
        copies = (
            await ok(
                await client.post(
                    f"/ads/{tree.ad['id']}/duplicate", json={"target_ad_group_id": target["id"]}
                )
            )
        )["data"]
        assert len(copies) == 1
        finished = await ok(await client.get(f"/ads/{copies[0]['id']}"))
        assert finished["status"] == "active"
        assert finished["ad_group"] == {"id": target["id"]}
        assert finished["url"] == tree.ad["url"]
        assert finished["creatives"] == tree.ad["creatives"]

    async def test_count_is_checked(self, client: httpx.AsyncClient) -> None:
        tree = await build_tree(client)
        for path in (
            f"/ad_campaigns/{tree.campaign['id']}/duplicate",
            f"/ad_groups/{tree.group['id']}/duplicate",
            f"/ads/{tree.ad['id']}/duplicate",
        ):
            for count in (0, 11):
                assert_error(
                    await client.post(path, json={"count": count}),
                    400,
                    "parameter_invalid",
                    "count",
                )
        assert await ids(client, "/ad_campaigns") == [tree.campaign["id"]]

    async def test_target_of_another_platform_is_refused(self, client: httpx.AsyncClient) -> None:
        tree = await build_tree(client)
        tiktok = await build_tree(client, platform="tiktok")
        response = await client.post(
            f"/ad_groups/{tree.group['id']}/duplicate",
            json={"target_ad_campaign_id": tiktok.campaign["id"]},
        )
        assert_error(response, 400, "parameter_invalid", "target_ad_campaign_id")

    async def test_a_copy_whose_source_vanished_fails_and_is_removed(
        self,
        client: httpx.AsyncClient,
        engine: AsyncEngine,
        clock,
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        from adline.auth.service import Principal
        from adline.campaigns import service

        tree = await build_tree(client)
        principal = Principal(tenant.key_id, tenant.company_id, tenant.user_id, frozenset(), None)
        async with create_sessionmaker(engine)() as session, session.begin():
            [copy] = await service.duplicate_campaign(
                session, clock, principal, tree.campaign["id"], count=1, preserve_engagement=False
            )
        # The source is deleted before the copy is finished.
        await ok(await client.delete(f"/ad_campaigns/{tree.campaign['id']}"))
        async with create_sessionmaker(engine)() as session, session.begin():
            await finish_duplicates(session, clock, [copy.id])
        assert_error(await client.get(f"/ad_campaigns/{copy.id}"), 404, "resource_not_found", "id")
        assert await ids(client, "/ad_groups") == []

    async def test_copies_are_frozen_while_duplicating(
        self,
        client: httpx.AsyncClient,
        engine: AsyncEngine,
        clock,
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        from adline.auth.service import Principal
        from adline.campaigns import service

        tree = await build_tree(client)
        principal = Principal(tenant.key_id, tenant.company_id, tenant.user_id, frozenset(), None)
        async with create_sessionmaker(engine)() as session, session.begin():
            [copy] = await service.duplicate_campaign(
                session, clock, principal, tree.campaign["id"], count=1, preserve_engagement=False
            )
        assert_error(
            await client.patch(f"/ad_campaigns/{copy.id}", json={"title": "x"}),
            409,
            "invalid_state",
            None,
        )
        assert_error(
            await client.post(f"/ad_campaigns/{copy.id}/pause"), 409, "invalid_state", None
        )
        listed = await ok(await client.get(f"/ad_campaigns/{copy.id}"))
        assert (listed["status"], listed["delivery_status"]) == ("duplicating", "draft")


async def test_copies_left_duplicating_are_finished_at_start_up(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    from adline.auth.service import Principal
    from adline.campaigns import service
    from adline.campaigns.duplication import finish_pending_duplicates

    tree = await build_tree(client)
    principal = Principal(tenant.key_id, tenant.company_id, tenant.user_id, frozenset(), None)
    async with create_sessionmaker(engine)() as session, session.begin():
        [copy] = await service.duplicate_campaign(
            session, clock, principal, tree.campaign["id"], count=1, preserve_engagement=False
        )
    # As if the server stopped before finishing: the next start finishes the copy.
    await finish_pending_duplicates(create_sessionmaker(engine), clock)
    finished = await ok(await client.get(f"/ad_campaigns/{copy.id}"))
    assert finished["status"] == "draft"
    groups = (await ok(await client.get("/ad_groups", params={"ad_campaign_id": copy.id})))["data"]
    assert [group["status"] for group in groups] == ["active"]
