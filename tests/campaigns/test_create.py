from __future__ import annotations

from typing import Any

import httpx
import pytest

from adline.campaigns.schemas import AdCampaignObject
from tests.campaigns.payloads import abo_campaign, cbo_campaign
from tests.helpers import assert_error

NEWEST_KEYS = set(AdCampaignObject.model_fields)


async def create(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/ad_campaigns", json=body)


class TestCreateCampaign:
    async def test_abo_campaign_starts_as_draft_with_every_newest_key(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await create(client, abo_campaign())
        assert response.status_code == 200
        assert response.headers["Api-Version-Date"] == "2026-10-15-1"
        body = response.json()
        assert set(body) == NEWEST_KEYS
        assert len(body) == 67
        assert body["id"].startswith("adcamp_") and len(body["id"]) == len("adcamp_") + 14
        assert body["status"] == "draft"
        assert body["delivery_status"] == "draft"
        assert body["budget_optimization"] == "ad_group"
        assert body["budget_amount"] is None
        assert body["budget_type"] is None
        assert body["bid_type"] is None
        assert body["campaign_type"] == "standard"
        assert body["issues"] == []
        assert body["created_at"] == "2026-03-02T09:00:00.000000Z"
        assert body["updated_at"] == body["created_at"]

    async def test_metrics_of_a_campaign_without_delivery(self, client: httpx.AsyncClient) -> None:
        body = (await create(client, abo_campaign())).json()
        for zero in (
            "spend",
            "impressions",
            "reach",
            "clicks",
            "unique_clicks",
            "link_clicks",
            "click_through_rate",
            "cost_per_click",
            "cost_per_mille",
            "return_on_ad_spend",
            "purchases",
            "purchase_value",
            "leads",
            "lead_value",
            "custom_conversions",
        ):
            assert body[zero] == 0, zero
        for null in (
            "unique_click_through_rate",
            "frequency",
            "cost_per_unique_click",
            "cost_per_result",
            "results",
            "result_event",
            "result_event_name",
            "cost_per_purchase",
            "cost_per_lead",
        ):
            assert body[null] is None, null
        assert body["spend_currency"] == "usd"
        assert body["custom_event_counts"] == {}
        assert body["custom_event_values"] == {}

    async def test_cbo_campaign_owns_its_budget(self, client: httpx.AsyncClient) -> None:
        body = (await create(client, cbo_campaign(budget_amount=12.34))).json()
        assert body["budget_amount"] == 12.34
        assert body["budget_amount_local"] == 12.34
        assert body["budget_currency"] == "usd"
        assert body["budget_type"] == "daily"
        assert body["bid_type"] == "minimum_cost"

    async def test_budget_amount_local_is_accepted_instead(self, client: httpx.AsyncClient) -> None:
        body = cbo_campaign(budget_amount_local=7)
        del body["budget_amount"]
        assert (await create(client, body)).json()["budget_amount"] == 7

    async def test_lifetime_budget_with_target_bid(self, client: httpx.AsyncClient) -> None:
        body = cbo_campaign(
            budget_type="lifetime",
            budget_amount=50,
            starts_at="2026-03-03T00:00:00Z",
            ends_at="2026-03-10T00:00:00Z",
            bid_type="average_target",
            desired_cost_per_result=2.5,
            special_ad_categories=["housing", "employment"],
            campaign_type="search",
        )
        created = (await create(client, body)).json()
        assert created["budget_type"] == "lifetime"
        assert created["bid_type"] == "average_target"
        assert created["desired_cost_per_result"] == 2.5
        assert created["starts_at"] == "2026-03-03T00:00:00.000000Z"
        assert created["ends_at"] == "2026-03-10T00:00:00.000000Z"
        assert created["special_ad_categories"] == ["housing", "employment"]
        assert created["campaign_type"] == "search"

    async def test_tiktok_is_accepted(self, client: httpx.AsyncClient) -> None:
        assert (await create(client, abo_campaign(platform="tiktok"))).json()[
            "platform"
        ] == "tiktok"

    async def test_account_id_of_own_company_is_accepted(
        self, client: httpx.AsyncClient, tenant: Any
    ) -> None:
        assert (await create(client, abo_campaign(account_id=tenant.company_id))).status_code == 200

    async def test_account_id_of_another_company_is_404(
        self, client: httpx.AsyncClient, other_tenant: Any
    ) -> None:
        response = await create(client, abo_campaign(account_id=other_tenant.company_id))
        assert_error(response, 404, "resource_not_found", "account_id")


class TestCreateCampaignErrors:
    @pytest.mark.parametrize("missing", ["title", "objective", "platform"])
    async def test_required_field_missing(self, client: httpx.AsyncClient, missing: str) -> None:
        body = abo_campaign()
        del body[missing]
        assert_error(await create(client, body), 400, "parameter_missing", missing)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("title", ""),
            ("title", "   "),
            ("title", "x" * 101),
            ("title", 5),
            ("title", None),
            ("objective", "fame"),
            ("objective", None),
            ("platform", "google"),
            ("budget_optimization", "both"),
            ("campaign_type", "display"),
            ("special_ad_categories", ["credit"]),
            ("special_ad_categories", "housing"),
            ("starts_at", "next tuesday"),
            ("starts_at", 1700000000),
            ("unknown_field", 1),
            ("company_id", "biz_x"),
        ],
    )
    async def test_invalid_value(self, client: httpx.AsyncClient, field: str, value: Any) -> None:
        response = await create(client, abo_campaign(**{field: value}))
        expected_param = field
        if field == "special_ad_categories" and isinstance(value, list):
            expected_param = "special_ad_categories[0]"
        assert_error(response, 400, "parameter_invalid", expected_param)

    @pytest.mark.parametrize(
        ("overrides", "code", "param"),
        [
            ({"budget_amount": None}, "parameter_missing", "budget_amount"),
            ({"budget_amount": 4.99}, "parameter_invalid", "budget_amount"),
            ({"budget_amount": 5.001}, "parameter_invalid", "budget_amount"),
            ({"budget_amount": -5}, "parameter_invalid", "budget_amount"),
            ({"budget_amount": "25"}, "parameter_invalid", "budget_amount"),
            ({"budget_amount": True}, "parameter_invalid", "budget_amount"),
            ({"budget_amount": 1e30}, "parameter_invalid", "budget_amount"),
            ({"budget_amount_local": 25}, "parameter_invalid", "budget_amount_local"),
            ({"budget_type": "lifetime"}, "parameter_missing", "ends_at"),
            (
                {"budget_type": "lifetime", "budget_amount": 20, "ends_at": "2026-03-07T09:00:00Z"},
                "parameter_invalid",
                "budget_amount",
            ),
            ({"bid_type": "average_target"}, "parameter_missing", "desired_cost_per_result"),
            ({"bid_type": "maximum_target"}, "parameter_missing", "desired_cost_per_result"),
            ({"desired_cost_per_result": 3}, "parameter_invalid", "desired_cost_per_result"),
            ({"desired_cost_per_result": 0}, "parameter_invalid", "desired_cost_per_result"),
            ({"ends_at": "2026-03-01T00:00:00Z"}, "parameter_invalid", "ends_at"),
            (
                {"starts_at": "2026-03-05T00:00:00Z", "ends_at": "2026-03-04T00:00:00Z"},
                "parameter_invalid",
                "ends_at",
            ),
        ],
    )
    async def test_cbo_budget_rules(
        self, client: httpx.AsyncClient, overrides: dict[str, Any], code: str, param: str
    ) -> None:
        body = cbo_campaign(**overrides)
        if overrides.get("budget_amount", 0) is None:
            del body["budget_amount"]
        assert_error(await create(client, body), 400, code, param)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("budget_amount", 25),
            ("budget_type", "daily"),
            ("bid_type", "minimum_cost"),
            ("starts_at", "2026-04-01T00:00:00Z"),
            ("ends_at", "2026-05-01T00:00:00Z"),
        ],
    )
    async def test_abo_campaign_refuses_campaign_budget_settings(
        self, client: httpx.AsyncClient, field: str, value: Any
    ) -> None:
        assert_error(
            await create(client, abo_campaign(**{field: value})), 400, "parameter_invalid", field
        )

    async def test_lifetime_budget_of_five_dollars_a_day_is_enough(
        self, client: httpx.AsyncClient
    ) -> None:
        body = cbo_campaign(
            budget_type="lifetime", budget_amount=25, ends_at="2026-03-07T09:00:00Z"
        )
        assert (await create(client, body)).status_code == 200

    async def test_malformed_json(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/ad_campaigns", content=b'{"title": ', headers={"content-type": "application/json"}
        )
        assert_error(response, 400, "invalid_json", None)

    async def test_json_that_is_not_an_object(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/ad_campaigns", content=b"[1, 2]")
        assert_error(response, 400, "invalid_json", None)

    async def test_a_refused_create_stores_nothing(self, client: httpx.AsyncClient) -> None:
        await create(client, cbo_campaign(budget_amount=1))
        assert (await client.get("/ad_campaigns")).json()["data"] == []
