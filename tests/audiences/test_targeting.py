"""Ad groups name their company's audiences, and the simulated network reaches as many
people as those audiences hold: estimate_reach and delivery follow add_people."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.db import create_sessionmaker
from adline.delivery.adapter import GeoSelection, Targeting
from adline.delivery.audience import audience_size, person_matched
from adline.delivery.registry import AdapterRegistry
from adline.delivery.simulator import SimulatedNetwork
from adline.delivery.worker import DeliveryWorker
from tests import own_store
from tests.audiences.helpers import add, make_audience, people, sha256
from tests.campaigns.payloads import abo_campaign
from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import ad_body, group_body, ok

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

US = {"include": {"countries": ["US"]}}


async def estimate(client: httpx.AsyncClient, **body: Any) -> tuple[int | None, int | None]:
    answer = await ok(
        await client.post("/ad_groups/estimate_reach", json={"platform": "meta", **body})
    )
    return answer["users_lower_bound"], answer["users_upper_bound"]


class TestAdGroupsNameTheirCompanysAudiences:
    async def test_create_and_update(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
    ) -> None:
        mine = await make_audience(client, tenant.company_id, "Mine")
        excluded = await make_audience(client, tenant.company_id, "Buyers")
        theirs = await make_audience(other_client, other_tenant.company_id, "Theirs")
        campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))

        for audiences, param in (
            ({"include": [theirs["id"]]}, "audiences.include[0]"),
            ({"include": [mine["id"]], "exclude": ["adaud_neverMade123"]}, "audiences.exclude[0]"),
        ):
            refused = await client.post(
                "/ad_groups", json=group_body(campaign["id"], audiences=audiences)
            )
            assert_error(refused, 404, "resource_not_found", param)
        groups = await ok(await client.get("/ad_groups", params={"ad_campaign_id": campaign["id"]}))
        assert groups["data"] == []

        targeted = {"include": [mine["id"]], "exclude": [excluded["id"]]}
        group = await ok(
            await client.post("/ad_groups", json=group_body(campaign["id"], audiences=targeted))
        )
        assert group["audiences"] == targeted
        refused = await client.patch(
            f"/ad_groups/{group['id']}", json={"audiences": {"exclude": [theirs["id"]]}}
        )
        assert_error(refused, 404, "resource_not_found", "audiences.exclude[0]")
        read = await ok(await client.get(f"/ad_groups/{group['id']}"))
        assert read["audiences"] == targeted
        # A change of something else leaves the audiences unchecked and unchanged.
        renamed = await ok(await client.patch(f"/ad_groups/{group['id']}", json={"title": "R"}))
        assert renamed["audiences"] == targeted

    async def test_an_audience_in_use_cannot_be_deleted(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        audience = await make_audience(client, tenant.company_id)
        campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
        group = await ok(
            await client.post(
                "/ad_groups",
                json=group_body(campaign["id"], audiences={"exclude": [audience["id"]]}),
            )
        )
        refused = await client.delete(f"/audiences/{audience['id']}")
        error = assert_error(refused, 409, "audience_in_use", "id")
        assert group["id"] in error["message"]
        # Still there, still targetable.
        listed = await ok(
            await client.get(
                "/audiences",
                params={"account_id": tenant.company_id, "audience_id": audience["id"]},
            )
        )
        assert listed["data"] == [audience]
        await ok(await client.patch(f"/ad_groups/{group['id']}", json={"audiences": {}}))
        assert await ok(await client.delete(f"/audiences/{audience['id']}")) == {"success": True}
        # A deleted audience is gone for targeting too.
        refused = await client.patch(
            f"/ad_groups/{group['id']}", json={"audiences": {"include": [audience["id"]]}}
        )
        assert_error(refused, 404, "resource_not_found", "audiences.include[0]")

    async def test_a_deleted_group_no_longer_holds_its_audience(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        audience = await make_audience(client, tenant.company_id)
        campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
        group = await ok(
            await client.post(
                "/ad_groups",
                json=group_body(campaign["id"], audiences={"include": [audience["id"]]}),
            )
        )
        await ok(await client.delete(f"/ad_groups/{group['id']}"))
        assert await ok(await client.delete(f"/audiences/{audience['id']}")) == {"success": True}


class TestTheAudienceModel:
    """Sizes as the network is told them: an include narrows to its people, an exclude
    takes its people away; an audience told without a size keeps the fixed size per id."""

    ZIP = GeoSelection(zips=("US:78756",))  # about 15,500 people on Meta

    def test_include_narrows_and_exclude_subtracts(self) -> None:
        base = audience_size(Targeting(include=self.ZIP), "meta")
        assert base > 10_000
        sized = (("adaud_a", 4_000), ("adaud_b", 1_500))
        included = Targeting(include=self.ZIP, audiences_include=("adaud_a",), audience_sizes=sized)
        assert audience_size(included, "meta") == 4_000
        both = replace(included, audiences_include=("adaud_a", "adaud_b"))
        assert audience_size(both, "meta") == 5_500
        excluded = Targeting(include=self.ZIP, audiences_exclude=("adaud_b",), audience_sizes=sized)
        assert audience_size(excluded, "meta") == int(base - 1_500)
        narrowed = replace(included, audiences_exclude=("adaud_b",))
        assert audience_size(narrowed, "meta") == 2_500
        empty = replace(included, audience_sizes=(("adaud_a", 0),))
        assert audience_size(empty, "meta") == 0

    def test_an_audience_without_a_size_keeps_the_fixed_one(self) -> None:
        told = Targeting(
            include=self.ZIP, audiences_include=("adaud_a",), audience_sizes=(("adaud_a", 7),)
        )
        untold = replace(told, audience_sizes=())
        assert audience_size(told, "meta") == 7
        assert audience_size(untold, "meta") != 7

    def test_matching_is_fixed_per_hash(self) -> None:
        hashes = [sha256(f"p{n}@example.com") for n in range(2_000)]
        matched = [person_matched(value) for value in hashes]
        assert matched == [person_matched(value) for value in hashes]
        assert 0.55 < sum(matched) / len(matched) < 0.65


class TestTheNetworkUsesTheirSizes:
    async def test_estimate_reach_follows_add_people(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
    ) -> None:
        audience = await make_audience(client, tenant.company_id)
        include = {"include": [audience["id"]]}
        # An empty list reaches no one (too few to estimate).
        assert await estimate(client, regions=US, audiences=include) == (None, None)
        first = await add(client, audience["id"], people(3000))
        lower, upper = await estimate(client, regions=US, audiences=include)
        assert lower is not None and upper is not None
        assert lower <= first["matched_rows"] <= upper
        second = await add(client, audience["id"], people(3000, start=3000))
        assert second["matched_rows"] > first["matched_rows"]
        wider_lower, wider_upper = await estimate(client, regions=US, audiences=include)
        assert wider_lower is not None and wider_upper is not None
        assert wider_lower > lower and wider_lower <= second["matched_rows"] <= wider_upper

        theirs = await make_audience(other_client, other_tenant.company_id)
        refused = await client.post(
            "/ad_groups/estimate_reach",
            json={"platform": "meta", "audiences": {"exclude": [audience["id"], theirs["id"]]}},
        )
        assert_error(refused, 404, "resource_not_found", "audiences.exclude[1]")

    async def test_delivery_follows_add_people(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        audience = await make_audience(client, tenant.company_id)
        await add(client, audience["id"], people(2000))
        campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
        group = await ok(
            await client.post(
                "/ad_groups",
                json=group_body(
                    campaign["id"], regions=US, audiences={"include": [audience["id"]]}
                ),
            )
        )
        await ok(await client.post("/ads", json=ad_body(group["id"])))
        await ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
        registry = AdapterRegistry(clock, seed=7)
        worker = DeliveryWorker(create_sessionmaker(engine), clock, registry)
        network = registry.adapter("meta")
        assert isinstance(network, SimulatedNetwork)

        await worker.run_once()
        before = (
            await ok(
                await client.get(
                    "/audiences",
                    params={"audience_id": audience["id"], "account_id": tenant.company_id},
                )
            )
        )["data"][0]
        assert network.audience_size(group["id"]) == before["matched_rows"]
        grown = await add(client, audience["id"], people(2000, start=2000))
        await worker.run_once()
        # The group was not edited, yet the network was told its audience grew.
        assert network.audience_size(group["id"]) == grown["matched_rows"] > before["matched_rows"]
