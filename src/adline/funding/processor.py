"""Payment processors behind one interface, and the simulated one Adline ships.

`PaymentProcessor` is what the funding service calls: `attach` turns a card the payer
typed on the checkout page into a reusable token (or declines it), `charge` takes money
with a token, `refund` gives (part of) a charge back to the card it came from.
`SimulatedProcessor` decides deterministically from Stripe's test card numbers, so tests,
demos and the docs' examples always end the same way:

| card                 | attach    | charge                        |
|----------------------|-----------|-------------------------------|
| 4242 4242 4242 4242  | succeeds  | succeeds                      |
| 4000 0000 0000 0002  | declined  | (never attached)              |
| 4000 0000 0000 0341  | succeeds  | fails (`card_declined`)       |

Any other number is declined as unknown. A refund of one of its own charges (`sim_ch_`)
succeeds; of anything else it fails (`charge_unknown`). The first real processor to wire behind the
same interface is Stripe (docs/funding.md#the-payment-processor).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"
ATTACHES_THEN_FAILS = "4000000000000341"


@dataclass(frozen=True)
class AttachedCard:
    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    # The processor's id of the charge (its receipt), or why it failed.
    reference: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    # The processor's id of the refund (its receipt), or why it failed.
    reference: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None


class CardDeclined(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PaymentProcessor(Protocol):
    name: str

    def attach(self, card_number: str) -> AttachedCard:
        """A reusable token for the card; CardDeclined if the card cannot be saved."""
        ...

    def charge(self, *, token: str, amount_micros: int, idempotency_key: str) -> ChargeResult:
        """Take `amount_micros` (USD) with the token. The same `idempotency_key` never
        charges twice: a retry answers the first charge's result."""
        ...

    def refund(
        self, *, charge_reference: str, amount_micros: int, idempotency_key: str
    ) -> RefundResult:
        """Give `amount_micros` of the charge `charge_reference` (a ChargeResult's
        `reference`) back to the card it was taken from. The same `idempotency_key` never
        refunds twice: a retry answers the first refund's result."""
        ...


def normalize_card_number(value: str) -> str:
    return "".join(character for character in value if character not in " -")


class SimulatedProcessor:
    """Stripe's test cards, decided without a network (see the module's table)."""

    name = "simulated"

    def __init__(self) -> None:
        self.charges: dict[str, ChargeResult] = {}
        self.refunds: dict[str, RefundResult] = {}

    def attach(self, card_number: str) -> AttachedCard:
        number = normalize_card_number(card_number)
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise CardDeclined("invalid_number", "The card number is not a valid card number.")
        if number == DECLINED:
            raise CardDeclined("card_declined", "Your card was declined.")
        if number not in (SUCCEEDS, ATTACHES_THEN_FAILS):
            raise CardDeclined(
                "card_declined",
                "Your card was declined (the simulated processor accepts only its test cards).",
            )
        behaviour = "ok" if number == SUCCEEDS else "fails"
        return AttachedCard(
            token=f"sim_card_{behaviour}_{number[-4:]}", brand="visa", last4=number[-4:]
        )

    def charge(self, *, token: str, amount_micros: int, idempotency_key: str) -> ChargeResult:
        done = self.charges.get(idempotency_key)
        if done is not None:
            return done
        if amount_micros <= 0:
            raise ValueError("a charge must be positive")
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:14]
        if token.startswith("sim_card_ok_"):
            result = ChargeResult(succeeded=True, reference=f"sim_ch_{digest}")
        else:
            result = ChargeResult(
                succeeded=False,
                failure_code="card_declined",
                failure_message="Your card was declined.",
            )
        self.charges[idempotency_key] = result
        return result

    def refund(
        self, *, charge_reference: str, amount_micros: int, idempotency_key: str
    ) -> RefundResult:
        done = self.refunds.get(idempotency_key)
        if done is not None:
            return done
        if amount_micros <= 0:
            raise ValueError("a refund must be positive")
        # It keeps no charges across processes (the CLI refunds what a server charged), so
        # it knows its charges by their ids' shape; Adline itself caps what is refunded.
        if not charge_reference.startswith("sim_ch_"):
            result = RefundResult(
                succeeded=False,
                failure_code="charge_unknown",
                failure_message=f"No charge {charge_reference} to refund.",
            )
        else:
            # Derived from the key alone: a retry from another process gets the same id.
            digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:14]
            result = RefundResult(succeeded=True, reference=f"sim_re_{digest}")
        self.refunds[idempotency_key] = result
        return result


# The process's processor: the simulated one until a real one is configured.
_PROCESSOR: PaymentProcessor = SimulatedProcessor()


def processor() -> PaymentProcessor:
    return _PROCESSOR
