"""Products (docs/products.md): CRUD, validation, tenancy, pagination, scopes, and the
campaigns that promote them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from adline.auth import scopes
from tests.helpers import assert_error
from tests.versions.requests import VERSIONS

PRODUCT_KEYS = {"id", "title", "route", "created_at", "updated_at"}


async def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = {"title": "Pickaxe Analytics", "route": "pickaxe-analytics", **overrides}
    product: dict[str, Any] = await ok(await client.post("/products", json=body))
    return product


async def listed(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = await ok(await client.get("/products", params=params))
    return page


def original_campaign(company_id: str, **overrides: Any) -> dict[str, Any]:
    """A 2025-01-01 create body (seed 002's fields)."""
    return {
        "company_id": company_id,
        "title": "Pickaxe launch",
        "platform": "meta",
        "daily_budget": 10,
        "config": {"conversion_goal": "purchase", "budget_optimization": True},
        **overrides,
    }


ORIGINAL = {"Api-Version-Date": "2025-01-01"}


class TestCrud:
    async def test_create_read_update_delete(self, client: httpx.AsyncClient, clock) -> None:  # type: ignore[no-untyped-def]
        product = await create(client)
        assert set(product) == PRODUCT_KEYS
        assert product["id"].startswith("prod_") and len(product["id"]) == 19
        assert (product["title"], product["route"]) == ("Pickaxe Analytics", "pickaxe-analytics")
        assert product["created_at"] == product["updated_at"]
        assert product["created_at"].endswith("Z")

        assert await ok(await client.get(f"/products/{product['id']}")) == product

        clock.advance(timedelta(minutes=5))
        updated = await ok(
            await client.patch(f"/products/{product['id']}", json={"title": "Pickaxe Pro"})
        )
        assert (updated["title"], updated["route"]) == ("Pickaxe Pro", "pickaxe-analytics")
        assert updated["created_at"] == product["created_at"]
        assert updated["updated_at"] > product["updated_at"]
        moved = await ok(
            await client.patch(f"/products/{product['id']}", json={"route": "pickaxe-pro"})
        )
        assert moved["route"] == "pickaxe-pro"

        # Sending what it already says changes nothing, not even updated_at.
        clock.advance(timedelta(minutes=5))
        same = await ok(
            await client.patch(
                f"/products/{product['id']}", json={"title": "Pickaxe Pro", "route": "pickaxe-pro"}
            )
        )
        assert same == moved

        deleted = await ok(await client.delete(f"/products/{product['id']}"))
        assert deleted == {"id": product["id"], "deleted": True}
        for method in ("GET", "PATCH", "DELETE"):
            body = {"title": "x"} if method == "PATCH" else None
            gone = await client.request(method, f"/products/{product['id']}", json=body)
            assert_error(gone, 404, "resource_not_found", "id")
        assert (await listed(client))["data"] == []

    @pytest.mark.parametrize("version", VERSIONS)
    async def test_the_same_shape_in_every_version(
        self, client: httpx.AsyncClient, version: str
    ) -> None:
        headers = {"Api-Version-Date": version}
        product = await ok(
            await client.post(
                "/products", json={"title": "Pickaxe", "route": "pickaxe"}, headers=headers
            )
        )
        assert set(product) == PRODUCT_KEYS
        read = await ok(await client.get(f"/products/{product['id']}", headers=headers))
        assert read == product
        page = await ok(await client.get("/products", headers=headers))
        assert set(page) == {"data", "page_info"}
        assert page["data"] == [product]
        deleted = await ok(await client.delete(f"/products/{product['id']}", headers=headers))
        assert deleted == {"id": product["id"], "deleted": True}

    async def test_company_id_or_account_id_names_the_callers_company(
        self,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        one = await create(client, route="one", company_id=tenant.company_id)
        two = await create(client, route="two", account_id=tenant.company_id)
        assert {item["id"] for item in (await listed(client))["data"]} == {one["id"], two["id"]}
        both = await client.post(
            "/products",
            json={
                "title": "x",
                "route": "three",
                "company_id": tenant.company_id,
                "account_id": tenant.company_id,
            },
        )
        assert_error(both, 400, "parameter_invalid", "company_id")


INVALID_CREATES = [
    ({"route": "pickaxe"}, "parameter_missing", "title"),
    ({"title": "Pickaxe"}, "parameter_missing", "route"),
    ({"title": "", "route": "pickaxe"}, "parameter_invalid", "title"),
    ({"title": "   ", "route": "pickaxe"}, "parameter_invalid", "title"),
    ({"title": "x" * 101, "route": "pickaxe"}, "parameter_invalid", "title"),
    ({"title": 12, "route": "pickaxe"}, "parameter_invalid", "title"),
    ({"title": None, "route": "pickaxe"}, "parameter_invalid", "title"),
    ({"title": "Pickaxe", "route": ""}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": "Pickaxe"}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": "pickaxe analytics"}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": "pickaxe--analytics"}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": "-pickaxe"}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": "pickaxe-"}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": "pickaxe_analytics"}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": "p" * 65}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": 7}, "parameter_invalid", "route"),
    ({"title": "Pickaxe", "route": "pickaxe", "price": 10}, "parameter_invalid", "price"),
    ({"title": "Pickaxe", "route": "pickaxe", "_original": {}}, "parameter_invalid", "_original"),
]


