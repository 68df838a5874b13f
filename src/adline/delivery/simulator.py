"""The built-in simulated ad network: a deterministic model behind the adapter interface.

`SimulatedNetwork(seed, clock)` accepts the same writes a real network does and delivers
only when told to: `advance_to(instant)` simulates every whole UTC hour that ends by
`instant` (never past the clock). The same seed and the same calls give the same reports.
docs/delivery.md describes each mechanism and its parameters; in short, per ad-hour:

1. which part of the hour the ad may deliver (statuses as they changed over the hour,
   review, starts/ends, the delivery schedule in the account's zone);
2. the budget owner's plan for the hour: what remains today (or of a lifetime budget)
   and of Adline's allowance, spread over the remaining hours by the traffic curve;
3. per ad, a clearing price (market CPM x audience price level x goal x quality x
   saturation x hour), a cost-cap win rate, an inventory ceiling, a Poisson-like draw;
4. the frequency cap and reach (audience pool, `reach.py`);
5. the spend stop (budget, allowance) with its bounded overspend (`pacing.py`);
6. clicks and events from the ad's own rates, shaped by the optimization goal;
7. the hour's report, published `reporting_lag` after the hour, sometimes corrected later.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adline.core.clock import Clock
from adline.delivery import audience, taxonomy
from adline.delivery.adapter import (
    AdGroupSpec,
    AdSpec,
    Bidding,
    Budget,
    CampaignSpec,
    DeliverySchedule,
    IdempotencyConflict,
    InvalidSpec,
    ItemError,
    LifetimeBudget,
    LimitBound,
    ObjectKind,
    ObjectNotFound,
    ObjectRef,
    PixelCheck,
    RateLimited,
    ReportedHour,
    ReviewIssue,
    ReviewOutcome,
    SpendAllowance,
    SpendingLimit,
    Targeting,
    TargetingOption,
    TargetingSearch,
    WriteResult,
)
from adline.delivery.draws import (
    binomial,
    derive_rng,
    hourly_count,
    lognormal_factor,
    stable_digits,
)
from adline.delivery.model import (
    ACTIVE_SHARE,
    CATCH_UP,
    CORRECTION_MINUTES,
    COST_CAP_EXPONENT,
    COST_CAP_PRICE_FLOOR,
    DEFAULT_MARKET_CPM_MICROS,
    HOUR_PRICE_SWING,
    LIFETIME_HORIZON,
    MARKET_CPM_MICROS,
    MAX_CORRECTIONS,
    PRICE_NOISE,
    REVIEW_MINUTES,
    SATURATION_PRICE,
    SLOTS_PER_PERSON_DAY,
    AdTraits,
    corrected,
    draw_events,
    draw_traits,
    goal_shape,
    pick_issue,
    result_rate,
)
from adline.delivery.pacing import (
    CURVE_TOTAL,
    HOUR,
    HOUR_SECONDS,
    TRAFFIC_CURVE,
    Interval,
    LocalPiece,
    Segment,
    WeekWeights,
    between,
    delivered_seconds,
    floor_hour,
    hours_between,
    intersect,
    local_pieces,
    schedule_intervals,
    seconds,
    window,
)
from adline.delivery.reach import (
    capped_delivery,
    new_histogram,
    random_reach_gain,
    resize_histogram,
)

# --- State -------------------------------------------------------------------------------------

# Meta's access tokens start with EAA; the rest is letters and digits (pixel tokens).
PIXEL_TOKEN_PREFIX = "EAA"
PIXEL_TOKEN_BODY = re.compile(r"[0-9A-Za-z]{10,}")

S = TypeVar("S", CampaignSpec, AdGroupSpec, AdSpec)
T = TypeVar("T")


class _Object(Generic[S]):
    """One object on the network: its settings over time (each write takes effect at an
    instant) and when it was deleted."""

    def __init__(self, kind: ObjectKind, network_id: str, effective_at: datetime, spec: S) -> None:
        self.kind: ObjectKind = kind
        self.network_id = network_id
        self.times: list[datetime] = [effective_at]
        self.specs: list[S] = [spec]
        self.deleted_at: datetime | None = None

    @property
    def id(self) -> str:
        return self.specs[0].id

    @property
    def latest(self) -> S:
        return self.specs[-1]

    def add(self, effective_at: datetime, spec: S) -> None:
        if spec == self.specs[-1]:
            return
        index = bisect.bisect_right(self.times, effective_at)
        self.times.insert(index, effective_at)
        self.specs.insert(index, spec)

    def spec_at(self, instant: datetime) -> S:
        """The settings in force at `instant` (the first ones before the object existed)."""
        return self.specs[max(0, bisect.bisect_right(self.times, instant) - 1)]

    def exists_during(self, hour_start: datetime) -> bool:
        if self.times[0] >= hour_start + HOUR:
            return False
        return self.deleted_at is None or self.deleted_at > hour_start

    def active_intervals(self, hour_start: datetime) -> list[Interval]:
        """When during the hour the object was `active` and not deleted."""
        hour_end = hour_start + HOUR
        end_cap = hour_end if self.deleted_at is None else min(hour_end, self.deleted_at)
        first = max(0, bisect.bisect_right(self.times, hour_start) - 1)
        out: list[Interval] = []
        for index in range(first, len(self.times)):
            start = self.times[index]
            if start >= end_cap:
                break
            if self.specs[index].status != "active":
                continue
            end = self.times[index + 1] if index + 1 < len(self.times) else end_cap
            part = between(hour_start, start, min(end, end_cap))
            if part is not None:
                out.append(part)
        return out


@dataclass
class _Review:
    started_at: datetime
    decided_at: datetime
    issue: ReviewIssue | None


@dataclass
class _AdState:
    traits: AdTraits
    reviews: list[_Review] = field(default_factory=list)
    impressions: int = 0
    reach: float = 0.0
    reported_reach: int = 0
    unique_clicks: int = 0
    window_key: int | None = None
    window_reach: float = 0.0


@dataclass
class _Window:
    index: int
    start: date
    impressions: int = 0
    histogram: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class FrequencyWindow:
    """One frequency-cap window of an ad group, as the model saw it."""

    index: int
    start: date
    impressions: int
    people: float
    max_per_person: int


@dataclass
class _GroupState:
    anchor: date | None = None
    window: _Window | None = None
    history: list[_Window] = field(default_factory=list)


@dataclass
class _Allowance:
    effective_at: datetime
    amount: int | None
    counted_from: datetime | None = None
    used: int = 0
    activated: bool = False

    @property
    def counts_earlier(self) -> bool:
        """Whether spend of the hour before the allowance took effect counts against it."""
        return self.counted_from is not None and self.counted_from < self.effective_at


@dataclass
class _OwnerState:
    spend_by_day: dict[date, int] = field(default_factory=dict)
    spend_by_hour: dict[datetime, int] = field(default_factory=dict)
    first_day: date | None = None
    first_hour: datetime | None = None
    first_index: int = 0
    first_day_share: float = 1.0
    lifetime: int = 0
    allowances: list[_Allowance] = field(default_factory=list)

    def allowance_at(self, instant: datetime) -> _Allowance | None:
        times = [entry.effective_at for entry in self.allowances]
        index = bisect.bisect_right(times, instant) - 1
        return self.allowances[index] if index >= 0 else None

    def activate(self, entry: _Allowance, hour_start: datetime) -> None:
        """On first use, count what was spent since `counted_from` in earlier hours (the
        part of an hour after `counted_from`, pro rata)."""
        if entry.activated:
            return
        entry.activated = True
        since = entry.counted_from
        if since is None:
            return
        for hour, spent in self.spend_by_hour.items():
            if hour + HOUR <= since or hour >= hour_start:
                continue
            after = min(HOUR, hour + HOUR - since)
            entry.used += spent if after == HOUR else round(spent * (after / HOUR))


@dataclass(frozen=True)
class _Limit:
    effective_at: datetime
    bounds: tuple[LimitBound, ...]  # none: no limit


@dataclass
class _CampaignLimits:
    """A campaign's hard spending limits over time and what it was billed per hour."""

    entries: list[_Limit] = field(default_factory=list)
    spend_by_hour: dict[datetime, int] = field(default_factory=dict)

    def left(self, hour_start: datetime) -> float | None:
        """What the campaign may still be billed this hour under every limit in force at
        any moment of it (a raise within the hour waits for the next one: the network errs
        on the side of the limit). An hour that overlaps `counted_from` counts whole, and
        the hour's own spend so far (other ad sets of the campaign) counts too."""
        times = [entry.effective_at for entry in self.entries]
        current = bisect.bisect_right(times, hour_start) - 1
        upcoming = bisect.bisect_left(times, hour_start + HOUR)
        left: float | None = None
        for entry in self.entries[max(current, 0) : upcoming]:
            for bound in entry.bounds:
                since = bound.counted_from or entry.effective_at
                counted = sum(
                    spent
                    for hour, spent in self.spend_by_hour.items()
                    if hour + HOUR > since and hour <= hour_start
                )
                remaining = max(float(bound.limit_micros - counted), 0.0)
                left = remaining if left is None else min(left, remaining)
        return left


