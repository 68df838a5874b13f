"""A stateful in-process fake of the TikTok Business API v1.3, for offline tests.

`FakeTikTok` is an ASGI app: `TikTokClient` reaches it through `httpx.ASGITransport(app=fake)`
with no sockets. It serves exactly what the TikTok adapter uses, in TikTok's envelope
(HTTP 200, `code`, `message`, `request_id`, `data`):

- `/campaign|adgroup|ad/create/`, `/…/update/`, `/…/status/update/` (lists of ids, per-id
  results, `20001` partial success with `allow_partial_success`), `/…/get/` (filtering,
  `page`/`page_size`, `page_info`), `/report/integrated/get/` (ad or campaign level, hourly
  or daily), `/pixel/list/`, `/advertiser/info/`;
- the asset library: `/file/image/ad/upload/` and `/file/video/ad/upload/` (multipart,
  `UPLOAD_BY_FILE`, the signature checked against the bytes' MD5, a `file_name` unique per
  kind; an image also `UPLOAD_BY_URL` from one of the fake's video cover URLs),
  `/file/image/ad/search/`, `/file/video/ad/search/`, `/file/video/ad/info/` (each video's
  `video_cover_url`);
- custom audiences: `/dmp/custom_audience/file/upload/` (multipart: one SHA-256 per line,
  `file_signature` checked), `/dmp/custom_audience/create/` (from `file_paths` of one
  `calculate_type`), `/dmp/custom_audience/update/` (`APPEND`), `/dmp/custom_audience/list/`;
- create `request_id` de-duplication (`40050`), `operation_status` `ENABLE` by default,
  `objective_type`/`budget_mode` refused on update, deleted objects hidden from reads; an
  ad naming an image or video id the library does not hold, or an ad group naming an
  unknown custom audience, is refused (`40002`).

Delivery is not canned: every object the fake holds is mirrored into a `SimulatedNetwork`
(seeded, on the injected clock) under the fake's own numeric ids, budgets back in
micro-units; reports are the simulator's `pull_stats`, in TikTok's row format (spend in
major units to the cent, hours in the advertiser's time zone). `advance()` lets the network
deliver up to the clock's now.

Switches, for the failure modes of a real network: `slow_consistency(reads)` (a new
object is missing from reads for its first N reads), `rate_limit(calls, window)` (40100),
`expire_token()` (40105 on every call), `lose_next_create_answer()` (the create happens,
its answer is lost), `lose_next_upload_answer()` (the same for a file upload or a custom
audience create), and `correction_rate` (re-read past days come back revised).

The token rule: the fake accepts its `access_token`, the `tokens` given beside it (a test's
several connections) and, for pixel reads, `pixel_tokens`; a missing token answers 40104,
any other 40105. A call naming another advertiser answers 40001, but with
`any_advertiser`, `/advertiser/info/` answers any advertiser id as an enabled advertiser:
what the API's token check meets for the advertiser ids tests make up. `close_advertiser`
and `remove_advertiser` make one unusable (a status other than `STATUS_ENABLE`) or unknown
(40001).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Literal
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from adline.core.clock import Clock
from adline.delivery.adapter import (
    WEEKDAYS,
    AdapterError,
    AdGroupSpec,
    AdSpec,
    Bidding,
    Budget,
    CampaignSpec,
    CreativeSummary,
    DeliverySchedule,
    FrequencyCap,
    GeoSelection,
    InvalidSpec,
    ObjectKind,
    ObjectNotFound,
    ObjectRef,
    ReportedHour,
    ScheduleWindow,
    Targeting,
)
from adline.delivery.audience import person_matched
from adline.delivery.simulator import SimulatedNetwork
from adline.networks.tiktok import mapping

RateWindow = Literal["QPS", "QPM", "QPD"]

API_VERSION = "v1.3"

OK, PARTIAL_SUCCESS = 0, 20001
INVALID, PERMISSION, NOT_FOUND, DUPLICATED = 40002, 40001, 40007, 40050
RATE_LIMITED, EMPTY_TOKEN, INVALID_TOKEN = 40100, 40104, 40105
# The Basic tier's limits (networks.md §3.4), named in the 40100 message.
RATE_LIMIT_MESSAGES: dict[RateWindow, str] = {
    "QPS": "Too many requests: the app exceeded its QPS limit (10 requests per second).",
    "QPM": "Too many requests: the app exceeded its QPM limit (600 requests per minute).",
    "QPD": "Too many requests: the app exceeded its QPD limit (864000 requests per day).",
}
MAX_PAGE_SIZE = 1000
REPORT_METRICS = frozenset({"spend", "impressions", "clicks", "reach"})
# How many days one report request may span, by time dimension (Airbyte's steps).
REPORT_DAYS = {"stat_time_hour": 1, "stat_time_day": 30}
CENT = Decimal("0.01")

# Reverse tables: what the adapter sends, back to Adline's vocabulary for the simulator.
OBJECTIVE_OF = {value: key for key, value in mapping.OBJECTIVES.items()}
GOAL_OF = {goal: key for key, (goal, _billing) in mapping.OPTIMIZATION_GOALS.items()}
GENDER_OF = {value: key for key, value in mapping.GENDERS.items()}
COUNTRY_OF = {value: key for key, value in mapping.COUNTRY_LOCATION_IDS.items()}
FORMAT_OF = {
    "SINGLE_IMAGE": "image",
    "SINGLE_VIDEO": "video",
    "CAROUSEL_ADS": "carousel",
}
AGE_BOUNDS = {name: (start, end) for start, end, name in mapping.AGE_GROUPS}
# What the fake's custom audience files may hold (the encryption types it serves).
CALCULATE_TYPES = frozenset({"EMAIL_SHA256", "PHONE_SHA256"})
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_AUDIENCE_NAME = 128


class TikTokError(Exception):
    """An error envelope: `code` and `message`, answered with HTTP 200 as TikTok does."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FakeLevel:
    """One object level: its endpoint path, id fields, and what the simulator calls it."""

    kind: ObjectKind
    path: str
    id_field: str
    ids_field: str
    name_field: str
    status_prefix: str
    first_id: int


