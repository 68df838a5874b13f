"""The delivery worker and connections: a connected company is served by its network's
real adapter, a broken connection is not synced at all (never moved onto the simulated
network), and a token the network refuses during a pass breaks the connection."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.config import Settings
from adline.connections import service
from adline.connections.adapters import ConnectionAdapters
from adline.connections.models import NetworkConnection
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from tests import own_store
from tests.conftest import Tenant
from tests.connections.helpers import OTHER_META_TOKEN
from tests.connections.test_connections import connection_body
from tests.hierarchy.builders import ok
from tests.networks.offline import no_wait, offline_transports
from tests.worker.test_worker import live_campaign

# The worker's passes sync every company's campaigns: each test has a store of its own.
database_url, engine = own_store.database_url, own_store.engine

# What Graph answers a token it no longer accepts (networks.md §1.7).
EXPIRED_TOKEN = {
    "error": {
        "message": "Error validating access token: Session has expired.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "AbCdEf",
    }
}


class RecordingGraph:
    """A Graph API that refuses every token, and remembers what it was asked."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(400, content=json.dumps(EXPIRED_TOKEN).encode())

    def mentioned(self, object_id: str) -> bool:
        """Did any request name `object_id`, in its URL or its body?"""
        return any(
            object_id.encode() in request.content or object_id in str(request.url)
            for request in self.requests
        )


def worker_with(
    engine: AsyncEngine, clock: ManualClock, app: FastAPI, graph: RecordingGraph
) -> DeliveryWorker:
    sessionmaker = create_sessionmaker(engine)
    return DeliveryWorker(
        sessionmaker,
        clock,
        AdapterRegistry(clock, seed=7),
        connections=ConnectionAdapters(
            sessionmaker,
            clock,
            app.state.token_cipher,
            Settings(),
            offline_transports(meta=httpx.MockTransport(graph)),
            sleep=no_wait,
        ),
    )


async def test_a_token_meta_refuses_breaks_the_connection_and_its_campaigns_show_why(
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    clock: ManualClock,
    app: FastAPI,
) -> None:
    connection = await ok(await client.post("/network_connections", json=connection_body(tenant)))
    campaign, _, _ = await live_campaign(client)
    graph = RecordingGraph()
    run = worker_with(engine, clock, app, graph)
    await run.run_once()
    # The campaign went to Meta (through the connection), not to the simulated network.
    assert graph.requests
    assert all(request.url.host == "graph.facebook.com" for request in graph.requests)
    shown = await ok(await client.get(f"/network_connections/{connection['id']}"))
    assert shown["status"] == "broken"
    assert "Session has expired" in shown["error_message"]
    read = await ok(await client.get(f"/ad_campaigns/{campaign['id']}"))
    assert [issue["category"] for issue in read["issues"]] == ["error"]
    assert "access token" in read["issues"][0]["message"]

    # Broken: nothing more is sent to Meta, and nothing runs on the simulated network
    # instead: the campaign does not spend.
    asked = len(graph.requests)
    for _ in range(6):
        clock.advance(timedelta(hours=1))
        await run.run_once()
    assert len(graph.requests) == asked
    assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["spend"] == 0

    # A new token fixes it: the issue is resolved and syncing starts again.
    path = f"/network_connections/{connection['id']}"
    fixed = await ok(await client.patch(path, json={"access_token": OTHER_META_TOKEN}))
    assert fixed["status"] == "active"
    assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["issues"] == []
    await run.run_once()
    assert len(graph.requests) > asked


async def test_a_company_without_a_connection_stays_on_the_simulated_network(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    app: FastAPI,
) -> None:
    campaign, _, _ = await live_campaign(client)
    graph = RecordingGraph()
    run = worker_with(engine, clock, app, graph)
    for _ in range(6):
        await run.run_once()
        clock.advance(timedelta(hours=1))
    await run.run_once()
    assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["spend"] > 0
    # None of this company's objects went out to Meta.
    assert not graph.mentioned(campaign["id"])


async def test_a_connection_broken_before_the_pass_is_never_synced(
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    clock: ManualClock,
    app: FastAPI,
) -> None:
    connection = await ok(await client.post("/network_connections", json=connection_body(tenant)))
    campaign, _, _ = await live_campaign(client)
    async with create_sessionmaker(engine)() as session, session.begin():
        row = await session.get(NetworkConnection, connection["id"])
        assert row is not None
        await service.mark_broken(session, clock, row, "Revoked by the user.")
    graph = RecordingGraph()
    run = worker_with(engine, clock, app, graph)
    for _ in range(4):
        await run.run_once()
        clock.advance(timedelta(hours=1))
    assert not graph.mentioned(campaign["id"])
    assert (await ok(await client.get(f"/ad_campaigns/{campaign['id']}")))["spend"] == 0


async def test_an_unreachable_network_stops_the_connections_calls_for_the_pass_only(
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    clock: ManualClock,
    app: FastAPI,
) -> None:
    """A network that cannot answer is not asked again for every object in the same pass
    (each would wait out the client's retries): the pass moves on, the connection stays
    active, and the next pass tries again."""
    connection = await ok(await client.post("/network_connections", json=connection_body(tenant)))
    for _ in range(3):
        await live_campaign(client)
    asked: list[httpx.Request] = []

    def unreachable(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    sessionmaker = create_sessionmaker(engine)
    run = DeliveryWorker(
        sessionmaker,
        clock,
        AdapterRegistry(clock, seed=7),
        connections=ConnectionAdapters(
            sessionmaker,
            clock,
            app.state.token_cipher,
            Settings(),
            offline_transports(meta=httpx.MockTransport(unreachable)),
            sleep=no_wait,
        ),
    )
    await run.run_once()
    # One call's attempts (the client retries a failed connection a few times), not one
    # per campaign, group and ad.
    first_pass = len(asked)
    assert 1 <= first_pass <= 4
    shown = await ok(await client.get(f"/network_connections/{connection['id']}"))
    assert shown["status"] == "active"
    await run.run_once()
    assert len(asked) > first_pass
