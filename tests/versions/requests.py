"""Request bodies in each version's own shape, and the lifecycle every version supports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

NEWEST = "2026-10-15-1"
# Every version whose shapes are known: the client releases' defaults, then the seeds'.
VERSIONS = [
    "2026-10-15-1",
    "2026-10-13-1",
    "2026-10-09-2",
    "2026-10-08",
    "2026-09-29",
    "2026-09-23",
    "2026-09-15",
    "2026-08-21-1",
    "2026-07-08-1",
    "2026-06-20",
    "2026-06-09",
    "2025-01-01",
]


@dataclass(frozen=True)
class Dialect:
    """How a client of one version writes a campaign, an ad group and an ad."""

    version: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Api-Version-Date": self.version}

    def campaign(self, company_id: str, title: str = "Versioned") -> dict[str, Any]:
        if self.version == "2025-01-01":
            return {
                "company_id": company_id,
                "title": title,
                "platform": "meta",
                "daily_budget": 6.9,
                "target_country_codes": ["US", "CA"],
                # A product must exist first (POST /products; tests/products).
                "product_id": None,
                "config": {
                    "conversion_goal": "purchase",
                    "bid_strategy": "lowest_cost",
                    "budget_optimization": False,
                    "special_categories": ["credit"],
                },
            }
        return {"title": title, "objective": "sales", "platform": "meta"}

    def campaign_update(self, title: str) -> dict[str, Any]:
        if self.version == "2025-01-01":
            return {"title": title, "daily_budget": 8}
        return {"title": title}

    def group(self, campaign_id: str, title: str = "Group") -> dict[str, Any]:
        if self.version == "2025-01-01":
            return {"campaign_id": campaign_id, "name": title, "daily_budget": 10}
        if self.version in ("2026-06-09",):
            return {
                "ad_campaign_id": campaign_id,
                "title": title,
                "budget": 10,
                "budget_type": "daily",
            }
        return {
            "ad_campaign_id": campaign_id,
            "title": title,
            "budget_amount": 10,
            "budget_type": "daily",
        }

    def group_update(self, title: str) -> dict[str, Any]:
        if self.version == "2025-01-01":
            return {"name": title}
        return {"title": title}

    def ad(self, group_id: str, title: str = "Ad") -> dict[str, Any]:
        return {"ad_group_id": group_id, "title": title}

    def launch(self) -> dict[str, Any]:
        if self.version == "2025-01-01":
            return {"config": {"status": "active"}}
        return {"status": "active"}


async def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()
