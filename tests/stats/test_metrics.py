"""Campaign, ad group and ad reads show the formulas of spec I over the summed hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.metrics.formulas import StatTotals, ad_group_goal, combined_goal, compute_metrics
from adline.metrics.schemas import MetricFields
from tests.campaigns.payloads import abo_campaign
from tests.hierarchy.builders import ad_body, group_body, ok
from tests.stats.helpers import hour, store

H1 = datetime(2026, 3, 1, 10, tzinfo=UTC)
H2 = H1 + timedelta(hours=1)
METRICS = set(MetricFields.model_fields)


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    created: str = (await ok(await client.post(path, json=body)))["id"]
    return created


def metrics_of(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key in METRICS}


@pytest.fixture
async def campaign(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> dict[str, str]:
    """Three groups (purchases, leads, purchases again) and four ads with stats."""
    ids = {"campaign": await create(client, "/ad_campaigns", abo_campaign())}
    ids["purchases"] = await create(client, "/ad_groups", group_body(ids["campaign"]))
    ids["leads"] = await create(
        client, "/ad_groups", group_body(ids["campaign"], conversion_event="lead")
    )
    ids["quiet"] = await create(client, "/ad_groups", group_body(ids["campaign"]))
    for ad, group in (("a1", "purchases"), ("a2", "purchases"), ("b1", "leads"), ("c1", "quiet")):
        ids[ad] = await create(client, "/ads", ad_body(ids[group]))
    await store(
        engine,
        clock,
        [
            hour(
                ids["a1"],
                H1,
                impressions=1000,
                reach=400,
                clicks=30,
                unique_clicks=20,
                link_clicks=25,
                spend_micros=335_000,
                event_counts={"purchase": 2},
                event_value_micros={"purchase": 50_000_000},
            ),
            hour(
                ids["a1"],
                H2,
                impressions=500,
                reach=600,
                clicks=10,
                unique_clicks=9,
                link_clicks=5,
                spend_micros=335_000,
                event_counts={"lead": 1},
            ),
            hour(
                ids["a2"],
                H1,
                impressions=250,
                reach=100,
                spend_micros=335_000,
                custom_event_counts={"quiz": 3},
                custom_event_value_micros={"quiz": 1_234_567},
                custom_conversions=4,
            ),
            hour(
                ids["b1"],
                H1,
                spend_micros=1_000_000,
                event_counts={"lead": 3, "purchase": 1},
                event_value_micros={"lead": 9_995_000},
            ),
            hour(ids["c1"], H1, impressions=10, clicks=1, spend_micros=20_000),
        ],
    )
    return ids


async def test_group_metrics_sum_hours_and_ads_then_round_once(
    client: httpx.AsyncClient, campaign: dict[str, str]
) -> None:
    group = await ok(await client.get(f"/ad_groups/{campaign['purchases']}"))
    # Three hours of $0.335: $1.005 in all, half-even to $1.00 (not 3 x $0.34).
    assert group["spend"] == 1.0
    assert group["spend_currency"] == "usd"
    assert (group["impressions"], group["clicks"], group["link_clicks"]) == (1750, 40, 30)
    # Reach and unique clicks are never summed: the largest reported figure.
    assert (group["reach"], group["unique_clicks"]) == (600, 20)
    assert group["frequency"] == 1750 / 600
    assert group["click_through_rate"] == 40 / 1750
    assert group["unique_click_through_rate"] == 20 / 1750
    assert group["cost_per_mille"] == 0.57  # $1.005 x 1000 / 1750 = $0.574
    assert group["cost_per_click"] == 0.03  # 2.51 cents
    assert group["cost_per_unique_click"] == 0.05  # 5.025 cents
    assert group["return_on_ad_spend"] == 50 / 1.005
    assert (group["purchases"], group["purchase_value"]) == (2, 50.0)
    # $1.005 / 2 = 50.25 cents: half-even to $0.50.
    assert group["cost_per_purchase"] == 0.5
    assert (group["results"], group["result_event"], group["cost_per_result"]) == (
        2,
        "purchase",
        0.5,
    )
    # Leads are not this group's goal but some were attributed: $1.005 a lead (half-even).
    assert (group["leads"], group["cost_per_lead"]) == (1, 1.0)
    # Neither a goal nor attributed: null.
    assert group["cost_per_contact"] is None
    assert group["custom_conversions"] == 4
    assert group["custom_event_counts"] == {"quiz": 3}
    assert group["custom_event_values"] == {"quiz": 1.23}


async def test_zero_and_null_rules_without_traffic_or_conversions(
    client: httpx.AsyncClient, campaign: dict[str, str]
) -> None:
    leads = await ok(await client.get(f"/ad_groups/{campaign['leads']}"))
    # Spend without impressions, clicks or reach.
    assert (leads["click_through_rate"], leads["cost_per_mille"], leads["cost_per_click"]) == (
        0.0,
        0.0,
        0.0,
    )
    assert leads["unique_click_through_rate"] is None
    assert leads["frequency"] is None
    assert leads["cost_per_unique_click"] is None
    assert (leads["results"], leads["result_event"]) == (3, "lead")
    assert leads["cost_per_result"] == 0.33
    assert leads["lead_value"] == 10.0  # $9.995, half-even
    assert leads["cost_per_purchase"] == 1.0  # one purchase attributed, not the goal

    quiet = await ok(await client.get(f"/ad_groups/{campaign['quiet']}"))
    # The goal is tracked but has no conversions yet: zero, not null.
    assert (quiet["results"], quiet["cost_per_result"], quiet["cost_per_purchase"]) == (0, 0.0, 0.0)
    assert quiet["cost_per_lead"] is None
    assert quiet["return_on_ad_spend"] == 0.0


async def test_a_campaign_sums_its_groups_and_combines_their_results(
    client: httpx.AsyncClient, campaign: dict[str, str]
) -> None:
    body = await ok(await client.get(f"/ad_campaigns/{campaign['campaign']}"))
    assert body["spend"] == 2.02  # $1.005 + $1.00 + $0.02 = $2.025: half-even to 202 cents
    assert (body["impressions"], body["clicks"], body["reach"]) == (1760, 41, 600)
    assert (body["purchases"], body["leads"]) == (3, 4)
    # Groups optimize different events: no one result event; results add up (2 + 3 + 0).
    assert (body["result_event"], body["results"]) == (None, 5)
    assert body["cost_per_result"] == 0.4  # $2.025 / 5 = 40.5 cents: half-even to 40
    assert body["cost_per_purchase"] == 0.68  # 67.5 cents: half-even to 68
    assert body["cost_per_lead"] == 0.51  # 50.625 cents

    listed = await ok(await client.get("/ad_campaigns"))
    assert metrics_of(listed["data"][0]) == metrics_of(body)


async def test_results_count_only_the_live_groups_even_when_they_agree(
    client: httpx.AsyncClient, campaign: dict[str, str]
) -> None:
    """Once the leads group is deleted, the live groups all count purchases: the results are
    theirs (2 + 0), not the campaign's purchases, which still include the deleted group's."""
    assert (await client.delete(f"/ad_groups/{campaign['leads']}")).status_code == 200
    body = await ok(await client.get(f"/ad_campaigns/{campaign['campaign']}"))
    assert body["purchases"] == 3  # its spend and events stay
    assert (body["result_event"], body["results"]) == ("purchase", 2)
    listed = await ok(await client.get("/ad_campaigns"))
    assert metrics_of(listed["data"][0]) == metrics_of(body)


async def test_results_of_groups_that_agree_are_the_campaigns_count(
    client: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock
) -> None:
    campaign = await create(client, "/ad_campaigns", abo_campaign())
    groups = [await create(client, "/ad_groups", group_body(campaign)) for _ in range(2)]
    ads = [await create(client, "/ads", ad_body(group)) for group in groups]
    await store(
        engine,
        clock,
        [hour(ad, H1, event_counts={"purchase": n}) for ad, n in zip(ads, (2, 5), strict=True)],
    )
    body = await ok(await client.get(f"/ad_campaigns/{campaign}"))
    assert (body["result_event"], body["results"], body["purchases"]) == ("purchase", 7, 7)


async def test_every_read_equals_the_formulas_over_its_rows(
    client: httpx.AsyncClient, campaign: dict[str, str]
) -> None:
    """Each level against compute_metrics of totals added up here, by hand."""
    a1 = StatTotals(
        impressions=1500,
        reach=600,
        clicks=40,
        unique_clicks=20,
        link_clicks=30,
        spend_micros=670_000,
        event_counts={"purchase": 2, "lead": 1},
        event_value_micros={"purchase": 50_000_000},
    )
    purchase_goal = ad_group_goal("conversions", "website", "purchase")
    expected = compute_metrics(a1, combined_goal([purchase_goal], [a1]), "usd")
    body = await ok(await client.get(f"/ads/{campaign['a1']}"))
    assert metrics_of(body) == expected
    listed = await ok(await client.get("/ads", params={"ad_group_id": campaign["purchases"]}))
    by_id = {ad["id"]: metrics_of(ad) for ad in listed["data"]}
    assert by_id[campaign["a1"]] == expected
    assert by_id[campaign["a2"]]["custom_event_values"] == {"quiz": 1.23}


async def test_the_window_narrows_every_level(
    client: httpx.AsyncClient, campaign: dict[str, str]
) -> None:
    params = {"stats_from": H2.isoformat(), "stats_to": (H2 + timedelta(hours=1)).isoformat()}
    for path, impressions in (
        (f"/ads/{campaign['a1']}", 500),
        (f"/ads/{campaign['a2']}", 0),
        (f"/ad_groups/{campaign['purchases']}", 500),
        (f"/ad_campaigns/{campaign['campaign']}", 500),
    ):
        body = await ok(await client.get(path, params=params))
        assert body["impressions"] == impressions, path
    campaign_body = await ok(
        await client.get(f"/ad_campaigns/{campaign['campaign']}", params=params)
    )
    # In that hour no group converted: results are zero, not null.
    assert (campaign_body["results"], campaign_body["leads"]) == (0, 1)


async def test_another_companys_stats_never_count(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    campaign: dict[str, str],
) -> None:
    theirs = await create(other_client, "/ad_campaigns", abo_campaign())
    their_group = await create(other_client, "/ad_groups", group_body(theirs))
    their_ad = await create(other_client, "/ads", ad_body(their_group))
    await store(engine, clock, [hour(their_ad, H1, impressions=10**6, spend_micros=10**9)])

    mine = await ok(await client.get(f"/ad_campaigns/{campaign['campaign']}"))
    assert mine["impressions"] == 1760
    ranked = await ok(await client.get("/ad_campaigns", params={"order": "spend"}))
    assert [c["id"] for c in ranked["data"]] == [campaign["campaign"]]
    ads = await ok(await client.get("/ads", params={"order": "impressions"}))
    assert their_ad not in {ad["id"] for ad in ads["data"]}
    assert (await ok(await other_client.get(f"/ads/{their_ad}")))["spend"] == 1000.0
