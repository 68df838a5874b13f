"""`adline simulate`: a demo company's campaigns delivered on the simulated network,
fast-forwarded hour by hour, then summarized per campaign.

Everything goes through the real API (in-process) and the real delivery worker; only the
clock is moved by hand.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from adline.app import create_app
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.companies.service import create_company
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.delivery.registry import AdapterRegistry
from adline.delivery.worker import DeliveryWorker
from adline.versions import NEWEST

HOUR = timedelta(hours=1)
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


async def simulate(
    settings: Settings,
    *,
    days: int,
    campaigns: int,
    seed: int,
    lifetime_share: float = 0.0,
    spend_cap: float | None = None,
    on_hour: Callable[[int, int], None] = lambda done, total: None,
) -> Simulation:
    """Create `campaigns` campaigns for a new demo company, deliver `days` days, summarize.
    With `spend_cap` (dollars), all of them share one TOTAL spend cap of that amount."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    clock = ManualClock(start)
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            company, _ = await create_company(session, clock, name=f"Simulation {seed}")
            key = await create_api_key(
                session,
                clock,
                company_id=company.id,
                scopes=list(ALL_SCOPES),
                name="Simulation key",
                api_version_date=NEWEST,
            )
        app = create_app(settings, clock=clock, engine=engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://adline.local/api/v1",
            headers={"Authorization": f"Bearer {key.secret}"},
        ) as client:
            ends_at = start + timedelta(days=days)
            budgets = await _build(
                client, campaigns, random.Random(seed), lifetime_share, ends_at, days
            )
            cap_id = None if spend_cap is None else await _share_a_cap(client, spend_cap, start)
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
            summaries = await _summarize(client, budgets, start, days)
            if cap_id is None:
                return Simulation(start, summaries)
            cap = (await _ok(await client.get(f"/spend_caps/{cap_id}")))["spend_cap"]
            return Simulation(
                start,
                summaries,
                SpendCapSummary(
                    id=cap_id,
                    amount=int(cap["budget"]["amount"]["amount_micro"]) / 1_000_000,
                    applied=int(cap["applied_ad_spending"]["amount_micro"]) / 1_000_000,
                    status=cap["status"],
                    depleted_after=depleted_after,
                ),
            )
    finally:
        await engine.dispose()


def _fully_committed(cap: dict[str, Any]) -> bool:
    reason = cap["status_reason"] or ""
    return bool(reason.startswith("All of this period's amount is committed"))


async def _share_a_cap(client: httpx.AsyncClient, dollars: float, start: datetime) -> str:
    """One TOTAL spend cap from now on, and every campaign of the company under it."""
    cap = await _ok(
        await client.post(
            "/spend_caps",
            json={
                "title": "Simulation IO",
                "schedule": {"start": start.isoformat(), "end": None},
                "budget": {
                    "period": "TOTAL",
                    "amount": {"currency": "USD", "amount_micro": str(round(dollars * 1e6))},
                },
            },
        )
    )
    cap_id: str = cap["spend_cap"]["id"]
    listing = await _ok(await client.get("/ad_campaigns", params={"first": 100}))
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
                params={"first": 100, "after": listing["page_info"]["end_cursor"]},
            )
        )


async def _ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


async def _build(
    client: httpx.AsyncClient,
    count: int,
    rng: random.Random,
    lifetime_share: float,
    ends_at: datetime,
    days: int,
) -> dict[str, tuple[str, str, float]]:
    """Campaigns with 1-3 ad groups of 1-2 ads each, launched: title, budget type and
    daily budget (a lifetime budget spans the whole run at that much a day)."""
    budgets: dict[str, tuple[str, str, float]] = {}
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
        campaign = await _ok(await client.post("/ad_campaigns", json=body))
        for group_index in range(rng.randint(1, 3)):
            group_body: dict[str, Any] = {
                "ad_campaign_id": campaign["id"],
                "title": f"Group {group_index + 1}",
                "optimization_goal": goal,
                "conversion_location": location,
                "regions": {"include": {"countries": rng.choice(COUNTRIES)}},
                "demographics": {"minimum_age": rng.choice((18, 25)), "maximum_age": 65},
            }
            if event is not None:
                group_body["conversion_event"] = event
            group = await _ok(await client.post("/ad_groups", json=group_body))
            for ad_index in range(rng.randint(1, 2)):
                await _ok(
                    await client.post(
                        "/ads",
                        json={
                            "ad_group_id": group["id"],
                            "title": f"Ad {ad_index + 1}",
                            "url": "https://shop.example.com/offer",
                            "call_to_action": "shop_now",
                            "creatives": [{"id": f"file_{index:07d}{ad_index:07d}"}],
                            "primary_texts": [{"text": "Limited offer"}],
                        },
                    )
                )
        await _ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
        budgets[campaign["id"]] = (title, "lifetime" if lifetime else "daily", daily_budget)
    return budgets


async def _summarize(
    client: httpx.AsyncClient,
    budgets: dict[str, tuple[str, str, float]],
    start: datetime,
    days: int,
) -> list[CampaignSummary]:
    summaries = []
    for campaign_id, (title, budget_type, daily_budget) in budgets.items():
        total = await _ok(await client.get(f"/ad_campaigns/{campaign_id}"))
        if budget_type == "lifetime":
            summaries.append(
                _summary(
                    campaign_id,
                    title,
                    budget_type,
                    daily_budget,
                    total,
                    max(0.0, round(total["spend"] - daily_budget * days, 2)),
                )
            )
            continue
        overspend = 0.0
        # Daily budgets renew at the company's midnight (UTC for the demo company).
        for day in range(days + 1):
            date = (start + timedelta(days=day)).date().isoformat()
            window = {"stats_from": date, "stats_to": date}
            daily = await _ok(await client.get(f"/ad_campaigns/{campaign_id}", params=window))
            overspend += max(0.0, round(daily["spend"] - daily_budget, 2))
        summaries.append(
            _summary(campaign_id, title, budget_type, daily_budget, total, round(overspend, 2))
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
