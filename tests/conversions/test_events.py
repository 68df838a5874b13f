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
from adline.stats.models import StatEntryDay, StatEntryLifetime
from adline.stats.rollups import rebuild
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


async def batch(client: httpx.AsyncClient, events: list[Any]) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = (
        await ok(await client.post("/events/batch", json={"events": events}))
    )["data"]
    return data


async def test_a_bad_item_fails_alone_wherever_it_is(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    events: list[Any] = [event(tenant, event_id=f"m-{i}", value=i) for i in range(6)]
    events[0] = event(tenant, context={"fbclid": 12})
    events[3] = event(tenant, value=5, currency="xyz")
    events[5] = event(tenant, event_name="custom")
    data = await batch(client, events)
    assert data[0]["error"]["param"] == "events[0].context.fbclid"
    assert data[3]["error"]["param"] == "events[3].currency"
    assert (data[5]["error"]["code"], data[5]["error"]["param"]) == (
        "parameter_missing",
        "events[5].custom_name",
    )
    stored = {row.event_id: row.id for row in await stored_events(engine, tenant.company_id)}
    assert stored == {f"m-{i}": data[i]["id"] for i in (1, 2, 4)}


async def test_repeats_in_a_batch_and_across_batches_answer_the_first_event(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    single = await ok(await client.post("/events", json=event(tenant, event_id="r-0", value=1)))
    first = await batch(
        client,
        [
            event(tenant, event_id="r-1", value=10),
            event(tenant, event_id="r-2", value=20),
            event(tenant, event_id="r-1", value=99, event_name="lead"),
            event(tenant, event_id="r-0", value=99),
            event(tenant, value=3),  # no event_id: always new
            event(tenant, value=3),
        ],
    )
    assert first[2] == first[0] and first[3] == single
    assert len({item["id"] for item in first}) == 5
    second = await batch(
        client,
        [
            event(tenant, event_id="r-2", value=77),
            event(tenant, event_id="r-3", value=30),
            event(tenant, event_id="r-1", value=77),
        ],
    )
    assert (second[0], second[2]) == (first[1], first[0])
    again = await ok(await client.post("/events", json=event(tenant, event_id="r-3", value=5)))
    assert again == second[1]
    rows = await stored_events(engine, tenant.company_id)
    assert len(rows) == 6
    values = {row.event_id: (row.event_name, row.value_micros) for row in rows}
    assert values["r-1"] == ("purchase", 10_000_000)
    assert values["r-2"] == ("purchase", 20_000_000)
    assert values["r-3"] == ("purchase", 30_000_000)


async def test_concurrent_identical_batches_record_each_event_once(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    tree = await build_tree(client)
    await click(engine, tree.ad["id"], "race", START - DAY)
    events = [
        event(tenant, event_id=f"c-{i}", value=1, context={"fbclid": "race"}) for i in range(50)
    ]
    # Each copy in another order, so that the writers meet on different rows first.
    answers = await asyncio.gather(
        *(batch(client, list(reversed(events)) if n % 2 else events) for n in range(4))
    )
    ids = [item["id"] for item in answers[0]]
    for n, data in enumerate(answers[1:], start=1):
        got = [item["id"] for item in data]
        assert (list(reversed(got)) if n % 2 else got) == ids
    assert len(set(ids)) == 50
    assert len(await stored_events(engine, tenant.company_id)) == 50
    # Counted once in the metrics, not once per copy.
    assert (await campaign_metrics(client, tree))["purchases"] == 50


async def test_batch_attribution_equals_single_events(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    trees = [await build_tree(client) for _ in range(3)]
    ads = [tree.ad["id"] for tree in trees]
    await click(engine, ads[0], "fb.a", START - 3 * DAY)
    await click(engine, ads[1], "tt.a", START - DAY)
    await click(engine, ads[2], "gc.a", START - 2 * DAY)
    await click(engine, ads[0], "fb.tie", START - DAY)  # same time as tt.tie: row id decides
    await click(engine, ads[1], "tt.tie", START - DAY)
    await click(engine, ads[2], "fb.old", START - 8 * DAY)
    await click(engine, ads[1], "tt.later", START + timedelta(minutes=1))
    cases: list[dict[str, Any]] = [
        {"context": {"fbclid": "fb.a", "ttclid": "tt.a", "gclid": "gc.a"}},
        {"context": {"fbclid": "fb.tie", "ttclid": "tt.tie"}},
        {"context": {"fbclid": "fb.old", "ttclid": "tt.a"}},
        {"context": {"fbclid": "fb.a"}, "event_time": format_timestamp(START - 2 * DAY)},
        {"context": {"fbclid": "fb.a"}, "event_time": format_timestamp(START - 4 * DAY)},
        {"context": {"ttclid": "tt.later"}},
        {"context": {"fbclid": "unknown", "gclid": "gc.a"}},
        {"context": {"ad_id": ads[0]}},
        {},
    ]
    for number, fields in enumerate(cases):
        await ok(await client.post("/events", json=event(tenant, event_id=f"s-{number}", **fields)))
    await batch(client, [event(tenant, event_id=f"b-{n}", **f) for n, f in enumerate(cases)])

    def touches(row: ConversionEvent) -> tuple[Any, ...]:
        return (
            row.last_touch_ad_id,
            row.last_touch_ad_group_id,
            row.last_touch_ad_campaign_id,
            row.first_touch_ad_id,
            row.first_touch_ad_group_id,
            row.first_touch_ad_campaign_id,
        )

    rows = {row.event_id: row for row in await stored_events(engine, tenant.company_id)}
    for number in range(len(cases)):
        assert touches(rows[f"b-{number}"]) == touches(rows[f"s-{number}"]), number
    assert touches(rows["s-0"])[0::3] == (ads[1], ads[0])
    assert touches(rows["s-5"]) == (None,) * 6


async def rollup_entries(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    entries: list[tuple[Any, ...]] = []
    async with create_sessionmaker(engine)() as session:
        for model in (StatEntryDay, StatEntryLifetime):
            table = model.__table__
            rows = await session.execute(select(table).where(table.c.source != "network"))
            entries += sorted(tuple(row) for row in rows)
    return entries


async def test_batch_metrics_equal_single_events(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    singles, batched = await build_tree(client), await build_tree(client)
    kinds: list[dict[str, Any]] = [
        {"event_name": "purchase", "value": 12.5},
        {"event_name": "purchase", "value": 100, "currency": "eur"},
        {"event_name": "lead"},
        {"event_name": "custom", "custom_name": "quiz", "value": 2},
        {"event_name": "add_to_cart", "value": 3.25},
    ]
    single_events, batch_events = [], []
    for number in range(20):
        fields = kinds[number % len(kinds)]
        at = format_timestamp(START - (number % 4) * DAY)
        for prefix, tree, out in (("s", singles, single_events), ("b", batched, batch_events)):
            # Two clicks per event, on the tree's ad, days apart.
            await click(engine, tree.ad["id"], f"{prefix}.fb.{number}", START - 5 * DAY)
            await click(engine, tree.ad["id"], f"{prefix}.tt.{number}", START - 4 * DAY)
            context = {"fbclid": f"{prefix}.fb.{number}", "ttclid": f"{prefix}.tt.{number}"}
            out.append(
                event(
                    tenant, event_id=f"{prefix}-{number}", event_time=at, context=context, **fields
                )
            )
    for body in single_events:
        await ok(await client.post("/events", json=body))
    await batch(client, batch_events + batch_events[:3])  # the repeats count once
    metric_fields = (
        "purchases",
        "purchase_value",
        "return_on_ad_spend",
        "leads",
        "custom_conversions",
        "custom_event_counts",
        "custom_event_values",
        "added_to_carts",
        "added_to_cart_value",
        "results",
    )
    for model in ("last_touch", "first_touch"):
        for params in ({}, {"stats_from": (START - 2 * DAY).date().isoformat()}):
            one = await campaign_metrics(client, singles, attribution_model=model, **params)
            other = await campaign_metrics(client, batched, attribution_model=model, **params)
            assert {f: one[f] for f in metric_fields} == {f: other[f] for f in metric_fields}
    assert (await campaign_metrics(client, batched))["purchases"] == 8
    # The rollups the batch kept equal a rebuild from the events.
    kept = await rollup_entries(engine)
    async with create_sessionmaker(engine)() as session, session.begin():
        await rebuild(session, tenant.company_id)
    assert await rollup_entries(engine) == kept


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
