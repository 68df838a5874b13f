"""Ad pixels over HTTP and through the service: the token check, the one-pixel rules, the
write-only token sealed at rest, the operator's switch, and another company's pixels."""

from __future__ import annotations

import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.auth.scopes import AD_CAMPAIGN_BASIC_READ
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.encryption import SecretKeyError, TokenCipher
from adline.pixels import service
from adline.pixels.models import AdPixel
from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import ok

GOOD_TOKEN = "EAAGm0PX4ZCpsBAKlongLivedToken123"
OTHER_GOOD_TOKEN = "EAAB2second0token0value9"
REVOKED_TOKEN = "EAAinvalidatedSessionToken42"
FIELDS = {
    "id",
    "account_id",
    "platform",
    "external_id",
    "name",
    "status",
    "error_message",
    "created_at",
    "updated_at",
}


def pixel_id_on_meta() -> str:
    """A fresh network pixel id: the tests share a store, and a network pixel serves one
    business."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def pixel_body(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return {
        "account_id": tenant.company_id,
        "platform": "meta",
        "external_id": pixel_id_on_meta(),
        "access_token": GOOD_TOKEN,
        **fields,
    }


async def stored(engine: AsyncEngine, *tenants: Tenant) -> list[tuple[Any, ...]]:
    """The tenants' pixel rows, token and timestamps included."""
    companies = [tenant.company_id for tenant in tenants]
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(AdPixel).where(AdPixel.company_id.in_(companies)).order_by(AdPixel.id)
        )
        return [
            (p.id, p.company_id, p.status, p.error_message, p.access_token_sealed, p.updated_at)
            for p in rows
        ]


