"""`adline simulate`: a demo company's campaigns delivered on the simulated network,
fast-forwarded hour by hour, then summarized per campaign.

The campaigns, ad groups and ads are built in bulk: each request body is validated by the
API's own schemas and turned into a row by the services' own rules (`apply_fields`,
`check_ad_group`, `check_ad`), then thousands of rows go in multi-row inserts instead of a
request and a flush per object. Delivery runs the real delivery worker, and the summary
reads the campaigns back through the real API (in-process, a page of 100 at a time); only
the clock is moved by hand.

Deterministic for a seed: the choices come from `random.Random(seed)`, the object ids from
the seed too (the network draws per ad id and per hour), and the simulated days are a fixed
window (`SIMULATION_START` unless `start` is given), never the wall clock's; so the same
seed, start and store contents give the same table on SQLite and PostgreSQL. A store that
already holds that seed's ids gets the next set (other draws): `adline simulate` therefore
runs on an empty store of its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adline.ad_groups.models import AdGroup
from adline.ad_groups.schemas import AdGroupCreate
from adline.ad_groups.service import new_ad_group
from adline.ads.models import Ad
from adline.ads.schemas import AdCreate
from adline.ads.service import new_ad
from adline.app import create_app
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.campaigns.models import AdCampaign
from adline.campaigns.schemas import CampaignCreate
from adline.campaigns.service import new_campaign
from adline.campaigns.state_machine import CAMPAIGN
from adline.companies.service import create_company
from adline.config import Settings
from adline.core.clock import Clock, ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.http import validate_body
from adline.core.ids import BASE62, RANDOM_PART_LENGTH
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.funding.processor import SUCCEEDS
from adline.funding.service import grant_balance, save_test_card
from adline.spend_caps.service import MAX_CAMPAIGNS_PER_SPEND_CAP
from adline.versions import NEWEST

HOUR = timedelta(hours=1)
# Where the simulated days begin by default: a Monday at midnight UTC, in the past, so the
# stats a simulation writes are history whenever its store is served (docs/delivery.md).
SIMULATION_START = datetime(2026, 3, 2, tzinfo=UTC)
# The most campaigns one run creates (about 3 ads each): beyond it a run takes hours.
MAX_CAMPAIGNS = 100_000
# Campaigns per transaction while building (with their groups and ads, about 6x the rows).
BUILD_BATCH = 1_000
# Campaigns per page when reading the summary back (the API's largest page).
PAGE = 100
RowT = TypeVar("RowT", AdCampaign, AdGroup, Ad)
COUNTRIES = (["US"], ["US", "CA"], ["GB"], ["DE", "FR"], ["BR"], ["US", "GB", "AU"])
GOALS = (
    ("sales", "conversions", "website", "purchase"),
    ("leads", "conversions", "website", "lead"),
    ("traffic", "link_clicks", "website", None),
)


@dataclass(frozen=True)
class CampaignSummary:
    id: str
    title: str
    budget_type: str
    # The daily budget, or for a lifetime budget its average per day.
    daily_budget: float
    spend: float
    overspend: float
    impressions: int
    click_through_rate: float
    cost_per_mille: float
    purchases: int
    return_on_ad_spend: float


@dataclass(frozen=True)
class SpendCapSummary:
    """The one spend cap all the campaigns shared (`--spend-cap`)."""

    id: str
    amount: float
    applied: float
    status: str
    # The first simulated hour after which the whole amount was committed to the campaigns
    # or spent (None: never).
    depleted_after: datetime | None


@dataclass(frozen=True)
class Simulation:
    started_at: datetime
    campaigns: list[CampaignSummary]
    spend_cap: SpendCapSummary | None = None
    # The demo company the campaigns belong to, and an all-scopes key for it (pinned to
    # the newest version), to explore the result through the API.
    company_id: str = ""
    api_key: str = ""
    # With `funds_share`: the dollars credited to each campaign (docs/funding.md).
    funds: dict[str, float] = field(default_factory=dict)


async def simulate(
    settings: Settings,
    *,
    days: int,
    campaigns: int,
    seed: int,
    lifetime_share: float = 0.0,
    spend_cap: float | None = None,
    spend_cap_period: str = "TOTAL",
    on_hour: Callable[[int, int], None] = lambda done, total: None,
    on_built: Callable[[int, int], None] = lambda done, total: None,
    start: datetime = SIMULATION_START,
    funds_share: float | None = None,
) -> Simulation:
    """Create `campaigns` campaigns for a new demo company, deliver `days` days, summarize.
    With `spend_cap` (dollars), all of them share one spend cap of that amount, per
    `spend_cap_period` (TOTAL, DAILY or WEEKLY).
    `start` (on the hour) is where the simulated clock begins; the run ends at `start`
    plus `days` days and an hour (the last hour's reports), whatever the wall clock says.
    With `funds_share`, the company has no card: each campaign is credited that share of
    its budget over the days (from a balance granted for it) and may spend no more."""
    if not 1 <= campaigns <= MAX_CAMPAIGNS:
        raise ValueError(f"campaigns must be between 1 and {MAX_CAMPAIGNS:,}")
    if spend_cap is not None and campaigns > MAX_CAMPAIGNS_PER_SPEND_CAP:
        raise ValueError(
            f"a spend cap takes at most {MAX_CAMPAIGNS_PER_SPEND_CAP} campaigns "
            "(with --spend-cap, --campaigns must not exceed it)"
        )
    if start != start.replace(minute=0, second=0, microsecond=0):
        raise ValueError("start must be on the hour")
    clock = ManualClock(start)
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            company, _ = await create_company(session, clock, name=f"Simulation {seed}")
            if funds_share is None:
                # Its spend is billed to the simulated processor's good test card
                # (docs/funding.md): funds never hold the simulation back.
                await save_test_card(session, clock, company.id, SUCCEEDS)
            else:
                await grant_balance(
                    session, clock, company.id, 10**15, f"simulation:{company.id}", "simulation"
                )
            key = await create_api_key(
                session,
                clock,
                company_id=company.id,
                scopes=list(ALL_SCOPES),
                name="Simulation key",
                api_version_date=NEWEST,
            )
            ids = await SeededIds.unused(session, seed)
        ends_at = start + timedelta(days=days)
        plans = plan_campaigns(
            campaigns,
            random.Random(seed),
            lifetime_share=lifetime_share,
            ends_at=ends_at,
            days=days,
        )
        built = await build_campaigns(
            sessionmaker,
            clock,
            company.id,
            plans,
            ids,
            lambda done: on_built(done, campaigns),
        )
        app = create_app(settings, clock=clock, engine=engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://adline.local/api/v1",
            headers={"Authorization": f"Bearer {key.secret}"},
        ) as client:
            cap_id = (
                None
                if spend_cap is None
                else await _share_a_cap(client, spend_cap, spend_cap_period, start)
            )
            funds = (
                {}
                if funds_share is None
                else await _credit_campaigns(client, built, funds_share, days)
            )
            worker = DeliveryWorker(
                sessionmaker, clock, AdapterRegistry(clock, seed=seed), pass_interval=HOUR
            )
            hours = days * 24
            depleted_after = None
            for hour in range(hours):
                await worker.run_once()
                clock.advance(timedelta(hours=1))
                on_hour(hour + 1, hours)
                if cap_id is not None and depleted_after is None:
                    cap = (await _ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
                    if cap["status"] == "DEPLETED" or _fully_committed(cap):
                        depleted_after = clock.now()
            # Let the last hours' reports arrive (reporting lag) before reading.
            clock.advance(timedelta(hours=1))
            await worker.run_once()
            summaries = await _summarize(client, built, start, days)
            cap_summary = None
            if cap_id is not None:
                cap = (await _ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
                cap_summary = SpendCapSummary(
                    id=cap_id,
                    amount=int(cap["budget"]["amount"]["amount_micro"]) / 1_000_000,
                    applied=int(cap["applied_ad_spending"]["amount_micro"]) / 1_000_000,
                    status=cap["status"],
                    depleted_after=depleted_after,
                )
            return Simulation(
                start,
                summaries,
                cap_summary,
                company_id=company.id,
                api_key=key.secret,
                funds=funds,
            )
    finally:
        await engine.dispose()


async def _credit_campaigns(
    client: httpx.AsyncClient, built: dict[str, CampaignPlan], share: float, days: int
) -> dict[str, float]:
    """Credit each campaign `share` of what its budget allows over `days` (whole cents)."""
    funds: dict[str, float] = {}
    for campaign_id, plan in built.items():
        amount = max(0.01, round(plan.daily_budget * days * share, 2))
        await _ok(
            await client.post(f"/ad_campaigns/{campaign_id}/credits", json={"amount": amount})
        )
        funds[campaign_id] = amount
    return funds


def _fully_committed(cap: dict[str, Any]) -> bool:
    reason = cap["status_reason"] or ""
    return bool(reason.startswith("All of this period's amount is committed"))


async def _share_a_cap(
    client: httpx.AsyncClient, dollars: float, period: str, start: datetime
) -> str:
    """One spend cap from now on, and every campaign of the company under it."""
    cap = await _ok(
        await client.post(
            "/spend_caps",
            json={
                "title": "Simulation IO",
                "schedule": {"start": start.isoformat(), "end": None},
                "budget": {
                    "period": period,
                    "amount": {"currency": "USD", "amount_micro": str(round(dollars * 1e6))},
                },
            },
        )
    )
    cap_id: str = cap["spend_cap"]["id"]
    listing = await _ok(await client.get("/ad_campaigns", params={"first": PAGE}))
    while True:
        for campaign in listing["data"]:
            await _ok(
                await client.patch(f"/ad_campaigns/{campaign['id']}", json={"spend_cap_id": cap_id})
            )
        if not listing["page_info"]["has_next_page"]:
            return cap_id
        listing = await _ok(
            await client.get(
                "/ad_campaigns",
                params={"first": PAGE, "after": listing["page_info"]["end_cursor"]},
            )
        )


async def _ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


class SeededIds:
    """Object ids drawn from the seed (the network's draws depend on them), with a salt
    that skips a set a previous run with the same seed already used in this store."""

    def __init__(self, seed: int, salt: int) -> None:
        self._rng = random.Random(f"adline.simulate:{seed}:{salt}")

    def new(self, prefix: str) -> str:
        return f"{prefix}_" + "".join(self._rng.choices(BASE62, k=RANDOM_PART_LENGTH))

    @classmethod
    async def unused(cls, session: AsyncSession, seed: int) -> SeededIds:
        salt = 0
        while await session.scalar(
            select(AdCampaign.id).where(AdCampaign.id == cls(seed, salt).new("adcamp"))
        ):
            salt += 1
        return cls(seed, salt)


def _row(model: type[RowT], row: RowT) -> dict[str, Any]:
    """The column values set on an unsaved row: what a flush of it would insert."""
    columns = model.__table__.columns.keys()
    return {key: value for key, value in vars(row).items() if key in columns}


@dataclass(frozen=True)
class CampaignPlan:
    """One campaign to create, as the bodies a client would send: the campaign's, then
    each ad group's (without `ad_campaign_id`) with its ads' (without `ad_group_id`)."""

    title: str
    budget_type: str
    # The daily budget, or for a lifetime budget its average per day.
    daily_budget: float
    campaign: dict[str, Any]
    groups: list[tuple[dict[str, Any], list[dict[str, Any]]]]


def plan_campaigns(
    count: int, rng: random.Random, *, lifetime_share: float, ends_at: datetime, days: int
) -> Iterator[CampaignPlan]:
    """Campaigns with 1-3 ad groups of 1-2 ads each (a lifetime budget spans the whole
    run at the daily budget a day)."""
    for index in range(count):
        objective, goal, location, event = rng.choice(GOALS)
        title = f"Campaign {index + 1:03d} ({objective})"
        daily_budget = float(rng.choice((10, 20, 25, 50, 100)))
        lifetime = rng.random() < lifetime_share
        body: dict[str, Any] = {
            "title": title,
            "objective": objective,
            "platform": "meta",
            "budget_optimization": "ad_campaign",
            "budget_amount": daily_budget * days if lifetime else daily_budget,
        }
        if lifetime:
            body["budget_type"] = "lifetime"
            body["ends_at"] = ends_at.isoformat()
        groups = []
        for group_index in range(rng.randint(1, 3)):
            group_body: dict[str, Any] = {
                "title": f"Group {group_index + 1}",
                "optimization_goal": goal,
                "conversion_location": location,
                "regions": {"include": {"countries": rng.choice(COUNTRIES)}},
                "demographics": {"minimum_age": rng.choice((18, 25)), "maximum_age": 65},
            }
            if event is not None:
                group_body["conversion_event"] = event
            ads = [
                {
                    "title": f"Ad {ad_index + 1}",
                    "url": "https://shop.example.com/offer",
                    "call_to_action": "shop_now",
                    # No creative: a creative must be a file the company uploaded, and the
                    # simulated network's delivery does not depend on the image.
                    "primary_texts": [{"text": "Limited offer"}],
                }
                for ad_index in range(rng.randint(1, 2))
            ]
            groups.append((group_body, ads))
        yield CampaignPlan(title, "lifetime" if lifetime else "daily", daily_budget, body, groups)


async def build_campaigns(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    company_id: str,
    plans: Iterable[CampaignPlan],
    ids: SeededIds,
    on_built: Callable[[int], None] = lambda done: None,
) -> dict[str, CampaignPlan]:
    """Create and launch the planned campaigns in bulk; answers each campaign's id.

    What `POST /ad_campaigns`, `/ad_groups`, `/ads` and `PATCH status: active` would
    store: the bodies are validated by the API's schemas and applied by the services'
    rules, then inserted `BUILD_BATCH` campaigns at a time in multi-row INSERTs."""
    built: dict[str, CampaignPlan] = {}
    now = clock.now()
    batch: dict[type[AdCampaign | AdGroup | Ad], list[dict[str, Any]]] = {
        AdCampaign: [],
        AdGroup: [],
        Ad: [],
    }

    async def insert_batch() -> None:
        async with sessionmaker() as session, session.begin():
            for model, values in batch.items():
                if values:
                    # Multi-row INSERTs ("insertmanyvalues"), parents first.
                    await session.execute(insert(model), values)
                values.clear()
        on_built(len(built))

    for plan in plans:
        campaign = _campaign(ids.new("adcamp"), company_id, plan.campaign, now)
        groups = []
        for group_body, ad_bodies in plan.groups:
            group = _group(ids.new("adgrp"), campaign, group_body, now)
            groups.append(group)
            batch[Ad].extend(
                _row(Ad, _ad(ids.new("ad"), campaign, group, ad_body, now)) for ad_body in ad_bodies
            )
        # The launch (PATCH status: active): every group has an ad that can run.
        campaign.status = CAMPAIGN.next_status(campaign.status, "launch")
        batch[AdCampaign].append(_row(AdCampaign, campaign))
        batch[AdGroup].extend(_row(AdGroup, group) for group in groups)
        built[campaign.id] = plan
        if len(built) % BUILD_BATCH == 0:
            await insert_batch()
    if batch[AdCampaign]:
        await insert_batch()
    return built


def _campaign(campaign_id: str, company_id: str, data: dict[str, Any], now: datetime) -> AdCampaign:
    """The row `POST /ad_campaigns` stores for this body (a CBO draft)."""
    return new_campaign(campaign_id, company_id, None, validate_body(CampaignCreate, data), now)


def _group(group_id: str, campaign: AdCampaign, data: dict[str, Any], now: datetime) -> AdGroup:
    """The row `POST /ad_groups` stores for this body."""
    body = validate_body(AdGroupCreate, {**data, "ad_campaign_id": campaign.id})
    return new_ad_group(group_id, campaign, body, now)


def _ad(
    ad_id: str, campaign: AdCampaign, group: AdGroup, data: dict[str, Any], now: datetime
) -> Ad:
    """The row `POST /ads` stores for this body (review is immediate: active)."""
    return new_ad(
        ad_id, campaign, group, validate_body(AdCreate, {**data, "ad_group_id": group.id}), now
    )


async def _read_all(client: httpx.AsyncClient, window: dict[str, str]) -> dict[str, Any]:
    """Every campaign of the company as `GET /ad_campaigns` reads it over `window`."""
    read: dict[str, Any] = {}
    params = {"first": str(PAGE), **window}
    while True:
        listing = await _ok(await client.get("/ad_campaigns", params=params))
        read.update((campaign["id"], campaign) for campaign in listing["data"])
        if not listing["page_info"]["has_next_page"]:
            return read
        params = {**params, "after": listing["page_info"]["end_cursor"]}


async def _summarize(
    client: httpx.AsyncClient, built: dict[str, CampaignPlan], start: datetime, days: int
) -> list[CampaignSummary]:
    totals = await _read_all(client, {})
    overspend = dict.fromkeys(built, 0.0)
    if any(plan.budget_type == "daily" for plan in built.values()):
        # Daily budgets renew at the company's midnight (UTC for the demo company).
        for day in range(days + 1):
            date = (start + timedelta(days=day)).date().isoformat()
            daily = await _read_all(client, {"stats_from": date, "stats_to": date})
            for campaign_id, plan in built.items():
                if plan.budget_type == "daily":
                    spent = daily[campaign_id]["spend"]
                    overspend[campaign_id] += max(0.0, round(spent - plan.daily_budget, 2))
    summaries = []
    for campaign_id, plan in built.items():
        total = totals[campaign_id]
        if plan.budget_type == "lifetime":
            over = max(0.0, round(total["spend"] - plan.daily_budget * days, 2))
        else:
            over = round(overspend[campaign_id], 2)
        summaries.append(
            _summary(campaign_id, plan.title, plan.budget_type, plan.daily_budget, total, over)
        )
    return summaries


def _summary(
    campaign_id: str,
    title: str,
    budget_type: str,
    daily_budget: float,
    total: dict[str, Any],
    overspend: float,
) -> CampaignSummary:
    return CampaignSummary(
        id=campaign_id,
        title=title,
        budget_type=budget_type,
        daily_budget=daily_budget,
        spend=total["spend"],
        overspend=overspend,
        impressions=int(total["impressions"]),
        click_through_rate=total["click_through_rate"],
        cost_per_mille=total["cost_per_mille"],
        purchases=int(total["purchases"]),
        return_on_ad_spend=total["return_on_ad_spend"],
    )
