"""A stateful, in-process fake of Meta's Marketing API (Graph), for end-to-end tests.

`FakeMeta` is an ASGI app: a `MetaGraphClient` reaches it through `httpx.ASGITransport`,
with no socket. It answers the endpoints and encodings the Meta adapter uses
(docs/networks-meta.md, "The fake Graph"), in Graph's shapes and error envelopes:

- campaigns, ad sets, ads and ad creatives: create on the account's edges, read, update
  (status, budgets, `spend_cap`, ...) and delete by id, list per parent with `filtering`,
  `effective_status` and cursor paging; read-back values are Meta's (budgets as strings);
- insights, sync (`GET …/insights`) and as async report runs (`POST act_…/insights`, polled
  by id, then read page by page), at account, campaign, ad set or ad level, by day, hour
  (`hourly_stats_aggregated_by_advertiser_time_zone`) or over the range;
- the account, a pixel read, `delivery_estimate` and targeting `search`;
- media: `POST act_…/adimages` (`bytes`, base64: answers the image's hash, the MD5 of its
  bytes as Meta's is a content hash, so the same bytes make one image), `POST
  act_…/advideos` (multipart `source`: a new video each time), `GET act_…/advideos` and a
  video's `status` read (`processing` for its first `video_processing_polls` reads, then
  `ready`; `fail_videos()` makes the next upload end in `error`), and a processed video's
  `thumbnails`; a creative's `video_data` without a thumbnail is refused, as Meta does;
- customer list Custom Audiences: `POST`/`GET act_…/customaudiences` and `POST
  /{audience_id}/users` (hashed people, at most 10,000 a request); an ad set's targeting
  naming an audience the account does not have, or a locale key the fake's table
  (`LOCALES`, answered by `search?type=adlocale`) does not have, is refused.

The token rule: the fake accepts its `access_token` and the `tokens` given beside it (a
test's several connections); any other answers 190 ("Cannot parse access token"). With
`any_account`, any other `act_<digits>` account reads too (only the account read, as an
active account): what the API's token check meets for the ad accounts tests make up.
`close_account` and `remove_account` make an account unusable (an `account_status` other
than 1) or unknown (100/33).

Delivery is simulated, not canned: every object the fake holds is mirrored into a seeded
`SimulatedNetwork` (keyed by the fake's own numeric ids) on each write, the campaign's
lifetime `spend_cap` becomes the simulator's `SpendingLimit` counted from the campaign's
creation, and insights are the simulator's published reports, summed and written the way
Meta writes them. Each request first lets the simulator deliver up to the clock's now.

Switches, for the failure modes of networks.md §5.1: `consistency_lag` (a new object
answers 100/33 to its first N reads or updates), `throttle()` (the next calls answer
17/613/80004 with usage headers), `expire_token()` (190/463 from then on), `lose_answer()`
(a call is applied but its answer never arrives), and the simulator's `correction_rate`
(past hours are revised on re-read).
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from adline.core.clock import Clock
from adline.delivery.adapter import (
    WEEKDAYS,
    AdGroupSpec,
    AdSpec,
    Bidding,
    BidType,
    Budget,
    CampaignSpec,
    CreativeSummary,
    DeliverySchedule,
    DetailedTargetingOption,
    FrequencyCap,
    GeoSelection,
    InvalidSpec,
    LocationOption,
    ObjectKind,
    ObjectNotFound,
    ObjectRef,
    PlacementSelection,
    ReportedHour,
    ScheduleWindow,
    SpendingLimit,
    Targeting,
    TargetingOptionType,
    TargetingSearch,
)
from adline.delivery.audience import person_matched
from adline.delivery.simulator import SimulatedNetwork
from adline.networks.meta.client import DEFAULT_API_VERSION, DEFAULT_GRAPH_URL
from adline.networks.meta.mapping import (
    ACTION_EVENTS,
    BID_STRATEGIES,
    GRAPH_TIME,
    HOURLY_BREAKDOWN,
    NO_SPEND_CAP,
    OBJECTIVES,
    OPTIMIZATION_GOALS,
    minor_per_major,
)

MetaKind = Literal["campaign", "adset", "ad", "adcreative"]


def _names(text: str) -> frozenset[str]:
    """A set of Graph names, written as one space-separated string."""
    return frozenset(text.split())


# Each Meta kind as the simulator's object kind (creatives live inside the simulator's ads).
SIMULATED_KINDS: dict[MetaKind, ObjectKind] = {
    "campaign": "ad_campaign",
    "adset": "ad_group",
    "ad": "ad",
}
# The account edge each kind is created on.
CREATE_EDGES: dict[str, MetaKind] = {
    "campaigns": "campaign",
    "adsets": "adset",
    "ads": "ad",
    "adcreatives": "adcreative",
}
# Parameters Meta takes on create and update (networks.md §1.4); any other is refused, so a
# payload the real API would reject fails here too.
WRITABLE: dict[MetaKind, frozenset[str]] = {
    "campaign": _names(
        "name objective status special_ad_categories special_ad_category_country daily_budget"
        " lifetime_budget spend_cap bid_strategy buying_type start_time stop_time"
        " promoted_object pacing_type is_adset_budget_sharing_enabled budget_schedule_specs"
        " execution_options adlabels"
    ),
    "adset": _names(
        "name campaign_id status daily_budget lifetime_budget bid_amount bid_strategy"
        " billing_event optimization_goal targeting promoted_object start_time end_time"
        " destination_type attribution_spec frequency_control_specs dsa_beneficiary dsa_payor"
        " daily_min_spend_target daily_spend_cap adset_schedule pacing_type execution_options"
    ),
    "ad": _names("name adset_id creative status tracking_specs conversion_domain"),
    "adcreative": _names("name object_story_spec object_story_id url_tags degrees_of_freedom_spec"),
}
# Fields fixed at create (Meta refuses them on update).
CREATE_ONLY = _names("objective buying_type campaign_id adset_id")
# Fields a node answers besides what was written (`campaign`, `adset` nest).
_COMMON_FIELDS = "id account_id effective_status configured_status created_time updated_time"
COMPUTED_FIELDS: dict[MetaKind, frozenset[str]] = {
    "campaign": _names(_COMMON_FIELDS),
    "adset": _names(f"{_COMMON_FIELDS} campaign"),
    "ad": _names(f"{_COMMON_FIELDS} campaign_id campaign adset ad_review_feedback"),
    "adcreative": _names("id account_id"),
}
# Parameters Graph takes as JSON (the SDK encodes dicts, lists and bools); others are text.
JSON_PARAMS = _names(
    "targeting special_ad_categories promoted_object object_story_spec creative adset_schedule"
    " frequency_control_specs pacing_type execution_options is_adset_budget_sharing_enabled"
    " filtering effective_status breakdowns time_range time_ranges targeting_spec"
    " location_types attribution_spec adlabels tracking_specs budget_schedule_specs"
    " degrees_of_freedom_spec action_attribution_windows"
)
STATUSES = frozenset({"ACTIVE", "PAUSED", "ARCHIVED", "DELETED"})
# Lists leave these out unless a filter asks for them (as Graph does).
HIDDEN_STATUSES = frozenset({"DELETED", "ARCHIVED"})
FILTER_OPERATORS = frozenset({"EQUAL", "NOT_EQUAL", "CONTAIN", "NOT_CONTAIN", "IN", "NOT_IN"})

# Insights: the fields the fake computes, and the action types it reports per event (the
# aggregate type the adapter counts, plus the per-source duplicate Meta also sends).
INSIGHT_ID_FIELDS = {
    "account_id": "account",
    "campaign_id": "campaign",
    "adset_id": "adset",
    "ad_id": "ad",
}
INSIGHT_NAME_FIELDS = {"campaign_name": "campaign", "adset_name": "adset", "ad_name": "ad"}
INSIGHT_METRICS = _names(
    "impressions clicks unique_clicks inline_link_clicks spend actions action_values"
)
LEVELS = ("account", "campaign", "adset", "ad")
ACTION_TYPES = {event: action for action, event in ACTION_EVENTS.items()}
PIXEL_EVENTS = frozenset({"purchase", "add_to_cart", "view_content", "lead"})
DATE_PRESET_DAYS = {"last_3d": 3, "last_7d": 7, "last_14d": 14, "last_28d": 28, "last_30d": 30}
REPORT_RUN_FIELDS = _names(
    "id report_run_id account_id async_status async_percent_completion date_start date_stop"
    " time_ref time_completed is_running error_code error_message error_subcode"
    " error_user_title error_user_msg"
)

# Throttles the fake can inject: subcode and message as Meta sends them (networks.md §1.7).
THROTTLES: dict[int, tuple[int | None, str]] = {
    4: (1504022, "(#4) Application request limit reached"),
    17: (2446079, "(#17) User request limit reached"),
    613: (1487742, "(#613) Calls to this api have exceeded the rate limit."),
    80000: (2446079, "There have been too many calls from this ad-account (ads_insights)."),
    80004: (
        2446079,
        "There have been too many calls to this ad-account. Wait a bit and try again.",
    ),
}
# Graph's targeting category classes (browsed whole).
CATEGORY_CLASSES = _names("behaviors life_events industries income family_statuses")
# The demographic keys of a targeting spec's `flexible_spec` (each entry's options OR'd):
# Meta's, written out here; taken from Adline's types, the fake would accept whatever
# Adline sends.
DEMOGRAPHIC_KEYS = (
    "life_events",
    "industries",
    "income",
    "family_statuses",
    "work_employers",
    "work_positions",
    "education_schools",
    "education_majors",
)
# An ad account's node (`any_account` answers the read of any of them).
AD_ACCOUNT_NODE = re.compile(r"act_[0-9]+")
# Generous enough that a test's calls never reach Meta's 95% ceiling on their own.
HOURLY_CALL_QUOTA = 10_000

# The fake's ad locales: (key, name, ISO 639-1 language). Shaped as Meta's `adlocale`
# search answers them; the keys are the fake's own, not a copy of Meta's.
LOCALES: tuple[tuple[int, str, str], ...] = (
    (6, "English (US)", "en"),
    (24, "English (UK)", "en"),
    (1001, "English (All)", "en"),
    (23, "Spanish", "es"),
    (7, "Spanish (Spain)", "es"),
    (1002, "Spanish (All)", "es"),
    (9, "French (France)", "fr"),
    (44, "French (Canada)", "fr"),
    (1003, "French (All)", "fr"),
    (5, "German", "de"),
    (10, "Italian", "it"),
    (16, "Portuguese (Brazil)", "pt"),
    (31, "Portuguese (Portugal)", "pt"),
    (11, "Japanese", "ja"),
)
LOCALE_LANGUAGES = {key: code for key, _, code in LOCALES}
# Custom Audiences: what a customer list is created with, and the keys its people take.
AUDIENCE_WRITABLE = _names("name subtype customer_file_source description")
CUSTOMER_FILE_SOURCES = _names(
    "USER_PROVIDED_ONLY PARTNER_PROVIDED_ONLY BOTH_USER_AND_PARTNER_PROVIDED"
)
USER_KEYS = _names("EMAIL PHONE GEN DOBY DOBM DOBD LN FN FI CT ST ZIP COUNTRY MADID EXTERN_ID")
MAX_USERS = 10_000
SHA256_HEX = re.compile(r"[0-9a-f]{64}")

# Graph's search types, as the taxonomy's option types.
SEARCH_TYPES: dict[str, TargetingOptionType] = {
    "adinterest": "interests",
    "adworkemployer": "work_employers",
    "adworkposition": "work_positions",
    "adeducationschool": "education_schools",
    "adeducationmajor": "education_majors",
}


class AnswerLost(httpx.ReadError):
    """The fake applied the call, then the connection dropped before its answer: what a
    client sees when Meta created an object and the network lost the reply."""


class GraphFault(Exception):
    """One error answer, rendered as Graph's `{"error": {...}}` envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        error_type: str = "OAuthException",
        status: int = 400,
        blame: str | None = None,
        transient: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.error_type = error_type
        self.status = status
        self.blame = blame
        self.transient = transient
        self.headers = dict(headers or {})

    def body(self, trace: str) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "is_transient": self.transient,
            "fbtrace_id": trace,
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.blame is not None:
            error["error_data"] = {"blame_field_specs": [[self.blame]]}
        return {"error": error}


