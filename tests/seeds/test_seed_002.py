"""Seed 002 as printed: `POST /ad_campaigns` with the seed's body (its placeholders
replaced by valid values), sent unversioned (no `Api-Version-Date`, a key that pins no
version: the original 2025-01-01 shapes), answered with exactly the seed's response fields
and the type the seed prints for each (docs/products.md, docs/decisions.md "Products and
seed 002")."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.hierarchy.builders import ad_body
from tests.seeds.printed import (
    BOOLEAN,
    DATE_TIME,
    INTEGER,
    NUMBER,
    STRING,
    ArrayOf,
    Spec,
    assert_shape,
    enum,
    nullable,
)

# A config value meaning "leave the key out" (tests of the body's fields, below).
DROP: Any = object()

# The seed's request body, verbatim but for its placeholders (each marked).
START_TIME = "2026-04-01T00:00:00.000Z"  # seed: "<string>"
END_TIME = "2026-06-30T23:59:59.000Z"  # seed: "<string>"


def seed_body(company_id: str, product_id: str) -> dict[str, Any]:
    return {
        "company_id": company_id,  # seed: "biz_xxxxxxxxxxxxxx"
        "config": {
            "conversion_goal": "purchase",
            "bid_strategy": "lowest_cost",
            "bid_amount": 42,
            "status": "active",
            "special_categories": [
                "online_gambling_and_gaming"  # seed: "<string>" (a category Meta has)
            ],
            "budget_optimization": True,
            "start_time": START_TIME,
            "end_time": END_TIME,
        },
        "daily_budget": 6.9,
        "platform": "meta",
        "title": "Pickaxe spring launch",  # seed: "<string>"
        "ad_creative_set_ids": [
            "acs_AAAAAAAAAAAAAA"  # seed: "<string>": no id can name a set (see below)
        ],
        "product_id": product_id,  # seed: "prod_xxxxxxxxxxxxx"
        "target_country_codes": [
            "US"  # seed: "<string>"
        ],
    }


# The seed's example response, verbatim: its keys are the answer's keys.
SEED_EXAMPLE: dict[str, Any] = {
    "id": "adcamp_xxxxxxxxxxx",
    "title": "<string>",
    "status": "active",
    "target_country_codes": ["<string>"],
    "daily_budget": 6.9,
    "platform": "meta",
    "available_budget": 6.9,
    "created_at": "2023-12-01T05:00:00.401Z",
    "updated_at": "2023-12-01T05:00:00.401Z",
    "paused_until": "2023-12-01T05:00:00.401Z",
    "clicks_count": 42,
    "impressions_count": 42,
    "purchases_count": 42,
    "remaining_balance": 6.9,
    "revenue": 6.9,
    "return_on_ad_spend": 6.9,
    "todays_spend": 6.9,
    "total_credits": 6.9,
    "total_spend": 6.9,
    "product": {
        "id": "prod_xxxxxxxxxxxxx",
        "title": "Pickaxe Analytics",
        "route": "pickaxe-analytics",
    },
    "created_by_user": {"id": "user_xxxxxxxxxxxxx", "name": "John Doe", "username": "johndoe42"},
    "payment_method": {
        "typename": "<string>",
        "id": "payt_xxxxxxxxxxxxx",
        "created_at": "2023-12-01T05:00:00.401Z",
        "payment_method_type": "acss_debit",
    },
    "billing_ledger_account": {"id": "ldgr_xxxxxxxxxxxxx"},
    "config": {
        "conversion_goal": "purchase",
        "bid_strategy": "lowest_cost",
        "bid_amount": 42,
        "status": "active",
        "special_categories": ["<string>"],
        "budget_optimization": True,
        "start_time": "<string>",
        "end_time": "<string>",
    },
}

# The seed's field list: each field's printed type; nested objects as its example prints
# them, their values typed from the example.
SEED_FIELDS: dict[str, Spec] = {
    "id": STRING,
    "title": STRING,
    "status": enum("active", "paused", "inactive", "stale"),
    "target_country_codes": ArrayOf(STRING),
    "daily_budget": nullable(NUMBER),
    "platform": nullable(enum("meta", "tiktok")),
    "available_budget": NUMBER,
    "created_at": DATE_TIME,
    "updated_at": DATE_TIME,
    "paused_until": nullable(DATE_TIME),
    "clicks_count": INTEGER,
    "impressions_count": INTEGER,
    "purchases_count": INTEGER,
    "remaining_balance": NUMBER,
    "revenue": NUMBER,
    "return_on_ad_spend": NUMBER,
    "todays_spend": NUMBER,
    "total_credits": NUMBER,
    "total_spend": NUMBER,
    # "Null for campaigns that don't target a specific product."
    "product": nullable({"id": STRING, "title": STRING, "route": STRING}),
    "created_by_user": {"id": STRING, "name": STRING, "username": STRING},
    # Adline has no billing yet (issue 18): null, as the original shape has it for a
    # campaign paid from the platform balance (spec B.2).
    "payment_method": nullable(
        {"typename": STRING, "id": STRING, "created_at": DATE_TIME, "payment_method_type": STRING}
    ),
    # "The ledger account being charged for platform balance billing (null if using card)."
    "billing_ledger_account": nullable({"id": STRING}),
    "config": {
        "conversion_goal": STRING,
        "bid_strategy": enum("lowest_cost", "bid_cap", "cost_cap"),
        "bid_amount": INTEGER,
        "status": enum("active", "paused"),
        "special_categories": ArrayOf(STRING),
        "budget_optimization": BOOLEAN,
        "start_time": STRING,
        "end_time": STRING,
    },
}


@pytest.fixture
async def raw(app: FastAPI, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """The seed's curl: the bearer key, no `Api-Version-Date`; the key pins no version."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://adline.test/api/v1",
        headers={"Authorization": f"Bearer {tenant.key}"},
    ) as c:
        yield c


