"""The delivery worker: Adline's side of the conversation with the ad networks.

One `run_once` pass
1. describes every launched campaign, its ad groups and ads to the network that serves its
   platform (idempotent upserts: the key names the row's version, so a retry or a second
   worker repeats the same write);
2. tells each network what every budget owner may spend in its current period, counted
   from the period's start, so spend the network has not reported yet is covered too;
   and, for campaigns under a spend cap, the hard spending limit the cap's ledger grants
   them (adline.spend_caps.ledger); a cap that is not ACTIVE holds its campaigns where
   they stand through the same limits (their own status is untouched);
3. lets a simulated network deliver up to now;
4. pulls the stats reported since a look-back (late corrections included) and ingests them
   (idempotent: a re-reported hour replaces, never adds);
5. records review outcomes as platform issues.

It runs as the periodic job `delivery.pass` (adline.delivery.jobs; docs/jobs.md) of the job
runner in the server's process (the embedded default) or of `adline worker` processes.
Several workers may run at once: every step is idempotent.

A worker remembers what its networks accepted, so a pass costs what changed: an object whose
idempotency key (its `updated_at`) was accepted is not described again, allowances and
limits identical to the accepted ones are not sent again, and a re-reported row whose
revision it already ingested is not ingested again (ingest would keep the stored row
anyway). A new worker process starts with an empty memory and repeats each write once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.audiences.repository import matched_sizes
from adline.campaigns.models import AdCampaign
from adline.campaigns.state_machine import LAUNCHED
from adline.companies.models import Company
from adline.config import Settings
from adline.connections.adapters import (
    CONNECTION_KEY_PREFIX,
    ConnectionAdapters,
    GuardedAdapter,
    connection_key,
)
from adline.connections.models import NetworkConnection
from adline.connections.service import PLATFORM_NAMES, mark_broken
from adline.core.clock import Clock, ManualClock, SettableClock, SystemClock
from adline.core.db import create_engine, create_sessionmaker
from adline.core.encryption import TokenCipher
from adline.delivery.adapter import (
    AdapterError,
    AdGroupSpec,
    AdSpec,
    Bidding,
    Budget,
    CampaignSpec,
    ConnectionBroken,
    CreativeSummary,
    DeliverySchedule,
    FrequencyCap,
    LifetimeBudget,
    LimitBound,
    ObjectRef,
    PlatformAdapter,
    ReportedHour,
    ReviewOutcome,
    RunStatus,
    SpendAllowance,
    SpendingLimit,
    Targeting,
    WriteResult,
)
from adline.delivery.journal import DurableNetworks
from adline.delivery.pacing import HOUR
from adline.delivery.registry import AdapterRegistry
from adline.delivery.simulator import SimulatedNetwork
from adline.funding.limits import funds_limits
from adline.funding.service import DEFAULT_BILLING_THRESHOLD_MICROS, bill_thresholds
from adline.issues.models import PlatformIssue
from adline.issues.service import IssueReport, report_issue, resolve_issue
from adline.spend_caps.ledger import Allocation, allocate
from adline.spend_caps.models import SpendCap
from adline.spend_caps.periods import local_midnight
from adline.stats.service import HourStats, ingest

logger = logging.getLogger("adline.delivery")

# Networks correct recent hours for a while; every pass re-reads this far back.
LOOK_BACK = timedelta(hours=48)
# A network that revises reports for longer than LOOK_BACK has its whole window re-read
# this often.
DEEP_READ_EVERY = timedelta(days=1)
# How far ahead a spend cap's ledger grants a campaign, beyond the pass interval: an hour
# and a quarter of unreported spend (hourly reports, 15 minutes late) and some margin.
CAP_HORIZON_BASE = timedelta(minutes=90)
SPEND_CAP_ISSUE = "spend_cap"
# An object whose settings its network refused (InvalidSpec and the like).
NETWORK_REFUSED_ISSUE = "network_refused"


@dataclass(frozen=True)
class _Written:
    """Whose write it is: for the memory of accepted writes and a refusal's issue."""

    company_id: str
    campaign_id: str
    key: str


@dataclass(frozen=True)
class PassReport:
    campaigns: int
    ad_groups: int
    ads: int
    rows_ingested: int
    rejections: int


def _run_status(*statuses: str) -> RunStatus:
    return "active" if all(status == "active" for status in statuses) else "paused"


def _budget(budget_type: str | None, amount: int | None) -> Budget | None:
    if budget_type is None or amount is None:
        return None
    return Budget("lifetime" if budget_type == "lifetime" else "daily", amount)


def _bidding(bid_type: str | None, target: int | None) -> Bidding:
    if bid_type in ("average_target", "maximum_target"):
        return Bidding(bid_type, target)  # type: ignore[arg-type]
    return Bidding("minimum_cost", None)


