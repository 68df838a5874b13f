from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adline.core.money import dollars_to_micros, micros_to_dollars, ratio_to_dollars


@given(st.integers(min_value=0, max_value=10**12))
def test_any_cent_amount_round_trips_exactly(cents: int) -> None:
    dollars = float(Decimal(cents) / 100)
    micros = dollars_to_micros(dollars)
    assert micros == cents * 10_000
    assert micros_to_dollars(micros) == dollars


@pytest.mark.parametrize("bad", [5.001, float("nan"), float("inf"), 1e30, True])
def test_refused_amounts(bad: float) -> None:
    with pytest.raises(ValueError):
        dollars_to_micros(bad)


@pytest.mark.parametrize(
    ("micros", "dollars"),
    [
        (12_345, 0.01),  # 1.2345 cents -> 1 cent
        (15_000, 0.02),  # 1.5 cents -> 2 (half to even)
        (25_000, 0.02),  # 2.5 cents -> 2 (half to even)
        (35_000, 0.04),
        (-15_000, -0.02),
        (0, 0.0),
    ],
)
def test_rendering_rounds_half_even_to_the_cent(micros: int, dollars: float) -> None:
    assert micros_to_dollars(micros) == dollars


def test_ratios_round_like_amounts() -> None:
    assert ratio_to_dollars(10_000_000, 3) == 3.33  # $10 over 3 clicks
    assert ratio_to_dollars(50_000, 2) == 0.02  # 2.5 cents -> 2 cents