async def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["Api-Version-Date"] == "2025-01-01"
    return response.json()


async def new_product(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post(
        "/products", json={"title": "Pickaxe Analytics", "route": "pickaxe-analytics"}
    )
    assert response.status_code == 200, response.text
    product: dict[str, Any] = response.json()
    return product


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def campaigns_of(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/ad_campaigns")
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_the_body_as_printed_names_a_creative_set_that_cannot_exist(
    client: httpx.AsyncClient, raw: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Adline has no creative sets: an id in `ad_creative_set_ids` is refused, naming the
    parameter, rather than dropped; nothing is created."""
    product = await new_product(client)
    response = await raw.post("/ad_campaigns", json=seed_body(tenant.company_id, product["id"]))
    error = assert_error(response, 400, "parameter_invalid", "ad_creative_set_ids")
    assert "creative sets" in error["message"]
    assert await campaigns_of(client) == []


async def create_as_printed(
    client: httpx.AsyncClient, raw: httpx.AsyncClient, tenant: Tenant
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The seed's body with the one value Adline can take for `ad_creative_set_ids`."""
    product = await new_product(client)
    sent = seed_body(tenant.company_id, product["id"])
    sent["ad_creative_set_ids"] = []
    assert "Api-Version-Date" not in raw.headers
    created = await ok(await raw.post("/ad_campaigns", json=sent))
    return sent, product, created


async def test_the_body_as_printed_answers_the_seeds_fields_and_types(
    client: httpx.AsyncClient, raw: httpx.AsyncClient, tenant: Tenant
) -> None:
    sent, product, created = await create_as_printed(client, raw, tenant)

    assert_shape(created, SEED_FIELDS)
    assert set(created) == set(SEED_EXAMPLE)
    assert set(created["config"]) == set(SEED_EXAMPLE["config"])

    # What was sent is what is answered.
    assert created["title"] == sent["title"]
    assert created["platform"] == "meta"
    assert created["target_country_codes"] == ["US"]
    assert created["daily_budget"] == created["available_budget"] == 6.9
    assert created["product"] == {
        "id": product["id"],
        "title": "Pickaxe Analytics",
        "route": "pickaxe-analytics",
    }
    config = created["config"]
    sent_config = sent["config"]
    for key in ("conversion_goal", "bid_strategy", "bid_amount", "status", "budget_optimization"):
        assert config[key] == sent_config[key], key
    assert config["special_categories"] == ["online_gambling_and_gaming"]
    assert instant(config["start_time"]) == instant(START_TIME)
    assert instant(config["end_time"]) == instant(END_TIME)
    # Asked to run, it cannot yet (no ad groups or ads, and, at Whop, not funded):
    # "Campaign starts inactive until funded via checkout."
    assert created["status"] == "inactive"
    # Facts of a new campaign, and what Adline has no ledger for yet (issue 18).
    assert created["created_by_user"]["id"] == tenant.user_id
    assert created["created_at"] == created["updated_at"] == "2026-03-02T09:00:00.000000Z"
    assert created["paused_until"] is None
    for key in ("clicks_count", "impressions_count", "purchases_count"):
        assert created[key] == 0
    for key in ("revenue", "return_on_ad_spend", "todays_spend", "total_spend"):
        assert created[key] == 0
    # No credits; the tenant's saved card pays (docs/funding.md): no ledger account shown.
    assert created["remaining_balance"] == created["total_credits"] == 0
    assert created["payment_method"]["id"].startswith("payt_")
    assert created["payment_method"]["payment_method_type"] == "card"
    assert created["billing_ledger_account"] is None

    # Read back unversioned, the same object.
    read = await ok(await raw.get(f"/ad_campaigns/{created['id']}"))
    assert read == created


async def test_the_newest_version_reads_what_the_seeds_body_set(
    client: httpx.AsyncClient, raw: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, _, created = await create_as_printed(client, raw, tenant)
    newest = (await client.get(f"/ad_campaigns/{created['id']}")).json()
    assert newest["status"] == "draft"
    assert newest["objective"] == "sales"  # conversion_goal purchase
    assert (newest["budget_optimization"], newest["budget_type"], newest["budget_amount"]) == (
        "ad_campaign",
        "daily",
        6.9,
    )
    # lowest_cost with a 42-cent bid amount: lowest cost capped at $0.42.
    assert (newest["bid_type"], newest["desired_cost_per_result"]) == ("maximum_target", 0.42)
    assert instant(newest["starts_at"]) == instant(START_TIME)
    assert instant(newest["ends_at"]) == instant(END_TIME)
    # A category Adline's enum does not have has no newer counterpart.
    assert newest["special_ad_categories"] == []
    assert "product" not in newest


class TestEachFieldOfTheBody:
    """How Adline takes each field of the seed's body beyond the values printed."""

    @pytest.fixture
    async def body(self, client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
        product = await new_product(client)
        sent = seed_body(tenant.company_id, product["id"])
        sent["ad_creative_set_ids"] = []
        return sent

    async def create(self, raw: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = await ok(await raw.post("/ad_campaigns", json=body))
        return created

    @staticmethod
    def with_config(body: dict[str, Any], **config: Any) -> dict[str, Any]:
        changed = copy.deepcopy(body)
        changed["config"].update(config)
        for key in [key for key, value in changed["config"].items() if value is DROP]:
            del changed["config"][key]
        return changed

    async def test_an_unknown_product_is_a_400_naming_product_id(
        self, client: httpx.AsyncClient, raw: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        response = await raw.post(
            "/ad_campaigns", json={**body, "product_id": "prod_xxxxxxxxxxxxx"}
        )
        assert_error(response, 400, "parameter_invalid", "product_id")
        assert await campaigns_of(client) == []

    async def test_no_product_reads_null(
        self, raw: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        assert (await self.create(raw, {**body, "product_id": None}))["product"] is None
        unsaid = {key: value for key, value in body.items() if key != "product_id"}
        assert (await self.create(raw, unsaid))["product"] is None

    async def test_null_or_empty_creative_sets_are_accepted(
        self, client: httpx.AsyncClient, raw: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        await self.create(raw, {**body, "ad_creative_set_ids": None})
        for ids in (["acs_1", "acs_2"], "acs_1", [1]):
            response = await raw.post("/ad_campaigns", json={**body, "ad_creative_set_ids": ids})
            assert_error(response, 400, "parameter_invalid", "ad_creative_set_ids")
        assert len(await campaigns_of(client)) == 1

    async def test_status_paused_creates_a_draft(
        self, raw: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        created = await self.create(raw, self.with_config(body, status="paused"))
        assert (created["status"], created["config"]["status"]) == ("draft", "paused")
        unsaid = await self.create(raw, self.with_config(body, status=DROP))
        assert (unsaid["status"], unsaid["config"]["status"]) == ("draft", "paused")

    async def test_status_active_launches_once_the_campaign_can_run(
        self, client: httpx.AsyncClient, raw: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        created = await self.create(raw, body)
        assert (created["status"], created["config"]["status"]) == ("inactive", "active")
        launch = {"config": {"status": "active"}}
        # Nothing to run yet: the launch names what is missing, and changes nothing.
        refused = await raw.patch(f"/ad_campaigns/{created['id']}", json=launch)
        assert_error(refused, 400, "campaign_incomplete", "status")
        group = (
            await raw.post("/ad_groups", json={"campaign_id": created["id"], "name": "Buyers"})
        ).json()
        response = await client.post("/ads", json=ad_body(group["id"]))
        assert response.status_code == 200, response.text
        still = await ok(await raw.get(f"/ad_campaigns/{created['id']}"))
        assert still["status"] == "inactive"
        launched = await ok(await raw.patch(f"/ad_campaigns/{created['id']}", json=launch))
        assert (launched["status"], launched["config"]["status"]) == ("active", "active")
        # A copy is a plain draft: the request to run is not copied.
        copies = (await raw.post(f"/ad_campaigns/{created['id']}/duplicate", json={})).json()
        assert [(c["status"], c["config"]["status"]) for c in copies["data"]] == [
            ("draft", "paused")
        ]

    async def test_an_unknown_status_is_refused(
        self, client: httpx.AsyncClient, raw: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        for status in ("inactive", "ACTIVE", 1):
            response = await raw.post("/ad_campaigns", json=self.with_config(body, status=status))
            assert_error(response, 400, "parameter_invalid", "config.status")
        assert await campaigns_of(client) == []

    @pytest.mark.parametrize(
        ("strategy", "amount", "bid_type", "echoed"),
        [
            ("lowest_cost", 42, "maximum_target", "lowest_cost"),
            ("absent", 42, "maximum_target", "lowest_cost"),
            ("lowest_cost", None, "minimum_cost", "lowest_cost"),
            ("bid_cap", 42, "maximum_target", "bid_cap"),
            ("cost_cap", 42, "average_target", "cost_cap"),
        ],
    )
    async def test_bidding(
        self,
        client: httpx.AsyncClient,
        raw: httpx.AsyncClient,
        body: dict[str, Any],
        strategy: str,
        amount: int | None,
        bid_type: str,
        echoed: str,
    ) -> None:
        sent = self.with_config(
            body, bid_strategy=DROP if strategy == "absent" else strategy, bid_amount=amount
        )
        created = await self.create(raw, sent)
        assert (created["config"]["bid_strategy"], created["config"]["bid_amount"]) == (
            echoed,
            amount,
        )
        newest = (await client.get(f"/ad_campaigns/{created['id']}")).json()
        assert newest["bid_type"] == bid_type
        assert newest["desired_cost_per_result"] == (None if amount is None else amount / 100)

    async def test_special_categories_are_free_strings(
        self, client: httpx.AsyncClient, raw: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        categories = ["HOUSING", "online_gambling_and_gaming", "credit", "HOUSING"]
        created = await self.create(raw, self.with_config(body, special_categories=categories))
        assert created["config"]["special_categories"] == [
            "HOUSING",
            "online_gambling_and_gaming",
            "credit",
        ]
        newest = (await client.get(f"/ad_campaigns/{created['id']}")).json()
        assert newest["special_ad_categories"] == ["housing", "financial_products"]
        # A newer version's change shows in the original list; free strings stay.
        response = await client.patch(
            f"/ad_campaigns/{created['id']}", json={"special_ad_categories": ["employment"]}
        )
        assert response.status_code == 200, response.text
        read = await ok(await raw.get(f"/ad_campaigns/{created['id']}"))
        assert read["config"]["special_categories"] == ["online_gambling_and_gaming", "employment"]
        for bad, param in (
            ([""], "config.special_categories[0]"),
            (["x" * 101], "config.special_categories[0]"),
            ([1], "config.special_categories"),
            (["x"] * 21, "config.special_categories"),
        ):
            response = await raw.post(
                "/ad_campaigns", json=self.with_config(body, special_categories=bad)
            )
            assert_error(response, 400, "parameter_invalid", param)

    async def test_conversion_goal_is_echoed_as_sent(
        self, client: httpx.AsyncClient, raw: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        lead = await self.create(raw, self.with_config(body, conversion_goal="lead"))
        assert lead["config"]["conversion_goal"] == "lead"
        newest = (await client.get(f"/ad_campaigns/{lead['id']}")).json()
        assert newest["objective"] == "leads"
        # Created with an objective (as the Stainless client of the time did): the goal
        # of that objective.
        by_objective = await self.create(
            raw, self.with_config(body, conversion_goal=DROP, objective="traffic")
        )
        assert by_objective["config"]["conversion_goal"] == "link_clicks"
        agreeing = await self.create(raw, self.with_config(body, objective="sales"))
        assert agreeing["config"]["conversion_goal"] == "purchase"
        response = await raw.post("/ad_campaigns", json=self.with_config(body, objective="traffic"))
        assert_error(response, 400, "parameter_invalid", "config.conversion_goal")

    @pytest.mark.parametrize(
        ("config", "param"),
        [
            ({"lifetime_budget": 5000}, "config.lifetime_budget"),
            ({"budget_optimization": False}, "config.bid_amount"),
            (
                {"budget_optimization": False, "bid_amount": None},
                "config.start_time",
            ),
            (
                {
                    "budget_optimization": False,
                    "bid_amount": None,
                    "start_time": None,
                    "end_time": None,
                    "bid_strategy": "cost_cap",
                },
                "config.bid_strategy",
            ),
        ],
    )
    async def test_what_would_be_lost_is_refused(
        self,
        client: httpx.AsyncClient,
        raw: httpx.AsyncClient,
        body: dict[str, Any],
        config: dict[str, Any],
        param: str,
    ) -> None:
        response = await raw.post("/ad_campaigns", json=self.with_config(body, **config))
        assert_error(response, 400, "parameter_invalid", param)
        assert await campaigns_of(client) == []
