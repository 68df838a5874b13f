"""Spend cap bodies for tests."""

from __future__ import annotations

from typing import Any


def cap_body(
    amount_micro: str = "50000000000",
    period: str = "TOTAL",
    start: str = "2026-03-01T00:00:00Z",
    end: str | None = "2026-06-30T23:59:59Z",
    currency: str = "USD",
    **overrides: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Q2 2026 - Brand Campaign IO",
        "schedule": {"start": start, "end": end},
        "budget": {
            "period": period,
            "amount": {"currency": currency, "amount_micro": amount_micro},
        },
        "comment": "Payer XYZ",
    }
    body.update(overrides)
    return body
