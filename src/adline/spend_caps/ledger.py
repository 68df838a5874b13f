"""How a spend cap stays hard: the ledger that hands each campaign a slice of the period.

A network is told, per campaign, a hard spending limit counted from the start of the cap's
period (or from when the campaign joined): "at most X since then", spend it has not
reported yet included. Adline never lets the limits it has handed out in a period
(`committed`) sum above the cap's amount, so the campaigns together cannot spend past it,
however late their stats arrive and however many workers run.

Each pass tops up every serving campaign's limit to what it has reported plus what it may
spend over the next `horizon` (its recent peak rate; the horizon covers the reporting lag
and the time to the next pass). That headroom is the reserve against in-flight spend: it
is committed, so nobody else is granted it. When what is left of the amount is less than
the campaigns ask for, it is split in proportion to what they ask, so they all reach the
end together and the cap is spent nearly to the micro.

Concurrency: `allocate` starts its transaction by locking the cap's row (`core.db.lock_row`:
the row lock on PostgreSQL, the database's write lock on SQLite) before anything is read; a
second worker waits, then reads the first one's grants. Limits only grow within a period,
except when the amount is lowered below what is committed: then every campaign is held at
what it has reported (stopped), and what was committed stays committed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.ad_groups.models import AdGroup
from adline.campaigns.models import AdCampaign
from adline.campaigns.state_machine import LAUNCHED
from adline.companies.models import Company
from adline.core.clock import ManualClock
from adline.delivery.adapter import LifetimeBudget
from adline.spend_caps.models import SpendCap, SpendCapGrant, SpendCapMembership
from adline.spend_caps.periods import Status
from adline.spend_caps.service import (
    current_period,
    lock_spend_cap,
    present_spend_caps_in,
    schedule_of,
    spend_by_campaign,
    status_of,
)
from adline.stats.models import AdStatHour
from adline.webhooks import events as webhook_events

# A campaign's recent peak hourly spend is read over this many hours.
RATE_LOOK_BACK = timedelta(hours=6)
# Horizon assumed for a new, open-ended TOTAL cap when spreading its amount.
OPEN_PERIOD = timedelta(days=30)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class CampaignLimit:
    campaign_id: str
    limit_micros: int
    counted_from: datetime


@dataclass(frozen=True)
class Allocation:
    """What one pass decided for one cap."""

    spend_cap_id: str
    status: Status
    # Whether the cap lets its campaigns deliver now (ACTIVE); otherwise they are paused.
    serving: bool
    # When the schedule stops serving (its inclusive end + 1 s); None: open-ended.
    stops_at: datetime | None
    # Changes whenever the user changes the cap (its updated_at).
    cap_version: str
    limits: list[CampaignLimit]
    committed_micros: int
    amount_micros: int


def split(available: int, wants: dict[str, int]) -> dict[str, int]:
    """Share `available` micros in proportion to `wants`, never giving anyone more than
    they want, the rounding remainder going to the largest wants first."""
    total = sum(wants.values())
    if total <= available:
        return dict(wants)
    if available <= 0 or total <= 0:
        return dict.fromkeys(wants, 0)
    shares = {key: available * want // total for key, want in wants.items()}
    left = available - sum(shares.values())
    for key in sorted(wants, key=lambda k: (-wants[k], k)):
        if left <= 0:
            break
        if shares[key] < wants[key]:
            shares[key] += 1
            left -= 1
    return shares


async def _peak_hourly_spend(
    session: AsyncSession, campaign_ids: list[str], now: datetime
) -> dict[str, int]:
    per_hour = (
        select(
            AdStatHour.ad_campaign_id.label("campaign_id"),
            func.sum(AdStatHour.spend_micros).label("spend"),
        )
        .where(
            AdStatHour.ad_campaign_id.in_(campaign_ids),
            AdStatHour.hour_start >= now - RATE_LOOK_BACK,
        )
        .group_by(AdStatHour.ad_campaign_id, AdStatHour.hour_start)
        .subquery()
    )
    rows = await session.execute(
        select(per_hour.c.campaign_id, func.max(per_hour.c.spend)).group_by(per_hour.c.campaign_id)
    )
    return {campaign_id: int(peak or 0) for campaign_id, peak in rows}


async def _daily_budgets(session: AsyncSession, campaigns: list[AdCampaign]) -> dict[str, int]:
    """Each campaign's daily budget: its own (CBO) or its ad groups' together (ABO)."""
    budgets = {
        campaign.id: campaign.budget_amount_micros or 0
        for campaign in campaigns
        if campaign.budget_optimization == "ad_campaign" and campaign.budget_type == "daily"
    }
    abo = [c.id for c in campaigns if c.budget_optimization == "ad_group"]
    if abo:
        rows = await session.execute(
            select(AdGroup.ad_campaign_id, func.sum(AdGroup.budget_amount_micros))
            .where(
                AdGroup.ad_campaign_id.in_(abo),
                AdGroup.deleted_at.is_(None),
                AdGroup.budget_type == "daily",
            )
            .group_by(AdGroup.ad_campaign_id)
        )
        budgets.update({campaign_id: int(total or 0) for campaign_id, total in rows})
    return budgets


async def _lifetime_budgets(
    session: AsyncSession, campaigns: list[AdCampaign]
) -> dict[str, list[LifetimeBudget]]:
    """Each campaign's lifetime budgets with their flights' ends, as its network is told
    them: its own (CBO), running to its ad groups' last end (None if one has none), or its
    ad groups' own (ABO), each to the group's end."""
    ids = [campaign.id for campaign in campaigns]
    if not ids:
        return {}
    groups = list(
        await session.scalars(
            select(AdGroup).where(AdGroup.ad_campaign_id.in_(ids), AdGroup.deleted_at.is_(None))
        )
    )
    budgets: dict[str, list[LifetimeBudget]] = defaultdict(list)
    for campaign in campaigns:
        if campaign.budget_optimization == "ad_campaign" and campaign.budget_type == "lifetime":
            ends = [group.ends_at for group in groups if group.ad_campaign_id == campaign.id]
            end = None if not ends or None in ends else max(e for e in ends if e is not None)
            budgets[campaign.id].append(LifetimeBudget(campaign.budget_amount_micros or 0, end))
    owned = {c.id for c in campaigns if c.budget_optimization == "ad_group"}
    for group in groups:
        if group.ad_campaign_id in owned and group.budget_type == "lifetime":
            budgets[group.ad_campaign_id].append(
                LifetimeBudget(group.budget_amount_micros or 0, group.ends_at)
            )
    return dict(budgets)


async def _announce_depleted(
    session: AsyncSession, cap: SpendCap, zone: str, period_start: datetime, now: datetime
) -> None:
    """`spend_cap.depleted`, once per cap period (the dedupe key names the period), in the
    allocation's transaction."""
    endpoints = await webhook_events.subscribed(session, cap.company_id, "spend_cap.depleted")
    if not endpoints:
        return
    [body] = await present_spend_caps_in(session, zone, [cap], now)
    await webhook_events.record_event(
        session,
        # The pass's own instant: the event, its deliveries and their jobs are dated by it.
        ManualClock(now),
        cap.company_id,
        "spend_cap.depleted",
        body,
        dedupe_key=f"spend_cap.depleted:{cap.id}:{period_start.isoformat()}",
        endpoints=endpoints,
    )


