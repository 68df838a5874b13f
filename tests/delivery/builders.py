"""Building simulated networks, trees and runs for the delivery tests."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adline.core.clock import ManualClock
from adline.delivery.adapter import (
    AdGroupSpec,
    AdSpec,
    Budget,
    CampaignSpec,
    CreativeSummary,
    GeoSelection,
    ReportedHour,
    Targeting,
)
from adline.delivery.simulator import SimulatedNetwork

# A Monday, midnight UTC.
START = datetime(2026, 3, 2, tzinfo=UTC)
US = Targeting(include=GeoSelection(countries=("US",)))
DOLLAR = 1_000_000


def network(seed: int = 1, start: datetime = START, **options: Any) -> SimulatedNetwork:
    options.setdefault("correction_rate", 0.0)
    return SimulatedNetwork(seed, ManualClock(start), **options)


def clock_of(sim: SimulatedNetwork) -> ManualClock:
    assert isinstance(sim.clock, ManualClock)
    return sim.clock


async def launch(
    sim: SimulatedNetwork,
    name: str = "c1",
    *,
    budget: Budget | None = None,
    cbo: bool = True,
    ads: int = 1,
    campaign: dict[str, Any] | None = None,
    group: dict[str, Any] | None = None,
) -> tuple[CampaignSpec, AdGroupSpec, list[AdSpec]]:
    """One campaign with one ad group and `ads` ads, all active ($50/day by default)."""
    budget = budget or Budget("daily", 50 * DOLLAR)
    campaign_spec = CampaignSpec(
        id=name,
        account_id="biz_test",
        status="active",
        objective="sales",
        budget=budget if cbo else None,
        **(campaign or {}),
    )
    group_settings: dict[str, Any] = {
        "optimization_goal": "conversions",
        "conversion_event": "purchase",
        "targeting": US,
    }
    group_settings.update(group or {})
    group_spec = AdGroupSpec(
        id=f"{name}_g",
        campaign_id=name,
        status="active",
        budget=None if cbo else budget,
        **group_settings,
    )
    ad_specs = [
        AdSpec(f"{name}_a{index}", group_spec.id, "active", CreativeSummary("image"))
        for index in range(ads)
    ]
    await sim.upsert_campaign(campaign_spec, idempotency_key=f"{name}:campaign")
    await sim.upsert_ad_group(group_spec, idempotency_key=f"{name}:group")
    for spec in ad_specs:
        await sim.upsert_ad(spec, idempotency_key=f"{spec.id}:create")
    return campaign_spec, group_spec, ad_specs


def run(sim: SimulatedNetwork, hours: float) -> None:
    clock = clock_of(sim)
    clock.advance(timedelta(hours=hours))
    sim.advance_to(clock.now())


async def published_rows(sim: SimulatedNetwork) -> list[ReportedHour]:
    """Every row published by now."""
    return await sim.pull_stats(START - timedelta(days=365), START + timedelta(days=365))


async def settle(sim: SimulatedNetwork) -> list[ReportedHour]:
    """Let the reporting lag pass (without simulating more), then pull everything."""
    clock_of(sim).advance(sim.reporting_lag)
    return await published_rows(sim)


def spend_by_local_day(rows: list[ReportedHour], zone: str = "UTC") -> dict[date, int]:
    out: dict[date, int] = defaultdict(int)
    for row in rows:
        out[row.hour_start.astimezone(ZoneInfo(zone)).date()] += row.spend_micros
    return dict(out)


def totals(rows: list[ReportedHour]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in rows:
        out["impressions"] += row.impressions
        out["reach"] += row.reach
        out["clicks"] += row.clicks
        out["spend_micros"] += row.spend_micros
        for event, count in row.event_counts.items():
            out[event] += count
    return dict(out)


def paused(spec: Any) -> Any:
    return replace(spec, status="paused")
