"""Sending: render a message for its endpoint, sign it (Standard Webhooks), POST it, record
the attempt, and schedule the retry or disable the endpoint (docs/webhooks.md).

The `webhook.deliver` job sends one pending attempt. The database is not held open while
the endpoint answers: one transaction reads, the POST runs outside any, and a second
records the outcome together with the job's completion (so a worker that lost its lease
records nothing)."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import random
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpcore
import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook as StandardWebhook

from adline.config import Settings
from adline.core.clock import Clock, SystemClock
from adline.core.http import strip_private
from adline.core.timestamps import format_timestamp
from adline.jobs.registry import JobContext, job_handler
from adline.versions import VERSION_BUNDLE
from adline.webhooks.events import (
    DELIVER_JOB,
    previous_attributes,
    queue_delivery,
    without_metrics,
)
from adline.webhooks.models import (
    CANCELLED,
    FAILED,
    PENDING,
    SUCCEEDED,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from adline.webhooks.targets import CheckedBackend, UnsafeTarget, check_url

API_VERSION = "v1"
TIMEOUT_SECONDS = 15.0
# Seconds before each attempt of a message: the first at once, the last about 2.6 days
# after it (then the endpoint has failed for about three days and is disabled).
RETRY_SCHEDULE: tuple[int, ...] = (
    0,
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
)
# Each delay is stretched or shrunk by up to this fraction, so that endpoints that failed
# together are not all retried in the same second.
JITTER = 0.2
# An endpoint failing for this long without a success is disabled.
FAILING_LIMIT = timedelta(days=3)
# A non-JSON answer is kept as its first bytes.
RAW_BODY_BYTES = 100
DISABLED_FOR_FAILURES = "delivery_failures"
# Adline's own reason (Whop documents only delivery_failures): the endpoint answered 410.
DISABLED_AS_GONE = "endpoint_gone"


@dataclass(frozen=True)
class Outcome:
    """What the endpoint answered (status 0: it could not be reached)."""

    status: int
    body_text: str
    response_body: dict[str, Any] | None
    total_time: float

    @property
    def success(self) -> bool:
        return 200 <= self.status < 300


def retry_delay(attempt: int, rng: random.Random) -> timedelta | None:
    """The wait before attempt `attempt + 1` of a message, jittered; None after the last."""
    if attempt >= len(RETRY_SCHEDULE):
        return None
    seconds = RETRY_SCHEDULE[attempt]
    return timedelta(seconds=seconds * rng.uniform(1 - JITTER, 1 + JITTER))


def render_body(webhook: Webhook, event: WebhookEvent, message_id: str) -> dict[str, Any]:
    """The envelope for `webhook`: `data` and `previous_attributes` in its pinned version
    (the newest when unpinned), without statistics."""
    version = webhook.api_version_date

    def shaped(body: dict[str, Any]) -> dict[str, Any]:
        body = copy.deepcopy(body)
        if version is not None:
            body = VERSION_BUNDLE.migrate_response(version, event.object_kind, body)
        rendered: dict[str, Any] = without_metrics(strip_private(body))
        return rendered

    data = shaped(event.data)
    previous = None if event.previous is None else shaped(event.previous)
    return {
        "id": message_id,
        "type": event.type,
        "timestamp": format_timestamp(event.created_at),
        "api_version": API_VERSION,
        "api_version_date": version,
        "account_id": event.company_id,
        "data": data,
        "previous_attributes": previous_attributes(data, previous),
    }


def signing_headers(secret: str, message_id: str, sent: datetime, payload: str) -> dict[str, str]:
    """Standard Webhooks headers. The HMAC key is the literal bytes of the whole secret
    (`ws_` included), as Whop signs: base64 here cancels the library's own decode, exactly
    as whop_sdk.lib.verify_webhook.unwrap does when verifying."""
    signer = StandardWebhook(base64.b64encode(secret.encode()).decode("ascii"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": signer.sign(message_id, sent, payload),
        "content-type": "application/json",
        "user-agent": "Adline-Webhooks/1",
    }


def _response_body(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    return {
        "error": "The response was not a JSON object.",
        "raw_body": raw[:RAW_BODY_BYTES].decode("utf-8", errors="replace"),
    }


# One HTTP client per event loop (and setting), kept between attempts: a client made per
# attempt loaded the CA bundle each time (about 20 ms of CPU) and opened a new connection,
# which capped a runner at a few dozen deliveries a second (bench/bench_webhooks.py).
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[bool, httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)
MAX_CONNECTIONS = 100
MAX_KEEPALIVE_CONNECTIONS = 20


def _http_client(*, allow_private: bool) -> httpx.AsyncClient:
    by_setting = _clients.setdefault(asyncio.get_running_loop(), {})
    client = by_setting.get(allow_private)
    if client is None or client.is_closed:
        transport = httpx.AsyncHTTPTransport()
        # httpx takes no network backend of its own: its pool is rebuilt around one that
        # checks each address it connects to (adline.webhooks.targets.CheckedBackend).
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
            network_backend=CheckedBackend(allow_private=allow_private),
        )
        client = by_setting[allow_private] = httpx.AsyncClient(
            transport=transport,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
            # Shared by every company's endpoints: a cookie one receiver sets must never
            # reach another, so none is kept.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )
    return client


async def post(url: str, payload: str, headers: dict[str, str], *, allow_private: bool) -> Outcome:
    """POST once: 15 s at most, redirects not followed (a 3xx is a failure), the target's
    addresses checked again as the connection is made (DNS may have changed since it was
    saved; adline.webhooks.targets.CheckedBackend)."""
    started = time.perf_counter()
    try:
        check_url(url)
        client = _http_client(allow_private=allow_private)
        response = await client.post(url, content=payload.encode(), headers=headers)
    except UnsafeTarget as error:
        message = f"Refused to send: the URL {error}."
        return Outcome(0, "", {"error": message, "raw_body": ""}, 0.0)
    except httpx.HTTPError as error:
        message = f"Could not reach the endpoint: {type(error).__name__}: {error}"
        elapsed = time.perf_counter() - started
        return Outcome(0, "", {"error": message, "raw_body": ""}, elapsed)
    elapsed = time.perf_counter() - started
    return Outcome(response.status_code, response.text, _response_body(response.content), elapsed)


async def send_now(
    webhook: Webhook, body: dict[str, Any], *, allow_private: bool, wall_clock: Clock
) -> Outcome:
    """Sign `body` with the endpoint's secret and POST it."""
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    headers = signing_headers(webhook.secret, str(body["id"]), wall_clock.now(), payload)
    return await post(webhook.url, payload, headers, allow_private=allow_private)


