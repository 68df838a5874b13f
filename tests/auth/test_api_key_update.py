"""`PATCH /api_keys/{id}`: name, scopes, version pin, expiry and IP allowlist; a change takes
effect on the key's next request, and a refused one changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from adline.auth import scopes
from adline.versions import VERSION_BUNDLE
from tests.auth.test_api_keys import (
    CREATE,
    MANAGE,
    READ,
    bearer,
    create_key,
    grant,
    granted_actions,
)
from tests.conftest import Tenant
from tests.helpers import assert_error

OLDER = "2026-06-20"


async def patch(client: httpx.AsyncClient, key_id: str, body: dict[str, Any]) -> httpx.Response:
    return await client.patch(f"/api_keys/{key_id}", json=body)


async def read(client: httpx.AsyncClient, key_id: str) -> dict[str, Any]:
    response = await client.get(f"/api_keys/{key_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestUpdate:
    async def test_every_field_changes_and_updated_at_moves(
        self, client: httpx.AsyncClient, clock
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ)
        clock.advance(timedelta(minutes=5))
        response = await patch(
            client,
            key["id"],
            {
                "name": "Renamed",
                "permissions": grant(READ, CREATE),
                "api_version_date": OLDER,
                "expires_at": "2027-01-01T00:00:00Z",
                "ip_allowlist": ["10.1.2.3", "2001:DB8::/32"],
            },
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["secret_key"] is None
        assert updated["name"] == "Renamed"
        assert granted_actions(updated) == [READ, CREATE]
        assert updated["api_version_date"] == OLDER
        assert updated["expires_at"] == "2027-01-01T00:00:00.000000Z"
        assert updated["ip_allowlist"] == ["10.1.2.3/32", "2001:db8::/32"]
        assert updated["created_at"] == key["created_at"]
        assert updated["updated_at"] == "2026-03-02T09:05:00.000000Z"
        assert await read(client, key["id"]) == updated

    async def test_omitted_fields_keep_their_values(self, client: httpx.AsyncClient, clock) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(
            client, READ, ip_allowlist=["10.0.0.0/8"], expires_at="2027-01-01T00:00:00Z"
        )
        before = await read(client, key["id"])
        clock.advance(timedelta(minutes=5))
        renamed = (await patch(client, key["id"], {"name": "Only the name"})).json()
        assert renamed == {
            **before,
            "name": "Only the name",
            "updated_at": "2026-03-02T09:05:00.000000Z",
        }
        # Nothing sent, or only what the key already has: nothing changes, not even updated_at.
        clock.advance(timedelta(minutes=5))
        assert (await patch(client, key["id"], {})).json() == renamed
        same = {"name": "Only the name", "ip_allowlist": ["10.0.0.0/8"], "permissions": grant(READ)}
        assert (await patch(client, key["id"], same)).json() == renamed

    async def test_null_clears_the_pin_the_expiry_and_the_allowlist(
        self, client: httpx.AsyncClient
    ) -> None:
        key = await create_key(
            client, READ, ip_allowlist=["10.0.0.0/8"], expires_at="2027-01-01T00:00:00Z"
        )
        body = {"api_version_date": None, "expires_at": None, "ip_allowlist": None}
        cleared = (await patch(client, key["id"], body)).json()
        assert (cleared["api_version_date"], cleared["expires_at"], cleared["ip_allowlist"]) == (
            None,
            None,
            None,
        )
        fenced = (await patch(client, key["id"], {"ip_allowlist": ["10.0.0.0/8"]})).json()
        assert fenced["ip_allowlist"] == ["10.0.0.0/8"]
        opened = (await patch(client, key["id"], {"ip_allowlist": []})).json()
        assert opened["ip_allowlist"] is None


class TestTakesEffectAtOnce:
    async def test_scopes(self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
        key = await create_key(client, READ)
        headers = bearer(key["secret_key"])
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
        await patch(client, key["id"], {"permissions": grant(CREATE)})
        response = await anonymous.get("/ad_campaigns", headers=headers)
        assert READ in assert_error(response, 403, "missing_scope", None)["message"]
        await patch(client, key["id"], {"permissions": grant(READ)})
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200

    async def test_the_allowlist(self, client: httpx.AsyncClient, from_address) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ)
        headers = bearer(key["secret_key"])
        async with from_address("192.0.2.7") as c:
            assert (await c.get("/ad_campaigns", headers=headers)).status_code == 200
            await patch(client, key["id"], {"ip_allowlist": ["10.0.0.0/8"]})
            response = await c.get("/ad_campaigns", headers=headers)
            assert "192.0.2.7" in assert_error(response, 403, "ip_not_allowed", None)["message"]
        async with from_address("10.9.8.7") as c:
            assert (await c.get("/ad_campaigns", headers=headers)).status_code == 200

    async def test_the_version_pin(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
    ) -> None:
        key = await create_key(client, READ)
        # No Api-Version-Date header: the key's pin decides the version answered in.
        headers = bearer(key["secret_key"])
        del anonymous.headers["Api-Version-Date"]
        first = await anonymous.get("/ad_campaigns", headers=headers)
        assert first.headers["Api-Version-Date"] == VERSION_BUNDLE.newest
        await patch(client, key["id"], {"api_version_date": OLDER})
        second = await anonymous.get("/ad_campaigns", headers=headers)
        assert second.headers["Api-Version-Date"] == OLDER

    async def test_the_expiry(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, clock
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ)
        headers = bearer(key["secret_key"])
        await patch(client, key["id"], {"expires_at": "2026-03-02T09:30:00Z"})
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
        clock.advance(timedelta(minutes=30))
        response = await anonymous.get("/ad_campaigns", headers=headers)
        assert_error(response, 401, "expired_api_key", None)


class TestRefusals:
    @pytest.mark.parametrize(
        ("body", "status", "code", "param"),
        [
            (
                {"permissions": grant(READ, "ad_campaign:everything")},
                400,
                "parameter_invalid",
                "permissions.statements[0].actions[1]",
            ),
            ({"permissions": {"system_role": "admin"}}, 400, None, "permissions.system_role"),
            ({"permissions": {}}, 400, "parameter_missing", "permissions.statements"),
            ({"ip_allowlist": ["10.0.0.0/8", "10.1.2.3/24"]}, 400, None, "ip_allowlist[1]"),
            ({"ip_allowlist": ["not-an-address"]}, 400, None, "ip_allowlist[0]"),
            ({"api_version_date": "2031-01-01"}, 400, None, "api_version_date"),
            ({"expires_at": "2026-03-01T00:00:00Z"}, 400, None, "expires_at"),
            ({"expires_at": "tomorrow"}, 400, None, "expires_at"),
            ({"name": None}, 400, None, "name"),
            ({"name": "   "}, 400, None, "name"),
            ({"permissions": None}, 400, None, "permissions"),
            ({"secret_key": "adl_sk_mine"}, 400, None, "secret_key"),
        ],
    )
    async def test_bad_input_is_400_naming_it_and_changes_nothing(
        self,
        client: httpx.AsyncClient,
        body: dict[str, Any],
        status: int,
        code: str | None,
        param: str,
    ) -> None:
        key = await create_key(client, READ, ip_allowlist=["192.0.2.0/24"])
        before = await read(client, key["id"])
        # A valid change sent beside the bad one is not applied either.
        response = await patch(client, key["id"], {"name": "Should not stick", **body})
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["param"] == param
        if code is not None:
            assert error["code"] == code
        assert await read(client, key["id"]) == before

    async def test_an_unknown_version_lists_where_the_supported_ones_are(
        self, client: httpx.AsyncClient
    ) -> None:
        key = await create_key(client, READ)
        response = await patch(client, key["id"], {"api_version_date": "2031-01-01"})
        error = assert_error(response, 400, "parameter_invalid", "api_version_date")
        assert VERSION_BUNDLE.newest in error["message"]


class TestAuthority:
    async def test_a_key_cannot_add_a_scope_it_lacks(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, make_key, tenant: Tenant
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ)
        before = await read(client, key["id"])
        manager = bearer(await make_key(tenant, [MANAGE, READ]))
        response = await anonymous.patch(
            f"/api_keys/{key['id']}",
            json={"name": "Escalated", "permissions": grant(READ, CREATE)},
            headers=manager,
        )
        error = assert_error(response, 403, "missing_scope", "permissions.statements[0].actions[1]")
        assert CREATE in error["message"]
        assert await read(client, key["id"]) == before

    async def test_it_may_keep_or_drop_scopes_it_lacks(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, make_key, tenant: Tenant
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ, CREATE)
        manager = bearer(await make_key(tenant, [MANAGE, READ]))
        url = f"/api_keys/{key['id']}"
        # CREATE was the key's already: keeping it gives nobody anything new.
        kept = await anonymous.patch(url, json={"permissions": grant(CREATE)}, headers=manager)
        assert kept.status_code == 200, kept.text
        assert granted_actions(kept.json()) == [CREATE]
        dropped = await anonymous.patch(url, json={"permissions": grant(READ)}, headers=manager)
        assert granted_actions(dropped.json()) == [READ]
        # Once dropped, it is not the key's any more: adding it back is refused.
        again = await anonymous.patch(url, json={"permissions": grant(CREATE)}, headers=manager)
        assert_error(again, 403, "missing_scope", "permissions.statements[0].actions[0]")

    async def test_a_denial_wins(self, client: httpx.AsyncClient) -> None:
        key = await create_key(client, READ)
        statements = [
            {"actions": [READ, CREATE], "grant": True},
            {"actions": [READ], "grant": False},
        ]
        response = await patch(client, key["id"], {"permissions": {"statements": statements}})
        assert granted_actions(response.json()) == [CREATE]

    async def test_it_needs_the_manage_scope(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, make_key, tenant: Tenant
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ)
        reader = bearer(await make_key(tenant, [READ]))
        response = await anonymous.patch(
            f"/api_keys/{key['id']}", json={"name": "x"}, headers=reader
        )
        assert (
            scopes.DEVELOPER_MANAGE_API_KEY
            in assert_error(response, 403, "missing_scope", None)["message"]
        )

    async def test_another_companys_key_and_a_revoked_one_are_404(
        self, client: httpx.AsyncClient, other_client: httpx.AsyncClient
    ) -> None:
        theirs = await create_key(other_client, READ)
        before = await read(other_client, theirs["id"])
        response = await patch(client, theirs["id"], {"name": "Taken over"})
        assert_error(response, 404, "resource_not_found", "id")
        assert await read(other_client, theirs["id"]) == before
        mine = await create_key(client, READ)
        await client.delete(f"/api_keys/{mine['id']}")
        response = await patch(client, mine["id"], {"name": "Back from the dead"})
        assert_error(response, 404, "resource_not_found", "id")
