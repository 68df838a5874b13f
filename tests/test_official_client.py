"""The official Whop Python client (whop-sdk 2.6.0) drives a real Adline server.

The server is what `adline serve` runs: `create_app(Settings(...))` with no engine, so its
lifespan owns one, under uvicorn on a local port. Each test gets a company and an API key
of its own (issued the way the `adline` command issues them) and talks to the
server only through the SDK: typed models in, typed models and typed errors out.

whop-sdk 2.6.0 takes no `base_url`: the base URL is `environment=WhopEnvironment(api=...)`
and the key is `token=` (whop_sdk/client.py, `Whop.__init__`). The SDK retries 408, 409,
429 and 5xx answers twice with a one- then two-second backoff (`_should_retry` in
whop_sdk/core/http_client.py); Adline's 409s are deterministic state-machine refusals, so
the clients here send `max_retries=0` to surface them at once.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
import pytest
import uvicorn
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from whop_sdk import BadRequestError, ConflictError, NotFoundError, UnauthorizedError, Whop
from whop_sdk.ad_campaigns.types.delete_ad_campaigns_response import DeleteAdCampaignsResponse
from whop_sdk.core.api_error import ApiError
from whop_sdk.core.pagination import SyncPager
from whop_sdk.environment import WhopEnvironment
from whop_sdk.types.ad_campaign import AdCampaign as SdkAdCampaign

from adline.app import create_app
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.campaigns.models import AdCampaign
from adline.companies.service import create_company
from adline.config import Settings
from adline.core.clock import SystemClock
from adline.core.db import create_engine, create_sessionmaker

T = TypeVar("T")


# -- a real server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_url(database_url: str) -> Iterator[str]:
    """A real Adline on 127.0.0.1, on a socket bound up front (so the port can't be raced)."""
    app = create_app(Settings(database_url=database_url))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            assert thread.is_alive(), "the Adline server thread died while starting"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the Adline server did not answer /healthz"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
    assert not thread.is_alive(), "the Adline server did not shut down"


def in_store(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction straight against the store, outside the server.

    The tests are synchronous (the SDK is), and pytest-asyncio keeps its session loop (and
    the conftest engine bound to it) for this thread: `work` gets an engine of its own, on
    an event loop of its own, in a worker thread.
    """

    async def run() -> T:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=60)


def new_tenant_key(database_url: str, name: str = "SDK Test Co") -> str:
    """A company of its own and an every-scope key for it (what `adline companies create`
    and `adline keys create --all-scopes` do, without two subprocesses per test)."""

    async def work(session: AsyncSession) -> str:
        clock = SystemClock()
        company, _ = await create_company(session, clock, name=name)
        issued = await create_api_key(
            session, clock, company_id=company.id, scopes=list(ALL_SCOPES)
        )
        return issued.secret

    return in_store(database_url, work)


@pytest.fixture
def api_key(database_url: str) -> str:
    return new_tenant_key(database_url)


def official_client(api_url: str, token: str) -> Whop:
    return Whop(environment=WhopEnvironment(api=api_url, vault=api_url), token=token, max_retries=0)


@pytest.fixture
def whop(api_url: str, api_key: str) -> Whop:
    return official_client(api_url, api_key)


def put_live(database_url: str, campaign_id: str) -> None:
    """Set a campaign's status to active in the store, not through the API.

    Launch needs ad groups (next issue), so the test puts the campaign live directly.
    """

    async def work(session: AsyncSession) -> None:
        result = await session.execute(
            update(AdCampaign).where(AdCampaign.id == campaign_id).values(status="active")
        )
        assert result.rowcount == 1  # type: ignore[attr-defined]

    in_store(database_url, work)


def new_campaign(whop: Whop, title: str = "Spring launch") -> SdkAdCampaign:
    return whop.ad_campaigns.create(
        title=title,
        objective="sales",
        platform="meta",
        budget_optimization="ad_campaign",
        budget_amount=25,
    )


# -- the tests ----------------------------------------------------------------------------


class TestOfficialClient:
    def test_create_retrieve_update_delete(self, whop: Whop) -> None:
        created = new_campaign(whop)
        assert isinstance(created, SdkAdCampaign)
        assert created.id.startswith("adcamp_")
        assert created.title == "Spring launch"
        assert created.status == "draft"
        assert created.delivery_status == "draft"
        assert created.objective == "sales"
        assert created.platform == "meta"
        assert created.budget_optimization == "ad_campaign"
        assert created.budget_amount == 25
        assert created.budget_type == "daily"
        assert created.spend == 0

        retrieved = whop.ad_campaigns.retrieve(created.id)
        assert retrieved == created

        updated = whop.ad_campaigns.update(
            created.id, title="Spring launch (EU)", budget_amount=30.5
        )
        assert updated.id == created.id
        assert updated.title == "Spring launch (EU)"
        assert updated.budget_amount == 30.5
        assert updated.status == "draft"
        again = whop.ad_campaigns.retrieve(created.id)
        assert again.title == "Spring launch (EU)"
        assert again.budget_amount == 30.5
        assert again.created_at == created.created_at

        deleted = whop.ad_campaigns.delete(created.id)
        assert isinstance(deleted, DeleteAdCampaignsResponse)
        assert deleted.id == created.id
        assert deleted.deleted is True

        with pytest.raises(NotFoundError) as gone:
            whop.ad_campaigns.retrieve(created.id)
        assert gone.value.status_code == 404
        assert gone.value.body["error"]["type"] == "not_found"
        assert gone.value.body["error"]["code"] == "resource_not_found"
        with pytest.raises(NotFoundError):
            whop.ad_campaigns.delete(created.id)
        assert [c.id for c in whop.ad_campaigns.list()] == []

    def test_update_errors_surface_as_api_errors(self, whop: Whop) -> None:
        # The SDK's update() maps no status to a typed error (ad_campaigns/raw_client.py,
        # RawAdCampaignsClient.update): every failure is its base ApiError.
        campaign = new_campaign(whop)
        with pytest.raises(ApiError) as invalid:
            whop.ad_campaigns.update(campaign.id, title="x" * 101)
        assert invalid.value.status_code == 400
        assert invalid.value.body["error"]["param"] == "title"
        assert whop.ad_campaigns.retrieve(campaign.id).title == "Spring launch"

        whop.ad_campaigns.delete(campaign.id)
        with pytest.raises(ApiError) as gone:
            whop.ad_campaigns.update(campaign.id, title="Too late")
        assert gone.value.status_code == 404

    def test_list_pages_through_every_campaign(self, whop: Whop) -> None:
        titles = [f"Campaign {n}" for n in range(5)]
        ids = [new_campaign(whop, title).id for title in titles]
        newest_first = list(reversed(ids))

        pager = whop.ad_campaigns.list(first=2)
        assert isinstance(pager, SyncPager)
        assert [c.id for c in pager.items or []] == newest_first[:2]
        assert pager.response.page_info.has_next_page is True
        assert pager.response.page_info.has_previous_page is False
        assert pager.has_next

        # Iterating the pager follows page_info.end_cursor through every page. (The SDK goes
        # by end_cursor, not has_next_page, so it asks once more after the last page and
        # stops at the empty answer: core/pagination.py SyncPager.iter_pages.)
        assert [c.id for c in pager] == newest_first
        pages = [[c.id for c in page.items or []] for page in pager.iter_pages()]
        assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]

        second = pager.next_page()
        assert second is not None
        assert [c.id for c in second.items or []] == newest_first[2:4]
        assert second.response.page_info.has_previous_page is True

        # Filters ride along as query parameters.
        assert [c.title for c in whop.ad_campaigns.list(query="Campaign 3")] == ["Campaign 3"]
        assert [c.id for c in whop.ad_campaigns.list(direction="asc", first=3)] == ids
        assert [c.id for c in whop.ad_campaigns.list(status="draft")] == newest_first
        assert list(whop.ad_campaigns.list(status="active")) == []

    def test_pause_and_unpause(self, whop: Whop, database_url: str) -> None:
        campaign = new_campaign(whop)

        # A draft is not delivering: pausing it is a state-machine refusal, a 409.
        with pytest.raises(ConflictError) as refused:
            whop.ad_campaigns.pause(campaign.id)
        assert refused.value.status_code == 409
        assert refused.value.body["error"]["type"] == "conflict"
        assert refused.value.body["error"]["code"] == "invalid_state"
        with pytest.raises(ConflictError):
            whop.ad_campaigns.unpause(campaign.id)
        assert whop.ad_campaigns.retrieve(campaign.id).status == "draft"

        # Launch needs ad groups (next issue), so the test puts the campaign live directly.
        put_live(database_url, campaign.id)
        assert whop.ad_campaigns.retrieve(campaign.id).status == "active"

        paused = whop.ad_campaigns.pause(campaign.id)
        assert paused.id == campaign.id
        assert paused.status == "paused"
        assert whop.ad_campaigns.retrieve(campaign.id).status == "paused"
        assert whop.ad_campaigns.pause(campaign.id).status == "paused"  # a no-op, not an error
        assert [c.id for c in whop.ad_campaigns.list(status="paused")] == [campaign.id]

        unpaused = whop.ad_campaigns.unpause(campaign.id)
        assert unpaused.status == "active"
        assert whop.ad_campaigns.retrieve(campaign.id).status == "active"
        assert [c.id for c in whop.ad_campaigns.list(status="active")] == [campaign.id]

        whop.ad_campaigns.delete(campaign.id)
        with pytest.raises(NotFoundError):
            whop.ad_campaigns.retrieve(campaign.id)

    def test_bad_create_is_a_bad_request(self, whop: Whop) -> None:
        with pytest.raises(BadRequestError) as bad:
            new_campaign(whop, title="x" * 101)
        assert bad.value.status_code == 400
        error = bad.value.body["error"]
        assert error["type"] == "invalid_request_error"
        assert error["code"] == "parameter_invalid"
        assert error["param"] == "title"
        assert list(whop.ad_campaigns.list()) == []

        assert new_campaign(whop, title="x" * 100).title == "x" * 100

    def test_version_header_round_trips(self, whop: Whop) -> None:
        # The SDK pins Api-Version-Date 2026-10-15-1 by default; Adline answers in it.
        raw = whop.ad_campaigns.with_raw_response.create(
            title="Versioned", objective="sales", platform="meta"
        )
        assert raw.headers["api-version-date"] == "2026-10-15-1"
        assert raw.data.title == "Versioned"
        assert raw.data.budget_optimization == "ad_group"
        assert raw.data.budget_amount is None

    def test_wrong_key_is_unauthorized(self, api_url: str) -> None:
        stranger = official_client(api_url, "adl_sk_" + "0" * 40)
        with pytest.raises(UnauthorizedError) as denied:
            list(stranger.ad_campaigns.list())
        assert denied.value.status_code == 401
        assert denied.value.body["error"]["type"] == "unauthorized"

    def test_tenants_do_not_see_each_other(
        self, whop: Whop, api_url: str, database_url: str
    ) -> None:
        mine = new_campaign(whop)
        other = official_client(api_url, new_tenant_key(database_url, "Other SDK Co"))
        assert list(other.ad_campaigns.list()) == []
        with pytest.raises(NotFoundError):
            other.ad_campaigns.retrieve(mine.id)
        # pause() maps only 409 to a typed error; a 404 there is the base ApiError.
        with pytest.raises(ApiError) as hidden:
            other.ad_campaigns.pause(mine.id)
        assert hidden.value.status_code == 404
        assert whop.ad_campaigns.retrieve(mine.id).status == "draft"