def record_attempt(
    delivery: WebhookDelivery, body: dict[str, Any], outcome: Outcome, now: datetime
) -> None:
    delivery.request_body = body
    delivery.sent_at = now
    delivery.response_code = outcome.status
    delivery.response_body = outcome.response_body
    delivery.total_time = round(outcome.total_time, 6)
    delivery.status = SUCCEEDED if outcome.success else FAILED


def disable(webhook: Webhook, reason: str, now: datetime) -> None:
    webhook.enabled = False
    webhook.disabled_at = now
    webhook.disabled_reason = reason
    webhook.updated_at = now


async def after_attempt(
    session: AsyncSession,
    clock: Clock,
    webhook: Webhook,
    event: WebhookEvent,
    delivery: WebhookDelivery,
    outcome: Outcome,
    rng: random.Random,
) -> None:
    """Update the endpoint's health and queue the message's next attempt, or give up."""
    now = clock.now()
    if outcome.success:
        webhook.consecutive_failures = 0
        webhook.failing_since = None
        return
    if delivery.attempt == 1:
        webhook.consecutive_failures += 1
    if webhook.failing_since is None:
        webhook.failing_since = now
    if outcome.status == 410:
        # The receiver says the endpoint is gone for good: no retries, no more events.
        disable(webhook, DISABLED_AS_GONE, now)
        return
    if delivery.replayed_from is not None:
        return  # a replay is one re-send; the original's retries were its own
    delay = retry_delay(delivery.attempt, rng)
    if delay is None:
        webhook.last_failure_at = now
        disable(webhook, DISABLED_FOR_FAILURES, now)
        return
    if now - webhook.failing_since >= FAILING_LIMIT:
        disable(webhook, DISABLED_FOR_FAILURES, now)
        return
    await queue_delivery(
        session,
        clock,
        webhook,
        event,
        message_id=delivery.message_id,
        attempt=delivery.attempt + 1,
        delay_seconds=delay.total_seconds(),
    )


def allow_private_targets(services: Mapping[str, Any]) -> bool:
    """The runner's settings (`adline serve` and `adline worker` give theirs), else the
    environment's, for a runner built without them (tests, bench/)."""
    settings = services.get("settings") or Settings.from_env()
    return bool(settings.webhooks_allow_private)


@job_handler(DELIVER_JOB, max_attempts=5)
async def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send one pending attempt. `ctx.services` may hold `settings` (else the environment
    is read), `wall_clock` (the signature's time; the system's by default: receivers check
    it against theirs) and `rng` (the retry jitter)."""
    delivery_id = str(payload["delivery_id"])
    async with ctx.sessionmaker() as session, session.begin():
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != PENDING:
            return  # deleted with its endpoint, or already recorded
        webhook = await session.get(Webhook, delivery.webhook_id)
        event = await session.get(WebhookEvent, delivery.event_id)
        if webhook is None or event is None:
            return
        if not webhook.enabled:
            delivery.status = CANCELLED
            await ctx.complete(session)
            return
        body = delivery.request_body or render_body(webhook, event, delivery.message_id)
        session.expunge_all()
    outcome = await send_now(
        webhook,
        body,
        allow_private=allow_private_targets(ctx.services),
        wall_clock=ctx.services.get("wall_clock") or SystemClock(),
    )
    rng = ctx.services.get("rng") or random.Random()
    async with ctx.sessionmaker() as session, session.begin():
        delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
        webhook = await session.get(Webhook, webhook.id, with_for_update=True)
        if delivery is None or webhook is None or delivery.status != PENDING:
            return
        record_attempt(delivery, body, outcome, ctx.clock.now())
        await after_attempt(session, ctx.clock, webhook, event, delivery, outcome, rng)
        await ctx.complete(session)
