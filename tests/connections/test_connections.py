"""Network connections and external accounts over HTTP and through the services: the
token check (against the in-process fakes of Meta and TikTok, through the real clients:
tests/conftest.py), the write-only sealed token, broken tokens and their fix, the directory of
network ids, the simulated network's accounts, posts, lead forms and partners, and ads
naming only their company's accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.companies.models import Company
from adline.connections import service
from adline.connections.directory import DatabaseDirectory, DirectoryConflict
from adline.connections.models import NetworkConnection
from adline.connections.simulated import APPROVAL_DELAY
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.encryption import TokenCipher
from adline.issues.models import PlatformIssue
from adline.networks.fakes.meta import FakeMeta
from adline.networks.fakes.tiktok import FakeTikTok
from tests.campaigns.payloads import abo_campaign
from tests.conftest import Tenant
from tests.connections.helpers import (
    META_TOKEN,
    OTHER_META_TOKEN,
    REVOKED_META_TOKEN,
    REVOKED_TIKTOK_TOKEN,
    TIKTOK_TOKEN,
    meta_ad_account,
    tiktok_advertiser,
)
from tests.helpers import assert_error
from tests.hierarchy.builders import ad_body, group_body, ok

CONNECTION_FIELDS = {
    "id",
    "account_id",
    "platform",
    "external_id",
    "page_id",
    "name",
    "status",
    "error_message",
    "broken_at",
    "created_at",
    "updated_at",
}
ACCOUNT_FIELDS = {
    "id",
    "error",
    "external_id",
    "name",
    "parent_external_account",
    "partnership_status",
    "platform",
    "profile_picture_url",
    "scopes",
    "url",
    "username",
    "verified",
}


def connection_body(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    """A Meta connection of a fresh ad account, with a token the fake Meta accepts."""
    return {
        "account_id": tenant.company_id,
        "platform": "meta",
        "external_id": meta_ad_account(),
        "access_token": META_TOKEN,
        **fields,
    }


async def connect_meta(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """The company's Facebook page and Instagram account on the simulated network."""
    answer = await ok(
        await client.post(
            "/external_accounts/connect",
            json={
                "platform": "meta_business",
                "redirect_url": "https://app.example.com/done?step=2",
                "scopes": ["advertise"],
            },
        )
    )
    assert answer == {
        "authorize_url": "https://app.example.com/done?step=2"
        "&external_account_connected=meta_business&social_account_connected=meta_business"
    }
    listed = (await ok(await client.get("/external_accounts", params={"order": "display_order"})))[
        "data"
    ]
    by_platform = {account["platform"]: account for account in listed}
    return by_platform["facebook"], by_platform["instagram"]


