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
from functools import partial
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import uvicorn
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from whop_sdk import BadRequestError, ConflictError, NotFoundError, UnauthorizedError, Whop
from whop_sdk.ad_campaigns.types.delete_ad_campaigns_response import DeleteAdCampaignsResponse
from whop_sdk.ad_campaigns.types.duplicate_ad_campaigns_response import (
    DuplicateAdCampaignsResponse,
)
from whop_sdk.ad_groups.types.duplicate_ad_groups_response import DuplicateAdGroupsResponse
from whop_sdk.ads.types.create_ads_request_creatives_item import CreateAdsRequestCreativesItem
from whop_sdk.ads.types.create_ads_request_headlines_item import CreateAdsRequestHeadlinesItem
from whop_sdk.ads.types.create_ads_request_primary_texts_item import (
    CreateAdsRequestPrimaryTextsItem,
)
from whop_sdk.ads.types.delete_ads_response import DeleteAdsResponse
from whop_sdk.ads.types.duplicate_ads_response import DuplicateAdsResponse
from whop_sdk.core.api_error import ApiError
from whop_sdk.core.pagination import SyncPager
from whop_sdk.environment import WhopEnvironment
from whop_sdk.types.ad import Ad as SdkAd
from whop_sdk.types.ad_campaign import AdCampaign as SdkAdCampaign
from whop_sdk.types.ad_group import AdGroup as SdkAdGroup

from adline.app import create_app
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.campaigns.models import AdCampaign
from adline.companies.service import create_company
from adline.config import Settings
from adline.core.clock import SystemClock
from adline.core.db import create_engine, create_sessionmaker
from adline.funding.processor import SUCCEEDS
from adline.funding.service import save_test_card
from tests.files.helpers import png
from tests.networks.offline import offline_transports

T = TypeVar("T")


# -- a real server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_url(database_url: str, files_root: Path) -> Iterator[str]:
    """A real Adline on 127.0.0.1, on a socket bound up front (so the port can't be raced)."""
    # Its delivery worker serves every connection in the shared store: offline ones.
    app = create_app(
        Settings(database_url=database_url, files_root=str(files_root)),
        network_transports=offline_transports(),
    )
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
        # A working card, as `make_tenant(funded=True)` gives (docs/funding.md).
        await save_test_card(session, clock, company.id, SUCCEEDS)
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


def new_tree(whop: Whop, title: str = "Spring sale") -> tuple[SdkAdCampaign, SdkAdGroup, SdkAd]:
    """An ABO campaign (a draft) with one $10/day ad group holding one ad, built through the
    SDK. Nested request objects go in as the SDK's own request models (ads/raw_client.py,
    RawAdsClient.create: `creatives: Sequence[CreateAdsRequestCreativesItem]`, ...)."""
    campaign = whop.ad_campaigns.create(
        title=title, objective="sales", platform="meta", budget_optimization="ad_group"
    )
    group = whop.ad_groups.create(
        ad_campaign_id=campaign.id,
        budget_amount=10,
        budget_type="daily",
        optimization_goal="conversions",
        conversion_location="website",
        conversion_event="purchase",
        title=f"{title}: buyers",
    )
    # The creative: a file created through the SDK, its bytes PUT to the URL it answered.
    image = whop.files.create(filename="spring.png")
    assert image.upload_url is not None
    httpx.put(image.upload_url, content=png()).raise_for_status()
    ad = whop.ads.create(
        ad_group_id=group.id,
        url="https://shop.example.com/spring?ref=ads",
        call_to_action="shop_now",
        creatives=[CreateAdsRequestCreativesItem(id=image.id, format="square")],
        primary_texts=[CreateAdsRequestPrimaryTextsItem(text="Spring styles are in.")],
        headlines=[CreateAdsRequestHeadlinesItem(text="Up to 30% off")],
        title=f"{title}: square",
    )
    return campaign, group, ad