async def allocate(
    session: AsyncSession,
    cap_id: str,
    now: datetime,
    horizon: timedelta,
    margin_of: Callable[[AdCampaign, int, Sequence[LifetimeBudget]], int] | None = None,
) -> Allocation | None:
    """Lock the cap, top up its campaigns' limits for the current period, and say what
    each campaign's network must hold. None when the cap does not exist.

    `margin_of(campaign, daily_budget_micros, lifetime_budgets)`: what the campaign's
    network must have left under its limit to keep delivering
    (`PlatformAdapter.spending_limit_margin`; 0 for networks that hold limits exactly),
    granted on top of its headroom."""
    cap = await lock_spend_cap(session, cap_id)
    if cap is None:
        return None
    zone = await session.scalar(select(Company.timezone).where(Company.id == cap.company_id))
    members = list(
        await session.scalars(
            select(AdCampaign).where(
                AdCampaign.spend_cap_id == cap.id,
                AdCampaign.deleted_at.is_(None),
                AdCampaign.status.in_(LAUNCHED),
            )
        )
    )
    joined = {
        campaign_id: joined_at
        for campaign_id, joined_at in await session.execute(
            select(SpendCapMembership.ad_campaign_id, SpendCapMembership.joined_at).where(
                SpendCapMembership.spend_cap_id == cap.id, SpendCapMembership.left_at.is_(None)
            )
        )
    }
    period = current_period(cap, zone or "UTC", now)
    if period is None:
        # Outside the schedule nothing may be spent toward the cap.
        status = status_of(cap, 0, now)
        stopped = [CampaignLimit(campaign.id, 0, cap.starts_at) for campaign in members]
        return Allocation(
            spend_cap_id=cap.id,
            status=status,
            serving=False,
            stops_at=schedule_of(cap).stops_at,
            cap_version=cap.updated_at.isoformat(),
            limits=stopped,
            committed_micros=0,
            amount_micros=cap.amount_micros,
        )

    reported = await spend_by_campaign(session, cap.id, period)
    applied = sum(reported.values())
    status = status_of(cap, applied, now)
    if status == "DEPLETED":
        await _announce_depleted(session, cap, zone or "UTC", period.start, now)
    grants = {
        grant.ad_campaign_id: grant
        for grant in await session.scalars(
            select(SpendCapGrant).where(
                SpendCapGrant.spend_cap_id == cap.id, SpendCapGrant.period_start == period.start
            )
        )
    }
    committed = {
        campaign_id: max(
            grants[campaign_id].committed_micros if campaign_id in grants else 0,
            reported.get(campaign_id, 0),
        )
        for campaign_id in set(grants) | set(reported)
    }
    available = cap.amount_micros - sum(committed.values())
    counted_from = {
        campaign.id: max(period.start, joined.get(campaign.id, period.start))
        for campaign in members
    }
    serving = status == "ACTIVE"
    topups: dict[str, int] = defaultdict(int)
    if serving and available > 0 and members:
        peaks = await _peak_hourly_spend(session, [campaign.id for campaign in members], now)
        daily = await _daily_budgets(session, members)
        lifetime = await _lifetime_budgets(session, members) if margin_of is not None else {}
        period_hours = ((period.end - period.start) if period.end else OPEN_PERIOD) / HOUR
        fallback = int(cap.amount_micros / len(members) / max(period_hours, 1.0))
        wants: dict[str, int] = {}
        for campaign in members:
            if campaign.status != "active":
                continue  # a paused campaign asks for nothing (it is held where it stands)
            # Peak hourly spend; a daily budget's evening peak is about twice its average.
            rate = max(peaks.get(campaign.id, 0), daily.get(campaign.id, 0) // 12) or fallback
            spent = reported.get(campaign.id, 0)
            held = committed.get(campaign.id, 0)
            margin = (
                0
                if margin_of is None
                else margin_of(campaign, daily.get(campaign.id, 0), lifetime.get(campaign.id, ()))
            )
            want = spent + int(rate * (horizon / HOUR)) + margin - held
            if held > 0 and spent >= held:
                # It used all it had: its observed rate was throttled by its limit, so
                # grow geometrically rather than trust it.
                want = max(want, held)
            wants[campaign.id] = max(0, want)
        topups.update(split(available, wants))

    limits: list[CampaignLimit] = []
    for campaign in members:
        spent = reported.get(campaign.id, 0)
        held = committed.get(campaign.id, 0) + topups[campaign.id]
        # Not serving, or over-committed (the amount was lowered below what is committed):
        # hold every campaign where it stands.
        limit = held if serving and available >= 0 else min(held, spent)
        grant = grants.get(campaign.id)
        if grant is None:
            if held == 0 and limit == 0 and not serving:
                limits.append(CampaignLimit(campaign.id, 0, counted_from[campaign.id]))
                continue
            session.add(
                SpendCapGrant(
                    spend_cap_id=cap.id,
                    period_start=period.start,
                    ad_campaign_id=campaign.id,
                    granted_micros=limit,
                    committed_micros=held,
                )
            )
        else:
            grant.granted_micros = limit
            grant.committed_micros = held
        committed[campaign.id] = held
        limits.append(CampaignLimit(campaign.id, limit, counted_from[campaign.id]))
    cap.ledger_period_start = period.start
    cap.granted_micros = sum(committed.values())
    await session.flush()
    return Allocation(
        spend_cap_id=cap.id,
        status=status,
        serving=serving,
        stops_at=schedule_of(cap).stops_at,
        cap_version=cap.updated_at.isoformat(),
        limits=limits,
        committed_micros=cap.granted_micros,
        amount_micros=cap.amount_micros,
    )
