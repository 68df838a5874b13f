"""A thin async client of Meta's Graph API (Marketing API), on httpx, without Meta's SDK.

It knows Graph's conventions and nothing of Adline's objects (docs/networks-meta.md):

- the version is part of every path, `{base_url}/{api_version}/{path}`; both are settings;
- the token goes in the query string (`access_token`, plus `appsecret_proof` when the app
  secret is known); GET and DELETE send their parameters in the query, POST form-encoded;
  dict, list and bool values are JSON-encoded with sorted keys, as Meta's SDK does, so a
  request is deterministic and a contract fixture can match it exactly;
- every failure becomes one of Adline's adapter errors (`_to_adapter_error`), and the one
  retry policy (`RetryPolicy`) decides what is tried again here: transient failures and,
  right after a create, Meta's read-after-write "does not exist" (100/33). Rate limits are
  not slept through: they raise `RateLimited(retry_after)` for the caller to reschedule;
- the usage headers (`X-Business-Use-Case-Usage`, `X-App-Usage`, `X-Ad-Account-Usage`) are
  read on every answer: a quota at 95% or with a time to regain access puts its bucket on
  cooldown, and calls into a bucket on cooldown raise `RateLimited` without being sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from adline.config import DEFAULT_META_API_VERSION, DEFAULT_META_GRAPH_URL
from adline.delivery.adapter import (
    AdapterError,
    ConnectionBroken,
    InvalidSpec,
    ObjectNotFound,
    RateLimited,
    TransientError,
)
from adline.networks.meta.mapping import adline_param

# The settings' defaults (adline.config): one place names them.
DEFAULT_GRAPH_URL = DEFAULT_META_GRAPH_URL
DEFAULT_API_VERSION = DEFAULT_META_API_VERSION

# Error codes that mean "slow down" (networks.md §1.7): app limit, user/account score,
# Pages, ad-account calls, and the Business Use Case limits.
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
# Throttles that stop every call of the app or the ad account, not one BUC bucket.
ACCOUNT_WIDE_THROTTLES = frozenset({4, 17, 613})
# Meta asks for at least a minute before trying again after a throttle (Airbyte does too).
MINIMUM_BACKOFF = timedelta(seconds=60)
# Meta throttles at 100% of any quota; stop a little before, as Airbyte does.
USAGE_CEILING_PCT = 95.0
# Sync insights that timed out: ask again as an async report run (networks.md §1.5).
INSIGHTS_TIMEOUTS = frozenset({(100, 1504018), (2, 1504038)})
# Every bucket: app-wide and account-wide limits.
ALL_BUCKETS = "*"
REPORT_RUN_FIELDS = (
    "id,async_status,async_percent_completion,error_code,error_message,error_subcode,"
    "error_user_title,error_user_msg"
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often one call is tried, and how long to wait between tries (doubling)."""

    max_attempts: int = 4
    first_delay: float = 1.0
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.max_delay, self.first_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class ReportPolling:
    """How an async report run is waited for: every `interval` seconds, at most `max_wait`."""

    interval: float = 5.0
    max_wait: float = 30 * 60.0


@dataclass(frozen=True)
class VideoPolling:
    """How an uploaded video's processing is waited for: every `interval` seconds, at most
    `max_wait` (then the write fails, retryable: the next try only waits again)."""

    interval: float = 5.0
    max_wait: float = 5 * 60.0


# Files sent as multipart form data: field -> (filename, bytes, content type).
Files = Mapping[str, tuple[str, bytes, str]]


class GraphError(Exception):
    """Meta's error object, as Graph sends it (`{"error": {...}}`)."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.code = _int(body.get("code"))
        self.subcode = _int(body.get("error_subcode"))
        self.type = str(body.get("type") or "")
        self.message = str(body.get("message") or "Meta error")
        self.user_title = body.get("error_user_title")
        self.user_message = body.get("error_user_msg")
        self.is_transient = bool(body.get("is_transient"))
        self.fbtrace_id = body.get("fbtrace_id")
        data = body.get("error_data")
        if isinstance(data, str):  # Graph sometimes sends error_data as a JSON string
            try:
                data = json.loads(data)
            except ValueError:
                data = None
        specs = data.get("blame_field_specs") if isinstance(data, Mapping) else None
        self.blame_field_specs: list[list[str]] = [
            [str(part) for part in spec] if isinstance(spec, list) else [str(spec)]
            for spec in specs or ()
        ]
        super().__init__(self.describe())

    def describe(self) -> str:
        text = self.user_message or self.message
        code = f"{self.code}/{self.subcode}" if self.subcode else str(self.code)
        trace = f", fbtrace_id {self.fbtrace_id}" if self.fbtrace_id else ""
        return f"Meta error {code}: {text}{trace}"


class InsightsTooLarge(TransientError):
    """A sync insights read timed out on Meta's side: ask for it as an async report run."""


