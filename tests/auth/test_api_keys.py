"""`/api_keys`: API keys as a resource, in the newest official client's shape (whop-sdk 2.6.0)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from whop_sdk import AsyncWhop, NotFoundError
from whop_sdk.api_keys import CreateApiKeysRequestPermissions
from whop_sdk.api_keys.types import CreateApiKeysRequestPermissionsStatementsItem
from whop_sdk.environment import WhopEnvironment
from whop_sdk.types.api_key import ApiKey as SdkApiKey

from adline.auth import scopes
from adline.auth.service import address_allowed
from adline.core.timestamps import format_timestamp
from adline.versions import VERSION_BUNDLE
from tests.campaigns.payloads import abo_campaign
from tests.conftest import Tenant
from tests.helpers import assert_error

MANAGE = scopes.DEVELOPER_MANAGE_API_KEY
READ = scopes.AD_CAMPAIGN_BASIC_READ
CREATE = scopes.AD_CAMPAIGN_CREATE
PIN = "2026-10-15-1"

KEY_FIELDS = {
    "id",
    "name",
    "obfuscated_secret_key",
    "secret_key",
    "api_version_date",
    "expires_at",
    "ip_allowlist",
    "grants",
    "system_role",
    "is_default_for_resource",
    "created_at",
    "updated_at",
}


def grant(*actions: str) -> dict[str, Any]:
    return {"statements": [{"actions": list(actions), "grant": True}]}


def key_body(*actions: str, **fields: Any) -> dict[str, Any]:
    return {"name": "Reporting", "permissions": grant(*actions), **fields}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def granted_actions(key: dict[str, Any]) -> list[str]:
    [account_grant] = key["grants"]
    return [entry["action"] for entry in account_grant["actions"] if entry["granted"]]


async def create_key(client: httpx.AsyncClient, *actions: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api_keys", json=key_body(*actions, **fields))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestCreate:
    async def test_the_secret_is_shown_once(self, client: httpx.AsyncClient, tenant) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ, CREATE)
        assert set(key) == KEY_FIELDS
        secret = key["secret_key"]
        assert secret.startswith("adl_sk_") and len(secret) == len("adl_sk_") + 40
        assert key["id"].startswith("apik_")
        assert key["name"] == "Reporting"
        assert key["obfuscated_secret_key"] == f"adl_sk_...{secret[-4:]}"
        assert key["grants"][0]["resource_id"] == tenant.company_id
        assert key["grants"][0]["resource_type"] == "account"
        assert granted_actions(key) == [READ, CREATE]
        assert {entry["action"] for entry in key["grants"][0]["actions"]} == set(scopes.ALL_SCOPES)
        # Omitted api_version_date: pinned to the newest version, as the client documents.
        assert key["api_version_date"] == VERSION_BUNDLE.newest
        assert key["expires_at"] is None
        assert key["ip_allowlist"] is None
        assert key["system_role"] is None
        assert key["is_default_for_resource"] is False
        assert key["created_at"] == key["updated_at"] == "2026-03-02T09:00:00.000000Z"

        retrieved = await client.get(f"/api_keys/{key['id']}")
        listed = await client.get("/api_keys")
        for response in (retrieved, listed):
            assert response.status_code == 200, response.text
            assert secret not in response.text
        assert retrieved.json() == {**key, "secret_key": None}
        [listed_key] = [item for item in listed.json()["data"] if item["id"] == key["id"]]
        assert listed_key == {**key, "secret_key": None}

    async def test_the_body_parses_as_the_clients_api_key(self, client: httpx.AsyncClient) -> None:
        key = SdkApiKey.model_validate(await create_key(client, READ))
        assert key.secret_key is not None
        assert key.grants is not None and key.grants[0].actions[0].action == READ

    async def test_the_new_key_works_within_its_scopes_only(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
    ) -> None:
        headers = bearer((await create_key(client, READ))["secret_key"])
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
        response = await anonymous.post("/ad_campaigns", json=abo_campaign(), headers=headers)
        error = assert_error(response, 403, "missing_scope", None)
        assert CREATE in error["message"]
        # Nor can it manage keys: it was not granted developer:manage_api_key.
        assert_error(await anonymous.get("/api_keys", headers=headers), 403, "missing_scope", None)

    async def test_a_denial_wins_over_a_grant(self, client: httpx.AsyncClient) -> None:
        permissions = {
            "statements": [
                {"actions": [READ, CREATE], "grant": True},
                {"actions": [CREATE], "grant": False},
            ]
        }
        response = await client.post(
            "/api_keys", json={"name": "Read only", "permissions": permissions}
        )
        assert response.status_code == 200, response.text
        assert granted_actions(response.json()) == [READ]

    async def test_statements_may_name_the_own_account(
        self, client: httpx.AsyncClient, tenant
    ) -> None:  # type: ignore[no-untyped-def]
        statement = {"actions": [READ], "grant": True, "resources": [tenant.company_id]}
        body = {
            "name": "Explicit",
            "permissions": {"statements": [statement]},
            "resource_id": tenant.company_id,
            "resource_type": "account",
        }
        response = await client.post("/api_keys", json=body)
        assert response.status_code == 200, response.text
        assert granted_actions(response.json()) == [READ]

    async def test_a_key_cannot_grant_a_scope_it_lacks(
        self, anonymous: httpx.AsyncClient, client: httpx.AsyncClient, tenant, make_key
    ) -> None:  # type: ignore[no-untyped-def]
        creator = bearer(await make_key(tenant, [MANAGE, READ]))
        before = (await client.get("/api_keys")).json()["data"]
        body = key_body(READ, scopes.AD_CAMPAIGN_DELETE)
        response = await anonymous.post("/api_keys", json=body, headers=creator)
        error = assert_error(response, 403, "missing_scope", "permissions.statements[0].actions[1]")
        assert error["type"] == "forbidden"
        assert scopes.AD_CAMPAIGN_DELETE in error["message"]
        assert (await client.get("/api_keys")).json()["data"] == before
        # What it holds it may grant, and it may deny what it lacks.
        permissions = {
            "statements": [
                {"actions": [READ], "grant": True},
                {"actions": [scopes.AD_CAMPAIGN_DELETE], "grant": False},
            ]
        }
        response = await anonymous.post(
            "/api_keys", json={"name": "Narrower", "permissions": permissions}, headers=creator
        )
        assert response.status_code == 200, response.text
        assert granted_actions(response.json()) == [READ]

    @pytest.mark.parametrize(
        ("body", "status", "code", "param"),
        [
            ({"permissions": grant(READ)}, 400, "parameter_missing", "name"),
            ({"name": "  ", "permissions": grant(READ)}, 400, "parameter_invalid", "name"),
            ({"name": "x" * 201, "permissions": grant(READ)}, 400, "parameter_invalid", "name"),
            ({"name": "k"}, 400, "parameter_missing", "permissions"),
            ({"name": "k", "permissions": {}}, 400, "parameter_missing", "permissions.statements"),
            (
                {"name": "k", "permissions": {"statements": []}},
                400,
                "parameter_invalid",
                "permissions.statements",
            ),
            (
                {"name": "k", "permissions": {"system_role": "admin"}},
                400,
                "parameter_invalid",
                "permissions.system_role",
            ),
            (
                {"name": "k", "permissions": grant(READ, "company:basic:read")},
                400,
                "parameter_invalid",
                "permissions.statements[0].actions[1]",
            ),
            (
                {"name": "k", "permissions": {"statements": [{"actions": [READ]}]}},
                400,
                "parameter_missing",
                "permissions.statements[0].grant",
            ),
            (
                {"name": "k", "permissions": {"statements": [{"actions": [READ], "grant": 1}]}},
                400,
                "parameter_invalid",
                "permissions.statements[0].grant",
            ),
            (
                {
                    "name": "k",
                    "permissions": {
                        "statements": [{"actions": [READ], "grant": True, "resources": ["biz_x"]}]
                    },
                },
                400,
                "parameter_invalid",
                "permissions.statements[0].resources[0]",
            ),
            (key_body(READ, resource_type="app"), 400, "parameter_invalid", "resource_type"),
            (key_body(READ, resource_type="user"), 400, "parameter_invalid", "resource_type"),
            (
                key_body(READ, resource_id="biz_someoneelse1"),
                404,
                "resource_not_found",
                "resource_id",
            ),
            (key_body(READ, scopes=[READ]), 400, "parameter_invalid", "scopes"),
            (key_body(READ, expires_at="tomorrow"), 400, "parameter_invalid", "expires_at"),
            (key_body(READ, ip_allowlist="10.0.0.0/8"), 400, "parameter_invalid", "ip_allowlist"),
        ],
    )
    async def test_invalid_bodies(
        self,
        client: httpx.AsyncClient,
        body: dict[str, Any],
        status: int,
        code: str,
        param: str,
    ) -> None:
        before = (await client.get("/api_keys")).json()["data"]
        assert_error(await client.post("/api_keys", json=body), status, code, param)
        assert (await client.get("/api_keys")).json()["data"] == before

    async def test_another_companys_account_is_404(
        self, client: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        body = key_body(READ, resource_id=other_tenant.company_id, resource_type="account")
        assert_error(
            await client.post("/api_keys", json=body), 404, "resource_not_found", "resource_id"
        )


ENDPOINTS = [
    ("POST", "/api_keys", key_body(READ)),
    ("GET", "/api_keys", None),
    ("GET", "/api_keys/{id}", None),
    ("DELETE", "/api_keys/{id}", None),
]


class TestScope:
    @pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
    async def test_every_endpoint_needs_manage_api_key(
        self,
        anonymous: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
        make_key,  # type: ignore[no-untyped-def]
        method: str,
        path: str,
        body: dict[str, Any] | None,
    ) -> None:
        url = path.format(id=(await create_key(client, READ))["id"])
        others = [scope for scope in scopes.ALL_SCOPES if scope != MANAGE]
        lacking = bearer(await make_key(tenant, others))
        response = await anonymous.request(method, url, json=body, headers=lacking)
        error = assert_error(response, 403, "missing_scope", None)
        assert MANAGE in error["message"]

        allowed = bearer(await make_key(tenant, [MANAGE, READ]))
        response = await anonymous.request(method, url, json=body, headers=allowed)
        assert response.status_code == 200, response.text


class TestVersionPin:
    async def test_the_pin_applies_when_no_header_is_sent(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
    ) -> None:
        key = await create_key(client, READ, api_version_date="2026-06-09")
        assert key["api_version_date"] == "2026-06-09"
        anonymous.headers.pop("Api-Version-Date")
        response = await anonymous.get("/ad_campaigns", headers=bearer(key["secret_key"]))
        assert response.status_code == 200
        assert response.headers["Api-Version-Date"] == "2026-06-09"
        response = await anonymous.get(
            "/ad_campaigns", headers={**bearer(key["secret_key"]), "Api-Version-Date": PIN}
        )
        assert response.status_code == 200
        assert response.headers["Api-Version-Date"] == PIN

    async def test_null_leaves_the_key_unpinned(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
    ) -> None:
        key = await create_key(client, READ, api_version_date=None)
        assert key["api_version_date"] is None
        anonymous.headers.pop("Api-Version-Date")
        response = await anonymous.get("/ad_campaigns", headers=bearer(key["secret_key"]))
        assert response.headers["Api-Version-Date"] == VERSION_BUNDLE.default

    @pytest.mark.parametrize("value", ["2026-07-02", "latest", "", 20261015])
    async def test_an_unsupported_version_is_400(
        self, client: httpx.AsyncClient, value: object
    ) -> None:
        response = await client.post("/api_keys", json=key_body(READ, api_version_date=value))
        error = assert_error(response, 400, "parameter_invalid", "api_version_date")
        if isinstance(value, str):
            assert f"The newest version is {VERSION_BUNDLE.newest}" in error["message"]

    @pytest.mark.parametrize("token", ["2026-06-08", "2026-08-21", "2026-10-09-1"])
    async def test_any_token_of_the_newest_client_may_be_pinned(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, token: str
    ) -> None:
        key = await create_key(client, READ, api_version_date=token)
        assert key["api_version_date"] == token
        anonymous.headers.pop("Api-Version-Date")
        response = await anonymous.get("/ad_campaigns", headers=bearer(key["secret_key"]))
        assert response.status_code == 200, response.text
        assert response.headers["Api-Version-Date"] == token


class TestExpiry:
    @pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=-1), timedelta(days=-400)])
    async def test_a_past_expiry_is_refused(
        self, client: httpx.AsyncClient, clock, offset: timedelta
    ) -> None:  # type: ignore[no-untyped-def]
        expires_at = format_timestamp(clock.now() + offset)
        response = await client.post("/api_keys", json=key_body(READ, expires_at=expires_at))
        assert_error(response, 400, "parameter_invalid", "expires_at")

    async def test_the_key_stops_working_when_it_expires(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, clock
    ) -> None:  # type: ignore[no-untyped-def]
        # 10:00 at +01:00 is 09:00 UTC, which is now: refused. An hour later is fine.
        now = key_body(READ, expires_at="2026-03-02T10:00:00+01:00")
        assert_error(
            await client.post("/api_keys", json=now), 400, "parameter_invalid", "expires_at"
        )
        key = await create_key(client, READ, expires_at="2026-03-02T10:00:00Z")
        assert key["expires_at"] == "2026-03-02T10:00:00.000000Z"
        headers = bearer(key["secret_key"])
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
        clock.advance(timedelta(minutes=59, seconds=59))
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
        clock.advance(timedelta(seconds=1))
        response = await anonymous.get("/ad_campaigns", headers=headers)
        assert_error(response, 401, "expired_api_key", None)
        # An expired key still reads as a key (it was not deleted), with its expiry.
        assert (await client.get(f"/api_keys/{key['id']}")).json()["expires_at"] == (
            "2026-03-02T10:00:00.000000Z"
        )


class TestIpAllowlist:
    async def test_entries_are_validated_and_canonical(self, client: httpx.AsyncClient) -> None:
        allowlist = ["10.1.2.3", " 10.0.0.0/8", "2001:DB8::/32", "10.0.0.0/8"]
        key = await create_key(client, READ, ip_allowlist=allowlist)
        assert key["ip_allowlist"] == ["10.1.2.3/32", "10.0.0.0/8", "2001:db8::/32"]
        assert (await create_key(client, READ, ip_allowlist=[]))["ip_allowlist"] is None
        assert (await create_key(client, READ, ip_allowlist=None))["ip_allowlist"] is None

    @pytest.mark.parametrize(
        ("entry", "message"),
        [
            ("10.1.2.3/24", "did you mean 10.1.2.0/24"),
            ("10.0.0.256", "CIDR range"),
            ("example.com", "CIDR range"),
            ("", "CIDR range"),
        ],
    )
    async def test_a_bad_entry_is_400_naming_it(
        self, client: httpx.AsyncClient, entry: str, message: str
    ) -> None:
        body = key_body(READ, ip_allowlist=["192.0.2.0/24", entry])
        error = assert_error(
            await client.post("/api_keys", json=body), 400, "parameter_invalid", "ip_allowlist[1]"
        )
        assert message in error["message"]

    async def test_at_most_100_entries(self, client: httpx.AsyncClient) -> None:
        body = key_body(READ, ip_allowlist=[f"10.0.{i}.0/24" for i in range(101)])
        assert_error(
            await client.post("/api_keys", json=body), 400, "parameter_invalid", "ip_allowlist"
        )

    async def test_requests_from_outside_the_list_are_403(
        self, client: httpx.AsyncClient, from_address
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ, ip_allowlist=["10.1.0.0/16", "2001:db8::/32"])
        headers = bearer(key["secret_key"])
        for host in ("10.1.2.3", "::ffff:10.1.2.3", "2001:db8::7"):
            async with from_address(host) as c:
                response = await c.get("/ad_campaigns", headers=headers)
                assert response.status_code == 200, (host, response.text)
        for host in ("10.2.0.1", "127.0.0.1", "2001:db9::1"):
            async with from_address(host) as c:
                response = await c.get("/ad_campaigns", headers=headers)
            error = assert_error(response, 403, "ip_not_allowed", None)
            assert error["type"] == "forbidden"
            assert host in error["message"] and "allowlist" in error["message"]

    async def test_no_list_allows_any_address(
        self, client: httpx.AsyncClient, from_address
    ) -> None:  # type: ignore[no-untyped-def]
        headers = bearer((await create_key(client, READ, ip_allowlist=[]))["secret_key"])
        async with from_address("198.51.100.20") as c:
            assert (await c.get("/ad_campaigns", headers=headers)).status_code == 200

    async def test_a_bad_key_is_401_before_the_address_is_looked_at(
        self, client: httpx.AsyncClient, from_address, clock
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(
            client, READ, ip_allowlist=["10.0.0.0/8"], expires_at="2026-03-02T10:00:00Z"
        )
        clock.advance(timedelta(hours=2))
        async with from_address("192.0.2.1") as c:
            response = await c.get("/ad_campaigns", headers=bearer(key["secret_key"]))
        assert_error(response, 401, "expired_api_key", None)

    def test_address_allowed(self) -> None:
        assert address_allowed(["10.0.0.0/8"], "10.255.0.1")
        assert not address_allowed(["10.0.0.0/8"], "11.0.0.1")
        assert address_allowed(["10.0.0.0/8"], "::ffff:10.0.0.1")
        assert not address_allowed(["10.0.0.0/8"], None)
        assert not address_allowed(["10.0.0.0/8"], "testclient")
        assert address_allowed(["::/0"], "2001:db8::1")


class TestRetrieveAndTenancy:
    async def test_an_unknown_id_is_404(self, client: httpx.AsyncClient) -> None:
        for method in ("GET", "DELETE"):
            response = await client.request(method, "/api_keys/apik_doesnotexist00")
            assert_error(response, 404, "resource_not_found", "id")

    async def test_another_companys_key_is_404(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        other_tenant: Tenant,
        anonymous: httpx.AsyncClient,
    ) -> None:
        theirs = await create_key(other_client, READ)
        for method in ("GET", "DELETE"):
            response = await client.request(method, f"/api_keys/{theirs['id']}")
            assert_error(response, 404, "resource_not_found", "id")
        # Their own fixture key too; and nothing of theirs shows in our list.
        assert_error(
            await client.get(f"/api_keys/{other_tenant.key_id}"), 404, "resource_not_found", "id"
        )
        ours = {item["id"] for item in (await client.get("/api_keys")).json()["data"]}
        assert theirs["id"] not in ours and other_tenant.key_id not in ours
        # The refused delete changed nothing.
        headers = bearer(theirs["secret_key"])
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
        assert (await other_client.get(f"/api_keys/{theirs['id']}")).status_code == 200

    async def test_the_fixture_key_reads_with_its_scopes(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        key = (await client.get(f"/api_keys/{tenant.key_id}")).json()
        assert granted_actions(key) == list(scopes.ALL_SCOPES)
        assert key["secret_key"] is None
        assert key["obfuscated_secret_key"] == f"adl_sk_...{tenant.key[-4:]}"
        # Keys issued from the command line without --api-version are unpinned.
        assert key["api_version_date"] is None


class TestDelete:
    async def test_delete_revokes(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, clock
    ) -> None:  # type: ignore[no-untyped-def]
        key = await create_key(client, READ)
        headers = bearer(key["secret_key"])
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
        clock.advance(timedelta(minutes=5))
        response = await client.delete(f"/api_keys/{key['id']}")
        assert response.status_code == 200, response.text
        assert response.json() == {"id": key["id"], "deleted": True}

        assert_error(
            await anonymous.get("/ad_campaigns", headers=headers), 401, "invalid_api_key", None
        )
        assert_error(await client.get(f"/api_keys/{key['id']}"), 404, "resource_not_found", "id")
        listed = {item["id"] for item in (await client.get("/api_keys")).json()["data"]}
        assert key["id"] not in listed
        assert_error(await client.delete(f"/api_keys/{key['id']}"), 404, "resource_not_found", "id")

    async def test_a_key_may_delete_itself(
        self, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
    ) -> None:
        key = await create_key(client, MANAGE)
        headers = bearer(key["secret_key"])
        response = await anonymous.delete(f"/api_keys/{key['id']}", headers=headers)
        assert response.status_code == 200, response.text
        assert_error(
            await anonymous.get("/api_keys", headers=headers), 401, "invalid_api_key", None
        )


class TestList:
    async def test_pages_newest_first(
        self, client: httpx.AsyncClient, tenant: Tenant, clock
    ) -> None:  # type: ignore[no-untyped-def]
        ids = [tenant.key_id]
        for _ in range(4):
            clock.advance(timedelta(seconds=1))
            ids.append((await create_key(client, READ))["id"])
        newest_first = ids[::-1]

        seen: list[str] = []
        after: str | None = None
        for page_number in range(3):
            params: dict[str, Any] = {"first": 2}
            if after is not None:
                params["after"] = after
            body = (await client.get("/api_keys", params=params)).json()
            seen += [item["id"] for item in body["data"]]
            assert body["page_info"]["has_previous_page"] == (page_number > 0)
            assert body["page_info"]["has_next_page"] == (page_number < 2)
            after = body["page_info"]["end_cursor"]
        assert seen == newest_first

        ascending = (await client.get("/api_keys", params={"direction": "asc"})).json()
        assert [item["id"] for item in ascending["data"]] == ids

        last = (await client.get("/api_keys", params={"last": 2})).json()
        assert [item["id"] for item in last["data"]] == newest_first[-2:]
        before = last["page_info"]["start_cursor"]
        previous = (await client.get("/api_keys", params={"last": 2, "before": before})).json()
        assert [item["id"] for item in previous["data"]] == newest_first[1:3]

    async def test_filters(self, client: httpx.AsyncClient, tenant: Tenant, clock) -> None:  # type: ignore[no-untyped-def]
        clock.advance(timedelta(hours=1))
        late = await create_key(client, READ)

        async def ids(**params: str) -> list[str]:
            response = await client.get("/api_keys", params=params)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["data"]]

        assert await ids(created_after="2026-03-02T09:30:00Z") == [late["id"]]
        assert await ids(created_before="2026-03-02T09:30:00Z") == [tenant.key_id]
        both = [late["id"], tenant.key_id]
        assert await ids(resource_id=tenant.company_id, resource_type="account") == both

    @pytest.mark.parametrize(
        ("params", "status", "code", "param"),
        [
            ({"resource_type": "app"}, 400, "parameter_invalid", "resource_type"),
            ({"resource_type": "team"}, 400, "parameter_invalid", "resource_type"),
            ({"resource_id": "biz_someoneelse1"}, 404, "resource_not_found", "resource_id"),
            ({"order": "updated_at"}, 400, "parameter_invalid", "order"),
            ({"direction": "up"}, 400, "parameter_invalid", "direction"),
            ({"first": "0"}, 400, "parameter_invalid", "first"),
            ({"after": "nonsense"}, 400, "parameter_invalid", "after"),
            ({"created_after": "yesterday"}, 400, "parameter_invalid", "created_after"),
        ],
    )
    async def test_bad_parameters(
        self,
        client: httpx.AsyncClient,
        params: dict[str, str],
        status: int,
        code: str,
        param: str,
    ) -> None:
        response = await client.get("/api_keys", params=params)
        assert_error(response, status, code, param)


class TestOfficialClient:
    """whop-sdk 2.6.0's `api_keys` client against Adline, in process (`AsyncWhop` over an
    ASGI transport): typed models in, typed models and typed errors out."""

    async def test_create_retrieve_list_delete(
        self, app: FastAPI, tenant: Tenant, anonymous: httpx.AsyncClient
    ) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport) as http:
            api = "http://adline.test/api/v1"
            whop = AsyncWhop(
                environment=WhopEnvironment(api=api, vault=api),
                token=tenant.key,
                max_retries=0,
                httpx_client=http,
            )
            statement = CreateApiKeysRequestPermissionsStatementsItem(actions=[READ], grant=True)
            created = await whop.api_keys.create(
                name="From the SDK",
                permissions=CreateApiKeysRequestPermissions(statements=[statement]),
                resource_id=tenant.company_id,
                resource_type="account",
                ip_allowlist=["127.0.0.1"],
            )
            assert created.secret_key is not None and created.secret_key.startswith("adl_sk_")
            assert created.ip_allowlist == ["127.0.0.1/32"]
            headers = bearer(created.secret_key)
            assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200

            retrieved = await whop.api_keys.retrieve(created.id)
            assert retrieved.secret_key is None
            assert retrieved.obfuscated_secret_key == created.obfuscated_secret_key
            pager = await whop.api_keys.list(resource_id=tenant.company_id, resource_type="account")
            assert {key.id async for key in pager} == {created.id, tenant.key_id}

            deleted = await whop.api_keys.delete(created.id)
            assert (deleted.id, deleted.deleted) == (created.id, True)
            with pytest.raises(NotFoundError):
                await whop.api_keys.retrieve(created.id)
        response = await anonymous.get("/ad_campaigns", headers=headers)
        assert_error(response, 401, "invalid_api_key", None)
