"""whop-sdk 2.6.0's own `client.api_keys.update`, `.rotate` and `.list_permissions` against
the tests' app (in process), typed models in and out."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from whop_sdk import AsyncWhop, BadRequestError, ForbiddenError, NotFoundError
from whop_sdk.api_keys import UpdateApiKeysRequestPermissions
from whop_sdk.api_keys.types import UpdateApiKeysRequestPermissionsStatementsItem as Statement
from whop_sdk.environment import WhopEnvironment

from adline.auth import scopes
from tests.auth.test_api_keys import CREATE, READ, bearer, create_key
from tests.conftest import Tenant
from tests.helpers import assert_error


async def test_update(
    whop: AsyncWhop, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    key = await create_key(client, READ)
    updated = await whop.api_keys.update(
        key["id"],
        name="Renamed by the SDK",
        permissions=UpdateApiKeysRequestPermissions(
            statements=[Statement(actions=[CREATE], grant=True)]
        ),
        api_version_date="2026-06-20",
        ip_allowlist=["127.0.0.1"],
    )
    assert updated.name == "Renamed by the SDK"
    assert updated.api_version_date == "2026-06-20"
    assert updated.ip_allowlist == ["127.0.0.1/32"]
    assert updated.grants is not None
    assert [a.action for a in updated.grants[0].actions if a.granted] == [CREATE]
    assert updated.secret_key is None
    # The key lost READ: its next request is refused.
    response = await anonymous.get("/ad_campaigns", headers=bearer(key["secret_key"]))
    assert_error(response, 403, "missing_scope", None)

    with pytest.raises(BadRequestError) as refused:
        await whop.api_keys.update(key["id"], ip_allowlist=["10.1.2.3/24"])
    assert refused.value.body["error"]["param"] == "ip_allowlist[0]"
    with pytest.raises(BadRequestError) as refused:
        await whop.api_keys.update(key["id"], api_version_date="2031-01-01")
    assert refused.value.body["error"]["param"] == "api_version_date"
    with pytest.raises(NotFoundError):
        await whop.api_keys.update("apik_doesnotexist00", name="x")
    assert (await whop.api_keys.retrieve(key["id"])).ip_allowlist == ["127.0.0.1/32"]


async def test_rotate(
    whop: AsyncWhop, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, clock
) -> None:  # type: ignore[no-untyped-def]
    key = await create_key(client, READ)
    rotated = await whop.api_keys.rotate(key["id"])
    assert rotated.secret_key is not None and rotated.secret_key != key["secret_key"]
    assert rotated.obfuscated_secret_key == f"adl_sk_...{rotated.secret_key[-4:]}"
    assert (await whop.api_keys.retrieve(key["id"])).secret_key is None
    for secret in (key["secret_key"], rotated.secret_key):
        assert (await anonymous.get("/ad_campaigns", headers=bearer(secret))).status_code == 200
    clock.advance(timedelta(days=1))
    response = await anonymous.get("/ad_campaigns", headers=bearer(key["secret_key"]))
    assert_error(response, 401, "expired_api_key", None)

    # Adline's own option, through the client's request options: no grace period.
    again = await whop.api_keys.rotate(
        key["id"], request_options={"additional_body_parameters": {"grace_period_seconds": 0}}
    )
    assert again.secret_key is not None
    response = await anonymous.get("/ad_campaigns", headers=bearer(rotated.secret_key))
    assert_error(response, 401, "invalid_api_key", None)
    assert (
        await anonymous.get("/ad_campaigns", headers=bearer(again.secret_key))
    ).status_code == 200

    with pytest.raises(NotFoundError):
        await whop.api_keys.rotate("apik_doesnotexist00")


async def test_rotate_refuses_a_stronger_key(
    app: FastAPI, client: httpx.AsyncClient, make_key, tenant: Tenant
) -> None:  # type: ignore[no-untyped-def]
    key = await create_key(client, READ, CREATE)
    manager = await make_key(tenant, [scopes.DEVELOPER_MANAGE_API_KEY, READ])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        api = "http://adline.test/api/v1"
        whop = AsyncWhop(
            token=manager,
            environment=WhopEnvironment(api=api, vault=api),
            httpx_client=http,
            max_retries=0,
        )
        with pytest.raises(ForbiddenError) as refused:
            await whop.api_keys.rotate(key["id"])
    assert refused.value.body["error"]["code"] == "missing_scope"


async def test_list_permissions(whop: AsyncWhop) -> None:
    catalogue = await whop.api_keys.list_permissions()
    assert [permission.action for permission in catalogue.data] == list(scopes.ALL_SCOPES)
    assert catalogue.page_info.has_next_page is False
    [manage] = [p for p in catalogue.data if p.action == scopes.DEVELOPER_MANAGE_API_KEY]
    assert manage.allowed_on_api_key and manage.description
    # Adline's own field, kept by the client's models (they allow extra keys).
    assert "POST /api/v1/api_keys/{key_id}/rotate" in manage.model_extra["operations"]  # type: ignore[index]
