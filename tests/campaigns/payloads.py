"""Request bodies that are valid, to be varied by each test."""

from __future__ import annotations

from typing import Any


def abo_campaign(**overrides: Any) -> dict[str, Any]:
    """Ad-group budgets (ABO): the campaign carries no budget of its own."""
    return {"title": "Spring launch", "objective": "sales", "platform": "meta", **overrides}


def cbo_campaign(**overrides: Any) -> dict[str, Any]:
    """Campaign budget (CBO): $25 a day."""
    return {
        "title": "Always on",
        "objective": "traffic",
        "platform": "meta",
        "budget_optimization": "ad_campaign",
        "budget_amount": 25,
        **overrides,
    }
