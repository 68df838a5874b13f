"""The `network` fixture: each end-to-end scenario here runs three times, for a company with
no connection (the simulated network), a Meta connection, or a TikTok one (the fakes of
`adline.networks.fakes` behind the connection's real adapter). The worker, the API and the
checks are the same; only the network under the connection changes.

`@pytest.mark.parametrize("network", ["meta"], indirect=True)` runs a scenario on fewer
networks; `@pytest.mark.parametrize("correction_rate", [0.6])` lets the networks revise
past hours' reports (off by default: a correction refunds spend, which puts money back
under a spend cap, and most scenarios compare spend with amounts to the micro)."""

from __future__ import annotations

import secrets
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.config import Settings
from adline.connections.adapters import ConnectionAdapters
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.networks.fakes import FakeMeta, FakeTikTok
from tests.conftest import NEWEST_HEADER, Tenant
from tests.hierarchy.builders import ok
from tests.networks.e2e.helpers import HOURLY, NETWORKS, Network
from tests.networks.offline import no_wait, offline_transports


@pytest.fixture
def correction_rate() -> float:
    """How often the network revises a past hour's report (the simulator's rate)."""
    return 0.0


@pytest.fixture(params=NETWORKS)
async def network(
    request: pytest.FixtureRequest,
    database_url: str,
    engine: AsyncEngine,
    clock: ManualClock,
    make_tenant: Any,
    correction_rate: float,
    files_root: Path,
) -> AsyncIterator[Network]:
    name: str = request.param
    tenant: Tenant = await make_tenant(name=f"On {name}")
    fake: FakeMeta | FakeTikTok | None = None
    connection: dict[str, Any] | None = None
    platform = "meta"
    if name == "meta":
        account = f"act_{10**14 + secrets.randbelow(9 * 10**14)}"
        token = f"EAAe2e{secrets.token_hex(8)}"
        fake = FakeMeta(
            clock, seed=11, account_id=account, access_token=token, correction_rate=correction_rate
        )
        connection = {
            "platform": "meta",
            "external_id": account,
            "access_token": token,
            "page_id": "104857600000001",
        }
    elif name == "tiktok":
        platform = "tiktok"
        advertiser = str(7 * 10**18 + secrets.randbelow(10**17))
        token = f"tiktok{secrets.token_hex(12)}"
        fake = FakeTikTok(
            clock,
            advertiser_id=advertiser,
            access_token=token,
            seed=11,
            correction_rate=correction_rate,
        )
        connection = {"platform": "tiktok", "external_id": advertiser, "access_token": token}
    transports = offline_transports(
        **({} if fake is None else {platform: httpx.ASGITransport(app=fake)})
    )
    # The fake publishes an hour's report 15 minutes after it ends.
    # Uploaded files in the tests' store: the API keeps them there and the Meta adapter
    # reads them from it to upload them (ConnectionAdapters' storage is the settings').
    settings = Settings(
        database_url=database_url,
        rate_limit_per_second=0,
        tiktok_report_lag_seconds=15 * 60,
        files_root=str(files_root),
    )
    app = create_app(settings, clock=clock, engine=engine, network_transports=transports)
    sessionmaker = create_sessionmaker(engine)
    # A seed of this test's own: durable networks are kept in the store.
    seed = zlib.crc32(request.node.nodeid.encode()) % 1_000_000 + 1_000

    def a_worker() -> DeliveryWorker:
        """Durable, as the server's worker is: its simulated networks' state is kept in the
        store (so a second worker is a second process on the same networks), their locks
        are held by the pass's transaction, and real networks are called outside it."""
        options = {platform: {"correction_rate": correction_rate}}
        return DeliveryWorker(
            sessionmaker,
            clock,
            AdapterRegistry(clock, seed=seed, options=options),
            pass_interval=HOURLY,
            durable=True,
            connections=ConnectionAdapters(
                sessionmaker,
                clock,
                app.state.token_cipher,
                settings,
                transports,
                pass_interval=HOURLY,
                sleep=no_wait,
            ),
        )

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://adline.test/api/v1",
        headers={**NEWEST_HEADER, **tenant.headers},
    ) as client:
        if connection is not None:
            body = {"account_id": tenant.company_id, **connection}
            await ok(await client.post("/network_connections", json=body))
        yield Network(name, platform, tenant.company_id, client, a_worker(), fake, a_worker)
