"""Meta as a `PlatformAdapter`: Adline's specs pushed through the Graph client.

How it meets the interface (docs/networks-meta.md):

- **Lifecycle.** Campaigns, ad sets and ads are created `PAUSED`, and enabled by a second
  write once created, so nothing delivers half-built. Updates send the whole spec (status
  included); pause is an update to `PAUSED`; delete is `DELETE /{id}`.
- **Crash-safe creates.** Every object's name ends with its client reference,
  `[adline:<id>]`. Before creating, the adapter asks the directory, then lists the parent's
  objects for that reference: a create Meta made before a crash (and before Adline
  committed its id) is found and reused, never made twice. Each network id is recorded in
  the directory as soon as Meta answers it.
- **Idempotency keys.** Meta takes none; the adapter keeps `key -> result` for the keys it
  has answered (in memory: after a restart, the reference lookup keeps creates safe and
  updates are absolute, so repeating one is harmless).
- **Media.** Before a creative is made, each of its Adline files is uploaded to the ad
  account once: images to `adimages` (their hash), videos to `advideos` (their id, then
  waited for until Meta has processed them). What each file became is kept in the
  directory (kinds `image`, `video`, keyed by the file id), so a file is uploaded once per
  account; a video carries the file's reference in its title, so one uploaded before a
  crash is found instead of uploaded again (docs/networks-meta.md#media). A video shown
  without an image file of the ad takes Meta's preferred thumbnail of it, which
  `video_data` requires.
- **Targeting ids.** Before an ad set is written, its saved audiences are uploaded as
  customer list Custom Audiences once per account (`meta.audiences`, directory kinds
  `audience` and `audience_rows`) and its languages looked up as Meta locale keys
  (`meta.locales`); the targeting names both by Meta's ids.
- **Money.** Budgets and bids in the account currency's minor units (`mapping`); spend
  allowances and spending limits become the campaign's `spend_cap`.
- **Reports.** Hourly insights at ad level; windows up to `SYNC_INSIGHTS_LIMIT` are read at
  once, longer ones (and any Meta times out) as async report runs. Meta revises insights
  for 28 days (`revision_window`): callers re-read that trailing window.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from adline.core.clock import Clock
from adline.core.money import MICROS_PER_UNIT
from adline.delivery.adapter import (
    AdapterError,
    AdGroupSpec,
    AdSpec,
    CampaignSpec,
    ConnectionBroken,
    DetailedTargetingOption,
    IdempotencyConflict,
    InvalidSpec,
    ItemError,
    LifetimeBudget,
    LocationOption,
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
    TransientError,
    WriteResult,
)
from adline.networks.base import (
    AudienceReader,
    MediaFile,
    MediaReader,
    NetworkCredentials,
    ObjectDirectory,
    reference,
)
from adline.networks.meta.audiences import MetaAudiences
from adline.networks.meta.client import (
    DEFAULT_API_VERSION,
    DEFAULT_GRAPH_URL,
    GraphError,
    InsightsTooLarge,
    MetaGraphClient,
)
from adline.networks.meta.locales import MetaLocales
from adline.networks.meta.mapping import (
    HOURLY_BREAKDOWN,
    NO_SPEND_CAP,
    MetaMedia,
    MetaTargetingIds,
    ad_set_payload,
    campaign_payload,
    creative_payload,
    has_reference,
    insights_params,
    local_hour,
    micros_of_major,
    minor_per_major,
    object_name,
    parse_graph_time,
    reference_filter,
    reported_hour,
    spend_cap_minor,
    targeting_spec,
)

T = TypeVar("T")
Payload = dict[str, Any]

# Meta applies a write at once, but delivery follows within minutes; a conservative
# estimate of when a change (a lowered spend cap above all) is live everywhere. [verify]
PROPAGATION = timedelta(minutes=15)
# Meta revises insights for 28 days after the fact (networks.md §5.1).
REVISION_WINDOW = timedelta(days=28)
# Report windows up to this long are read synchronously; longer ones as a report run.
SYNC_INSIGHTS_LIMIT = timedelta(days=2)
# Review verdicts Meta shows in an ad's effective status.
APPROVED_STATUSES = frozenset({"ACTIVE", "PREAPPROVED"})
REJECTED_STATUSES = frozenset({"DISAPPROVED"})
# Targeting taxonomy: which Graph search answers each option type (networks.md §1,
# docs/delivery.md). Category classes are browsed whole and filtered here.
SEARCH_TYPES: dict[str, str] = {
    "interests": "adinterest",
    "work_employers": "adworkemployer",
    "work_positions": "adworkposition",
    "education_schools": "adeducationschool",
    "education_majors": "adeducationmajor",
}
CATEGORY_CLASSES = frozenset(
    {"behaviors", "life_events", "industries", "income", "family_statuses"}
)
LOCATION_TYPES = frozenset(
    {"country", "region", "city", "zip", "neighborhood", "subcity", "medium_geo_area"}
)
# Meta's video titles are under 255 characters; the reference ends the title and is kept.
MAX_VIDEO_TITLE = 254
EDGES: dict[ObjectKind, str] = {"ad_campaign": "campaigns", "ad_group": "adsets", "ad": "ads"}


# Meta's `account_status` values (the Marketing API's AdAccount reference) [verify]: only
# an active account takes writes.
ACTIVE_ACCOUNT = 1
ACCOUNT_STATUSES = {
    1: "active",
    2: "disabled",
    3: "unsettled",
    7: "pending risk review",
    8: "pending settlement",
    9: "in grace period",
    100: "pending closure",
    101: "closed",
    201: "any active",
    202: "any closed",
}
ACCOUNT_FIELDS = "name,account_status,currency,timezone_name"


@dataclass(frozen=True)
class AdAccount:
    """The ad account as a token reads it (`read_account`): its name, and why Adline cannot
    use it (`unusable`, None when it is active)."""

    id: str
    name: str | None
    account_status: int | None
    currency: str | None
    timezone_name: str | None

    @property
    def unusable(self) -> str | None:
        if self.account_status == ACTIVE_ACCOUNT:
            return None
        status = ACCOUNT_STATUSES.get(self.account_status or 0, "unknown")
        return (
            f"The ad account {self.id} is not active "
            f"(account_status {self.account_status}: {status})."
        )


@dataclass(frozen=True)
class AccountSettings:
    """What the ad account fixes for every write and read: money unit and time zone."""

    currency: str
    zone: ZoneInfo

    @property
    def per_major(self) -> int:
        return minor_per_major(self.currency)


class MetaAdapter:
    """One company's Meta ad account. `pixel_id` is the Meta pixel conversion ad sets
    optimize for (None: conversion events are not sent as a promoted object). `media`
    reads the company's files to upload them (None: creatives' media ids are sent as
    Meta image hashes and video ids as they are). `audiences` reads the company's saved
    audiences to upload them as Custom Audiences (None: only those already on the account
    can be targeted)."""

    revision_window = REVISION_WINDOW

    def __init__(
        self,
        credentials: NetworkCredentials,
        directory: ObjectDirectory,
        clock: Clock,
        client: MetaGraphClient,
        *,
        pixel_id: str | None = None,
        media: MediaReader | None = None,
        audiences: AudienceReader | None = None,
    ) -> None:
        self.credentials = credentials
        self.directory = directory
        self.clock = clock
        self.client = client
        self.pixel_id = pixel_id
        self.media = media
        account = credentials.account_id
        self.account_path = account if account.startswith("act_") else f"act_{account}"
        self.audiences = MetaAudiences(client, self.account_path, directory, audiences)
        self.locales = MetaLocales(client)
        self._account: AccountSettings | None = None
        # Campaign network id -> Meta's `created_time`, which never changes.
        self._campaign_created: dict[str, datetime] = {}
        self._answered: dict[str, tuple[str, object]] = {}

    @property
    def platform(self) -> str:
        return "meta"

    # --- Writes ----------------------------------------------------------------------------

    async def upsert_campaign(self, spec: CampaignSpec, *, idempotency_key: str) -> WriteResult:
        return await self._once(
            "upsert_campaign", idempotency_key, spec, lambda: self._upsert_campaign(spec)
        )

    async def upsert_ad_group(self, spec: AdGroupSpec, *, idempotency_key: str) -> WriteResult:
        return await self._once(
            "upsert_ad_group", idempotency_key, spec, lambda: self._upsert_ad_group(spec)
        )

    async def upsert_ad(self, spec: AdSpec, *, idempotency_key: str) -> WriteResult:
        return await self._once("upsert_ad", idempotency_key, spec, lambda: self._upsert_ad(spec))

    async def delete_object(self, ref: ObjectRef, *, idempotency_key: str) -> WriteResult:
        return await self._once("delete_object", idempotency_key, ref, lambda: self._delete(ref))

    async def set_spend_allowances(
        self, allowances: Sequence[SpendAllowance], *, idempotency_key: str
    ) -> list[WriteResult]:
        items = tuple(allowances)
        return await self._once(
            "set_spend_allowances", idempotency_key, items, lambda: self._set_allowances(items)
        )

    def spending_limit_margin(
        self, daily_budget_micros: int, lifetime_budgets: Sequence[LifetimeBudget] = ()
    ) -> int:
        """Meta's campaign spend_cap is a hard stop Meta holds itself: no margin."""
        return 0

    async def set_spending_limits(
        self, limits: Sequence[SpendingLimit], *, idempotency_key: str
    ) -> list[WriteResult]:
        items = tuple(limits)
        return await self._once(
            "set_spending_limits", idempotency_key, items, lambda: self._set_limits(items)
        )

    async def _once(
        self, operation: str, key: str, payload: object, action: Callable[[], Awaitable[T]]
    ) -> T:
        """Answer a repeated key from memory; failures are not remembered (retry them)."""
        fingerprint = f"{operation}:{payload!r}"
        if key in self._answered:
            stored, result = self._answered[key]
            if stored != fingerprint:
                raise IdempotencyConflict(f"Idempotency key {key!r} was used for another write")
            return result  # type: ignore[return-value]
        answer = await action()
        self._answered[key] = (fingerprint, answer)
        return answer

    async def _upsert_campaign(self, spec: CampaignSpec) -> WriteResult:
        per_major = (await self.account()).per_major

        async def create() -> Payload:
            return campaign_payload(spec, per_major, creating=True)

        async def update(network_id: str) -> Payload:
            return campaign_payload(spec, per_major, creating=False)

        return await self._upsert(
            "ad_campaign", spec.id, spec.network_id, self.account_path, spec.status, create, update
        )

    async def _upsert_ad_group(self, spec: AdGroupSpec) -> WriteResult:
        campaign = spec.campaign_network_id or await self.directory.network_id(
            "ad_campaign", spec.campaign_id
        )
        if campaign is None:
            raise InvalidSpec("The ad set's campaign is not on Meta yet", "ad_campaign_id")
        per_major = (await self.account()).per_major
        with_parent = dataclasses.replace(spec, campaign_network_id=campaign)
        page_id, pixel_id = self.credentials.page_id, self.pixel_id
        # Saved audiences are uploaded (once) and languages looked up before the ad set is
        # written: its targeting names them by Meta's ids.
        ids = await self.targeting_ids(spec.targeting)

        async def create() -> Payload:
            return ad_set_payload(
                with_parent, per_major, creating=True, page_id=page_id, pixel_id=pixel_id, ids=ids
            )

        async def update(network_id: str) -> Payload:
            return ad_set_payload(
                with_parent, per_major, creating=False, page_id=page_id, pixel_id=pixel_id, ids=ids
            )

        return await self._upsert(
            "ad_group", spec.id, spec.network_id, campaign, spec.status, create, update
        )

    async def _upsert_ad(self, spec: AdSpec) -> WriteResult:
        ad_set = spec.ad_group_network_id or await self.directory.network_id(
            "ad_group", spec.ad_group_id
        )
        if ad_set is None:
            raise InvalidSpec("The ad's ad set is not on Meta yet", "ad_group_id")
        name = object_name(spec.title, "ad", spec.id)

        async def create() -> Payload:
            creative = await self._create_creative(spec)
            return {
                "name": name,
                "adset_id": ad_set,
                "creative": {"creative_id": creative},
                "status": "PAUSED",
            }

        async def update(network_id: str) -> Payload:
            payload: Payload = {"name": name, "status": _status(spec.status)}
            current = await self.client.get(network_id, {"fields": "creative{id,name}"})
            creative = creative_payload(spec, page_id=self.credentials.page_id)
            if (current.get("creative") or {}).get("name") != creative["name"]:
                # A changed creative is a new one (and sends the ad back to review).
                payload["creative"] = {"creative_id": await self._create_creative(spec)}
            return payload

        return await self._upsert(
            "ad", spec.id, spec.network_id, ad_set, spec.status, create, update
        )

    async def targeting_ids(self, targeting: Targeting, *, upload: bool = True) -> MetaTargetingIds:
        """The account's ids for the targeting's saved audiences (uploaded first unless
        `upload` is false) and its languages' locale keys."""
        return MetaTargetingIds(
            custom_audiences=await self.audiences.ids(targeting, upload=upload),
            locales=await self.locales.keys(targeting.languages),
        )

    async def _create_creative(self, spec: AdSpec) -> str:
        # A creative made twice after a crash is an unused object, not a duplicate ad.
        media = await self._upload_media(spec)
        payload = creative_payload(spec, page_id=self.credentials.page_id, media=media)
        return await self.client.create(f"{self.account_path}/adcreatives", payload)

    # --- Media -----------------------------------------------------------------------------

    async def _upload_media(self, spec: AdSpec) -> dict[str, MetaMedia] | None:
        """What each of the creative's files is on the account, uploading those that are
        not there yet (None without a media reader: ids are Meta's already)."""
        if self.media is None or spec.creative.format == "existing_post":
            return None
        media = {
            file_id: await self.uploaded(file_id)
            for file_id in dict.fromkeys(spec.creative.media_ids)
        }
        if spec.creative.format != "carousel" and all(m.kind == "video" for m in media.values()):
            # No image file of the ad's own to show before the video plays: Meta's thumbnail
            # of it. Read for each new creative, not recorded: a thumbnail is Meta's CDN URL,
            # which may not last. [verify]
            for file_id, each in media.items():
                media[file_id] = dataclasses.replace(
                    each, thumbnail_url=await self.video_thumbnail(each.id)
                )
        return media

    async def video_thumbnail(self, video_id: str) -> str:
        """The `uri` of the video's preferred thumbnail (`GET /{video_id}/thumbnails`), else
        of its first. Meta makes them while processing; a ready video with none yet fails
        retryably (the write is tried again on a later pass)."""
        body = await self.client.get(f"{video_id}/thumbnails", {"fields": "uri,is_preferred"})
        rows = [row for row in body.get("data") or () if isinstance(row, dict) and row.get("uri")]
        chosen = next((row for row in rows if row.get("is_preferred") is True), None)
        if chosen is None and rows:
            chosen = rows[0]
        if chosen is None:
            raise TransientError(f"Meta has no thumbnail for the video {video_id} yet")
        return str(chosen["uri"])

    async def uploaded(self, file_id: str) -> MetaMedia:
        """The file's image hash or (processed) video id on the account, uploading it the
        first time. The directory is asked first; a video's id is recorded the moment Meta
        answers it, before it is waited for, so a retry only waits again."""
        image_hash = await self.directory.network_id("image", file_id)
        if image_hash is not None:
            return MetaMedia("image", image_hash)
        video_id = await self.directory.network_id("video", file_id)
        if video_id is None:
            if self.media is None:
                raise InvalidSpec(f"The file {file_id} cannot be read", "creatives")
            file = await self.media(file_id)
            if file.is_image:
                return MetaMedia("image", await self._upload_image(file))
            if not file.is_video:
                raise InvalidSpec(
                    f"Meta ads show images and videos, not {file.content_type}", "creatives"
                )
            video_id = await self._upload_video(file)
        await self.client.wait_for_video(video_id)
        return MetaMedia("video", video_id)

    async def _upload_image(self, file: MediaFile) -> str:
        """`POST /act_{id}/adimages` with the bytes base64-encoded: Meta answers the image's
        hash (`images.bytes.hash`). A hash is the image's content, so uploading the same
        bytes again makes no second image: a retry or a crash before the hash was recorded
        costs an upload, never a duplicate."""
        body = await self.client.post(
            f"{self.account_path}/adimages",
            {"bytes": base64.b64encode(file.data).decode("ascii")},
        )
        images = body.get("images")
        found = next(iter(images.values()), None) if isinstance(images, dict) and images else None
        image_hash = found.get("hash") if isinstance(found, dict) else None
        if not image_hash:
            raise AdapterError(f"Meta answered no image hash for the file {file.id}")
        holder = await self.directory.local_id("image", str(image_hash))
        if holder is None:
            await self.directory.remember("image", file.id, str(image_hash))
        # else: another file with the same bytes holds the hash (a hash names one file in
        # the directory); this one is uploaded again when used, which makes nothing new.
        return str(image_hash)

    async def _upload_video(self, file: MediaFile) -> str:
        """`POST /act_{id}/advideos` with the file as `source` (multipart), titled with the
        file's reference. A video uploaded before a crash (or whose answer was lost) is
        found by that reference among the account's videos and not uploaded again."""
        video_id = await self.find_video(file.id)
        if video_id is None:
            title = object_name(file.filename, "ad", file.id)[-MAX_VIDEO_TITLE:]
            body = await self.client.upload(
                f"{self.account_path}/advideos",
                {"title": title},
                {"source": (file.filename, file.data, file.content_type)},
                find_existing=lambda: self.find_video(file.id),
            )
            video_id = str(body["id"])
        await self.directory.remember("video", file.id, video_id)
        return video_id

    async def find_video(self, file_id: str) -> str | None:
        """The id of the account's video whose title carries the file's reference."""
        params = {"fields": "id,title", "limit": 100}
        async for row in self.client.paginate(f"{self.account_path}/advideos", params):
            title = row.get("title")
            if isinstance(title, str) and title.endswith(reference(file_id)):
                return str(row["id"])
        return None

    async def _upsert(
        self,
        kind: ObjectKind,
        local_id: str,
        network_id: str | None,
        parent: str,
        status: str,
        create: Callable[[], Awaitable[Payload]],
        update: Callable[[str], Awaitable[Payload]],
    ) -> WriteResult:
        """Create (PAUSED, then enabled) or update one object, never creating it twice."""
        network_id = network_id or await self.directory.network_id(kind, local_id)
        if network_id is None:
            network_id = await self.find_by_reference(kind, local_id, parent)
            if network_id is not None:
                await self.directory.remember(kind, local_id, network_id)
        if network_id is not None:
            await self.client.post(network_id, await update(network_id))
            return self._pending(kind, local_id, network_id)
        network_id = await self.client.create(
            f"{self.account_path}/{EDGES[kind]}",
            await create(),
            find_existing=lambda: self.find_by_reference(kind, local_id, parent),
        )
        # Recorded before anything else can fail: a retry updates instead of creating.
        await self.directory.remember(kind, local_id, network_id)
        if status == "active":
            await self.client.post(network_id, {"status": "ACTIVE"}, just_created=True)
        return self._pending(kind, local_id, network_id)

    async def find_by_reference(self, kind: ObjectKind, local_id: str, parent: str) -> str | None:
        """The network id of the object whose name carries `local_id`'s reference, under
        `parent` (the account, the campaign or the ad set), if Meta has one."""
        params = {"fields": "id,name", "filtering": reference_filter(local_id), "limit": 50}
        async for row in self.client.paginate(f"{parent}/{EDGES[kind]}", params):
            if has_reference(row.get("name"), local_id):
                return str(row["id"])
        return None

    async def _delete(self, ref: ObjectRef) -> WriteResult:
        network_id = ref.network_id or await self.directory.network_id(ref.kind, ref.id)
        if network_id is None:
            raise ObjectNotFound(f"{ref.kind} {ref.id} is not on Meta")
        try:
            await self.client.delete(network_id)
        except ObjectNotFound:
            # Already gone (a delete repeated after a crash): what was asked holds.
            return WriteResult(ref.kind, ref.id, network_id, "applied", self.clock.now())
        return self._pending(ref.kind, ref.id, network_id)

    async def _set_allowances(self, items: tuple[SpendAllowance, ...]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for item in items:
            owner = item.owner
            if owner.kind != "ad_campaign":
                # Meta caps spend per campaign only (ABO ad sets have no cap).
                error = ItemError("unsupported_owner", "Meta caps spend per campaign only")
                results.append(
                    WriteResult(owner.kind, owner.id, owner.network_id, "failed", None, error)
                )
                continue
            limit = SpendingLimit(owner.id, item.remaining_micros, item.counted_from)
            results.append(await self._set_limit(limit, owner.network_id))
        return results

    async def _set_limits(self, items: tuple[SpendingLimit, ...]) -> list[WriteResult]:
        return [await self._set_limit(item) for item in items]

    async def _set_limit(self, item: SpendingLimit, network_id: str | None = None) -> WriteResult:
        """The campaign's `spend_cap`. Meta counts it over the campaign's whole life, so the
        cap is the spend before `counted_from` (or now) plus the limit, rounded down; the
        lowest such figure over the limit's bounds."""
        network_id = network_id or await self.directory.network_id("ad_campaign", item.campaign_id)
        if network_id is None:
            error = ItemError("object_not_found", f"ad_campaign {item.campaign_id} is not on Meta")
            return WriteResult("ad_campaign", item.campaign_id, None, "failed", None, error)
        try:
            bounds = item.bounds()
            if not bounds:
                cap = NO_SPEND_CAP
            elif any(bound.limit_micros < 0 for bound in bounds):
                raise InvalidSpec("A spending limit cannot be negative", "limit")
            else:
                # One lifetime cap holds every bound: the lowest of them, each stated over
                # the campaign's life from its own start.
                per_major = (await self.account()).per_major
                lifetime = [
                    await self.campaign_spend_before(network_id, bound.counted_from)
                    + bound.limit_micros
                    for bound in bounds
                ]
                cap = spend_cap_minor(min(lifetime), per_major)
            await self.client.post(network_id, {"spend_cap": cap})
        except (RateLimited, ConnectionBroken):
            raise  # the whole batch would fail the same way: the caller backs off
        except AdapterError as exc:
            error = ItemError(type(exc).__name__, str(exc), exc.retryable)
            return WriteResult("ad_campaign", item.campaign_id, network_id, "failed", None, error)
        return self._pending("ad_campaign", item.campaign_id, network_id)

    async def campaign_spend_before(self, network_id: str, instant: datetime | None) -> int:
        """The campaign's reported lifetime spend before `instant` (None: all of it), in
        micros, as a lower bound: the cap built on it must err low, never high. So an hour
        that straddles `instant` counts as after it, and since Meta reports spend rounded
        to the minor unit, half a minor unit is taken off for every reported figure summed
        (the lifetime total, and each hour subtracted from it).

        An `instant` no later than the campaign's creation (a funds bound counts from the
        Adline campaign's) has nothing before it, and reads no insights."""
        if (
            instant is not None
            and instant < self.clock.now()
            and instant <= await self.campaign_created(network_id)
        ):
            return 0
        lifetime = await self.client.get(
            f"{network_id}/insights", {"fields": "spend", "date_preset": "maximum"}
        )
        total_rows = lifetime.get("data") or ()
        total = sum(micros_of_major(row.get("spend")) for row in total_rows)
        account = await self.account()
        half_minor = MICROS_PER_UNIT // (2 * account.per_major)
        if instant is None or instant >= self.clock.now():
            return max(0, total - half_minor * len(total_rows))
        zone = account.zone
        params = {
            "fields": "spend",
            "breakdowns": [HOURLY_BREAKDOWN],
            "time_range": {
                "since": instant.astimezone(zone).date().isoformat(),
                "until": self.clock.now().astimezone(zone).date().isoformat(),
            },
            "time_increment": 1,
            "limit": 500,
        }
        after = 0
        summed = len(total_rows)
        async for row in self.client.paginate(f"{network_id}/insights", params):
            if local_hour(row).to_utc(zone) + timedelta(hours=1) > instant:
                after += micros_of_major(row.get("spend"))
                summed += 1
        return max(0, total - after - half_minor * summed)

    async def campaign_created(self, network_id: str) -> datetime:
        """When Meta created the campaign (`created_time`), read once per adapter."""
        created = self._campaign_created.get(network_id)
        if created is None:
            body = await self.client.get(network_id, {"fields": "created_time"})
            created = parse_graph_time(body["created_time"])
            self._campaign_created[network_id] = created
        return created

    def _pending(self, kind: ObjectKind, local_id: str, network_id: str) -> WriteResult:
        return WriteResult(kind, local_id, network_id, "pending", self.clock.now() + PROPAGATION)

    # --- Reads -----------------------------------------------------------------------------

    async def account(self) -> AccountSettings:
        """The ad account's currency and time zone, read once per adapter."""
        if self._account is None:
            body = await self.client.get(self.account_path, {"fields": "currency,timezone_name"})
            try:
                zone = ZoneInfo(str(body.get("timezone_name") or "UTC"))
            except (ZoneInfoNotFoundError, ValueError):
                zone = ZoneInfo("UTC")
            self._account = AccountSettings(str(body.get("currency") or "USD"), zone)
        return self._account

    async def read_account(self) -> AdAccount:
        """`GET /act_{id}?fields=name,account_status,currency,timezone_name` with the
        connection's token: what a connection's token check reads (networks.md §1.4). Errors
        raise as every call's do: 190/10/200s `ConnectionBroken`, 100/33 (no such account, or
        not this token's) `ObjectNotFound`, throttles `RateLimited`."""
        body = await self.client.get(self.account_path, {"fields": ACCOUNT_FIELDS})
        return AdAccount(
            id=self.account_path,
            name=_text_or_none(body.get("name")),
            account_status=_int_or_none(body.get("account_status")),
            currency=_text_or_none(body.get("currency")),
            timezone_name=_text_or_none(body.get("timezone_name")),
        )

    async def pull_stats(self, since: datetime, until: datetime) -> list[ReportedHour]:
        """Hourly ad insights for the account's local days covering [since, until), kept to
        the UTC hours asked. Every pull is a new revision (its fetch time): Meta numbers
        none, and ingestion keeps a row only when its numbers changed."""
        zone = (await self.account()).zone
        first = since.astimezone(zone).date()
        last = (until - timedelta(microseconds=1)).astimezone(zone).date()
        params = insights_params(first, last)
        path = f"{self.account_path}/insights"
        if until - since <= SYNC_INSIGHTS_LIMIT:
            try:
                rows = [row async for row in self.client.paginate(path, {**params, "limit": 500})]
            except InsightsTooLarge:
                rows = await self.client.report_run(self.account_path, params)
        else:
            rows = await self.client.report_run(self.account_path, params)
        revision = int(self.clock.now().timestamp())
        hours: list[ReportedHour] = []
        for row in rows:
            ad_id = await self.directory.local_id("ad", str(row.get("ad_id")))
            if ad_id is None:  # an ad Adline did not make
                continue
            hour = reported_hour(row, ad_id=ad_id, zone=zone, revision=revision)
            if since <= hour.hour_start < until:
                hours.append(hour)
        hours.sort(key=lambda hour: (hour.hour_start, hour.ad_id))
        return hours

    async def pull_review_outcomes(self, since: datetime | None = None) -> list[ReviewOutcome]:
        """Ads whose effective status is a verdict: approved (`ACTIVE`, `PREAPPROVED`) or
        `DISAPPROVED` with the first `ad_review_feedback` entry as the issue. Meta gives no
        decision instant; the ad's `updated_time` stands in for it."""
        params = {
            "fields": "id,effective_status,ad_review_feedback,updated_time",
            "effective_status": sorted(APPROVED_STATUSES | REJECTED_STATUSES),
            "limit": 500,
        }
        outcomes: list[ReviewOutcome] = []
        async for row in self.client.paginate(f"{self.account_path}/ads", params):
            network_id = str(row.get("id"))
            ad_id = await self.directory.local_id("ad", network_id)
            status = row.get("effective_status")
            if ad_id is None or status not in APPROVED_STATUSES | REJECTED_STATUSES:
                continue
            decided_at = parse_graph_time(row["updated_time"])
            if since is not None and decided_at < since:
                continue
            rejected = status in REJECTED_STATUSES
            outcomes.append(
                ReviewOutcome(
                    ad_id=ad_id,
                    network_id=network_id,
                    status="rejected" if rejected else "approved",
                    decided_at=decided_at,
                    issue=_review_issue(row.get("ad_review_feedback")) if rejected else None,
                )
            )
        outcomes.sort(key=lambda outcome: (outcome.decided_at, outcome.ad_id))
        return outcomes

    async def estimate_reach(self, targeting: Targeting) -> tuple[int | None, int | None]:
        """`GET /act_{id}/delivery_estimate` for a reach goal: its monthly active bounds, or
        (None, None) when Meta will not estimate (not ready, too narrow, refused)."""
        try:
            # A read uploads nothing: an audience not on the account yet is not estimated.
            spec = targeting_spec(targeting, await self.targeting_ids(targeting, upload=False))
            body = await self.client.get(
                f"{self.account_path}/delivery_estimate",
                {"optimization_goal": "REACH", "targeting_spec": spec},
            )
        except InvalidSpec:
            return None, None
        rows = body.get("data") or []
        estimate = rows[0] if rows else {}
        if estimate.get("estimate_ready") is False:
            return None, None
        lower = estimate.get("estimate_mau_lower_bound", estimate.get("users_lower_bound"))
        upper = estimate.get("estimate_mau_upper_bound", estimate.get("users_upper_bound"))
        if lower is None or upper is None:
            return None, None
        return int(lower), int(upper)

    async def search_targeting_options(self, search: TargetingSearch) -> list[TargetingOption]:
        """Graph's targeting search, per type asked, in order. Languages answer nothing:
        Adline's language options are ISO 639-1 codes, which become Meta's locale keys
        only when an ad set is written (`meta.locales`)."""
        options: list[TargetingOption] = []
        query = search.query.strip()
        for option_type in search.types:
            found: list[TargetingOption] = []
            if option_type in SEARCH_TYPES and query:
                params = {"type": SEARCH_TYPES[option_type], "q": query, "limit": search.limit}
                body = await self.client.get("search", params)
                found = [_detailed(option_type, row) for row in body.get("data") or ()]
            elif option_type in CATEGORY_CLASSES:
                params = {"type": "adTargetingCategory", "class": option_type}
                body = await self.client.get("search", params)
                found = [
                    _detailed(option_type, row)
                    for row in body.get("data") or ()
                    if query.lower() in str(row.get("name", "")).lower()
                ]
            elif option_type == "locations" and query:
                found = await self._search_locations(search, query)
            options.extend(found[: search.limit])
        return options

    async def _search_locations(self, search: TargetingSearch, query: str) -> list[TargetingOption]:
        params: dict[str, Any] = {"type": "adgeolocation", "q": query, "limit": search.limit}
        if search.location_types:
            params["location_types"] = list(search.location_types)
        if search.country is not None:
            params["country_code"] = search.country
        body = await self.client.get("search", params)
        found: list[TargetingOption] = []
        for row in body.get("data") or ():
            location_type = str(row.get("type"))
            if location_type not in LOCATION_TYPES:
                continue
            key = str(row.get("key"))
            found.append(
                LocationOption(
                    key=key,
                    name=str(row.get("name")),
                    location_type=location_type,  # type: ignore[arg-type]
                    code=key if location_type == "country" else None,
                    country_code=row.get("country_code"),
                    country_name=row.get("country_name"),
                    region=row.get("region"),
                )
            )
        return found

    async def check_pixel_token(self, pixel_external_id: str, access_token: str) -> PixelCheck:
        """`GET /{pixel_id}?fields=name` with the pixel's token: an answer accepts it; a
        token or permission error (190, 10, 200s, 100) refuses it with Meta's message."""
        try:
            body = await self.client.get(
                pixel_external_id, {"fields": "name"}, access_token=access_token
            )
        except (ConnectionBroken, InvalidSpec, ObjectNotFound) as exc:
            cause = exc.__cause__
            message = cause.message if isinstance(cause, GraphError) else str(exc)
            return PixelCheck(False, error_message=message)
        name = body.get("name")
        return PixelCheck(True, name=str(name) if name is not None else None)


def create_meta_adapter(
    credentials: NetworkCredentials,
    directory: ObjectDirectory,
    *,
    clock: Clock,
    base_url: str = DEFAULT_GRAPH_URL,
    api_version: str = DEFAULT_API_VERSION,
    transport: httpx.AsyncBaseTransport | None = None,
    app_secret: str | None = None,
    pixel_id: str | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    media: MediaReader | None = None,
    audiences: AudienceReader | None = None,
) -> MetaAdapter:
    """A Meta adapter for one connection, with its own Graph client. `sleep` waits
    between retries and report-run and video polls (tests on a manual clock pass one that
    doesn't); `media` reads the company's files and `audiences` its saved audiences to
    upload them."""
    client = MetaGraphClient(
        base_url,
        api_version,
        credentials.access_token,
        app_secret=app_secret,
        transport=transport,
        sleep=sleep,
    )
    return MetaAdapter(
        credentials,
        directory,
        clock,
        client,
        pixel_id=pixel_id,
        media=media,
        audiences=audiences,
    )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _status(status: str) -> str:
    return "ACTIVE" if status == "active" else "PAUSED"


def _review_issue(feedback: Any) -> ReviewIssue:
    """The first policy Meta names in `ad_review_feedback` (`{"global": {policy: text}}`)."""
    for scope in ("global", "placement_specific"):
        entries = feedback.get(scope) if isinstance(feedback, dict) else None
        if isinstance(entries, dict):
            for policy, message in entries.items():
                text = message if isinstance(message, str) else str(message)
                return ReviewIssue("policy_rejection", str(policy), str(policy), text)
    return ReviewIssue("policy_rejection", "unspecified", "Ad rejected", "Meta disapproved the ad")


def _detailed(option_type: str, row: Any) -> DetailedTargetingOption:
    return DetailedTargetingOption(
        type=option_type,  # type: ignore[arg-type]
        id=str(row.get("id")),
        name=str(row.get("name")),
        description=row.get("description"),
        audience_size_lower_bound=row.get("audience_size_lower_bound"),
        audience_size_upper_bound=row.get("audience_size_upper_bound"),
    )
