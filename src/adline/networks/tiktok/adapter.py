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
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import httpx

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
from adline.networks.base import NetworkCredentials, ObjectDirectory
from adline.networks.tiktok import mapping
from adline.networks.tiktok.client import (
    DEFAULT_BASE_URL,
    DuplicatedRequest,
    TikTokAnswer,
    TikTokClient,
)
from adline.networks.tiktok.mapping import DELETE, DISABLE, KnownSettings

T = TypeVar("T")

PLATFORM = "tiktok"
# TikTok applies a write when it answers; delivery follows within about a minute.
PROPAGATION = timedelta(minutes=1)
# Conversions are attributed to past hours for this long: the ingester's trailing re-read
# (pull_stats of hours already pulled) should reach at least this far back.
ATTRIBUTION_LOOKBACK = timedelta(days=7)
REPORT_PAGE_SIZE = 1000
LOOKUP_PAGE_SIZE = 100


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
    """One advertiser (`credentials.account_id`) on TikTok."""

    def __init__(
        self,
        credentials: NetworkCredentials,
        directory: ObjectDirectory,
        *,
        clock: Clock,
        client: TikTokClient,
        time_zone: str = "UTC",
    ) -> None:
        self.advertiser_id = credentials.account_id
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

    async def set_spending_limits(
        self, limits: Sequence[SpendingLimit], *, idempotency_key: str
    ) -> list[WriteResult]:
        items = tuple(limits)
        return await self._once(
            "set_spending_limits",
            idempotency_key,
            items,
            lambda: self._holds_for(
                [(ObjectRef("ad_campaign", item.campaign_id), item.limit_micros) for item in items],
                "limit",
            ),
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
        created = False
        if network_id is None:
            body = mapping.ad_create_body(
                spec, self.advertiser_id, group_id, request_id(key), self.identity_id
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
                spec, self.advertiser_id, group_id, network_id, self.identity_id
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
        return self._pending(ref.kind, ref.id, network_id)

    async def _holds_for(
        self, items: list[tuple[ObjectRef, int | None]], reason: str
    ) -> list[WriteResult]:
        """Allowances and limits TikTok can hold exactly: zero (the owner is paused, and
        stays paused through upserts until the zero is lifted) and none (the pause, if
        any, is lifted). A positive amount is refused per item: TikTok has no allowance,
        and its lifetime budget paces, counts from creation and needs a budget mode fixed
        at creation (docs/networks-tiktok.md)."""
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
) -> TikTokAdapter:
    client = TikTokClient(base_url, credentials.access_token, transport=transport, clock=clock)
    return TikTokAdapter(credentials, directory, clock=clock, client=client, time_zone=time_zone)


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
            "TikTok cannot hold a positive spend limit exactly; only zero (a pause) is held",
        )
    return None


def _local_days(since: datetime, until: datetime, zone: ZoneInfo) -> list[date]:
    if until <= since:
        return []
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise InvalidSpec(f"Unknown time zone {name!r}", "time_zone") from exc