@dataclass
class _Candidate:
    """An ad that may deliver during part of this hour."""

    ad: _Object[AdSpec]
    group: _Object[AdGroupSpec]
    group_spec: AdGroupSpec
    fraction: float


@dataclass
class _Delivery:
    """One ad's hour while it is being computed."""

    candidate: _Candidate
    rng_key: tuple[object, ...]
    price: int
    impressions: int
    # Set when a hard spending limit cut the hour: the network bills up to the limit exactly.
    spend: int | None = None


@dataclass
class _Report:
    revisions: list[tuple[datetime, ReportedHour]]


@dataclass(frozen=True)
class JournalEntry:
    """One write the network accepted (a new idempotency key): the operation, its key, its
    payload (the spec, the ref, or the tuple of items) and the network's clock at the call.
    The network is a function of its seed, its birth and these entries: replaying them in
    order rebuilds it exactly (docs/delivery.md, "Durable state")."""

    operation: str
    idempotency_key: str
    payload: object
    called_at: datetime


class _FixedClock:
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


# --- The network -------------------------------------------------------------------------------


class SimulatedNetwork:
    """A deterministic ad network for one platform (see the module docstring)."""

    def __init__(
        self,
        seed: int,
        clock: Clock,
        reporting_lag: timedelta = timedelta(minutes=15),
        correction_rate: float = 0.05,
        rejection_rate: float = 0.0,
        *,
        platform: str = "meta",
        notice_delay: timedelta = timedelta(minutes=5),
        propagation_delay: timedelta = timedelta(seconds=30),
        max_writes_per_hour: int | None = None,
    ) -> None:
        if not 0 <= correction_rate <= 1 or not 0 <= rejection_rate <= 1:
            raise ValueError("correction_rate and rejection_rate are probabilities")
        if notice_delay <= timedelta(0) or notice_delay > HOUR:
            raise ValueError("notice_delay must be within (0, 1 h]")
        self.seed = seed
        self.clock = clock
        self.reporting_lag = reporting_lag
        self.correction_rate = correction_rate
        self.rejection_rate = rejection_rate
        self.notice_delay = notice_delay
        self.propagation_delay = propagation_delay
        self.max_writes_per_hour = max_writes_per_hour
        self._platform = platform
        # When a list, every accepted write is appended to it (a durable worker stores it).
        self.journal: list[JournalEntry] | None = None
        self._week_weights: dict[tuple[DeliverySchedule | None, ...], WeekWeights] = {}
        self._zones: dict[str, ZoneInfo] = {}
        self._reset(floor_hour(clock.now()))

    def _reset(self, born_at: datetime) -> None:
        """The network as it is born: nothing written, nothing simulated before `born_at`."""
        self._next_hour = born_at
        self._campaigns: dict[str, _Object[CampaignSpec]] = {}
        self._groups: dict[str, _Object[AdGroupSpec]] = {}
        self._ads: dict[str, _Object[AdSpec]] = {}
        self._groups_of: dict[str, list[str]] = {}
        self._ads_of: dict[str, list[str]] = {}
        self._ad_states: dict[str, _AdState] = {}
        self._group_states: dict[str, _GroupState] = {}
        self._owners: dict[str, _OwnerState] = {}
        self._limits: dict[str, _CampaignLimits] = {}
        self._reports: dict[datetime, list[_Report]] = {}
        self._idempotency: dict[str, tuple[tuple[str, str], object]] = {}
        self._writes: tuple[datetime, int] = (self._next_hour, 0)

    @property
    def platform(self) -> str:
        return self._platform

    @property
    def simulated_until(self) -> datetime:
        """The end of the last simulated hour (the start of the next one)."""
        return self._next_hour

    # --- Writes ----------------------------------------------------------------------------

    async def upsert_campaign(self, spec: CampaignSpec, *, idempotency_key: str) -> WriteResult:
        return self._write(
            "upsert_campaign", idempotency_key, spec, lambda: self._upsert_campaign(spec)
        )

    async def upsert_ad_group(self, spec: AdGroupSpec, *, idempotency_key: str) -> WriteResult:
        return self._write(
            "upsert_ad_group", idempotency_key, spec, lambda: self._upsert_ad_group(spec)
        )

    async def upsert_ad(self, spec: AdSpec, *, idempotency_key: str) -> WriteResult:
        return self._write("upsert_ad", idempotency_key, spec, lambda: self._upsert_ad(spec))

    async def delete_object(self, ref: ObjectRef, *, idempotency_key: str) -> WriteResult:
        return self._write("delete_object", idempotency_key, ref, lambda: self._delete(ref))

    async def set_spend_allowances(
        self, allowances: Sequence[SpendAllowance], *, idempotency_key: str
    ) -> list[WriteResult]:
        items = tuple(allowances)
        return self._write(
            "set_spend_allowances", idempotency_key, items, lambda: self._set_allowances(items)
        )

    def spending_limit_margin(
        self, daily_budget_micros: int, lifetime_budgets: Sequence[LifetimeBudget] = ()
    ) -> int:
        """Limits are exact here, unreported spend included: no margin."""
        return 0

    async def set_spending_limits(
        self, limits: Sequence[SpendingLimit], *, idempotency_key: str
    ) -> list[WriteResult]:
        items = tuple(limits)
        return self._write(
            "set_spending_limits", idempotency_key, items, lambda: self._set_limits(items)
        )

    def _write(
        self,
        operation: str,
        key: str,
        payload: object,
        action: Callable[[], T],
        *,
        replaying: bool = False,
    ) -> T:
        now = self.clock.now()
        if self.max_writes_per_hour is not None and not replaying:
            hour, count = self._writes
            if floor_hour(now) != hour:
                hour, count = floor_hour(now), 0
            if count >= self.max_writes_per_hour:
                raise RateLimited(hour + HOUR - now)
            self._writes = (hour, count + 1)
        fingerprint = (operation, repr(payload))
        if key in self._idempotency:
            stored, result = self._idempotency[key]
            if stored != fingerprint:
                raise IdempotencyConflict(f"Idempotency key {key!r} was used for another write")
            return cast(T, result)
        result = action()
        self._idempotency[key] = (fingerprint, result)
        if self.journal is not None and not replaying:
            self.journal.append(JournalEntry(operation, key, payload, now))
        return result

    # --- Durable state ---------------------------------------------------------------------

    def rebuild(self, born_at: datetime) -> None:
        """Forget every write and every simulated hour: the network as it was born at
        `born_at` (on the hour). Replaying its journal then restores it."""
        _check_aware(born_at)
        if born_at != floor_hour(born_at):
            raise ValueError("A network is born on the hour")
        self._reset(born_at)

    def replay(self, entry: JournalEntry) -> bool:
        """Apply a journaled write again, as it was made at `entry.called_at` (not journaled
        again). False, and nothing done, when the write would take effect within an hour
        this network has already simulated: only `rebuild` and a replay of every entry in
        order give the network the journal describes."""
        _check_aware(entry.called_at)
        if entry.called_at + self.propagation_delay < self._next_hour:
            return False
        actions: dict[str, Callable[[Any], object]] = {
            "upsert_campaign": self._upsert_campaign,
            "upsert_ad_group": self._upsert_ad_group,
            "upsert_ad": self._upsert_ad,
            "delete_object": self._delete,
            "set_spend_allowances": self._set_allowances,
            "set_spending_limits": self._set_limits,
        }
        action = actions[entry.operation]
        clock = self.clock
        self.clock = _FixedClock(entry.called_at)
        try:
            self._write(
                entry.operation,
                entry.idempotency_key,
                entry.payload,
                lambda: action(entry.payload),
                replaying=True,
            )
        finally:
            self.clock = clock
        return True

    def _effective_at(self) -> datetime:
        return max(self.clock.now() + self.propagation_delay, self._next_hour)

    def _pending(self, kind: ObjectKind, obj_id: str, network_id: str, at: datetime) -> WriteResult:
        return WriteResult(kind, obj_id, network_id, "pending", at)

    def _upsert_campaign(self, spec: CampaignSpec) -> WriteResult:
        _check_status(spec.status)
        _check_budget(spec.budget, spec.bidding)
        self._zone(spec.time_zone)
        stored = dataclasses.replace(spec, network_id=None)
        at = self._effective_at()
        existing = self._campaigns.get(spec.id)
        if existing is None:
            network_id = self._network_id("ad_campaign", spec.id)
            self._campaigns[spec.id] = _Object("ad_campaign", network_id, at, stored)
            self._groups_of[spec.id] = []
            return self._pending("ad_campaign", spec.id, network_id, at)
        self._check_updatable(existing, spec.network_id)
        existing.add(at, stored)
        return self._pending("ad_campaign", spec.id, existing.network_id, at)

    def _upsert_ad_group(self, spec: AdGroupSpec) -> WriteResult:
        _check_status(spec.status)
        _check_budget(spec.budget, spec.bidding)
        campaign = self._campaigns.get(spec.campaign_id)
        if campaign is None or campaign.deleted_at is not None:
            raise ObjectNotFound(f"Campaign {spec.campaign_id} does not exist on the network")
        if spec.budget is not None and campaign.latest.budget is not None:
            raise InvalidSpec("The campaign owns the budget (CBO); the ad set takes none", "budget")
        cap = spec.frequency_cap
        if cap is not None and (cap.maximum_impressions < 1 or (cap.per_days or 1) < 1):
            raise InvalidSpec("A frequency cap needs positive numbers", "frequency_cap")
        for entry in spec.schedule.windows if spec.schedule else ():
            if not 0 <= entry.start_hour < entry.end_hour <= 24:
                raise InvalidSpec(
                    "A schedule window needs start < end within the day", "delivery_schedule"
                )
        stored = dataclasses.replace(spec, network_id=None, campaign_network_id=None)
        at = self._effective_at()
        existing = self._groups.get(spec.id)
        if existing is None:
            network_id = self._network_id("ad_group", spec.id)
            self._groups[spec.id] = _Object("ad_group", network_id, at, stored)
            self._groups_of[spec.campaign_id].append(spec.id)
            self._ads_of[spec.id] = []
            self._group_states[spec.id] = _GroupState()
            return self._pending("ad_group", spec.id, network_id, at)
        self._check_updatable(existing, spec.network_id)
        if existing.latest.campaign_id != spec.campaign_id:
            raise InvalidSpec("An ad set cannot move to another campaign", "ad_campaign_id")
        existing.add(at, stored)
        return self._pending("ad_group", spec.id, existing.network_id, at)

    def _upsert_ad(self, spec: AdSpec) -> WriteResult:
        _check_status(spec.status)
        group = self._groups.get(spec.ad_group_id)
        if group is None or group.deleted_at is not None:
            raise ObjectNotFound(f"Ad group {spec.ad_group_id} does not exist on the network")
        stored = dataclasses.replace(spec, network_id=None, ad_group_network_id=None)
        at = self._effective_at()
        existing = self._ads.get(spec.id)
        if existing is None:
            network_id = self._network_id("ad", spec.id)
            ad: _Object[AdSpec] = _Object("ad", network_id, at, stored)
            self._ads[spec.id] = ad
            self._ads_of[spec.ad_group_id].append(spec.id)
            self._ad_states[spec.id] = _AdState(
                draw_traits(
                    derive_rng(self.seed, self._platform, "ad", spec.id),
                    self._platform,
                    spec.creative.format,
                )
            )
            self._start_review(ad, at)
            return self._pending("ad", spec.id, network_id, at)
        self._check_updatable(existing, spec.network_id)
        if existing.latest.ad_group_id != spec.ad_group_id:
            raise InvalidSpec("An ad cannot move to another ad set", "ad_group_id")
        creative_changed = existing.latest.creative != spec.creative
        existing.add(at, stored)
        if creative_changed:
            self._start_review(existing, at)
        return self._pending("ad", spec.id, existing.network_id, at)

    def _delete(self, ref: ObjectRef) -> WriteResult:
        obj = self._object(ref.kind, ref.id)
        if obj is None or (ref.network_id is not None and ref.network_id != obj.network_id):
            raise ObjectNotFound(f"{ref.kind} {ref.id} does not exist on the network")
        if obj.deleted_at is not None:
            return WriteResult(ref.kind, ref.id, obj.network_id, "applied", obj.deleted_at)
        obj.deleted_at = self._effective_at()
        return self._pending(ref.kind, ref.id, obj.network_id, obj.deleted_at)

    def _set_allowances(self, items: tuple[SpendAllowance, ...]) -> list[WriteResult]:
        results: list[WriteResult] = []
        at = self._effective_at()
        for item in items:
            owner = item.owner
            obj = self._object(owner.kind, owner.id) if owner.kind != "ad" else None
            if owner.kind == "ad":
                error = ItemError("invalid_owner", "Only campaigns and ad sets hold budgets")
            elif obj is None or obj.deleted_at is not None:
                error = ItemError("object_not_found", f"{owner.kind} {owner.id} does not exist")
            elif item.remaining_micros is not None and item.remaining_micros < 0:
                error = ItemError("invalid_amount", "An allowance cannot be negative")
            else:
                error = None
            if error is not None or obj is None:
                network_id = obj.network_id if obj is not None else None
                results.append(WriteResult(owner.kind, owner.id, network_id, "failed", None, error))
                continue
            entries = self._owner(owner.id).allowances
            times = [entry.effective_at for entry in entries]
            entries.insert(
                bisect.bisect_right(times, at),
                _Allowance(at, item.remaining_micros, item.counted_from),
            )
            results.append(self._pending(owner.kind, owner.id, obj.network_id, at))
        return results

    def _set_limits(self, items: tuple[SpendingLimit, ...]) -> list[WriteResult]:
        results: list[WriteResult] = []
        at = self._effective_at()
        for item in items:
            obj = self._campaigns.get(item.campaign_id)
            if obj is None or obj.deleted_at is not None:
                error: ItemError | None = ItemError(
                    "object_not_found", f"ad_campaign {item.campaign_id} does not exist"
                )
            elif any(bound.limit_micros < 0 for bound in item.bounds()):
                error = ItemError("invalid_amount", "A spending limit cannot be negative")
            else:
                error = None
            if error is not None or obj is None:
                network_id = obj.network_id if obj is not None else None
                results.append(
                    WriteResult("ad_campaign", item.campaign_id, network_id, "failed", None, error)
                )
                continue
            entries = self._limits.setdefault(item.campaign_id, _CampaignLimits()).entries
            times = [entry.effective_at for entry in entries]
            entries.insert(bisect.bisect_right(times, at), _Limit(at, item.bounds()))
            results.append(self._pending("ad_campaign", item.campaign_id, obj.network_id, at))
        return results

    def billed_by_hour(self, campaign_id: str) -> dict[datetime, int]:
        """What the network billed the campaign per UTC hour (before any later refund)."""
        limits = self._limits.get(campaign_id)
        return {} if limits is None else dict(limits.spend_by_hour)

    def spending_limit_left(self, campaign_id: str, hour_start: datetime) -> float | None:
        """What the campaign may still be billed in the hour starting at `hour_start`."""
        limits = self._limits.get(campaign_id)
        return None if limits is None else limits.left(hour_start)

    def _check_updatable(self, obj: _Object[S], network_id: str | None) -> None:
        if obj.deleted_at is not None:
            raise ObjectNotFound(f"{obj.kind} {obj.id} was deleted on the network")
        if network_id is not None and network_id != obj.network_id:
            raise ObjectNotFound(f"{obj.kind} {obj.id} has another network id")

    def _object(
        self, kind: ObjectKind, obj_id: str
    ) -> _Object[CampaignSpec] | _Object[AdGroupSpec] | _Object[AdSpec] | None:
        if kind == "ad_campaign":
            return self._campaigns.get(obj_id)
        if kind == "ad_group":
            return self._groups.get(obj_id)
        return self._ads.get(obj_id)

    def _network_id(self, kind: ObjectKind, obj_id: str) -> str:
        prefix = {"meta": "1202", "tiktok": "17"}.get(self._platform, "9")
        return prefix + stable_digits(18 - len(prefix), self.seed, self._platform, kind, obj_id)

    def _zone(self, name: str) -> ZoneInfo:
        zone = self._zones.get(name)
        if zone is None:
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise InvalidSpec(f"Unknown time zone {name!r}", "time_zone") from exc
            self._zones[name] = zone
        return zone

    def allowance_in_force(self, owner_id: str, at: datetime) -> int | None:
        """The spend allowance the network holds for a budget owner at `at`, in micros (None:
        no allowance, or one without a limit), as a network's budget read would show it."""
        entry = self._owner(owner_id).allowance_at(at)
        return None if entry is None else entry.amount

    def _owner(self, owner_id: str) -> _OwnerState:
        state = self._owners.get(owner_id)
        if state is None:
            state = self._owners[owner_id] = _OwnerState()
        return state

    # --- Reads -----------------------------------------------------------------------------

    async def pull_stats(self, since: datetime, until: datetime) -> list[ReportedHour]:
        _check_aware(since, until)
        now = self.clock.now()
        rows: list[ReportedHour] = []
        # Each hour's reports are sorted by ad when the hour is simulated (_simulate_hour),
        # and revisions by when they are published: the rows come out by (hour, ad).
        for hour_start in sorted(self._reports):
            if not since <= hour_start < until:
                continue
            for report in self._reports[hour_start]:
                revisions = report.revisions
                if revisions[-1][0] <= now:
                    rows.append(revisions[-1][1])
                    continue
                published = [row for at, row in revisions if at <= now]
                if published:
                    rows.append(published[-1])
        return rows

    async def pull_review_outcomes(self, since: datetime | None = None) -> list[ReviewOutcome]:
        now = self.clock.now()
        outcomes: list[ReviewOutcome] = []
        for ad_id, state in self._ad_states.items():
            decided = [review for review in state.reviews if review.decided_at <= now]
            if not decided:
                continue
            review = decided[-1]
            if since is not None and review.decided_at < since:
                continue
            outcomes.append(
                ReviewOutcome(
                    ad_id=ad_id,
                    network_id=self._ads[ad_id].network_id,
                    status="approved" if review.issue is None else "rejected",
                    decided_at=review.decided_at,
                    issue=review.issue,
                )
            )
        outcomes.sort(key=lambda outcome: (outcome.decided_at, outcome.ad_id))
        return outcomes

    async def estimate_reach(self, targeting: Targeting) -> tuple[int | None, int | None]:
        return audience.reach_estimate(targeting, self._platform)

    async def search_targeting_options(self, search: TargetingSearch) -> list[TargetingOption]:
        return taxonomy.search(search, self._platform)

    async def check_pixel_token(self, pixel_external_id: str, access_token: str) -> PixelCheck:
        """The simulated rule (docs/pixels.md#the-simulated-network): a token passes when it
        has the shape of a Meta access token (`EAA` then at least 10 letters or digits),
        and one whose body starts with `invalid` is refused as revoked. No state: the same
        token answers the same every time."""
        body = access_token[len(PIXEL_TOKEN_PREFIX) :]
        if not access_token.startswith(PIXEL_TOKEN_PREFIX) or not PIXEL_TOKEN_BODY.fullmatch(body):
            return PixelCheck(
                False, error_message="Invalid OAuth access token: cannot parse access token."
            )
        if body.lower().startswith("invalid"):
            return PixelCheck(
                False,
                error_message="Error validating access token: the session has been invalidated.",
            )
        return PixelCheck(True, name=f"Simulated pixel {pixel_external_id}")

    # --- Introspection (tests, demos) --------------------------------------------------------

    def audience_size(self, ad_group_id: str) -> int:
        return audience.audience_size(self._groups[ad_group_id].latest.targeting, self._platform)

    def billed_spend_micros(self, owner_id: str, day: date | None = None) -> int:
        """What the network charged a budget owner (on one local day, or in all)."""
        state = self._owner(owner_id)
        return state.lifetime if day is None else state.spend_by_day.get(day, 0)

    def frequency_windows(self, ad_group_id: str) -> list[FrequencyWindow]:
        return [
            FrequencyWindow(
                index=entry.index,
                start=entry.start,
                impressions=entry.impressions,
                people=sum(entry.histogram[1:]),
                max_per_person=max(
                    (seen for seen, count in enumerate(entry.histogram) if count > 1e-9),
                    default=0,
                ),
            )
            for entry in self._group_states[ad_group_id].history
        ]

    def ad_traits(self, ad_id: str) -> AdTraits:
        return self._ad_states[ad_id].traits

    # --- Simulation ------------------------------------------------------------------------

    def advance_to(self, instant: datetime) -> None:
        """Simulate every whole hour that ends at or before `instant` (at most the clock)."""
        _check_aware(instant)
        if instant > self.clock.now():
            raise ValueError("A network cannot deliver in the future: advance_to(<= clock.now())")
        while self._next_hour + HOUR <= instant:
            self._simulate_hour(self._next_hour)
            self._next_hour += HOUR

    def _simulate_hour(self, hour_start: datetime) -> None:
        self._deliver_hour(hour_start)
        # The hour's reports are final: sorted by ad once, pull_stats reads them in order.
        self._reports.get(hour_start, []).sort(key=lambda report: report.revisions[0][1].ad_id)

    def _deliver_hour(self, hour_start: datetime) -> None:
        pieces_by_zone: dict[str, tuple[LocalPiece, ...]] = {}
        for campaign in self._campaigns.values():
            if not campaign.exists_during(hour_start):
                continue
            spec = campaign.spec_at(hour_start)
            active = intersect(
                campaign.active_intervals(hour_start),
                window(hour_start, spec.starts_at, spec.ends_at),
            )
            if not active:
                continue
            pieces = pieces_by_zone.get(spec.time_zone)
            if pieces is None:
                pieces = pieces_by_zone[spec.time_zone] = local_pieces(
                    hour_start, self._zone(spec.time_zone)
                )
            candidates = self._candidates(campaign.id, hour_start, active, pieces)
            if not candidates:
                continue
            if spec.budget is not None:
                groups = {c.group.id: c.group_spec for c in candidates}
                self._deliver(
                    hour_start,
                    pieces,
                    campaign.id,
                    spec.budget,
                    spec.bidding,
                    spec.ends_at,
                    [group.schedule for group in groups.values()],
                    candidates,
                )
                continue
            by_group: dict[str, list[_Candidate]] = {}
            for candidate in candidates:
                by_group.setdefault(candidate.group.id, []).append(candidate)
            for group_id, group_candidates in by_group.items():
                group_spec = group_candidates[0].group_spec
                if group_spec.budget is None:
                    continue
                self._deliver(
                    hour_start,
                    pieces,
                    group_id,
                    group_spec.budget,
                    group_spec.bidding or Bidding(),
                    _earliest(spec.ends_at, group_spec.ends_at),
                    [group_spec.schedule],
                    group_candidates,
                )

    def _candidates(
        self,
        campaign_id: str,
        hour_start: datetime,
        campaign_active: list[Interval],
        pieces: tuple[LocalPiece, ...],
    ) -> list[_Candidate]:
        out: list[_Candidate] = []
        for group_id in self._groups_of[campaign_id]:
            group = self._groups[group_id]
            if not group.exists_during(hour_start):
                continue
            group_spec = group.spec_at(hour_start)
            active = intersect(campaign_active, group.active_intervals(hour_start))
            active = intersect(active, window(hour_start, group_spec.starts_at, group_spec.ends_at))
            active = intersect(active, schedule_intervals(group_spec.schedule, pieces))
            if not active:
                continue
            for ad_id in self._ads_of[group_id]:
                ad = self._ads[ad_id]
                if not ad.exists_during(hour_start):
                    continue
                ad_active = intersect(active, ad.active_intervals(hour_start))
                ad_active = intersect(ad_active, self._approved_intervals(ad_id, hour_start))
                fraction = seconds(ad_active) / HOUR_SECONDS
                if fraction > 0:
                    out.append(_Candidate(ad, group, group_spec, fraction))
        return out

    def _approved_intervals(self, ad_id: str, hour_start: datetime) -> list[Interval]:
        reviews = self._ad_states[ad_id].reviews
        out: list[Interval] = []
        for index, review in enumerate(reviews):
            if review.issue is not None:
                continue
            until = reviews[index + 1].started_at if index + 1 < len(reviews) else None
            part = between(hour_start, review.decided_at, until)
            if part is not None:
                out.append(part)
        return out

    def _deliver(
        self,
        hour_start: datetime,
        pieces: tuple[LocalPiece, ...],
        owner_id: str,
        budget: Budget,
        bidding: Bidding,
        owner_end: datetime | None,
        schedules: list[DeliverySchedule | None],
        candidates: list[_Candidate],
    ) -> None:
        """One budget owner's hour: pace, price, draw, cap, stop, then report."""
        owner = self._owner(owner_id)
        local = pieces[0]
        hour_end = hour_start + HOUR

        # Pacing: this hour's share of what remains, by the traffic curve.
        activity = max(candidate.fraction for candidate in candidates)
        now_weight = TRAFFIC_CURVE[local.hour] * activity
        key = tuple(schedules) if all(s is not None for s in schedules) else (None,)
        week = self._week_weights.get(key)
        if week is None:
            week = self._week_weights[key] = WeekWeights(key)
        if budget.budget_type == "daily":
            later = 23 - local.hour
        else:
            later = hours_between(hour_end, owner_end or hour_start + LIFETIME_HORIZON)
        if owner_end is not None:
            later = min(later, hours_between(hour_end, owner_end))
        future = week.sum_from(local.weekday * 24 + local.hour + 1, later)

        if owner.first_hour is None:
            owner.first_hour = hour_start
            owner.first_index = local.weekday * 24 + local.hour
        if budget.budget_type == "daily":
            day_weight = week.sum_from(local.weekday * 24, 24)
            if owner.first_day is None:
                # A first day that starts late gets the share of the budget its hours weigh.
                owner.first_day = local.day
                owner.first_day_share = min(1.0, (now_weight + future) / day_weight)
            day_budget = budget.amount_micros
            if local.day == owner.first_day:
                day_budget = round(day_budget * owner.first_day_share)
            budget_left = day_budget - owner.spend_by_day.get(local.day, 0)
            nominal = budget.amount_micros * now_weight / day_weight
        else:
            budget_left = budget.amount_micros - owner.lifetime
            nominal = math.inf
            if owner_end is not None:
                flight = week.sum_from(
                    owner.first_index, hours_between(owner.first_hour, owner_end)
                )
                if flight > 0:
                    nominal = budget.amount_micros * now_weight / flight
        allowance = owner.allowance_at(hour_start)
        starting = [
            entry for entry in owner.allowances if hour_start < entry.effective_at < hour_end
        ]
        for entry in ([allowance] if allowance else []) + starting:
            owner.activate(entry, hour_start)
        target = float(budget_left)
        if allowance is not None and allowance.amount is not None:
            target = min(target, allowance.amount - allowance.used)
        if target <= 0:
            return
        # Behind plan (a pause, a cost cap), the pacer catches up, but at most CATCH_UP x the
        # hour's nominal share of the budget.
        planned = min(target * now_weight / (now_weight + future), CATCH_UP * nominal)

        # Split the plan over groups (minimum daily spends first) and their ads by quality.
        ad_weight = {
            c.ad.id: self._ad_states[c.ad.id].traits.quality ** 1.5 * c.fraction for c in candidates
        }
        group_weight: dict[str, float] = {}
        for candidate in candidates:
            group_id = candidate.group.id
            group_weight[group_id] = group_weight.get(group_id, 0.0) + ad_weight[candidate.ad.id]
        group_share = _group_shares(group_weight, candidates, budget)

        deliveries: list[_Delivery] = []
        for candidate in candidates:
            group_id = candidate.group.id
            within = ad_weight[candidate.ad.id] / group_weight[group_id]
            deliveries.append(
                self._draw_ad_hour(
                    hour_start,
                    local,
                    candidate,
                    planned * group_share[group_id] * within,
                    within,
                    bidding,
                )
            )

        # Frequency caps (per ad group), then the spend stop (per owner).
        self._apply_frequency_caps(deliveries, local.day, final=False)
        unthrottled = sum(d.impressions * d.price for d in deliveries)
        segments = [Segment(0.0, _left(allowance))]
        for entry in starting:
            offset = (entry.effective_at - hour_start).total_seconds()
            segments.append(Segment(offset, _left(entry), entry.counts_earlier))
        delivered = delivered_seconds(
            unthrottled, budget_left, segments, self.notice_delay.total_seconds()
        )
        fraction = sum(delivered) / HOUR_SECONDS
        if fraction < 1:
            for delivery in deliveries:
                delivery.impressions = round(delivery.impressions * fraction)
        self._apply_frequency_caps(deliveries, local.day, final=True)
        campaign_id = candidates[0].group_spec.campaign_id
        limits = self._limits.setdefault(campaign_id, _CampaignLimits())
        _cut_to_limit(deliveries, limits.left(hour_start))

        spend = 0
        for delivery in deliveries:
            spend += self._record_ad_hour(hour_start, delivery)
        if spend <= 0:
            return
        limits.spend_by_hour[hour_start] = limits.spend_by_hour.get(hour_start, 0) + spend
        owner.lifetime += spend
        owner.spend_by_day[local.day] = owner.spend_by_day.get(local.day, 0) + spend
        owner.spend_by_hour[hour_start] = spend
        # Charge each allowance for the spend made while it was in force (and, counting
        # from before it took effect, for this hour's earlier spend).
        entries: list[_Allowance | None] = [allowance, *starting]
        total_seconds = sum(delivered)
        charged = 0
        cumulative = 0.0
        for in_force, part in zip(entries, delivered, strict=True):
            earlier = charged
            cumulative += part
            share = round(spend * cumulative / total_seconds) - charged
            charged += share
            if in_force is not None:
                in_force.used += share + (earlier if in_force.counts_earlier else 0)

    def _draw_ad_hour(
        self,
        hour_start: datetime,
        local: LocalPiece,
        candidate: _Candidate,
        planned: float,
        within_group: float,
        bidding: Bidding,
    ) -> _Delivery:
        """Price and impressions of one ad's hour, before caps and the stop."""
        group_spec = candidate.group_spec
        state = self._ad_states[candidate.ad.id]
        traits = state.traits
        targeting = group_spec.targeting
        pool = audience.audience_size(targeting, self._platform) * ACTIVE_SHARE
        shape = goal_shape(group_spec.optimization_goal)
        rng_key: tuple[object, ...] = (
            self.seed,
            self._platform,
            "hour",
            candidate.ad.id,
            hour_start.isoformat(),
        )
        rng = derive_rng(*rng_key, "price")
        inventory = audience.inventory_share(targeting, self._platform)
        market = MARKET_CPM_MICROS.get(self._platform, DEFAULT_MARKET_CPM_MICROS) / 1000
        price = (
            market
            * audience.price_level(targeting)
            * shape.cpm
            * (1 + 0.2 * (1 - inventory))
            * (1 - HOUR_PRICE_SWING / 2 + HOUR_PRICE_SWING * TRAFFIC_CURVE[local.hour])
            * (1 + SATURATION_PRICE * min(1.0, state.reach / pool if pool > 0 else 1.0))
            * traits.quality**-0.3
            * lognormal_factor(rng, PRICE_NOISE)
        )
        # Cost caps: bid down when the market cost per result exceeds the target.
        win = 1.0
        target = (group_spec.bidding.target_micros if group_spec.bidding else None) or (
            bidding.target_micros
        )
        if bidding.bid_type != "minimum_cost" and target:
            rate = result_rate(traits, group_spec)
            if rate > 0:
                ratio = target / (price / rate)
                if ratio < 1:
                    win = ratio ** COST_CAP_EXPONENT[bidding.bid_type]
                    floor = COST_CAP_PRICE_FLOOR[bidding.bid_type]
                    price *= floor + (1 - floor) * ratio
        price_micros = max(1, round(price))
        from_budget = planned / price_micros
        from_inventory = (
            pool
            * SLOTS_PER_PERSON_DAY
            * TRAFFIC_CURVE[local.hour]
            / CURVE_TOTAL
            * inventory
            * candidate.fraction
            * within_group
        )
        mean = min(from_budget, from_inventory) * win
        impressions = hourly_count(rng, mean)
        return _Delivery(candidate, rng_key, price_micros, impressions)

    def _apply_frequency_caps(self, deliveries: list[_Delivery], day: date, *, final: bool) -> None:
        """Trim each capped group's impressions to what its people may still see; with
        `final`, also move the group's window histogram and each ad's window reach."""
        by_group: dict[str, list[_Delivery]] = {}
        for delivery in deliveries:
            by_group.setdefault(delivery.candidate.group.id, []).append(delivery)
        for group_id, group_deliveries in by_group.items():
            group_spec = group_deliveries[0].candidate.group_spec
            cap = group_spec.frequency_cap
            if cap is None:
                continue
            pool = audience.audience_size(group_spec.targeting, self._platform) * ACTIVE_SHARE
            state = self._group_states[group_id]
            current = self._window(state, cap.per_days, day, pool, cap.maximum_impressions)
            wanted = sum(d.impressions for d in group_deliveries)
            served, after = capped_delivery(current.histogram, float(wanted))
            if not final:
                if served < wanted:
                    for delivery in group_deliveries:
                        delivery.impressions = math.floor(delivery.impressions * served / wanted)
                continue
            new_people = current.histogram[0] - after[0]
            current.histogram = after
            current.impressions += wanted
            for delivery in group_deliveries:
                ad_state = self._ad_states[delivery.candidate.ad.id]
                if ad_state.window_key != current.index:
                    ad_state.window_key, ad_state.window_reach = current.index, 0.0
                window_new = new_people * delivery.impressions / wanted if wanted else 0.0
                # People new to the window are new to the ad unless it reached them earlier.
                unseen = max(0.0, pool - ad_state.reach)
                not_in_window = max(1e-9, pool - ad_state.window_reach)
                ad_state.window_reach += window_new
                ad_state.reach += min(window_new, window_new * unseen / not_in_window)

    def _window(
        self, state: _GroupState, per_days: int | None, day: date, pool: float, cap: int
    ) -> _Window:
        if state.anchor is None:
            state.anchor = day
        index = 0 if per_days is None else (day - state.anchor).days // per_days
        current = state.window
        if current is None or current.index != index:
            start = state.anchor + timedelta(days=index * (per_days or 0))
            current = _Window(index, start, histogram=new_histogram(pool, cap))
            state.window = current
            state.history.append(current)
        else:
            current.histogram = resize_histogram(current.histogram, pool, cap)
        return current

    def _record_ad_hour(self, hour_start: datetime, delivery: _Delivery) -> int:
        """Clicks, events and reach of the final impressions; store the report. Returns spend."""
        impressions = delivery.impressions
        if impressions <= 0:
            return 0
        candidate = delivery.candidate
        group_spec = candidate.group_spec
        state = self._ad_states[candidate.ad.id]
        traits = state.traits
        shape = goal_shape(group_spec.optimization_goal)
        rng = derive_rng(*delivery.rng_key, "outcome")
        pool = audience.audience_size(group_spec.targeting, self._platform) * ACTIVE_SHARE

        if group_spec.frequency_cap is None:
            state.reach += random_reach_gain(pool, state.reach, impressions)
        state.impressions += impressions
        reach_total = min(state.impressions, round(state.reach))
        new_reach = max(0, min(impressions, reach_total - state.reported_reach))
        state.reported_reach += new_reach
        frequency = state.impressions / max(1, state.reported_reach)

        fatigue = 1 / (1 + 0.15 * max(0.0, frequency - 1))
        ctr = traits.ctr * shape.ctr * fatigue
        clicks = binomial(rng, impressions, min(0.5, ctr))
        link_clicks = binomial(rng, clicks, traits.link_share)
        first_click = 0.95 / (1 + 0.3 * max(0.0, frequency - 1))
        unique_clicks = binomial(rng, clicks, first_click)
        unique_clicks = max(0, min(unique_clicks, state.reported_reach - state.unique_clicks))
        state.unique_clicks += unique_clicks
        counts, values = draw_events(rng, traits, group_spec, clicks, link_clicks)

        spend = impressions * delivery.price if delivery.spend is None else delivery.spend
        row = ReportedHour(
            ad_id=candidate.ad.id,
            hour_start=hour_start,
            impressions=impressions,
            reach=new_reach,
            clicks=clicks,
            unique_clicks=unique_clicks,
            link_clicks=link_clicks,
            spend_micros=spend,
            event_counts=counts,
            event_value_micros=values,
            revision=1,
        )
        published = hour_start + HOUR + self.reporting_lag
        revisions = [(published, row)]
        correction_rng = derive_rng(*delivery.rng_key, "correction")
        for revision in range(2, 2 + MAX_CORRECTIONS):
            if correction_rng.random() >= self.correction_rate:
                break
            published += timedelta(minutes=correction_rng.randint(*CORRECTION_MINUTES))
            row = corrected(correction_rng, row, revision, traits)
            revisions.append((published, row))
        self._reports.setdefault(hour_start, []).append(_Report(revisions))
        return spend

    def _start_review(self, ad: _Object[AdSpec], at: datetime) -> None:
        state = self._ad_states[ad.id]
        rng = derive_rng(self.seed, self._platform, "review", ad.id, len(state.reviews) + 1)
        low, high = REVIEW_MINUTES
        decided = at + timedelta(seconds=rng.randint(low * 60, high * 60))
        issue = pick_issue(rng) if rng.random() < self.rejection_rate else None
        state.reviews.append(_Review(at, decided, issue))


