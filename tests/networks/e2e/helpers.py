"""One company on one network, as the end-to-end tests drive it (the `network` fixture,
tests/networks/e2e/conftest.py, builds it): the built-in simulated network, or Meta or
TikTok through their real adapters against in-process fakes of their APIs
(`adline.networks.fakes`), reached by the company's network connection. All offline.

A module that uses it runs a delivery worker, whose passes sync every company in the store:
it takes a store of its own (`database_url, engine = own_store.database_url,
own_store.engine`, tests/own_store.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.campaigns.models import AdCampaign
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.delivery.simulator import SimulatedNetwork
from adline.delivery.worker import DeliveryWorker
from adline.networks.fakes import FakeMeta, FakeTikTok
from adline.spend_caps.service import link_campaign
from tests.campaigns.payloads import abo_campaign
from tests.hierarchy.builders import ad_body, group_body, ok

HOURLY = timedelta(hours=1)
NETWORKS = ("simulated", "meta", "tiktok")

Kind = Literal["campaign", "ad_group", "ad"]
# The name field of each kind on the fakes (Adline names network objects by their ids).
META_KINDS: dict[Kind, str] = {"campaign": "campaign", "ad_group": "adset", "ad": "ad"}
TIKTOK_NAMES: dict[Kind, str] = {
    "campaign": "campaign_name",
    "ad_group": "adgroup_name",
    "ad": "ad_name",
}


@dataclass
class Live:
    """A launched campaign with one ad group and one ad, as the API answered them."""

    campaign: dict[str, Any]
    group: dict[str, Any]
    ad: dict[str, Any]


@dataclass
class Network:
    """One company on one network: its client, a worker serving the store, the fake
    behind its connection (None on the simulated network), and how to start another
    worker as a second `adline worker` process would be."""

    name: str
    platform: str
    company_id: str
    client: httpx.AsyncClient
    worker: DeliveryWorker
    fake: FakeMeta | FakeTikTok | None
    another_worker: Callable[[], DeliveryWorker]

    async def hours(
        self,
        clock: ManualClock,
        count: int,
        *,
        every: int = 1,
        worker: DeliveryWorker | None = None,
    ) -> None:
        """Move the clock `count` hours, `every` hours at a time (the worker's pass
        interval, HOURLY, unless a scenario does not depend on it): each time the network
        delivers, then a worker pass."""
        assert count % every == 0
        for _ in range(count // every):
            clock.advance(every * HOURLY)
            await self.deliver(worker)

    async def deliver(self, worker: DeliveryWorker | None = None) -> None:
        """The fake delivers up to the clock's now, then a worker pass (no clock move)."""
        if self.fake is not None:
            self.fake.advance()
        await (worker or self.worker).run_once()

    # --- What the network says, by its own books --------------------------------------------

    def billed_by_hour(self, campaign_id: str) -> dict[datetime, int]:
        """What the fake network billed the Adline campaign each hour (micros), unreported
        spend included, before any later refund."""
        assert self.fake is not None
        return self.fake.network.billed_by_hour(self.on_the_network(campaign_id))

    def billed_micros(self, campaign_id: str) -> int:
        return sum(self.billed_by_hour(campaign_id).values())

    def on_the_network(self, adline_id: str, kind: Kind = "campaign") -> str:
        """The object's id on the fake network (found by the reference in its name)."""
        assert self.fake is not None
        if isinstance(self.fake, FakeMeta):
            [found] = [o for o in self.fake.named(adline_id) if o.kind == META_KINDS[kind]]
            return str(found.id)
        field = TIKTOK_NAMES[kind]
        [tiktok] = [
            object_id
            for object_id, held in self.fake.objects.items()
            if adline_id in str(held.fields.get(field, ""))
        ]
        return tiktok

    def simulator(self) -> SimulatedNetwork:
        """The simulated network that delivers: the registry's (no connection), or the one
        behind the fake's API."""
        if self.fake is not None:
            return self.fake.network
        simulated = self.worker.registry.adapter(self.platform)
        assert isinstance(simulated, SimulatedNetwork)
        return simulated

    async def latest_report(self, ad_id: str, since: datetime, until: datetime) -> dict:  # type: ignore[type-arg]
        """The network's latest published row of each hour of the Adline ad, by hour."""
        network_ad = ad_id if self.fake is None else self.on_the_network(ad_id, "ad")
        return {
            row.hour_start: row
            for row in await self.simulator().pull_stats(since, until)
            if row.ad_id == network_ad
        }

    def limit_margin(self, daily_budget_micros: int) -> int:
        """What the network needs left under a spending limit to keep a campaign with this
        daily budget delivering (`PlatformAdapter.spending_limit_margin`): 0 where the
        network holds limits itself (simulated, Meta); TikTok's adapter pauses that far
        ahead (docs/networks-tiktok.md, "Spending limits")."""
        key = self.worker._network_key(self.company_id, self.platform)
        assert key is not None
        return int(self.worker._adapter(key).spending_limit_margin(daily_budget_micros))

    def stops_short_by(self, daily_budget_micros: int) -> int:
        """How far under its spending limit a campaign with this daily budget may be held,
        at most: nothing on the simulated network; under a cent on Meta (its campaign
        spend_cap is in cents and rounds down, docs/networks-meta.md); TikTok's margin."""
        if self.name == "meta":
            return 10_000 - 1
        return self.limit_margin(daily_budget_micros)

    # --- What the user sees, through the API ------------------------------------------------

    async def live_campaign(self, daily_budget: float, **group: Any) -> Live:
        """A launched campaign whose one ad group has a daily budget of `daily_budget` and
        one ad; `group` overrides the group's fields (`budget_type="lifetime"` makes the
        amount a lifetime budget)."""
        client = self.client
        campaign = await ok(
            await client.post("/ad_campaigns", json=abo_campaign(platform=self.platform))
        )
        group = await ok(
            await client.post(
                "/ad_groups",
                json=group_body(
                    campaign["id"],
                    budget_amount=daily_budget,
                    regions={"include": {"countries": ["US"]}},
                    **group,
                ),
            )
        )
        ad = await ok(await client.post("/ads", json=ad_body(group["id"])))
        await ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
        return Live(campaign, group, ad)

    async def read(self, campaign_id: str, **params: str) -> dict[str, Any]:
        return await ok(await self.client.get(f"/ad_campaigns/{campaign_id}", params=params))

    async def spend_micros(self, campaign_id: str) -> int:
        return round(float((await self.read(campaign_id))["spend"]) * 1_000_000)

    async def read_cap(self, cap_id: str) -> dict[str, Any]:
        cap: dict[str, Any] = (await ok(await self.client.get(f"/spend_caps/{cap_id}")))[
            "spend_cap"
        ]
        return cap


async def put_under(engine: AsyncEngine, clock: ManualClock, campaign_id: str, cap_id: str) -> None:
    """Link the campaign to the spend cap (as the campaign's spend_cap field does)."""
    async with create_sessionmaker(engine)() as session, session.begin():
        campaign = await session.scalar(select(AdCampaign).where(AdCampaign.id == campaign_id))
        assert campaign is not None
        await link_campaign(session, clock, campaign, cap_id, "usd")
