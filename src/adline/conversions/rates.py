"""Currency rates for event values: a fixed table, USD per one unit of each currency.

Reference rates of 2026-01-02 (rounded; Adline keeps no live feed). An event's value is
converted with the rate of this table whatever its `event_time`; a currency missing here
is refused (400). Update the table and `RATES_DATE` together.
"""

from __future__ import annotations

from decimal import Decimal

RATES_DATE = "2026-01-02"

USD_PER_UNIT: dict[str, Decimal] = {
    "usd": Decimal("1"),
    "eur": Decimal("1.17"),
    "gbp": Decimal("1.34"),
    "cad": Decimal("0.73"),
    "aud": Decimal("0.67"),
    "chf": Decimal("1.26"),
    "jpy": Decimal("0.0064"),
    "brl": Decimal("0.18"),
    "inr": Decimal("0.011"),
    "mxn": Decimal("0.055"),
}


def usd_per_unit(currency: str) -> Decimal | None:
    """The rate of an ISO 4217 code (any case), or None when Adline has none."""
    return USD_PER_UNIT.get(currency.lower())