class TestValidation:
    @pytest.mark.parametrize(("body", "code", "param"), INVALID_CREATES)
    async def test_invalid_creates_change_nothing(
        self, client: httpx.AsyncClient, body: dict[str, Any], code: str, param: str
    ) -> None:
        response = await client.post("/products", json=body)
        error = assert_error(response, 400, code, param)
        assert error["type"] == "invalid_request_error"
        assert (await listed(client))["data"] == []

    async def test_the_longest_title_and_route_are_accepted(
        self, client: httpx.AsyncClient
    ) -> None:
        product = await create(client, title="x" * 100, route="a" * 64)
        assert (len(product["title"]), len(product["route"])) == (100, 64)
        short = await create(client, title="P", route="p")
        assert short["route"] == "p"
        digits = await create(client, route="2026-edition")
        assert digits["route"] == "2026-edition"

    @pytest.mark.parametrize(
        ("body", "param"),
        [
            ({"title": None}, "title"),
            ({"route": None}, "route"),
            ({"title": ""}, "title"),
            ({"route": "Not A Slug"}, "route"),
            ({"id": "prod_other"}, "id"),
            ({"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
        ],
    )
    async def test_invalid_updates_change_nothing(
        self, client: httpx.AsyncClient, body: dict[str, Any], param: str
    ) -> None:
        product = await create(client)
        response = await client.patch(f"/products/{product['id']}", json=body)
        assert_error(response, 400, "parameter_invalid", param)
        assert await ok(await client.get(f"/products/{product['id']}")) == product

    async def test_routes_are_unique_within_an_account(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
    ) -> None:
        first = await create(client)
        taken = await client.post("/products", json={"title": "Again", "route": first["route"]})
        error = assert_error(taken, 409, "route_taken", "route")
        assert error["type"] == "conflict"
        assert [item["id"] for item in (await listed(client))["data"]] == [first["id"]]

        second = await create(client, route="second")
        moved = await client.patch(f"/products/{second['id']}", json={"route": first["route"]})
        assert_error(moved, 409, "route_taken", "route")
        assert (await ok(await client.get(f"/products/{second['id']}")))["route"] == "second"

        # Another account may use the same route; a deleted product frees its route.
        assert (await create(other_client))["route"] == first["route"]
        await ok(await client.delete(f"/products/{first['id']}"))
        assert (await create(client))["route"] == first["route"]


class TestTenancy:
    async def test_another_companys_product_is_not_found(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        product = await create(client)
        for method, body in (("GET", None), ("PATCH", {"title": "Mine now"}), ("DELETE", None)):
            response = await other_client.request(method, f"/products/{product['id']}", json=body)
            assert_error(response, 404, "resource_not_found", "id")
        assert (await listed(other_client))["data"] == []
        assert await ok(await client.get(f"/products/{product['id']}")) == product

        # Naming the other company answers 404 too, on create and list.
        response = await other_client.post(
            "/products", json={"title": "x", "route": "x", "company_id": tenant.company_id}
        )
        assert_error(response, 404, "resource_not_found", "company_id")
        for name in ("account_id", "company_id"):
            response = await other_client.get("/products", params={name: tenant.company_id})
            assert_error(response, 404, "resource_not_found", name)

    async def test_a_campaign_cannot_promote_another_companys_product(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        other_tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        product = await create(client)
        response = await other_client.post(
            "/ad_campaigns",
            json=original_campaign(other_tenant.company_id, product_id=product["id"]),
            headers=ORIGINAL,
        )
        assert_error(response, 400, "parameter_invalid", "product_id")
        assert product["id"] not in response.text.replace(f"id {product['id']};", "")
        assert (await ok(await other_client.get("/ad_campaigns")))["data"] == []


class TestPagination:
    async def test_pages_forward_and_back(self, client: httpx.AsyncClient, clock) -> None:  # type: ignore[no-untyped-def]
        made = []
        for index in range(5):
            made.append(await create(client, route=f"product-{index}"))
            clock.advance(timedelta(seconds=1))
        newest_first = [product["id"] for product in reversed(made)]

        first = await listed(client, first=2)
        assert [item["id"] for item in first["data"]] == newest_first[:2]
        assert first["page_info"]["has_next_page"] is True
        assert first["page_info"]["has_previous_page"] is False
        second = await listed(client, first=2, after=first["page_info"]["end_cursor"])
        assert [item["id"] for item in second["data"]] == newest_first[2:4]
        third = await listed(client, first=2, after=second["page_info"]["end_cursor"])
        assert [item["id"] for item in third["data"]] == newest_first[4:]
        assert third["page_info"]["has_next_page"] is False
        assert third["page_info"]["has_previous_page"] is True

        back = await listed(client, last=2, before=third["page_info"]["start_cursor"])
        assert [item["id"] for item in back["data"]] == newest_first[2:4]
        oldest_first = await listed(client, direction="asc", first=10)
        assert [item["id"] for item in oldest_first["data"]] == [p["id"] for p in made]

    @pytest.mark.parametrize(
        ("params", "param"),
        [
            ({"first": 0}, "first"),
            ({"first": 101}, "first"),
            ({"after": "not-a-cursor"}, "after"),
            ({"first": 1, "last": 1}, "last"),
        ],
    )
    async def test_bad_page_parameters(
        self, client: httpx.AsyncClient, params: dict[str, Any], param: str
    ) -> None:
        assert_error(await client.get("/products", params=params), 400, "parameter_invalid", param)


class TestScopes:
    async def test_reading_and_writing_need_their_scopes(
        self,
        anonymous: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
        make_key,  # type: ignore[no-untyped-def]
    ) -> None:
        product = await create(client)
        reader = {"Authorization": f"Bearer {await make_key(tenant, [scopes.PRODUCT_READ])}"}
        others = [scope for scope in scopes.ALL_SCOPES if not scope.startswith("product:")]
        neither = {"Authorization": f"Bearer {await make_key(tenant, others)}"}

        assert (await ok(await anonymous.get("/products", headers=reader)))["data"] == [product]
        for method, path, body in (
            ("POST", "/products", {"title": "x", "route": "x"}),
            ("PATCH", f"/products/{product['id']}", {"title": "x"}),
            ("DELETE", f"/products/{product['id']}", None),
        ):
            response = await anonymous.request(method, path, json=body, headers=reader)
            error = assert_error(response, 403, "missing_scope", None)
            assert scopes.PRODUCT_WRITE in error["message"]
        for path in ("/products", f"/products/{product['id']}"):
            response = await anonymous.get(path, headers=neither)
            error = assert_error(response, 403, "missing_scope", None)
            assert scopes.PRODUCT_READ in error["message"]
        unknown = {"Authorization": "Bearer not-a-key"}
        assert_error(
            await anonymous.get("/products", headers=unknown), 401, "invalid_api_key", None
        )
        assert await ok(await client.get(f"/products/{product['id']}")) == product


class TestPromotingCampaigns:
    async def test_a_2025_campaign_promotes_a_product(
        self,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        product = await create(client)
        campaign = await ok(
            await client.post(
                "/ad_campaigns",
                json=original_campaign(tenant.company_id, product_id=product["id"]),
                headers=ORIGINAL,
            )
        )
        promoted = {"id": product["id"], "title": "Pickaxe Analytics", "route": "pickaxe-analytics"}
        assert campaign["product"] == promoted
        read = await ok(await client.get(f"/ad_campaigns/{campaign['id']}", headers=ORIGINAL))
        assert read["product"] == promoted
        # A renamed product reads renamed in its campaigns.
        await ok(await client.patch(f"/products/{product['id']}", json={"title": "Pickaxe Pro"}))
        page = await ok(await client.get("/ad_campaigns", headers=ORIGINAL))
        assert [item["product"] for item in page["data"]] == [{**promoted, "title": "Pickaxe Pro"}]
        # The newest version has no product field (the official client's AdCampaign has none).
        newest = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
        assert "product" not in newest and "product_id" not in newest

        # Changed and cleared through 2025-01-01's update.
        other = await create(client, title="Shovel", route="shovel")
        moved = await ok(
            await client.patch(
                f"/ad_campaigns/{campaign['id']}",
                json={"product_id": other["id"]},
                headers=ORIGINAL,
            )
        )
        assert moved["product"] == {"id": other["id"], "title": "Shovel", "route": "shovel"}
        cleared = await ok(
            await client.patch(
                f"/ad_campaigns/{campaign['id']}", json={"product_id": None}, headers=ORIGINAL
            )
        )
        assert cleared["product"] is None

    @pytest.mark.parametrize(
        "product_id", ["prod_AAAAAAAAAAAAAA", "prod_", "biz_AAAAAAAAAAAAAA", 12, ""]
    )
    async def test_an_unknown_product_is_a_400_naming_product_id(
        self,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
        product_id: object,
    ) -> None:
        response = await client.post(
            "/ad_campaigns",
            json=original_campaign(tenant.company_id, product_id=product_id),
            headers=ORIGINAL,
        )
        assert_error(response, 400, "parameter_invalid", "product_id")
        assert (await ok(await client.get("/ad_campaigns")))["data"] == []

    async def test_an_update_to_an_unknown_or_deleted_product_changes_nothing(
        self,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        product = await create(client)
        spare = await create(client, route="spare")
        await ok(await client.delete(f"/products/{spare['id']}"))
        campaign = await ok(
            await client.post(
                "/ad_campaigns",
                json=original_campaign(tenant.company_id, product_id=product["id"]),
                headers=ORIGINAL,
            )
        )
        for product_id in ("prod_AAAAAAAAAAAAAA", spare["id"]):
            response = await client.patch(
                f"/ad_campaigns/{campaign['id']}",
                json={"title": "Renamed", "product_id": product_id},
                headers=ORIGINAL,
            )
            assert_error(response, 400, "parameter_invalid", "product_id")
        read = await ok(await client.get(f"/ad_campaigns/{campaign['id']}", headers=ORIGINAL))
        assert (read["title"], read["product"]["id"]) == ("Pickaxe launch", product["id"])

    async def test_a_promoted_product_cannot_be_deleted(
        self,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
    ) -> None:
        product = await create(client)
        campaigns = [
            await ok(
                await client.post(
                    "/ad_campaigns",
                    json=original_campaign(tenant.company_id, product_id=product["id"]),
                    headers=ORIGINAL,
                )
            )
            for _ in range(2)
        ]
        refused = await client.delete(f"/products/{product['id']}")
        error = assert_error(refused, 409, "product_in_use", None)
        assert error["type"] == "conflict"
        assert all(campaign["id"] in error["message"] for campaign in campaigns)
        assert await ok(await client.get(f"/products/{product['id']}")) == product

        # Once no live campaign promotes it (one moved off, one deleted), it can go; the
        # deleted campaign keeps naming it in the archive.
        await ok(
            await client.patch(
                f"/ad_campaigns/{campaigns[0]['id']}", json={"product_id": None}, headers=ORIGINAL
            )
        )
        assert_error(await client.delete(f"/products/{product['id']}"), 409, "product_in_use", None)
        await ok(await client.delete(f"/ad_campaigns/{campaigns[1]['id']}"))
        assert await ok(await client.delete(f"/products/{product['id']}")) == {
            "id": product["id"],
            "deleted": True,
        }