def tiktok_body(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    wanted = {"external_id": tiktok_advertiser(), "access_token": TIKTOK_TOKEN, **fields}
    return connection_body(tenant, platform="tiktok", **wanted)


def refusal(response: httpx.Response) -> str:
    """The message of a 400 `access_token_refused`."""
    assert_error(response, 400, "access_token_refused", "access_token")
    message: str = response.json()["error"]["message"]
    return message


class TestNetworkConnections:
    async def test_create_checks_the_token_and_never_returns_it(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine, fake_meta: FakeMeta
    ) -> None:
        body = connection_body(tenant, page_id="1029384756")
        created = await ok(await client.post("/network_connections", json=body))
        assert set(created) == CONNECTION_FIELDS
        assert created["status"] == "active"
        # The name is the one Meta's account read answered, with the token being checked.
        assert created["name"] == f"Ad account {body['external_id'].removeprefix('act_')}"
        read = [call for call in fake_meta.calls if call.path == body["external_id"]]
        assert [(call.method, call.params) for call in read] == [
            ("GET", {"fields": "name,account_status,currency,timezone_name"})
        ]
        assert META_TOKEN not in str(created)
        assert await ok(await client.get(f"/network_connections/{created['id']}")) == created
        listed = await ok(await client.get("/network_connections"))
        assert [item["id"] for item in listed["data"]] == [created["id"]]
        async with create_sessionmaker(engine)() as session:
            row = await session.get(NetworkConnection, created["id"])
            assert row is not None and META_TOKEN not in row.access_token_sealed

    @pytest.mark.parametrize(
        ("platform", "external_id"),
        [("meta", "1234567"), ("meta", "act_12a"), ("tiktok", "act_123456"), ("tiktok", "12")],
    )
    async def test_the_ad_account_id_has_the_networks_shape(
        self, client: httpx.AsyncClient, tenant: Tenant, platform: str, external_id: str
    ) -> None:
        body = connection_body(tenant, platform=platform, external_id=external_id)
        response = await client.post("/network_connections", json=body)
        assert_error(response, 400, "parameter_invalid", "external_id")

    async def test_a_refused_token_stores_nothing(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        body = connection_body(tenant, access_token=REVOKED_META_TOKEN)
        message = refusal(await client.post("/network_connections", json=body))
        assert message.startswith(
            f"Meta refused the access token for {body['external_id']}: Meta error 190: "
            "Invalid OAuth access token"
        )
        assert (await ok(await client.get("/network_connections")))["data"] == []

    @pytest.mark.parametrize("token", ["tok\u00e9n-not-ascii", "two words", "tab\there"])
    async def test_a_token_that_is_not_printable_ascii_is_refused_unsent(
        self, client: httpx.AsyncClient, tenant: Tenant, fake_tiktok: FakeTikTok, token: str
    ) -> None:
        """TikTok's token goes in a header, where only ASCII can travel: refused as sent."""
        body = connection_body(
            tenant, platform="tiktok", external_id="7000000000000000123", access_token=token
        )
        sent = await client.post("/network_connections", json=body)
        assert_error(sent, 400, "parameter_invalid", "access_token")
        assert fake_tiktok.calls == []
        assert (await ok(await client.get("/network_connections")))["data"] == []

    async def test_an_ad_account_meta_does_not_know_is_refused(
        self, client: httpx.AsyncClient, tenant: Tenant, fake_meta: FakeMeta
    ) -> None:
        body = connection_body(tenant)
        fake_meta.remove_account(body["external_id"])
        message = refusal(await client.post("/network_connections", json=body))
        assert "Meta error 100/33" in message and "does not exist" in message
        assert (await ok(await client.get("/network_connections")))["data"] == []

    async def test_a_disabled_ad_account_is_refused(
        self, client: httpx.AsyncClient, tenant: Tenant, fake_meta: FakeMeta
    ) -> None:
        body = connection_body(tenant)
        fake_meta.close_account(body["external_id"], account_status=2)
        message = refusal(await client.post("/network_connections", json=body))
        assert message.endswith("is not active (account_status 2: disabled).")
        assert (await ok(await client.get("/network_connections")))["data"] == []

    async def test_a_tiktok_advertiser_is_read_with_the_token(
        self, client: httpx.AsyncClient, tenant: Tenant, fake_tiktok: FakeTikTok
    ) -> None:
        refused = tiktok_body(tenant, access_token=REVOKED_TIKTOK_TOKEN)
        assert "TikTok 40105" in refusal(await client.post("/network_connections", json=refused))
        unknown = tiktok_body(tenant)
        fake_tiktok.remove_advertiser(unknown["external_id"])
        assert "TikTok 40001" in refusal(await client.post("/network_connections", json=unknown))
        assert (await ok(await client.get("/network_connections")))["data"] == []
        body = tiktok_body(tenant)
        created = await ok(await client.post("/network_connections", json=body))
        assert (created["status"], created["name"]) == (
            "active",
            f"Advertiser {body['external_id']}",
        )
        assert [call.path for call in fake_tiktok.calls] == ["advertiser/info/"] * 3

    @pytest.mark.parametrize("platform", ["meta", "tiktok"])
    async def test_a_network_that_cannot_answer_is_a_503_and_nothing_is_stored(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        fake_meta: FakeMeta,
        fake_tiktok: FakeTikTok,
        platform: str,
    ) -> None:
        if platform == "meta":
            body = connection_body(tenant)
            fake_meta.throttle(17)
        else:
            body = tiktok_body(tenant)
            fake_tiktok.rate_limit(1, "QPM")
        response = await client.post("/network_connections", json=body)
        assert_error(response, 503, "ad_platform_unavailable", None)
        assert "could not check the access token" in response.json()["error"]["message"]
        assert (await ok(await client.get("/network_connections")))["data"] == []
        # Once the network answers again, the same request connects.
        assert (await ok(await client.post("/network_connections", json=body)))["status"] == (
            "active"
        )

    async def test_a_new_token_is_checked_before_it_replaces_the_old_one(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        fake_meta: FakeMeta,
    ) -> None:
        created = await ok(await client.post("/network_connections", json=connection_body(tenant)))
        path = f"/network_connections/{created['id']}"
        refusal(await client.patch(path, json={"access_token": REVOKED_META_TOKEN}))
        fake_meta.throttle(613)
        unanswered = await client.patch(path, json={"access_token": OTHER_META_TOKEN})
        assert_error(unanswered, 503, "ad_platform_unavailable", None)
        cipher: TokenCipher = client._transport.app.state.token_cipher  # type: ignore[attr-defined]
        async with create_sessionmaker(engine)() as session:
            row = await session.get(NetworkConnection, created["id"])
            assert row is not None
            assert service.credentials(row, cipher).access_token == META_TOKEN
        replaced = await ok(await client.patch(path, json={"access_token": OTHER_META_TOKEN}))
        assert replaced["status"] == "active"
        async with create_sessionmaker(engine)() as session:
            row = await session.get(NetworkConnection, created["id"])
            assert row is not None
            assert service.credentials(row, cipher).access_token == OTHER_META_TOKEN

    async def test_one_per_platform_and_one_business_per_account(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
    ) -> None:
        body = connection_body(tenant)
        await ok(await client.post("/network_connections", json=body))
        again = connection_body(tenant)
        assert_error(
            await client.post("/network_connections", json=again),
            409,
            "network_connection_already_exists",
            "platform",
        )
        theirs = {**body, "account_id": other_tenant.company_id}
        assert_error(
            await other_client.post("/network_connections", json=theirs),
            409,
            "network_connection_already_exists",
            "external_id",
        )
        tiktok = tiktok_body(tenant)
        assert (await ok(await client.post("/network_connections", json=tiktok)))["status"] == (
            "active"
        )

    async def test_another_companys_connection_is_not_found(
        self, client: httpx.AsyncClient, other_client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        created = await ok(await client.post("/network_connections", json=connection_body(tenant)))
        path = f"/network_connections/{created['id']}"
        assert_error(await other_client.get(path), 404, "resource_not_found", "id")
        patch = {"access_token": OTHER_META_TOKEN}
        assert_error(await other_client.patch(path, json=patch), 404, "resource_not_found", "id")
        assert_error(await other_client.delete(path), 404, "resource_not_found", "id")
        assert (await ok(await other_client.get("/network_connections")))["data"] == []

    async def test_delete_removes_it(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        created = await ok(await client.post("/network_connections", json=connection_body(tenant)))
        deleted = await ok(await client.delete(f"/network_connections/{created['id']}"))
        assert deleted == {"id": created["id"], "deleted": True}
        assert_error(
            await client.get(f"/network_connections/{created['id']}"),
            404,
            "resource_not_found",
            "id",
        )


class TestBrokenTokens:
    async def test_broken_puts_issues_on_the_platforms_campaigns_and_a_new_token_fixes_it(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock: ManualClock,
    ) -> None:
        created = await ok(await client.post("/network_connections", json=connection_body(tenant)))
        meta = await ok(await client.post("/ad_campaigns", json=abo_campaign(title="On Meta")))
        tiktok = await ok(
            await client.post("/ad_campaigns", json=abo_campaign(title="TT", platform="tiktok"))
        )
        page, _ = await connect_meta(client)
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session, session.begin():
            assert (await service.connection_for(session, tenant.company_id, "meta")) is not None
            assert await service.connection_for(session, tenant.company_id, "tiktok") is None
            connection = await session.get(NetworkConnection, created["id"])
            assert connection is not None
            issues = await service.mark_broken(
                session, clock, connection, "Error validating access token (190/463)."
            )
            assert [issue.resource_id for issue in issues] == [meta["id"]]
            assert await service.connection_for(session, tenant.company_id, "meta") is None
            assert await service.is_broken(session, tenant.company_id, "meta")
        shown = await ok(await client.get(f"/network_connections/{created['id']}"))
        assert shown["status"] == "broken"
        assert shown["error_message"] == "Error validating access token (190/463)."
        assert shown["broken_at"] is not None
        campaign = await ok(await client.get(f"/ad_campaigns/{meta['id']}"))
        assert [issue["category"] for issue in campaign["issues"]] == ["error"]
        assert (await ok(await client.get(f"/ad_campaigns/{tiktok['id']}")))["issues"] == []
        refreshed = await ok(await client.post(f"/external_accounts/{page['id']}/refresh"))
        assert refreshed["error"] is not None and "190/463" in refreshed["error"]

        # A refused token changes nothing; an accepted one fixes the connection.
        path = f"/network_connections/{created['id']}"
        refused = await client.patch(path, json={"access_token": REVOKED_META_TOKEN})
        assert_error(refused, 400, "access_token_refused", "access_token")
        assert (await ok(await client.get(path)))["status"] == "broken"
        clock.advance(timedelta(minutes=5))
        fixed = await ok(await client.patch(path, json={"access_token": OTHER_META_TOKEN}))
        assert (fixed["status"], fixed["error_message"], fixed["broken_at"]) == (
            "active",
            None,
            None,
        )
        assert (await ok(await client.get(f"/ad_campaigns/{meta['id']}")))["issues"] == []
        assert (await ok(await client.get(f"/external_accounts/{page['id']}/posts")))["data"]
        listed = (await ok(await client.get("/external_accounts")))["data"]
        assert all(account["error"] is None for account in listed)
        async with sessionmaker() as session:
            row = await session.get(NetworkConnection, created["id"])
            assert row is not None
            cipher: TokenCipher = client._transport.app.state.token_cipher  # type: ignore[attr-defined]
            assert service.credentials(row, cipher).access_token == OTHER_META_TOKEN
            statuses = await session.scalars(
                select(PlatformIssue.resolution_status).where(
                    PlatformIssue.ad_campaign_id == meta["id"]
                )
            )
            assert list(statuses) == ["resolved"]


class TestDirectory:
    async def test_remembers_both_ways_per_connection(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        created = await ok(await client.post("/network_connections", json=connection_body(tenant)))
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session, session.begin():
            connection = await session.get(NetworkConnection, created["id"])
            assert connection is not None
            directory = DatabaseDirectory(
                session, connection.id, connection.company_id, clock.now()
            )
            assert await directory.network_id("ad_campaign", "adcamp_x") is None
            await directory.remember("ad_campaign", "adcamp_x", "120200000001")
            await directory.remember("ad_campaign", "adcamp_x", "120200000001")  # again: one
            await directory.remember("ad", "ad_x", "120200000001")  # another kind: its own
            assert await directory.network_id("ad_campaign", "adcamp_x") == "120200000001"
            assert await directory.local_id("ad_campaign", "120200000001") == "adcamp_x"
            assert await directory.local_id("ad", "120200000001") == "ad_x"
            with pytest.raises(DirectoryConflict):
                await directory.remember("ad_campaign", "adcamp_y", "120200000001")
        async with sessionmaker() as session:
            connection = await session.get(NetworkConnection, created["id"])
            assert connection is not None
            directory = DatabaseDirectory(
                session, connection.id, connection.company_id, clock.now()
            )
            assert await directory.local_id("ad_campaign", "120200000001") == "adcamp_x"
        await ok(await client.delete(f"/network_connections/{created['id']}"))


class TestExternalAccounts:
    async def test_connect_lists_the_simulated_page_and_instagram(
        self, client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
    ) -> None:
        page, instagram = await connect_meta(client)
        assert set(page) == ACCOUNT_FIELDS
        assert page["id"].startswith("sacc_") and page["name"] == "Acme"
        assert page["scopes"] == ["advertise"] and page["parent_external_account"] is None
        assert instagram["parent_external_account"]["id"] == page["id"]
        # Connecting again links the same accounts.
        again = await connect_meta(client)
        assert (again[0]["id"], again[1]["id"]) == (page["id"], instagram["id"])
        only = await ok(await client.get("/external_accounts", params={"platform": "instagram"}))
        assert [account["id"] for account in only["data"]] == [instagram["id"]]
        # Refresh re-reads the profile: the company's current name.
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                update(Company).where(Company.id == tenant.company_id).values(name="Acme Two")
            )
        refreshed = await ok(await client.post(f"/external_accounts/{page['id']}/refresh"))
        assert (refreshed["name"], refreshed["username"]) == ("Acme Two", "acme.two")

    async def test_create_makes_one_managed_account_per_platform(
        self, client: httpx.AsyncClient
    ) -> None:
        made = await ok(await client.post("/external_accounts", json={"platform": "tiktok"}))
        again = await ok(await client.post("/external_accounts", json={"platform": "tiktok"}))
        assert made == again and made["platform"] == "tiktok"
        listed = await ok(
            await client.get("/external_accounts", params={"trust_level": "authorized"})
        )
        assert [account["id"] for account in listed["data"]] == [made["id"]]

    async def test_connect_refuses_what_adline_cannot_run(self, client: httpx.AsyncClient) -> None:
        body = {"platform": "x", "redirect_url": "https://a.example/", "scopes": ["advertise"]}
        response = await client.post("/external_accounts/connect", json=body)
        assert_error(response, 400, "parameter_invalid", "platform")
        body = {"platform": "tiktok", "redirect_url": "https://a.example/"}
        response = await client.post("/external_accounts/connect", json=body)
        assert_error(response, 400, "parameter_invalid", "scopes")
        body = {"platform": "tiktok", "redirect_url": "ftp://a", "scopes": ["advertise"]}
        response = await client.post("/external_accounts/connect", json=body)
        assert_error(response, 400, "parameter_invalid", "redirect_url")

    async def test_posts_are_deterministic_and_paged(self, client: httpx.AsyncClient) -> None:
        page, _ = await connect_meta(client)
        path = f"/external_accounts/{page['id']}/posts"
        every = (await ok(await client.get(path)))["data"]
        assert len(every) == 6 and (await ok(await client.get(path)))["data"] == every
        assert all(post["id"].startswith(page["external_id"] + "_") for post in every)
        first = await ok(await client.get(path, params={"first": 4}))
        assert first["page_info"]["has_next_page"] is True
        rest = await ok(
            await client.get(path, params={"first": 4, "after": first["page_info"]["end_cursor"]})
        )
        assert first["data"] + rest["data"] == every
        one = await ok(await client.get(path, params={"post_id": every[2]["id"]}))
        assert one["data"] == [every[2]]
        assert_error(
            await client.get(path, params={"post_id": "1_2"}), 404, "resource_not_found", "post_id"
        )

    async def test_lead_forms_live_on_facebook_pages(self, client: httpx.AsyncClient) -> None:
        page, instagram = await connect_meta(client)
        forms = (await ok(await client.get(f"/external_accounts/{page['id']}/lead_forms")))["data"]
        assert [form["form_type"] for form in forms] == ["more_volume", "higher_intent"]
        response = await client.get(f"/external_accounts/{instagram['id']}/lead_forms")
        assert_error(response, 400, "parameter_invalid", "id")

    async def test_partners_pending_then_approved_then_removed(
        self, client: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        page, instagram = await connect_meta(client)
        path = f"/external_accounts/{instagram['id']}/partners"
        partner = await ok(await client.post(path, json={"username": "@Jane.Doe"}))
        assert (partner["partnership_status"], partner["username"]) == ("pending", "jane.doe")
        assert_error(
            await client.post(path, json={"username": "jane.doe"}),
            409,
            "partner_already_exists",
            "username",
        )
        refresh = f"/external_accounts/{partner['id']}/refresh"
        assert (await ok(await client.post(refresh)))["partnership_status"] == "pending"
        clock.advance(APPROVAL_DELAY)
        assert (await ok(await client.post(refresh)))["partnership_status"] == "approved"
        listed = await ok(await client.get(path))
        assert [item["id"] for item in listed["data"]] == [partner["id"]]
        # A partner is not one of the company's own accounts.
        own = (await ok(await client.get("/external_accounts")))["data"]
        assert partner["id"] not in [account["id"] for account in own]
        removed = await ok(await client.delete(f"{path}/{partner['id']}"))
        assert removed == {"id": partner["id"], "deleted": True}
        assert (await ok(await client.get(path)))["data"] == []
        response = await client.get(f"/external_accounts/{page['id']}/partners")
        assert_error(response, 400, "parameter_invalid", "external_account_id")

    async def test_another_companys_accounts_are_not_found(
        self, client: httpx.AsyncClient, other_client: httpx.AsyncClient
    ) -> None:
        page, instagram = await connect_meta(client)
        for method, path in [
            ("DELETE", f"/external_accounts/{page['id']}"),
            ("POST", f"/external_accounts/{page['id']}/refresh"),
            ("GET", f"/external_accounts/{page['id']}/posts"),
            ("GET", f"/external_accounts/{page['id']}/lead_forms"),
        ]:
            assert_error(await other_client.request(method, path), 404, "resource_not_found", "id")
        assert_error(
            await other_client.get(f"/external_accounts/{instagram['id']}/partners"),
            404,
            "resource_not_found",
            "external_account_id",
        )
        assert (await ok(await other_client.get("/external_accounts")))["data"] == []

    async def test_user_profiles_are_not_kept(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/external_accounts", params={"user_id": "user_abc"})
        assert_error(response, 400, "parameter_invalid", "user_id")


class TestAdsNameTheirCompanysAccounts:
    async def test_ads_take_only_the_companys_accounts_on_their_network(
        self, client: httpx.AsyncClient, other_client: httpx.AsyncClient
    ) -> None:
        page, instagram = await connect_meta(client)
        theirs, _ = await connect_meta(other_client)
        tiktok = await ok(await client.post("/external_accounts", json={"platform": "tiktok"}))
        campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign()))
        group = await ok(await client.post("/ad_groups", json=group_body(campaign["id"])))
        for named, param in [
            ([{"id": theirs["id"]}], "external_accounts[0].id"),
            ([{"id": page["id"]}, {"id": tiktok["id"]}], "external_accounts[1].id"),
            ([{"id": "sacc_neverMade00001"}], "external_accounts[0].id"),
        ]:
            body = ad_body(group["id"], external_accounts=named)
            assert_error(await client.post("/ads", json=body), 400, "parameter_invalid", param)
        mine = [{"id": page["id"]}, {"id": instagram["id"]}]
        ad = await ok(await client.post("/ads", json=ad_body(group["id"], external_accounts=mine)))
        assert ad["external_accounts"] == mine
        patch = {"external_accounts": [{"id": theirs["id"]}]}
        assert_error(
            await client.patch(f"/ads/{ad['id']}", json=patch),
            400,
            "parameter_invalid",
            "external_accounts[0].id",
        )
        # An account an ad names cannot be disconnected.
        assert_error(
            await client.delete(f"/external_accounts/{page['id']}"),
            409,
            "external_account_in_use",
            "id",
        )
        await ok(await client.patch(f"/ads/{ad['id']}", json={"external_accounts": []}))
        deleted = await ok(await client.delete(f"/external_accounts/{page['id']}"))
        assert deleted == {"id": page["id"], "deleted": True}
        left = (await ok(await client.get("/external_accounts")))["data"]
        assert {account["id"] for account in left} == {instagram["id"], tiktok["id"]}
        assert all(account["parent_external_account"] is None for account in left)