# --- Helpers -----------------------------------------------------------------------------------


def _check_status(status: str) -> None:
    if status not in ("active", "paused"):
        raise InvalidSpec(f"Unknown status {status!r}", "status")


def _check_budget(budget: Budget | None, bidding: Bidding | None) -> None:
    if budget is not None and budget.amount_micros < 0:
        raise InvalidSpec("A budget cannot be negative", "budget_amount")
    if bidding is not None and bidding.target_micros is not None and bidding.target_micros <= 0:
        raise InvalidSpec("A cost target must be positive", "desired_cost_per_result")


def _check_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None:
            raise ValueError("Instants must be timezone-aware")


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    present = [instant for instant in (first, second) if instant is not None]
    return min(present) if present else None


def _cut_to_limit(deliveries: list[_Delivery], left: float | None) -> None:
    """Stop the hour where a hard spending limit is reached, billing exactly up to it: the
    impressions shrink pro rata and the last, partly served impression is billed for what
    the limit still allows (so a campaign at its limit has spent the limit, to the micro)."""
    if left is None:
        return
    total = sum(d.impressions * d.price for d in deliveries)
    if total <= left:
        return
    allowed = math.floor(left)
    scale = left / total
    served = [d for d in deliveries if d.impressions > 0]
    for delivery in served:
        delivery.impressions = math.floor(delivery.impressions * scale)
    billed = sum(d.impressions * d.price for d in served)
    # The rounding left over goes to the ad that was serving most, as one more impression.
    if served and allowed > billed:
        last = max(served, key=lambda d: (d.impressions, d.price))
        last.spend = last.impressions * last.price + (allowed - billed)
        last.impressions += 1
    for delivery in served:
        if delivery.spend is None:
            delivery.spend = delivery.impressions * delivery.price


