from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from adline.auth import scopes
from adline.bootstrap import revoke_key
from adline.config import Settings
from tests.campaigns.payloads import abo_campaign
from tests.helpers import assert_error

ENDPOINT_SCOPES = [
    ("GET", "/ad_campaigns", None, scopes.AD_CAMPAIGN_BASIC_READ),
    ("POST", "/ad_campaigns", abo_campaign(), scopes.AD_CAMPAIGN_CREATE),
    ("GET", "/ad_campaigns/{id}", None, scopes.AD_CAMPAIGN_BASIC_READ),
    ("PATCH", "/ad_campaigns/{id}", {"title": "New"}, scopes.AD_CAMPAIGN_UPDATE),
    ("DELETE", "/ad_campaigns/{id}", None, scopes.AD_CAMPAIGN_DELETE),
    ("POST", "/ad_campaigns/{id}/pause", None, scopes.AD_CAMPAIGN_UPDATE),
    ("POST", "/ad_campaigns/{id}/unpause", None, scopes.AD_CAMPAIGN_UPDATE),
]


class TestAuthentication:
    async def test_missing_key_is_401(self, anonymous: httpx.AsyncClient) -> None:
        error = assert_error(await anonymous.get("/ad_campaigns"), 401, "invalid_api_key", None)
        assert error["type"] == "unauthorized"

    @pytest.mark.parametrize("header", ["Bearer adl_sk_nope", "Basic abc", "Bearer ", "token"])
    async def test_unknown_or_malformed_key_is_401(
        self, anonymous: httpx.AsyncClient, header: str
    ) -> None:
        response = await anonymous.get("/ad_campaigns", headers={"Authorization": header})
        assert_error(response, 401, "invalid_api_key", None)

    async def test_revoked_key_is_401(
        self,
        anonymous: httpx.AsyncClient,
        tenant,
        database_url: str,  # type: ignore[no-untyped-def]
    ) -> None:
        assert (await anonymous.get("/ad_campaigns", headers=tenant.headers)).status_code == 200
        await revoke_key(Settings(database_url=database_url), tenant.key_id)
        response = await anonymous.get("/ad_campaigns", headers=tenant.headers)
        assert_error(response, 401, "invalid_api_key", None)

    async def test_expired_key_is_401(
        self,
        anonymous: httpx.AsyncClient,
        tenant,
        make_key,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        key = await make_key(
            tenant, [scopes.AD_CAMPAIGN_BASIC_READ], expires_at=clock.now() + timedelta(hours=1)
        )
        headers = {"Authorization": f"Bearer {key}"}
        assert (await anonymous.get("/ad_campaigns", headers=headers)).status_code == 200
        clock.advance(timedelta(hours=1))
        assert_error(
            await anonymous.get("/ad_campaigns", headers=headers), 401, "expired_api_key", None
        )

    async def test_health_needs_no_key(self, app) -> None:  # type: ignore[no-untyped-def]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://adline.test") as c:
            response = await c.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestScopes:
    @pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINT_SCOPES)
    async def test_endpoint_refuses_a_key_without_its_scope(
        self,
        anonymous: httpx.AsyncClient,
        client: httpx.AsyncClient,
        tenant,  # type: ignore[no-untyped-def]
        make_key,  # type: ignore[no-untyped-def]
        method: str,
        path: str,
        body: dict | None,
        scope: str,
    ) -> None:
        campaign_id = (await client.post("/ad_campaigns", json=abo_campaign())).json()["id"]
        url = path.format(id=campaign_id)
        others = [s for s in scopes.ALL_SCOPES if s != scope]
        lacking = {"Authorization": f"Bearer {await make_key(tenant, others)}"}
        response = await anonymous.request(method, url, json=body, headers=lacking)
        error = assert_error(response, 403, "missing_scope", None)
        assert error["type"] == "forbidden"
        assert scope in error["message"]
        # Nothing changed: the campaign still reads as it was.
        after = await client.get(f"/ad_campaigns/{campaign_id}")
        assert after.status_code == 200
        assert after.json()["title"] == "Spring launch"
        assert after.json()["status"] == "draft"

        only = {"Authorization": f"Bearer {await make_key(tenant, [scope])}"}
        allowed = await anonymous.request(method, url, json=body, headers=only)
        assert allowed.status_code != 403, allowed.text

    def test_scopes_doc_lists_every_scope(self) -> None:
        from tests.conftest import repo_root

        doc = (repo_root() / "docs" / "scopes.md").read_text()
        for scope in scopes.ALL_SCOPES:
            assert f"`{scope}`" in doc, scope