@dataclass(frozen=True)
class Usage:
    """What one answer's usage headers say: the busiest quota per bucket (percent), and how
    long until each throttled bucket is usable again."""

    percent: dict[str, float] = field(default_factory=dict)
    regain_after: dict[str, timedelta] = field(default_factory=dict)

    def cooldowns(self) -> dict[str, timedelta]:
        """Buckets to rest, and for how long: those Meta throttles (a time to regain access)
        and those at the ceiling, at least a minute each."""
        rest: dict[str, timedelta] = {}
        for bucket in {*self.percent, *self.regain_after}:
            regain = self.regain_after.get(bucket, timedelta(0))
            if regain > timedelta(0) or self.percent.get(bucket, 0.0) >= USAGE_CEILING_PCT:
                rest[bucket] = max(MINIMUM_BACKOFF, regain)
        return rest


def parse_usage(headers: Mapping[str, str]) -> Usage:
    """The usage headers of one answer (networks.md §1.8); unreadable ones are ignored."""
    usage = Usage()
    buc = _json_header(headers, "x-business-use-case-usage")
    if isinstance(buc, Mapping):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else ():
                if not isinstance(entry, Mapping):
                    continue
                bucket = str(entry.get("type") or ALL_BUCKETS)
                _note(usage, bucket, _highest(entry, "call_count", "total_cputime", "total_time"))
                minutes = _number(entry.get("estimated_time_to_regain_access"))
                _note_regain(usage, bucket, timedelta(minutes=minutes))
    app = _json_header(headers, "x-app-usage")
    if isinstance(app, Mapping):
        _note(usage, ALL_BUCKETS, _highest(app, "call_count", "total_cputime", "total_time"))
    account = _json_header(headers, "x-ad-account-usage")
    if isinstance(account, Mapping):
        _note(usage, ALL_BUCKETS, _number(account.get("acc_id_util_pct")))
        # [verify] newer versions are reported to carry the reset time, in seconds.
        seconds = _number(account.get("reset_time_duration"))
        if _number(account.get("acc_id_util_pct")) >= USAGE_CEILING_PCT:
            _note_regain(usage, ALL_BUCKETS, timedelta(seconds=seconds))
    return usage


def encode_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Graph's parameter encoding: dicts, lists and bools as compact JSON with sorted keys
    (as the SDK's `_top_level_param_json_encode`), numbers and strings as text; None left out."""
    encoded: dict[str, str] = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, dict | list | tuple | bool):
            encoded[name] = json.dumps(value, sort_keys=True, separators=(",", ":"))
        else:
            encoded[name] = str(value)
    return encoded


FindExisting = Callable[[], Awaitable[str | None]]


