"""Conversion events: recording, idempotency, attribution to clicked ads, currency, and
the metrics of campaigns, groups and ads."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.auth.scopes import AD_CAMPAIGN_BASIC_READ, EVENT_CREATE
from adline.conversions.models import ConversionEvent
from adline.conversions.service import record_click, value_in_usd_micros
from adline.core.db import create_sessionmaker
from adline.core.errors import InvalidRequest
from adline.core.timestamps import format_timestamp
from tests.conftest import START, Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import Tree, ad_body, build_tree, ok

DAY = timedelta(days=1)


async def click(engine: AsyncEngine, ad_id: str, click_id: str, at: datetime) -> str:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await record_click(session, ad_id, click_id, at)


def event(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return {"account_id": tenant.company_id, "event_name": "purchase", **fields}


async def campaign_metrics(client: httpx.AsyncClient, tree: Tree, **params: str) -> dict[str, Any]:
    return await ok(await client.get(f"/ad_campaigns/{tree.campaign['id']}", params=params))


async def stored_events(engine: AsyncEngine, company_id: str) -> list[ConversionEvent]:
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(ConversionEvent).where(ConversionEvent.company_id == company_id)
        )
        return list(rows)


# --- recording and idempotency ----------------------------------------------------------


async def test_conversions_and_events_answer_an_id(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    old = await ok(
        await client.post(
            "/conversions", json={"company_id": tenant.company_id, "event_name": "lead"}
        )
    )
    new = await ok(await client.post("/events", json=event(tenant, value=10, currency="usd")))
    assert set(old) == {"id"} and old["id"].startswith("evt_")
    assert set(new) == {"id"} and new["id"] != old["id"]


async def test_a_repeated_event_id_answers_the_same_id_and_changes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    first = await ok(await client.post("/events", json=event(tenant, event_id="o-1", value=10)))
    again = await ok(await client.post("/events", json=event(tenant, event_id="o-1", value=99)))
    # The older endpoint shares the key space.
    older = await ok(
        await client.post(
            "/conversions",
            json={"company_id": tenant.company_id, "event_name": "lead", "event_id": "o-1"},
        )
    )
    assert first["id"] == again["id"] == older["id"]
    [row] = await stored_events(engine, tenant.company_id)
    assert (row.event_name, row.value_micros) == ("purchase", 10_000_000)


async def test_event_ids_are_per_company(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    mine = await ok(await client.post("/events", json=event(tenant, event_id="same")))
    theirs = await ok(await other_client.post("/events", json=event(other_tenant, event_id="same")))
    assert mine["id"] != theirs["id"]


async def test_concurrent_repeats_record_one_event(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    responses = await asyncio.gather(
        *(client.post("/events", json=event(tenant, event_id="race", value=1)) for _ in range(8))
    )
    ids = {(await ok(response))["id"] for response in responses}
    assert len(ids) == 1
    async with create_sessionmaker(engine)() as session:
        count = await session.scalar(
            select(func.count()).where(ConversionEvent.company_id == tenant.company_id)
        )
    assert count == 1


# --- errors and scopes ------------------------------------------------------------------


async def test_another_companys_id_is_not_found(
    client: httpx.AsyncClient, other_tenant: Tenant
) -> None:
    response = await client.post(
        "/conversions", json={"company_id": other_tenant.company_id, "event_name": "lead"}
    )
    assert_error(response, 404, "resource_not_found", "company_id")
    response = await client.post("/events", json=event(other_tenant))
    assert_error(response, 404, "resource_not_found", "account_id")
    response = await client.post("/events", json={"account_id": "biz_nope", "event_name": "lead"})
    assert_error(response, 404, "resource_not_found", "account_id")


@pytest.mark.parametrize(
    ("fields", "status", "code", "param"),
    [
        ({"event_name": "refund"}, 400, "parameter_invalid", "event_name"),
        ({"event_name": "custom"}, 400, "parameter_missing", "custom_name"),
        (
            {"custom_name": "x" * 36, "event_name": "custom"},
            400,
            "parameter_invalid",
            "custom_name",
        ),
        ({"custom_name": "quiz"}, 400, "parameter_invalid", "custom_name"),
        ({"value": -1}, 400, "parameter_invalid", "value"),
        ({"value": "10"}, 400, "parameter_invalid", "value"),
        ({"value": 5, "currency": "xyz"}, 400, "parameter_invalid", "currency"),
        ({"event_time": "2026-03-02T10:00:00Z"}, 400, "parameter_invalid", "event_time"),
        ({"event_time": "2025-11-01T00:00:00Z"}, 400, "parameter_invalid", "event_time"),
        ({"event_time": "yesterday"}, 400, "parameter_invalid", "event_time"),
        ({"action_source": "fax"}, 400, "parameter_invalid", "action_source"),
        ({"context": {"fbclid": 12}}, 400, "parameter_invalid", "context.fbclid"),
        ({"colour": "red"}, 400, "parameter_invalid", "colour"),
    ],
)
async def test_invalid_events_are_refused(
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
    fields: dict[str, Any],
    status: int,
    code: str,
    param: str,
) -> None:
    response = await client.post("/events", json=event(tenant, **fields))
    assert_error(response, status, code, param)
    assert await stored_events(engine, tenant.company_id) == []


async def test_missing_required_fields(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post("/events", json={"account_id": tenant.company_id})
    assert_error(response, 400, "parameter_missing", "event_name")
    response = await client.post("/conversions", json={"event_name": "lead"})
    assert_error(response, 400, "parameter_missing", "company_id")


async def test_event_time_bounds(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for moment in (START + timedelta(minutes=5), START - timedelta(days=90)):
        await ok(
            await client.post("/events", json=event(tenant, event_time=format_timestamp(moment)))
        )


async def test_scopes(anonymous: httpx.AsyncClient, tenant: Tenant, make_key: Any) -> None:
    response = await anonymous.post("/events", json=event(tenant))
    assert response.status_code == 401
    reader = await make_key(tenant, [AD_CAMPAIGN_BASIC_READ])
    for path in ("/events", "/conversions", "/events/batch"):
        response = await anonymous.post(
            path, json=event(tenant), headers={"Authorization": f"Bearer {reader}"}
        )
        assert_error(response, 403, "missing_scope", None)
    writer = await make_key(tenant, [EVENT_CREATE])
    response = await anonymous.post(
        "/events", json=event(tenant), headers={"Authorization": f"Bearer {writer}"}
    )
    await ok(response)


# --- batch ------------------------------------------------------------------------------


async def test_batch_answers_each_item(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, engine: AsyncEngine
) -> None:
    body = {
        "events": [
            event(tenant, event_id="b-1"),
            event(tenant, event_name="refund"),
            event(other_tenant),
            event(tenant, event_id="b-1"),
            "not an object",
            event(tenant, event_name="lead"),
        ]
    }
    data = (await ok(await client.post("/events/batch", json=body)))["data"]
    assert len(data) == 6
    assert set(data[0]) == {"id"} and data[3] == data[0]
    assert data[1]["error"]["param"] == "events[1].event_name"
    assert data[1]["error"]["code"] == "parameter_invalid"
    assert data[2]["error"]["param"] == "events[2].account_id"
    assert data[2]["error"]["code"] == "resource_not_found"
    assert data[4]["error"]["param"] == "events[4]"
    assert set(data[5]) == {"id"}
    assert len(await stored_events(engine, tenant.company_id)) == 2


async def test_batch_limits(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert_error(
        await client.post("/events/batch", json={"events": []}), 400, "parameter_invalid", "events"
    )
    too_many = {"events": [event(tenant) for _ in range(1001)]}
    assert_error(
        await client.post("/events/batch", json=too_many), 400, "parameter_invalid", "events"
    )
    full = {"events": [event(tenant, event_name="lead") for _ in range(1000)]}
    data = (await ok(await client.post("/events/batch", json=full)))["data"]
    assert len({item["id"] for item in data}) == 1000


# --- currency ---------------------------------------------------------------------------


def test_currency_conversion() -> None:
    assert value_in_usd_micros(None, None) == 0
    assert value_in_usd_micros(19.99, None) == 19_990_000
    assert value_in_usd_micros(100, "EUR") == 117_000_000
    assert value_in_usd_micros(1000, "jpy") == 6_400_000
    assert value_in_usd_micros(0.1, "usd") == 100_000
    with pytest.raises(InvalidRequest):
        value_in_usd_micros(1, "zzz")
    with pytest.raises(InvalidRequest):
        value_in_usd_micros(None, "zzz")


# --- attribution and metrics ------------------------------------------------------------


async def test_an_attributed_purchase_shows_in_every_level(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    tree = await build_tree(client)
    await click(engine, tree.ad["id"], "fb.1", START - DAY)
    await ok(
        await client.post(
            "/events",
            json=event(
                tenant, value=100, currency="eur", context={"fbclid": "fb.1"}, event_id="p1"
            ),
        )
    )
    await ok(
        await client.post(
            "/conversions",
            json={
                "company_id": tenant.company_id,
                "event_name": "lead",
                "context": {"fbclid": "fb.1"},
            },
        )
    )
    campaign = await campaign_metrics(client, tree)
    group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
    ad = await ok(await client.get(f"/ads/{tree.ad['id']}"))
    for body in (campaign, group, ad):
        assert body["purchases"] == 1
        assert body["purchase_value"] == 117.0
        assert body["leads"] == 1
        assert body["lead_value"] == 0.0
    # The group optimizes purchases: they are its results.
    assert group["results"] == 1


async def test_custom_and_other_events(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    tree = await build_tree(client)
    await click(engine, tree.ad["id"], "tt.1", START - DAY)
    context = {"ttclid": "tt.1"}
    for fields in (
        {"event_name": "custom", "custom_name": "quiz done", "value": 5},
        {"event_name": "custom", "custom_name": "quiz done"},
        {"event_name": "add_to_cart", "value": 2.5},
        {"event_name": "page"},
    ):
        await ok(await client.post("/events", json=event(tenant, context=context, **fields)))
    body = await campaign_metrics(client, tree)
    assert body["custom_conversions"] == 2
    assert body["custom_event_counts"] == {"quiz done": 2}
    assert body["custom_event_values"] == {"quiz done": 5.0}
    assert body["added_to_carts"] == 1 and body["added_to_cart_value"] == 2.5
    assert body["purchases"] == 0


async def test_unattributed_events_count_nowhere(
    client: httpx.AsyncClient,
    tenant: Tenant,
    engine: AsyncEngine,
) -> None:
    tree = await build_tree(client)
    await click(engine, tree.ad["id"], "old", START - 8 * DAY)
    await click(engine, tree.ad["id"], "later", START + timedelta(minutes=1))
    at = format_timestamp(START)
    cases: list[dict[str, Any]] = [
        {},  # no context
        {"context": {"ad_id": tree.ad["id"]}},  # an ad id alone is not a click
        {"context": {"fbclid": "unknown"}},
        {"context": {"fbclid": "old"}},  # outside the 7-day window
        {"context": {"fbclid": "later"}},  # after the event
    ]
    for fields in cases:
        await ok(await client.post("/events", json=event(tenant, event_time=at, **fields)))
    body = await campaign_metrics(client, tree)
    assert body["purchases"] == 0
    assert len(await stored_events(engine, tenant.company_id)) == len(cases)


async def test_another_companys_click_does_not_attribute(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    other_tenant: Tenant,
    engine: AsyncEngine,
) -> None:
    tree = await build_tree(client)
    await click(engine, tree.ad["id"], "mine", START - DAY)
    await ok(
        await other_client.post("/events", json=event(other_tenant, context={"fbclid": "mine"}))
    )
    assert (await campaign_metrics(client, tree))["purchases"] == 0


async def test_window_edge_is_inclusive(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    tree = await build_tree(client)
    await click(engine, tree.ad["id"], "edge", START - 7 * DAY)
    await ok(await client.post("/events", json=event(tenant, context={"gclid": "edge"})))
    assert (await campaign_metrics(client, tree))["purchases"] == 1


async def test_two_clicks_on_different_ads_by_attribution_model(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    early, late = await build_tree(client), await build_tree(client)
    await click(engine, early.ad["id"], "fb.early", START - 3 * DAY)
    await click(engine, late.ad["id"], "tt.late", START - DAY)
    context = {"fbclid": "fb.early", "ttclid": "tt.late"}
    await ok(await client.post("/events", json=event(tenant, value=20, context=context)))

    assert (await campaign_metrics(client, early))["purchases"] == 0
    assert (await campaign_metrics(client, late))["purchases"] == 1
    last = await campaign_metrics(client, late, attribution_model="last_touch")
    assert last["purchase_value"] == 20.0
    first_early = await campaign_metrics(client, early, attribution_model="first_touch")
    first_late = await campaign_metrics(client, late, attribution_model="first_touch")
    assert (first_early["purchases"], first_late["purchases"]) == (1, 0)
    ad = await ok(
        await client.get(f"/ads/{early.ad['id']}", params={"attribution_model": "first_touch"})
    )
    assert ad["purchases"] == 1


async def test_two_ads_in_one_group_sum_at_the_group(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    tree = await build_tree(client)
    second = await ok(await client.post("/ads", json=ad_body(tree.group["id"])))
    await click(engine, tree.ad["id"], "a", START - DAY)
    await click(engine, second["id"], "b", START - DAY)
    for click_id in ("a", "b"):
        await ok(await client.post("/events", json=event(tenant, context={"fbclid": click_id})))
    group = await ok(await client.get(f"/ad_groups/{tree.group['id']}"))
    ad = await ok(await client.get(f"/ads/{second['id']}"))
    assert (group["purchases"], ad["purchases"]) == (2, 1)


async def test_events_count_in_windows_by_event_time(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    tree = await build_tree(client)
    await click(engine, tree.ad["id"], "w", START - 3 * DAY)
    for days_ago in (2, 1):
        at = format_timestamp(START - days_ago * DAY)
        await ok(
            await client.post("/events", json=event(tenant, context={"fbclid": "w"}, event_time=at))
        )
    yesterday = (START - DAY).date().isoformat()
    day_before = (START - 2 * DAY).date().isoformat()
    assert (await campaign_metrics(client, tree))["purchases"] == 2
    only = await campaign_metrics(client, tree, stats_from=yesterday, stats_to=yesterday)
    assert only["purchases"] == 1
    both = await campaign_metrics(client, tree, stats_from=day_before)
    assert both["purchases"] == 2
    later = await campaign_metrics(client, tree, stats_from=START.date().isoformat())
    assert later["purchases"] == 0


async def test_record_click_is_idempotent(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    tree = await build_tree(client)
    first = await click(engine, tree.ad["id"], "dup", START - DAY)
    again = await click(engine, tree.ad["id"], "dup", START)
    assert first == again and first.startswith("adclk_")
    with pytest.raises(LookupError):
        await click(engine, "ad_missing", "x", START)
    with pytest.raises(ValueError):
        await click(engine, tree.ad["id"], " ", START)


async def test_older_versions_reach_the_endpoints(
    anonymous: httpx.AsyncClient, tenant: Tenant
) -> None:
    headers = {**tenant.headers, "Api-Version-Date": "2025-01-01"}
    response = await anonymous.post(
        "/conversions",
        json={"company_id": tenant.company_id, "event_name": "lead"},
        headers=headers,
    )
    await ok(response)
