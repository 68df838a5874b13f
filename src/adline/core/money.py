"""Money: integer micro-units inside, dollars at the API edge.

The one rounding rule (spec decision 6): amounts rendered in dollars are rounded
half-even to the cent. Input in dollars may carry at most two decimals, so every
accepted amount renders back exactly as it was sent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

MICROS_PER_UNIT = 1_000_000
MICROS_PER_CENT = 10_000
INT64_MAX = 2**63 - 1


def dollars_to_micros(amount: float | int | Decimal) -> int:
    """Convert a dollar amount from a request into micro-units.

    Raises ValueError for NaN, infinities, more than two decimals or values beyond int64.
    """
    if isinstance(amount, bool):
        raise ValueError("must be a number")
    try:
        # str() first: the float 6.9 means the decimal 6.9 the client wrote, not 6.8999...
        exact = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not exact.is_finite():
        raise ValueError("must be a finite number")
    if abs(exact) * MICROS_PER_UNIT > INT64_MAX:
        raise ValueError("is too large")
    if exact != exact.quantize(Decimal("0.01")):
        raise ValueError("must have at most two decimal places")
    return int(exact * MICROS_PER_UNIT)


def micros_to_dollars(micros: int) -> float:
    """Render micro-units as dollars, rounded half-even to the cent."""
    cents = (Decimal(micros) / MICROS_PER_CENT).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return float(cents / 100)


def ratio_to_dollars(numerator_micros: int, denominator: int) -> float:
    """Dollars per unit (cost per click, per result, ...) from integers, rounded like any amount."""
    cents = (Decimal(numerator_micros) / (Decimal(denominator) * MICROS_PER_CENT)).quantize(
        Decimal(1), rounding=ROUND_HALF_EVEN
    )
    return float(cents / 100)


def parse_amount_micro(value: object) -> int:
    """An `amount_micro` of the MoneyMicro shape (seed 004): a non-negative int64 carried
    as a JSON string of digits (`"50000000000"` = 50,000.00). Raises ValueError saying
    what is wrong."""
    if not isinstance(value, str):
        raise ValueError("must be a string of digits (an integer number of micro-units)")
    if not value.isascii() or not value.isdigit():
        raise ValueError("must be a non-negative integer number of micro-units, as a string")
    if len(value) > 1 and value.startswith("0"):
        raise ValueError("must not have leading zeros")
    amount = int(value)
    if amount > INT64_MAX:
        raise ValueError("is larger than the largest int64")
    return amount
