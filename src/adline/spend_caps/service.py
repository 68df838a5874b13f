"""Spend cap rules: create, update (optimistic concurrency when the update carries the
`updated_at` it read), list, status, applied spend, and the link between a campaign and
its cap.

Services only flush; the request owns the transaction. Callable from tests without HTTP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal, ensure_own_account
from adline.campaigns.models import AdCampaign
from adline.companies.models import Company
from adline.core.clock import Clock
from adline.core.db import lock_row
from adline.core.errors import Conflict, InvalidRequest, NotFound
from adline.core.ids import new_id
from adline.core.pagination import Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.spend_caps.models import SpendCap, SpendCapMembership, SpendCapRevision
from adline.spend_caps.periods import (
    USER_STATUSES,
    Schedule,
    Status,
    Window,
    compute_status,
    period_at,
)
from adline.spend_caps.schemas import SpendCapChanges, SpendCapCreate
from adline.stats.models import AdStatHour
from adline.webhooks import events as webhook_events

# The seed's platform limits these too (MAX_SPEND_CAP_COUNT_REACHED,
# MAX_CAMPAIGNS_COUNT_PER_SPEND_CAP_REACHED); the numbers are Adline's.
MAX_SPEND_CAPS_PER_COMPANY = 1_000
MAX_CAMPAIGNS_PER_SPEND_CAP = 500


def schedule_of(cap: SpendCap | SpendCapRevision) -> Schedule:
    return Schedule(cap.starts_at, cap.ends_at)


def current_period(cap: SpendCap, zone: str, now: datetime) -> Window | None:
    return period_at(cap.period, schedule_of(cap), now, zone)  # type: ignore[arg-type]


def last_period(cap: SpendCap, zone: str, now: datetime) -> Window | None:
    """The period the schedule ended in, once it is over; None before."""
    stops_at = schedule_of(cap).stops_at
    if stops_at is None or now < stops_at:
        return None
    return current_period(cap, zone, stops_at - timedelta(microseconds=1))


def status_of(cap: SpendCap, applied_micros: int, now: datetime) -> Status:
    return compute_status(
        schedule=schedule_of(cap),
        enabled=cap.enabled,
        error_reason=cap.error_reason,
        amount_micros=cap.amount_micros,
        applied_micros=applied_micros,
        instant=now,
    )


def status_reason(cap: SpendCap, status: Status, period: Window | None) -> str | None:
    """Why the cap is not serving, in a sentence; while ACTIVE, None unless the whole amount
    is already committed to the campaigns."""
    if status == "ENDED":
        return f"The schedule ended at {format_timestamp(cap.ends_at or cap.starts_at)}."
    if status == "INACTIVE":
        return "Switched off: set status to ACTIVE to serve again."
    if status == "SCHEDULED":
        return f"Starts at {format_timestamp(cap.starts_at)}."
    if status == "ERROR":
        return cap.error_reason
    if status == "DEPLETED":
        # The schedule's last period (clipped to its end) ends without renewing.
        if (
            cap.period == "TOTAL"
            or period is None
            or period.end is None
            or period.end == schedule_of(cap).stops_at
        ):
            return "The amount is spent: raise it to serve again."
        renews = format_timestamp(period.end)
        return f"This period's amount is spent: it renews at {renews}, or raise it to serve now."
    if (
        period is not None
        and cap.ledger_period_start == period.start
        and cap.granted_micros >= cap.amount_micros
    ):
        # Serving, but the ledger has handed out the whole amount (see ledger.py).
        return (
            "All of this period's amount is committed to the cap's campaigns: each stops when "
            "it has spent its share. What they do not spend (refunds, campaigns that stopped "
            "first) is not handed out again before the next period or a higher amount."
        )
    return None


# -- applied spend ------------------------------------------------------------------------


def _membership_hours() -> ColumnElement[bool]:
    """A campaign's hour counts toward a cap while the campaign was under it."""
    return and_(
        AdStatHour.ad_campaign_id == SpendCapMembership.ad_campaign_id,
        AdStatHour.hour_start >= SpendCapMembership.joined_at,
        or_(
            SpendCapMembership.left_at.is_(None),
            AdStatHour.hour_start < SpendCapMembership.left_at,
        ),
    )


