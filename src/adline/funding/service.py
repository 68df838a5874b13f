"""Funding rules: credits from the company balance to a campaign, checkout top-ups (and
their expiry), saved payment methods, spend recorded from the networks' reports, threshold
charges and `payment_failed`, and the operator's refunds and corrections
(docs/funding.md). Services only flush; the caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal
from adline.campaigns import repository as campaigns
from adline.campaigns.models import AdCampaign
from adline.companies.models import Company
from adline.core.clock import Clock
from adline.core.db import lock_row
from adline.core.errors import InvalidRequest, NotFound, ParameterMissing
from adline.core.ids import new_id
from adline.core.money import dollars_to_micros, micros_to_dollars
from adline.core.timestamps import format_timestamp
from adline.funding import ledger
from adline.funding.enforcement import payment_required, working_payment_method
from adline.funding.errors import CheckoutExpired, ReferenceReused, RefundFailed
from adline.funding.models import (
    CheckoutSession,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentMethod,
)
from adline.funding.processor import CardDeclined, PaymentProcessor, processor

# Spend accrued on a campaign beyond its credits is charged to the card every this much.
DEFAULT_BILLING_THRESHOLD_MICROS = 25_000_000
MIN_CHECKOUT_MICROS = 1_000_000
MAX_CHECKOUT_MICROS = 100_000_000_000  # $100,000
# A checkout can be paid for this long after it was made, as a Stripe Checkout Session's
# default: long enough to come back to the page the next day, short enough that a link
# found in old logs or mail no longer takes money.
CHECKOUT_LIFETIME = timedelta(hours=24)


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
    if clock.now() >= checkout_expires_at(checkout):
        raise CheckoutExpired(
            f"Checkout {checkout.id} expired at {format_timestamp(checkout_expires_at(checkout))}"
            ": it can no longer be paid; start a new checkout.",
            param="id",
        )
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
            processor_reference=charged.reference,
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


def checkout_expires_at(checkout: CheckoutSession) -> datetime:
    return checkout.created_at + CHECKOUT_LIFETIME


def checkout_status(checkout: CheckoutSession, now: datetime) -> str:
    """`open`, `complete`, or `expired`: an open checkout past its lifetime. Derived from
    the clock rather than stored, so a checkout expires on time with nothing run."""
    if checkout.status == "open" and now >= checkout_expires_at(checkout):
        return "expired"
    return checkout.status


def checkout_object(checkout: CheckoutSession, base_url: str, now: datetime) -> dict[str, Any]:
    return {
        "id": checkout.id,
        "object": "checkout_session",
        "url": f"{base_url.rstrip('/')}/checkout/{checkout.id}",
        "status": checkout_status(checkout, now),
        "amount": micros_to_dollars(checkout.amount_micros),
        "currency": "usd",
        "save_payment_method": checkout.save_payment_method,
        "payment_method_id": checkout.payment_method_id,
        "last_error": checkout.last_error,
        "created_at": format_timestamp(checkout.created_at),
        "expires_at": format_timestamp(checkout_expires_at(checkout)),
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
        campaign_ids = sorted(spent)
        network, *accounts = await ledger.ensure_accounts(
            session,
            clock,
            company_id,
            [("network_spend", None), *(("campaign", campaign_id) for campaign_id in campaign_ids)],
        )
        legs = [ledger.Leg(network, sum(spent.values()))]
        legs += [
            ledger.Leg(account, -spent[campaign_id])
            for account, campaign_id in zip(accounts, campaign_ids, strict=True)
        ]
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
            processor_reference=result.reference,
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


# ----------------------------------------------------------------------- operators' refunds

MAX_OPERATOR_REFERENCE = 100
# The memo holds 200 characters: the reason, after what the entry is (up to ~75).
MAX_REASON = 120


@dataclass(frozen=True)
class Posted:
    """An operator's refund or correction: its transaction, the amount it moved (micros;
    a correction's signed, into the account corrected), and whether this call wrote it
    (False: the reference had been applied before, and nothing new was written)."""

    transaction: LedgerTransaction
    amount_micros: int
    applied_now: bool


def _operator_reference(reference: str) -> str:
    reference = reference.strip()
    if not reference:
        raise ParameterMissing(
            "Missing required parameter: reference (names the request, so that a repeated "
            "one is applied once).",
            param="reference",
        )
    if len(reference) > MAX_OPERATOR_REFERENCE or not reference.isprintable():
        raise InvalidRequest(
            f"Invalid value for reference: at most {MAX_OPERATOR_REFERENCE} printable characters.",
            param="reference",
        )
    return reference


def _dollars(micros: int) -> str:
    sign = "-" if micros < 0 else ""
    return f"{sign}${micros_to_dollars(abs(micros)):,.2f}"


async def _leg_amount(session: AsyncSession, transaction_id: str, account_id: str) -> int:
    """What the transaction put into the account (negative: took out of it)."""
    total = await session.scalar(
        select(func.sum(LedgerEntry.amount_micros)).where(
            LedgerEntry.transaction_id == transaction_id, LedgerEntry.account_id == account_id
        )
    )
    return int(total or 0)


async def _payment(session: AsyncSession, company_id: str, payment_id: str) -> LedgerTransaction:
    """The company's payment through the processor named by a paid checkout (`cs_`) or by
    its ledger transaction (`ltxn_`: a paid checkout's top-up, a card charge)."""
    transaction: LedgerTransaction | None = None
    checkout = None
    if payment_id.startswith("cs_"):
        checkout = (
            await session.scalars(
                select(CheckoutSession).where(
                    CheckoutSession.id == payment_id, CheckoutSession.company_id == company_id
                )
            )
        ).first()
    if checkout is not None:
        if checkout.transaction_id is None:
            raise InvalidRequest(
                f"Checkout {checkout.id} took no payment (it was not paid, or it only saved a "
                "card): nothing to refund.",
                param="payment",
            )
        transaction = await session.get(LedgerTransaction, checkout.transaction_id)
    elif payment_id.startswith("ltxn_"):
        transaction = (
            await session.scalars(
                select(LedgerTransaction).where(
                    LedgerTransaction.id == payment_id,
                    LedgerTransaction.company_id == company_id,
                )
            )
        ).first()
    if transaction is None:
        raise NotFound(
            f"No payment {payment_id} of company {company_id} (name a paid checkout, cs_..., "
            "or a top-up or card charge, ltxn_...).",
            param="payment",
        )
    if transaction.kind not in ("topup", "charge") or transaction.processor_reference is None:
        raise InvalidRequest(
            f"Transaction {transaction.id} ({transaction.kind}) is not a payment through the "
            "processor: there is no card to refund it to (a grant such as the demo credit is "
            "taken back with a correction).",
            param="payment",
        )
    return transaction


async def refund_payment(
    session: AsyncSession,
    clock: Clock,
    company_id: str,
    payment_id: str,
    micros: int,
    reference: str,
    reason: str = "",
    pay_with: PaymentProcessor | None = None,
) -> Posted:
    """Give `micros` of a payment (a paid checkout or a card charge) back to the card it
    came from, out of the company balance: a `payment_refund` transaction (company balance
    -> processor). At most what the payment took less its earlier refunds, and at most the
    company balance: money already given to campaigns or spent is not refundable. The same
    `reference` again is applied once (and the processor is asked with the same key); with
    other values it is refused. Nothing is written when anything is refused."""
    pay_with = pay_with or processor()
    if micros <= 0:
        raise InvalidRequest("Invalid value for amount: must be more than 0.", param="amount")
    reference = _operator_reference(reference)
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidRequest(
            f"Invalid value for reason: at most {MAX_REASON} characters.", param="reason"
        )
    payment = await _payment(session, company_id, payment_id)
    outside = await ledger.ensure_account(session, clock, company_id, "processor")
    balance = await ledger.ensure_account(session, clock, company_id, "company_balance")
    # Every refund debits the balance: locking it first serializes a company's refunds, so
    # two cannot both count the same unrefunded money or the same unspent balance.
    await lock_row(session, LedgerAccount.balance_micros, balance.id)
    ledger_reference = f"refund:{company_id}:{reference}"
    done = await ledger.find_transaction(session, ledger_reference)
    if done is not None:
        given = await _leg_amount(session, done.id, outside.id)
        if done.refund_of_id != payment.id or given != micros:
            raise ReferenceReused(
                f"Reference {reference!r} already names refund {done.id} ({_dollars(given)} "
                f"of {done.refund_of_id}): use another reference for another refund.",
                param="reference",
            )
        return Posted(done, micros, applied_now=False)
    paid = -await _leg_amount(session, payment.id, outside.id)
    refunded = int(
        await session.scalar(
            select(func.sum(LedgerEntry.amount_micros))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(
                LedgerTransaction.refund_of_id == payment.id,
                LedgerEntry.account_id == outside.id,
            )
        )
        or 0
    )
    if micros > paid - refunded:
        raise InvalidRequest(
            f"Invalid value for amount: at most {_dollars(paid - refunded)} of {payment_id} "
            f"can be refunded ({_dollars(paid)} paid, {_dollars(refunded)} refunded before).",
            param="amount",
        )
    await session.refresh(balance, ["balance_micros"])
    unspent = balance.balance_micros or 0
    if micros > unspent:
        raise InvalidRequest(
            f"Invalid value for amount: the company balance holds {_dollars(unspent)}, less "
            f"than the {_dollars(micros)} asked. Only the unspent balance can be refunded: "
            "money already given to campaigns or spent is not refundable (a campaign's "
            "unspent credits can be moved back to the balance with a correction first).",
            param="amount",
        )
    assert payment.processor_reference is not None  # _payment answers processor payments
    result = pay_with.refund(
        charge_reference=payment.processor_reference,
        amount_micros=micros,
        idempotency_key=ledger_reference,
    )
    if not result.succeeded:
        raise RefundFailed(
            f"The payment processor refused the refund: {result.failure_message} "
            f"({result.failure_code}). Nothing was written.",
            param="payment",
        )
    memo = f"refund of {payment_id} ({result.reference})" + (f": {reason}" if reason else "")
    transaction = await ledger.post(
        session,
        clock,
        company_id=company_id,
        kind="payment_refund",
        legs=[ledger.Leg(balance, -micros), ledger.Leg(outside, micros)],
        reference=ledger_reference,
        memo=memo,
        processor_reference=result.reference,
        refund_of_id=payment.id,
    )
    return Posted(transaction, micros, applied_now=True)


# ----------------------------------------------------------------------- corrections

CORRECTION_COUNTERPARTS = ("outside", "balance")


async def post_correction(
    session: AsyncSession,
    clock: Clock,
    company_id: str,
    micros: int,
    reason: str,
    reference: str,
    campaign_id: str | None = None,
    against: str = "outside",
) -> Posted:
    """An operator's signed correction of the company balance (`campaign_id` None) or of a
    campaign's account: `micros` into it (negative: out of it), from (to) the outside world
    (`against="outside"`: the company's processor account) or the company balance
    (`against="balance"`, a campaign only). A `correction` transaction with the reason in
    its memo. It never takes the company balance nor a campaign's account below zero. The
    same `reference` again is applied once; with other values it is refused."""
    if micros == 0:
        raise InvalidRequest(
            "Invalid value for amount: a correction moves money, not 0.", param="amount"
        )
    reason = reason.strip()
    if not reason:
        raise ParameterMissing("Missing required parameter: reason.", param="reason")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(
            f"Invalid value for reason: at most {MAX_REASON} characters.", param="reason"
        )
    if against not in CORRECTION_COUNTERPARTS:
        raise InvalidRequest(
            "Invalid value for against: must be one of outside, balance.", param="against"
        )
    if against == "balance" and campaign_id is None:
        raise InvalidRequest(
            "Invalid value for against: the company balance against itself moves nothing; "
            "name a campaign.",
            param="against",
        )
    reference = _operator_reference(reference)
    principal = await system_principal(session, company_id)
    campaign: AdCampaign | None = None
    if campaign_id is not None:
        # The campaign's row first, as a credit and a charge take it (no deadlocks). A
        # deleted campaign's account can still hold money to correct.
        campaign = (
            await session.scalars(
                select(AdCampaign)
                .where(AdCampaign.id == campaign_id, AdCampaign.company_id == company_id)
                .with_for_update()
            )
        ).first()
        if campaign is None:
            raise NotFound(f"No ad campaign with id {campaign_id}.", param="campaign")
        target = await ledger.ensure_account(session, clock, company_id, "campaign", campaign_id)
    else:
        target = await ledger.ensure_account(session, clock, company_id, "company_balance")
    kind = "company_balance" if against == "balance" else "processor"
    other = await ledger.ensure_account(session, clock, company_id, kind)
    ledger_reference = f"correction:{company_id}:{reference}"
    # The accounts `post` will lock, locked now in its order (by id), so that the reference
    # is looked up under the locks: a concurrent repeat waits, then finds it.
    for account in sorted(
        (a for a in (target, other) if a.kind in ledger.CACHED_KINDS), key=lambda a: a.id
    ):
        await lock_row(session, LedgerAccount.balance_micros, account.id)
    done = await ledger.find_transaction(session, ledger_reference)
    if done is not None:
        if (
            done.kind != "correction"
            or await _leg_amount(session, done.id, target.id) != micros
            or await _leg_amount(session, done.id, other.id) != -micros
        ):
            raise ReferenceReused(
                f"Reference {reference!r} already names correction {done.id}: use another "
                "reference for another correction.",
                param="reference",
            )
        return Posted(done, micros, applied_now=False)
    where = "the company balance" if campaign_id is None else f"campaign {campaign_id}"
    try:
        transaction = await ledger.post(
            session,
            clock,
            company_id=company_id,
            kind="correction",
            legs=[ledger.Leg(target, micros), ledger.Leg(other, -micros)],
            reference=ledger_reference,
            memo=f"correction of {where}: {reason}",
            campaign_id=campaign_id,
        )
    except ledger.InsufficientFunds as short:
        holder = "the company balance" if short.account.kind == "company_balance" else where
        raise InvalidRequest(
            f"Invalid value for amount: {holder} holds {_dollars(short.available_micros)}, "
            f"less than the {_dollars(abs(micros))} the correction takes out of it; a "
            "correction never takes a balance below zero.",
            param="amount",
        ) from None
    if campaign is not None and micros > 0:
        # Money behind a campaign whose payment failed, as credits are.
        await recover(session, clock, principal, [campaign])
    return Posted(transaction, micros, applied_now=True)
