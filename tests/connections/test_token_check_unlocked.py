"""Replacing a connection's token checks the new token with the network before it locks the
connection's row: a slow network holds no lock, and a change made to the row meanwhile is
not overwritten (409, send the change again)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Receive, Scope, Send

from adline.connections.models import NetworkConnection
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.networks.fakes.meta import FakeMeta
from tests.conftest import Tenant
from tests.connections.helpers import META_TOKEN, OTHER_META_TOKEN, meta_ad_account
from tests.helpers import assert_error
from tests.hierarchy.builders import ok


class SlowMeta(FakeMeta):
    """The fake Meta, running `during_next_call` (once) before it answers its next call:
    what happens elsewhere while the network is slow to answer."""

    during_next_call: Callable[[], Awaitable[None]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hook, self.during_next_call = self.during_next_call, None
        if hook is not None:
            await hook()
        await super().__call__(scope, receive, send)


@pytest.fixture
def fake_meta(clock: ManualClock) -> FakeMeta:
    return SlowMeta(clock, access_token=META_TOKEN, tokens=[OTHER_META_TOKEN], any_account=True)


async def test_a_change_made_while_the_token_is_checked_is_not_overwritten(
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    clock: ManualClock,
    fake_meta: SlowMeta,
) -> None:
    body = {
        "account_id": tenant.company_id,
        "platform": "meta",
        "external_id": meta_ad_account(),
        "access_token": META_TOKEN,
        "page_id": "104857600000001",
    }
    created = await ok(await client.post("/network_connections", json=body))
    path = f"/network_connections/{created['id']}"

    async def another_change() -> None:
        # Another request changes the page while Meta is still answering the check. Were
        # the row locked during the check this would wait for it (and, on PostgreSQL, give
        # up after the lock timeout).
        async with create_sessionmaker(engine)() as session, session.begin():
            if engine.dialect.name == "postgresql":
                await session.execute(text("SET LOCAL lock_timeout = '2s'"))
            await session.execute(
                update(NetworkConnection)
                .where(NetworkConnection.id == created["id"])
                .values(page_id="104857600000002", updated_at=clock.now() + timedelta(seconds=1))
            )

    fake_meta.during_next_call = another_change
    conflict = await client.patch(path, json={"access_token": OTHER_META_TOKEN})
    assert_error(conflict, 409, "invalid_state", None)
    assert "changed while its new access token was checked" in conflict.json()["error"]["message"]
    kept = await ok(await client.get(path))
    assert kept["page_id"] == "104857600000002"

    # Sent again, it goes through (the check now sees the current page).
    replaced = await ok(await client.patch(path, json={"access_token": OTHER_META_TOKEN}))
    assert replaced["status"] == "active" and replaced["page_id"] == "104857600000002"
