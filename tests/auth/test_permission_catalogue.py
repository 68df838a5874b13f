"""`GET /api_keys/permissions`: every scope, described, with the operations that need it,
read off the routes themselves."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, FastAPI
from whop_sdk.api_keys.types import ListPermissionsApiKeysResponse

from adline.auth import scopes
from adline.auth.catalogue import operations_by_scope, permission_catalogue
from adline.auth.dependencies import Authenticated
from adline.auth.service import Principal
from tests.auth.test_api_keys import READ, bearer
from tests.conftest import Tenant
from tests.helpers import assert_error

PERMISSION_FIELDS = {
    "action",
    "name",
    "description",
    "category",
    "allowed_on_api_key",
    "allowed_on_app",
    "allowed_on_user",
    "granted_to_system_roles",
    "operations",
}


async def catalogue(client: httpx.AsyncClient) -> list[dict]:  # type: ignore[type-arg]
    response = await client.get("/api_keys/permissions")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["page_info"] == {
        "start_cursor": None,
        "end_cursor": None,
        "has_next_page": False,
        "has_previous_page": False,
    }
    data: list[dict] = body["data"]  # type: ignore[type-arg]
    return data


class TestCatalogue:
    async def test_every_scope_once_in_the_clients_shape(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api_keys/permissions")
        ListPermissionsApiKeysResponse.model_validate(response.json())
        permissions = await catalogue(client)
        assert [entry["action"] for entry in permissions] == list(scopes.ALL_SCOPES)
        for entry in permissions:
            assert set(entry) == PERMISSION_FIELDS
            assert entry["name"] and entry["description"] and entry["category"]
            assert (entry["allowed_on_api_key"], entry["allowed_on_app"]) == (True, False)
            assert (entry["allowed_on_user"], entry["granted_to_system_roles"]) == (False, [])

    async def test_the_operations_are_the_ones_that_need_the_scope(
        self, client: httpx.AsyncClient
    ) -> None:
        by_action = {entry["action"]: entry["operations"] for entry in await catalogue(client)}
        assert by_action[scopes.DEVELOPER_MANAGE_API_KEY] == [
            "GET /api/v1/api_keys",
            "POST /api/v1/api_keys",
            "DELETE /api/v1/api_keys/{key_id}",
            "GET /api/v1/api_keys/{key_id}",
            "PATCH /api/v1/api_keys/{key_id}",
            "POST /api/v1/api_keys/{key_id}/rotate",
        ]
        # Pausing an ad needs two scopes (spec F): it is under both.
        pause = "POST /api/v1/ads/{ad_id}/pause"
        assert pause in by_action[scopes.AD_CAMPAIGN_UPDATE]
        assert pause in by_action[scopes.AD_CAMPAIGN_BASIC_READ]
        assert "POST /api/v1/events" in by_action[scopes.EVENT_CREATE]
        assert by_action[scopes.AD_PIXEL_MANAGE] == [
            "GET /api/v1/ad_pixels",
            "POST /api/v1/ad_pixels",
            "DELETE /api/v1/ad_pixels/{pixel_id}",
            "GET /api/v1/ad_pixels/{pixel_id}",
            "PATCH /api/v1/ad_pixels/{pixel_id}",
        ]
        # A scope no endpoint enforces yet grants nothing yet.
        assert by_action[scopes.AD_PUBLISHER_READ] == []
        # The catalogue itself needs no scope, so it is under none.
        listed = [operation for operations in by_action.values() for operation in operations]
        assert not [operation for operation in listed if "/permissions" in operation]

    def test_a_new_route_is_listed_by_itself(self) -> None:
        router = APIRouter()

        @router.get("/widgets")
        async def widgets(
            principal: Annotated[Principal, Authenticated(scopes.PRODUCT_READ, READ)],
        ) -> None: ...

        @router.get("/hidden", include_in_schema=False)
        async def hidden(
            principal: Annotated[Principal, Authenticated(scopes.PRODUCT_READ)],
        ) -> None: ...

        app = FastAPI()
        app.include_router(router, prefix="/api/v1")
        operations = operations_by_scope(app.routes)
        assert operations[scopes.PRODUCT_READ] == ["GET /api/v1/widgets"]
        assert operations[READ] == ["GET /api/v1/widgets"]
        assert operations[scopes.PRODUCT_WRITE] == []
        assert [entry["action"] for entry in permission_catalogue(app.routes)] == list(
            scopes.ALL_SCOPES
        )

    def test_every_scope_is_described(self) -> None:
        assert set(scopes.DETAILS) == set(scopes.ALL_SCOPES)


class TestAccess:
    async def test_any_valid_key_may_read_it(
        self, anonymous: httpx.AsyncClient, make_key, tenant: Tenant
    ) -> None:  # type: ignore[no-untyped-def]
        headers = bearer(await make_key(tenant, []))
        response = await anonymous.get("/api_keys/permissions", headers=headers)
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]) == len(scopes.ALL_SCOPES)

    async def test_no_key_is_401(self, anonymous: httpx.AsyncClient) -> None:
        assert_error(await anonymous.get("/api_keys/permissions"), 401, "invalid_api_key", None)

    async def test_it_is_not_read_as_a_key_id(self, client: httpx.AsyncClient) -> None:
        # Routed before /api_keys/{key_id}; the other methods on the path are that route's.
        assert (await client.get("/api_keys/permissions")).json()["data"]
        assert_error(await client.delete("/api_keys/permissions"), 404, "resource_not_found", "id")