def not_found(object_id: str, method: str) -> GraphFault:
    return GraphFault(
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation.",
        subcode=33,
        error_type="GraphMethodException",
    )


def invalid(message: str, blame: str | None = None) -> GraphFault:
    return GraphFault(100, f"(#100) {message}", blame=blame)


@dataclass
class FakeObject:
    """One object the fake holds: its Meta fields as written (JSON values decoded, numbers
    kept as the strings Meta reads back) and what the fake keeps beside them."""

    id: str
    kind: MetaKind
    fields: dict[str, Any]
    created_time: datetime
    updated_time: datetime
    sequence: int
    # Reads and updates still answered 100/33 (slow consistency after a create).
    unreadable: int = 0
    # When the ad's current creative went to review (ads only).
    review_started: datetime | None = None

    @property
    def status(self) -> str:
        return str(self.fields.get("status", "ACTIVE"))

    @property
    def name(self) -> str:
        return str(self.fields.get("name", ""))


@dataclass(frozen=True)
class Call:
    """One request the fake received: the path without the version, the parameters (query
    and form, decoded as the fake reads them; the token left out)."""

    method: str
    path: str
    params: dict[str, Any]


@dataclass
class FakeVideo:
    """An uploaded video: its title, bytes, and the reads it still answers `processing`."""

    id: str
    title: str
    data: bytes
    processing_polls: int
    error: str | None = None


