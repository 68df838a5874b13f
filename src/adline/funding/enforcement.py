"""What funds a campaign, asked before it launches or unpauses, and by the presenters.

Kept free of the campaigns service (which calls it) so both can import it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.companies.models import Company
from adline.core.errors import PaymentRequired
from adline.funding import ledger
from adline.funding.models import LedgerAccount, PaymentMethod


def deposit_url(company_id: str) -> str:
    """The checkout page where the company adds funds (made absolute by the error handler)."""
    return "/checkout?" + urlencode({"account_id": company_id})


def payment_required(company_id: str, message: str) -> PaymentRequired:
    return PaymentRequired(message, deposit_url=deposit_url(company_id))


async def working_payment_method(session: AsyncSession, company_id: str) -> PaymentMethod | None:
    """The company's saved card that still pays (the newest active one), or None."""
    return (
        await session.scalars(
            select(PaymentMethod)
            .where(PaymentMethod.company_id == company_id, PaymentMethod.status == "active")
            .order_by(PaymentMethod.created_at.desc(), PaymentMethod.id.desc())
            .limit(1)
        )
    ).first()


async def campaign_balance(session: AsyncSession, company_id: str, campaign_id: str) -> int:
    account = await ledger.get_account(session, company_id, "campaign", campaign_id)
    return 0 if account is None else account.balance_micros or 0


async def check_funded(session: AsyncSession, company_id: str, campaign_id: str) -> None:
    """Launch and unpause need money behind them: credits left on the campaign or a
    working payment method, unless the company is exempt (created before funding)."""
    required = await session.scalar(
        select(Company.funding_required).where(Company.id == company_id)
    )
    if not required:
        return
    if await campaign_balance(session, company_id, campaign_id) > 0:
        return
    if await working_payment_method(session, company_id) is not None:
        return
    raise payment_required(
        company_id,
        "The campaign has no funds: add credits to it "
        f"(POST /api/v1/ad_campaigns/{campaign_id}/credits) from the company balance, or "
        "add a payment method at the deposit_url.",
    )


@dataclass(frozen=True)
class CampaignFunds:
    """A campaign's funding, as the 2025-01-01 shape shows it."""

    account_id: str | None
    # Credits added (credit transactions into the campaign's account), and what is left.
    total_credits_micros: int
    remaining_micros: int


async def campaign_funds(
    session: AsyncSession, campaign_ids: Sequence[str]
) -> dict[str, CampaignFunds]:
    """Two queries, whatever the number of campaigns."""
    accounts = {
        account.ad_campaign_id: account
        for account in await session.scalars(
            select(LedgerAccount).where(
                LedgerAccount.kind == "campaign",
                LedgerAccount.ad_campaign_id.in_(list(campaign_ids)),
            )
        )
    }
    credits = await ledger.kind_sums(
        session, [account.id for account in accounts.values()], ["credit"]
    )
    funds = {}
    for campaign_id in campaign_ids:
        account = accounts.get(campaign_id)
        if account is None:
            funds[campaign_id] = CampaignFunds(None, 0, 0)
        else:
            funds[campaign_id] = CampaignFunds(
                account.id, credits[account.id], max(0, account.balance_micros or 0)
            )
    return funds