def _window_hours(window: Window) -> list[ColumnElement[bool]]:
    conditions = [AdStatHour.hour_start >= window.start]
    if window.end is not None:
        conditions.append(AdStatHour.hour_start < window.end)
    return conditions


async def spend_by_cap(session: AsyncSession, windows: dict[str, Window]) -> dict[str, int]:
    """Each cap's spend (micros) over its window: the hours its campaigns reported while
    under it. Caps sharing a window are summed in one query."""
    by_window: dict[Window, list[str]] = defaultdict(list)
    for cap_id, window in windows.items():
        by_window[window].append(cap_id)
    spent = dict.fromkeys(windows, 0)
    for window, cap_ids in by_window.items():
        rows = await session.execute(
            select(SpendCapMembership.spend_cap_id, func.sum(AdStatHour.spend_micros))
            .join(AdStatHour, _membership_hours())
            .where(SpendCapMembership.spend_cap_id.in_(cap_ids), *_window_hours(window))
            .group_by(SpendCapMembership.spend_cap_id)
        )
        for cap_id, total in rows:
            spent[cap_id] = int(total or 0)
    return spent


async def spend_by_campaign(session: AsyncSession, cap_id: str, window: Window) -> dict[str, int]:
    """What each of the cap's campaigns spent toward it over `window` (micros)."""
    rows = await session.execute(
        select(AdStatHour.ad_campaign_id, func.sum(AdStatHour.spend_micros))
        .join(SpendCapMembership, _membership_hours())
        .where(SpendCapMembership.spend_cap_id == cap_id, *_window_hours(window))
        .group_by(AdStatHour.ad_campaign_id)
    )
    return {campaign_id: int(total or 0) for campaign_id, total in rows}


async def hourly_spend(
    session: AsyncSession, cap_id: str, window: Window
) -> list[tuple[datetime, str, int]]:
    """(hour, campaign, spend) of every hour that counts toward the cap within `window`."""
    rows = await session.execute(
        select(
            AdStatHour.hour_start,
            AdStatHour.ad_campaign_id,
            func.sum(AdStatHour.spend_micros),
        )
        .join(SpendCapMembership, _membership_hours())
        .where(SpendCapMembership.spend_cap_id == cap_id, *_window_hours(window))
        .group_by(AdStatHour.hour_start, AdStatHour.ad_campaign_id)
        .order_by(AdStatHour.hour_start)
    )
    return [(hour, campaign_id, int(total or 0)) for hour, campaign_id, total in rows]


@dataclass(frozen=True)
class CapState:
    """A cap as of an instant: its period, what that period has consumed, its status."""

    period: Window | None
    applied_micros: int
    status: Status

    def remaining(self, amount_micros: int) -> int:
        return max(amount_micros - self.applied_micros, 0)


async def cap_states(
    session: AsyncSession, caps: Sequence[SpendCap], zone: str, now: datetime
) -> dict[str, CapState]:
    periods = {cap.id: current_period(cap, zone, now) for cap in caps}
    # An ENDED cap shows what its last period consumed (what finance reconciles), not 0.
    counted = {cap.id: periods[cap.id] or last_period(cap, zone, now) for cap in caps}
    applied = await spend_by_cap(
        session, {cap_id: window for cap_id, window in counted.items() if window is not None}
    )
    return {
        cap.id: CapState(
            periods[cap.id], applied.get(cap.id, 0), status_of(cap, applied.get(cap.id, 0), now)
        )
        for cap in caps
    }


# -- reading ------------------------------------------------------------------------------


def readable_spend_caps(company_id: str) -> Select[SpendCap]:
    return select(SpendCap).where(SpendCap.company_id == company_id)


async def get_spend_cap(
    session: AsyncSession, company_id: str, cap_id: str, *, param: str | None = None
) -> SpendCap:
    """The company's cap; another company's is as missing as one that never existed."""
    cap = await session.scalar(
        readable_spend_caps(company_id)
        .where(SpendCap.id == cap_id)
        .execution_options(populate_existing=True)
    )
    if cap is None:
        raise NotFound(f"No spend cap with id {cap_id}.", param=param)
    return cap


async def campaign_counts(session: AsyncSession, cap_ids: Sequence[str]) -> dict[str, int]:
    rows = await session.execute(
        select(AdCampaign.spend_cap_id, func.count())
        .where(AdCampaign.spend_cap_id.in_(cap_ids), AdCampaign.deleted_at.is_(None))
        .group_by(AdCampaign.spend_cap_id)
    )
    return {str(cap_id): int(count) for cap_id, count in rows}