def _creative(ad: Ad) -> CreativeSummary:
    texts = [entry.get("text") for entry in ad.primary_texts or []]
    headlines = [entry.get("text") for entry in ad.headlines or []]
    descriptions = [entry.get("text") for entry in ad.descriptions or []]
    creatives = ad.creatives or []
    if ad.existing_post_id:
        kind = "existing_post"
    elif len(creatives) > 1 and all(c.get("format") is None for c in creatives):
        kind = "carousel"
    else:
        kind = "image"
    return CreativeSummary(
        format=kind,  # type: ignore[arg-type]
        media_ids=tuple(str(c.get("id")) for c in creatives),
        primary_text=texts[0] if texts else None,
        headline=headlines[0] if headlines else None,
        description=descriptions[0] if descriptions else None,
        call_to_action=ad.call_to_action,
        url=ad.url,
        existing_post_id=ad.existing_post_id,
    )


# What `_sync` reads of every launched campaign and group on every pass.
CAMPAIGN_COLUMNS = (
    AdCampaign.id,
    AdCampaign.company_id,
    AdCampaign.platform,
    AdCampaign.budget_optimization,
    AdCampaign.budget_type,
    AdCampaign.budget_amount_micros,
    AdCampaign.spend_cap_id,
    AdCampaign.starts_at,
    AdCampaign.created_at,
    AdCampaign.updated_at,
)
GROUP_COLUMNS = (
    AdGroup.id,
    AdGroup.ad_campaign_id,
    AdGroup.company_id,
    AdGroup.platform,
    AdGroup.budget_type,
    AdGroup.budget_amount_micros,
    AdGroup.starts_at,
    AdGroup.created_at,
    AdGroup.updated_at,
    # The saved audiences a group names: their sizes are part of what the network is told.
    AdGroup.audiences,
)
# Ids per IN list: far below both stores' bind-parameter limits.
CHUNK = 500
RowT = TypeVar("RowT", AdCampaign, AdGroup, Ad)


async def _load(session: AsyncSession, model: type[RowT], ids: list[str]) -> list[RowT]:
    """Whole rows by id, in the order of `ids`."""
    found: dict[str, RowT] = {}
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        for row in await session.scalars(select(model).where(model.id.in_(chunk))):
            found[row.id] = row
    return [found[row_id] for row_id in ids if row_id in found]


def _named_audiences(audiences: dict[str, Any] | None) -> list[str]:
    audiences = audiences or {}
    return [*(audiences.get("include") or ()), *(audiences.get("exclude") or ())]


def _group_spec(group: AdGroup, audience_sizes: Mapping[str, int]) -> AdGroupSpec:
    """The group as its network is told it; `audience_sizes` holds (at least) the matched
    sizes of the saved audiences it names."""
    return AdGroupSpec(
        id=group.id,
        campaign_id=group.ad_campaign_id,
        status=_run_status(group.status),
        title=group.title,
        budget=_budget(group.budget_type, group.budget_amount_micros),
        bidding=_bidding(group.bid_type, group.desired_cost_per_result_micros),
        minimum_daily_spend_micros=group.minimum_daily_spend_micros,
        optimization_goal=group.optimization_goal,
        conversion_location=group.conversion_location,
        conversion_event=group.conversion_event,
        starts_at=group.starts_at,
        ends_at=group.ends_at,
        schedule=DeliverySchedule.from_api(group.delivery_schedule),
        frequency_cap=FrequencyCap.from_api(group.frequency_cap),
        targeting=Targeting.from_api(
            regions=group.regions,
            demographics=group.demographics,
            languages=group.languages or (),
            devices=group.devices,
            detailed_targeting=group.detailed_targeting,
            audiences=group.audiences,
            placements=group.placements,
            audience_sizes={
                audience_id: audience_sizes[audience_id]
                for audience_id in _named_audiences(group.audiences)
                if audience_id in audience_sizes
            },
        ),
    )


def period_start(budget: Budget, owner_start: datetime, now: datetime, zone: str) -> datetime:
    """Where the current budget period began: today's midnight in the company's zone for
    a daily budget, the owner's start for a lifetime one."""
    if budget.budget_type == "lifetime":
        return owner_start
    midnight = local_midnight(now.astimezone(ZoneInfo(zone)).date(), ZoneInfo(zone))
    return max(midnight, owner_start)


def _hour_stats(row: ReportedHour) -> HourStats:
    return HourStats(
        ad_id=row.ad_id,
        hour_start=row.hour_start,
        revision=row.revision,
        impressions=row.impressions,
        reach=row.reach,
        clicks=row.clicks,
        unique_clicks=row.unique_clicks,
        link_clicks=row.link_clicks,
        spend_micros=row.spend_micros,
        event_counts=dict(row.event_counts),
        event_value_micros=dict(row.event_value_micros),
    )


class DeliveryWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        registry: AdapterRegistry,
        pass_interval: timedelta = timedelta(minutes=1),
        *,
        durable: bool = False,
        connections: ConnectionAdapters | None = None,
        billing_threshold_micros: int = DEFAULT_BILLING_THRESHOLD_MICROS,
    ) -> None:
        """With `durable`, the registry's simulated networks live in the store (journaled
        writes, adline.delivery.journal): a worker that dies, however abruptly, loses
        nothing they delivered, billed or had yet to report. Without, they live in this
        process only (tests, `adline simulate`).

        With `connections`, a company with an active network connection on a platform is
        served there by that network's real adapter, one with a broken connection is not
        synced at all, and the others stay on the simulated network
        (docs/connections.md#delivery). Without, every company is simulated."""
        self.sessionmaker = sessionmaker
        self.clock = clock
        # Spend beyond a campaign's credits is charged to the card every this much.
        self.billing_threshold_micros = billing_threshold_micros
        self.registry = registry
        self.connections = connections
        # This pass's routes: (company, platform) -> the network key serving it, None for a
        # broken connection; and each connection key's guarded adapter.
        self._routes: dict[tuple[str, str], str | None] = {}
        self._connected: dict[str, GuardedAdapter] = {}
        self.durable = DurableNetworks(registry) if durable else None
        # A cap's grants must last until the next pass can top them up.
        self.cap_horizon = CAP_HORIZON_BASE + pass_interval
        # What each network last accepted, so unchanged limits are not sent again.
        self._limits_sent: dict[str, str] = {}
        # The same for allowances (per platform) and objects (per id: the idempotency key
        # of the write the network accepted): an unchanged object is not described again.
        self._allowances_sent: dict[str, str] = {}
        self._synced: dict[str, str] = {}
        # The objects whose writes their networks accepted in this pass.
        self._accepted_this_pass: set[str] = set()
        # This pass's writes to real networks, made after its transaction
        # (`_call_connected`), and the objects networks refused.
        self._deferred: list[Callable[[], Awaitable[None]]] = []
        self._refused: list[tuple[WriteResult, _Written, str]] = []
        # When each connection's whole revision window was last re-read.
        self._deep_reads: dict[str, datetime] = {}
        # The revision of each (hour, ad) this worker ingested and committed: a re-reported
        # row that is not newer would change nothing, so it is not ingested again.
        self._ingested: dict[datetime, dict[str, int]] = {}

    async def run_once(self) -> PassReport:
        try:
            return await self._pass(self.clock.now())
        except BaseException:
            # A step failed or was cut short: the networks may hold writes the store does
            # not, and this worker's memory of what they accepted may be wrong. Start again
            # from the store (a durable network's journal) and describe everything again.
            if self.durable is not None:
                self.durable.invalidate()
            self._limits_sent.clear()
            self._allowances_sent.clear()
            self._synced.clear()
            raise

    async def _pass(self, now: datetime) -> PassReport:
        await self._load_routes()
        caps = await self._allocate_caps(now)
        funds = await self._funds_limits(caps)
        async with self.sessionmaker() as session, session.begin():
            await self._attach(session)
            counts, platforms = await self._sync(session, now, caps)
            await self._record(session)
        # Real networks are called outside the transaction that holds the simulated
        # networks' locks (on SQLite, the store's write lock): their answers take time, and
        # the ids they assign are committed by sessions of their own meanwhile.
        await self._call_connected()
        await self._send_limits(now, caps, platforms, funds)
        # Outside the networks' locks: a replica rebuilt after a restart simulates every
        # hour since its network's birth again. (A write another worker makes meanwhile
        # is caught up below, and simulated again if it falls in these hours.)
        await self._advance(now)
        ingested = rejections = 0
        pulled: list[ReportedHour] = []
        reports: list[tuple[list[ReportedHour], list[ReviewOutcome]]] = []
        for key, connected in self._connected.items():
            since = self._pull_since(key, now)
            rows = self._not_ingested(await connected.pull_stats(since, now))
            reports.append((rows, await connected.pull_review_outcomes(now - LOOK_BACK)))
            if connected.stopped is not None and since < now - LOOK_BACK:
                # The network did not answer the day's deep read: the next pass tries again.
                self._deep_reads.pop(key, None)
        async with self.sessionmaker() as session, session.begin():
            await self._attach(session)
            # Nothing to do unless another worker's write made a replica start again.
            await self._advance(now)
            for platform in self.registry.platforms:
                adapter = self._adapter(platform)
                rows = self._not_ingested(await adapter.pull_stats(now - LOOK_BACK, now))
                reports.append((rows, await adapter.pull_review_outcomes(now - LOOK_BACK)))
            for rows, outcomes in reports:
                # One ingest per pass and network, for every ad it reported.
                ingested += await ingest(session, self.clock, [_hour_stats(row) for row in rows])
                rejections += await self._record_reviews(session, outcomes)
                pulled.extend(rows)
            if self.durable is not None:
                await self.durable.mark_pulled(session, now)
        self._remember_ingested(pulled)
        self._forget_ingested_before(now - LOOK_BACK)
        # The spend just recorded in the funding ledger: charge what reached the threshold.
        async with self.sessionmaker() as session, session.begin():
            await bill_thresholds(session, ManualClock(now), self.billing_threshold_micros)
        await self._mark_broken_connections()
        return PassReport(*counts, rows_ingested=ingested, rejections=rejections)

    async def _load_routes(self) -> None:
        """Which network serves each company's platform this pass (see `__init__`)."""
        self._routes = {}
        self._connected = {}
        if self.connections is None:
            return
        async with self.sessionmaker() as session:
            for connection in await session.scalars(select(NetworkConnection)):
                route = (connection.company_id, connection.platform)
                if connection.status != "active":
                    self._routes[route] = None
                    continue
                key = connection_key(connection.id)
                self._routes[route] = key
                label = f"{PLATFORM_NAMES[connection.platform]} account {connection.ad_account_id}"
                self._connected[key] = GuardedAdapter(self.connections.adapter(connection), label)

    def _pull_since(self, key: str, now: datetime) -> datetime:
        """Every pass re-reads `LOOK_BACK`; a real network that revises its reports for
        longer (its adapter's `revision_window`) has that whole window re-read once a day,
        so late attribution is never lost without a 28-day report on every pass."""
        connected = self._connected.get(key)
        window = None if connected is None else connected.revision_window
        if window is None or window <= LOOK_BACK:
            return now - LOOK_BACK
        last = self._deep_reads.get(key)
        if last is not None and now - last < DEEP_READ_EVERY:
            return now - LOOK_BACK
        self._deep_reads[key] = now
        return now - window

    def _network_key(self, company_id: str, platform: str) -> str | None:
        """The key of the network serving the company on `platform`: its connection's, the
        simulated network's (the platform's name), or None while its connection is broken."""
        return self._routes.get((company_id, platform), platform)

    def _adapter(self, key: str) -> PlatformAdapter:
        connected = self._connected.get(key)
        if connected is not None:
            return connected
        return self.registry.adapter(key)

    def _limit_margin(
        self,
        campaign: AdCampaign,
        daily_budget_micros: int,
        lifetime_budgets: Sequence[LifetimeBudget] = (),
    ) -> int:
        """What the campaign's network needs left under its limit to keep delivering."""
        key = self._network_key(campaign.company_id, campaign.platform)
        if key is None:
            return 0
        return self._adapter(key).spending_limit_margin(daily_budget_micros, lifetime_budgets)

    def _network_label(self, key: str) -> str:
        connected = self._connected.get(key)
        return connected.label if connected is not None else f"{key} network"

    async def _mark_broken_connections(self) -> None:
        """A connection whose network refused its token this pass is marked broken (its
        campaigns get an issue; syncing it stops until the token is replaced)."""
        broken = {
            key.removeprefix(CONNECTION_KEY_PREFIX): adapter.broken
            for key, adapter in self._connected.items()
            if adapter.broken is not None
        }
        if not broken:
            return
        async with self.sessionmaker() as session, session.begin():
            for connection_id, message in broken.items():
                connection = await session.get(NetworkConnection, connection_id)
                if connection is not None and connection.status == "active":
                    await mark_broken(session, self.clock, connection, message)

    async def _attach(self, session: AsyncSession) -> None:
        if self.durable is None:
            return
        for platform in await self.durable.attach(session):
            # Another worker wrote to this network since this one last did: the limits and
            # allowances it holds may be that worker's, not the ones remembered here (they
            # can return to earlier values), so they are sent again. Objects stay
            # remembered: their keys (`updated_at`) only move forward.
            self._limits_sent.pop(platform, None)
            self._allowances_sent.pop(platform, None)

    async def _record(self, session: AsyncSession) -> None:
        if self.durable is not None:
            await self.durable.record(session)

    async def _advance(self, now: datetime) -> None:
        """Let each simulated network deliver up to `now`, an hour at a time (other tasks
        of the process run in between)."""
        for platform in self.registry.platforms:
            adapter = self.registry.adapter(platform)
            if not isinstance(adapter, SimulatedNetwork):
                continue
            while adapter.simulated_until + HOUR <= now:
                adapter.advance_to(adapter.simulated_until + HOUR)
                await asyncio.sleep(0)

    def _not_ingested(self, rows: Sequence[ReportedHour]) -> list[ReportedHour]:
        """The rows newer than what this worker already ingested (ingesting the others
        again would change nothing: ingest keeps the highest revision)."""
        fresh = []
        for row in rows:
            seen = self._ingested.get(row.hour_start)
            if seen is None or seen.get(row.ad_id, 0) < row.revision:
                fresh.append(row)
        return fresh

    def _remember_ingested(self, rows: Sequence[ReportedHour]) -> None:
        """After the ingest committed: its rows need not be ingested again."""
        for row in rows:
            seen = self._ingested.setdefault(row.hour_start, {})
            seen[row.ad_id] = max(seen.get(row.ad_id, 0), row.revision)

    def _forget_ingested_before(self, since: datetime) -> None:
        for hour in [hour for hour in self._ingested if hour < since]:
            del self._ingested[hour]

    async def _allocate_caps(self, now: datetime) -> dict[str, Allocation]:
        """Each spend cap with launched campaigns, allocated in a transaction of its own
        (the ledger locks the cap first)."""
        async with self.sessionmaker() as session:
            cap_ids = sorted(
                cap_id
                for cap_id in await session.scalars(
                    select(AdCampaign.spend_cap_id)
                    .where(
                        AdCampaign.spend_cap_id.is_not(None),
                        AdCampaign.deleted_at.is_(None),
                        AdCampaign.status.in_(LAUNCHED),
                    )
                    .distinct()
                )
                if cap_id is not None
            )
        allocations: dict[str, Allocation] = {}
        for cap_id in cap_ids:
            async with self.sessionmaker() as session, session.begin():
                allocation = await allocate(
                    session, cap_id, now, self.cap_horizon, self._limit_margin
                )
            if allocation is not None:
                allocations[cap_id] = allocation
        return allocations

    async def _funds_limits(self, caps: dict[str, Allocation]) -> dict[str, SpendingLimit]:
        """The limit funds put on each campaign they limit (adline.funding.limits); for a
        campaign under a cap too, its cap's limit with the funds as a second bound, each
        counted from its own start by the network."""
        granted = {limit.campaign_id: limit for cap in caps.values() for limit in cap.limits}
        async with self.sessionmaker() as session:
            funds = await funds_limits(session)
        limits: dict[str, SpendingLimit] = {}
        for campaign_id, limit in funds.items():
            cap = granted.get(campaign_id)
            if cap is None:
                limits[campaign_id] = SpendingLimit(
                    campaign_id, limit.limit_micros, limit.counted_from
                )
            else:
                own = LimitBound(limit.limit_micros, limit.counted_from)
                limits[campaign_id] = SpendingLimit(
                    campaign_id, cap.limit_micros, cap.counted_from, also=(own,)
                )
        return limits

    async def _send_limits(
        self,
        now: datetime,
        caps: dict[str, Allocation],
        platforms: dict[str, str],
        funds: Mapping[str, SpendingLimit] | None = None,
    ) -> None:
        """Give each network the hard limits of the capped and the fund-limited campaigns
        (whichever is lower for a campaign with both; none to the other launched campaigns,
        `platforms`: id -> platform), then record on each cap whether its network accepted
        them."""
        cap_of: dict[str, str] = {}
        limits: dict[str, SpendingLimit] = {}
        for allocation in caps.values():
            for granted in allocation.limits:
                cap_of[granted.campaign_id] = allocation.spend_cap_id
                limits[granted.campaign_id] = SpendingLimit(
                    granted.campaign_id, granted.limit_micros, granted.counted_from
                )
        limits.update(funds or {})
        by_platform: dict[str, list[SpendingLimit]] = {}
        for campaign_id, key in platforms.items():
            item = limits.get(campaign_id, SpendingLimit(campaign_id, None))
            by_platform.setdefault(key, []).append(item)
        failures: dict[str, str] = {}
        # Real networks first, outside the transaction holding the simulated networks.
        connected = {key: items for key, items in by_platform.items() if key in self._connected}
        await self._send_limits_to(now, connected, cap_of, failures)
        simulated = {key: items for key, items in by_platform.items() if key not in connected}
        async with self.sessionmaker() as session, session.begin():
            await self._attach(session)
            await self._send_limits_to(now, simulated, cap_of, failures)
            await self._record(session)
            for cap_id in caps:
                # Only the worker writes error_reason; updated_at stays the user's token.
                await session.execute(
                    update(SpendCap)
                    .where(SpendCap.id == cap_id)
                    .values(error_reason=failures.get(cap_id))
                    .execution_options(synchronize_session=False)
                )
            await self._explain_cap_holds(session, caps)

    async def _send_limits_to(
        self,
        now: datetime,
        by_platform: dict[str, list[SpendingLimit]],
        cap_of: dict[str, str],
        failures: dict[str, str],
    ) -> None:
        """Send each network its limits (unless it accepted these already); a refused
        limit's cap gets a message in `failures`."""
        for platform, items in by_platform.items():
            fingerprint = "|".join(
                f"{item.campaign_id}:{item.limit_micros}:{item.counted_from}:{item.also}"
                for item in items
            )
            if self._limits_sent.get(platform) == fingerprint:
                continue
            # Limits can return to earlier values (held, then released), so the key names
            # this pass too; a retry of the same call repeats it.
            key = f"limits@{now.isoformat()}:" + hashlib.sha256(fingerprint.encode()).hexdigest()
            try:
                results = await self._adapter(platform).set_spending_limits(
                    items, idempotency_key=key
                )
            except AdapterError as error:
                # The whole call failed: the limits already held stay; retried next pass.
                logger.warning("spending limits for %s failed: %s", platform, error)
                continue
            if all(result.state != "failed" for result in results):
                self._limits_sent[platform] = fingerprint
            for item, result in zip(items, results, strict=True):
                cap_id = cap_of.get(item.campaign_id)
                if cap_id is not None and result.state == "failed" and cap_id not in failures:
                    message = result.error.message if result.error else "refused"
                    failures[cap_id] = (
                        f"The {self._network_label(platform)} refused the spending limit of "
                        f"campaign {item.campaign_id}: {message}."
                    )

    async def _explain_cap_holds(self, session: AsyncSession, caps: dict[str, Allocation]) -> None:
        """A campaign its cap holds gets an open issue saying why (its delivery_status reads
        `issues`; its own status is untouched); the issue is resolved when the cap serves."""
        held = {
            limit.campaign_id: allocation
            for allocation in caps.values()
            for limit in allocation.limits
        }
        if not held:
            return
        open_issues = {
            issue.resource_id: issue
            for issue in await session.scalars(
                select(PlatformIssue).where(
                    PlatformIssue.resource_id.in_(list(held)),
                    PlatformIssue.subtype == SPEND_CAP_ISSUE,
                    PlatformIssue.resolution_status == "open",
                )
            )
        }
        companies = dict(
            (
                await session.execute(
                    select(AdCampaign.id, AdCampaign.company_id).where(
                        AdCampaign.id.in_(list(held))
                    )
                )
            ).all()
        )
        for campaign_id, allocation in held.items():
            issue = open_issues.get(campaign_id)
            if allocation.serving:
                if issue is not None:
                    await resolve_issue(session, self.clock, issue.id)
                continue
            message = (
                f"Spend cap {allocation.spend_cap_id} is {allocation.status}: the campaign "
                "does not deliver until the cap is ACTIVE again."
            )
            if issue is not None and issue.message == message:
                continue
            await report_issue(
                session,
                self.clock,
                company_id=companies[campaign_id],
                ad_campaign_id=campaign_id,
                report=IssueReport(
                    resource_type="ad_campaign",
                    resource_id=campaign_id,
                    severity="error",
                    title="Held by its spend cap",
                    message=message,
                    subtype=SPEND_CAP_ISSUE,
                ),
            )

    async def _sync(
        self, session: AsyncSession, now: datetime, caps: dict[str, Allocation]
    ) -> tuple[tuple[int, int, int], dict[str, str]]:
        """Describe every launched campaign, group and ad to its network; answers the counts
        and each launched campaign's platform.

        Each pass reads the few columns that say whether an object changed (its idempotency
        key) and what the allowances need; whole rows (with their JSON settings) are loaded
        and described only for objects whose key the network has not accepted yet."""
        campaigns = (
            await session.execute(
                select(*CAMPAIGN_COLUMNS)
                .where(AdCampaign.deleted_at.is_(None), AdCampaign.status.in_(LAUNCHED))
                # A fixed order: the network sums floats in the order it is told things,
                # so the same store must describe itself the same way on every engine.
                .order_by(AdCampaign.id)
            )
        ).all()
        # A campaign whose company's connection is broken is not synced: its network
        # cannot be told anything until the token is replaced.
        keys = {
            campaign.id: key
            for campaign in campaigns
            if (key := self._network_key(campaign.company_id, campaign.platform)) is not None
        }
        campaigns = [campaign for campaign in campaigns if campaign.id in keys]
        if not campaigns:
            return (0, 0, 0), {}
        zones = {
            row[0]: row[1] for row in await session.execute(select(Company.id, Company.timezone))
        }
        launched = (
            AdCampaign.deleted_at.is_(None),
            AdCampaign.status.in_(LAUNCHED),
        )
        groups = (
            await session.execute(
                select(*GROUP_COLUMNS)
                .join(AdCampaign, AdGroup.ad_campaign_id == AdCampaign.id)
                .where(*launched, AdGroup.deleted_at.is_(None))
                .order_by(AdGroup.id)
            )
        ).all()
        groups = [group for group in groups if group.ad_campaign_id in keys]
        ads = (
            await session.execute(
                select(Ad.id, Ad.ad_group_id, Ad.updated_at)
                .join(AdCampaign, Ad.ad_campaign_id == AdCampaign.id)
                .where(*launched, Ad.deleted_at.is_(None))
                .order_by(Ad.id)
            )
        ).all()
        by_id = {campaign.id: campaign for campaign in campaigns}
        allowances: dict[str, list[SpendAllowance]] = {}
        changed: dict[str, str] = {}
        for campaign in campaigns:
            zone = zones.get(campaign.company_id, "UTC")
            budget = (
                _budget(campaign.budget_type, campaign.budget_amount_micros)
                if campaign.budget_optimization == "ad_campaign"
                else None
            )
            cap = caps.get(campaign.spend_cap_id) if campaign.spend_cap_id else None
            version = campaign.updated_at.isoformat()
            if cap is not None:
                version += f":{cap.spend_cap_id}@{cap.cap_version}"
            key = f"{campaign.id}@{version}"
            if self._synced.get(campaign.id) != key:
                changed[campaign.id] = key
            if budget is not None:
                start = campaign.starts_at or campaign.created_at
                allowances.setdefault(keys[campaign.id], []).append(
                    SpendAllowance(
                        ObjectRef("ad_campaign", campaign.id),
                        budget.amount_micros,
                        counted_from=period_start(budget, start, now, zone),
                    )
                )
        for full in await _load(session, AdCampaign, list(changed)):
            adapter = self._adapter(keys[full.id])
            cap = caps.get(full.spend_cap_id) if full.spend_cap_id else None
            # The network stops a capped campaign by itself when the cap's schedule ends
            # (its spending limit holds it otherwise; see _send_limits).
            ends_at = full.ends_at
            if cap is not None and cap.stops_at is not None:
                ends_at = cap.stops_at if ends_at is None else min(ends_at, cap.stops_at)
            budget = (
                _budget(full.budget_type, full.budget_amount_micros)
                if full.budget_optimization == "ad_campaign"
                else None
            )
            campaign_spec = CampaignSpec(
                id=full.id,
                account_id=full.company_id,
                status=_run_status(full.status),
                objective=full.objective,
                title=full.title,
                budget=budget,
                bidding=_bidding(full.bid_type, full.desired_cost_per_result_micros),
                special_ad_categories=tuple(full.special_ad_categories),
                starts_at=full.starts_at,
                ends_at=ends_at,
                time_zone=zones.get(full.company_id, "UTC"),
            )
            await self._write(
                session,
                keys[full.id],
                partial(adapter.upsert_campaign, campaign_spec, idempotency_key=changed[full.id]),
                _Written(full.company_id, full.id, changed[full.id]),
            )

        changed = {}
        # A saved audience's size is part of its groups' description: a group is described
        # again when the people matched of an audience it names change (add_people).
        audience_sizes = await matched_sizes(
            session, (a for group in groups for a in _named_audiences(group.audiences))
        )
        for group in groups:
            key = f"{group.id}@{group.updated_at.isoformat()}"
            named = _named_audiences(group.audiences)
            if named:
                key += "+" + ",".join(
                    f"{audience_id}={audience_sizes.get(audience_id, '')}" for audience_id in named
                )
            if self._synced.get(group.id) != key:
                changed[group.id] = key
            campaign = by_id[group.ad_campaign_id]
            budget = _budget(group.budget_type, group.budget_amount_micros)
            if budget is not None and campaign.budget_optimization == "ad_group":
                start = group.starts_at or group.created_at
                zone = zones.get(group.company_id, "UTC")
                allowances.setdefault(keys[group.ad_campaign_id], []).append(
                    SpendAllowance(
                        ObjectRef("ad_group", group.id),
                        budget.amount_micros,
                        counted_from=period_start(budget, start, now, zone),
                    )
                )
        for full_group in await _load(session, AdGroup, list(changed)):
            adapter = self._adapter(keys[full_group.ad_campaign_id])
            await self._write(
                session,
                keys[full_group.ad_campaign_id],
                partial(
                    adapter.upsert_ad_group,
                    _group_spec(full_group, audience_sizes),
                    idempotency_key=changed[full_group.id],
                ),
                _Written(full_group.company_id, full_group.ad_campaign_id, changed[full_group.id]),
            )

        group_ids = {group.id for group in groups}
        changed = {}
        for ad in ads:
            key = f"{ad.id}@{ad.updated_at.isoformat()}"
            if ad.ad_group_id in group_ids and self._synced.get(ad.id) != key:
                changed[ad.id] = key
        for full_ad in await _load(session, Ad, list(changed)):
            adapter = self._adapter(keys[full_ad.ad_campaign_id])
            ad_spec = AdSpec(
                id=full_ad.id,
                ad_group_id=full_ad.ad_group_id,
                status=_run_status(full_ad.status),
                creative=_creative(full_ad),
                title=full_ad.title,
            )
            await self._write(
                session,
                keys[full_ad.ad_campaign_id],
                partial(adapter.upsert_ad, ad_spec, idempotency_key=changed[full_ad.id]),
                _Written(full_ad.company_id, full_ad.ad_campaign_id, changed[full_ad.id]),
            )

        for platform, items in allowances.items():
            fingerprint = ",".join(
                f"{item.owner.id}:{item.remaining_micros}:{item.counted_from}" for item in items
            )
            if self._allowances_sent.get(platform) == fingerprint:
                continue
            # A budget can return to an earlier amount within a period (X, Y, then X again),
            # so the key names this pass too, as the limits' keys do: keyed by the values
            # alone, the second X would be taken for a retry of the first and Y would stay.
            key = (
                f"allowances@{now.isoformat()}:" + hashlib.sha256(fingerprint.encode()).hexdigest()
            )
            await self._on_network(
                platform, partial(self._send_allowances, platform, items, key, fingerprint)
            )
        # Objects no longer launched (deleted, ended) are forgotten, so the memory is the
        # size of what is live, not of all that ever was. One launched again is described
        # again: under the same key, which the network takes as a retry.
        live = {row.id for rows in (campaigns, groups, ads) for row in rows}
        for gone in self._synced.keys() - live:
            del self._synced[gone]
        return (len(campaigns), len(groups), len(ads)), keys

    async def _write(
        self,
        session: AsyncSession,
        network_key: str,
        call: Callable[[], Awaitable[WriteResult]],
        written: _Written,
    ) -> None:
        """Write an object to its network now (the simulated network, inside the pass's
        transaction), or after it (a real network: `_call_connected`)."""
        await self._on_network(network_key, partial(self._write_and_settle, call, written))

    async def _on_network(self, network_key: str, work: Callable[[], Awaitable[None]]) -> None:
        if network_key in self._connected:
            self._deferred.append(work)
        else:
            await work()

    async def _write_and_settle(
        self, call: Callable[[], Awaitable[WriteResult]], written: _Written
    ) -> None:
        self._settle(await call(), written)

    def _settle(self, result: WriteResult, written: _Written) -> None:
        """After an object's write: remember a write its network accepted (a failed one is
        tried again next pass). A network that refuses a setting (not a passing failure:
        a rate limit, a timeout) puts an issue on the object saying what it answered
        (`_report_refusals`); the issue is resolved once a write of the object is
        accepted."""
        if result.state != "failed":
            self._synced[result.id] = written.key
            self._accepted_this_pass.add(result.id)
            return
        error = result.error
        if error is None or error.retryable or error.code == ConnectionBroken.__name__:
            return
        self._refused.append((result, written, error.message))

    async def _send_allowances(
        self, network_key: str, items: list[SpendAllowance], key: str, fingerprint: str
    ) -> None:
        results = await self._adapter(network_key).set_spend_allowances(items, idempotency_key=key)
        if all(result.state != "failed" for result in results):
            self._allowances_sent[network_key] = fingerprint

    async def _call_connected(self) -> None:
        """The writes to real networks the sync deferred, in order (campaigns, then groups,
        ads and allowances); then, in a short transaction, the issues of what networks
        refused and the resolution of what they now accepted."""
        deferred, self._deferred = self._deferred, []
        for work in deferred:
            await work()
        async with self.sessionmaker() as session, session.begin():
            await self._report_refusals(session)
            await self._resolve_refusals(session)

    async def _report_refusals(self, session: AsyncSession) -> None:
        refused, self._refused = self._refused, []
        for result, written, message in refused:
            await report_issue(
                session,
                self.clock,
                company_id=written.company_id,
                ad_campaign_id=written.campaign_id,
                report=IssueReport(
                    resource_type=result.kind,
                    resource_id=result.id,
                    severity="error",
                    title="The ad network refused a setting",
                    message=f"The network refused this {result.kind.replace('_', ' ')}: "
                    f"{message.rstrip('.')}. It is sent again when it changes.",
                    subtype=NETWORK_REFUSED_ISSUE,
                ),
            )

    async def _resolve_refusals(self, session: AsyncSession) -> None:
        """Resolve the refusal issues of the objects accepted this pass (one query: open
        refusals are few)."""
        accepted, self._accepted_this_pass = self._accepted_this_pass, set()
        if not accepted:
            return
        refused = (
            await session.execute(
                select(PlatformIssue.id, PlatformIssue.resource_id).where(
                    PlatformIssue.subtype == NETWORK_REFUSED_ISSUE,
                    PlatformIssue.resolution_status == "open",
                )
            )
        ).all()
        for issue_id, resource_id in refused:
            if resource_id in accepted:
                await resolve_issue(session, self.clock, issue_id)

    async def _record_reviews(self, session: AsyncSession, outcomes: Sequence[object]) -> int:
        rejected = 0
        for outcome in outcomes:
            issue = getattr(outcome, "issue", None)
            if getattr(outcome, "status", None) != "rejected" or issue is None:
                continue
            ad = await session.get(Ad, getattr(outcome, "ad_id", ""))
            if ad is None or ad.deleted_at is not None:
                continue
            await report_issue(
                session,
                self.clock,
                company_id=ad.company_id,
                ad_campaign_id=ad.ad_campaign_id,
                report=IssueReport(
                    resource_type="ad",
                    resource_id=ad.id,
                    severity="error",
                    title=issue.title,
                    message=issue.message,
                    category=issue.category,
                    subtype=issue.subtype,
                ),
            )
            rejected += 1
        return rejected


