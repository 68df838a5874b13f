"""Request and response models of the funding routes (the same in every version)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from adline.core.schemas import Dollars, RequestModel


class CreditCreate(RequestModel):
    """Credits to add to the campaign, in dollars (at most two decimals)."""

    amount: Dollars = Field(description="Dollars to move from the company balance, above 0.")


class CheckoutSessionCreate(RequestModel):
    account_id: str | None = Field(
        None, description="The company (`biz_`) to top up; default: the key's company."
    )
    amount: Dollars = Field(
        description="Dollars to add to the company balance (1 to 100,000); 0 only saves a card."
    )
    save_payment_method: bool = Field(
        True, description="Save the card as the company's payment method for spend billing."
    )


class CheckoutSessionObject(BaseModel):
    id: str = Field(examples=["cs_3kT9xQw2LmPz8a"])
    object: Literal["checkout_session"]
    url: str = Field(description="Adline's checkout page, where the card is entered.")
    status: Literal["open", "complete", "expired"] = Field(
        description="open until paid, then complete; expired: not paid by expires_at."
    )
    amount: float
    currency: str
    save_payment_method: bool
    payment_method_id: str | None
    last_error: str | None = Field(description="Why the last attempt failed (a declined card).")
    created_at: str
    expires_at: str = Field(description="24 hours after created_at: not paid by then, it expires.")
    completed_at: str | None