def money_micro(currency: str, micros: int) -> dict[str, str]:
    """The MoneyMicro shape of seed 004: `{"currency", "amount_micro": "<int64>"}`."""
    return {"currency": currency, "amount_micro": str(micros)}


async def present_spend_caps(
    session: AsyncSession, principal: Principal, caps: Sequence[SpendCap], now: datetime
) -> list[dict[str, Any]]:
    return await present_spend_caps_in(session, principal.timezone, caps, now)


async def present_spend_caps_in(
    session: AsyncSession, zone: str, caps: Sequence[SpendCap], now: datetime
) -> list[dict[str, Any]]:
    """The caps with their periods cut in the company's time zone `zone`."""
    states = await cap_states(session, caps, zone, now)
    counts = await campaign_counts(session, [cap.id for cap in caps])
    bodies = []
    for cap in caps:
        state = states[cap.id]
        period = state.period
        bodies.append(
            {
                "id": cap.id,
                "title": cap.title,
                "schedule": {
                    "start": format_timestamp(cap.starts_at),
                    "end": None if cap.ends_at is None else format_timestamp(cap.ends_at),
                },
                "budget": {
                    "period": cap.period,
                    "amount": money_micro(cap.currency, cap.amount_micros),
                },
                "applied_ad_spending": money_micro(cap.currency, state.applied_micros),
                "remaining": money_micro(cap.currency, state.remaining(cap.amount_micros)),
                "current_period": None
                if period is None
                else {
                    "start": format_timestamp(period.start),
                    "end": None if period.end is None else format_timestamp(period.end),
                },
                "status": state.status,
                "status_reason": status_reason(cap, state.status, period),
                "comment": cap.comment,
                "campaign_count": counts.get(cap.id, 0),
                "created_at": format_timestamp(cap.created_at),
                "updated_at": format_timestamp(cap.updated_at),
            }
        )
    return bodies


async def present_spend_cap(
    session: AsyncSession, principal: Principal, cap: SpendCap, now: datetime
) -> dict[str, Any]:
    [body] = await present_spend_caps(session, principal, [cap], now)
    return body


# -- writing ------------------------------------------------------------------------------


async def lock_spend_cap(session: AsyncSession, cap_id: str) -> SpendCap | None:
    """Take the cap's lock for the rest of the transaction (`core.db.lock_row`) and read it
    afresh: a worker's ledger and a campaign joining take turns. `updated_at`, the user's
    concurrency token, is left alone."""
    await lock_row(session, SpendCap.granted_micros, cap_id)
    return await session.get(SpendCap, cap_id, populate_existing=True)


def _check_schedule(starts_at: datetime, ends_at: datetime | None, param: str) -> None:
    if ends_at is not None and ends_at < starts_at:
        raise InvalidRequest(
            f"Invalid value for {param}.end: must not be before {param}.start.",
            param=f"{param}.end",
        )


def _check_user_status(status: str | None, param: str) -> None:
    if status is not None and status not in USER_STATUSES:
        raise InvalidRequest(
            f"Invalid value for {param}: users may set only ACTIVE or INACTIVE; "
            f"{status} is the system's to set.",
            param=param,
        )


def revision_of(cap: SpendCap, valid_from: datetime) -> SpendCapRevision:
    """What the cap says now, as the revision in force from `valid_from`."""
    return SpendCapRevision(
        spend_cap_id=cap.id,
        valid_from=valid_from,
        starts_at=cap.starts_at,
        ends_at=cap.ends_at,
        amount_micros=cap.amount_micros,
        enabled=cap.enabled,
    )


