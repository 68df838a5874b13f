"""Build campaign -> ad group -> ad trees through the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.campaigns.payloads import abo_campaign
from tests.files.helpers import upload_file


def group_body(campaign_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid ad group for an ABO campaign: $10 a day, optimizing purchases on the website."""
    return {
        "ad_campaign_id": campaign_id,
        "title": "Prospecting",
        "budget_type": "daily",
        "budget_amount": 10,
        "optimization_goal": "conversions",
        "conversion_location": "website",
        "conversion_event": "purchase",
        **overrides,
    }


def ad_body(group_id: str, creative_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid ad; with `creative_id` (an uploaded file of the company, tests/files/helpers)
    it shows that file in the square format, else it has no creatives."""
    creatives = [] if creative_id is None else [{"id": creative_id, "format": "square"}]
    return {
        "ad_group_id": group_id,
        "title": "Spring sale",
        "url": "https://shop.example.com/spring?ref=ads",
        "call_to_action": "shop_now",
        "creatives": creatives,
        "primary_texts": [{"text": "Everything 20% off"}],
        "headlines": [{"text": "Spring sale"}],
        **overrides,
    }


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Tree:
    campaign: dict[str, Any]
    group: dict[str, Any]
    ad: dict[str, Any]


async def build_tree(client: httpx.AsyncClient, **campaign_overrides: Any) -> Tree:
    campaign = await ok(await client.post("/ad_campaigns", json=abo_campaign(**campaign_overrides)))
    group = await ok(await client.post("/ad_groups", json=group_body(campaign["id"])))
    creative = await upload_file(client)
    ad = await ok(await client.post("/ads", json=ad_body(group["id"], creative["id"])))
    return Tree(campaign, group, ad)


async def launched_tree(client: httpx.AsyncClient, **campaign_overrides: Any) -> Tree:
    tree = await build_tree(client, **campaign_overrides)
    tree.campaign = await ok(
        await client.patch(f"/ad_campaigns/{tree.campaign['id']}", json={"status": "active"})
    )
    return tree