def _left(entry: _Allowance | None) -> float | None:
    if entry is None or entry.amount is None:
        return None
    return float(entry.amount - entry.used)


def _group_shares(
    group_weight: dict[str, float], candidates: list[_Candidate], budget: Budget
) -> dict[str, float]:
    """Each group's share of the owner's plan: by its ads' weight, with minimum daily spends
    (CBO, daily budgets) raised to their share of the budget first."""
    total = sum(group_weight.values())
    shares = {group_id: weight / total for group_id, weight in group_weight.items()}
    if budget.budget_type != "daily" or budget.amount_micros <= 0 or len(shares) < 2:
        return shares
    floors: dict[str, float] = {}
    for candidate in candidates:
        minimum = candidate.group_spec.minimum_daily_spend_micros
        if minimum:
            floors[candidate.group.id] = min(1.0, minimum / budget.amount_micros)
    raised = {g: f for g, f in floors.items() if f > shares[g]}
    if not raised:
        return shares
    fixed = sum(raised.values())
    if fixed >= 1:
        return {g: raised.get(g, 0.0) / fixed for g in shares}
    rest = sum(share for g, share in shares.items() if g not in raised)
    return {
        g: raised[g] if g in raised else share * (1 - fixed) / rest for g, share in shares.items()
    }