async def create_spend_cap(
    session: AsyncSession, clock: Clock, principal: Principal, body: SpendCapCreate
) -> SpendCap:
    company_id = ensure_own_account(principal, body.account_id, "account_id")
    _check_schedule(body.schedule.start, body.schedule.end, "schedule")
    _check_user_status(body.status, "status")
    # Serialise creates per company so the limit holds under concurrency.
    await lock_row(session, Company.name, company_id)
    count = await session.scalar(
        select(func.count()).select_from(SpendCap).where(SpendCap.company_id == company_id)
    )
    if (count or 0) >= MAX_SPEND_CAPS_PER_COMPANY:
        raise InvalidRequest(
            f"This account has {MAX_SPEND_CAPS_PER_COMPANY} spend caps, the most it may have; "
            "switch one off and reuse it.",
            code="max_spend_cap_count_reached",
        )
    now = clock.now()
    cap = SpendCap(
        id=new_id("sc"),
        company_id=company_id,
        title=body.title,
        starts_at=body.schedule.start,
        ends_at=body.schedule.end,
        period=body.budget.period,
        currency=body.budget.amount.currency,
        amount_micros=body.budget.amount.amount_micro,
        enabled=body.status == "ACTIVE",
        comment=body.comment,
        error_reason=None,
        created_at=now,
        updated_at=now,
        ledger_period_start=None,
        granted_micros=0,
    )
    session.add(cap)
    await session.flush()
    session.add(revision_of(cap, now))
    await session.flush()
    return cap


class StaleSpendCap(Conflict):
    """409: the update was based on an older `updated_at`; the error carries the current cap."""

    code = "spend_cap_changed"


