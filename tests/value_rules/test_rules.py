"""Conversion value rules over HTTP: the shape, validation, tenancy, overlaps and their
takeover (create and update with replace_rule_ids, unpause by itself), pause, delete and
the list's filters."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.value_rules.models import ConversionValueRuleSelection
from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import Tree, build_tree, ok


def target(tree_item: dict[str, Any], scope: str = "campaign", platform: str = "meta") -> dict:
    return {"platform": platform, "scope": scope, "resource_id": tree_item["id"]}


def rule_body(tenant: Tenant, targets: list[dict], **fields: Any) -> dict[str, Any]:
    return {
        "account_id": tenant.company_id,
        "adjustment_type": "percentage",
        "percentage_change": 20,
        "events": [{"event_name": "purchase"}],
        "targets": targets,
        **fields,
    }


async def create(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    return await ok(await client.post("/ad_conversion_value_rules", json=body))


async def listed(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    body = await ok(await client.get("/ad_conversion_value_rules", params=params))
    return list(body["data"])


async def coverage(engine: AsyncEngine, company_id: str) -> dict[tuple[str, ...], str]:
    """What the active rules cover: (platform, item, event, custom name) -> rule."""
    async with create_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(ConversionValueRuleSelection).where(
                ConversionValueRuleSelection.company_id == company_id
            )
        )
        return {
            (row.platform, row.resource_key, row.event_name, row.custom_key): row.rule_id
            for row in rows
        }


@pytest.fixture
async def tree(client: httpx.AsyncClient) -> Tree:
    return await build_tree(client, title="Spring")


# --- the shape ----------------------------------------------------------------------------


async def test_create_answers_the_rule_and_reads_it_back(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree, clock: ManualClock
) -> None:
    rule = await create(
        client,
        rule_body(
            tenant,
            [target(tree.campaign)],
            adjustment_type="fixed",
            percentage_change=None,
            fixed_value={"amount": "12.50", "currency": "EUR"},
            events=[{"event_name": "purchase"}, {"event_name": "custom", "custom_name": "quiz"}],
            metadata={"team": "growth"},
        ),
    )
    assert rule["id"].startswith("adcvr_")
    assert rule == {
        "id": rule["id"],
        "account_id": tenant.company_id,
        "adjustment_type": "fixed",
        "fixed_value": {"amount": "12.50", "currency": "eur", "decimals": 2, "display_decimals": 2},
        "percentage_change": None,
        "events": [
            {"event_name": "purchase", "custom_name": None},
            {"event_name": "custom", "custom_name": "quiz"},
        ],
        "targets": [
            {
                "platform": "meta",
                "scope": "campaign",
                "resource_id": tree.campaign["id"],
                "resource_title": "Spring",
            }
        ],
        "status": "active",
        "metadata": {"team": "growth"},
        "created_at": "2026-03-02T09:00:00.000000Z",
        "updated_at": "2026-03-02T09:00:00.000000Z",
    }
    assert await ok(await client.get(f"/ad_conversion_value_rules/{rule['id']}")) == rule
    assert await listed(client) == [rule]


async def test_percentages_and_whole_unit_currencies(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree
) -> None:
    percent = await create(
        client, rule_body(tenant, [target(tree.campaign)], percentage_change=-12.5)
    )
    assert (percent["percentage_change"], percent["fixed_value"]) == (-12.5, None)
    yen = await create(
        client,
        rule_body(
            tenant,
            [target(tree.campaign)],
            adjustment_type="fixed",
            percentage_change=None,
            fixed_value={"amount": "500", "currency": "jpy"},
            events=[{"event_name": "lead"}],
        ),
    )
    assert yen["fixed_value"] == {
        "amount": "500",
        "currency": "jpy",
        "decimals": 0,
        "display_decimals": 0,
    }


# --- refusals -----------------------------------------------------------------------------


def _bad_bodies(tenant: Tenant, tree: Tree) -> list[tuple[dict[str, Any], int, str, str | None]]:
    campaign = target(tree.campaign)
    base = rule_body(tenant, [campaign])
    fixed = {**base, "adjustment_type": "fixed", "percentage_change": None}
    return [
        ({**base, "targets": []}, 400, "parameter_invalid", "targets"),
        ({**base, "events": []}, 400, "parameter_invalid", "events"),
        (
            {**base, "targets": [campaign, target(tree.group, "ad_group")]},
            400,
            "parameter_invalid",
            "targets[1].scope",
        ),
        ({**base, "targets": [campaign, campaign]}, 400, "parameter_invalid", "targets[1]"),
        (
            {**base, "targets": [{"platform": "meta", "scope": "business", "resource_id": "x"}]},
            400,
            "parameter_invalid",
            "targets[0].resource_id",
        ),
        (
            {**base, "targets": [{"platform": "meta", "scope": "campaign"}]},
            400,
            "parameter_missing",
            "targets[0].resource_id",
        ),
        (
            {**base, "targets": [target(tree.campaign, platform="tiktok")]},
            400,
            "parameter_invalid",
            "targets[0].platform",
        ),
        (
            {**base, "targets": [target(tree.ad, "campaign")]},
            404,
            "resource_not_found",
            "targets[0].resource_id",
        ),
        (
            {**base, "targets": [{"platform": "pinterest", "scope": "business"}]},
            400,
            "parameter_invalid",
            "targets[0].platform",
        ),
        (
            {**base, "events": [{"event_name": "custom"}]},
            400,
            "parameter_missing",
            "events[0].custom_name",
        ),
        (
            {**base, "events": [{"event_name": "lead", "custom_name": "x"}]},
            400,
            "parameter_invalid",
            "events[0].custom_name",
        ),
        (
            {**base, "events": [{"event_name": "lead"}, {"event_name": "lead"}]},
            400,
            "parameter_invalid",
            "events[1]",
        ),
        (
            {
                **base,
                "targets": [{"platform": "google", "scope": "business"}],
                "events": [{"event_name": "custom", "custom_name": "quiz"}],
            },
            400,
            "parameter_invalid",
            "events[0]",
        ),
        (
            {
                **base,
                "targets": [{"platform": "meta", "scope": "business"}],
                "events": [{"event_name": "custom", "custom_name": f"e{n}"} for n in range(501)],
            },
            400,
            "parameter_invalid",
            "targets",
        ),
        ({**base, "percentage_change": None}, 400, "parameter_missing", "percentage_change"),
        ({**base, "percentage_change": -100.5}, 400, "parameter_invalid", "percentage_change"),
        ({**base, "percentage_change": 10000.01}, 400, "parameter_invalid", "percentage_change"),
        ({**base, "percentage_change": 1.005}, 400, "parameter_invalid", "percentage_change"),
        ({**base, "percentage_change": "20"}, 400, "parameter_invalid", "percentage_change"),
        (
            {**base, "fixed_value": {"amount": "1.00", "currency": "usd"}},
            400,
            "parameter_invalid",
            "fixed_value",
        ),
        (fixed, 400, "parameter_missing", "fixed_value"),
        (
            {**fixed, "fixed_value": {"amount": "1.005", "currency": "usd"}},
            400,
            "parameter_invalid",
            "fixed_value.amount",
        ),
        (
            {**fixed, "fixed_value": {"amount": "0", "currency": "usd"}},
            400,
            "parameter_invalid",
            "fixed_value.amount",
        ),
        (
            {**fixed, "fixed_value": {"amount": "100000000.00", "currency": "usd"}},
            400,
            "parameter_invalid",
            "fixed_value.amount",
        ),
        (
            {**fixed, "fixed_value": {"amount": "-1", "currency": "usd"}},
            400,
            "parameter_invalid",
            "fixed_value.amount",
        ),
        (
            {**fixed, "fixed_value": {"amount": "1.50", "currency": "jpy"}},
            400,
            "parameter_invalid",
            "fixed_value.amount",
        ),
        (
            {**fixed, "fixed_value": {"amount": "1", "currency": "xyz"}},
            400,
            "parameter_invalid",
            "fixed_value.currency",
        ),
        ({**base, "metadata": {"k": 1}}, 400, "parameter_invalid", "metadata.k"),
        ({**base, "metadata": {"k" * 41: "v"}}, 400, "parameter_invalid", f"metadata.{'k' * 41}"),
        ({**base, "status": "archived"}, 400, "parameter_invalid", "status"),
        ({**base, "surprise": True}, 400, "parameter_invalid", "surprise"),
        ({**base, "account_id": "biz_nope"}, 404, "resource_not_found", "account_id"),
        (
            {**base, "replace_rule_ids": ["adcvr_nope"]},
            404,
            "resource_not_found",
            "replace_rule_ids[0]",
        ),
    ]


async def test_bad_bodies_are_refused_and_store_nothing(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree
) -> None:
    for body, status, code, param in _bad_bodies(tenant, tree):
        response = await client.post("/ad_conversion_value_rules", json=body)
        assert_error(response, status, code, param)
    assert await listed(client) == []


async def test_another_companys_rules_and_items_are_not_found(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    tree: Tree,
) -> None:
    rule = await create(client, rule_body(tenant, [target(tree.campaign)]))
    path = f"/ad_conversion_value_rules/{rule['id']}"
    assert_error(await other_client.get(path), 404, "resource_not_found", "id")
    assert_error(await other_client.patch(path, json={}), 404, "resource_not_found", "id")
    for action in ("pause", "unpause"):
        response = await other_client.post(f"{path}/{action}")
        assert_error(response, 404, "resource_not_found", "id")
    assert_error(await other_client.delete(path), 404, "resource_not_found", "id")
    # The other company may not aim its rules at this company's items or rules.
    theirs = rule_body(other_tenant, [target(tree.campaign)])
    response = await other_client.post("/ad_conversion_value_rules", json=theirs)
    assert_error(response, 404, "resource_not_found", "targets[0].resource_id")
    business = rule_body(other_tenant, [{"platform": "meta", "scope": "business"}])
    response = await other_client.post(
        "/ad_conversion_value_rules", json={**business, "replace_rule_ids": [rule["id"]]}
    )
    assert_error(response, 404, "resource_not_found", "replace_rule_ids[0]")
    response = await other_client.get(
        "/ad_conversion_value_rules", params={"resource_id": tree.campaign["id"]}
    )
    assert_error(response, 404, "resource_not_found", "resource_id")
    assert await listed(other_client) == []
    assert (await ok(await client.get(path)))["status"] == "active"


# --- overlaps and takeover --------------------------------------------------------------------


async def test_active_rules_cannot_overlap_but_broader_rules_are_fallbacks(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree, engine: AsyncEngine
) -> None:
    first = await create(client, rule_body(tenant, [target(tree.campaign)]))
    response = await client.post(
        "/ad_conversion_value_rules", json=rule_body(tenant, [target(tree.campaign)])
    )
    error = assert_error(response, 409, "conversion_value_rule_overlap", None)
    assert first["id"] in error["message"]
    # The business and the ad are other items: no overlap.
    await create(client, rule_body(tenant, [{"platform": "meta", "scope": "business"}]))
    await create(client, rule_body(tenant, [target(tree.ad, "ad")]))
    # A paused rule may overlap; so may another event or platform.
    await create(client, rule_body(tenant, [target(tree.campaign)], status="paused"))
    await create(
        client, rule_body(tenant, [target(tree.campaign)], events=[{"event_name": "lead"}])
    )
    assert len(await coverage(engine, tenant.company_id)) == 4


async def test_replace_rule_ids_takes_exactly_the_overlap_and_splits_the_rest(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    one, two = await build_tree(client, title="One"), await build_tree(client, title="Two")
    purchase, lead = {"event_name": "purchase"}, {"event_name": "lead"}
    old = await create(
        client,
        rule_body(
            tenant,
            [target(one.campaign), target(two.campaign)],
            events=[purchase, lead],
            metadata={"from": "old"},
        ),
    )
    # Stale: a rule that does not overlap this selection.
    unrelated = await create(
        client, rule_body(tenant, [target(one.campaign)], events=[{"event_name": "contact"}])
    )
    stale = rule_body(tenant, [target(one.campaign)], replace_rule_ids=[old["id"], unrelated["id"]])
    response = await client.post("/ad_conversion_value_rules", json=stale)
    assert_error(response, 409, "stale_replace_rule_ids", "replace_rule_ids")

    new = await create(
        client,
        rule_body(
            tenant, [target(one.campaign)], percentage_change=50, replace_rule_ids=[old["id"]]
        ),
    )
    kept = await ok(await client.get(f"/ad_conversion_value_rules/{old['id']}"))
    assert kept["status"] == "active"
    assert [t["resource_id"] for t in kept["targets"]] == [two.campaign["id"]]
    assert [e["event_name"] for e in kept["events"]] == ["purchase", "lead"]
    [split] = [
        rule
        for rule in await listed(client)
        if rule["id"] not in {old["id"], new["id"], unrelated["id"]}
    ]
    assert [t["resource_id"] for t in split["targets"]] == [one.campaign["id"]]
    assert split["events"] == [{"event_name": "lead", "custom_name": None}]
    assert (split["percentage_change"], split["metadata"], split["status"]) == (
        20,
        {"from": "old"},
        "active",
    )
    covered = await coverage(engine, tenant.company_id)
    assert covered == {
        ("meta", one.campaign["id"], "purchase", ""): new["id"],
        ("meta", one.campaign["id"], "lead", ""): split["id"],
        ("meta", one.campaign["id"], "contact", ""): unrelated["id"],
        ("meta", two.campaign["id"], "purchase", ""): old["id"],
        ("meta", two.campaign["id"], "lead", ""): old["id"],
    }
    # A rule whose whole selection is taken is paused, its settings kept.
    whole = await create(
        client,
        rule_body(
            tenant,
            [target(one.campaign)],
            events=[{"event_name": "contact"}],
            replace_rule_ids=[unrelated["id"]],
        ),
    )
    paused = await ok(await client.get(f"/ad_conversion_value_rules/{unrelated['id']}"))
    assert paused["status"] == "paused" and paused["targets"] == unrelated["targets"]
    assert (await coverage(engine, tenant.company_id))[
        ("meta", one.campaign["id"], "contact", "")
    ] == whole["id"]


async def test_unpause_takes_over_overlaps_and_pause_and_unpause_are_idempotent(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree, engine: AsyncEngine, clock: ManualClock
) -> None:
    active = await create(client, rule_body(tenant, [target(tree.campaign)]))
    waiting = await create(
        client,
        rule_body(
            tenant,
            [target(tree.campaign)],
            events=[{"event_name": "purchase"}, {"event_name": "lead"}],
            status="paused",
        ),
    )
    assert await coverage(engine, tenant.company_id) == {
        ("meta", tree.campaign["id"], "purchase", ""): active["id"]
    }
    clock.advance(timedelta(seconds=60))
    resumed = await ok(await client.post(f"/ad_conversion_value_rules/{waiting['id']}/unpause"))
    assert resumed["status"] == "active" and resumed["updated_at"] != waiting["updated_at"]
    displaced = await ok(await client.get(f"/ad_conversion_value_rules/{active['id']}"))
    assert displaced["status"] == "paused"
    assert set((await coverage(engine, tenant.company_id)).values()) == {waiting["id"]}
    clock.advance(timedelta(seconds=60))
    again = await ok(await client.post(f"/ad_conversion_value_rules/{waiting['id']}/unpause"))
    assert again == resumed
    paused = await ok(await client.post(f"/ad_conversion_value_rules/{waiting['id']}/pause"))
    assert paused["status"] == "paused" and await coverage(engine, tenant.company_id) == {}
    clock.advance(timedelta(seconds=60))
    assert (
        await ok(await client.post(f"/ad_conversion_value_rules/{waiting['id']}/pause")) == paused
    )


async def test_unpause_refuses_a_rule_whose_item_is_gone(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree
) -> None:
    rule = await create(client, rule_body(tenant, [target(tree.ad, "ad")], status="paused"))
    await ok(await client.delete(f"/ads/{tree.ad['id']}"))
    read = await ok(await client.get(f"/ad_conversion_value_rules/{rule['id']}"))
    assert read["targets"][0]["resource_title"] is None
    response = await client.post(f"/ad_conversion_value_rules/{rule['id']}/unpause")
    assert_error(response, 409, "target_unavailable", None)
    assert (await ok(await client.get(f"/ad_conversion_value_rules/{rule['id']}")))[
        "status"
    ] == "paused"


async def test_delete_ends_coverage_and_hides_the_rule(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree, engine: AsyncEngine
) -> None:
    rule = await create(client, rule_body(tenant, [target(tree.campaign)]))
    deleted = await ok(await client.delete(f"/ad_conversion_value_rules/{rule['id']}"))
    assert deleted == {"id": rule["id"], "deleted": True}
    path = f"/ad_conversion_value_rules/{rule['id']}"
    assert_error(await client.get(path), 404, "resource_not_found", "id")
    assert_error(await client.delete(path), 404, "resource_not_found", "id")
    assert await coverage(engine, tenant.company_id) == {}
    assert await listed(client) == []
    # Its selection is free again.
    await create(client, rule_body(tenant, [target(tree.campaign)]))


# --- update -----------------------------------------------------------------------------------


async def test_update_changes_what_is_sent_and_keeps_the_status(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree, engine: AsyncEngine, clock: ManualClock
) -> None:
    rule = await create(client, rule_body(tenant, [target(tree.campaign)], metadata={"a": "1"}))
    path = f"/ad_conversion_value_rules/{rule['id']}"
    clock.advance(timedelta(seconds=5))
    updated = await ok(
        await client.patch(
            path,
            json={
                "adjustment_type": "fixed",
                "fixed_value": {"amount": "3.00", "currency": "usd"},
                "targets": [target(tree.group, "ad_group")],
                "events": [{"event_name": "lead"}],
            },
        )
    )
    assert (updated["adjustment_type"], updated["percentage_change"]) == ("fixed", None)
    assert updated["fixed_value"]["amount"] == "3.00"
    assert updated["targets"][0]["scope"] == "ad_group"
    assert (updated["status"], updated["metadata"]) == ("active", {"a": "1"})
    assert updated["updated_at"] != rule["updated_at"]
    assert await coverage(engine, tenant.company_id) == {
        ("meta", tree.group["id"], "lead", ""): rule["id"]
    }
    for body, code, param in (
        ({"events": None}, "parameter_invalid", "events"),
        ({"fixed_value": None}, "parameter_invalid", "fixed_value"),
        ({"adjustment_type": "percentage"}, "parameter_missing", "percentage_change"),
        ({"percentage_change": 5}, "parameter_invalid", "percentage_change"),
        ({"account_id": tenant.company_id}, "parameter_invalid", "account_id"),
        ({"status": "paused"}, "parameter_invalid", "status"),
    ):
        assert_error(await client.patch(path, json=body), 400, code, param)
    assert await ok(await client.get(path)) == updated

    # Overlaps on update: refused, then replaced.
    other = await create(client, rule_body(tenant, [target(tree.campaign)]))
    onto = {"targets": [target(tree.campaign)], "events": [{"event_name": "purchase"}]}
    response = await client.patch(path, json=onto)
    assert_error(response, 409, "conversion_value_rule_overlap", None)
    moved = await ok(await client.patch(path, json={**onto, "replace_rule_ids": [other["id"]]}))
    assert moved["status"] == "active"
    assert (await ok(await client.get(f"/ad_conversion_value_rules/{other['id']}")))[
        "status"
    ] == "paused"


# --- the list ---------------------------------------------------------------------------------


async def test_list_filters_and_pages(
    client: httpx.AsyncClient, tenant: Tenant, clock: ManualClock
) -> None:
    one, two = await build_tree(client), await build_tree(client)
    business = await create(client, rule_body(tenant, [{"platform": "meta", "scope": "business"}]))
    clock.advance(timedelta(seconds=1))
    on_ad = await create(client, rule_body(tenant, [target(one.ad, "ad")], status="paused"))
    clock.advance(timedelta(seconds=1))
    on_two = await create(client, rule_body(tenant, [target(two.campaign)]))
    clock.advance(timedelta(seconds=1))
    tiktok = await create(client, rule_body(tenant, [{"platform": "tiktok", "scope": "business"}]))

    def ids(rules: list[dict[str, Any]]) -> list[str]:
        return [rule["id"] for rule in rules]

    assert ids(await listed(client)) == [tiktok["id"], on_two["id"], on_ad["id"], business["id"]]
    assert ids(await listed(client, direction="asc"))[0] == business["id"]
    assert ids(await listed(client, status="paused")) == [on_ad["id"]]
    assert ids(await listed(client, platform="tiktok")) == [tiktok["id"]]
    # A campaign: its own rules, its descendants', and the business's on its platform.
    assert ids(await listed(client, resource_id=one.campaign["id"])) == [
        on_ad["id"],
        business["id"],
    ]
    assert ids(await listed(client, resource_id=two.ad["id"])) == [on_two["id"], business["id"]]
    first = await ok(await client.get("/ad_conversion_value_rules", params={"first": 2}))
    assert ids(first["data"]) == [tiktok["id"], on_two["id"]]
    assert first["page_info"]["has_next_page"] is True
    rest = await ok(
        await client.get(
            "/ad_conversion_value_rules",
            params={"first": 2, "after": first["page_info"]["end_cursor"]},
        )
    )
    assert ids(rest["data"]) == [on_ad["id"], business["id"]]
    for params, param in (
        ({"status": "archived"}, "status"),
        ({"platform": "pinterest"}, "platform"),
        ({"order": "spend"}, "order"),
    ):
        response = await client.get("/ad_conversion_value_rules", params=params)
        assert_error(response, 400, "parameter_invalid", param)
    response = await client.get("/ad_conversion_value_rules", params={"resource_id": "adcamp_x"})
    assert_error(response, 404, "resource_not_found", "resource_id")


async def test_reading_needs_the_read_scope_and_writing_the_update_scope(
    anonymous: httpx.AsyncClient,
    tenant: Tenant,
    make_key,
    tree: Tree,  # type: ignore[no-untyped-def]
) -> None:
    reader = await make_key(tenant, ["ad_campaign:basic:read"])
    anonymous.headers["Authorization"] = f"Bearer {reader}"
    assert (await anonymous.get("/ad_conversion_value_rules")).status_code == 200
    response = await anonymous.post(
        "/ad_conversion_value_rules", json=rule_body(tenant, [target(tree.campaign)])
    )
    assert_error(response, 403, "missing_scope", None)


async def test_concurrent_creates_cannot_both_take_a_selection(
    client: httpx.AsyncClient, tenant: Tenant, tree: Tree, engine: AsyncEngine
) -> None:
    body = rule_body(tenant, [target(tree.campaign)])
    responses = await asyncio.gather(
        *(client.post("/ad_conversion_value_rules", json=body) for _ in range(4))
    )
    assert sorted(response.status_code for response in responses) == [200, 409, 409, 409]
    [winner] = [response.json()["id"] for response in responses if response.status_code == 200]
    assert set((await coverage(engine, tenant.company_id)).values()) == {winner}