def settled(fetch: Callable[[], T], done: Callable[[T], bool], timeout: float = 10) -> T:
    """Poll `fetch` until `done` holds, as the SDK tells clients to poll a copy until it
    leaves `duplicating` (Adline finishes copies right after answering, not before)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"still not settled: {value!r}"
        time.sleep(0.05)


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

    def test_campaign_tree_lifecycle(self, whop: Whop) -> None:
        # 1. Build campaign -> ad group -> ad. The campaign is a draft; so is what's under it.
        campaign, group, ad = new_tree(whop)
        assert campaign.status == "draft"
        assert campaign.delivery_status == "draft"
        assert campaign.budget_optimization == "ad_group"
        assert campaign.budget_amount is None

        assert isinstance(group, SdkAdGroup)
        assert group.id.startswith("adgrp_")
        assert group.ad_campaign.id == campaign.id
        assert group.title == "Spring sale: buyers"
        assert group.status == "active"
        assert group.delivery_status == "draft"
        assert group.budget_amount == 10
        assert group.budget_type == "daily"
        assert group.optimization_goal == "conversions"
        assert group.conversion_location == "website"
        assert group.conversion_event == "purchase"
        assert group.platform == "meta"

        assert isinstance(ad, SdkAd)
        assert ad.id.startswith("ad_")
        assert ad.ad_group.id == group.id
        assert ad.ad_campaign.id == campaign.id
        assert ad.title == "Spring sale: square"
        assert ad.status == "active"
        assert ad.delivery_status == "draft"
        assert ad.url == "https://shop.example.com/spring"  # the query moved out of the URL
        assert ad.url_parameters == {"ref": "ads"}
        assert ad.call_to_action == "shop_now"
        [creative] = ad.creatives
        assert (creative.format, creative.media_type) == ("square", "image")
        assert whop.files.retrieve(creative.id).upload_status == "ready"
        assert [t.text for t in ad.primary_texts] == ["Spring styles are in."]
        assert [t.text for t in ad.headlines] == ["Up to 30% off"]
        assert whop.ads.retrieve(ad.id) == ad
        assert whop.ad_groups.retrieve(group.id) == group

        # 2. Launch: the whole tree delivers.
        launched = whop.ad_campaigns.update(campaign.id, status="active")
        assert launched.status == "active"
        assert launched.delivery_status == "active"
        assert whop.ad_groups.retrieve(group.id).delivery_status == "active"
        assert whop.ads.retrieve(ad.id).delivery_status == "active"

        def statuses() -> list[tuple[str, str]]:
            c = whop.ad_campaigns.retrieve(campaign.id)
            g = whop.ad_groups.retrieve(group.id)
            a = whop.ads.retrieve(ad.id)
            return [(c.status, c.delivery_status), (g.status, g.delivery_status),
                    (a.status, a.delivery_status)]  # fmt: skip

        # 3. Pause and resume at each level. A parent's pause leaves its children's status
        # alone; their delivery_status says why they are not delivering.
        assert whop.ad_campaigns.pause(campaign.id).status == "paused"
        assert statuses() == [
            ("paused", "paused"),
            ("active", "campaign_paused"),
            ("active", "campaign_paused"),
        ]
        assert whop.ad_campaigns.unpause(campaign.id).status == "active"
        assert statuses() == [("active", "active")] * 3

        paused_group = whop.ad_groups.pause(group.id)
        assert isinstance(paused_group, SdkAdGroup)
        assert (paused_group.status, paused_group.delivery_status) == ("paused", "paused")
        assert statuses() == [
            ("active", "ad_groups_off"),  # its only ad group is paused
            ("paused", "paused"),
            ("active", "ad_group_paused"),
        ]
        unpaused_group = whop.ad_groups.unpause(group.id)
        assert (unpaused_group.status, unpaused_group.delivery_status) == ("active", "active")
        assert statuses() == [("active", "active")] * 3

        paused_ad = whop.ads.pause(ad.id)
        assert isinstance(paused_ad, SdkAd)
        assert (paused_ad.status, paused_ad.delivery_status) == ("paused", "paused")
        assert statuses() == [
            ("active", "active"),
            ("active", "ads_off"),  # its only ad is paused
            ("paused", "paused"),
        ]
        unpaused_ad = whop.ads.unpause(ad.id)
        assert (unpaused_ad.status, unpaused_ad.delivery_status) == ("active", "active")
        assert statuses() == [("active", "active")] * 3

        # 4. Duplicate the campaign twice: the copies answer `duplicating`, then become
        # drafts holding copies of the group and the ad, under new ids.
        dup = whop.ad_campaigns.duplicate(campaign.id, count=2)
        assert isinstance(dup, DuplicateAdCampaignsResponse)
        assert len(dup.data) == 2
        assert [c.status for c in dup.data] == ["duplicating", "duplicating"]
        assert [c.title for c in dup.data] == ["Spring sale", "Spring sale"]
        copy_ids = [c.id for c in dup.data]
        assert len({campaign.id, *copy_ids}) == 3
        for copy_id in copy_ids:
            copy = settled(
                partial(whop.ad_campaigns.retrieve, copy_id), lambda c: c.status != "duplicating"
            )
            assert copy.status == "draft"
            assert copy.delivery_status == "draft"
            assert copy.budget_optimization == "ad_group"
            copied_groups = list(whop.ad_groups.list(ad_campaign_id=copy_id))
            assert len(copied_groups) == 1
            copied_group = copied_groups[0]
            assert copied_group.id != group.id
            assert copied_group.ad_campaign.id == copy_id
            assert copied_group.title == group.title
            assert copied_group.status == "active"
            assert copied_group.budget_amount == 10
            assert copied_group.conversion_event == "purchase"
            copied_ads = list(whop.ads.list(ad_campaign_id=copy_id))
            assert len(copied_ads) == 1
            copied_ad = copied_ads[0]
            assert copied_ad.id != ad.id
            assert copied_ad.ad_group.id == copied_group.id
            assert copied_ad.status == "active"
            assert copied_ad.url == "https://shop.example.com/spring"
            assert copied_ad.url_parameters == {"ref": "ads"}
            assert copied_ad.creatives == ad.creatives
            assert copied_ad.headlines == ad.headlines
        # The source is untouched and still delivering.
        assert statuses() == [("active", "active")] * 3
        assert [g.id for g in whop.ad_groups.list(ad_campaign_id=campaign.id)] == [group.id]

        # Duplicate the ad group (with its ad) into its own campaign.
        group_dup = whop.ad_groups.duplicate(group.id, count=1)
        assert isinstance(group_dup, DuplicateAdGroupsResponse)
        assert len(group_dup.data) == 1
        assert group_dup.data[0].status == "duplicating"
        group_copy_id = group_dup.data[0].id
        assert group_copy_id != group.id
        group_copy = settled(
            lambda: whop.ad_groups.retrieve(group_copy_id), lambda g: g.status != "duplicating"
        )
        assert group_copy.status == "active"
        assert group_copy.delivery_status == "active"
        assert group_copy.ad_campaign.id == campaign.id
        assert group_copy.budget_amount == 10
        assert group_copy.optimization_goal == "conversions"
        group_copy_ads = list(whop.ads.list(ad_group_id=group_copy_id))
        assert len(group_copy_ads) == 1
        assert group_copy_ads[0].id != ad.id
        assert group_copy_ads[0].url_parameters == {"ref": "ads"}
        assert sorted(g.id for g in whop.ad_groups.list(ad_campaign_id=campaign.id)) == sorted(
            [group.id, group_copy_id]
        )

        # Duplicate the ad into its own ad group.
        ad_dup = whop.ads.duplicate(ad.id, count=1)
        assert isinstance(ad_dup, DuplicateAdsResponse)
        assert len(ad_dup.data) == 1
        # An ad copy being made reads `paused` (no client's AdStatus has `duplicating`).
        assert ad_dup.data[0].status == "paused"
        ad_copy_id = ad_dup.data[0].id
        assert ad_copy_id != ad.id
        assert ad_dup.data[0].ad_group.id == group.id
        ad_copy = settled(lambda: whop.ads.retrieve(ad_copy_id), lambda a: a.status == "active")
        assert ad_copy.delivery_status == "active"
        assert ad_copy.title == ad.title
        assert ad_copy.url == ad.url
        assert ad_copy.url_parameters == {"ref": "ads"}
        assert ad_copy.call_to_action == "shop_now"
        assert ad_copy.creatives == ad.creatives
        assert ad_copy.primary_texts == ad.primary_texts
        assert sorted(a.id for a in whop.ads.list(ad_group_id=group.id)) == sorted(
            [ad.id, ad_copy_id]
        )

        # 5. Launching a campaign with no ad groups is refused, and it stays a draft. The
        # SDK's update() maps no status to a typed error (ad_campaigns/raw_client.py,
        # RawAdCampaignsClient.update), so this 400 is its base ApiError.
        empty = whop.ad_campaigns.create(
            title="Empty", objective="sales", platform="meta", budget_optimization="ad_group"
        )
        with pytest.raises(ApiError) as incomplete:
            whop.ad_campaigns.update(empty.id, status="active")
        assert type(incomplete.value) is ApiError
        assert incomplete.value.status_code == 400
        error = incomplete.value.body["error"]
        assert error["type"] == "invalid_request_error"
        assert error["code"] == "campaign_incomplete"
        assert error["param"] == "status"
        assert whop.ad_campaigns.retrieve(empty.id).status == "draft"

        # 6. Deleting the campaign deletes everything under it.
        deleted = whop.ad_campaigns.delete(campaign.id)
        assert deleted.id == campaign.id
        assert deleted.deleted is True
        for group_id in (group.id, group_copy_id):
            with pytest.raises(NotFoundError) as gone_group:
                whop.ad_groups.retrieve(group_id)
            assert gone_group.value.status_code == 404
            assert gone_group.value.body["error"]["code"] == "resource_not_found"
        for ad_id in (ad.id, ad_copy_id, group_copy_ads[0].id):
            with pytest.raises(NotFoundError) as gone_ad:
                whop.ads.retrieve(ad_id)
            assert gone_ad.value.status_code == 404
        with pytest.raises(NotFoundError):
            whop.ad_campaigns.retrieve(campaign.id)
        assert list(whop.ad_groups.list(ad_campaign_id=campaign.id)) == []
        assert list(whop.ads.list(ad_campaign_id=campaign.id)) == []
        # The copies are campaigns of their own and survive their source.
        for copy_id in copy_ids:
            assert whop.ad_campaigns.retrieve(copy_id).status == "draft"
            assert len(list(whop.ads.list(ad_campaign_id=copy_id))) == 1
        # Deleting an ad through the SDK answers the deleted marker.
        survivor = next(iter(whop.ads.list(ad_campaign_id=copy_ids[0])))
        ad_deleted = whop.ads.delete(survivor.id)
        assert isinstance(ad_deleted, DeleteAdsResponse)
        assert (ad_deleted.id, ad_deleted.deleted) == (survivor.id, True)
