from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.campaigns.payloads import abo_campaign, cbo_campaign
from tests.helpers import assert_error


async def make(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/ad_campaigns", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def patch(
    client: httpx.AsyncClient, campaign_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"/ad_campaigns/{campaign_id}", json=body)


class TestUpdate:
    async def test_only_sent_keys_change_and_updated_at_moves(
        self,
        client: httpx.AsyncClient,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        created = await make(client, cbo_campaign(special_ad_categories=["housing"]))
        clock.advance(timedelta(minutes=5))
        response = await patch(client, created["id"], {"title": "Renamed"})
        assert response.status_code == 200
        updated = response.json()
        assert updated["title"] == "Renamed"
        assert updated["updated_at"] == "2026-03-02T09:05:00.000000Z"
        assert updated["created_at"] == created["created_at"]
        unchanged = {k: v for k, v in created.items() if k not in {"title", "updated_at"}}
        assert {k: updated[k] for k in unchanged} == unchanged
        assert (await client.get(f"/ad_campaigns/{created['id']}")).json() == updated

    async def test_a_patch_that_changes_nothing_keeps_updated_at(
        self,
        client: httpx.AsyncClient,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        created = await make(client, abo_campaign())
        clock.advance(timedelta(minutes=5))
        same = (await patch(client, created["id"], {"title": created["title"]})).json()
        assert same["updated_at"] == created["updated_at"]

    async def test_budget_and_bid_changes(self, client: httpx.AsyncClient) -> None:
        created = await make(client, cbo_campaign())
        updated = (
            await patch(
                client,
                created["id"],
                {
                    "budget_amount": 40.5,
                    "special_ad_categories": [],
                    "ends_at": "2026-04-01T00:00:00Z",
                },
            )
        ).json()
        assert updated["budget_amount"] == 40.5
        assert updated["special_ad_categories"] == []
        assert updated["ends_at"] == "2026-04-01T00:00:00.000000Z"
        cleared = (await patch(client, created["id"], {"ends_at": None})).json()
        assert cleared["ends_at"] is None

    async def test_switch_draft_to_lifetime_budget(self, client: httpx.AsyncClient) -> None:
        created = await make(client, cbo_campaign())
        updated = await patch(
            client,
            created["id"],
            {"budget_type": "lifetime", "budget_amount": 100, "ends_at": "2026-03-12T09:00:00Z"},
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["budget_type"] == "lifetime"

    async def test_switch_between_cbo_and_abo_while_draft(self, client: httpx.AsyncClient) -> None:
        created = await make(client, cbo_campaign())
        abo = (await patch(client, created["id"], {"budget_optimization": "ad_group"})).json()
        assert abo["budget_optimization"] == "ad_group"
        assert abo["budget_amount"] is None
        assert abo["budget_type"] is None
        assert abo["bid_type"] is None
        missing = await patch(client, created["id"], {"budget_optimization": "ad_campaign"})
        assert_error(missing, 400, "parameter_missing", "budget_amount")
        cbo = await patch(
            client, created["id"], {"budget_optimization": "ad_campaign", "budget_amount": 9}
        )
        assert cbo.json()["budget_amount"] == 9
        assert cbo.json()["budget_type"] == "daily"
        assert cbo.json()["bid_type"] == "minimum_cost"

    async def test_bid_type_to_minimum_cost_clears_the_target(
        self, client: httpx.AsyncClient
    ) -> None:
        created = await make(
            client, cbo_campaign(bid_type="maximum_target", desired_cost_per_result=4)
        )
        updated = (await patch(client, created["id"], {"bid_type": "minimum_cost"})).json()
        assert updated["bid_type"] == "minimum_cost"
        assert updated["desired_cost_per_result"] is None

    @pytest.mark.parametrize(
        ("body", "code", "param"),
        [
            ({"objective": "awareness"}, "parameter_invalid", "objective"),
            ({"campaign_type": "search"}, "parameter_invalid", "campaign_type"),
            ({"desired_cost_per_result": 9}, "parameter_invalid", "desired_cost_per_result"),
            ({"title": None}, "parameter_invalid", "title"),
            ({"title": ""}, "parameter_invalid", "title"),
            ({"status": "paused"}, "parameter_invalid", "status"),
            ({"status": None}, "parameter_invalid", "status"),
            ({"budget_amount": 2}, "parameter_invalid", "budget_amount"),
            (
                {"budget_amount": 10, "budget_amount_local": 10},
                "parameter_invalid",
                "budget_amount_local",
            ),
            ({"bid_type": "average_target"}, "parameter_invalid", "bid_type"),
            ({"special_ad_categories": None}, "parameter_invalid", "special_ad_categories"),
            ({"platform": "tiktok"}, "parameter_invalid", "platform"),
            ({"ends_at": "2026-03-02T08:00:00Z"}, "parameter_invalid", "ends_at"),
        ],
    )
    async def test_refused_updates_change_nothing(
        self, client: httpx.AsyncClient, body: dict[str, Any], code: str, param: str
    ) -> None:
        created = await make(client, cbo_campaign())
        assert_error(await patch(client, created["id"], body), 400, code, param)
        assert (await client.get(f"/ad_campaigns/{created['id']}")).json() == created

    async def test_immutable_fields_accept_their_current_value(
        self, client: httpx.AsyncClient
    ) -> None:
        created = await make(
            client, cbo_campaign(bid_type="average_target", desired_cost_per_result=3)
        )
        response = await patch(
            client,
            created["id"],
            {"objective": "traffic", "campaign_type": "standard", "desired_cost_per_result": 3},
        )
        assert response.status_code == 200, response.text

    async def test_abo_campaign_refuses_a_budget(self, client: httpx.AsyncClient) -> None:
        created = await make(client, abo_campaign())
        assert_error(
            await patch(client, created["id"], {"budget_amount": 10}),
            400,
            "parameter_invalid",
            "budget_amount",
        )

    async def test_launch_without_ad_groups_is_refused(self, client: httpx.AsyncClient) -> None:
        created = await make(client, cbo_campaign())
        error = assert_error(
            await patch(client, created["id"], {"status": "active"}),
            400,
            "campaign_incomplete",
            "status",
        )
        assert "no ad groups" in error["message"]
        assert (await client.get(f"/ad_campaigns/{created['id']}")).json()["status"] == "draft"

    async def test_unknown_campaign_is_404(self, client: httpx.AsyncClient) -> None:
        assert_error(
            await patch(client, "adcamp_00000000000000", {"title": "x"}),
            404,
            "resource_not_found",
            "id",
        )
