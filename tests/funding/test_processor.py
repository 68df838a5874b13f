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


def test_a_refund_of_its_charge_succeeds_once_per_key() -> None:
    processor = SimulatedProcessor()
    card = processor.attach(SUCCEEDS)
    charge = processor.charge(token=card.token, amount_micros=9_000_000, idempotency_key="c")
    assert charge.reference is not None
    first = processor.refund(
        charge_reference=charge.reference, amount_micros=4_000_000, idempotency_key="r"
    )
    # Another process (the CLI) asked with the same key: the same refund.
    again = SimulatedProcessor().refund(
        charge_reference=charge.reference, amount_micros=4_000_000, idempotency_key="r"
    )
    assert first.succeeded and first.reference is not None
    assert first.reference.startswith("sim_re_") and again == first
    other = processor.refund(
        charge_reference=charge.reference, amount_micros=1, idempotency_key="r2"
    )
    assert other.reference != first.reference


def test_a_refund_of_an_unknown_charge_fails() -> None:
    result = SimulatedProcessor().refund(
        charge_reference="ch_elsewhere", amount_micros=1_000_000, idempotency_key="k"
    )
    assert not result.succeeded and result.failure_code == "charge_unknown"
    with pytest.raises(ValueError):
        SimulatedProcessor().refund(
            charge_reference="sim_ch_x", amount_micros=0, idempotency_key="zero"
        )
