"""Signing in and out with an API key: the cookie, the server-side session, the key
re-checked on every page, and CSRF on every POST (docs/web.md#the-security-model)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import revoke_api_key
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.encryption import TokenCipher
from adline.web.models import WebSession
from adline.web.session import COOKIE, LIFETIME
from tests.conftest import Tenant
from tests.web.helpers import csrf_token, sign_in, signed_in


async def sessions_of(engine: AsyncEngine, key_id: str) -> list[WebSession]:
    async with create_sessionmaker(engine)() as session:
        statement = select(WebSession).where(WebSession.api_key_id == key_id)
        return list((await session.scalars(statement)).all())


class TestSignIn:
    async def test_signed_out_pages_go_to_sign_in(self, browser: httpx.AsyncClient) -> None:
        for path in ("/", "/campaigns", "/spend_caps", "/campaigns/adcamp_abc"):
            answer = await browser.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/sign-in"

    async def test_the_form_is_labelled(self, browser: httpx.AsyncClient) -> None:
        page = (await browser.get("/sign-in")).text
        assert '<label for="api_key">API key</label>' in page
        assert '<input id="api_key" name="api_key" type="password"' in page
        assert '<button type="submit">Sign in</button>' in page

    async def test_a_bad_key_is_a_401_with_an_alert(
        self, browser: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        answer = await sign_in(browser, "adl_sk_not_a_key")
        assert answer.status_code == 401
        assert 'role="alert"' in answer.text and "Invalid or revoked API key" in answer.text
        assert COOKIE not in browser.cookies
        assert (await browser.get("/campaigns")).headers["location"] == "/sign-in"

    async def test_a_good_key_signs_in_and_keeps_only_its_id(
        self, browser: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        answer = await sign_in(browser, tenant.key)
        assert answer.status_code == 303 and answer.headers["location"] == "/campaigns"
        [cookie] = [
            value
            for value in answer.headers.get_list("set-cookie")
            if value.startswith(COOKIE + "=")
        ]
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
        assert "secure" not in flags  # plain http here; https gets Secure
        assert tenant.key not in cookie
        [row] = await sessions_of(engine, tenant.key_id)
        assert row.company_id == tenant.company_id
        assert row.expires_at == clock.now() + LIFETIME
        assert browser.cookies[COOKIE].startswith(row.id + ".")
        page = await browser.get("/campaigns")
        assert page.status_code == 200
        assert '<nav aria-label="Main">' in page.text
        assert tenant.key not in page.text

    async def test_https_cookies_are_secure(self, app, tenant: Tenant) -> None:  # type: ignore[no-untyped-def]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://adline.test") as b:
            answer = await sign_in(b, tenant.key)
        cookie = next(
            v for v in answer.headers.get_list("set-cookie") if v.startswith(COOKIE + "=")
        )
        assert "secure" in [part.strip().lower() for part in cookie.split(";")]

    async def test_sign_in_forms_in_two_tabs_both_work(
        self, browser: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        first = csrf_token((await browser.get("/sign-in")).text)
        second = csrf_token((await browser.get("/sign-in")).text)
        assert first == second
        answer = await browser.post("/sign-in", data={"api_key": tenant.key, "csrf_token": first})
        assert answer.status_code == 303

    async def test_sign_in_without_the_forms_token_is_refused(
        self, browser: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        await browser.get("/sign-in")
        answer = await browser.post("/sign-in", data={"api_key": tenant.key, "csrf_token": "x"})
        assert answer.status_code == 403
        assert await sessions_of(engine, tenant.key_id) == []

    async def test_sign_in_from_another_site_is_refused(
        self, browser: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        form = await browser.get("/sign-in")
        answer = await browser.post(
            "/sign-in",
            data={"api_key": tenant.key, "csrf_token": csrf_token(form.text)},
            headers={"Origin": "https://evil.example"},
        )
        assert answer.status_code == 403
        assert await sessions_of(engine, tenant.key_id) == []


class TestSessionEnds:
    async def test_sign_out_deletes_the_session(
        self, browser: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        await signed_in(browser, tenant.key)
        cookie = browser.cookies[COOKIE]
        page = await browser.get("/campaigns")
        answer = await browser.post("/sign-out", data={"csrf_token": csrf_token(page.text)})
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
        assert await sessions_of(engine, tenant.key_id) == []
        # The old cookie, replayed, opens nothing.
        browser.cookies.set(COOKIE, cookie)
        assert (await browser.get("/campaigns")).headers["location"] == "/sign-in"

    async def test_a_revoked_key_loses_its_session(
        self, browser: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine, clock: ManualClock
    ) -> None:
        await signed_in(browser, tenant.key)
        assert (await browser.get("/campaigns")).status_code == 200
        async with create_sessionmaker(engine)() as session, session.begin():
            await revoke_api_key(session, clock, tenant.key_id)
        answer = await browser.get("/campaigns")
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
        assert await sessions_of(engine, tenant.key_id) == []

    async def test_an_expired_session_signs_out(
        self, browser: httpx.AsyncClient, tenant: Tenant, clock: ManualClock
    ) -> None:
        await signed_in(browser, tenant.key)
        clock.advance(LIFETIME + timedelta(seconds=1))
        assert (await browser.get("/campaigns")).headers["location"] == "/sign-in"

    async def test_an_expired_key_loses_its_session(
        self,
        browser: httpx.AsyncClient,
        tenant: Tenant,
        make_key: Any,
        clock: ManualClock,
    ) -> None:
        key = await make_key(tenant, list(ALL_SCOPES), expires_at=clock.now() + timedelta(hours=1))
        await signed_in(browser, key)
        assert (await browser.get("/campaigns")).status_code == 200
        clock.advance(timedelta(hours=1))
        assert (await browser.get("/campaigns")).headers["location"] == "/sign-in"

    async def test_a_forged_cookie_opens_nothing(
        self, browser: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        await signed_in(browser, tenant.key)
        session_id, _, signature = browser.cookies[COOKIE].rpartition(".")
        browser.cookies.clear()
        browser.cookies.set(COOKIE, session_id + "." + signature[::-1])
        assert (await browser.get("/campaigns")).headers["location"] == "/sign-in"
        browser.cookies.set(COOKIE, session_id)
        assert (await browser.get("/campaigns")).headers["location"] == "/sign-in"


class TestCsrf:
    async def test_sign_out_without_the_token_is_refused(
        self, browser: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        await signed_in(browser, tenant.key)
        for data in ({}, {"csrf_token": "wrong"}):
            answer = await browser.post("/sign-out", data=data)
            assert answer.status_code == 403
        assert len(await sessions_of(engine, tenant.key_id)) == 1
        assert (await browser.get("/campaigns")).status_code == 200


def test_the_signing_key_is_derived_from_the_secret_key_per_purpose(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cipher = TokenCipher("", str(tmp_path / "secret.key"))
    cookie = cipher.derived_key("adline.web.session-cookie")
    assert len(cookie) == 32
    assert cookie == TokenCipher("", str(tmp_path / "secret.key")).derived_key(
        "adline.web.session-cookie"
    )
    assert cookie != cipher.derived_key("another purpose")
    assert cookie != TokenCipher("", str(tmp_path / "other.key")).derived_key(
        "adline.web.session-cookie"
    )
