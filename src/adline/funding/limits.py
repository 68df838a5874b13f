"""The hard limit funds put on a campaign's delivery (docs/funding.md#enforcement).

A campaign of a company that must fund its campaigns, and has no working card, may spend
only the money put into its ledger account: credits, successful charges and corrections,
counted from its creation. The delivery worker hands that to the campaign's network as a
spending limit (`adline.delivery.adapter.SpendingLimit`), the same hard limit spend caps
use, so the network stops there however late its reports reach Adline. With a spend cap
too, both go out as bounds of one limit (`SpendingLimit.also`), each counted from its own
start, so neither depends on spend Adline has not seen reported yet.

A campaign has its own account, shared with nobody: its whole funds are its limit, with no
headroom to hand out in slices as a shared cap needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.campaigns.models import AdCampaign
from adline.campaigns.state_machine import LAUNCHED
from adline.companies.models import Company
from adline.delivery.pacing import floor_hour
from adline.funding import ledger
from adline.funding.models import LedgerAccount, PaymentMethod

# The transactions that put money into a campaign's account (all but spend).
FUNDING_KINDS = ("credit", "charge", "topup", "refund", "correction")


@dataclass(frozen=True)
class FundsLimit:
    campaign_id: str
    limit_micros: int
    counted_from: datetime


async def funds_limits(session: AsyncSession) -> dict[str, FundsLimit]:
    """Every launched campaign that funds limit, with its limit. Four queries."""
    rows = (
        await session.execute(
            select(AdCampaign.id, AdCampaign.company_id, AdCampaign.created_at)
            .join(Company, Company.id == AdCampaign.company_id)
            .where(
                Company.funding_required.is_(True),
                AdCampaign.deleted_at.is_(None),
                AdCampaign.status.in_(LAUNCHED),
            )
        )
    ).all()
    if not rows:
        return {}
    companies = sorted({company_id for _, company_id, _ in rows})
    carded = set(
        await session.scalars(
            select(PaymentMethod.company_id)
            .where(PaymentMethod.company_id.in_(companies), PaymentMethod.status == "active")
            .distinct()
        )
    )
    limited = [(cid, created) for cid, company_id, created in rows if company_id not in carded]
    accounts = {
        campaign_id: account_id
        for campaign_id, account_id in await session.execute(
            select(LedgerAccount.ad_campaign_id, LedgerAccount.id).where(
                LedgerAccount.kind == "campaign",
                LedgerAccount.ad_campaign_id.in_([cid for cid, _ in limited]),
            )
        )
    }
    funded = await ledger.kind_sums(session, list(accounts.values()), FUNDING_KINDS)
    return {
        campaign_id: FundsLimit(
            campaign_id,
            max(0, funded.get(accounts.get(campaign_id, ""), 0)),
            # The network counts the hour that holds `counted_from` whole: from the hour
            # of the campaign's creation, it counts every hour the campaign could spend in.
            floor_hour(created_at),
        )
        for campaign_id, created_at in limited
    }
