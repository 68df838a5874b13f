"""Rules change the value attributed events credit: purchase_value and ROAS of campaigns,
ad groups and ads reflect the rule active when each event was recorded, per attribution
model, in every kind of stats window, and `adline stats rebuild` keeps them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.conversions.models import ConversionEvent
from adline.conversions.service import record_click
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.stats.models import StatEntryDay, StatEntryLifetime
from adline.stats.rollups import rebuild
from adline.stats.service import HourStats, ingest
from adline.value_rules.service import money_object, percentage_number
from adline.value_rules.valuation import _Rule, adjusted_value
from tests.conftest import START, Tenant
from tests.hierarchy.builders import Tree, build_tree, ok

RULES = "/ad_conversion_value_rules"


async def click(engine: AsyncEngine, ad_id: str, click_id: str, at: datetime) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await record_click(session, ad_id, click_id, at)


async def spend(engine: AsyncEngine, clock: ManualClock, tree: Tree, micros: int) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        hour = START - timedelta(days=1)
        stats = HourStats(ad_id=tree.ad["id"], hour_start=hour, revision=1, spend_micros=micros)
        await ingest(session, clock, [stats])


async def purchase(client: httpx.AsyncClient, tenant: Tenant, click_id: str, **fields: Any) -> str:
    body = {
        "account_id": tenant.company_id,
        "event_name": "purchase",
        "context": {"fbclid": click_id},
        **fields,
    }
    return str((await ok(await client.post("/events", json=body)))["id"])


async def metrics(client: httpx.AsyncClient, path: str, **params: str) -> tuple[float, float]:
    body = await ok(await client.get(path, params=params))
    return body["purchase_value"], body["return_on_ad_spend"]


async def entries(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    """Every event-map entry of the rollups (network figures and attributed events)."""
    found: list[tuple[Any, ...]] = []
    async with create_sessionmaker(engine)() as session:
        for model in (StatEntryDay, StatEntryLifetime):
            rows = await session.execute(select(model.__table__))
            found += sorted(tuple(row) for row in rows)
    return found


def rule(tree_item: dict[str, Any], scope: str, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return {
        "account_id": tenant.company_id,
        "events": [{"event_name": "purchase"}],
        "targets": [{"platform": "meta", "scope": scope, "resource_id": tree_item["id"]}],
        **fields,
    }


async def test_active_rules_value_events_and_history_stays(
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    clock: ManualClock,
) -> None:
    tree = await build_tree(client)
    await spend(engine, clock, tree, 10_000_000)
    await click(engine, tree.ad["id"], "fb.1", START - timedelta(hours=1))
    campaign_path = f"/ad_campaigns/{tree.campaign['id']}"
    assert await metrics(client, campaign_path) == (0.0, 0.0)

    # +50 % on the campaign: $20 counts $30, ROAS 30 / 10.
    on_campaign = await ok(
        await client.post(
            RULES,
            json=rule(
                tree.campaign,
                "campaign",
                tenant,
                adjustment_type="percentage",
                percentage_change=50,
            ),
        )
    )
    first = await purchase(client, tenant, "fb.1", value=20)
    for path in (campaign_path, f"/ad_groups/{tree.group['id']}", f"/ads/{tree.ad['id']}"):
        assert await metrics(client, path) == (30.0, 3.0)

    # Paused: the next event counts its own value; the first keeps its $30.
    await ok(await client.post(f"{RULES}/{on_campaign['id']}/pause"))
    await purchase(client, tenant, "fb.1", value=20)
    assert await metrics(client, campaign_path) == (50.0, 5.0)

    # A fixed value on the ad is more specific than the campaign's rule (active again):
    # $7, whatever the event's value; sent through the older /conversions form.
    await ok(await client.post(f"{RULES}/{on_campaign['id']}/unpause"))
    on_ad = await ok(
        await client.post(
            RULES,
            json=rule(
                tree.ad,
                "ad",
                tenant,
                adjustment_type="fixed",
                fixed_value={"amount": "7.00", "currency": "usd"},
            ),
        )
    )
    older = {
        "company_id": tenant.company_id,
        "event_name": "purchase",
        "value": 99,
        "context": {"fbclid": "fb.1"},
    }
    await ok(await client.post("/conversions", json=older))
    assert await metrics(client, campaign_path) == (57.0, 5.7)

    # Deleting rules never moves what was recorded.
    for made in (on_campaign, on_ad):
        await ok(await client.delete(f"{RULES}/{made['id']}"))
    assert await metrics(client, campaign_path) == (57.0, 5.7)

    # The event names the rule that valued it; its own value is kept as sent.
    async with create_sessionmaker(engine)() as session:
        row = await session.scalar(select(ConversionEvent).where(ConversionEvent.id == first))
    assert row is not None
    assert (row.value_micros, row.last_touch_value_micros) == (20_000_000, 30_000_000)
    assert row.last_touch_value_rule_id == on_campaign["id"]

    # Every kind of window reads the same values: all time, whole days, and edges.
    day = START.date().isoformat()
    assert await metrics(client, campaign_path, stats_from=day, stats_to=day) == (57.0, 0.0)
    edge = {"stats_from": (START - timedelta(hours=2)).isoformat(), "stats_to": day}
    assert (await metrics(client, campaign_path, **edge))[0] == 57.0
    # A rebuild from the events computes exactly the rollups the writes kept.
    kept = await entries(engine)
    async with create_sessionmaker(engine)() as session, session.begin():
        await rebuild(session, tenant.company_id)
    assert await entries(engine) == kept
    assert await metrics(client, campaign_path) == (57.0, 5.7)


async def test_each_attribution_is_valued_by_the_rule_of_its_own_ad(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine, clock: ManualClock
) -> None:
    ruled, plain = await build_tree(client), await build_tree(client)
    await ok(
        await client.post(
            RULES,
            json=rule(
                ruled.campaign,
                "campaign",
                tenant,
                adjustment_type="percentage",
                percentage_change=-25,
            ),
        )
    )
    # First touch on the ruled campaign's ad, last touch on the other's.
    await click(engine, ruled.ad["id"], "fb.early", START - timedelta(days=2))
    await click(engine, plain.ad["id"], "tt.late", START - timedelta(hours=1))
    body = {
        "account_id": tenant.company_id,
        "event_name": "purchase",
        "value": 40,
        "context": {"fbclid": "fb.early", "ttclid": "tt.late"},
    }
    await ok(await client.post("/events/batch", json={"events": [body]}))
    ruled_path, plain_path = (f"/ad_campaigns/{t.campaign['id']}" for t in (ruled, plain))
    first, last = {"attribution_model": "first_touch"}, {"attribution_model": "last_touch"}
    assert (await metrics(client, ruled_path, **first))[0] == 30.0
    assert (await metrics(client, plain_path, **last))[0] == 40.0
    assert (await metrics(client, ruled_path, **last))[0] == 0.0


async def test_a_rule_covers_only_its_platform_and_events(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    tree = await build_tree(client)
    business = {
        "account_id": tenant.company_id,
        "adjustment_type": "fixed",
        "fixed_value": {"amount": "5.00", "currency": "usd"},
        "events": [{"event_name": "custom", "custom_name": "quiz"}],
        "targets": [{"platform": "tiktok", "scope": "business"}],
    }
    await ok(await client.post(RULES, json=business))
    await click(engine, tree.ad["id"], "fb.q", START - timedelta(hours=1))
    quiz = {
        "account_id": tenant.company_id,
        "event_name": "custom",
        "custom_name": "quiz",
        "value": 1,
        "context": {"fbclid": "fb.q"},
    }
    await ok(await client.post("/events", json=quiz))
    path = f"/ad_campaigns/{tree.campaign['id']}"
    # The campaign runs on Meta: a TikTok rule does not value its events.
    assert (await ok(await client.get(path)))["custom_event_values"] == {"quiz": 1.0}
    await ok(
        await client.post(
            RULES, json={**business, "targets": [{"platform": "meta", "scope": "business"}]}
        )
    )
    await ok(await client.post("/events", json=quiz))
    await ok(await client.post("/events", json={**quiz, "custom_name": "other"}))
    values = (await ok(await client.get(path)))["custom_event_values"]
    assert values == {"quiz": 6.0, "other": 1.0}


@pytest.mark.parametrize(
    ("rule_fields", "value_micros", "expected"),
    [
        ({"percentage_change_centis": 2_000}, 10_000_000, 12_000_000),
        ({"percentage_change_centis": -10_000}, 10_000_000, 0),
        ({"percentage_change_centis": -5_000}, 5, 2),  # 2.5 micros: half-even, to 2
        ({"percentage_change_centis": 1_000_000}, 2**62, 2**63 - 1),  # capped at int64
        ({"fixed_amount_micros": 100_000_000, "fixed_currency": "eur"}, 0, 117_000_000),
        ({"fixed_amount_micros": 500_000_000, "fixed_currency": "jpy"}, 9, 3_200_000),
    ],
)
def test_adjusted_values_are_exact(
    rule_fields: dict[str, Any], value_micros: int, expected: int
) -> None:
    kind = "fixed" if "fixed_currency" in rule_fields else "percentage"
    fields: dict[str, Any] = {
        "fixed_amount_micros": None,
        "fixed_currency": None,
        "percentage_change_centis": None,
        **rule_fields,
    }
    assert adjusted_value(_Rule("adcvr_x", kind, **fields), value_micros) == expected


def test_money_and_percentages_render_as_sent() -> None:
    assert money_object(12_500_000, "usd")["amount"] == "12.50"
    assert money_object(500_000_000, "jpy")["amount"] == "500"
    assert (percentage_number(2_000), percentage_number(-1_250)) == (20, -12.5)
