"""The simulated processor decides by Stripe's test cards, deterministically."""

from __future__ import annotations

import pytest

from adline.funding.processor import (
    ATTACHES_THEN_FAILS,
    DECLINED,
    SUCCEEDS,
    CardDeclined,
    SimulatedProcessor,
)


def test_4242_attaches_and_charges_once_per_key() -> None:
    processor = SimulatedProcessor()
    card = processor.attach("4242 4242 4242 4242")
    assert (card.brand, card.last4) == ("visa", "4242")
    first = processor.charge(token=card.token, amount_micros=25_000_000, idempotency_key="k")
    again = processor.charge(token=card.token, amount_micros=25_000_000, idempotency_key="k")
    assert first.succeeded and first == again
    other = processor.charge(token=card.token, amount_micros=1, idempotency_key="k2")
    assert other.reference != first.reference


def test_0002_is_declined_at_once() -> None:
    with pytest.raises(CardDeclined) as declined:
        SimulatedProcessor().attach(DECLINED)
    assert declined.value.code == "card_declined"


def test_0341_attaches_but_every_charge_fails() -> None:
    processor = SimulatedProcessor()
    card = processor.attach(ATTACHES_THEN_FAILS)
    result = processor.charge(token=card.token, amount_micros=1_000_000, idempotency_key="x")
    assert not result.succeeded and result.failure_code == "card_declined"


@pytest.mark.parametrize("number", ["", "abc", "4111111111111111", "4242-4242"])
def test_other_numbers_are_declined(number: str) -> None:
    with pytest.raises(CardDeclined):
        SimulatedProcessor().attach(number)


def test_the_same_card_gives_the_same_token() -> None:
    assert SimulatedProcessor().attach(SUCCEEDS) == SimulatedProcessor().attach(SUCCEEDS)
