"""A thin async client of the TikTok Business API v1.3, on httpx.

It knows the transport conventions and nothing of Adline's objects:

- the `Access-Token` header; GET parameters in the query, lists and objects JSON-encoded
  (`dimensions=["ad_id","stat_time_hour"]`); POST bodies as JSON;
- the envelope `{code, message, request_id, data}`: TikTok answers errors with HTTP 200
  and `code != 0`, so the code, not the HTTP status, decides;
- one retry policy, here and nowhere else (`TikTokClient.request`): QPS rate limits and
  transient failures are retried a bounded number of times after an injected `sleep`, so
  tests never wait; anything longer is raised for the caller's scheduler;
- TikTok codes become the adapter interface's errors (`adline.delivery.adapter`).

The codes and rate-limit windows are the ones /work/shared/spec/networks.md §3.4 lists
(from the SDK's `tiktok_code.py` and TikTok's rate-limit page).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from adline.config import DEFAULT_TIKTOK_API_URL, TIKTOK_API_VERSION
from adline.core.clock import Clock, SystemClock
from adline.delivery.adapter import (
    AdapterError,
    ConnectionBroken,
    InvalidSpec,
    ObjectNotFound,
    RateLimited,
    TransientError,
)

# The settings' defaults (adline.config): one place names them.
API_VERSION = TIKTOK_API_VERSION
DEFAULT_BASE_URL = DEFAULT_TIKTOK_API_URL
SANDBOX_BASE_URL = f"https://sandbox-ads.tiktok.com/open_api/{API_VERSION}"

OK = 0
PARTIAL_SUCCESS = 20001
INVALID_CODES = frozenset({40000, 40002})
NOT_FOUND_CODES = frozenset({40007})
DUPLICATED_REQUEST = 40050
RATE_LIMIT_CODES = frozenset({40100, 40132})
# Expired, empty, invalid or refused tokens, a withdrawn permission, a vanished advertiser:
# nothing succeeds until the company reconnects.
BROKEN_CONNECTION_CODES = frozenset({40001, 40102, 40103, 40104, 40105, 40107, 40300})
# Write conflict and system errors: the same call may succeed later.
TRANSIENT_CODES = frozenset({40202, 50000, 50002})

# Attempts of one call in all (the first one included), and the waits between them.
MAX_ATTEMPTS = 3
TRANSIENT_BACKOFF = (timedelta(seconds=1), timedelta(seconds=2))
# TikTok's recovery rules per window: a QPS breach passes with the current second, a QPM
# breach suspends the app for 5 minutes, a QPD breach lasts until 00:00 UTC.
QPS_WAIT = timedelta(seconds=1)
QPM_WAIT = timedelta(minutes=5)
# Only a wait this short is slept here; a longer one is the caller's to schedule.
MAX_INLINE_WAIT = QPS_WAIT

Sleep = Callable[[float], Awaitable[None]]
# One multipart file part: (file name, bytes, content type).
UploadedFile = tuple[str, bytes, str]


@dataclass(frozen=True)
class TikTokAnswer:
    """One unwrapped envelope: `code` is 0 or 20001 (partial success); `data` is a dict."""

    code: int
    message: str
    request_id: str | None
    data: dict[str, Any]

    @property
    def partial(self) -> bool:
        return self.code == PARTIAL_SUCCESS


class DuplicatedRequest(AdapterError):
    """TikTok 40050: a create with this `request_id` was already made. The caller re-reads
    the object instead of creating it again."""


class _Retry(Exception):
    """Internal: this attempt failed in a way the retry policy may repeat."""

    def __init__(self, error: RateLimited | TransientError, message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


class TikTokClient:
    """One advertiser connection's HTTP client. `transport` is httpx's (tests pass respx or
    `httpx.MockTransport`); `sleep` waits between attempts; `clock` dates QPD waits."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._access_token = access_token
        self._transport = transport
        self._sleep = sleep
        self._clock: Clock = clock or SystemClock()
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            headers={"Access-Token": access_token, "Accept": "application/json"},
            transport=transport,
            timeout=timeout,
        )

    def with_token(self, access_token: str) -> TikTokClient:
        """The same client for another token (a pixel check reads with the pixel's token)."""
        return TikTokClient(
            self.base_url,
            access_token,
            transport=self._transport,
            sleep=self._sleep,
            clock=self._clock,
            timeout=self._timeout,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, query: Mapping[str, Any]) -> TikTokAnswer:
        return await self.request("GET", path, query=query)

    async def post(
        self, path: str, body: Mapping[str, Any], *, replay_safe: bool = True
    ) -> TikTokAnswer:
        """POST `body` as JSON. `replay_safe=False` for a create: when its outcome is unknown
        (a 5xx, a timeout, 50000) it is not sent again here; the adapter looks the object
        up first, so a retry never makes a duplicate."""
        return await self.request("POST", path, body=body, replay_safe=replay_safe)

    async def upload(
        self, path: str, fields: Mapping[str, str], files: Mapping[str, UploadedFile]
    ) -> TikTokAnswer:
        """POST `fields` and `files` as multipart/form-data (TikTok's file uploads). Never
        resent when its outcome is unknown (`replay_safe=False`): the caller looks for what
        a lost upload made before uploading again."""
        return await self.request("POST", path, form=fields, files=files, replay_safe=False)

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        files: Mapping[str, UploadedFile] | None = None,
        replay_safe: bool = True,
    ) -> TikTokAnswer:
        """The one retry policy: up to MAX_ATTEMPTS attempts; a QPS rate limit waits its
        second and tries again; a transient failure backs off (only when `replay_safe`);
        an exhausted or longer wait is raised (`RateLimited`, `TransientError`)."""
        sent = dict(body or {}) | dict(form or {}) | dict(files or {}) | dict(query or {})
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self._attempt(method, path, query, body, sent, form, files)
            except _Retry as retry:
                error, last = retry.error, attempt == MAX_ATTEMPTS
                if isinstance(error, RateLimited):
                    wait = error.retry_after
                    if wait > MAX_INLINE_WAIT:
                        raise error from None
                    if last:
                        # Still limited after waiting out the second: read it as the
                        # minute's quota (QPM), which suspends for 5 minutes.
                        raise RateLimited(QPM_WAIT, retry.message) from None
                elif last or not replay_safe:
                    raise error from None
                else:
                    wait = TRANSIENT_BACKOFF[attempt - 1]
                await self._sleep(wait.total_seconds())
        raise AssertionError("unreachable")  # pragma: no cover

    async def iterate_pages(
        self, path: str, query: Mapping[str, Any], *, page_size: int = 1000
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Each page's `data.list`, from page 1 until `data.page_info.total_page`."""
        page = 1
        while True:
            answer = await self.get(path, {**query, "page": page, "page_size": page_size})
            rows: list[dict[str, Any]] = list(answer.data.get("list") or [])
            yield rows
            info = answer.data.get("page_info") or {}
            if not rows or page >= int(info.get("total_page") or 0):
                return
            page += 1

    async def list_all(
        self, path: str, query: Mapping[str, Any], *, page_size: int = 1000
    ) -> list[dict[str, Any]]:
        return [
            row
            async for rows in self.iterate_pages(path, query, page_size=page_size)
            for row in rows
        ]

    # --- One attempt -----------------------------------------------------------------------

    async def _attempt(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
        sent: Mapping[str, Any],
        form: Mapping[str, str] | None = None,
        files: Mapping[str, UploadedFile] | None = None,
    ) -> TikTokAnswer:
        try:
            response = await self._http.request(
                method,
                path.lstrip("/"),
                params=encode_query(query) if query is not None else None,
                json=dict(body) if body is not None else None,
                data=dict(form) if form is not None else None,
                files=dict(files) if files is not None else None,
            )
        except httpx.TransportError as exc:
            # Timeouts included: the request may or may not have reached TikTok.
            message = f"TikTok unreachable: {exc!r}"
            raise _Retry(TransientError(message), message) from exc
        envelope = _envelope(response)
        if envelope is None:
            if response.status_code == 429:
                raise _Retry(RateLimited(QPS_WAIT, "TikTok HTTP 429"), "TikTok HTTP 429")
            if response.status_code >= 500 or response.status_code == 200:
                message = f"TikTok HTTP {response.status_code} without an envelope"
                raise _Retry(TransientError(message), message)
            raise AdapterError(f"TikTok HTTP {response.status_code} without an envelope")
        return self._unwrap(envelope, sent)

    def _unwrap(self, envelope: Mapping[str, Any], sent: Mapping[str, Any]) -> TikTokAnswer:
        code = int(envelope.get("code", -1))
        message = str(envelope.get("message") or "")
        request_id = envelope.get("request_id")
        data = envelope.get("data")
        if isinstance(data, list):
            # Some answers (a video upload's) are a list of objects: kept as `data.list`.
            data = {"list": data}
        answer = TikTokAnswer(code, message, request_id, data if isinstance(data, dict) else {})
        if code in (OK, PARTIAL_SUCCESS):
            return answer
        text = f"TikTok {code}: {message} (request_id {request_id})"
        if code in RATE_LIMIT_CODES:
            wait = rate_limit_wait(message, self._clock.now())
            raise _Retry(RateLimited(wait, text), text)
        if code in TRANSIENT_CODES or 51000 <= code <= 51999:
            raise _Retry(TransientError(text), text)
        if code in BROKEN_CONNECTION_CODES:
            raise ConnectionBroken(text)
        if code in INVALID_CODES:
            raise InvalidSpec(text, named_field(message, sent))
        if code in NOT_FOUND_CODES:
            raise ObjectNotFound(text)
        if code == DUPLICATED_REQUEST:
            raise DuplicatedRequest(text)
        raise AdapterError(text)


def encode_query(query: Mapping[str, Any]) -> dict[str, str]:
    """TikTok's GET encoding: lists and objects as compact JSON, booleans as JSON, None
    left out, everything else as its string."""
    encoded: dict[str, str] = {}
    for key, value in query.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | dict | bool):
            encoded[key] = json.dumps(value, separators=(",", ":"))
        else:
            encoded[key] = str(value)
    return encoded


def rate_limit_wait(message: str, now: datetime) -> timedelta:
    """How long a 40100 lasts, by the window its message names: a day's quota until 00:00
    UTC, a minute's 5 minutes, else (a second's, or unnamed) one second. TikTok sends no
    rate-limit headers, so the message is all there is [verify the wording]."""
    lowered = message.lower()
    if "qpd" in lowered or "day" in lowered:
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - now
    if "qpm" in lowered or "minute" in lowered:
        return QPM_WAIT
    return QPS_WAIT


def named_field(message: str, sent: Mapping[str, Any]) -> str | None:
    """The first field of the request that the error message names (TikTok's field name;
    the adapter translates it into Adline's)."""
    words: list[str] = re.findall(r"[a-z][a-z0-9_]*", message)
    return next((word for word in words if word in sent and word != "advertiser_id"), None)


def _envelope(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) and "code" in body else None