class MetaGraphClient:
    """One connection's Graph client. Tests inject `transport` (respx, MockTransport) and
    `sleep`, so no test waits or reaches the network."""

    def __init__(
        self,
        base_url: str,
        api_version: str,
        access_token: str,
        *,
        app_secret: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        retry: RetryPolicy | None = None,
        polling: ReportPolling | None = None,
        video_polling: VideoPolling | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self._access_token = access_token
        self._app_secret = app_secret
        self._sleep = sleep
        self._monotonic = monotonic
        self.retry = retry or RetryPolicy()
        self.polling = polling or ReportPolling()
        self.video_polling = video_polling or VideoPolling()
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)
        # Bucket -> monotonic instant it may be called again.
        self._cooldown_until: dict[str, float] = {}
        self.last_usage = Usage()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> MetaGraphClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- Calls -----------------------------------------------------------------------------

    async def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        access_token: str | None = None,
        just_created: bool = False,
    ) -> dict[str, Any]:
        """Read a node or an edge. `access_token` overrides the connection's (pixel checks);
        `just_created` retries Meta's read-after-write 100/33."""
        return await self._call(
            "GET", path, params, access_token=access_token, just_created=just_created
        )

    async def post(
        self, path: str, form: Mapping[str, Any] | None = None, *, just_created: bool = False
    ) -> dict[str, Any]:
        """Update a node (settings are absolute, so sending them twice is harmless)."""
        return await self._call("POST", path, form, just_created=just_created)

    async def create(
        self, path: str, form: Mapping[str, Any], *, find_existing: FindExisting | None = None
    ) -> str:
        """Create an object on an edge and answer its id. A create that failed in a way that
        may have reached Meta is only tried again after `find_existing` (a lookup by the
        client reference) found nothing: a retry never makes a duplicate."""
        body = await self._call("POST", path, form, find_existing=find_existing)
        return str(body["id"])

    async def upload(
        self,
        path: str,
        form: Mapping[str, Any],
        files: Files,
        *,
        find_existing: FindExisting | None = None,
    ) -> dict[str, Any]:
        """POST `files` as multipart form data (with `form`'s fields), under the same error
        and retry rules as every call; `find_existing` as for `create`."""
        return await self._call("POST", path, form, files=files, find_existing=find_existing)

    async def wait_for_video(self, video_id: str) -> None:
        """Poll `GET /{video_id}?fields=status` until Meta has processed the video
        (`video_status` `ready`). Meta's `error` refuses it (`InvalidSpec`: the file cannot
        run as an ad); still processing after `video_polling.max_wait` is a
        `TransientError` (the write is tried again later and only waits again)."""
        waited = 0.0
        while True:
            body = await self.get(video_id, {"fields": "status"})
            status = body.get("status") or {}
            state = status.get("video_status")
            if state == "ready":
                return
            if state in ("error", "expired"):
                raise InvalidSpec(_video_failure(video_id, status), "creatives")
            if waited >= self.video_polling.max_wait:
                raise TransientError(f"Meta is still processing the video {video_id}")
            await self._sleep(self.video_polling.interval)
            waited += self.video_polling.interval

    async def delete(self, path: str) -> dict[str, Any]:
        return await self._call("DELETE", path, None)

    async def paginate(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every row of a paged edge. It follows the `after` cursor on its own path (not the
        absolute `next` URL, so a base-URL override keeps working) until `next` is gone."""
        query = dict(params or {})
        while True:
            page = await self.get(path, query)
            for row in page.get("data") or ():
                yield row
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            query = {**query, "after": after}

    async def report_run(
        self, parent: str, params: Mapping[str, Any], *, page_size: int = 500
    ) -> list[dict[str, Any]]:
        """An async insights report: start it, poll it until it is clearly `Job Completed`
        (or failed), then read every page of its rows."""
        started = await self.post(f"{parent}/insights", params)
        run_id = str(started.get("report_run_id") or started["id"])
        waited = 0.0
        while True:
            run = await self.get(run_id, {"fields": REPORT_RUN_FIELDS})
            status = run.get("async_status")
            # 100% can show before the status says so: only the status is trusted.
            if status == "Job Completed":
                break
            if status in ("Job Failed", "Job Skipped"):
                raise _report_failure(run_id, run)
            if waited >= self.polling.max_wait:
                raise TransientError(f"Meta report run {run_id} did not finish in time")
            await self._sleep(self.polling.interval)
            waited += self.polling.interval
        return [row async for row in self.paginate(f"{run_id}/insights", {"limit": page_size})]

    # --- The one request path ------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        *,
        access_token: str | None = None,
        just_created: bool = False,
        find_existing: FindExisting | None = None,
        files: Files | None = None,
    ) -> dict[str, Any]:
        path = path.strip("/")
        bucket = _bucket(path)
        self._check_cooldown(bucket)
        url = f"{self.base_url}/{self.api_version}/{path}"
        query = self._auth(access_token)
        values = encode_params(params)
        for attempt in range(1, self.retry.max_attempts + 1):
            if attempt > 1 and find_existing is not None:
                existing = await find_existing()
                if existing is not None:
                    return {"id": existing}
            try:
                response = await self._http.request(
                    method,
                    url,
                    params={**query, **values} if method != "POST" else query,
                    data=values if method == "POST" else None,
                    files=dict(files) if files else None,
                )
            except httpx.TransportError as exc:
                failure: AdapterError = TransientError(f"Meta unreachable: {exc!r}")
            else:
                self._note_usage(response.headers)
                try:
                    return _answer(response)
                except GraphError as error:
                    failure = self._to_adapter_error(error, bucket)
                    failure.__cause__ = error
                    if isinstance(failure, ObjectNotFound) and just_created:
                        failure = TransientError(str(failure))
                        failure.__cause__ = error
            if not isinstance(failure, TransientError) or isinstance(failure, InsightsTooLarge):
                raise failure
            if attempt == self.retry.max_attempts:
                if just_created and isinstance(failure.__cause__, GraphError):
                    raise ObjectNotFound(str(failure)) from failure.__cause__
                raise failure
            await self._sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _auth(self, access_token: str | None) -> dict[str, str]:
        token = access_token or self._access_token
        query = {"access_token": token}
        if self._app_secret is not None:
            query["appsecret_proof"] = appsecret_proof(self._app_secret, token)
        return query

    def _check_cooldown(self, bucket: str) -> None:
        now = self._monotonic()
        until = max(
            self._cooldown_until.get(bucket, 0.0), self._cooldown_until.get(ALL_BUCKETS, 0.0)
        )
        if until > now:
            raise RateLimited(
                timedelta(seconds=until - now), "Meta usage is at its limit (usage headers)"
            )

    def _note_usage(self, headers: Mapping[str, str]) -> None:
        self.last_usage = parse_usage(headers)
        for bucket, rest in self.last_usage.cooldowns().items():
            self._rest(bucket, rest)

    def _rest(self, bucket: str, rest: timedelta) -> None:
        until = self._monotonic() + rest.total_seconds()
        self._cooldown_until[bucket] = max(self._cooldown_until.get(bucket, 0.0), until)

    def _to_adapter_error(self, error: GraphError, bucket: str) -> AdapterError:
        code, subcode, detail = error.code or 0, error.subcode, error.describe()
        if code == 190 or code == 10 or 200 <= code <= 299:
            return ConnectionBroken(detail)
        if code in THROTTLE_CODES:
            regain = self.last_usage.regain_after
            retry_after = max(MINIMUM_BACKOFF, *regain.values()) if regain else MINIMUM_BACKOFF
            self._rest(ALL_BUCKETS if code in ACCOUNT_WIDE_THROTTLES else bucket, retry_after)
            return RateLimited(retry_after, detail)
        if (code, subcode) in INSIGHTS_TIMEOUTS:
            return InsightsTooLarge(detail)
        if code == 100 and subcode == 33:
            return ObjectNotFound(detail)
        if error.is_transient or code in (1, 2, 960) or error.status >= 500:
            return TransientError(detail)
        if code == 100 or code == 368 or subcode == 1885261:
            blamed = error.blame_field_specs[0] if error.blame_field_specs else []
            param = adline_param(blamed)
            if param is None and subcode == 1885261:
                param = "budget_amount"
            return InvalidSpec(detail, param)
        return AdapterError(detail)


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """HMAC-SHA256 of the token keyed by the app secret, hex (Graph's `appsecret_proof`)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a successful answer; raises `GraphError` for any failure,
    including a 200 that is not one (Meta's "Service Unavailable" page, `success: false`)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), Mapping):
        raise GraphError(response.status_code, body["error"])
    if response.is_success and isinstance(body, dict):
        if body.get("success") is False:
            raise GraphError(503, {"code": 2, "message": "Meta answered success: false"})
        return body
    # Not a Graph answer: a proxy's or Meta's own "Service Unavailable" page, even as a 200.
    status = 503 if response.is_success else response.status_code
    first_line = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    raise GraphError(status, {"code": 2 if status >= 500 else 0, "message": first_line})


def _report_failure(run_id: str, run: Mapping[str, Any]) -> AdapterError:
    """A failed report run, with the v25+ error fields when Meta gives them: a throttle or a
    refused parameter keeps its meaning, anything else may pass on a new run."""
    error = GraphError(
        200,
        {
            "code": run.get("error_code"),
            "error_subcode": run.get("error_subcode"),
            "message": run.get("error_message") or f"report run {run_id} {run.get('async_status')}",
            "error_user_title": run.get("error_user_title"),
            "error_user_msg": run.get("error_user_msg"),
        },
    )
    code = error.code
    if code in THROTTLE_CODES:
        failure: AdapterError = RateLimited(MINIMUM_BACKOFF, error.describe())
    elif code == 100 and error.subcode not in (None, 1504018):
        failure = InvalidSpec(error.describe())
    else:
        failure = TransientError(error.describe())
    failure.__cause__ = error
    return failure


def _video_failure(video_id: str, status: Mapping[str, Any]) -> str:
    """Why Meta could not process a video: the first error its phases name, if any."""
    for phase in ("uploading_phase", "processing_phase", "publishing_phase"):
        details = status.get(phase)
        errors = details.get("errors") if isinstance(details, Mapping) else None
        for error in errors if isinstance(errors, list) else ():
            if isinstance(error, Mapping) and error.get("message"):
                return f"Meta could not process the video {video_id}: {error['message']}"
    state = status.get("video_status")
    return f"Meta could not process the video {video_id} (video_status {state})"


def _bucket(path: str) -> str:
    """The Business Use Case bucket a call counts against (insights and writes are apart)."""
    return "ads_insights" if path.endswith("/insights") else "ads_management"


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _note(usage: Usage, bucket: str, percent: float) -> None:
    usage.percent[bucket] = max(usage.percent.get(bucket, 0.0), percent)


def _note_regain(usage: Usage, bucket: str, regain: timedelta) -> None:
    if regain > timedelta(0):
        usage.regain_after[bucket] = max(usage.regain_after.get(bucket, timedelta(0)), regain)


def _highest(entry: Mapping[str, Any], *names: str) -> float:
    return max(_number(entry.get(name)) for name in names)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
