"""`TikTokAdapter`: Adline's `PlatformAdapter` over the TikTok Business API v1.3.

How a write survives a crash (docs/networks-tiktok.md has the whole story):

- every object is created `DISABLE`d, with its Adline id in its name (`"Title [adcamp_…]"`)
  and a `request_id` derived from the idempotency key; its network id is recorded in the
  `ObjectDirectory` before it is enabled, so an object the adapter forgot never delivers;
- before any create the adapter looks the object up by that reference (the `/…/get/`
  list endpoint, filtered by name or parent): a crash between TikTok's create and Adline's
  commit finds the first object on retry instead of making a second one;
- a create whose outcome is unknown (a 5xx, a timeout, 50000) is not resent by the client;
  the next attempt's lookup decides.

What TikTok fixes at creation (`objective_type`, `budget_mode`) is checked before an
update is sent: from what this adapter last wrote, else from one read of the object.

TikTok has no hard campaign spend cap, so the adapter enforces a positive `SpendingLimit`
itself: every `set_spending_limits` and every `pull_stats` pass compares the campaign's
reported spend since `counted_from` with the limit and holds the campaign DISABLEd once
what is left is within what it can spend before the next check may stop it
(`spend_margin`; docs/networks-tiktok.md, "Spending limits", states the bound).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import httpx

from adline.config import DEFAULT_TIKTOK_REPORT_LAG_SECONDS
from adline.core.clock import Clock
from adline.delivery.adapter import (
    AdapterError,
    AdGroupSpec,
    AdSpec,
    CampaignSpec,
    ConnectionBroken,
    IdempotencyConflict,
    InvalidSpec,
    ItemError,
    LifetimeBudget,
    ObjectKind,
    ObjectNotFound,
    ObjectRef,
    PixelCheck,
    ReportedHour,
    ReviewOutcome,
    SpendAllowance,
    SpendingLimit,
    Targeting,
    TargetingOption,
    TargetingSearch,
    TransientError,
    WriteResult,
)
from adline.networks.base import AudienceReader, MediaReader, NetworkCredentials, ObjectDirectory
from adline.networks.tiktok import mapping
from adline.networks.tiktok.audiences import TikTokAudiences
from adline.networks.tiktok.client import (
    DEFAULT_BASE_URL,
    DuplicatedRequest,
    Sleep,
    TikTokAnswer,
    TikTokClient,
)
from adline.networks.tiktok.mapping import DELETE, DISABLE, KnownSettings
from adline.networks.tiktok.media import TikTokMedia

T = TypeVar("T")

PLATFORM = "tiktok"
# TikTok applies a write when it answers; delivery follows within about a minute.
PROPAGATION = timedelta(minutes=1)
# Conversions are attributed to past hours for this long: the ingester's trailing re-read
# (pull_stats of hours already pulled) should reach at least this far back.
ATTRIBUTION_LOOKBACK = timedelta(days=7)
REPORT_PAGE_SIZE = 1000
LOOKUP_PAGE_SIZE = 100
# Daily report rows are read at most this many days per request (Airbyte's step).
DAILY_REPORT_DAYS = 30
HOUR = timedelta(hours=1)

# Spending-limit enforcement (docs/networks-tiktok.md, "Spending limits"). TikTok publishes
# an hour's report some time after the hour ends [verify: no documented figure]; the
# adapter assumes at most this.
DEFAULT_REPORT_LAG = timedelta(seconds=DEFAULT_TIKTOK_REPORT_LAG_SECONDS)
# The longest time between two checks (pull_stats passes); the worker's pass is 1 minute.
DEFAULT_CHECK_INTERVAL = timedelta(minutes=5)
# TikTok documents no bound on how unevenly it paces a daily budget: assume an owner
# spends at most this many times its even hourly share (budget / 24) in any hour [verify].
PACING_PEAK = 4.0


# `/advertiser/info/`: the fields read, and the one status whose advertiser takes writes
# (TikTok's advertiser statuses, `STATUS_DISABLE`, `STATUS_LIMIT`, `STATUS_PENDING_...`,
# are not among our facts [verify]).
ADVERTISER_FIELDS = ("advertiser_id", "name", "status", "currency", "timezone")
ENABLED_ADVERTISER = "STATUS_ENABLE"


@dataclass(frozen=True)
class Advertiser:
    """The advertiser (TikTok's ad account) as a token reads it (`read_account`): its name,
    and why Adline cannot use it (`unusable`, None when it is enabled)."""

    advertiser_id: str
    name: str | None
    status: str | None
    currency: str | None
    timezone: str | None

    @property
    def unusable(self) -> str | None:
        if self.status in (None, ENABLED_ADVERTISER):
            return None
        return f"The advertiser {self.advertiser_id} is not enabled (status {self.status})."


@dataclass(frozen=True)
class LimitWatch:
    """One bound of a positive spending limit the adapter enforces on one campaign."""

    network_id: str
    limit_micros: int
    counted_from: datetime


@dataclass(frozen=True)
class LimitCheck:
    """One campaign's state at a limit check, in micro-units: the spend TikTok has reported
    since the `counted_from` of its tightest bound, the margin, and whether the campaign is
    held."""

    reported_micros: int
    margin_micros: int
    held: bool


@dataclass(frozen=True)
class Level:
    """One TikTok object level and the names its endpoints use."""

    kind: ObjectKind
    path: str
    id_field: str
    ids_field: str
    name_field: str


CAMPAIGN = Level("ad_campaign", "campaign", "campaign_id", "campaign_ids", "campaign_name")
AD_GROUP = Level("ad_group", "adgroup", "adgroup_id", "adgroup_ids", "adgroup_name")
AD = Level("ad", "ad", "ad_id", "ad_ids", "ad_name")
LEVELS: dict[ObjectKind, Level] = {level.kind: level for level in (CAMPAIGN, AD_GROUP, AD)}


class TikTokAdapter:
    """One advertiser (`credentials.account_id`) on TikTok. `media` reads the company's
    files and `audiences` its saved audiences, to upload them (media.py, audiences.py);
    without them media ids go out as TikTok's own and only recorded audiences are named."""

    # How far back reports still change (attribution): the worker re-reads this daily.
    revision_window = ATTRIBUTION_LOOKBACK

    def __init__(
        self,
        credentials: NetworkCredentials,
        directory: ObjectDirectory,
        *,
        clock: Clock,
        client: TikTokClient,
        time_zone: str = "UTC",
        report_lag: timedelta = DEFAULT_REPORT_LAG,
        check_interval: timedelta = DEFAULT_CHECK_INTERVAL,
        media: MediaReader | None = None,
        audiences: AudienceReader | None = None,
    ) -> None:
        self.advertiser_id = credentials.account_id
        self.media = TikTokMedia(client, credentials.account_id, directory, media)
        self.audiences = TikTokAudiences(client, credentials.account_id, directory, audiences)
        # The TikTok identity ads run under (NetworkCredentials.page_id).
        self.identity_id = credentials.page_id
        self.directory = directory
        self.clock = clock
        self.client = client
        # Reports come in the advertiser's time zone; campaign specs carry the account's.
        self.time_zone = ZoneInfo(time_zone)
        # Per network id: what this adapter last wrote or read (process memory only).
        self._known: dict[tuple[ObjectKind, str], KnownSettings] = {}
        # Per Adline object: the status its last upsert asked for, and why it is held
        # paused (a zero allowance or limit), so upserts keep it paused.
        self._asked_status: dict[tuple[ObjectKind, str], str] = {}
        self._holds: dict[tuple[ObjectKind, str], set[str]] = {}
        # idempotency key -> (operation, payload repr), result: networks take no keys.
        self._answers: dict[str, tuple[tuple[str, str], object]] = {}
        # Per Adline campaign: the positive spending limit enforced here (process memory,
        # like the holds: the next limit pass after a restart sets it again).
        self._watches: dict[str, tuple[LimitWatch, ...]] = {}
        self.report_lag = report_lag
        self.check_interval = check_interval
        # The last check of each watched campaign (tests, diagnostics).
        self.limit_checks: dict[str, LimitCheck] = {}

    @property
    def platform(self) -> str:
        return PLATFORM

    # --- Writes ----------------------------------------------------------------------------

    async def upsert_campaign(self, spec: CampaignSpec, *, idempotency_key: str) -> WriteResult:
        return await self._once(
            "upsert_campaign", idempotency_key, spec, lambda: self._campaign(spec, idempotency_key)
        )

    async def upsert_ad_group(self, spec: AdGroupSpec, *, idempotency_key: str) -> WriteResult:
        return await self._once(
            "upsert_ad_group", idempotency_key, spec, lambda: self._ad_group(spec, idempotency_key)
        )

    async def upsert_ad(self, spec: AdSpec, *, idempotency_key: str) -> WriteResult:
        return await self._once(
            "upsert_ad", idempotency_key, spec, lambda: self._ad(spec, idempotency_key)
        )

    async def delete_object(self, ref: ObjectRef, *, idempotency_key: str) -> WriteResult:
        return await self._once("delete_object", idempotency_key, ref, lambda: self._delete(ref))

    async def set_spend_allowances(
        self, allowances: Sequence[SpendAllowance], *, idempotency_key: str
    ) -> list[WriteResult]:
        items = tuple(allowances)
        return await self._once(
            "set_spend_allowances",
            idempotency_key,
            items,
            lambda: self._holds_for(
                [(item.owner, item.remaining_micros) for item in items], "allowance"
            ),
        )

    def spending_limit_margin(
        self, daily_budget_micros: int, lifetime_budgets: Sequence[LifetimeBudget] = ()
    ) -> int:
        """The margin the adapter pauses a capped campaign at (`spend_margin`), for the
        hourly ceiling of its budgets as `_hourly_ceilings` reads them from TikTok: what
        the ledger must grant beyond its limit to keep it running."""
        now = self.clock.now()
        ceiling = daily_budget_micros * PACING_PEAK / 24 + sum(
            lifetime_ceiling(budget.amount_micros, budget.ends_at, now)
            for budget in lifetime_budgets
        )
        return self.spend_margin(ceiling)

    async def set_spending_limits(
        self, limits: Sequence[SpendingLimit], *, idempotency_key: str
    ) -> list[WriteResult]:
        items = tuple(limits)
        return await self._once(
            "set_spending_limits", idempotency_key, items, lambda: self._spending_limits(items)
        )

    async def _once(
        self, operation: str, key: str, payload: object, action: Callable[[], Awaitable[T]]
    ) -> T:
        """The same key and payload answer the first result; failures are not kept."""
        fingerprint = (operation, repr(payload))
        if key in self._answers:
            stored, result = self._answers[key]
            if stored != fingerprint:
                raise IdempotencyConflict(f"Idempotency key {key!r} was used for another write")
            return cast(T, result)
        result = await action()
        self._answers[key] = (fingerprint, result)
        return result

    async def _campaign(self, spec: CampaignSpec, key: str) -> WriteResult:
        wanted = mapping.campaign_settings(spec)  # refuses an unknown objective up front
        self.time_zone = _zone(spec.time_zone)
        network_id = await self._network_id(CAMPAIGN, spec.id, spec.network_id)
        created = False
        if network_id is None:
            network_id, created = await self._find_or_create(
                CAMPAIGN,
                spec.id,
                {"filtering": {"campaign_name": mapping.reference(spec.id)}},
                mapping.campaign_create_body(spec, self.advertiser_id, request_id(key)),
            )
        return await self._update(
            CAMPAIGN,
            spec.id,
            network_id,
            wanted,
            None if created else mapping.campaign_update_body(spec, self.advertiser_id, network_id),
        )

    async def _ad_group(self, spec: AdGroupSpec, key: str) -> WriteResult:
        wanted = mapping.ad_group_settings(spec)
        mapping.targeting_fields(spec.targeting)  # refuses unmapped targeting before uploads
        spec = dataclasses.replace(spec, targeting=await self.audiences.targeting(spec.targeting))
        now = self.clock.now()
        network_id = await self._network_id(AD_GROUP, spec.id, spec.network_id)
        created = False
        if network_id is None:
            campaign_id = await self._parent_id(
                CAMPAIGN, spec.campaign_id, spec.campaign_network_id
            )
            body = mapping.ad_group_create_body(
                spec, self.advertiser_id, campaign_id, request_id(key), now=now
            )
            network_id, created = await self._find_or_create(
                AD_GROUP,
                spec.id,
                {
                    "filtering": {
                        "campaign_ids": [campaign_id],
                        "adgroup_name": mapping.reference(spec.id),
                    }
                },
                body,
            )
        return await self._update(
            AD_GROUP,
            spec.id,
            network_id,
            wanted,
            None
            if created
            else mapping.ad_group_update_body(spec, self.advertiser_id, network_id, now=now),
        )

    async def _ad(self, spec: AdSpec, key: str) -> WriteResult:
        wanted = KnownSettings(None, None, mapping.spec_status(spec))
        group_id = await self._parent_id(AD_GROUP, spec.ad_group_id, spec.ad_group_network_id)
        network_id = await self._network_id(AD, spec.id, spec.network_id)
        media = await self.media.files(spec.creative)
        created = False
        if network_id is None:
            body = mapping.ad_create_body(
                spec, self.advertiser_id, group_id, request_id(key), self.identity_id, media
            )
            # Ad names are not a documented filter: list the group's ads, match the name.
            network_id, created = await self._find_or_create(
                AD, spec.id, {"filtering": {"adgroup_ids": [group_id]}}, body
            )
        return await self._update(
            AD,
            spec.id,
            network_id,
            wanted,
            None
            if created
            else mapping.ad_update_body(
                spec, self.advertiser_id, group_id, network_id, self.identity_id, media
            ),
        )

    async def _find_or_create(
        self, level: Level, local_id: str, lookup: Mapping[str, Any], body: Mapping[str, Any]
    ) -> tuple[str, bool]:
        """The network id of the object named by `local_id`'s reference, and whether it was
        created now: found (created before a crash), else created DISABLEd. Recorded in the
        directory either way."""
        found = await self._find(level, local_id, lookup)
        if found is None:
            try:
                answer = await self._post(f"{level.path}/create/", body, replay_safe=False)
            except DuplicatedRequest:
                # This request_id was created before: read the object back.
                found = await self._find(level, local_id, lookup)
                if found is None:
                    raise TransientError(
                        f"TikTok reports {local_id} created, but it is not readable yet"
                    ) from None
            else:
                network_id = _created_id(level, answer)
                self._known[(level.kind, network_id)] = KnownSettings(
                    body.get("budget_mode"), body.get("objective_type"), DISABLE
                )
                await self.directory.remember(level.kind, local_id, network_id)
                return network_id, True
        network_id = str(found[level.id_field])
        self._known[(level.kind, network_id)] = KnownSettings.from_object(found)
        await self.directory.remember(level.kind, local_id, network_id)
        return network_id, False

    async def _find(
        self, level: Level, local_id: str, lookup: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        rows = await self._list(level, lookup)
        for row in rows:
            status = str(row.get("secondary_status") or row.get("operation_status") or "")
            if mapping.carries_reference(row.get(level.name_field), local_id) and (
                "DELETE" not in status
            ):
                return row
        return None

    async def _update(
        self,
        level: Level,
        local_id: str,
        network_id: str,
        wanted: KnownSettings,
        body: Mapping[str, Any] | None,
    ) -> WriteResult:
        """Send `body` (None: the object was just created with these settings), then the
        status when it differs from the known one. What TikTok fixes at creation is
        checked first, against what this adapter knows, else one read of the object."""
        key = (level.kind, network_id)
        known = self._known.get(key) or await self._read(level, network_id)
        if level is not AD:
            mapping.refuse_fixed_changes(known, wanted)
        if body is not None:
            await self._post(f"{level.path}/update/", body)
        self._asked_status[(level.kind, local_id)] = wanted.operation_status or DISABLE
        status = DISABLE if self._holds.get((level.kind, local_id)) else wanted.operation_status
        if status is not None and status != known.operation_status:
            failed = await self._set_status(level, [network_id], status)
            if failed:
                raise AdapterError(f"TikTok did not {status} {level.kind} {network_id}")
        self._known[key] = dataclasses.replace(wanted, operation_status=status)
        return self._pending(level.kind, local_id, network_id)

    async def _delete(self, ref: ObjectRef) -> WriteResult:
        level = LEVELS[ref.kind]
        network_id = await self._network_id(level, ref.id, ref.network_id)
        if network_id is None:
            raise ObjectNotFound(f"{ref.kind} {ref.id} was never created on TikTok")
        failed = await self._set_status(level, [network_id], DELETE)
        if failed:
            raise AdapterError(f"TikTok did not delete {ref.kind} {network_id}: {failed}")
        self._known.pop((level.kind, network_id), None)
        if level is CAMPAIGN:
            self._watches.pop(ref.id, None)
        return self._pending(ref.kind, ref.id, network_id)

    async def _spending_limits(self, items: tuple[SpendingLimit, ...]) -> list[WriteResult]:
        """Zero and None are holds (`_holds_for`); a positive limit is watched here and
        checked at once, then on every `pull_stats` pass."""
        results: list[WriteResult | None] = [None] * len(items)
        holds: list[tuple[int, ObjectRef, int | None]] = []
        watched: list[tuple[int, str, str]] = []
        for index, item in enumerate(items):
            ref = ObjectRef("ad_campaign", item.campaign_id)
            bounds = item.bounds()
            lowest = min((bound.limit_micros for bound in bounds), default=None)
            if lowest is None or lowest <= 0:
                self._watches.pop(item.campaign_id, None)
                holds.append((index, ref, lowest))
                continue
            network_id = await self._network_id(CAMPAIGN, item.campaign_id, None)
            if network_id is None:
                error = _hold_error(ref, lowest, None)
                results[index] = WriteResult(ref.kind, ref.id, None, "failed", None, error)
                continue
            now = self.clock.now()
            self._watches[item.campaign_id] = tuple(
                LimitWatch(network_id, bound.limit_micros, bound.counted_from or now)
                for bound in bounds
            )
            watched.append((index, item.campaign_id, network_id))
        held = await self._holds_for([(ref, amount) for _, ref, amount in holds], "limit")
        for (index, _, _), result in zip(holds, held, strict=True):
            results[index] = result
        if watched:
            checked = await self._enforce_limits([local_id for _, local_id, _ in watched])
            for index, local_id, _ in watched:
                results[index] = checked[local_id]
        return [result for result in results if result is not None]

    def spend_margin(self, hourly_ceiling_micros: float) -> int:
        """What a campaign spending at most `hourly_ceiling_micros` an hour can spend that
        the adapter has not seen, or that it cannot stop, at a check: the hour being
        reported (TikTok reports whole hours), the report lag, the time to the next check,
        and the DISABLE's propagation."""
        window = HOUR + self.report_lag + self.check_interval + PROPAGATION
        return math.ceil(hourly_ceiling_micros * (window / HOUR))

    async def _enforce_limits(self, local_ids: list[str]) -> dict[str, WriteResult]:
        """Check each watched campaign: hold it DISABLEd once `reported + margin` reaches
        its limit; lift the hold (back to what the last upsert asked) once it is below."""
        watches = {local_id: self._watches[local_id] for local_id in local_ids}
        every_bound = [watch for bounds in watches.values() for watch in bounds]
        network_ids = sorted({watch.network_id for watch in every_bound})
        ceilings = await self._hourly_ceilings(network_ids)
        reported = dict(zip(every_bound, await self._reported_spend(every_bound), strict=True))
        results: dict[str, WriteResult] = {}
        for local_id, bounds in watches.items():
            # The bound with the least headroom decides.
            watch = min(bounds, key=lambda bound: bound.limit_micros - reported[bound])
            margin = self.spend_margin(ceilings.get(watch.network_id, 0.0))
            spent = reported[watch]
            hold = spent + margin >= watch.limit_micros
            self.limit_checks[local_id] = LimitCheck(spent, margin, hold)
            held = "limit" in self._holds.get(("ad_campaign", local_id), set())
            ref = ObjectRef("ad_campaign", local_id, watch.network_id)
            if hold == held:
                results[local_id] = WriteResult(
                    "ad_campaign", local_id, watch.network_id, "applied", self.clock.now()
                )
                continue
            [results[local_id]] = await self._holds_for([(ref, 0 if hold else None)], "limit")
        return results

    async def _hourly_ceilings(self, network_ids: list[str]) -> dict[str, float]:
        """The most each campaign can spend in an hour, in micro-units, from its budgets as
        TikTok holds them: a daily budget `PACING_PEAK` times its even hourly share, a
        lifetime budget `PACING_PEAK` times its even share of the hours left in its flight
        (`lifetime_ceiling`; a campaign's own runs to its ad groups' last end), summed over
        the ad groups when the campaign owns no budget."""
        if not network_ids:
            return {}
        campaigns = await self._list(CAMPAIGN, {"filtering": {"campaign_ids": network_ids}})
        groups = await self._list(AD_GROUP, {"filtering": {"campaign_ids": network_ids}})
        now = self.clock.now()
        live_groups: dict[str, list[Mapping[str, Any]]] = {}
        for row in groups:
            status = str(row.get("secondary_status") or row.get("operation_status") or "")
            if "DELETE" not in status:
                live_groups.setdefault(str(row.get("campaign_id")), []).append(row)
        ceilings: dict[str, float] = {network_id: 0.0 for network_id in network_ids}
        owned = set()
        for row in campaigns:
            network_id = str(row.get("campaign_id"))
            if row.get("budget_mode") in mapping.BUDGET_MODES.values():
                ends = [_schedule_end(group) for group in live_groups.get(network_id, [])]
                flight_end = None if not ends or None in ends else max(filter(None, ends))
                ceilings[network_id] = _owner_ceiling(row, flight_end, now)
                owned.add(network_id)
        for network_id, rows in live_groups.items():
            if network_id in ceilings and network_id not in owned:
                for group in rows:
                    ceilings[network_id] += _owner_ceiling(group, _schedule_end(group), now)
        return ceilings

    async def _reported_spend(self, watches: Sequence[LimitWatch]) -> list[int]:
        """Each bound's campaign spend TikTok reports since its `counted_from`: the hours
        of `counted_from`'s local day from the hour that contains it (that hour counts
        whole, erring on the side of the limit), then whole local days up to today."""
        today = self.clock.now().astimezone(self.time_zone).date()
        hourly: dict[tuple[str, datetime], int] = {}
        first_days = [_local_day(w.counted_from, self.time_zone) for w in watches]
        for day in sorted(set(first_days)):
            for row in await self._campaign_report(day, day, "stat_time_hour"):
                hour_key = (_row_campaign(row), _row_instant(row, self.time_zone))
                hourly[hour_key] = hourly.get(hour_key, 0) + _spend(row)
        daily: dict[tuple[str, date], int] = {}
        start = min(first_days) + timedelta(days=1)
        while start <= today:
            end = min(today, start + timedelta(days=DAILY_REPORT_DAYS - 1))
            for row in await self._campaign_report(start, end, "stat_time_day"):
                day_key = (_row_campaign(row), _row_day(row))
                daily[day_key] = daily.get(day_key, 0) + _spend(row)
            start = end + timedelta(days=1)
        spent: list[int] = []
        for watch in watches:
            first_day = _local_day(watch.counted_from, self.time_zone)
            from_hour = _floor_hour(watch.counted_from)
            total = sum(
                amount
                for (network_id, hour), amount in hourly.items()
                if network_id == watch.network_id
                and hour >= from_hour
                and _local_day(hour, self.time_zone) == first_day
            )
            total += sum(
                amount
                for (network_id, day), amount in daily.items()
                if network_id == watch.network_id and day > first_day
            )
            spent.append(total)
        return spent

    async def _campaign_report(self, start: date, end: date, time_dimension: str) -> list[Any]:
        query = {
            "advertiser_id": self.advertiser_id,
            "service_type": "AUCTION",
            "report_type": "BASIC",
            "data_level": "AUCTION_CAMPAIGN",
            "dimensions": ["campaign_id", time_dimension],
            "metrics": ["spend"],
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }
        return await self._call(
            self.client.list_all("report/integrated/get/", query, page_size=REPORT_PAGE_SIZE)
        )

    async def _holds_for(
        self, items: list[tuple[ObjectRef, int | None]], reason: str
    ) -> list[WriteResult]:
        """Allowances and limits TikTok can hold exactly: zero (the owner is paused, and
        stays paused through upserts until the zero is lifted) and none (the pause, if
        any, is lifted). A positive allowance is refused per item: TikTok has no
        allowance, and its lifetime budget paces, counts from creation and needs a budget
        mode fixed at creation (docs/networks-tiktok.md). Positive limits are enforced by
        `_enforce_limits`, which holds and lifts through here."""
        results: list[WriteResult | None] = [None] * len(items)
        changes: dict[tuple[Level, str], list[tuple[int, ObjectRef, str]]] = {}
        for index, (owner, amount) in enumerate(items):
            level = LEVELS[owner.kind]
            network_id = await self._network_id(level, owner.id, owner.network_id)
            error = _hold_error(owner, amount, network_id)
            if error is not None or network_id is None:
                results[index] = WriteResult(
                    owner.kind, owner.id, network_id, "failed", None, error
                )
                continue
            holds = self._holds.setdefault((owner.kind, owner.id), set())
            if amount == 0:
                holds.add(reason)
                status = DISABLE
            else:
                holds.discard(reason)
                asked = self._asked_status.get((owner.kind, owner.id))
                if holds or asked is None:
                    # Still held for another reason, or never paused by a hold here.
                    results[index] = WriteResult(
                        owner.kind, owner.id, network_id, "applied", self.clock.now()
                    )
                    continue
                status = asked
            changes.setdefault((level, status), []).append((index, owner, network_id))
        for (level, status), entries in changes.items():
            failed = await self._set_status(
                level, [network_id for _, _, network_id in entries], status
            )
            for index, owner, network_id in entries:
                if network_id in failed:
                    error = ItemError("status_update_failed", failed[network_id], retryable=True)
                    results[index] = WriteResult(
                        owner.kind, owner.id, network_id, "failed", None, error
                    )
                else:
                    known = self._known.get((level.kind, network_id))
                    if known is not None:
                        self._known[(level.kind, network_id)] = dataclasses.replace(
                            known, operation_status=status
                        )
                    results[index] = self._pending(owner.kind, owner.id, network_id)
        return [result for result in results if result is not None]

    async def _set_status(
        self, level: Level, network_ids: list[str], status: str
    ) -> dict[str, str]:
        """Set `operation_status` on every id; the ids TikTok did not confirm, with why. A
        partial success (20001) lists the ids it changed; every id asked is checked."""
        body: dict[str, Any] = {
            "advertiser_id": self.advertiser_id,
            level.ids_field: network_ids,
            "operation_status": status,
        }
        if level is AD_GROUP:
            body["allow_partial_success"] = True
        answer = await self._post(f"{level.path}/status/update/", body)
        confirmed = answer.data.get(level.ids_field)
        if confirmed is None:
            confirmed = [] if answer.partial else network_ids
        done = {str(network_id) for network_id in confirmed}
        reason = answer.message or "not confirmed by TikTok"
        return {network_id: reason for network_id in network_ids if network_id not in done}

    # --- Ids -------------------------------------------------------------------------------

    async def _network_id(self, level: Level, local_id: str, given: str | None) -> str | None:
        return given or await self.directory.network_id(level.kind, local_id)

    async def _parent_id(self, level: Level, local_id: str, given: str | None) -> str:
        network_id = await self._network_id(level, local_id, given)
        if network_id is None:
            raise ObjectNotFound(f"{level.kind} {local_id} does not exist on TikTok yet")
        return network_id

    async def _read(self, level: Level, network_id: str) -> KnownSettings:
        rows = await self._list(level, {"filtering": {level.ids_field: [network_id]}})
        if not rows:
            raise ObjectNotFound(f"{level.kind} {network_id} does not exist on TikTok")
        return KnownSettings.from_object(rows[0])

    async def _list(self, level: Level, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        return await self._call(
            self.client.list_all(
                f"{level.path}/get/",
                {"advertiser_id": self.advertiser_id, **query},
                page_size=LOOKUP_PAGE_SIZE,
            )
        )

    async def _post(
        self, path: str, body: Mapping[str, Any], *, replay_safe: bool = True
    ) -> TikTokAnswer:
        return await self._call(self.client.post(path, body, replay_safe=replay_safe))

    async def _call(self, call: Awaitable[T]) -> T:
        """Await a client call; a refused field is named in Adline's terms."""
        try:
            return await call
        except InvalidSpec as exc:
            raise InvalidSpec(str(exc), mapping.adline_param(exc.param)) from exc

    def _pending(self, kind: ObjectKind, local_id: str, network_id: str) -> WriteResult:
        return WriteResult(kind, local_id, network_id, "pending", self.clock.now() + PROPAGATION)

    # --- Reads -----------------------------------------------------------------------------

    async def read_account(self) -> Advertiser:
        """`GET /advertiser/info/?advertiser_ids=["<id>"]` with the connection's token: what
        a connection's token check reads. Errors raise as every call's do: 40001, 40105 and
        the other token codes `ConnectionBroken`, 40100 `RateLimited`; an advertiser the
        answer leaves out is `ObjectNotFound`."""
        answer = await self.client.get(
            "advertiser/info/",
            {"advertiser_ids": [self.advertiser_id], "fields": list(ADVERTISER_FIELDS)},
        )
        for row in answer.data.get("list") or []:
            if str(row.get("advertiser_id")) == self.advertiser_id:
                return Advertiser(
                    advertiser_id=self.advertiser_id,
                    name=_text_or_none(row.get("name")),
                    status=_text_or_none(row.get("status")),
                    currency=_text_or_none(row.get("currency")),
                    timezone=_text_or_none(row.get("timezone")),
                )
        raise ObjectNotFound(
            f"TikTok answered no advertiser {self.advertiser_id} for this access token"
        )

    async def pull_stats(self, since: datetime, until: datetime) -> list[ReportedHour]:
        """Ad-level hourly rows, one local day per request (TikTok's limit for hourly
        dimensions), every page. TikTok numbers no revisions: the revision is the fetch
        time in seconds, so a re-read of a corrected hour wins (ingestion keeps a row only
        when its numbers changed). Rows of ads the directory does not know are skipped."""
        revision = int(self.clock.now().timestamp())
        rows: list[ReportedHour] = []
        for day in _local_days(since, until, self.time_zone):
            query = {
                "advertiser_id": self.advertiser_id,
                "service_type": "AUCTION",
                "report_type": "BASIC",
                "data_level": "AUCTION_AD",
                "dimensions": ["ad_id", "stat_time_hour"],
                "metrics": list(mapping.REPORT_METRICS),
                "start_date": day.isoformat(),
                "end_date": day.isoformat(),
            }
            pages = self.client.iterate_pages(
                "report/integrated/get/", query, page_size=REPORT_PAGE_SIZE
            )
            async for page in pages:
                for row in page:
                    ad_network_id = str((row.get("dimensions") or {}).get("ad_id"))
                    ad_id = await self.directory.local_id("ad", ad_network_id)
                    if ad_id is None:
                        continue
                    hour = mapping.reported_hour(row, ad_id, self.time_zone, revision)
                    delivered = hour.impressions or hour.spend_micros or hour.clicks
                    if delivered and since <= hour.hour_start < until:
                        rows.append(hour)
        rows.sort(key=lambda hour: (hour.hour_start, hour.ad_id))
        if self._watches:
            # Every pass that reads spend also checks the positive spending limits.
            await self._enforce_limits(list(self._watches))
        return rows

    async def pull_review_outcomes(self, since: datetime | None = None) -> list[ReviewOutcome]:
        """None yet: our TikTok facts name no review fields (docs/networks-tiktok.md)."""
        return []

    async def estimate_reach(self, targeting: Targeting) -> tuple[int | None, int | None]:
        """TikTok's audience estimate is not among our facts: the network "will not
        estimate"."""
        return (None, None)

    async def search_targeting_options(self, search: TargetingSearch) -> list[TargetingOption]:
        """None yet: the `/tool/...` endpoints' shapes are not among our facts."""
        return []

    async def check_pixel_token(self, pixel_external_id: str, access_token: str) -> PixelCheck:
        """`/pixel/list/` read with `access_token`: accepted when the advertiser's pixels,
        as that token sees them, include `pixel_external_id` (its code or id)."""
        client = self.client.with_token(access_token)
        try:
            answer = await client.get(
                "pixel/list/", {"advertiser_id": self.advertiser_id, "page_size": 20}
            )
        except (ConnectionBroken, InvalidSpec) as exc:
            return PixelCheck(False, error_message=str(exc))
        finally:
            await client.aclose()
        pixels = answer.data.get("pixels") or answer.data.get("list") or []
        for pixel in pixels:
            if pixel_external_id in (str(pixel.get("pixel_code")), str(pixel.get("pixel_id"))):
                return PixelCheck(True, name=pixel.get("pixel_name"))
        return PixelCheck(
            False, error_message=f"Pixel {pixel_external_id} is not visible to this token"
        )


def create_tiktok_adapter(
    credentials: NetworkCredentials,
    directory: ObjectDirectory,
    *,
    clock: Clock,
    base_url: str = DEFAULT_BASE_URL,
    transport: httpx.AsyncBaseTransport | None = None,
    time_zone: str = "UTC",
    sleep: Sleep = asyncio.sleep,
    report_lag: timedelta = DEFAULT_REPORT_LAG,
    check_interval: timedelta = DEFAULT_CHECK_INTERVAL,
    media: MediaReader | None = None,
    audiences: AudienceReader | None = None,
) -> TikTokAdapter:
    """`media` and `audiences` read the connection's company's files and saved audiences,
    which the adapter uploads to the advertiser."""
    client = TikTokClient(
        base_url, credentials.access_token, transport=transport, sleep=sleep, clock=clock
    )
    return TikTokAdapter(
        credentials,
        directory,
        clock=clock,
        client=client,
        time_zone=time_zone,
        report_lag=report_lag,
        check_interval=check_interval,
        media=media,
        audiences=audiences,
    )


def request_id(idempotency_key: str) -> str:
    """TikTok's create `request_id` for an idempotency key: digits, stable, below 2**60
    [verify the accepted format]."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return str(int(digest[:15], 16))


def _created_id(level: Level, answer: TikTokAnswer) -> str:
    data = answer.data
    value = data.get(level.id_field)
    if value is None:
        ids = data.get(level.ids_field) or []
        value = ids[0] if ids else None
    if value is None:
        raise AdapterError(f"TikTok created a {level.kind} without answering its id")
    return str(value)


def _hold_error(owner: ObjectRef, amount: int | None, network_id: str | None) -> ItemError | None:
    if owner.kind == "ad":
        return ItemError("invalid_owner", "Only campaigns and ad groups hold budgets")
    if network_id is None:
        return ItemError("object_not_found", f"{owner.kind} {owner.id} does not exist on TikTok")
    if amount is not None and amount < 0:
        return ItemError("invalid_amount", "An amount cannot be negative")
    if amount:
        return ItemError(
            "unsupported",
            "TikTok has no spend allowance; only zero (a pause) is held",
        )
    return None


def _owner_ceiling(row: Mapping[str, Any], flight_end: datetime | None, now: datetime) -> float:
    """The most one budget owner (a `/campaign/get/` or `/adgroup/get/` row) spends in an
    hour, in micro-units; `flight_end` is when a lifetime budget's flight ends."""
    budget = mapping.micros(row.get("budget"))
    if row.get("budget_mode") == mapping.BUDGET_MODES["daily"]:
        return budget * PACING_PEAK / 24
    if row.get("budget_mode") == mapping.BUDGET_MODES["lifetime"]:
        return lifetime_ceiling(budget, flight_end, now)
    return 0.0


def lifetime_ceiling(budget_micros: int, flight_end: datetime | None, now: datetime) -> float:
    """The most a lifetime budget spends in an hour, in micro-units: `PACING_PEAK` times its
    even share of the hours left in its flight (at least one hour), and never more than
    the whole budget; the whole budget when the flight has no end (nothing then bounds
    how fast TikTok may spend it)."""
    if flight_end is None:
        return float(budget_micros)
    hours_left = max((flight_end - now) / HOUR, 1.0)
    return min(float(budget_micros), budget_micros * PACING_PEAK / hours_left)


def _schedule_end(row: Mapping[str, Any]) -> datetime | None:
    """An ad group row's `schedule_end_time` (UTC), or None when it runs from now on."""
    value = row.get("schedule_end_time")
    if not value or row.get("schedule_type") == "SCHEDULE_FROM_NOW":
        return None
    return datetime.strptime(str(value), mapping.TIME_FORMAT).replace(tzinfo=UTC)


def _local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def _floor_hour(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _row_campaign(row: Mapping[str, Any]) -> str:
    return str(row["dimensions"]["campaign_id"])


def _spend(row: Mapping[str, Any]) -> int:
    return mapping.micros((row.get("metrics") or {}).get("spend"))


def _row_instant(row: Mapping[str, Any], zone: ZoneInfo) -> datetime:
    return mapping.report_hour_start(str(row["dimensions"]["stat_time_hour"]), zone)


def _row_day(row: Mapping[str, Any]) -> date:
    """`stat_time_day` ("2026-12-05 00:00:00") as a date."""
    return date.fromisoformat(str(row["dimensions"]["stat_time_day"])[:10])


def _local_days(since: datetime, until: datetime, zone: ZoneInfo) -> list[date]:
    if until <= since:
        return []
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise InvalidSpec(f"Unknown time zone {name!r}", "time_zone") from exc