async def update_spend_cap(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    cap_id: str,
    changes: SpendCapChanges,
) -> SpendCap:
    cap = await get_spend_cap(session, principal.company_id, cap_id)
    now = clock.now()

    async def present() -> dict[str, Any]:
        current = await get_spend_cap(session, principal.company_id, cap_id)
        return await present_spend_cap(session, principal, current, clock.now())

    watch = await webhook_events.ChangeWatch.start(
        session, principal.company_id, "spend_cap.updated", present
    )
    if "updated_at" not in changes.model_fields_set:
        # Seed 004's update carries no token: it applies to the cap as it is now. Under the
        # cap's lock such updates take turns, so each still moves `updated_at` past the
        # last one and an older read can never match again.
        cap = await lock_spend_cap(session, cap.id) or cap
        expected = cap.updated_at
    elif changes.updated_at is None:
        raise InvalidRequest(
            "Invalid value for spend_cap.updated_at: must not be null; send the updated_at "
            "last read, or leave it out to update the cap as it is.",
            param="spend_cap.updated_at",
        )
    else:
        expected = changes.updated_at
    if expected != cap.updated_at:
        current = await present_spend_cap(session, principal, cap, now)
        raise StaleSpendCap(
            "The spend cap changed since it was read (updated_at "
            f"{format_timestamp(expected)} is not the current "
            f"{current['updated_at']}): read it again and re-apply the change.",
            param="spend_cap.updated_at",
            extra={"spend_cap": current},
        )
    sent = changes.model_fields_set
    values: dict[str, Any] = {}
    if "title" in sent:
        if changes.title is None:
            raise InvalidRequest(
                "Invalid value for spend_cap.title: must not be null.", param="spend_cap.title"
            )
        values["title"] = changes.title
    if "comment" in sent:
        values["comment"] = changes.comment
    if "status" in sent:
        if changes.status is None:
            raise InvalidRequest(
                "Invalid value for spend_cap.status: must not be null.", param="spend_cap.status"
            )
        _check_user_status(changes.status, "spend_cap.status")
        values["enabled"] = changes.status == "ACTIVE"
    for part in ("schedule", "budget"):
        if part in sent and getattr(changes, part) is None:
            raise InvalidRequest(
                f"Invalid value for spend_cap.{part}: must not be null.", param=f"spend_cap.{part}"
            )
    if "schedule" in sent and changes.schedule is not None:
        schedule_sent = changes.schedule.model_fields_set
        starts_at = cap.starts_at
        if "start" in schedule_sent:
            if changes.schedule.start is None:
                raise InvalidRequest(
                    "Invalid value for spend_cap.schedule.start: must not be null.",
                    param="spend_cap.schedule.start",
                )
            starts_at = changes.schedule.start
        ends_at = changes.schedule.end if "end" in schedule_sent else cap.ends_at
        _check_schedule(starts_at, ends_at, "spend_cap.schedule")
        values["starts_at"], values["ends_at"] = starts_at, ends_at
    if "budget" in sent and changes.budget is not None:
        budget = changes.budget
        if budget.period is not None and budget.period != cap.period:
            raise InvalidRequest(
                f"Invalid value for spend_cap.budget.period: the period of a spend cap cannot "
                f"change after creation (it is {cap.period}); create a new cap instead.",
                param="spend_cap.budget.period",
            )
        if budget.amount.currency != cap.currency:
            raise InvalidRequest(
                "Invalid value for spend_cap.budget.amount.currency: the currency of a spend "
                f"cap cannot change (it is {cap.currency}).",
                param="spend_cap.budget.amount.currency",
            )
        values["amount_micros"] = budget.amount.amount_micro
    if not any(getattr(cap, key) != value for key, value in values.items()):
        return cap
    # A new token even within the same microsecond, so a stale read can never match.
    values["updated_at"] = max(now, cap.updated_at + timedelta(microseconds=1))
    # Conditional on the token: of two concurrent updates from the same read, one wins.
    result = await session.execute(
        update(SpendCap)
        .where(SpendCap.id == cap.id, SpendCap.updated_at == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        cap = await get_spend_cap(session, principal.company_id, cap_id)
        current = await present_spend_cap(session, principal, cap, now)
        raise StaleSpendCap(
            "The spend cap changed while this update was applied: read it again and re-apply "
            "the change.",
            param="spend_cap.updated_at",
            extra={"spend_cap": current},
        )
    cap = await get_spend_cap(session, principal.company_id, cap_id)
    if {"starts_at", "ends_at", "amount_micros", "enabled"} & values.keys():
        session.add(revision_of(cap, now))
    await session.flush()
    await watch.finish(session, clock)
    return cap


# -- listing ------------------------------------------------------------------------------


async def list_spend_caps(
    session: AsyncSession,
    principal: Principal,
    *,
    statuses: Sequence[Status] | None,
    page: PageRequest,
    direction: Direction,
    now: datetime,
) -> Page[SpendCap]:
    statement = readable_spend_caps(principal.company_id)
    if statuses:
        # Status depends on spend, so it is computed, then the list is narrowed to the ids
        # that match (an account holds at most MAX_SPEND_CAPS_PER_COMPANY caps).
        caps = list(await session.scalars(statement))
        states = await cap_states(session, caps, principal.timezone, now)
        matching = [cap.id for cap in caps if states[cap.id].status in statuses]
        statement = statement.where(SpendCap.id.in_(matching))
    return await paginate(
        session, statement, model=SpendCap, order="created_at", direction=direction, page=page
    )


# -- campaigns ----------------------------------------------------------------------------


async def link_campaign(
    session: AsyncSession,
    clock: Clock,
    campaign: AdCampaign,
    spend_cap_id: str | None,
    campaign_currency: str,
) -> None:
    """Put `campaign` under the cap (or under none). The cap must be the campaign's
    company's (else 404) and in the campaign's currency (else 400). From now on the
    campaign's spend counts toward the new cap and no longer toward the old one."""
    if spend_cap_id == campaign.spend_cap_id:
        return
    now = clock.now()
    if spend_cap_id is not None:
        cap = await get_spend_cap(session, campaign.company_id, spend_cap_id, param="spend_cap_id")
        if cap.currency != campaign_currency.upper():
            raise InvalidRequest(
                f"Invalid value for spend_cap_id: the spend cap is in {cap.currency}, the "
                f"campaign in {campaign_currency.upper()}.",
                param="spend_cap_id",
                code="spend_cap_currency_mismatch",
            )
        # Under the cap's lock, so concurrent joins cannot pass the limit together.
        await lock_spend_cap(session, cap.id)
        count = await campaign_counts(session, [cap.id])
        if count.get(cap.id, 0) >= MAX_CAMPAIGNS_PER_SPEND_CAP:
            raise InvalidRequest(
                f"Invalid value for spend_cap_id: the spend cap already has "
                f"{MAX_CAMPAIGNS_PER_SPEND_CAP} campaigns, the most it may have.",
                param="spend_cap_id",
                code="max_campaigns_count_per_spend_cap_reached",
            )
    await session.execute(
        update(SpendCapMembership)
        .where(
            SpendCapMembership.ad_campaign_id == campaign.id,
            SpendCapMembership.left_at.is_(None),
        )
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    if spend_cap_id is not None:
        session.add(
            SpendCapMembership(spend_cap_id=spend_cap_id, ad_campaign_id=campaign.id, joined_at=now)
        )
    campaign.spend_cap_id = spend_cap_id
    await session.flush()