@dataclass
class FakeAudience:
    """A customer list Custom Audience: its name and its people, by the first hashed value
    of each row sent (a person is held once)."""

    id: str
    name: str
    people: set[str] = field(default_factory=set)

    @property
    def matched(self) -> int:
        # The simulated network's match rule, so delivery shrinks as Adline's does.
        return sum(1 for value in self.people if person_matched(value))


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Any]]:
    """A `multipart/form-data` body as its text fields and its files (`(filename, bytes,
    content type)`), read with the standard library's MIME parser."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    files: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = (filename, payload, part.get_content_type())
        else:
            fields[str(name)] = payload.decode()
    return fields, files


@dataclass
class ReportRun:
    """An async insights job: its first `running_polls` reads answer `Job Running`, the
    next completes it and fixes its rows."""

    id: str
    node: str
    params: dict[str, Any]
    running_polls: int
    rows: list[dict[str, Any]] | None = None
    completed_at: datetime | None = None
    polls: int = 0


@dataclass(frozen=True)
class _Range:
    """An insights range: local days, and the UTC instants they span."""

    since: date
    until: date
    zone: ZoneInfo
    start: datetime = field(init=False)
    end: datetime = field(init=False)

    def __post_init__(self) -> None:
        start = datetime.combine(self.since, time(0), tzinfo=self.zone).astimezone(UTC)
        end = datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=self.zone)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end.astimezone(UTC))


class FakeMeta:
    """A Meta ad account behind Graph, backed by a `SimulatedNetwork` (see the module).

    `access_token` is the connection's token, `tokens` more tokens it accepts; `any_account`
    answers the account read of any other ad account too (the module's token rule).
    `pixels` maps the pixel ids the fake knows to their names. The simulator's knobs
    (`seed`, `reporting_lag`, `correction_rate`, `rejection_rate`) pass through;
    `report_run_polls` is how many polls an async report run answers `Job Running` before it
    completes; `spend_decimals` how money is written in insights (None: to the currency's
    minor unit, as Meta does; 6: exactly).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 1,
        account_id: str = "act_1234",
        access_token: str = "EAAfakeMetaToken0001",
        tokens: Iterable[str] = (),
        any_account: bool = False,
        app_secret: str | None = None,
        currency: str = "USD",
        timezone_name: str = "UTC",
        api_version: str = DEFAULT_API_VERSION,
        base_url: str = DEFAULT_GRAPH_URL,
        pixels: Mapping[str, str] | None = None,
        reporting_lag: timedelta = timedelta(minutes=15),
        correction_rate: float = 0.05,
        rejection_rate: float = 0.0,
        consistency_lag: int = 0,
        report_run_polls: int = 2,
        spend_decimals: int | None = None,
        video_processing_polls: int = 1,
    ) -> None:
        self.clock = clock
        self.account_path = account_id if account_id.startswith("act_") else f"act_{account_id}"
        self.account_number = self.account_path.removeprefix("act_")
        self.access_token = access_token
        self.tokens = frozenset({access_token, *tokens})
        self.any_account = any_account
        # Accounts made unusable (their `account_status`) or unknown (`close_account`,
        # `remove_account`).
        self.account_statuses: dict[str, int] = {}
        self.removed_accounts: set[str] = set()
        self.app_secret = app_secret
        self.currency = currency
        self.zone = ZoneInfo(timezone_name)
        self.api_version = api_version
        self.base_url = base_url.rstrip("/")
        self.pixels = dict(pixels or {})
        self.consistency_lag = consistency_lag
        self.report_run_polls = report_run_polls
        # Meta writes money to the currency's minor unit; more decimals make reports exact.
        self.spend_decimals = spend_decimals
        self.network = SimulatedNetwork(
            seed,
            clock,
            reporting_lag,
            correction_rate,
            rejection_rate,
            platform="meta",
        )
        self.born = clock.now()
        self.objects: dict[str, FakeObject] = {}
        self.report_runs: dict[str, ReportRun] = {}
        # Uploaded media: image hash -> bytes, video id -> video.
        self.images: dict[str, bytes] = {}
        self.videos: dict[str, FakeVideo] = {}
        self.video_processing_polls = video_processing_polls
        # Customer list Custom Audiences, by id.
        self.audiences: dict[str, FakeAudience] = {}
        self._video_errors: list[str] = []
        # Every request, in order: tests count and inspect them.
        self.calls: list[Call] = []
        self.token_expired = False
        self._throttles: list[tuple[int, int]] = []
        self._lost: list[tuple[str, str]] = []
        self._ids = itertools.count(1)
        self._writes = itertools.count(1)
        self._calls_by_hour: dict[datetime, int] = {}

    @property
    def per_major(self) -> int:
        return minor_per_major(self.currency)

    # --- Switches --------------------------------------------------------------------------

    def expire_token(self) -> None:
        """The connection's token expires (and every other the fake accepts): every call
        with it answers 190/463 from now on."""
        self.token_expired = True

    def close_account(self, account_id: str, account_status: int = 2) -> None:
        """The ad account reads with `account_status` from now on (2 disabled, 101 closed)."""
        self.account_statuses[_account_node(account_id)] = account_status

    def remove_account(self, account_id: str) -> None:
        """The ad account no longer exists for any token: every call on it answers 100/33."""
        self.removed_accounts.add(_account_node(account_id))

    def throttle(self, code: int, *, calls: int = 1, regain_minutes: int = 5) -> None:
        """The next `calls` requests answer throttle `code` (4, 17, 613, 80000, 80004) with
        `X-Business-Use-Case-Usage` at 100% and `regain_minutes` to regain access."""
        if code not in THROTTLES:
            raise ValueError(f"The fake injects throttles {sorted(THROTTLES)}, not {code}")
        self._throttles.extend([(code, regain_minutes)] * calls)

    def lose_answer(self, method: str, edge: str) -> None:
        """The next `method` request on a path ending in `edge` (`campaigns`, an object id)
        is applied, then its answer is lost: the client sees `AnswerLost`."""
        self._lost.append((method.upper(), edge))

    def fail_videos(
        self, message: str = "Video format is not supported", *, count: int = 1
    ) -> None:
        """The next `count` uploaded videos end in `video_status` `error` with `message`."""
        self._video_errors.extend([message] * count)

    # --- Introspection (tests) -------------------------------------------------------------

    def advance(self) -> None:
        """Let the simulated network deliver every whole hour up to the clock's now."""
        self.network.advance_to(self.clock.now())

    def live(self, kind: MetaKind) -> list[FakeObject]:
        """The objects of `kind` not deleted, in creation order."""
        return [o for o in self.objects.values() if o.kind == kind and o.status != "DELETED"]

    def named(self, text: str) -> list[FakeObject]:
        """Every object (deleted too) whose name contains `text`."""
        return [o for o in self.objects.values() if text in o.name]

    async def published_hours(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[ReportedHour]:
        """The simulator's published ad-hours (what insights are built from), by its ids."""
        return await self.network.pull_stats(
            since or datetime(1970, 1, 1, tzinfo=UTC), until or self.clock.now() + timedelta(1)
        )

    def billed_since(self, campaign_id: str, instant: datetime) -> int:
        """What the simulator billed the campaign (micros) in hours ending after `instant`:
        unreported spend included, before any later refund."""
        return sum(
            spend
            for hour, spend in self.network.billed_by_hour(campaign_id).items()
            if hour + timedelta(hours=1) > instant
        )

    # --- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to start or stop
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            return
        request = Request(scope, receive)
        params = dict(request.query_params)
        files: dict[str, Any] = {}
        if request.method == "POST":
            content_type = request.headers.get("content-type", "")
            if content_type.startswith("multipart/form-data"):
                fields, files = parse_multipart(content_type, await request.body())
                params.update(fields)
            else:
                raw = (await request.body()).decode()
                params.update(parse_qsl(raw, keep_blank_values=True))
        version, _, path = request.url.path.strip("/").partition("/")
        trace = hashlib.sha1(f"{len(self.calls)}".encode()).hexdigest()[:11]
        recorded = _recorded(params)
        recorded.update({name: f"<file {upload[0]}>" for name, upload in files.items()})
        self.calls.append(Call(request.method, path, recorded))
        headers: dict[str, str] = {}
        try:
            if version != self.api_version:
                raise GraphFault(2635, f"(#2635) Version {version} is not served here")
            token = self._authenticate(path, params)
            headers = self._usage(path, 1)
            self._inject_throttle(path)
            self.advance()
            body = await self._route(request.method, path, params, token, files)
            status = 200
        except GraphFault as fault:
            body, status = fault.body(trace), fault.status
            headers.update(fault.headers)
        lost = (request.method, path.rsplit("/", 1)[-1])
        if status == 200 and lost in self._lost:
            self._lost.remove(lost)
            raise AnswerLost(f"Connection reset after {request.method} /{path} was applied")
        await JSONResponse(body, status_code=status, headers=headers)(scope, receive, send)

    def _authenticate(self, path: str, params: dict[str, str]) -> str:
        """The call's token, once accepted (a pixel's own token is judged by the read)."""
        token = params.pop("access_token", "")
        proof = params.pop("appsecret_proof", None)
        if token not in self.tokens:
            if path in self.pixels:
                return token
            raise GraphFault(190, "Invalid OAuth access token - Cannot parse access token")
        if self.token_expired:
            raise GraphFault(
                190,
                "Error validating access token: Session has expired on "
                f"{self.clock.now():%A, %d-%b-%y %H:%M:%S} UTC.",
                subcode=463,
            )
        if self.app_secret is not None:
            expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256)
            if proof != expected.hexdigest():
                raise invalid("Invalid appsecret_proof provided in the API argument")
        return token

    def _usage(self, path: str, extra: int, *, regain_minutes: int = 0) -> dict[str, str]:
        hour = self.clock.now().replace(minute=0, second=0, microsecond=0)
        calls = self._calls_by_hour.get(hour, 0) + extra
        self._calls_by_hour[hour] = calls
        percent = 100 if regain_minutes else min(100, calls * 100 // HOURLY_CALL_QUOTA)
        usage = {
            self.account_number: [
                {
                    "type": "ads_insights" if path.endswith("insights") else "ads_management",
                    "call_count": percent,
                    "total_cputime": percent // 2,
                    "total_time": percent // 2,
                    "estimated_time_to_regain_access": regain_minutes,
                    "ads_api_access_tier": "standard_access",
                }
            ]
        }
        return {"X-Business-Use-Case-Usage": json.dumps(usage, separators=(",", ":"))}

    def _inject_throttle(self, path: str) -> None:
        if not self._throttles:
            return
        code, regain = self._throttles.pop(0)
        subcode, message = THROTTLES[code]
        raise GraphFault(
            code,
            message,
            subcode=subcode,
            transient=True,
            headers=self._usage(path, 0, regain_minutes=regain),
        )

    # --- Routing ---------------------------------------------------------------------------

    async def _route(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        token: str,
        files: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        node, _, edge = path.partition("/")
        if node in self.removed_accounts:
            raise not_found(node, method)
        if node == self.account_path:
            if edge in ("adimages", "advideos"):
                return self._media(method, edge, params, files or {})
            if edge == "customaudiences":
                return self._custom_audiences(method, path, params)
            return await self._account(method, edge, params)
        if node in self.audiences and method == "POST" and edge == "users":
            return self._add_users(self.audiences[node], params)
        if node in self.videos and method == "GET" and not edge:
            return self._video_read(self.videos[node], params)
        if node in self.videos and method == "GET" and edge == "thumbnails":
            return self._video_thumbnails(self.videos[node])
        if self.any_account and AD_ACCOUNT_NODE.fullmatch(node) and method == "GET" and not edge:
            name = f"Ad account {node.removeprefix('act_')}"
            return self._account_read(node, name, params)
        if node == "search" and method == "GET" and not edge:
            return await self._search(params)
        if node in self.report_runs and method == "GET":
            return await self._report_run(self.report_runs[node], edge, params)
        if node in self.pixels and method == "GET" and not edge:
            return await self._pixel(node, token, params)
        obj = self.objects.get(node)
        if obj is None or (obj.kind == "adcreative" and edge):
            raise not_found(node, method)
        if obj.unreadable > 0 and not edge:
            obj.unreadable -= 1
            raise not_found(node, method)
        if not edge:
            if method == "GET":
                return await self._render(obj, _field_list(params.get("fields"), "id"))
            if method == "POST":
                return await self._update(obj, params)
            if method == "DELETE":
                return await self._delete(obj)
        if edge == "insights" and method == "GET" and obj.kind != "adcreative":
            return await self._insights_page(path, obj.kind, obj.id, params)
        children = {"campaign": ("adsets", "ads"), "adset": ("ads",)}.get(obj.kind, ())
        if method == "GET" and edge in children:
            return await self._list(path, CREATE_EDGES[edge], obj, params)
        raise not_found(f"{node}/{edge}", method)

    async def _account(self, method: str, edge: str, params: dict[str, str]) -> dict[str, Any]:
        if not edge and method == "GET":
            return self._account_read(self.account_path, "Fake Meta account", params)
        if edge in CREATE_EDGES and method == "POST":
            return await self._create(CREATE_EDGES[edge], params)
        if edge in CREATE_EDGES and edge != "adcreatives" and method == "GET":
            return await self._list(f"{self.account_path}/{edge}", CREATE_EDGES[edge], None, params)
        if edge == "insights" and method == "GET":
            return await self._insights_page(f"{self.account_path}/insights", "account", "", params)
        if edge == "insights" and method == "POST":
            run_id = str(self._next_id())
            self.report_runs[run_id] = ReportRun(
                run_id, self.account_path, dict(params), self.report_run_polls
            )
            return {"report_run_id": run_id}
        if edge == "delivery_estimate" and method == "GET":
            return await self._delivery_estimate(params)
        raise not_found(f"{self.account_path}/{edge}", method)

    # --- Media -----------------------------------------------------------------------------

    def _media(
        self, method: str, edge: str, params: dict[str, str], files: Mapping[str, Any]
    ) -> dict[str, Any]:
        if edge == "adimages" and method == "POST":
            try:
                data = base64.b64decode(params.get("bytes", ""), validate=True)
            except ValueError:
                raise invalid("Param bytes must be the image, base64-encoded", "bytes") from None
            if not data:
                raise invalid("An image file (bytes or filename) is required", "bytes")
            image_hash = hashlib.md5(data, usedforsecurity=False).hexdigest()
            self.images[image_hash] = data
            url = f"https://scontent.example.invalid/{image_hash}.png"
            return {"images": {"bytes": {"hash": image_hash, "url": url}}}
        if edge == "advideos" and method == "POST":
            if "source" not in files:
                raise invalid("The video file (source) is required", "source")
            _, data, _ = files["source"]
            video_id = str(self._next_id())
            error = self._video_errors.pop(0) if self._video_errors else None
            title = params.get("title", "")
            self.videos[video_id] = FakeVideo(
                video_id, title, data, self.video_processing_polls, error
            )
            return {"id": video_id}
        if edge == "advideos" and method == "GET":
            rows = [{"id": v.id, "title": v.title} for v in self.videos.values()]
            return {"data": rows}
        raise not_found(f"{self.account_path}/{edge}", method)

    def _video_read(self, video: FakeVideo, params: dict[str, str]) -> dict[str, Any]:
        processing: dict[str, Any] = {"status": "in_progress", "errors": []}
        state = "processing"
        if video.processing_polls > 0:
            video.processing_polls -= 1
        elif video.error is not None:
            state = "error"
            processing = {"status": "error", "errors": [{"code": 1363008, "message": video.error}]}
        else:
            state, processing = "ready", {"status": "complete"}
        status = {
            "video_status": state,
            "uploading_phase": {"status": "complete", "bytes_transferred": len(video.data)},
            "processing_phase": processing,
        }
        body: dict[str, Any] = {"id": video.id, "title": video.title, "status": status}
        return {
            name: body[name]
            for name, _ in _known(_field_list(params.get("fields"), "id"), body, "AdVideo")
        }

    def _video_thumbnails(self, video: FakeVideo) -> dict[str, Any]:
        """The frames Meta picked from a processed video (none before, or after an error);
        the second is the preferred one, so a reader that takes the first is caught."""
        if video.processing_polls > 0 or video.error is not None:
            return {"data": []}
        rows = [
            {
                "id": f"{video.id}{n}",
                "uri": f"https://scontent.example.invalid/v/{video.id}/thumb_{n}.jpg",
                "is_preferred": n == 2,
                "width": 1080,
                "height": 1080,
                "scale": 1,
            }
            for n in (1, 2)
        ]
        return {"data": rows}

    # --- Custom Audiences --------------------------------------------------------------------

    def _custom_audiences(self, method: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        if method == "GET":
            fields = _field_list(params.get("fields"), "id")
            rows = []
            for number, audience in enumerate(self.audiences.values()):
                body = {"id": audience.id, "name": audience.name, "subtype": "CUSTOM"}
                rows.append(
                    (number, {n: body[n] for n, _ in _known(fields, body, "CustomAudience")})
                )
            return self._page(path, params, rows)
        if method != "POST":
            raise not_found(path, method)
        unknown = sorted(set(params) - AUDIENCE_WRITABLE)
        if unknown:
            raise invalid(f"Param {unknown[0]} is not allowed", unknown[0])
        if not params.get("name"):
            raise invalid("The parameter name is required", "name")
        if params.get("subtype") != "CUSTOM":
            raise invalid("A customer list audience takes subtype CUSTOM", "subtype")
        if params.get("customer_file_source") not in CUSTOMER_FILE_SOURCES:
            raise invalid(
                "customer_file_source must say where the customer list comes from",
                "customer_file_source",
            )
        audience = FakeAudience(str(self._next_id()), params["name"])
        self.audiences[audience.id] = audience
        return {"id": audience.id}

    def _add_users(self, audience: FakeAudience, params: dict[str, str]) -> dict[str, Any]:
        """`payload={"schema": [...], "data": [[...], ...]}`: each row's values in the
        schema's order, each a lowercase hex SHA-256 (or empty)."""
        unknown = sorted(set(params) - {"payload", "session"})
        if unknown:
            raise invalid(f"Param {unknown[0]} is not allowed", unknown[0])
        payload = _decode(params.get("payload") or "")
        if not isinstance(payload, dict):
            raise invalid("The parameter payload is required", "payload")
        schema, data = payload.get("schema"), payload.get("data")
        if isinstance(schema, str):
            schema = [schema]
        if not isinstance(schema, list) or not schema or not set(schema) <= USER_KEYS:
            raise invalid("Invalid schema: name the keys each row holds", "payload")
        if not isinstance(data, list) or not data:
            raise invalid("The payload has no data", "payload")
        if len(data) > MAX_USERS:
            raise invalid(f"At most {MAX_USERS} users can be added per request", "payload")
        received = set()
        for row in data:
            values = row if isinstance(row, list) else [row]
            if len(values) != len(schema):
                raise invalid("Each row must hold a value per schema key", "payload")
            if not all(v == "" or (isinstance(v, str) and SHA256_HEX.fullmatch(v)) for v in values):
                raise invalid("Values must be SHA-256 hashes of normalized data", "payload")
            present = [v for v in values if v]
            if present:
                received.add(present[0])
        audience.people.update(received)
        return {
            "audience_id": audience.id,
            "session_id": str(self._next_id()),
            "num_received": len(data),
            "num_invalid_entries": 0,
            "invalid_entry_samples": {},
        }

    def _check_targeting(self, values: Mapping[str, Any]) -> None:
        """What Meta checks of a targeting the fake can: its Custom Audiences are the
        account's and its locales are keys it has."""
        targeting = values.get("targeting")
        if not isinstance(targeting, dict):
            return
        for key in ("custom_audiences", "excluded_custom_audiences"):
            for entry in targeting.get(key) or ():
                audience_id = str(entry.get("id")) if isinstance(entry, dict) else str(entry)
                if audience_id not in self.audiences:
                    raise invalid(
                        f"Invalid custom audience: {audience_id} is not an audience of this ad "
                        "account",
                        key,
                    )
        for key in targeting.get("locales") or ():
            if not isinstance(key, int) or key not in LOCALE_LANGUAGES:
                raise invalid(f"Invalid locale: {key!r}", "locales")

    def _audience_sizes(self) -> dict[str, int]:
        return {audience.id: audience.matched for audience in self.audiences.values()}

    def _check_creative(self, values: Mapping[str, Any]) -> None:
        """What Meta checks of a creative the fake can: a video is one of the account's,
        and `video_data` carries its thumbnail (`image_url`, or a known `image_hash`)."""
        story = values.get("object_story_spec")
        video = story.get("video_data") if isinstance(story, dict) else None
        if not isinstance(video, dict):
            return
        if str(video.get("video_id")) not in self.videos:
            raise invalid("The video is not one of the ad account's", "video_id")
        image_hash = video.get("image_hash")
        if image_hash is not None and str(image_hash) not in self.images:
            raise invalid("Image hash is invalid: no such image on the ad account", "image_hash")
        if image_hash is None and not video.get("image_url"):
            raise invalid(
                "Your video ad needs a thumbnail image: set image_url or image_hash in video_data",
                "video_data",
            )

    def _account_read(self, node: str, account_name: str, params: dict[str, str]) -> dict[str, Any]:
        fields = _field_list(params.get("fields"), "id")
        account = {
            "id": node,
            "account_id": node.removeprefix("act_"),
            "name": account_name,
            "currency": self.currency,
            "timezone_name": self.zone.key,
            "account_status": self.account_statuses.get(node, 1),
        }
        return {name: account[name] for name, _ in _known(fields, account, "AdAccount")}

    # --- Writes ----------------------------------------------------------------------------

    def _next_id(self) -> int:
        # Meta's ids are long decimal numbers; these look the part and stay in order.
        return 120_210_000_000_000_000 + next(self._ids)

    async def _create(self, kind: MetaKind, params: dict[str, str]) -> dict[str, Any]:
        values = _decode_all(params)
        self._check_writable(kind, values)
        if not values.get("name"):
            raise invalid("The parameter name is required", "name")
        if kind == "campaign":
            if "special_ad_categories" not in values:
                raise invalid(
                    "The parameter special_ad_categories is required", "special_ad_categories"
                )
            if values.get("objective") not in OBJECTIVES.values():
                raise invalid("Param objective must be one of the ODAX objectives", "objective")
        if kind == "adset":
            parent = self.objects.get(str(values.get("campaign_id")))
            if parent is None or parent.kind != "campaign" or parent.status == "DELETED":
                raise invalid("The campaign does not exist", "campaign_id")
            if "targeting" not in values:
                raise invalid("The parameter targeting is required", "targeting")
            self._check_targeting(values)
        if kind == "ad":
            parent = self.objects.get(str(values.get("adset_id")))
            if parent is None or parent.kind != "adset" or parent.status == "DELETED":
                raise invalid("The ad set does not exist", "adset_id")
            self._creative_of(values)
        if kind == "adcreative":
            self._check_creative(values)
        if _validate_only(values):
            return {"success": True}
        now = self.clock.now()
        obj = FakeObject(
            str(self._next_id()),
            kind,
            {key: value for key, value in values.items() if key != "execution_options"},
            now,
            now,
            sequence=len(self.objects),
            unreadable=self.consistency_lag,
        )
        obj.fields.setdefault("status", "ACTIVE")
        _check_status(obj.status)
        await self._mirror(obj, creative_changed=True)
        self.objects[obj.id] = obj
        return {"id": obj.id}

    async def _update(self, obj: FakeObject, params: dict[str, str]) -> dict[str, Any]:
        if obj.status == "DELETED" or obj.kind == "adcreative":
            raise not_found(obj.id, "POST")
        values = _decode_all(params)
        self._check_writable(obj.kind, values)
        fixed = CREATE_ONLY.intersection(values)
        if fixed:
            name = sorted(fixed)[0]
            raise invalid(f"{name} cannot be changed after the object is created", name)
        if obj.kind == "campaign" and "special_ad_categories" not in values and len(values) > 1:
            raise invalid(
                "The parameter special_ad_categories is required", "special_ad_categories"
            )
        if "status" in values:
            _check_status(str(values["status"]))
        if obj.kind == "ad" and "creative" in values:
            self._creative_of(values)
        if obj.kind == "adset":
            self._check_targeting(values)
        if _validate_only(values):
            return {"success": True}
        if values.get("status") == "DELETED":
            return await self._delete(obj)
        before = dict(obj.fields)
        obj.fields.update({k: v for k, v in values.items() if k != "execution_options"})
        try:
            await self._mirror(
                obj, creative_changed=before.get("creative") != obj.fields.get("creative")
            )
        except GraphFault:
            obj.fields = before
            raise
        obj.updated_time = self.clock.now()
        if obj.kind == "campaign" and before.get("spend_cap") != obj.fields.get("spend_cap"):
            await self._mirror_spend_cap(obj)
        return {"success": True}

    async def _delete(self, obj: FakeObject) -> dict[str, Any]:
        if obj.status == "DELETED" or obj.kind == "adcreative":
            raise not_found(obj.id, "DELETE")
        # Meta deletes what lies beneath, too.
        doomed = [obj, *self._descendants(obj)]
        for each in doomed:
            if each.status == "DELETED":
                continue
            each.fields["status"] = "DELETED"
            each.updated_time = self.clock.now()
            ref = ObjectRef(SIMULATED_KINDS[each.kind], each.id)
            with contextlib.suppress(ObjectNotFound):
                await self.network.delete_object(ref, idempotency_key=self._write_key())
        return {"success": True}

    def _descendants(self, obj: FakeObject) -> list[FakeObject]:
        if obj.kind == "campaign":
            below = ("adset", "ad")
            return [
                o
                for o in self.objects.values()
                if o.kind in below and self._campaign_of(o) == obj.id
            ]
        if obj.kind == "adset":
            return [
                o for o in self.objects.values() if o.kind == "ad" and self._adset_of(o) == obj.id
            ]
        return []

    def _check_writable(self, kind: MetaKind, values: Mapping[str, Any]) -> None:
        unknown = sorted(set(values) - WRITABLE[kind])
        if unknown:
            raise invalid(f"Param {unknown[0]} is not allowed", unknown[0])
        for money in ("daily_budget", "lifetime_budget", "bid_amount", "spend_cap"):
            if money in values and not str(values[money]).isdigit():
                raise invalid(f"Param {money} must be an integer in minor units", money)

    def _creative_of(self, values: Mapping[str, Any]) -> FakeObject:
        ref = values.get("creative")
        creative_id = str(ref.get("creative_id")) if isinstance(ref, dict) else None
        creative = self.objects.get(creative_id or "")
        if creative is None or creative.kind != "adcreative":
            raise invalid("The creative does not exist", "creative")
        return creative

    def _write_key(self) -> str:
        return f"fake-meta-write-{next(self._writes)}"

    async def _mirror(self, obj: FakeObject, *, creative_changed: bool) -> None:
        """Push the object's settings to the simulator (campaigns, ad sets and ads)."""
        try:
            if obj.kind == "campaign":
                await self.network.upsert_campaign(
                    self._campaign_spec(obj), idempotency_key=self._write_key()
                )
            elif obj.kind == "adset":
                await self.network.upsert_ad_group(
                    self._ad_group_spec(obj), idempotency_key=self._write_key()
                )
            elif obj.kind == "ad":
                await self.network.upsert_ad(self._ad_spec(obj), idempotency_key=self._write_key())
                if creative_changed:
                    obj.review_started = self.clock.now()
        except InvalidSpec as exc:
            raise invalid(str(exc), _META_PARAMS.get(exc.param or "")) from exc
        except ObjectNotFound as exc:
            raise invalid(str(exc)) from exc

    async def _mirror_spend_cap(self, campaign: FakeObject) -> None:
        """Meta's spend cap is the campaign's lifetime spend, in minor units: the simulator
        counts its own billing since the campaign was created against the same amount."""
        cap = campaign.fields.get("spend_cap")
        amount = None if cap is None or int(cap) >= NO_SPEND_CAP else self._micros(cap)
        limit = SpendingLimit(campaign.id, amount, counted_from=campaign.created_time)
        await self.network.set_spending_limits([limit], idempotency_key=self._write_key())

    # --- Meta objects -> simulator specs --------------------------------------------------

    def _micros(self, minor: Any) -> int:
        return int(Decimal(str(minor)) * 1_000_000 / self.per_major)

    def _budget(self, fields: Mapping[str, Any]) -> Budget | None:
        if fields.get("daily_budget") not in (None, "0"):
            return Budget("daily", self._micros(fields["daily_budget"]))
        if fields.get("lifetime_budget") not in (None, "0"):
            return Budget("lifetime", self._micros(fields["lifetime_budget"]))
        return None

    def _campaign_spec(self, obj: FakeObject) -> CampaignSpec:
        fields = obj.fields
        return CampaignSpec(
            id=obj.id,
            account_id=self.account_path,
            status=_run_status(obj.status),
            objective=_OBJECTIVES.get(str(fields.get("objective")), "traffic"),
            title=obj.name,
            budget=self._budget(fields),
            bidding=Bidding(_bid_type(fields.get("bid_strategy"))),
            special_ad_categories=tuple(
                str(category).lower() for category in fields.get("special_ad_categories") or ()
            ),
            starts_at=_instant(fields.get("start_time")),
            ends_at=_instant(fields.get("stop_time")),
            time_zone=self.zone.key,
        )

    def _ad_group_spec(self, obj: FakeObject) -> AdGroupSpec:
        fields = obj.fields
        campaign = self.objects[str(fields["campaign_id"])]
        budget = self._budget(fields)
        target = self._micros(fields["bid_amount"]) if fields.get("bid_amount") else None
        bid_type = _bid_type(fields.get("bid_strategy") or campaign.fields.get("bid_strategy"))
        return AdGroupSpec(
            id=obj.id,
            campaign_id=campaign.id,
            status=_run_status(obj.status),
            title=obj.name,
            budget=budget,
            bidding=Bidding(bid_type, target),
            minimum_daily_spend_micros=(
                self._micros(fields["daily_min_spend_target"])
                if fields.get("daily_min_spend_target")
                else None
            ),
            optimization_goal=_GOALS.get(str(fields.get("optimization_goal"))),
            starts_at=_instant(fields.get("start_time")),
            ends_at=_instant(fields.get("end_time")),
            schedule=_schedule(fields.get("adset_schedule")),
            frequency_cap=_frequency_cap(fields.get("frequency_control_specs")),
            targeting=targeting_of(fields.get("targeting") or {}, self._audience_sizes()),
        )

    def _ad_spec(self, obj: FakeObject) -> AdSpec:
        creative = self._creative_of(obj.fields)
        return AdSpec(
            id=obj.id,
            ad_group_id=str(obj.fields["adset_id"]),
            status=_run_status(obj.status),
            creative=creative_of(creative.fields),
            title=obj.name,
        )

    # --- Reads -----------------------------------------------------------------------------

    def _campaign_of(self, obj: FakeObject) -> str | None:
        if obj.kind == "campaign":
            return obj.id
        if obj.kind == "adset":
            return str(obj.fields["campaign_id"])
        if obj.kind == "ad":
            return str(self.objects[str(obj.fields["adset_id"])].fields["campaign_id"])
        return None

    def _adset_of(self, obj: FakeObject) -> str | None:
        if obj.kind == "adset":
            return obj.id
        return str(obj.fields["adset_id"]) if obj.kind == "ad" else None

    async def _review(self, ad: FakeObject) -> tuple[str, datetime | None, dict[str, Any] | None]:
        """The ad's review: `PENDING_REVIEW`, `APPROVED` or `DISAPPROVED`, when it was
        decided, and Meta's `ad_review_feedback` for a rejection."""
        outcomes = await self.network.pull_review_outcomes()
        outcome = next((o for o in reversed(outcomes) if o.ad_id == ad.id), None)
        started = ad.review_started or ad.created_time
        if outcome is None or outcome.decided_at < started:
            return "PENDING_REVIEW", None, None
        if outcome.issue is None:
            return "APPROVED", outcome.decided_at, None
        feedback = {"global": {outcome.issue.title: outcome.issue.message}}
        return "DISAPPROVED", outcome.decided_at, feedback

    async def _effective_status(self, obj: FakeObject) -> str:
        if obj.status in HIDDEN_STATUSES:
            return obj.status
        if obj.status == "PAUSED":
            return "PAUSED"
        if obj.kind in ("adset", "ad"):
            campaign = self.objects[str(self._campaign_of(obj))]
            if campaign.status != "ACTIVE":
                return "CAMPAIGN_PAUSED"
        if obj.kind == "ad":
            if self.objects[str(self._adset_of(obj))].status != "ACTIVE":
                return "ADSET_PAUSED"
            review, _, _ = await self._review(obj)
            if review != "APPROVED":
                return review
        return "ACTIVE"

    async def _render(
        self, obj: FakeObject, fields: list[tuple[str, str | None]]
    ) -> dict[str, Any]:
        """The node's requested fields (`creative{id,name}` nests), as Meta reads them."""
        allowed = WRITABLE[obj.kind] | COMPUTED_FIELDS[obj.kind]
        body: dict[str, Any] = {"id": obj.id}  # Graph always answers the node's id
        for name, nested in fields:
            if name not in allowed:
                raise invalid(
                    f"Tried accessing nonexisting field ({name}) on node type ({obj.kind})"
                )
            value = await self._field(obj, name, nested)
            if value is not None:
                body[name] = value
        return body

    async def _field(self, obj: FakeObject, name: str, nested: str | None) -> Any:
        if name == "id":
            return obj.id
        if name == "account_id":
            return self.account_number
        if name == "configured_status":
            return obj.status
        if name == "effective_status":
            return await self._effective_status(obj)
        if name == "created_time":
            return obj.created_time.astimezone(self.zone).strftime(GRAPH_TIME)
        if name == "updated_time":
            updated = obj.updated_time
            if obj.kind == "ad":
                _, decided, _ = await self._review(obj)
                updated = max(updated, decided or updated)
            return updated.astimezone(self.zone).strftime(GRAPH_TIME)
        if name == "ad_review_feedback":
            return (await self._review(obj))[2]
        if name == "campaign_id" and obj.kind == "ad":
            return self._campaign_of(obj)
        if name in ("campaign", "adset", "creative"):
            target = {
                "campaign": self._campaign_of(obj),
                "adset": self._adset_of(obj),
                "creative": (obj.fields.get("creative") or {}).get("creative_id"),
            }[name]
            if target is None:
                return None
            return await self._render(self.objects[str(target)], _field_list(nested, "id"))
        return obj.fields.get(name)

    async def _list(
        self, path: str, kind: MetaKind, parent: FakeObject | None, params: dict[str, str]
    ) -> dict[str, Any]:
        """An edge's objects, filtered, in creation order, a page at a time."""
        filters = _decode(params.get("filtering") or "[]")
        statuses = _decode(params["effective_status"]) if "effective_status" in params else None
        if not isinstance(filters, list) or (
            statuses is not None and not isinstance(statuses, list)
        ):
            raise invalid("filtering and effective_status take JSON lists", "filtering")
        fields = _field_list(params.get("fields"), "id")
        rows: list[tuple[int, dict[str, Any]]] = []
        for obj in self.objects.values():
            if obj.kind != kind or not self._under(obj, parent):
                continue
            effective = await self._effective_status(obj)
            if statuses is not None and effective not in statuses:
                continue
            if statuses is None and not _filters_status(filters) and effective in HIDDEN_STATUSES:
                continue
            if all(self._matches(obj, effective, entry) for entry in filters):
                rows.append((obj.sequence, await self._render(obj, fields)))
        return self._page(path, params, rows)

    def _under(self, obj: FakeObject, parent: FakeObject | None) -> bool:
        if parent is None:
            return True
        if parent.kind == "campaign":
            return self._campaign_of(obj) == parent.id
        return self._adset_of(obj) == parent.id

    def _matches(self, obj: FakeObject, effective: str, entry: Any) -> bool:
        if not isinstance(entry, dict) or entry.get("operator") not in FILTER_OPERATORS:
            raise invalid(f"Filtering entry {entry!r} is not supported", "filtering")
        name = str(entry.get("field", "")).rsplit(".", 1)[-1]
        values = {
            "name": obj.name,
            "id": obj.id,
            "effective_status": effective,
            "campaign_id": self._campaign_of(obj),
            "adset_id": self._adset_of(obj),
        }
        if name not in values:
            raise invalid(f"Filtering field {entry.get('field')} is not supported", "filtering")
        actual, wanted, operator = str(values[name]), entry.get("value"), str(entry["operator"])
        if operator in ("IN", "NOT_IN"):
            found = actual in [str(value) for value in wanted or ()]
            return found if operator == "IN" else not found
        if operator in ("CONTAIN", "NOT_CONTAIN"):
            found = str(wanted).lower() in actual.lower()
            return found if operator == "CONTAIN" else not found
        return (actual == str(wanted)) == (operator == "EQUAL")

    def _page(
        self, path: str, params: dict[str, str], rows: list[tuple[int, dict[str, Any]]]
    ) -> dict[str, Any]:
        """One page of `rows` (keyed by a sort number) after the `after` cursor."""
        limit = max(1, min(5000, int(params.get("limit") or 25)))
        after = _cursor(params.get("after"))
        remaining = [(key, row) for key, row in rows if after is None or key > after]
        page = remaining[:limit]
        body: dict[str, Any] = {"data": [row for _, row in page]}
        if page:
            cursors = {"before": _encode_cursor(page[0][0]), "after": _encode_cursor(page[-1][0])}
            body["paging"] = {"cursors": cursors}
            if len(remaining) > limit:
                query = {**params, "after": cursors["after"]}
                body["paging"]["next"] = (
                    f"{self.base_url}/{self.api_version}/{path}?{urlencode(query)}"
                )
        return body

    async def _pixel(self, pixel_id: str, token: str, params: dict[str, str]) -> dict[str, Any]:
        """A pixel read. Another token than the connection's is judged by the simulator's
        rule (docs/pixels.md): a refused one answers 190 with its message."""
        if token not in self.tokens:
            check = await self.network.check_pixel_token(pixel_id, token)
            if not check.accepted:
                raise GraphFault(190, check.error_message or "Invalid OAuth access token")
        pixel = {"id": pixel_id, "name": self.pixels[pixel_id]}
        fields = _known(_field_list(params.get("fields"), "id"), pixel, "AdsPixel")
        return {"id": pixel_id} | {name: pixel[name] for name, _ in fields}

    async def _delivery_estimate(self, params: dict[str, str]) -> dict[str, Any]:
        spec = _decode(params.get("targeting_spec") or "{}")
        if not isinstance(spec, dict):
            raise invalid("targeting_spec must be a JSON object", "targeting_spec")
        lower, upper = await self.network.estimate_reach(targeting_of(spec, self._audience_sizes()))
        if lower is None or upper is None:
            return {"data": [{"estimate_ready": False}]}
        estimate = {
            "estimate_ready": True,
            "estimate_mau_lower_bound": lower,
            "estimate_mau_upper_bound": upper,
            "estimate_dau": lower // 10,
        }
        return {"data": [estimate]}

    async def _search(self, params: dict[str, str]) -> dict[str, Any]:
        kind = params.get("type", "")
        limit = int(params.get("limit") or 25)
        query = params.get("q", "")
        if kind in SEARCH_TYPES:
            search = TargetingSearch((SEARCH_TYPES[kind],), query, limit=limit)
        elif kind == "adTargetingCategory":
            category = params.get("class", "")
            if category not in CATEGORY_CLASSES:
                raise invalid(f"Unsupported targeting category class {category!r}", "class")
            search = TargetingSearch((cast(TargetingOptionType, category),), limit=1000)
        elif kind == "adlocale":
            wanted = query.strip().lower()
            locales = [
                {"key": key, "name": name}
                for key, name, _ in LOCALES
                if wanted and wanted in name.lower()
            ]
            return {"data": locales[:limit]}
        elif kind == "adgeolocation":
            types = _decode(params.get("location_types") or "[]")
            search = TargetingSearch(
                ("locations",),
                query,
                location_types=tuple(types),
                country=params.get("country_code"),
                limit=limit,
            )
        else:
            raise invalid(f"Unsupported search type {kind!r}", "type")
        rows: list[dict[str, Any]] = []
        for option in await self.network.search_targeting_options(search):
            if isinstance(option, DetailedTargetingOption):
                rows.append(
                    {
                        "id": option.id,
                        "name": option.name,
                        "type": option.type,
                        "description": option.description,
                        "audience_size_lower_bound": option.audience_size_lower_bound,
                        "audience_size_upper_bound": option.audience_size_upper_bound,
                    }
                )
            elif isinstance(option, LocationOption):
                rows.append(
                    {
                        "key": option.key,
                        "name": option.name,
                        "type": option.location_type,
                        "country_code": option.country_code,
                        "country_name": option.country_name,
                        "region": option.region,
                    }
                )
        return {"data": [{k: v for k, v in row.items() if v is not None} for row in rows]}

    # --- Insights --------------------------------------------------------------------------

    async def _insights_page(
        self, path: str, node_level: str, node_id: str, params: dict[str, str]
    ) -> dict[str, Any]:
        rows = await self._insights(node_level, node_id, params)
        return self._page(path, params, list(enumerate(rows)))

    async def _insights(
        self, node_level: str, node_id: str, params: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Insights rows from the simulator's published reports, as Meta writes them: one
        per level object and day (`time_increment=1`), hour (the hourly breakdown) or the
        whole range; counts as strings, money as major-unit decimal strings."""
        level = params.get("level") or node_level
        if level not in LEVELS or LEVELS.index(level) < LEVELS.index(node_level):
            raise invalid(
                f"Param level must be one of {list(LEVELS)} at or below the node", "level"
            )
        fields = [name for name, _ in _field_list(params.get("fields"), "impressions,spend")]
        known = set(INSIGHT_ID_FIELDS) | set(INSIGHT_NAME_FIELDS) | INSIGHT_METRICS
        for name in fields:
            if name not in known:
                raise invalid(f"{name} is not valid for fields param", "fields")
        breakdowns = _decode(params.get("breakdowns") or "[]")
        if breakdowns not in ([], [HOURLY_BREAKDOWN]):
            raise invalid(f"Breakdowns {breakdowns} are not supported", "breakdowns")
        hourly = bool(breakdowns)
        increment = params.get("time_increment", "all_days")
        if increment not in ("1", "all_days"):
            raise invalid(f"time_increment {increment} is not supported", "time_increment")
        span = self._range(params)

        groups: dict[tuple[date, int, str], list[ReportedHour]] = {}
        for hour in await self.network.pull_stats(span.start, span.end):
            ad = self.objects.get(hour.ad_id)
            if ad is None or not self._in_node(ad, node_level, node_id):
                continue
            local = hour.hour_start.astimezone(self.zone)
            day = local.date() if hourly or increment == "1" else span.since
            key = (day, local.hour if hourly else 0, self._level_id(ad, level))
            groups.setdefault(key, []).append(hour)

        rows: list[dict[str, Any]] = []
        for (day, hour_of_day, _), hours in sorted(groups.items()):
            row = self._insight_row(fields, level, hours)
            daily = hourly or increment == "1"
            row["date_start"] = day.isoformat()
            row["date_stop"] = (day if daily else span.until).isoformat()
            if hourly:
                row[HOURLY_BREAKDOWN] = f"{hour_of_day:02d}:00:00 - {hour_of_day:02d}:59:59"
            rows.append(row)
        return rows

    def _range(self, params: Mapping[str, str]) -> _Range:
        today = self.clock.now().astimezone(self.zone).date()
        if "time_range" in params:
            value = _decode(params["time_range"])
            try:
                since = date.fromisoformat(value["since"])
                until = date.fromisoformat(value["until"])
            except (TypeError, KeyError, ValueError) as exc:
                raise invalid("time_range needs since and until dates", "time_range") from exc
            if until < since:
                raise invalid("time_range until is before since", "time_range")
            return _Range(since, until, self.zone)
        preset = params.get("date_preset", "last_30d")
        if preset == "maximum":
            return _Range(self.born.astimezone(self.zone).date(), today, self.zone)
        if preset == "today":
            return _Range(today, today, self.zone)
        if preset == "yesterday":
            return _Range(today - timedelta(days=1), today - timedelta(days=1), self.zone)
        if preset in DATE_PRESET_DAYS:
            days = DATE_PRESET_DAYS[preset]
            return _Range(today - timedelta(days=days), today - timedelta(days=1), self.zone)
        raise invalid(f"date_preset {preset} is not supported", "date_preset")

    def _in_node(self, ad: FakeObject, node_level: str, node_id: str) -> bool:
        if node_level == "account":
            return True
        return self._level_id(ad, node_level) == node_id

    def _level_id(self, ad: FakeObject, level: str) -> str:
        if level == "account":
            return self.account_number
        if level == "campaign":
            return str(self._campaign_of(ad))
        if level == "adset":
            return str(self._adset_of(ad))
        return ad.id

    def _insight_row(
        self, fields: list[str], level: str, hours: list[ReportedHour]
    ) -> dict[str, Any]:
        ad = self.objects[hours[0].ad_id]
        ids = {
            "account_id": self.account_number,
            "campaign_id": self._campaign_of(ad),
            "adset_id": self._adset_of(ad),
            "ad_id": ad.id,
        }
        counts: dict[str, int] = {}
        values: dict[str, int] = {}
        for hour in hours:
            for event, count in hour.event_counts.items():
                counts[event] = counts.get(event, 0) + count
            for event, value in hour.event_value_micros.items():
                values[event] = values.get(event, 0) + value
        row: dict[str, Any] = {}
        for name in fields:
            if name in INSIGHT_ID_FIELDS:
                if LEVELS.index(INSIGHT_ID_FIELDS[name]) > LEVELS.index(level):
                    continue  # Meta leaves out ids below the level asked
                row[name] = ids[name]
            elif name in INSIGHT_NAME_FIELDS:
                if LEVELS.index(INSIGHT_NAME_FIELDS[name]) <= LEVELS.index(level):
                    row[name] = self.objects[str(ids[f"{INSIGHT_NAME_FIELDS[name]}_id"])].name
            elif name == "spend":
                row[name] = self._major(sum(hour.spend_micros for hour in hours))
            elif name == "actions":
                row[name] = _actions(counts, str)
            elif name == "action_values":
                row[name] = _actions(values, self._major)
            else:
                attribute = "link_clicks" if name == "inline_link_clicks" else name
                row[name] = str(sum(int(getattr(hour, attribute)) for hour in hours))
        return row

    def _major(self, micros: int) -> str:
        """Micros as Meta's major-unit decimal string, to the currency's minor unit."""
        places = self.spend_decimals
        step = Decimal(1) / self.per_major if places is None else Decimal(1).scaleb(-places)
        return str((Decimal(micros) / 1_000_000).quantize(step, rounding=ROUND_HALF_EVEN))

    async def _report_run(
        self, run: ReportRun, edge: str, params: dict[str, str]
    ) -> dict[str, Any]:
        if edge == "insights":
            if run.rows is None:
                raise GraphFault(2601, f"(#2601) Report {run.id} is not ready", transient=True)
            return self._page(f"{run.id}/insights", params, list(enumerate(run.rows)))
        if edge:
            raise not_found(f"{run.id}/{edge}", "GET")
        return await self._run_status(run, _field_names(params.get("fields")) or {"id"})

    async def _run_status(self, run: ReportRun, fields: set[str]) -> dict[str, Any]:
        unknown = sorted(fields - REPORT_RUN_FIELDS)
        if unknown:
            raise invalid(f"Tried accessing nonexisting field ({unknown[0]}) on AdReportRun")
        run.polls += 1
        if run.rows is None and run.polls > run.running_polls:
            # Rows are fixed when the job completes: later corrections need a new run.
            run.rows = await self._insights("account", "", run.params)
            run.completed_at = self.clock.now()
        done = run.rows is not None
        span = self._range(run.params)
        status = {
            "id": run.id,
            "report_run_id": run.id,
            "account_id": self.account_number,
            "async_status": "Job Completed" if done else "Job Running",
            "async_percent_completion": 100
            if done
            else min(90, 100 * run.polls // (run.running_polls + 1)),
            "date_start": span.since.isoformat(),
            "date_stop": span.until.isoformat(),
            "time_ref": int(self.born.timestamp()),
            "is_running": not done,
        }
        if run.completed_at is not None:
            status["time_completed"] = int(run.completed_at.timestamp())
        return {name: status[name] for name in sorted(fields) if name in status}


# --- Conversions (Meta -> Adline's specs) ------------------------------------------------------

_OBJECTIVES = {meta: adline for adline, meta in OBJECTIVES.items()}
_GOALS = {meta: adline for adline, meta in OPTIMIZATION_GOALS.items()}
_BID_TYPES = {meta: cast(BidType, adline) for adline, meta in BID_STRATEGIES.items()}
# Adline's param names for the simulator's refusals, as Meta would blame them.
_META_PARAMS = {
    "budget": "daily_budget",
    "budget_amount": "daily_budget",
    "desired_cost_per_result": "bid_amount",
    "frequency_cap": "frequency_control_specs",
    "delivery_schedule": "adset_schedule",
    "time_zone": "timezone_name",
    "status": "status",
}


def targeting_of(
    spec: Mapping[str, Any], audience_sizes: Mapping[str, int] | None = None
) -> Targeting:
    """Meta's targeting spec as the simulator's `Targeting` (the parts that shape delivery).
    `audience_sizes` are the matched people of the account's Custom Audiences."""
    geo = spec.get("geo_locations") or {}
    excluded = spec.get("excluded_geo_locations") or {}
    detailed: dict[str, list[str]] = {"interests": [], "behaviors": []}
    demographics: list[tuple[str, str]] = []
    for entry in spec.get("flexible_spec") or ():
        for kind in detailed:
            detailed[kind].extend(str(item["id"]) for item in entry.get(kind) or ())
        for kind in DEMOGRAPHIC_KEYS:
            demographics.extend((kind, str(item["id"])) for item in entry.get(kind) or ())
    genders = spec.get("genders") or []
    platforms = spec.get("publisher_platforms")
    include = tuple(str(entry["id"]) for entry in spec.get("custom_audiences") or ())
    exclude = tuple(str(entry["id"]) for entry in spec.get("excluded_custom_audiences") or ())
    sizes = audience_sizes or {}
    languages = sorted({LOCALE_LANGUAGES[key] for key in spec.get("locales") or ()})
    return Targeting(
        include=_geo(geo),
        exclude=_geo(excluded),
        minimum_age=spec.get("age_min"),
        maximum_age=spec.get("age_max"),
        gender="all" if len(genders) != 1 else ("male" if genders[0] == 1 else "female"),
        automatic=bool((spec.get("targeting_automation") or {}).get("advantage_audience")),
        languages=tuple(languages),
        device_platforms=tuple(spec.get("device_platforms") or ()),
        interests=tuple(detailed["interests"]),
        behaviors=tuple(detailed["behaviors"]),
        demographic_ids=tuple(category_id for _, category_id in demographics),
        demographic_categories=tuple(demographics),
        audiences_include=include,
        audiences_exclude=exclude,
        audience_sizes=tuple(
            sorted((each, sizes.get(each, 0)) for each in dict.fromkeys((*include, *exclude)))
        ),
        placements=(
            None
            if platforms is None
            else tuple(
                PlacementSelection(platform, tuple(spec.get(f"{platform}_positions") or ()))
                for platform in platforms
            )
        ),
    )


def _geo(value: Mapping[str, Any]) -> GeoSelection:
    return GeoSelection(
        countries=tuple(value.get("countries") or ()),
        regions=tuple(str(entry["key"]) for entry in value.get("regions") or ()),
        cities=tuple(str(entry["key"]) for entry in value.get("cities") or ()),
        zips=tuple(str(entry["key"]) for entry in value.get("zips") or ()),
    )


def creative_of(fields: Mapping[str, Any]) -> CreativeSummary:
    """An ad creative as the simulator's `CreativeSummary` (its format drives the ad's rates)."""
    if fields.get("object_story_id"):
        post = str(fields["object_story_id"]).rpartition("_")[2]
        return CreativeSummary("existing_post", existing_post_id=post)
    story = fields.get("object_story_spec") or {}
    video = story.get("video_data")
    if video:
        action = video.get("call_to_action") or {}
        return CreativeSummary(
            "video",
            media_ids=(str(video.get("video_id")),),
            primary_text=video.get("message"),
            headline=video.get("title"),
            description=video.get("link_description"),
            call_to_action=str(action["type"]).lower() if action else None,
            url=(action.get("value") or {}).get("link") if action else None,
        )
    link = story.get("link_data") or {}
    action = link.get("call_to_action") or {}
    children = link.get("child_attachments")
    media = (
        tuple(str(child["image_hash"]) for child in children)
        if children
        else ((str(link["image_hash"]),) if link.get("image_hash") else ())
    )
    return CreativeSummary(
        "carousel" if children else "image",
        media_ids=media,
        primary_text=link.get("message"),
        headline=link.get("name"),
        description=link.get("description"),
        call_to_action=str(action["type"]).lower() if action else None,
        url=link.get("link"),
    )


def _schedule(value: Any) -> DeliverySchedule | None:
    if not value:
        return None
    windows = [
        ScheduleWindow(
            WEEKDAYS[(day - 1) % 7], entry["start_minute"] // 60, entry["end_minute"] // 60
        )
        for entry in value
        for day in entry.get("days") or ()
    ]
    return DeliverySchedule(tuple(windows))


def _frequency_cap(value: Any) -> FrequencyCap | None:
    if not value:
        return None
    entry = value[0]
    return FrequencyCap(int(entry["max_frequency"]), int(entry.get("interval_days") or 90))


def _run_status(status: str) -> Literal["active", "paused"]:
    return "active" if status == "ACTIVE" else "paused"


def _bid_type(strategy: Any) -> BidType:
    return _BID_TYPES.get(str(strategy), "minimum_cost")


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value), GRAPH_TIME).astimezone(UTC)
    except ValueError as exc:
        raise invalid(f"{value!r} is not an ISO 8601 time with an offset", "start_time") from exc


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise invalid(f"Param status must be one of {sorted(STATUSES)}", "status")


def _validate_only(values: Mapping[str, Any]) -> bool:
    return "validate_only" in (values.get("execution_options") or ())


def _actions(amounts: Mapping[str, int], render: Any) -> list[dict[str, str]]:
    """Meta's `actions`/`action_values` entries: the aggregate action type, and for pixel
    events the per-source duplicate Meta sends beside it (which must not count twice)."""
    entries: list[dict[str, str]] = []
    for event, amount in sorted(amounts.items()):
        if not amount:
            continue
        action = ACTION_TYPES.get(event, event)
        entries.append({"action_type": action, "value": render(amount)})
        if event in PIXEL_EVENTS:
            pixel_action = f"offsite_conversion.fb_pixel_{action}"
            entries.append({"action_type": pixel_action, "value": render(amount)})
    return entries


# --- Encoding ----------------------------------------------------------------------------------


def _decode(value: str) -> Any:
    """A JSON-typed Graph parameter (an object, a list or a boolean)."""
    try:
        return json.loads(value)
    except ValueError as exc:
        raise invalid(f"{value[:40]!r} is not valid JSON") from exc


def _recorded(params: Mapping[str, str]) -> dict[str, Any]:
    """A call's parameters for `FakeMeta.calls`: decoded where they decode, token left out."""
    recorded: dict[str, Any] = {}
    for name, value in params.items():
        if name in ("access_token", "appsecret_proof"):
            continue
        try:
            recorded[name] = _decode(value) if name in JSON_PARAMS else value
        except GraphFault:
            recorded[name] = value
    return recorded


def _decode_all(params: Mapping[str, str]) -> dict[str, Any]:
    """Parameters as Graph reads them: JSON-typed ones decoded, the rest kept as text
    (numbers too: Meta reads budgets back as strings)."""
    return {
        name: _decode(value) if name in JSON_PARAMS else value for name, value in params.items()
    }


def _field_list(text: str | None, default: str) -> list[tuple[str, str | None]]:
    """`fields=id,name,creative{id,name}` as (name, nested fields or None)."""
    text = text or default
    items: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    fields: list[tuple[str, str | None]] = []
    for item in items:
        name, brace, rest = item.strip().partition("{")
        if name:
            fields.append((name, rest[:-1] if brace else None))
    return fields


def _field_names(text: str | None) -> set[str]:
    return {name for name, _ in _field_list(text, "")} if text else set()


def _account_node(account_id: str) -> str:
    return account_id if account_id.startswith("act_") else f"act_{account_id}"


def _known(
    fields: Iterable[tuple[str, str | None]], node: Mapping[str, Any], node_type: str
) -> list[tuple[str, str | None]]:
    out = list(fields)
    for name, _ in out:
        if name not in node:
            raise invalid(f"Tried accessing nonexisting field ({name}) on node type ({node_type})")
    return out


def _filters_status(filters: list[Any]) -> bool:
    return any(
        isinstance(entry, dict) and str(entry.get("field", "")).endswith("effective_status")
        for entry in filters
    )


def _cursor(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(base64.urlsafe_b64decode(value.encode()).decode())
    except ValueError as exc:
        raise invalid("The after cursor is not one this edge gave", "after") from exc


def _encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(str(key).encode()).decode()


__all__ = ["AnswerLost", "Call", "FakeMeta", "FakeObject", "GraphFault", "ReportRun"]
