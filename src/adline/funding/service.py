"""Funding rules: credits from the company balance to a campaign, checkout top-ups,
saved payment methods, spend recorded from the networks' reports, threshold charges and
`payment_failed` (docs/funding.md). Services only flush; the caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal
from adline.campaigns import repository as campaigns
from adline.campaigns.models import AdCampaign
from adline.companies.models import Company
from adline.core.clock import Clock
from adline.core.db import lock_row
from adline.core.errors import InvalidRequest, NotFound
from adline.core.ids import new_id
from adline.core.money import dollars_to_micros, micros_to_dollars
from adline.core.timestamps import format_timestamp
from adline.funding import ledger
from adline.funding.enforcement import payment_required, working_payment_method
from adline.funding.models import CheckoutSession, LedgerAccount, PaymentMethod
from adline.funding.processor import CardDeclined, PaymentProcessor, processor

# Spend accrued on a campaign beyond its credits is charged to the card every this much.
DEFAULT_BILLING_THRESHOLD_MICROS = 25_000_000
MIN_CHECKOUT_MICROS = 1_000_000
MAX_CHECKOUT_MICROS = 100_000_000_000  # $100,000


def amount_micros(amount: Any, param: str = "amount") -> int:
    """Dollars from a request (at most two decimals, the API's one rule) to micros."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise InvalidRequest(f"Invalid value for {param}: must be a number.", param=param)
    try:
        micros = dollars_to_micros(amount)
    except ValueError as error:
        raise InvalidRequest(f"Invalid value for {param}: {error}.", param=param) from None
    return micros


# ----------------------------------------------------------------------- credits


async def add_credits(
    session: AsyncSession, clock: Clock, principal: Principal, campaign_id: str, micros: int
) -> AdCampaign:
    """Move `micros` from the company balance to the campaign's credits; 402 when the
    balance holds less (nothing is written). A campaign whose payment failed recovers."""
    if micros <= 0:
        raise InvalidRequest("Invalid value for amount: must be more than 0.", param="amount")
    campaign = await campaigns.get_campaign(
        session, principal.company_id, campaign_id, for_update=True
    )
    company_id = principal.company_id
    balance = await ledger.ensure_account(session, clock, company_id, "company_balance")
    credits = await ledger.ensure_account(session, clock, company_id, "campaign", campaign.id)
    try:
        await ledger.post(
            session,
            clock,
            company_id=company_id,
            kind="credit",
            legs=[ledger.Leg(balance, -micros), ledger.Leg(credits, micros)],
            campaign_id=campaign.id,
            memo=f"credits for {campaign.id}",
        )
    except ledger.InsufficientFunds as short:
        raise payment_required(
            company_id,
            f"The company balance holds ${micros_to_dollars(short.available_micros):.2f}, less "
            f"than the ${micros_to_dollars(micros):.2f} asked: top it up at the deposit_url.",
        ) from None
    await recover(session, clock, principal, [campaign])
    return campaign


# ----------------------------------------------------------------------- checkout


async def create_checkout_session(
    session: AsyncSession, clock: Clock, company_id: str, micros: int, save: bool
) -> CheckoutSession:
    if micros != 0 and not MIN_CHECKOUT_MICROS <= micros <= MAX_CHECKOUT_MICROS:
        raise InvalidRequest(
            "Invalid value for amount: must be 0 (save a card only) or from $1.00 to $100,000.00.",
            param="amount",
        )
    if micros == 0 and not save:
        raise InvalidRequest(
            "Invalid value for save_payment_method: a checkout of 0 only saves a card.",
            param="save_payment_method",
        )
    checkout = CheckoutSession(
        id=new_id("cs"),
        company_id=company_id,
        amount_micros=micros,
        status="open",
        save_payment_method=save,
        created_at=clock.now(),
    )
    session.add(checkout)
    await session.flush()
    return checkout


async def get_checkout_session(
    session: AsyncSession, company_id: str | None, checkout_id: str
) -> CheckoutSession:
    """The company's checkout (any company's for the page: its id is its secret)."""
    statement = select(CheckoutSession).where(CheckoutSession.id == checkout_id)
    if company_id is not None:
        statement = statement.where(CheckoutSession.company_id == company_id)
    found = (await session.scalars(statement)).first()
    if found is None:
        raise NotFound(f"No checkout session with id {checkout_id}.", param="id")
    return found


async def pay_checkout(
    session: AsyncSession,
    clock: Clock,
    checkout_id: str,
    card_number: str,
    pay_with: PaymentProcessor | None = None,
) -> CheckoutSession:
    """Pay the checkout with a card. Once complete it stays so: a retried or concurrent
    payment (its row is locked first) changes nothing and is not charged again. A declined
    card leaves it open with the reason in `last_error`."""
    pay_with = pay_with or processor()
    await lock_row(session, CheckoutSession.status, checkout_id)
    checkout = await session.get(CheckoutSession, checkout_id, populate_existing=True)
    if checkout is None:
        raise NotFound(f"No checkout session with id {checkout_id}.", param="id")
    if checkout.status == "complete":
        return checkout
    try:
        card = pay_with.attach(card_number)
    except CardDeclined as declined:
        checkout.last_error = declined.message
        await session.flush()
        return checkout
    reference = f"checkout:{checkout.id}"
    if checkout.amount_micros > 0:
        charged = pay_with.charge(
            token=card.token, amount_micros=checkout.amount_micros, idempotency_key=reference
        )
        if not charged.succeeded:
            checkout.last_error = charged.failure_message or "The charge failed."
            await session.flush()
            return checkout
        company_id = checkout.company_id
        outside = await ledger.ensure_account(session, clock, company_id, "processor")
        balance = await ledger.ensure_account(session, clock, company_id, "company_balance")
        transaction = await ledger.post(
            session,
            clock,
            company_id=company_id,
            kind="topup",
            legs=[
                ledger.Leg(outside, -checkout.amount_micros),
                ledger.Leg(balance, checkout.amount_micros),
            ],
            reference=reference,
            memo=f"checkout {checkout.id} ({charged.reference})",
        )
        checkout.transaction_id = transaction.id
    if checkout.save_payment_method:
        method = await save_payment_method(
            session, clock, checkout.company_id, pay_with.name, card.token, card.brand, card.last4
        )
        checkout.payment_method_id = method.id
    checkout.status = "complete"
    checkout.last_error = None
    checkout.completed_at = clock.now()
    await session.flush()
    return checkout


def checkout_object(checkout: CheckoutSession, base_url: str) -> dict[str, Any]:
    return {
        "id": checkout.id,
        "object": "checkout_session",
        "url": f"{base_url.rstrip('/')}/checkout/{checkout.id}",
        "status": checkout.status,
        "amount": micros_to_dollars(checkout.amount_micros),
        "currency": "usd",
        "save_payment_method": checkout.save_payment_method,
        "payment_method_id": checkout.payment_method_id,
        "last_error": checkout.last_error,
        "created_at": format_timestamp(checkout.created_at),
        "completed_at": None
        if checkout.completed_at is None
        else format_timestamp(checkout.completed_at),
    }


# ----------------------------------------------------------------------- payment methods


async def save_payment_method(
    session: AsyncSession,
    clock: Clock,
    company_id: str,
    processor_name: str,
    token: str,
    brand: str,
    last4: str,
) -> PaymentMethod:
    """The company's new card: it replaces the one before, and campaigns whose payment
    failed recover."""
    now = clock.now()
    for older in await session.scalars(
        select(PaymentMethod).where(
            PaymentMethod.company_id == company_id, PaymentMethod.status == "active"
        )
    ):
        older.status = "replaced"
    method = PaymentMethod(
        id=new_id("payt"),
        company_id=company_id,
        processor=processor_name,
        processor_token=token,
        payment_method_type="card",
        brand=brand,
        last4=last4,
        status="active",
        created_at=now,
    )
    session.add(method)
    await session.flush()
    failed = list(
        await session.scalars(
            campaigns.readable_campaigns(company_id).where(AdCampaign.status == "payment_failed")
        )
    )
    if failed:
        await recover(session, clock, await system_principal(session, company_id), failed)
    return method


def payment_method_object(method: PaymentMethod | None) -> dict[str, Any] | None:
    """Seed 003's `payment_method` shape."""
    if method is None:
        return None
    return {
        "typename": "CardPaymentMethod",
        "id": method.id,
        "created_at": format_timestamp(method.created_at),
        "payment_method_type": method.payment_method_type,
    }


async def payment_methods_by_company(
    session: AsyncSession, company_id: str
) -> PaymentMethod | None:
    return await working_payment_method(session, company_id)


# ----------------------------------------------------------------------- spend and charges


async def record_spend(
    session: AsyncSession, clock: Clock, deltas: Mapping[str, tuple[str, int]]
) -> None:
    """Spend the networks reported (`campaign id -> (company id, micros added)`; negative
    for a correction downward), one `spend` transaction per company: each campaign's
    account gives it to the company's `network_spend` account. Reported spend happened, so
    it may take a campaign's account below zero (accrued, to be charged to the card)."""
    by_company: dict[str, dict[str, int]] = defaultdict(dict)
    for campaign_id, (company_id, micros) in deltas.items():
        if micros:
            by_company[company_id][campaign_id] = micros
    for company_id in sorted(by_company):
        spent = by_company[company_id]
        network = await ledger.ensure_account(session, clock, company_id, "network_spend")
        legs = [ledger.Leg(network, sum(spent.values()))]
        for campaign_id in sorted(spent):
            account = await ledger.ensure_account(
                session, clock, company_id, "campaign", campaign_id
            )
            legs.append(ledger.Leg(account, -spent[campaign_id]))
        await ledger.post(
            session,
            clock,
            company_id=company_id,
            kind="spend",
            legs=legs,
            memo="spend reported by the networks",
            may_go_negative=frozenset(leg.account.id for leg in legs),
        )


async def system_principal(session: AsyncSession, company_id: str) -> Principal:
    """Adline itself acting for the company (the worker's charges): no key, no scopes."""
    company = await session.get(Company, company_id)
    if company is None:
        raise NotFound(f"No company with id {company_id}.")
    return Principal(
        key_id="",
        company_id=company_id,
        user_id=None,
        scopes=frozenset(),
        api_version_date=None,
        currency=company.currency,
        timezone=company.timezone,
    )


async def _set_status(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    campaign: AdCampaign,
    status: str,
) -> None:
    # Imported here: the campaigns service imports the funding checks.
    from adline.campaigns.service import watch_campaign

    watch = await watch_campaign(session, principal, campaign, clock)
    campaign.status = status
    campaign.updated_at = clock.now()
    await session.flush()
    await watch.finish(session, clock)


async def recover(
    session: AsyncSession, clock: Clock, principal: Principal, found: list[AdCampaign]
) -> None:
    """Campaigns whose payment failed go back to `active` once money is behind them."""
    for campaign in found:
        if campaign.status == "payment_failed":
            await _set_status(session, clock, principal, campaign, "active")


async def bill_thresholds(
    session: AsyncSession,
    clock: Clock,
    threshold_micros: int = DEFAULT_BILLING_THRESHOLD_MICROS,
    pay_with: PaymentProcessor | None = None,
    company_id: str | None = None,
) -> int:
    """Charge the card for every campaign whose spend beyond its credits reached the
    threshold (its account is that far below zero), as the networks bill: a `charge`
    transaction from the processor brings the account back to zero. A failed charge marks
    the card failed and the campaign `payment_failed` (delivery stops; the webhook
    `ad_campaign.payment_failed` is sent). Answers how many charges succeeded."""
    pay_with = pay_with or processor()
    statement = (
        select(LedgerAccount)
        .join(Company, Company.id == LedgerAccount.company_id)
        .where(
            LedgerAccount.kind == "campaign",
            LedgerAccount.balance_micros <= -threshold_micros,
            # Companies from before funding run unbilled (docs/funding.md).
            Company.funding_required.is_(True),
        )
        .order_by(LedgerAccount.id)
    )
    if company_id is not None:
        statement = statement.where(LedgerAccount.company_id == company_id)
    charged = 0
    for account in list(await session.scalars(statement)):
        if account.ad_campaign_id is None:
            continue
        # The campaign's row first, then its account: the order a credit takes them in
        # (no deadlock between a credit and a charge).
        await lock_row(session, AdCampaign.status, account.ad_campaign_id)
        campaign = await session.get(AdCampaign, account.ad_campaign_id, populate_existing=True)
        await lock_row(session, LedgerAccount.balance_micros, account.id)
        await session.refresh(account, ["balance_micros"])
        owed = -(account.balance_micros or 0)
        if owed < threshold_micros:
            continue
        if campaign is None or campaign.status == "payment_failed":
            continue
        method = await working_payment_method(session, account.company_id)
        principal = await system_principal(session, account.company_id)
        if method is None:
            if campaign.status == "active":
                await _set_status(session, clock, principal, campaign, "payment_failed")
            continue
        charges = await ledger.kind_sums(session, [account.id], ["charge"])
        # The same card, owed amount and charges before: a retry names the same charge.
        reference = f"charge:{account.id}:{method.id}:{charges[account.id]}:{owed}"
        result = pay_with.charge(
            token=method.processor_token, amount_micros=owed, idempotency_key=reference
        )
        if not result.succeeded:
            method.status = "failed"
            method.failed_at = clock.now()
            if campaign.status == "active":
                await _set_status(session, clock, principal, campaign, "payment_failed")
            continue
        outside = await ledger.ensure_account(session, clock, account.company_id, "processor")
        await ledger.post(
            session,
            clock,
            company_id=account.company_id,
            kind="charge",
            legs=[ledger.Leg(outside, -owed), ledger.Leg(account, owed)],
            reference=reference,
            campaign_id=campaign.id,
            memo=f"card {method.id} charged ({result.reference})",
        )
        charged += 1
    await session.flush()
    return charged


# ----------------------------------------------------------------------- grants


async def grant_balance(
    session: AsyncSession, clock: Clock, company_id: str, micros: int, reference: str, memo: str
) -> None:
    """Put money on the company balance without a checkout (the demo's starting credit),
    recorded as a top-up from the processor account with its own reference."""
    outside = await ledger.ensure_account(session, clock, company_id, "processor")
    balance = await ledger.ensure_account(session, clock, company_id, "company_balance")
    await ledger.post(
        session,
        clock,
        company_id=company_id,
        kind="topup",
        legs=[ledger.Leg(outside, -micros), ledger.Leg(balance, micros)],
        reference=reference,
        memo=memo,
    )


async def save_test_card(
    session: AsyncSession, clock: Clock, company_id: str, card_number: str
) -> PaymentMethod:
    """Save one of the simulated processor's test cards as the company's payment method
    (the demo company, test fixtures), as a checkout that saves a card would."""
    card = processor().attach(card_number)
    return await save_payment_method(
        session, clock, company_id, processor().name, card.token, card.brand, card.last4
    )


async def company_balance_micros(session: AsyncSession, company_id: str) -> int:
    account = await ledger.get_account(session, company_id, "company_balance")
    return 0 if account is None else account.balance_micros or 0
