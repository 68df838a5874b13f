"""`POST /api_keys/{id}/rotate`: a new secret, shown once; the old one keeps working for a
grace period (the server's setting, or the request's), then answers 401."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adline.config import DEFAULT_KEY_ROTATION_GRACE_SECONDS, Settings
from tests.auth.test_api_keys import CREATE, MANAGE, READ, bearer, create_key
from tests.conftest import Tenant
from tests.helpers import assert_error


async def rotate(
    client: httpx.AsyncClient, key_id: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(f"/api_keys/{key_id}/rotate", json=body)


async def rotated(
    client: httpx.AsyncClient, key_id: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await rotate(client, key_id, body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def status_with(anonymous: httpx.AsyncClient, secret: str) -> int:
    return (await anonymous.get("/ad_campaigns", headers=bearer(secret))).status_code


class TestRotate:
    async def test_a_new_secret_once_and_the_old_one_for_a_day(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, clock
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ)
        old = key["secret_key"]
        clock.advance(timedelta(minutes=1))
        answer = await rotated(client, key["id"])
        new = answer["secret_key"]
        assert new.startswith("adl_sk_") and len(new) == len(old) and new != old
        assert answer["obfuscated_secret_key"] == f"adl_sk_...{new[-4:]}"
        assert answer["updated_at"] == "2026-03-02T09:01:00.000000Z"
        # Nothing else about the key changed.
        unchanged = ("secret_key", "obfuscated_secret_key", "updated_at")
        assert {k: v for k, v in answer.items() if k not in unchanged} == {
            k: v for k, v in key.items() if k not in unchanged
        }
        retrieved = await client.get(f"/api_keys/{key['id']}")
        assert retrieved.json()["secret_key"] is None and new not in retrieved.text

        assert await status_with(anonymous, new) == 200
        clock.advance(timedelta(seconds=DEFAULT_KEY_ROTATION_GRACE_SECONDS - 1))
        assert await status_with(anonymous, old) == 200
        clock.advance(timedelta(seconds=1))
        response = await anonymous.get("/ad_campaigns", headers=bearer(old))
        error = assert_error(response, 401, "expired_api_key", None)
        assert "rotated" in error["message"] and "2026-03-03T09:01:00.000000Z" in error["message"]
        assert await status_with(anonymous, new) == 200

    async def test_a_grace_period_of_zero_ends_the_old_secret_at_once(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
    ) -> None:
        key = await create_key(client, READ)
        answer = await rotated(client, key["id"], {"grace_period_seconds": 0})
        response = await anonymous.get("/ad_campaigns", headers=bearer(key["secret_key"]))
        assert_error(response, 401, "invalid_api_key", None)
        assert await status_with(anonymous, answer["secret_key"]) == 200

    async def test_the_request_may_name_its_grace_period(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, clock
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ)
        await rotated(client, key["id"], {"grace_period_seconds": 60})
        clock.advance(timedelta(seconds=59))
        assert await status_with(anonymous, key["secret_key"]) == 200
        clock.advance(timedelta(seconds=1))
        assert await status_with(anonymous, key["secret_key"]) == 401

    async def test_the_servers_setting_is_the_default(
        self, app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, clock
    ) -> None:  # type: ignore[no-untyped-def]
        settings: Settings = app.state.settings
        app.state.settings = dataclasses.replace(settings, key_rotation_grace_seconds=600)
        key = await create_key(client, READ)
        await rotated(client, key["id"])
        clock.advance(timedelta(seconds=599))
        assert await status_with(anonymous, key["secret_key"]) == 200
        clock.advance(timedelta(seconds=1))
        assert await status_with(anonymous, key["secret_key"]) == 401

    def test_the_setting_comes_from_the_environment(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        assert Settings.from_env().key_rotation_grace_seconds == 24 * 60 * 60
        monkeypatch.setenv("ADLINE_KEY_ROTATION_GRACE_SECONDS", "3600")
        assert Settings.from_env().key_rotation_grace_seconds == 3600

    async def test_a_second_rotation_ends_the_first_old_secret(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
    ) -> None:
        key = await create_key(client, READ)
        first = await rotated(client, key["id"])
        second = await rotated(client, key["id"])
        assert await status_with(anonymous, key["secret_key"]) == 401
        assert await status_with(anonymous, first["secret_key"]) == 200
        assert await status_with(anonymous, second["secret_key"]) == 200

    async def test_a_key_may_rotate_itself(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        answer = await rotated(client, tenant.key_id)
        # The old secret (the client's own) still works during the grace period.
        assert (await client.get(f"/api_keys/{tenant.key_id}")).status_code == 200
        assert await status_with(anonymous, answer["secret_key"]) == 200

    async def test_revoking_ends_both_secrets(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
    ) -> None:
        key = await create_key(client, READ)
        answer = await rotated(client, key["id"])
        await client.delete(f"/api_keys/{key['id']}")
        for secret in (key["secret_key"], answer["secret_key"]):
            assert await status_with(anonymous, secret) == 401

    async def test_the_old_secret_keeps_the_keys_rules(
        self, client: httpx.AsyncClient, from_address
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ, ip_allowlist=["10.0.0.0/8"])
        await rotated(client, key["id"])
        async with from_address("192.0.2.1") as c:
            response = await c.get("/ad_campaigns", headers=bearer(key["secret_key"]))
        assert_error(response, 403, "ip_not_allowed", None)


class TestRefusals:
    @pytest.mark.parametrize(
        "body",
        [
            {"grace_period_seconds": -1},
            {"grace_period_seconds": 7 * 24 * 60 * 60 + 1},
            {"grace_period_seconds": "60"},
            {"grace_period_seconds": 1.5},
        ],
    )
    async def test_a_bad_grace_period_is_400_and_changes_nothing(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        key = await create_key(client, READ)
        response = await rotate(client, key["id"], body)
        assert_error(response, 400, "parameter_invalid", "grace_period_seconds")
        assert (await client.get(f"/api_keys/{key['id']}")).json() == {**key, "secret_key": None}
        assert await status_with(anonymous, key["secret_key"]) == 200

    async def test_an_unknown_field_is_400(self, client: httpx.AsyncClient) -> None:
        key = await create_key(client, READ)
        response = await rotate(client, key["id"], {"grace_period": 60})
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "grace_period"

    async def test_a_key_cannot_rotate_one_holding_a_scope_it_lacks(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, make_key, tenant: Tenant
    ) -> None:  # type: ignore[no-untyped-def]
        # The answer would hand it a working secret with CREATE: more than it holds.
        key = await create_key(client, READ, CREATE)
        manager = bearer(await make_key(tenant, [MANAGE, READ]))
        response = await anonymous.post(f"/api_keys/{key['id']}/rotate", headers=manager)
        error = assert_error(response, 403, "missing_scope", "id")
        assert CREATE in error["message"]
        assert (await client.get(f"/api_keys/{key['id']}")).json() == {**key, "secret_key": None}
        # One holding no more than the manager's may be rotated by it.
        weaker = await create_key(client, READ)
        response = await anonymous.post(f"/api_keys/{weaker['id']}/rotate", headers=manager)
        assert response.status_code == 200, response.text

    async def test_another_companys_key_is_404_and_keeps_its_secret(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        anonymous: httpx.AsyncClient,
    ) -> None:
        theirs = await create_key(other_client, READ)
        assert_error(await rotate(client, theirs["id"]), 404, "resource_not_found", "id")
        assert_error(await rotate(client, "apik_doesnotexist00"), 404, "resource_not_found", "id")
        retrieved = (await other_client.get(f"/api_keys/{theirs['id']}")).json()
        assert retrieved == {**theirs, "secret_key": None}
        assert await status_with(anonymous, theirs["secret_key"]) == 200
