"""The platform adapter interface: what Adline asks of an ad network.

Adline keeps the truth about campaigns, ad groups and ads; an adapter pushes the settings a
network needs (`upsert_*`, `delete_object`), tells it how much each budget owner may still
spend (`set_spend_allowances`), and pulls back what happened (`pull_stats`,
`pull_review_outcomes`). The shapes are built for real HTTP networks (Meta, TikTok):

- writes carry an **idempotency key**: repeating a write with the same key and the same
  payload returns the first answer without doing it twice; the same key with another
  payload raises `IdempotencyConflict`;
- creates return the **network-side id**; later writes send it back (`network_id`);
- networks are **eventually consistent**: a write answers `pending` with the instant it is
  expected to take effect, not necessarily `applied`;
- **rate limits** raise `RateLimited(retry_after)`; other retryable failures raise
  `TransientError`; a network refusing a setting raises `InvalidSpec`;
- batch writes (`set_spend_allowances`) answer **per item**: one unknown owner fails its
  own item, not the batch.

Every amount is integer micro-units of the account's currency; every instant is an aware
UTC datetime. docs/delivery.md describes the interface and how real adapters map to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

ObjectKind = Literal["ad_campaign", "ad_group", "ad"]
RunStatus = Literal["active", "paused"]
BudgetType = Literal["daily", "lifetime"]
BidType = Literal["minimum_cost", "average_target", "maximum_target"]
Gender = Literal["all", "male", "female"]
CreativeFormat = Literal["image", "video", "carousel", "existing_post"]
WriteState = Literal["pending", "applied", "failed"]
ReviewStatus = Literal["approved", "rejected"]
IssueCategory = Literal[
    "policy_rejection", "creative_media", "audience_targeting", "ad_volume_limit"
]
# Kinds of targeting option a network's taxonomy holds (spec C.21), in the SDK's order: the
# detailed ones, then languages and locations.
DetailedTargetingOptionType = Literal[
    "interests",
    "behaviors",
    "life_events",
    "industries",
    "income",
    "family_statuses",
    "work_employers",
    "work_positions",
    "education_schools",
    "education_majors",
]
TargetingOptionType = Literal[DetailedTargetingOptionType, "languages", "locations"]
LocationType = Literal[
    "country", "region", "city", "zip", "neighborhood", "subcity", "medium_geo_area"
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- Settings Adline syncs ---------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectRef:
    """One object on the network: its Adline id and, once created, its network id."""

    kind: ObjectKind
    id: str
    network_id: str | None = None


@dataclass(frozen=True)
class Budget:
    """The budget of the level that owns it (the campaign under CBO, else the ad group)."""

    budget_type: BudgetType
    amount_micros: int


@dataclass(frozen=True)
class Bidding:
    """How the owner bids. `target_micros` is the desired cost per result: the average to
    hold (`average_target`) or the cap never to exceed (`maximum_target`); None for
    `minimum_cost`. Under CBO an ad group may carry its own target (its bid type is the
    campaign's)."""

    bid_type: BidType = "minimum_cost"
    target_micros: int | None = None


@dataclass(frozen=True)
class ScheduleWindow:
    """Delivery allowed on `day` from `start_hour`:00 to `end_hour`:00 (24 = midnight)."""

    day: str
    start_hour: int
    end_hour: int


@dataclass(frozen=True)
class DeliverySchedule:
    """Weekly delivery windows in the account's time zone; hours not covered don't deliver."""

    windows: tuple[ScheduleWindow, ...]

    @classmethod
    def from_api(
        cls, value: Mapping[str, Sequence[Mapping[str, str]]] | None
    ) -> DeliverySchedule | None:
        """From the stored API shape `{monday: [{start: "09:00", end: "17:00"}], ...}`."""
        if value is None:
            return None
        windows = [
            ScheduleWindow(day, int(window["start"][:2]), int(window["end"][:2]))
            for day in WEEKDAYS
            for window in value.get(day) or ()
        ]
        return cls(tuple(windows))

    def allows(self, weekday: int, hour: int) -> bool:
        """Whether local hour `hour` (0-23) of `weekday` (0 = Monday) delivers."""
        day = WEEKDAYS[weekday]
        return any(w.day == day and w.start_hour <= hour < w.end_hour for w in self.windows)


@dataclass(frozen=True)
class FrequencyCap:
    """At most `maximum_impressions` per person per `per_days` days (None: the whole run)."""

    maximum_impressions: int
    per_days: int | None = None

    @classmethod
    def from_api(cls, value: Mapping[str, Any] | None) -> FrequencyCap | None:
        if value is None:
            return None
        return cls(int(value["maximum_impressions"]), value.get("per_days"))


@dataclass(frozen=True)
class CustomLocation:
    latitude: float
    longitude: float
    radius: float
    distance_unit: Literal["mile", "kilometer"] = "mile"
    country_code: str | None = None


@dataclass(frozen=True)
class GeoSelection:
    """Included or excluded places (API `GeoLocations`); cities and zips by network key."""

    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    zips: tuple[str, ...] = ()
    country_groups: tuple[str, ...] = ()
    custom_locations: tuple[CustomLocation, ...] = ()

    @classmethod
    def from_api(cls, value: Mapping[str, Any] | None) -> GeoSelection:
        value = value or {}
        return cls(
            countries=tuple(value.get("countries") or ()),
            regions=tuple(value.get("regions") or ()),
            cities=tuple(_key(city) for city in value.get("cities") or ()),
            zips=tuple(_key(code) for code in value.get("zips") or ()),
            country_groups=tuple(value.get("country_groups") or ()),
            custom_locations=tuple(
                CustomLocation(
                    latitude=float(place["latitude"]),
                    longitude=float(place["longitude"]),
                    radius=float(place["radius"]),
                    distance_unit=place.get("distance_unit") or "mile",
                    country_code=place.get("country_code"),
                )
                for place in value.get("custom_locations") or ()
            ),
        )


def _key(value: Any) -> str:
    return str(value["key"]) if isinstance(value, Mapping) else str(value)


@dataclass(frozen=True)
class OperatingSystem:
    os: Literal["ios", "android"]
    minimum_version: str | None = None


@dataclass(frozen=True)
class PlacementSelection:
    """One placement platform (facebook, instagram, ...) and its positions (empty: all)."""

    platform: str
    positions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Targeting:
    """Who an ad group may reach. Empty tuples mean "no restriction"."""

    include: GeoSelection = field(default_factory=GeoSelection)
    exclude: GeoSelection = field(default_factory=GeoSelection)
    minimum_age: int | None = None
    maximum_age: int | None = None
    gender: Gender = "all"
    # Advantage+ style: age and gender are suggestions, the network looks wider.
    automatic: bool = False
    languages: tuple[str, ...] = ()
    device_platforms: tuple[str, ...] = ()
    operating_systems: tuple[OperatingSystem, ...] = ()
    # Detailed targeting (entries are OR'd): interest, behavior and demographic ids.
    interests: tuple[str, ...] = ()
    behaviors: tuple[str, ...] = ()
    demographic_ids: tuple[str, ...] = ()
    # (type, id) of each of `demographic_ids` as the API stores it: `life_events`,
    # `industries`, `income`, ... (Meta files each under that key). Empty in specs journaled
    # before types were carried.
    demographic_categories: tuple[tuple[str, str], ...] = ()
    audiences_include: tuple[str, ...] = ()
    audiences_exclude: tuple[str, ...] = ()
    # (audience id, people the network matched) for the saved audiences above: their sizes
    # as of the description. An audience missing here (a spec journaled before Adline kept
    # audiences) gets the audience model's fixed size per id.
    audience_sizes: tuple[tuple[str, int], ...] = ()
    # None: automatic placements.
    placements: tuple[PlacementSelection, ...] | None = None

    @classmethod
    def from_api(
        cls,
        *,
        regions: Mapping[str, Any] | None = None,
        demographics: Mapping[str, Any] | None = None,
        languages: Sequence[str] = (),
        devices: Mapping[str, Any] | None = None,
        detailed_targeting: Mapping[str, Any] | None = None,
        audiences: Mapping[str, Any] | None = None,
        placements: Sequence[Mapping[str, Any]] | None = None,
        audience_sizes: Mapping[str, int] | None = None,
    ) -> Targeting:
        """From an ad group's stored settings (their API shapes, `placements` None for
        automatic), and the matched sizes of the saved audiences they name."""
        regions = regions or {}
        demographics = demographics or {}
        devices = devices or {}
        detailed = detailed_targeting or {}
        audiences = audiences or {}
        return cls(
            include=GeoSelection.from_api(regions.get("include")),
            exclude=GeoSelection.from_api(regions.get("exclude")),
            minimum_age=demographics.get("minimum_age"),
            maximum_age=demographics.get("maximum_age"),
            gender=demographics.get("gender") or "all",
            automatic=bool(demographics.get("automatic")),
            languages=tuple(languages),
            device_platforms=tuple(devices.get("platforms") or ()),
            operating_systems=tuple(
                OperatingSystem(entry["os"], entry.get("minimum_version"))
                for entry in devices.get("operating_systems") or ()
            ),
            interests=tuple(str(entry["id"]) for entry in detailed.get("interests") or ()),
            behaviors=tuple(str(entry["id"]) for entry in detailed.get("behaviors") or ()),
            demographic_ids=tuple(str(entry["id"]) for entry in detailed.get("demographics") or ()),
            demographic_categories=tuple(
                (str(entry["type"]), str(entry["id"]))
                for entry in detailed.get("demographics") or ()
            ),
            audiences_include=tuple(audiences.get("include") or ()),
            audiences_exclude=tuple(audiences.get("exclude") or ()),
            audience_sizes=tuple(sorted((audience_sizes or {}).items())),
            placements=(
                None
                if placements is None
                else tuple(
                    PlacementSelection(entry["platform"], tuple(entry.get("positions") or ()))
                    for entry in placements
                )
            ),
        )


@dataclass(frozen=True)
class CreativeSummary:
    """What an ad shows, as much as a network reviews and delivers on. A change of any of
    it sends the ad back to review."""

    format: CreativeFormat
    media_ids: tuple[str, ...] = ()
    primary_text: str | None = None
    headline: str | None = None
    description: str | None = None
    call_to_action: str | None = None
    url: str | None = None
    existing_post_id: str | None = None


@dataclass(frozen=True)
class CampaignSpec:
    id: str
    account_id: str
    status: RunStatus
    objective: str
    network_id: str | None = None
    title: str | None = None
    # Set when the campaign owns the budget (CBO); None under ABO.
    budget: Budget | None = None
    bidding: Bidding = field(default_factory=Bidding)
    special_ad_categories: tuple[str, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    # The account's IANA zone: days (daily budgets, schedules) follow its clock.
    time_zone: str = "UTC"


@dataclass(frozen=True)
class AdGroupSpec:
    id: str
    campaign_id: str
    status: RunStatus
    network_id: str | None = None
    campaign_network_id: str | None = None
    title: str | None = None
    # Set when the ad group owns the budget (ABO); None under CBO.
    budget: Budget | None = None
    # ABO: the group's bidding. CBO: only `target_micros` is read (the campaign's bid type).
    bidding: Bidding | None = None
    minimum_daily_spend_micros: int | None = None
    optimization_goal: str | None = None
    conversion_location: str | None = None
    conversion_event: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    schedule: DeliverySchedule | None = None
    frequency_cap: FrequencyCap | None = None
    targeting: Targeting = field(default_factory=Targeting)


@dataclass(frozen=True)
class AdSpec:
    id: str
    ad_group_id: str
    status: RunStatus
    creative: CreativeSummary
    network_id: str | None = None
    ad_group_network_id: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class SpendAllowance:
    """What a budget owner (campaign or ad group) may still spend. None removes the
    allowance (the budget alone limits spend).

    By default the network counts spend from the moment it applies the allowance. With
    `counted_from`, it counts its own spend since that instant instead, including spend
    Adline has not seen reported yet: "at most X since the period began" is exact under
    reporting lag, where "X from now" is not.
    """

    owner: ObjectRef
    remaining_micros: int | None
    counted_from: datetime | None = None


@dataclass(frozen=True)
class LimitBound:
    """At most `limit_micros` billed for delivery since `counted_from` (None: since the
    network applies it)."""

    limit_micros: int
    counted_from: datetime | None = None


@dataclass(frozen=True)
class SpendingLimit:
    """A hard limit on what a campaign spends, as Meta's campaign spending limit and TikTok's
    lifetime budget are: the network never bills the campaign more than `limit_micros` for
    delivery since `counted_from` (spend it has not reported yet included), and it does not
    pace toward the limit: it just stops there. None removes the limit.

    `also` holds further bounds that hold at the same time, each counted from its own
    instant: a capped campaign on limited funds is held to its cap since the cap period's
    start and to its funds since its creation. Counting each from its own start on the
    network keeps both exact under reporting lag, where folding them into one figure would
    need the spend between the two starts, which Adline may not have seen yet.

    Unlike an allowance, which networks overshoot by up to their stop latency, a limit is
    exact; Adline's spend caps are built on it (adline.spend_caps.ledger).
    """

    campaign_id: str
    limit_micros: int | None
    counted_from: datetime | None = None
    also: tuple[LimitBound, ...] = ()

    def bounds(self) -> tuple[LimitBound, ...]:
        """Every bound in force; none when the limit is removed (`limit_micros` None)."""
        if self.limit_micros is None:
            return ()
        return (LimitBound(self.limit_micros, self.counted_from), *self.also)


@dataclass(frozen=True)
class TargetingSearch:
    """A search of the network's targeting taxonomy (`GET /ad_groups/targeting_options`).

    `query` is matched case-insensitively against names (and location codes); a blank one
    browses the small fixed lists only. `limit` caps the results of each type.
    `special_ad_categories` are the campaign's: under housing, employment or
    financial_products only the approved interests can be launched with.
    """

    types: tuple[TargetingOptionType, ...]
    query: str = ""
    location_types: tuple[LocationType, ...] = ()
    country: str | None = None
    limit: int = 25
    special_ad_categories: tuple[str, ...] = ()


# --- What networks answer ----------------------------------------------------------------------


@dataclass(frozen=True)
class DetailedTargetingOption:
    """An interest, behavior or demographic category: its `id` goes in the ad group's
    `detailed_targeting` (demographic types under `demographics`, with `type`)."""

    type: TargetingOptionType
    id: str
    name: str
    description: str | None = None
    behavior_type: str | None = None
    audience_size_lower_bound: int | None = None
    audience_size_upper_bound: int | None = None


@dataclass(frozen=True)
class LanguageOption:
    """An ISO 639-1 `code`, as the ad group's `languages` takes it."""

    code: str
    name: str
    type: Literal["languages"] = "languages"


@dataclass(frozen=True)
class LocationOption:
    """A place: countries and US states carry the ISO `code` the ad group's `regions`
    countries / regions take; every place carries the network's `key` (cities, zips and
    the finer kinds are targeted by key)."""

    key: str
    name: str
    location_type: LocationType
    code: str | None = None
    country_code: str | None = None
    country_name: str | None = None
    region: str | None = None
    type: Literal["locations"] = "locations"


TargetingOption = DetailedTargetingOption | LanguageOption | LocationOption


@dataclass(frozen=True)
class ItemError:
    code: str
    message: str
    retryable: bool = False


@dataclass(frozen=True)
class WriteResult:
    """The answer to one write (or one item of a batch)."""

    kind: ObjectKind
    id: str
    network_id: str | None
    state: WriteState
    # When the network expects the change to be live (None: unknown, or failed).
    effective_at: datetime | None = None
    error: ItemError | None = None


@dataclass(frozen=True)
class LifetimeBudget:
    """One lifetime budget of a campaign (its own, or one of its ad groups'), and when its
    flight ends (None: no end), for `PlatformAdapter.spending_limit_margin`."""

    amount_micros: int
    ends_at: datetime | None


@dataclass(frozen=True)
class ReportedHour:
    """One ad, one UTC hour, as the network reports it.

    `reach` and `unique_clicks` count people reached (clicking) for the first time by this
    ad during the hour, so an ad's hours add up to its lifetime reach (unique clicks).
    """

    ad_id: str
    hour_start: datetime  # aware UTC, on the hour
    impressions: int
    reach: int
    clicks: int
    unique_clicks: int
    link_clicks: int
    spend_micros: int
    event_counts: dict[str, int]
    event_value_micros: dict[str, int]
    revision: int  # 1 first report; a late correction of the same hour has a higher revision


@dataclass(frozen=True)
class ReviewIssue:
    category: IssueCategory
    subtype: str
    title: str
    message: str


@dataclass(frozen=True)
class ReviewOutcome:
    """The latest finished review of one ad (its current verdict)."""

    ad_id: str
    network_id: str | None
    status: ReviewStatus
    decided_at: datetime
    issue: ReviewIssue | None = None


@dataclass(frozen=True)
class PixelCheck:
    """The network's answer to "may this token send events to this pixel?". `name` is the
    pixel's name on the network when it has one; `error_message` says why it refused."""

    accepted: bool
    name: str | None = None
    error_message: str | None = None


# --- Errors ------------------------------------------------------------------------------------


class AdapterError(Exception):
    """A network call failed. `retryable` says whether the same call may succeed later."""

    retryable = False


class RateLimited(AdapterError):
    retryable = True

    def __init__(self, retry_after: timedelta, message: str = "Rate limited") -> None:
        super().__init__(f"{message}; retry after {retry_after.total_seconds():.0f} s")
        self.retry_after = retry_after


class TransientError(AdapterError):
    """The network failed in a way that may pass (a 5xx, a timeout)."""

    retryable = True


class InvalidSpec(AdapterError):
    """The network refuses a setting; `param` names it in Adline's terms when known."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class ConnectionBroken(AdapterError):
    """The network no longer accepts the connection's token (expired, revoked, or the
    account's permissions withdrawn: Meta 190, TikTok 40102/40105). Nothing succeeds until
    the company reconnects, so syncing that connection stops and its campaigns get an issue."""


class ObjectNotFound(AdapterError):
    """The object (or the parent a write names) does not exist on the network."""


class IdempotencyConflict(AdapterError):
    """An idempotency key was reused with a different payload."""


# --- The interface -----------------------------------------------------------------------------


class PlatformAdapter(Protocol):
    """One ad network, as Adline uses it."""

    @property
    def platform(self) -> str:
        """The platform this adapter serves (`meta`, `tiktok`, ...)."""
        ...

    async def upsert_campaign(self, spec: CampaignSpec, *, idempotency_key: str) -> WriteResult:
        """Create (no `network_id`) or update the campaign."""
        ...

    async def upsert_ad_group(self, spec: AdGroupSpec, *, idempotency_key: str) -> WriteResult:
        """Create or update the ad group; its campaign must exist on the network."""
        ...

    async def upsert_ad(self, spec: AdSpec, *, idempotency_key: str) -> WriteResult:
        """Create or update the ad; a new or changed creative goes to review."""
        ...

    async def delete_object(self, ref: ObjectRef, *, idempotency_key: str) -> WriteResult:
        """Delete the object (and so stop everything beneath it); reports stay readable."""
        ...

    async def set_spend_allowances(
        self, allowances: Sequence[SpendAllowance], *, idempotency_key: str
    ) -> list[WriteResult]:
        """Set what each budget owner may still spend; one result per item, in order."""
        ...

    async def set_spending_limits(
        self, limits: Sequence[SpendingLimit], *, idempotency_key: str
    ) -> list[WriteResult]:
        """Set (or remove) each campaign's hard spending limit; one result per item, in
        order. A limit that is lowered or removed takes effect at the result's
        `effective_at`, never earlier."""
        ...

    def spending_limit_margin(
        self, daily_budget_micros: int, lifetime_budgets: Sequence[LifetimeBudget] = ()
    ) -> int:
        """How much a campaign with these budgets (its daily budgets together, and each
        lifetime budget it has, with its flight's end) must have left under its spending
        limit to keep delivering, in micros: 0 where the network holds limits exactly
        itself; where the adapter holds them by pausing the campaign once reported spend
        comes within this margin (TikTok), the margin. A spend cap's ledger grants it on
        top of the headroom it grants every campaign (adline.spend_caps.ledger)."""
        ...

    async def pull_stats(self, since: datetime, until: datetime) -> list[ReportedHour]:
        """The latest report of every ad-hour with `since <= hour_start < until` that the
        network has published by now (reports lag the hour; corrections come later with
        a higher revision, so callers re-read a trailing window)."""
        ...

    async def pull_review_outcomes(self, since: datetime | None = None) -> list[ReviewOutcome]:
        """The current verdict of every ad whose review has finished (decided at or after
        `since` when given). Idempotent: pulling twice answers the same verdicts."""
        ...

    async def estimate_reach(self, targeting: Targeting) -> tuple[int | None, int | None]:
        """(lower, upper) bound of the people the targeting reaches; (None, None) when the
        network will not estimate (too narrow)."""
        ...

    async def search_targeting_options(self, search: TargetingSearch) -> list[TargetingOption]:
        """Options of the network's targeting taxonomy matching `search`, grouped by type
        in the order of `search.types`, at most `search.limit` of each. The same search
        answers the same options, ids included, every time."""
        ...

    async def check_pixel_token(self, pixel_external_id: str, access_token: str) -> PixelCheck:
        """Whether `access_token` may send conversion events to the network's pixel
        `pixel_external_id` (a read: nothing changes on the network)."""
        ...