class TestCreate:
    async def test_an_accepted_token_makes_an_active_pixel(
        self, client: httpx.AsyncClient, tenant: Tenant, clock: ManualClock
    ) -> None:
        body = pixel_body(tenant)
        created = await ok(await client.post("/ad_pixels", json=body))
        assert set(created) == FIELDS
        assert created["id"].startswith("adpx_") and len(created["id"]) == len("adpx_") + 14
        assert created["account_id"] == tenant.company_id
        assert (created["status"], created["error_message"]) == ("active", None)
        assert created["external_id"] == body["external_id"]
        assert created["name"] == f"Simulated pixel {body['external_id']}"
        assert created["created_at"] == created["updated_at"] == "2026-03-02T09:00:00.000000Z"

    @pytest.mark.parametrize(
        ("token", "reason"),
        [
            (REVOKED_TOKEN, "the session has been invalidated"),
            ("invalid-token", "cannot parse access token"),
            ("EAAshort", "cannot parse access token"),
        ],
    )
    async def test_a_refused_token_makes_an_errored_pixel_with_the_reason(
        self, client: httpx.AsyncClient, tenant: Tenant, token: str, reason: str
    ) -> None:
        created = await ok(
            await client.post("/ad_pixels", json=pixel_body(tenant, access_token=token))
        )
        assert created["status"] == "errored"
        assert reason in created["error_message"]
        assert created["name"] is None

    async def test_the_token_is_never_answered_and_is_sealed_at_rest(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine, app: FastAPI
    ) -> None:
        created = (await client.post("/ad_pixels", json=pixel_body(tenant))).text
        listed = (await client.get("/ad_pixels")).text
        for text in (created, listed):
            assert GOOD_TOKEN not in text and "access_token" not in text
        [row] = await stored(engine, tenant)
        sealed = row[4]
        assert GOOD_TOKEN not in sealed
        async with create_sessionmaker(engine)() as session:
            pixel = await session.get(AdPixel, row[0])
            assert pixel is not None
            assert service.access_token(pixel, app.state.token_cipher) == GOOD_TOKEN

    async def test_one_pixel_per_business(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))
        before = await stored(engine, tenant)
        again = await client.post("/ad_pixels", json=pixel_body(tenant))
        assert_error(again, 409, "pixel_already_exists", "account_id")
        assert await stored(engine, tenant) == before

    async def test_one_business_per_pixel(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        body = pixel_body(tenant)
        await ok(await client.post("/ad_pixels", json=body))
        before = await stored(engine, tenant, other_tenant)
        theirs = await other_client.post(
            "/ad_pixels", json=pixel_body(other_tenant, external_id=body["external_id"])
        )
        assert_error(theirs, 409, "pixel_already_exists", "external_id")
        assert await stored(engine, tenant, other_tenant) == before
        # Another pixel id is theirs to add.
        await ok(await other_client.post("/ad_pixels", json=pixel_body(other_tenant)))

    @pytest.mark.parametrize(
        ("change", "code", "param"),
        [
            ({"access_token": ""}, "parameter_invalid", "access_token"),
            ({"access_token": "EAA has spaces"}, "parameter_invalid", "access_token"),
            ({"access_token": 12}, "parameter_invalid", "access_token"),
            ({"platform": "tiktok"}, "parameter_invalid", "platform"),
            ({"external_id": ""}, "parameter_invalid", "external_id"),
            ({"external_id": "a/b"}, "parameter_invalid", "external_id"),
            ({"name": "mine"}, "parameter_invalid", "name"),
            ({"account_id": None}, "parameter_invalid", "account_id"),
        ],
    )
    async def test_bad_bodies_are_refused_and_store_nothing(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        change: dict[str, Any],
        code: str,
        param: str,
    ) -> None:
        response = await client.post("/ad_pixels", json=pixel_body(tenant, **change))
        assert_error(response, 400, code, param)
        assert await stored(engine, tenant) == []

    async def test_missing_fields_are_named(self, client: httpx.AsyncClient) -> None:
        assert_error(
            await client.post("/ad_pixels", json={"platform": "meta"}),
            400,
            "parameter_missing",
            "access_token",
        )

    async def test_another_companys_account_is_not_found(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        response = await client.post("/ad_pixels", json=pixel_body(other_tenant))
        assert_error(response, 404, "resource_not_found", "account_id")
        assert await stored(engine, tenant, other_tenant) == []

    async def test_the_scope_is_ad_pixel_manage(
        self, anonymous: httpx.AsyncClient, tenant: Tenant, make_key: Any
    ) -> None:
        key = await make_key(tenant, [AD_CAMPAIGN_BASIC_READ])
        anonymous.headers["Authorization"] = f"Bearer {key}"
        for response in (
            await anonymous.post("/ad_pixels", json=pixel_body(tenant)),
            await anonymous.get("/ad_pixels"),
        ):
            assert_error(response, 403, "missing_scope", None)


class TestUpdate:
    async def test_a_new_accepted_token_resumes_an_errored_pixel(
        self, client: httpx.AsyncClient, tenant: Tenant, clock: ManualClock, engine: AsyncEngine
    ) -> None:
        body = pixel_body(tenant, access_token=REVOKED_TOKEN)
        errored = await ok(await client.post("/ad_pixels", json=body))
        sealed_before = (await stored(engine, tenant))[0][4]
        clock.advance(timedelta(seconds=60))
        resumed = await ok(
            await client.patch(f"/ad_pixels/{errored['id']}", json={"access_token": GOOD_TOKEN})
        )
        assert (resumed["status"], resumed["error_message"]) == ("active", None)
        assert resumed["updated_at"] == "2026-03-02T09:01:00.000000Z"
        assert resumed["created_at"] == errored["created_at"]
        assert (await stored(engine, tenant))[0][4] != sealed_before

    async def test_a_refused_token_errors_an_active_pixel(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        active = await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))
        errored = await ok(
            await client.patch(f"/ad_pixels/{active['id']}", json={"access_token": REVOKED_TOKEN})
        )
        assert errored["status"] == "errored" and errored["error_message"]

    async def test_bad_bodies_change_nothing(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        pixel = await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))
        before = await stored(engine, tenant)
        for body, code in (
            ({}, "parameter_missing"),
            ({"access_token": " "}, "parameter_invalid"),
            ({"access_token": GOOD_TOKEN, "status": "disabled"}, "parameter_invalid"),
        ):
            response = await client.patch(f"/ad_pixels/{pixel['id']}", json=body)
            assert response.status_code == 400 and response.json()["error"]["code"] == code
        assert await stored(engine, tenant) == before


