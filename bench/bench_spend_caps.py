"""Spend caps on the simulated network: the largest overspend (must be 0) and how much of
each cap is spent, over many cap-periods, with the network's 15-minute reporting lag.

Each cap is DAILY and shared by three campaigns whose own daily budgets add up to more than
the cap (1.2x to 3x), so the cap is what binds. Everything goes through the real API, the
real delivery worker (a pass every 15 minutes) and the simulated network; only the clock
is moved by hand.

Beside it, in the same run and on the same network, a baseline: the same campaigns
without a cap, each with a daily budget of its share of the cap, held by the network's
ordinary budget stop (the way Google and Meta hold daily budgets, with their published
overspend allowances of +100% and +75% a day).

Per cap-period (cap-day) it reports the largest overspend, the share of periods over, and
the median and 5th-percentile utilisation (spend / amount); spend is what the network
billed (the truth, before refunds) and what Adline reports (applied_ad_spending).

    .venv/bin/python bench/bench_spend_caps.py [--caps 100] [--days 10] [--seed 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from adline.app import create_app
from adline.auth.scopes import ALL_SCOPES
from adline.auth.service import create_api_key
from adline.campaigns.models import AdCampaign
from adline.companies.service import create_company
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.migrate import migrate
from adline.delivery.registry import AdapterRegistry
from adline.delivery.simulator import SimulatedNetwork
from adline.delivery.worker import DeliveryWorker
from adline.spend_caps.service import link_campaign
from adline.versions import NEWEST

PASS = timedelta(minutes=15)
DAY = timedelta(days=1)


async def _ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json()


async def _client(app: Any, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://adline.local/api/v1",
        headers={"Authorization": f"Bearer {key}"},
    )


async def _campaign(client: httpx.AsyncClient, index: int, daily_budget: float) -> str:
    campaign = await _ok(
        await client.post(
            "/ad_campaigns",
            json={
                "title": f"Campaign {index}",
                "objective": "traffic",
                "platform": "meta",
                "budget_optimization": "ad_campaign",
                "budget_amount": daily_budget,
            },
        )
    )
    group = await _ok(
        await client.post(
            "/ad_groups",
            json={
                "ad_campaign_id": campaign["id"],
                "title": "Group",
                "optimization_goal": "link_clicks",
                "conversion_location": "website",
                "regions": {"include": {"countries": ["US"]}},
            },
        )
    )
    await _ok(
        await client.post(
            "/ads",
            json={
                "ad_group_id": group["id"],
                "title": "Ad",
                "url": "https://shop.example.com/offer",
                "call_to_action": "shop_now",
                "creatives": [{"id": f"file_{index:014d}"}],
                "primary_texts": [{"text": "Limited offer"}],
            },
        )
    )
    await _ok(await client.patch(f"/ad_campaigns/{campaign['id']}", json={"status": "active"}))
    return str(campaign["id"])


async def run(url: str, caps: int, days: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    clock = ManualClock(start)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    keys = {}
    async with sessionmaker() as session, session.begin():
        for name in ("capped", "baseline"):
            company, _ = await create_company(session, clock, name=name)
            issued = await create_api_key(
                session,
                clock,
                company_id=company.id,
                scopes=list(ALL_SCOPES),
                api_version_date=NEWEST,
            )
            keys[name] = issued.secret
    settings = Settings(database_url=url, delivery_interval=0)
    app = create_app(settings, clock=clock, engine=engine)
    capped = await _client(app, keys["capped"])
    baseline = await _client(app, keys["baseline"])
    plan: list[tuple[str, int, list[str]]] = []  # cap id, amount, campaigns
    shares: dict[str, float] = {}  # baseline campaign -> its daily budget
    for index in range(caps):
        amount_dollars = rng.choice((30, 50, 80, 120))
        cap = (
            await _ok(
                await capped.post(
                    "/spend_caps",
                    json={
                        "title": f"IO {index}",
                        "schedule": {"start": start.isoformat(), "end": None},
                        "budget": {
                            "period": "DAILY",
                            "amount": {
                                "currency": "USD",
                                "amount_micro": str(amount_dollars * 10**6),
                            },
                        },
                    },
                )
            )
        )["spend_cap"]
        pressure = rng.uniform(1.2, 3.0)
        weights = [rng.uniform(0.5, 1.5) for _ in range(3)]
        members = []
        for member, weight in enumerate(weights):
            budget = round(amount_dollars * pressure * weight / sum(weights), 2)
            members.append(await _campaign(capped, index * 10 + member, budget))
            share = round(amount_dollars * weight / sum(weights), 2)
            shares[await _campaign(baseline, index * 10 + member, share)] = share
        async with sessionmaker() as session, session.begin():
            for campaign_id in members:
                campaign = await session.get(AdCampaign, campaign_id)
                assert campaign is not None
                await link_campaign(session, clock, campaign, cap["id"], "usd")
        plan.append((cap["id"], amount_dollars * 10**6, members))

    registry = AdapterRegistry(clock, seed=seed)
    worker = DeliveryWorker(sessionmaker, clock, registry, pass_interval=PASS)
    started = time.perf_counter()
    steps = int(days * DAY / PASS)
    for step in range(steps):
        await worker.run_once()
        clock.advance(PASS)
        if step % 96 == 95:
            print(f"  simulated day {(step + 1) // 96} of {days}", flush=True)
    clock.advance(timedelta(hours=3))  # let the last reports and corrections arrive
    await worker.run_once()
    elapsed = time.perf_counter() - started
    network = registry.adapter("meta")
    assert isinstance(network, SimulatedNetwork)

    periods = []
    for cap_id, amount, members in plan:
        for day in range(days):
            first = start + day * DAY
            billed = sum(
                spent
                for campaign_id in members
                for hour, spent in network.billed_by_hour(campaign_id).items()
                if first <= hour < first + DAY
            )
            day_text = (start.date() + timedelta(days=day)).isoformat()
            rows = await _ok(
                await capped.get(
                    f"/spend_caps/{cap_id}/daily_summary",
                    params={"from": day_text, "to": day_text},
                )
            )
            [row] = rows["daily_summary"]
            applied = int(row["applied_ad_spending"]["amount_micro"])
            periods.append((amount, billed, applied))
    base = []
    for campaign_id, share in shares.items():
        for day in range(days):
            first = start + day * DAY
            billed = sum(
                spent
                for hour, spent in network.billed_by_hour(campaign_id).items()
                if first <= hour < first + DAY
            )
            base.append((round(share * 10**6), billed))
    await capped.aclose()
    await baseline.aclose()
    await engine.dispose()
    return {"periods": periods, "baseline": base, "elapsed": elapsed, "days": days}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(result: dict[str, Any], caps: int, seed: int) -> None:
    periods = result["periods"]
    billed_over = [max(0, billed - amount) for amount, billed, _ in periods]
    applied_over = [max(0, applied - amount) for amount, _, applied in periods]
    utilisation = [billed / amount for amount, billed, _ in periods]
    applied_util = [applied / amount for amount, _, applied in periods]
    print(
        f"{caps} DAILY caps x {result['days']} days = {len(periods)} cap-periods, 3 campaigns "
        f"each, seed {seed}, 15-minute reporting lag, a pass every 15 minutes; "
        f"simulated in {result['elapsed']:.0f} s"
    )
    print(
        f"spend caps   largest overspend: billed {max(billed_over) / 1e6:.6f} $, "
        f"reported {max(applied_over) / 1e6:.6f} $; periods over: "
        f"{sum(1 for o in billed_over if o > 0)}/{len(periods)}"
    )
    print(
        f"             utilisation (billed / amount): median {statistics.median(utilisation):.4f}, "
        f"p5 {_pct(utilisation, 0.05):.4f}, min {min(utilisation):.4f}; "
        f"reported (after refunds): median {statistics.median(applied_util):.4f}, "
        f"p5 {_pct(applied_util, 0.05):.4f}"
    )
    base = result["baseline"]
    base_over = [(billed - budget) / budget for budget, billed in base if budget > 0]
    base_util = [billed / budget for budget, billed in base if budget > 0]
    print(
        f"baseline     same campaigns, daily budgets of their cap share, no cap: "
        f"{len(base)} campaign-days; largest overspend {max(base_over):+.2%} of a day's budget, "
        f"days over: {sum(1 for o in base_over if o > 0)}/{len(base)}; utilisation median "
        f"{statistics.median(base_util):.4f}, p5 {_pct(base_util, 0.05):.4f}"
    )
    print(
        "published allowances: Google lets a day spend up to 2x the daily budget (+100%), "
        "Meta up to +75%; a spend cap here allows +0"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caps", type=int, default=100)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        migrate(url)
        result = asyncio.run(run(url, args.caps, args.days, args.seed))
    report(result, args.caps, args.seed)


if __name__ == "__main__":
    main()