async def fast_forward(
    worker: DeliveryWorker, clock: SettableClock, start: datetime, until: datetime, step: timedelta
) -> int:
    """Passes on a simulated clock, without waiting: at `start`, `start + step`, ... up to
    `until` (`clock` is the worker's and its networks'). A durable worker resumes after the
    last pass its store recorded as ingested, so a run that is killed and started again
    repeats only the pass it was in. Answers how many passes ran."""
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    at = start
    if worker.durable is not None:
        async with worker.sessionmaker() as session:
            last = await worker.durable.last_pull(session)
        if last is not None and last >= start:
            at = last + step
    passes = 0
    while at <= until:
        clock.set(at)
        await worker.run_once()
        passes += 1
        at += step
    return passes


async def run_process(
    database_url: str,
    seed: int,
    interval: timedelta,
    *,
    start: datetime | None = None,
    until: datetime | None = None,
) -> None:
    """`adline worker`: a job runner with every handler and a durable delivery pass every
    `interval` (a periodic job: one pass per slot across all workers) on the system clock
    until cancelled; or with `start` and `until`, a fast-forward run of passes alone
    (`fast_forward`) that then returns."""
    engine = create_engine(database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        if start is None or until is None:
            # Imported here: the handler modules import this one.
            from adline.jobs.handlers import process_runner

            clock: Clock = SystemClock()
            # Handlers read the process's settings once, as a server's do (not the
            # environment on every job).
            settings = dataclasses.replace(Settings.from_env(), database_url=database_url)
            worker = DeliveryWorker(
                sessionmaker,
                clock,
                AdapterRegistry(clock, seed=seed),
                pass_interval=interval,
                durable=True,
                connections=ConnectionAdapters(
                    sessionmaker,
                    clock,
                    TokenCipher(settings.secret_key, settings.secret_key_file),
                    settings,
                    pass_interval=interval,
                ),
                billing_threshold_micros=settings.billing_threshold_micros,
            )
            runner = process_runner(
                sessionmaker,
                clock,
                delivery_worker=worker,
                delivery_interval=interval,
                services={"settings": settings},
            )
            await runner.run_forever()
            return
        manual = ManualClock(start)
        worker = DeliveryWorker(
            sessionmaker,
            manual,
            AdapterRegistry(manual, seed=seed),
            pass_interval=interval,
            durable=True,
        )
        await fast_forward(worker, manual, start, until, interval)
    finally:
        await engine.dispose()


__all__ = ["AdapterRegistry", "DeliveryWorker", "PassReport", "PlatformAdapter"]