class TestDisable:
    async def test_the_operators_switch_holds_through_token_updates(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        pixel = await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))
        async with create_sessionmaker(engine)() as session, session.begin():
            await service.set_disabled(session, clock, tenant.company_id, pixel["id"], True)
        assert (await ok(await client.get(f"/ad_pixels/{pixel['id']}")))["status"] == "disabled"
        refused = await ok(
            await client.patch(f"/ad_pixels/{pixel['id']}", json={"access_token": REVOKED_TOKEN})
        )
        assert refused["status"] == "disabled" and refused["error_message"]
        async with create_sessionmaker(engine)() as session, session.begin():
            await service.set_disabled(session, clock, tenant.company_id, pixel["id"], False)
        # Enabled again, it says what its token's last check said.
        assert (await ok(await client.get(f"/ad_pixels/{pixel['id']}")))["status"] == "errored"


class TestReadListDelete:
    async def test_list_pages_and_filters_by_account(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        other_client: httpx.AsyncClient,
        other_tenant: Tenant,
    ) -> None:
        mine = await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))
        await ok(await other_client.post("/ad_pixels", json=pixel_body(other_tenant)))
        page = await ok(await client.get("/ad_pixels", params={"first": 1}))
        assert [p["id"] for p in page["data"]] == [mine["id"]]
        assert page["page_info"]["has_next_page"] is False
        by_account = await ok(
            await client.get("/ad_pixels", params={"account_id": tenant.company_id})
        )
        assert [p["id"] for p in by_account["data"]] == [mine["id"]]
        assert_error(
            await client.get("/ad_pixels", params={"account_id": other_tenant.company_id}),
            404,
            "resource_not_found",
            "account_id",
        )

    async def test_another_companys_pixel_is_not_found(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        pixel = await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))
        before = await stored(engine, tenant)
        path = f"/ad_pixels/{pixel['id']}"
        for response in (
            await other_client.get(path),
            await other_client.patch(path, json={"access_token": OTHER_GOOD_TOKEN}),
            await other_client.delete(path),
        ):
            assert_error(response, 404, "resource_not_found", "id")
        assert await stored(engine, tenant) == before

    async def test_delete_removes_the_pixel_and_its_token(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        pixel = await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))
        deleted = await ok(await client.delete(f"/ad_pixels/{pixel['id']}"))
        assert deleted == {"id": pixel["id"], "deleted": True}
        assert await stored(engine, tenant) == []
        assert_error(await client.get(f"/ad_pixels/{pixel['id']}"), 404, "resource_not_found", "id")
        # The business may add a pixel again.
        await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))


class TestTokenCipher:
    def test_a_configured_key_seals_and_opens(self) -> None:
        key = Fernet.generate_key().decode()
        sealed = TokenCipher(key).seal("EAAsecret")
        assert "EAAsecret" not in sealed
        assert TokenCipher(key).open(sealed) == "EAAsecret"
        with pytest.raises(SecretKeyError):
            TokenCipher(Fernet.generate_key().decode()).open(sealed)

    def test_a_key_that_is_not_a_fernet_key_is_refused_at_start(self) -> None:
        with pytest.raises(SecretKeyError, match="not a Fernet key"):
            TokenCipher("too-short")

    def test_the_key_file_is_made_once_and_reused(self, tmp_path: Any) -> None:
        path = tmp_path / "var" / "secret.key"
        sealed = TokenCipher(key_file=str(path)).seal("EAAsecret")
        assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
        assert TokenCipher(key_file=str(path)).open(sealed) == "EAAsecret"


async def test_the_operator_switches_a_pixel_from_the_command_line(
    cli_env: dict[str, str], client: httpx.AsyncClient, tenant: Tenant
) -> None:
    pixel = await ok(await client.post("/ad_pixels", json=pixel_body(tenant)))

    def adline(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).parent / "adline"), "pixels", *args]
        return subprocess.run(
            command, env=cli_env, capture_output=True, text=True, check=False, timeout=60
        )

    off = adline("disable", pixel["id"], "--company", tenant.company_id)
    assert off.returncode == 0, off.stderr
    assert (await ok(await client.get(f"/ad_pixels/{pixel['id']}")))["status"] == "disabled"
    on = adline("enable", pixel["id"], "--company", tenant.company_id)
    assert (on.returncode, on.stderr.strip()) == (0, f"{pixel['id']} is active")
    # Another company's pixel is not found: one line, exit 2.
    other = adline("disable", pixel["id"], "--company", "biz_nobody")
    assert other.returncode == 2 and f"No ad pixel with id {pixel['id']}" in other.stderr