CAMPAIGN = FakeLevel(
    "ad_campaign", "campaign", "campaign_id", "campaign_ids", "campaign_name", "CAMPAIGN", 18
)
AD_GROUP = FakeLevel(
    "ad_group", "adgroup", "adgroup_id", "adgroup_ids", "adgroup_name", "ADGROUP", 19
)
AD = FakeLevel("ad", "ad", "ad_id", "ad_ids", "ad_name", "AD", 17)


@dataclass
class FakeObject:
    """One object as TikTok holds it: its fields (TikTok's names) and its reads so far."""

    level: FakeLevel
    fields: dict[str, Any]
    hidden_reads: int = 0

    @property
    def id(self) -> str:
        return str(self.fields[self.level.id_field])

    @property
    def deleted(self) -> bool:
        return bool(self.fields["operation_status"] == mapping.DELETE)

    def row(self) -> dict[str, Any]:
        status = self.fields["operation_status"]
        secondary = {
            mapping.ENABLE: "DELIVERY_OK" if self.level is not CAMPAIGN else "ENABLE",
            mapping.DISABLE: "DISABLE",
            mapping.DELETE: "DELETE",
        }[status]
        return {**self.fields, "secondary_status": f"{self.level.status_prefix}_STATUS_{secondary}"}


@dataclass(frozen=True)
class UploadPart:
    """One file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FakeAsset:
    """An image or a video in the advertiser's asset library."""

    kind: Literal["image", "video"]
    id: str
    file_name: str
    signature: str
    data: bytes

    def row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            f"{self.kind}_id": self.id,
            "material_id": f"m{self.id[-12:]}",
            "file_name": self.file_name,
            "signature": self.signature,
            "size": len(self.data),
        }
        if self.kind == "video":
            row["video_cover_url"] = cover_url(self.id)
        return row


def cover_url(video_id: str) -> str:
    """Where the fake serves a video's cover frame (an image upload by URL may name it)."""
    return f"https://p16-fake-tiktok.test/cover/{video_id}.jpg"


@dataclass
class FakeAudience:
    """A custom audience: its name, encryption type and the hashes uploaded to it."""

    id: str
    name: str
    calculate_type: str
    hashes: set[str]

    def row(self) -> dict[str, Any]:
        return {
            "custom_audience_id": self.id,
            "name": self.name,
            "calculate_type": self.calculate_type,
            "audience_type": "Customer File",
        }

    @property
    def matched(self) -> int:
        """The people the simulated network finds among the uploaded hashes."""
        return sum(1 for value in self.hashes if person_matched(value))


@dataclass(frozen=True)
class FakeCall:
    """One request the fake received: `path` after `/open_api/v1.3/`; `params` the query
    (lists and objects still JSON text) or the JSON body."""

    method: str
    path: str
    params: dict[str, Any]


@dataclass
class _Switches:
    consistency_reads: int = 0
    rate_limited_calls: int = 0
    rate_window: RateWindow = "QPS"
    token_expired: bool = False
    lose_create_answers: int = 0
    lose_upload_answers: int = 0


@dataclass(eq=False, repr=False)
class FakeTikTok:
    """One TikTok advertiser account behind an ASGI app (see the module docstring).

    `seed`, `clock`, `reporting_lag` and `correction_rate` are the simulator's;
    `time_zone` is the advertiser's (report hours and days follow it)."""

    clock: Clock
    advertiser_id: str = "7000000000000000001"
    access_token: str = "fake-access-token"
    seed: int = 7
    time_zone: str = "UTC"
    reporting_lag: timedelta = timedelta(minutes=15)
    correction_rate: float = 0.0
    # Extra tokens the fake accepts (a pixel's own token), and the pixels they see.
    pixel_tokens: tuple[str, ...] = ()
    pixels: tuple[dict[str, str], ...] = ()
    # More connection tokens it accepts, and whether any advertiser's info reads (the
    # module's token rule).
    tokens: tuple[str, ...] = ()
    any_advertiser: bool = False
    # Advertisers made unusable (their status) or unknown.
    advertiser_statuses: dict[str, str] = field(init=False, default_factory=dict)
    removed_advertisers: set[str] = field(init=False, default_factory=set)
    network: SimulatedNetwork = field(init=False)
    objects: dict[str, FakeObject] = field(init=False, default_factory=dict)
    # The asset library (images and videos by id), uploaded audience files (by
    # file_path: their encryption type and hashes) and custom audiences (by id).
    assets: dict[str, FakeAsset] = field(init=False, default_factory=dict)
    audience_files: dict[str, tuple[str, tuple[str, ...]]] = field(init=False, default_factory=dict)
    audiences: dict[str, FakeAudience] = field(init=False, default_factory=dict)
    # Every call, answered or refused, in order.
    calls: list[FakeCall] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.network = SimulatedNetwork(
            self.seed,
            self.clock,
            self.reporting_lag,
            self.correction_rate,
            platform="tiktok",
        )
        self._zone = ZoneInfo(self.time_zone)
        self._switches = _Switches()
        self._request_ids: dict[tuple[str, str], str] = {}
        self._ids = {level.path: itertools.count(1) for level in (CAMPAIGN, AD_GROUP, AD)}
        self._answers = itertools.count(1)
        self._writes = itertools.count(1)
        self._uploads = itertools.count(1)
        routes = [
            *(
                Route(f"/open_api/{API_VERSION}/{level.path}/{action}/", handler, methods=[method])
                for level in (CAMPAIGN, AD_GROUP, AD)
                for action, method, handler in (
                    ("create", "POST", self._create_handler(level)),
                    ("update", "POST", self._update_handler(level)),
                    ("status/update", "POST", self._status_handler(level)),
                    ("get", "GET", self._get_handler(level)),
                )
            ),
            Route(
                f"/open_api/{API_VERSION}/report/integrated/get/",
                self._serve(self._report),
                methods=["GET"],
            ),
            Route(
                f"/open_api/{API_VERSION}/pixel/list/", self._serve(self._pixels), methods=["GET"]
            ),
            *(
                route
                for kind in ("image", "video")
                for route in (
                    Route(
                        f"/open_api/{API_VERSION}/file/{kind}/ad/upload/",
                        self._serve(self._asset_uploader(kind)),
                        methods=["POST"],
                    ),
                    Route(
                        f"/open_api/{API_VERSION}/file/{kind}/ad/search/",
                        self._serve(self._asset_searcher(kind)),
                        methods=["GET"],
                    ),
                )
            ),
            Route(
                f"/open_api/{API_VERSION}/file/video/ad/info/",
                self._serve(self._video_info),
                methods=["GET"],
            ),
            *(
                Route(
                    f"/open_api/{API_VERSION}/dmp/custom_audience/{path}/", action, methods=[verb]
                )
                for path, verb, action in (
                    ("file/upload", "POST", self._serve(self._audience_file)),
                    ("create", "POST", self._serve(self._audience_create)),
                    ("update", "POST", self._serve(self._audience_update)),
                    ("list", "GET", self._serve(self._audience_list)),
                )
            ),
            Route(
                f"/open_api/{API_VERSION}/advertiser/info/",
                self._serve(self._advertiser_info, advertiser_scoped=False),
                methods=["GET"],
            ),
        ]
        self._app = Starlette(routes=routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    # --- Switches and introspection ----------------------------------------------------------

    def advance(self) -> None:
        """Let the simulated network deliver every whole hour up to the clock's now."""
        self.network.advance_to(self.clock.now())

    def slow_consistency(self, reads: int) -> None:
        """Objects created from now on are missing from `/…/get/` for their first `reads`
        reads that would have listed them (0 turns it off)."""
        self._switches.consistency_reads = reads

    def rate_limit(self, calls: int, window: RateWindow = "QPS") -> None:
        """Answer the next `calls` calls with 40100, the message naming `window`."""
        self._switches.rate_limited_calls = calls
        self._switches.rate_window = window

    def expire_token(self) -> None:
        """The access token is no longer valid: every call answers 40105."""
        self._switches.token_expired = True

    def close_advertiser(self, advertiser_id: str, status: str = "STATUS_DISABLE") -> None:
        """The advertiser reads with `status` from now on."""
        self.advertiser_statuses[advertiser_id] = status

    def remove_advertiser(self, advertiser_id: str) -> None:
        """No token sees the advertiser any more: reads naming it answer 40001."""
        self.removed_advertisers.add(advertiser_id)

    def lose_next_create_answer(self) -> None:
        """The next create is made, but its answer is lost (HTTP 504 without a body), as
        when a connection drops after TikTok committed."""
        self._switches.lose_create_answers += 1

    def lose_next_upload_answer(self) -> None:
        """The next file upload (an image, a video, an audience file) or custom audience
        create is made, but its answer is lost (HTTP 504 without a body)."""
        self._switches.lose_upload_answers += 1

    def live(self, level: FakeLevel) -> list[FakeObject]:
        """The level's objects that are not deleted, oldest first."""
        return [obj for obj in self.objects.values() if obj.level is level and not obj.deleted]

    def billed_micros(self, campaign_id: str, since: datetime | None = None) -> int:
        """What the simulated network billed the campaign (before any later refund), in
        micro-units; with `since`, from the hour that contains it (that hour whole)."""
        start = (
            None
            if since is None
            else since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        )
        return sum(
            amount
            for hour, amount in self.network.billed_by_hour(campaign_id).items()
            if start is None or hour >= start
        )

    # --- HTTP plumbing ------------------------------------------------------------------------

    def _serve(
        self,
        action: Callable[[dict[str, Any]], Mapping[str, Any] | tuple[int, str, Any]],
        *,
        advertiser_scoped: bool = True,
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            path = request.url.path.split(f"/{API_VERSION}/", 1)[1]
            try:
                params = await _params(request)
            except TikTokError as error:
                self.calls.append(FakeCall(request.method, path, {}))
                return self._envelope(error.code, error.message, {})
            self.calls.append(FakeCall(request.method, path, params))
            try:
                self._check_access(request)
                if advertiser_scoped and not self._visible(str(params.get("advertiser_id"))):
                    raise TikTokError(PERMISSION, "No permission to operate advertiser_id.")
                result = action(params)
            except TikTokError as error:
                return self._envelope(error.code, error.message, {})
            except _LostAnswer:
                return PlainTextResponse("Gateway Timeout", status_code=504)
            if isinstance(result, tuple):
                code, message, data = result
                return self._envelope(code, message, data)
            return self._envelope(OK, "OK", dict(result))

        return endpoint

    def _check_access(self, request: Request) -> None:
        token = request.headers.get("Access-Token")
        if not token:
            raise TikTokError(EMPTY_TOKEN, "Access token is empty.")
        switches = self._switches
        accepted = (self.access_token, *self.tokens, *self.pixel_tokens)
        if switches.token_expired or token not in accepted:
            raise TikTokError(INVALID_TOKEN, "Access token is invalid or has expired.")
        if switches.rate_limited_calls > 0:
            switches.rate_limited_calls -= 1
            raise TikTokError(RATE_LIMITED, RATE_LIMIT_MESSAGES[switches.rate_window])

    def _envelope(self, code: int, message: str, data: Mapping[str, Any]) -> JSONResponse:
        stamp = self.clock.now().strftime("%Y%m%d%H%M%S")
        request_id = f"{stamp}{next(self._answers):016d}"
        return JSONResponse(
            {"code": code, "message": message, "request_id": request_id, "data": data}
        )

    def _create_handler(self, level: FakeLevel) -> Callable[[Request], Any]:
        return self._serve(lambda params: self._create(level, params))

    def _update_handler(self, level: FakeLevel) -> Callable[[Request], Any]:
        return self._serve(lambda params: self._update(level, params))

    def _status_handler(self, level: FakeLevel) -> Callable[[Request], Any]:
        return self._serve(lambda params: self._set_status(level, params))

    def _get_handler(self, level: FakeLevel) -> Callable[[Request], Any]:
        return self._serve(lambda params: self._get(level, params))

    # --- Writes -----------------------------------------------------------------------------

    def _create(self, level: FakeLevel, params: dict[str, Any]) -> Mapping[str, Any]:
        request_id = params.get("request_id")
        if request_id is not None and (level.path, str(request_id)) in self._request_ids:
            raise TikTokError(DUPLICATED, "Duplicated request.")
        if level is AD:
            created = self._create_ads(params)
            data: dict[str, Any] = {"ad_ids": [obj.id for obj in created]}
        else:
            created = [self._create_one(level, params)]
            data = {level.id_field: created[0].id}
        try:
            for obj in created:
                self._sync(obj)
        except TikTokError:
            # The simulator refused it: TikTok would not have created it either.
            for obj in created:
                del self.objects[obj.id]
            raise
        if request_id is not None:
            self._request_ids[(level.path, str(request_id))] = created[0].id
        if self._switches.lose_create_answers > 0:
            self._switches.lose_create_answers -= 1
            raise _LostAnswer
        return data

    def _create_one(self, level: FakeLevel, params: dict[str, Any]) -> FakeObject:
        fields = {key: value for key, value in params.items() if key != "request_id"}
        _require(fields, level.name_field)
        if level is CAMPAIGN:
            _require(fields, "objective_type")
            if fields["objective_type"] not in OBJECTIVE_OF:
                raise TikTokError(INVALID, "objective_type is not a valid objective.")
            fields.setdefault("budget_mode", mapping.NO_CAMPAIGN_BUDGET)
            _check_budget(fields, owner=fields["budget_mode"] != mapping.NO_CAMPAIGN_BUDGET)
        else:
            campaign = self._live_parent(CAMPAIGN, fields.get("campaign_id"))
            cbo = campaign.fields["budget_mode"] != mapping.NO_CAMPAIGN_BUDGET
            if cbo and ("budget" in fields or "budget_mode" in fields):
                raise TikTokError(
                    INVALID, "budget: the campaign owns the budget (budget_optimize_on)."
                )
            for name in ("optimization_goal", "billing_event", "schedule_start_time"):
                _require(fields, name)
            self._check_audiences(fields)
            if not cbo:
                _require(fields, "budget_mode")
                _check_budget(fields, owner=True)
        return self._store(level, fields)

    def _create_ads(self, params: dict[str, Any]) -> list[FakeObject]:
        group = self._live_parent(AD_GROUP, params.get("adgroup_id"))
        creatives = params.get("creatives")
        if not isinstance(creatives, list) or not creatives:
            raise TikTokError(INVALID, "creatives: at least one creative is required.")
        created: list[FakeObject] = []
        for creative in creatives:
            fields = {
                "adgroup_id": group.id,
                "campaign_id": group.fields["campaign_id"],
                "operation_status": params.get("operation_status", mapping.ENABLE),
                **creative,
            }
            _require(fields, "ad_name")
            if fields.get("ad_format") not in FORMAT_OF:
                raise TikTokError(INVALID, "ad_format is not a valid format.")
            self._check_media(fields)
            created.append(self._store(AD, fields))
        return created

    def _store(self, level: FakeLevel, fields: dict[str, Any]) -> FakeObject:
        network_id = str(level.first_id * 10**17 + next(self._ids[level.path]))
        now = _text(self.clock.now())
        fields.setdefault("operation_status", mapping.ENABLE)
        if fields["operation_status"] not in (mapping.ENABLE, mapping.DISABLE):
            raise TikTokError(INVALID, "operation_status must be ENABLE or DISABLE.")
        fields.update(
            {
                level.id_field: network_id,
                "advertiser_id": self.advertiser_id,
                "create_time": now,
                "modify_time": now,
            }
        )
        obj = FakeObject(level, fields, self._switches.consistency_reads)
        self.objects[network_id] = obj
        return obj

    def _update(self, level: FakeLevel, params: dict[str, Any]) -> Mapping[str, Any]:
        for fixed in ("objective_type", "budget_mode", "operation_status"):
            if fixed in params:
                raise TikTokError(INVALID, f"{fixed} cannot be updated.")
        if level is AD:
            changes = [
                (self._live(AD, creative.get("ad_id")), dict(creative))
                for creative in params.get("creatives") or []
            ]
            if not changes:
                raise TikTokError(INVALID, "creatives: at least one creative is required.")
            for _, creative in changes:
                self._check_media(creative)
        else:
            obj = self._live(level, params.get(level.id_field))
            fields = {key: value for key, value in params.items() if key != "advertiser_id"}
            if level is AD_GROUP:
                self._check_audiences(fields)
            if "budget" in fields:
                _check_budget({**obj.fields, **fields}, owner=True)
            changes = [(obj, fields)]
        before = [(obj, dict(obj.fields)) for obj, _ in changes]
        try:
            for obj, fields in changes:
                obj.fields.update(fields, modify_time=_text(self.clock.now()))
                self._sync(obj)
        except TikTokError:
            # The simulator refused a change: TikTok keeps the object as it was.
            for obj, fields in before:
                obj.fields = fields
            raise
        if level is AD:
            return {"ad_ids": [obj.id for obj, _ in changes]}
        return {level.id_field: changes[0][0].id}

    def _set_status(
        self, level: FakeLevel, params: dict[str, Any]
    ) -> Mapping[str, Any] | tuple[int, str, Any]:
        """Per id: a live object changes; an unknown or deleted one fails. Without
        `allow_partial_success` (ad groups only) one failure fails the call."""
        status = params.get("operation_status")
        if status not in (mapping.ENABLE, mapping.DISABLE, mapping.DELETE):
            raise TikTokError(INVALID, "operation_status must be ENABLE, DISABLE or DELETE.")
        ids = [str(value) for value in params.get(level.ids_field) or []]
        if not ids:
            raise TikTokError(INVALID, f"{level.ids_field} is required.")
        live = {
            value
            for value in ids
            if value in self.objects
            and self.objects[value].level is level
            and not self.objects[value].deleted
        }
        partial = bool(params.get("allow_partial_success")) and level is AD_GROUP
        if len(live) < len(ids) and not partial:
            raise TikTokError(NOT_FOUND, f"{level.ids_field}: some objects do not exist.")
        changed = [value for value in ids if value in live]
        for value in changed:
            obj = self.objects[value]
            obj.fields["operation_status"] = status
            obj.fields["modify_time"] = _text(self.clock.now())
            if status == mapping.DELETE:
                self._delete(obj)
            else:
                self._sync(obj)
        data = {level.ids_field: changed, "status": status}
        if len(changed) < len(ids):
            return (PARTIAL_SUCCESS, "Partial success: some objects failed to update.", data)
        return data

    def _check_media(self, creative: Mapping[str, Any]) -> None:
        """An ad's `video_id` and `image_ids` must be the library's (TikTok's own ids)."""
        video = creative.get("video_id")
        if video is not None and self._asset("video", video) is None:
            raise TikTokError(INVALID, f"video_id: the video {video} does not exist.")
        for image in creative.get("image_ids") or []:
            if self._asset("image", image) is None:
                raise TikTokError(INVALID, f"image_ids: the image {image} does not exist.")

    def _check_audiences(self, fields: Mapping[str, Any]) -> None:
        for name in ("audience_ids", "excluded_audience_ids"):
            for value in fields.get(name) or []:
                if str(value) not in self.audiences:
                    raise TikTokError(INVALID, f"{name}: the audience {value} does not exist.")

    def _asset(self, kind: str, asset_id: Any) -> FakeAsset | None:
        asset = self.assets.get(str(asset_id))
        return asset if asset is not None and asset.kind == kind else None

    # --- The asset library and custom audiences ----------------------------------------------

    def _asset_uploader(
        self, kind: Literal["image", "video"]
    ) -> Callable[[dict[str, Any]], Mapping[str, Any]]:
        return lambda params: self._upload_asset(kind, params)

    def _asset_searcher(self, kind: str) -> Callable[[dict[str, Any]], Mapping[str, Any]]:
        def search(params: dict[str, Any]) -> Mapping[str, Any]:
            rows = [asset.row() for asset in self.assets.values() if asset.kind == kind]
            return _page(rows, params, "list")

        return search

    def _upload_asset(self, kind: Literal["image", "video"], params: dict[str, Any]) -> Any:
        """`UPLOAD_BY_FILE`: the `<kind>_file` part, its MD5 as `<kind>_signature`; or, for
        an image, `UPLOAD_BY_URL` of a video's cover frame. A `file_name` already in the
        library is refused (the fake's rule [verify])."""
        if kind == "image" and params.get("upload_type") == "UPLOAD_BY_URL":
            covers = {cover_url(a.id): a for a in self.assets.values() if a.kind == "video"}
            video = covers.get(str(params.get("image_url")))
            if video is None:
                raise TikTokError(INVALID, "image_url: the image cannot be downloaded.")
            data = b"\xff\xd8\xff cover of " + video.id.encode()
            signature = hashlib.md5(data).hexdigest()
        elif params.get("upload_type") == "UPLOAD_BY_FILE":
            part = params.get(f"{kind}_file")
            if not isinstance(part, UploadPart):
                raise TikTokError(INVALID, f"{kind}_file is required.")
            if not part.content_type.startswith(f"{kind}/"):
                raise TikTokError(INVALID, f"{kind}_file: not an {kind} ({part.content_type}).")
            data, signature = part.data, hashlib.md5(part.data).hexdigest()
            if params.get(f"{kind}_signature") != signature:
                raise TikTokError(INVALID, f"{kind}_signature does not match the file.")
        else:
            raise TikTokError(INVALID, "upload_type: UPLOAD_BY_FILE (or an image's URL) only.")
        name = str(params.get("file_name") or signature)
        if any(a.kind == kind and a.file_name == name for a in self.assets.values()):
            raise TikTokError(INVALID, f"file_name: {name!r} already exists.")
        number = next(self._uploads)
        asset_id = (
            f"ad-site-i18n-sg/{number:020d}" if kind == "image" else f"v10033g50000{number:08d}"
        )
        asset = FakeAsset(kind, asset_id, name, signature, data)
        self.assets[asset_id] = asset
        self._lose_upload_answer()
        # An image upload answers the image; a video upload a list of videos [verify].
        return asset.row() if kind == "image" else {"list": [asset.row()]}

    def _video_info(self, params: dict[str, Any]) -> Mapping[str, Any]:
        ids = _json(params.get("video_ids"))
        if not isinstance(ids, list) or not ids:
            raise TikTokError(INVALID, "video_ids: a list of video ids is required.")
        found = [self._asset("video", value) for value in ids]
        return {"list": [asset.row() for asset in found if asset is not None]}

    def _audience_file(self, params: dict[str, Any]) -> Mapping[str, Any]:
        """One lowercase hex SHA-256 per line of the `file` part; `file_signature` its MD5."""
        calculate_type = params.get("calculate_type")
        if calculate_type not in CALCULATE_TYPES:
            raise TikTokError(INVALID, "calculate_type is not a valid encryption type.")
        part = params.get("file")
        if not isinstance(part, UploadPart):
            raise TikTokError(INVALID, "file is required.")
        if params.get("file_signature") != hashlib.md5(part.data).hexdigest():
            raise TikTokError(INVALID, "file_signature does not match the file.")
        lines = [line.strip() for line in part.data.decode("ascii", "replace").splitlines()]
        hashes = tuple(line for line in lines if line)
        if not hashes or not all(SHA256_HEX.fullmatch(value) for value in hashes):
            raise TikTokError(INVALID, "file: every line must be a lowercase SHA-256.")
        file_path = f"dmp/{self.advertiser_id}/{next(self._uploads):020d}.txt"
        self.audience_files[file_path] = (str(calculate_type), hashes)
        return {"file_path": file_path}

    def _audience_hashes(self, params: Mapping[str, Any], calculate_type: str) -> set[str]:
        paths = params.get("file_paths")
        if not isinstance(paths, list) or not paths:
            raise TikTokError(INVALID, "file_paths is required.")
        hashes: set[str] = set()
        for path in paths:
            uploaded = self.audience_files.get(str(path))
            if uploaded is None:
                raise TikTokError(INVALID, f"file_paths: {path} does not exist.")
            if uploaded[0] != calculate_type:
                raise TikTokError(INVALID, "calculate_type: the files are of another type.")
            hashes.update(uploaded[1])
        return hashes

    def _audience_create(self, params: dict[str, Any]) -> Mapping[str, Any]:
        name = str(params.get("custom_audience_name") or "")
        if not 1 <= len(name) <= MAX_AUDIENCE_NAME:
            raise TikTokError(INVALID, "custom_audience_name must be 1 to 128 characters.")
        calculate_type = str(params.get("calculate_type"))
        if calculate_type not in CALCULATE_TYPES:
            raise TikTokError(INVALID, "calculate_type is not a valid encryption type.")
        hashes = self._audience_hashes(params, calculate_type)
        audience_id = str(1830 * 10**15 + next(self._uploads))
        self.audiences[audience_id] = FakeAudience(audience_id, name, calculate_type, hashes)
        self._lose_upload_answer()
        return {"custom_audience_id": audience_id}

    def _audience_update(self, params: dict[str, Any]) -> Mapping[str, Any]:
        audience = self.audiences.get(str(params.get("custom_audience_id")))
        if audience is None:
            raise TikTokError(NOT_FOUND, "custom_audience_id does not exist.")
        if params.get("action") != "APPEND":
            raise TikTokError(INVALID, "action: only APPEND is served.")
        audience.hashes.update(self._audience_hashes(params, audience.calculate_type))
        for obj in self.objects.values():
            names = (
                *(obj.fields.get("audience_ids") or ()),
                *(obj.fields.get("excluded_audience_ids") or ()),
            )
            if obj.level is AD_GROUP and not obj.deleted and audience.id in map(str, names):
                self._sync(obj)  # the group reaches the audience's new people
        return {"custom_audience_id": audience.id}

    def _audience_list(self, params: dict[str, Any]) -> Mapping[str, Any]:
        return _page([audience.row() for audience in self.audiences.values()], params, "list")

    def _lose_upload_answer(self) -> None:
        if self._switches.lose_upload_answers > 0:
            self._switches.lose_upload_answers -= 1
            raise _LostAnswer

    # --- Reads ------------------------------------------------------------------------------

    def _get(self, level: FakeLevel, params: dict[str, Any]) -> Mapping[str, Any]:
        filtering = _json(params.get("filtering")) or {}
        show_deleted = str(filtering.get("secondary_status", "")).endswith("_STATUS_ALL")
        matched = []
        for obj in self.objects.values():
            if obj.level is not level or (obj.deleted and not show_deleted):
                continue
            if not _matches(obj, filtering):
                continue
            if obj.hidden_reads > 0:
                # Slow consistency: this read does not see the new object yet.
                obj.hidden_reads -= 1
                continue
            matched.append(obj.row())
        return _page(matched, params, "list")

    def _visible(self, advertiser_id: str) -> bool:
        """May a call name this advertiser? Its own, unless removed."""
        return advertiser_id == self.advertiser_id and advertiser_id not in self.removed_advertisers

    def _advertiser_info(self, params: dict[str, Any]) -> Mapping[str, Any]:
        """`advertiser_ids` (a JSON list, required) and optional `fields`: one row each; an
        id the token may not see fails the call (40001)."""
        ids = _json(params.get("advertiser_ids"))
        if not isinstance(ids, list) or not ids:
            raise TikTokError(INVALID, "advertiser_ids: a list of advertiser ids is required.")
        rows = []
        for advertiser_id in map(str, ids):
            readable = self._visible(advertiser_id) or (
                self.any_advertiser and advertiser_id not in self.removed_advertisers
            )
            if not readable:
                raise TikTokError(
                    PERMISSION, f"No permission to operate advertiser {advertiser_id}."
                )
            own = advertiser_id == self.advertiser_id
            rows.append(
                {
                    "advertiser_id": advertiser_id,
                    "name": "Fake TikTok advertiser" if own else f"Advertiser {advertiser_id}",
                    "status": self.advertiser_statuses.get(advertiser_id, "STATUS_ENABLE"),
                    "currency": "USD",
                    "timezone": self.time_zone,
                }
            )
        fields = _json(params.get("fields"))
        if isinstance(fields, list):
            rows = [{name: row[name] for name in fields if name in row} for row in rows]
        return {"list": rows}

    def _pixels(self, params: dict[str, Any]) -> Mapping[str, Any]:
        return _page([dict(pixel) for pixel in self.pixels], params, "pixels")

    def _report(self, params: dict[str, Any]) -> Mapping[str, Any]:
        """The simulator's hourly rows, at ad or campaign level, by hour or day, in the
        advertiser's time zone; only rows with delivery."""
        if params.get("service_type") != "AUCTION" or params.get("report_type") != "BASIC":
            raise TikTokError(INVALID, "service_type/report_type: only AUCTION BASIC is served.")
        level = {"AUCTION_AD": AD, "AUCTION_CAMPAIGN": CAMPAIGN}.get(str(params.get("data_level")))
        if level is None:
            raise TikTokError(INVALID, "data_level is not supported.")
        dimensions = _json(params.get("dimensions")) or []
        metrics = _json(params.get("metrics")) or []
        unknown = [metric for metric in metrics if metric not in REPORT_METRICS]
        if unknown:
            raise TikTokError(INVALID, f"metrics: invalid metric fields {unknown}.")
        if len(dimensions) != 2 or dimensions[0] != level.id_field:
            raise TikTokError(INVALID, f"dimensions must be [{level.id_field}, a time].")
        time_dimension = dimensions[1]
        if time_dimension not in REPORT_DAYS:
            raise TikTokError(INVALID, "dimensions: stat_time_hour or stat_time_day.")
        start, end = _date(params, "start_date"), _date(params, "end_date")
        if not start <= end or (end - start).days >= REPORT_DAYS[time_dimension]:
            raise TikTokError(INVALID, "end_date: the range is too long for the dimension.")
        since = datetime.combine(start, datetime.min.time(), self._zone).astimezone(UTC)
        until = datetime.combine(end + timedelta(days=1), datetime.min.time(), self._zone)
        rows: dict[tuple[str, str], list[ReportedHour]] = {}
        for hour in _pulled(self.network, since, until.astimezone(UTC)):
            ad = self.objects.get(hour.ad_id)
            if ad is None:
                continue
            object_id = hour.ad_id if level is AD else str(ad.fields["campaign_id"])
            local = hour.hour_start.astimezone(self._zone)
            when = local if time_dimension == "stat_time_hour" else local.replace(hour=0)
            rows.setdefault((object_id, when.strftime(mapping.TIME_FORMAT)), []).append(hour)
        out = [
            {
                "dimensions": {level.id_field: object_id, time_dimension: when},
                "metrics": {metric: _metric(metric, hours) for metric in metrics},
            }
            for (object_id, when), hours in sorted(rows.items(), key=lambda item: item[0][::-1])
        ]
        return _page(out, params, "list")

    # --- The simulator ----------------------------------------------------------------------

    def _sync(self, obj: FakeObject) -> None:
        """Mirror the object's current fields into the simulator (ids are the fake's)."""
        if obj.level is CAMPAIGN:
            campaign = self._campaign_spec(obj)
            self._write(lambda key: self.network.upsert_campaign(campaign, idempotency_key=key))
        elif obj.level is AD_GROUP:
            group = self._ad_group_spec(obj)
            self._write(lambda key: self.network.upsert_ad_group(group, idempotency_key=key))
        else:
            ad = self._ad_spec(obj)
            self._write(lambda key: self.network.upsert_ad(ad, idempotency_key=key))

    def _delete(self, obj: FakeObject) -> None:
        ref = ObjectRef(obj.level.kind, obj.id)
        self._write(lambda key: self.network.delete_object(ref, idempotency_key=key))

    def _write(self, call: Callable[[str], Any]) -> None:
        """Run one simulator write (its coroutine completes without awaiting anything)."""
        coroutine = call(f"fake-tiktok-{next(self._writes)}")
        try:
            coroutine.send(None)
        except StopIteration:
            return
        except InvalidSpec as error:
            raise TikTokError(INVALID, f"{error.param or 'params'}: {error}") from error
        except ObjectNotFound as error:
            raise TikTokError(NOT_FOUND, str(error)) from error
        except AdapterError as error:
            raise TikTokError(INVALID, str(error)) from error
        raise AssertionError("A simulator write awaited something")  # pragma: no cover

    def _campaign_spec(self, obj: FakeObject) -> CampaignSpec:
        fields = obj.fields
        return CampaignSpec(
            id=obj.id,
            account_id=self.advertiser_id,
            status=_run_status(fields),
            objective=OBJECTIVE_OF[fields["objective_type"]],
            budget=_budget(fields),
            time_zone=self.time_zone,
        )

    def _ad_group_spec(self, obj: FakeObject) -> AdGroupSpec:
        fields = obj.fields
        billing = fields.get("billing_event")
        bidding = None
        if fields.get("bid_type") == "BID_TYPE_CUSTOM":
            price = fields.get("conversion_bid_price") or fields.get("bid_price")
            average = billing == mapping.CONVERSION_BILLING
            bidding = Bidding(
                "average_target" if average else "maximum_target", mapping.micros(price)
            )
        cap = None
        if fields.get("frequency") is not None:
            cap = FrequencyCap(int(fields["frequency"]), int(fields["frequency_schedule"]))
        return AdGroupSpec(
            id=obj.id,
            campaign_id=str(fields["campaign_id"]),
            status=_run_status(fields),
            budget=_budget(fields),
            bidding=bidding,
            optimization_goal=GOAL_OF.get(str(fields.get("optimization_goal")), "link_clicks"),
            conversion_event=(fields.get("optimization_event") or "").lower() or None,
            starts_at=_instant(fields.get("schedule_start_time")),
            ends_at=_instant(fields.get("schedule_end_time")),
            schedule=_schedule(fields.get("dayparting")),
            frequency_cap=cap,
            targeting=self._audience_targeting(_targeting(fields), fields),
        )

    def _audience_targeting(self, targeting: Targeting, fields: Mapping[str, Any]) -> Targeting:
        """The group's custom audiences, sized by the people the simulator matches."""
        include = tuple(str(value) for value in fields.get("audience_ids") or ())
        exclude = tuple(str(value) for value in fields.get("excluded_audience_ids") or ())
        sizes = tuple(
            (audience_id, self.audiences[audience_id].matched)
            for audience_id in dict.fromkeys((*include, *exclude))
            if audience_id in self.audiences
        )
        return dataclasses.replace(
            targeting, audiences_include=include, audiences_exclude=exclude, audience_sizes=sizes
        )

    def _ad_spec(self, obj: FakeObject) -> AdSpec:
        fields = obj.fields
        media = [fields["video_id"]] if fields.get("video_id") else fields.get("image_ids") or []
        return AdSpec(
            id=obj.id,
            ad_group_id=str(fields["adgroup_id"]),
            status=_run_status(fields),
            creative=CreativeSummary(
                format=FORMAT_OF[fields["ad_format"]],  # type: ignore[arg-type]
                media_ids=tuple(media),
                primary_text=fields.get("ad_text"),
                call_to_action=fields.get("call_to_action"),
                url=fields.get("landing_page_url"),
                existing_post_id=fields.get("tiktok_item_id"),
            ),
        )

    def _live(self, level: FakeLevel, object_id: Any) -> FakeObject:
        obj = self.objects.get(str(object_id))
        if obj is None or obj.level is not level or obj.deleted:
            raise TikTokError(NOT_FOUND, f"{level.id_field} {object_id} does not exist.")
        return obj

    def _live_parent(self, level: FakeLevel, object_id: Any) -> FakeObject:
        if object_id is None:
            raise TikTokError(INVALID, f"{level.id_field} is required.")
        return self._live(level, object_id)


class _LostAnswer(Exception):
    """Internal: the write happened; its answer is dropped."""


# --- Helpers ---------------------------------------------------------------------------------


async def _params(request: Request) -> dict[str, Any]:
    """A GET's query (JSON-encoded lists and objects stay strings until read) or a POST's
    JSON body."""
    if request.method == "GET":
        return dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return _multipart(content_type, await request.body())
    try:
        body = await request.json()
    except ValueError:
        raise TikTokError(INVALID, "The request body is not JSON.") from None
    if not isinstance(body, dict):
        raise TikTokError(INVALID, "The request body must be an object.")
    return body


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body: text fields as strings, file parts as `UploadPart`."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        raise TikTokError(INVALID, "The request body is not multipart.")
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        payload = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            params[name] = payload.decode()
        else:
            params[name] = UploadPart(filename, part.get_content_type(), payload)
    return params


def _json(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise TikTokError(INVALID, f"Not valid JSON: {value[:40]}") from None


def _require(fields: Mapping[str, Any], name: str) -> None:
    if fields.get(name) in (None, ""):
        raise TikTokError(INVALID, f"{name} is required.")


def _check_budget(fields: Mapping[str, Any], *, owner: bool) -> None:
    mode = fields.get("budget_mode")
    if not owner:
        return
    if mode not in mapping.BUDGET_MODES.values():
        raise TikTokError(INVALID, "budget_mode is not valid for a budget owner.")
    budget = fields.get("budget")
    if not isinstance(budget, int | float) or budget <= 0:
        raise TikTokError(INVALID, "budget must be a positive number.")


def _matches(obj: FakeObject, filtering: Mapping[str, Any]) -> bool:
    fields = obj.fields
    for key, wanted in filtering.items():
        if key == "secondary_status":
            continue
        if key.endswith("_ids"):
            field_name = key[:-1]
            if str(fields.get(field_name)) not in {str(value) for value in wanted}:
                return False
        elif key.endswith("_name"):
            # TikTok matches names fuzzily; a substring is the fake's fuzziness.
            if str(wanted) not in str(fields.get(key, "")):
                return False
        elif fields.get(key) != wanted:
            return False
    return True


def _page(rows: list[dict[str, Any]], params: Mapping[str, Any], key: str) -> dict[str, Any]:
    page = max(1, int(params.get("page") or 1))
    page_size = min(MAX_PAGE_SIZE, max(1, int(params.get("page_size") or 10)))
    total_page = -(-len(rows) // page_size)
    return {
        key: rows[(page - 1) * page_size : page * page_size],
        "page_info": {
            "page": page,
            "page_size": page_size,
            "total_number": len(rows),
            "total_page": total_page,
        },
    }


def _pulled(network: SimulatedNetwork, since: datetime, until: datetime) -> list[ReportedHour]:
    coroutine = network.pull_stats(since, until)
    try:
        coroutine.send(None)
    except StopIteration as done:
        rows: list[ReportedHour] = done.value
        return rows
    raise AssertionError("pull_stats awaited something")  # pragma: no cover


def _metric(metric: str, hours: list[ReportedHour]) -> str:
    """TikTok reports metrics as strings; spend in major units to the cent."""
    if metric == "spend":
        total = sum(hour.spend_micros for hour in hours)
        return str((Decimal(total) / mapping.MICROS_PER_UNIT).quantize(CENT, ROUND_HALF_EVEN))
    return str(sum(getattr(hour, metric) for hour in hours))


def _date(params: Mapping[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(str(params.get(name)))
    except ValueError:
        raise TikTokError(INVALID, f"{name} must be YYYY-MM-DD.") from None


def _text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime(mapping.TIME_FORMAT)


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(str(value), mapping.TIME_FORMAT).replace(tzinfo=UTC)


def _run_status(fields: Mapping[str, Any]) -> Literal["active", "paused"]:
    return "active" if fields.get("operation_status") == mapping.ENABLE else "paused"


def _budget(fields: Mapping[str, Any]) -> Budget | None:
    mode = fields.get("budget_mode")
    if mode == mapping.BUDGET_MODES["daily"]:
        return Budget("daily", mapping.micros(fields.get("budget")))
    if mode == mapping.BUDGET_MODES["lifetime"]:
        return Budget("lifetime", mapping.micros(fields.get("budget")))
    return None


def _schedule(dayparting: Any) -> DeliverySchedule | None:
    """336 half-hour flags from Monday 00:00 back to whole-hour windows (an hour delivers
    when both its halves do)."""
    if not dayparting:
        return None
    text = str(dayparting)
    windows: list[ScheduleWindow] = []
    for day_index, day in enumerate(WEEKDAYS):
        hours = [
            text[day_index * 48 + 2 * hour : day_index * 48 + 2 * hour + 2] == "11"
            for hour in range(24)
        ]
        start: int | None = None
        for hour, on in enumerate([*hours, False]):
            if on and start is None:
                start = hour
            elif not on and start is not None:
                windows.append(ScheduleWindow(day, start, hour))
                start = None
    return DeliverySchedule(tuple(windows))


def _targeting(fields: Mapping[str, Any]) -> Targeting:
    """Countries (other location ids are not modelled), ages, gender, languages and
    interests; placements are automatic to the simulator."""
    countries = tuple(
        COUNTRY_OF[str(place)]
        for place in fields.get("location_ids") or []
        if str(place) in COUNTRY_OF
    )
    bounds = [AGE_BOUNDS[name] for name in fields.get("age_groups") or [] if name in AGE_BOUNDS]
    return Targeting(
        include=GeoSelection(countries=countries),
        minimum_age=min(low for low, _ in bounds) if bounds else None,
        maximum_age=max(high for _, high in bounds) if bounds else None,
        gender=GENDER_OF.get(str(fields.get("gender")), "all"),  # type: ignore[arg-type]
        languages=tuple(fields.get("languages") or ()),
        interests=tuple(str(value) for value in fields.get("interest_category_ids") or ()),
    )
