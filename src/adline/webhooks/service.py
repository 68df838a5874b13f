"""Webhook rules: create, read, list, update, delete, deliveries, replays and tests.
Services only flush; the request owns the transaction. Callable from tests without HTTP."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal, ensure_own_account
from adline.core.clock import Clock, SystemClock
from adline.core.errors import Conflict, InvalidRequest, NotFound
from adline.core.ids import new_id
from adline.core.pagination import Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.metrics.window import LIFETIME
from adline.versions import VERSION_BUNDLE
from adline.webhooks import delivery as sending
from adline.webhooks import repository
from adline.webhooks.events import (
    DEFAULT_EVENTS,
    EVENT_TYPES,
    OBJECT_KIND_OF_EVENT,
    every_fact,
    queue_delivery,
)
from adline.webhooks.models import (
    FAILED,
    PENDING,
    SUCCEEDED,
    Webhook,
    WebhookDelivery,
    WebhookEvent,
)
from adline.webhooks.schemas import WebhookCreate, WebhookReplay, WebhookUpdate
from adline.webhooks.targets import require_safe_target

SECRET_PREFIX = "ws_"
# Deliveries older than this are not replayed (Whop keeps them 30 days).
RETENTION = timedelta(days=30)


async def get_webhook(
    session: AsyncSession, company_id: str, webhook_id: str, *, for_update: bool = False
) -> Webhook:
    """The company's webhook, or 404: the same answer for another company's and for none."""
    webhook = await repository.find_webhook(session, company_id, webhook_id, for_update=for_update)
    if webhook is None:
        raise NotFound(f"No webhook with id {webhook_id}.", param="id")
    return webhook


def _check_events(events: list[str], param: str = "events") -> list[str]:
    for index, name in enumerate(events):
        if name not in EVENT_TYPES:
            raise InvalidRequest(
                f"Invalid value for {param}[{index}]: Adline never sends {name!r}. "
                f"Events it sends: {', '.join(EVENT_TYPES)}.",
                param=f"{param}[{index}]",
            )
    return list(dict.fromkeys(events))


def _check_version(value: str) -> str:
    if not VERSION_BUNDLE.is_supported(value):
        raise VERSION_BUNDLE.unsupported(value, param="api_version_date")
    return value


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def create_webhook(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    body: WebhookCreate,
    *,
    allow_private: bool,
) -> Webhook:
    company_id = ensure_own_account(principal, body.resource_id, "resource_id")
    events = DEFAULT_EVENTS if body.events is None else _check_events(body.events)
    if body.api_version_date is not None:
        _check_version(body.api_version_date)
    await require_safe_target(body.url, allow_private=allow_private)
    now = clock.now()
    webhook = Webhook(
        id=new_id("hook"),
        company_id=company_id,
        url=body.url,
        secret=_new_secret(),
        events=list(events),
        api_version_date=body.api_version_date,
        enabled=True if body.enabled is None else body.enabled,
        child_resource_events=bool(body.child_resource_events),
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
    )
    session.add(webhook)
    await session.flush()
    return webhook


async def update_webhook(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    webhook_id: str,
    body: WebhookUpdate,
    *,
    allow_private: bool,
) -> Webhook:
    sent = body.model_fields_set
    for field in ("url", "events", "enabled", "child_resource_events"):
        if field in sent and getattr(body, field) is None:
            raise InvalidRequest(f"Invalid value for {field}: must not be null.", param=field)
    webhook = await get_webhook(session, principal.company_id, webhook_id, for_update=True)
    if body.events is not None:
        webhook.events = _check_events(body.events)
    if "api_version_date" in sent:
        # null unpins: payloads follow the newest shape.
        webhook.api_version_date = (
            None if body.api_version_date is None else _check_version(body.api_version_date)
        )
    if body.url is not None:
        await require_safe_target(body.url, allow_private=allow_private)
        webhook.url = body.url
    if body.child_resource_events is not None:
        webhook.child_resource_events = body.child_resource_events
    if body.enabled is not None:
        if body.enabled and not webhook.enabled:
            # Re-enabled: a fresh start, whatever disabled it.
            webhook.consecutive_failures = 0
            webhook.failing_since = None
            webhook.disabled_at = None
            webhook.disabled_reason = None
        webhook.enabled = body.enabled
    webhook.updated_at = clock.now()
    await session.flush()
    return webhook


async def delete_webhook(session: AsyncSession, principal: Principal, webhook_id: str) -> str:
    """Delete the endpoint and its delivery log; its pending attempts go with it."""
    webhook = await get_webhook(session, principal.company_id, webhook_id, for_update=True)
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    await session.delete(webhook)
    await session.flush()
    return webhook_id


async def list_webhooks(
    session: AsyncSession,
    principal: Principal,
    *,
    account_id: str | None,
    app_id: str | None,
    include_app_webhooks: bool | None,
    has_failures: bool | None,
    page: PageRequest,
) -> Page[Webhook]:
    """Newest first. Adline has no apps: an app_id names nothing (404), and
    include_app_webhooks adds nothing."""
    owner = ensure_own_account(principal, account_id, "account_id")
    if app_id is not None:
        if include_app_webhooks:
            raise InvalidRequest(
                "Send app_id or include_app_webhooks, not both.", param="include_app_webhooks"
            )
        raise NotFound(f"No app with id {app_id}.", param="app_id")
    statement = repository.readable_webhooks(owner)
    if has_failures is True:
        statement = statement.where(Webhook.failing_since.is_not(None))
    elif has_failures is False:
        statement = statement.where(Webhook.failing_since.is_(None))
    return await paginate(
        session, statement, model=Webhook, order="created_at", direction="desc", page=page
    )


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def webhook_object(webhook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "enabled": webhook.enabled,
        "events": list(webhook.events),
        "api_version": sending.API_VERSION,
        "api_version_date": webhook.api_version_date,
        "child_resource_events": webhook.child_resource_events,
        "resource_id": webhook.company_id,
        "testable_events": list(EVENT_TYPES),
        "consecutive_failures": webhook.consecutive_failures,
        "failing_since": _timestamp(webhook.failing_since),
        "last_failure_at": _timestamp(webhook.last_failure_at),
        "disabled_at": _timestamp(webhook.disabled_at),
        "disabled_reason": webhook.disabled_reason,
        "created_at": format_timestamp(webhook.created_at),
        "webhook_secret": webhook.secret if with_secret else None,
    }


# -- deliveries ----------------------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession, principal: Principal, webhook_id: str, page: PageRequest
) -> Page[WebhookDelivery]:
    webhook = await get_webhook(session, principal.company_id, webhook_id)
    return await paginate(
        session,
        repository.sent_deliveries(webhook.id),
        model=WebhookDelivery,
        order="sent_at",
        direction="desc",
        page=page,
    )


def delivery_object(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event": delivery.event_type,
        "replayed_from": delivery.replayed_from,
        "request_body": delivery.request_body or {},
        "resource_id": delivery.company_id,
        "response_body": delivery.response_body,
        "response_code": delivery.response_code or 0,
        "sent_at": _timestamp(delivery.sent_at) or "",
        "success": delivery.status == SUCCEEDED,
        "total_time": delivery.total_time or 0.0,
    }


def _require_enabled(webhook: Webhook) -> None:
    if not webhook.enabled:
        raise Conflict(
            f"Webhook {webhook.id} is disabled; enable it (PATCH /webhooks/{webhook.id} with "
            "enabled: true) before replaying or testing."
        )


async def replay_delivery(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    webhook_id: str,
    delivery_id: str,
    *,
    regenerate_id: bool,
    allow_private: bool,
    wall_clock: Clock | None = None,
) -> sending.Outcome:
    """Re-send the exact body of a past attempt now, to the endpoint's current URL, and
    log it as a new attempt naming the one it replayed. The `webhook-id` stays unless
    `regenerate_id` (then the envelope's `id` changes with it)."""
    webhook = await get_webhook(session, principal.company_id, webhook_id, for_update=True)
    _require_enabled(webhook)
    original = (
        await session.scalars(
            repository.sent_deliveries(webhook.id).where(WebhookDelivery.id == delivery_id)
        )
    ).first()
    if original is None or original.sent_at is None or original.request_body is None:
        raise NotFound(f"No delivery with id {delivery_id}.", param="delivery_id")
    if clock.now() - original.sent_at > RETENTION:
        raise NotFound(
            f"Delivery {delivery_id} is older than 30 days; it is no longer kept for replay.",
            param="delivery_id",
        )
    message_id = new_id("whmsg") if regenerate_id else original.message_id
    body = {**original.request_body, "id": message_id}
    replay = WebhookDelivery(
        id=new_id("whdel"),
        company_id=webhook.company_id,
        webhook_id=webhook.id,
        event_id=original.event_id,
        event_type=original.event_type,
        message_id=message_id,
        attempt=1,
        replayed_from=original.id,
        status=PENDING,
        scheduled_at=clock.now(),
        request_body=body,
    )
    outcome = await sending.send_now(
        webhook, body, allow_private=allow_private, wall_clock=wall_clock or SystemClock()
    )
    sending.record_attempt(replay, body, outcome, clock.now())
    session.add(replay)
    await session.flush()
    event = await session.get(WebhookEvent, original.event_id)
    assert event is not None  # a delivery's event outlives it
    await sending.after_attempt(session, clock, webhook, event, replay, outcome, random.Random())
    await session.flush()
    return outcome


async def replay_deliveries(
    session: AsyncSession, clock: Clock, principal: Principal, webhook_id: str, body: WebhookReplay
) -> int:
    """Queue one re-send of each message sent in the window (its latest attempt's body);
    with `failed_only`, only of messages whose latest attempt failed. Answers how many."""
    webhook = await get_webhook(session, principal.company_id, webhook_id, for_update=True)
    _require_enabled(webhook)
    now = clock.now()
    sent_after = max(body.sent_after, now - RETENTION)
    sent_before = now if body.sent_before is None else body.sent_before
    if sent_before < sent_after:
        raise InvalidRequest(
            "Invalid value for sent_before: must be after sent_after.", param="sent_before"
        )
    events = None if body.events is None else set(_check_events(body.events))
    statement = (
        repository.sent_deliveries(webhook.id)
        .where(WebhookDelivery.sent_at >= sent_after, WebhookDelivery.sent_at <= sent_before)
        .order_by(WebhookDelivery.sent_at, WebhookDelivery.id)
    )
    latest: dict[str, WebhookDelivery] = {}
    for attempt in await session.scalars(statement):
        latest[attempt.event_id] = attempt  # ordered by sent_at: the last one wins
    queued = 0
    for attempt in latest.values():
        if events is not None and attempt.event_type not in events:
            continue
        if body.failed_only and attempt.status != FAILED:
            continue
        event = await session.get(WebhookEvent, attempt.event_id)
        if event is None or attempt.request_body is None:
            continue
        message_id = new_id("whmsg") if body.regenerate_ids else attempt.message_id
        await queue_delivery(
            session,
            clock,
            webhook,
            event,
            message_id=message_id,
            replayed_from=attempt.id,
            request_body={**attempt.request_body, "id": message_id},
        )
        queued += 1
    return queued


# -- tests ---------------------------------------------------------------------------------


async def sample_object(
    session: AsyncSession, principal: Principal, object_kind: str, now: datetime
) -> dict[str, Any] | None:
    """The account's most recently created live object of `object_kind`, as an event
    snapshot: a test sends real data in the endpoint's version."""
    # Imported here: the domain services import this package's events module.
    from adline.ad_groups import service as ad_groups
    from adline.ad_groups.repository import readable_ad_groups
    from adline.ads import service as ads
    from adline.ads.repository import readable_ads
    from adline.campaigns import service as campaigns
    from adline.campaigns.models import AdCampaign
    from adline.campaigns.repository import readable_campaigns
    from adline.spend_caps import service as spend_caps
    from adline.spend_caps.models import SpendCap

    company_id = principal.company_id
    if object_kind == "ad_campaign":
        campaign = (
            await session.scalars(
                readable_campaigns(company_id)
                .order_by(AdCampaign.created_at.desc(), AdCampaign.id.desc())
                .limit(1)
            )
        ).first()
        if campaign is None:
            return None
        [body] = await campaigns.present_campaigns(
            session, principal, [campaign], LIFETIME, now, every_fact()
        )
        return body
    if object_kind == "ad_group":
        from adline.ad_groups.models import AdGroup

        group = (
            await session.scalars(
                readable_ad_groups(company_id)
                .order_by(AdGroup.created_at.desc(), AdGroup.id.desc())
                .limit(1)
            )
        ).first()
        if group is None:
            return None
        [body] = await ad_groups.present_ad_groups(session, principal, [group], LIFETIME, now)
        return body
    if object_kind == "ad":
        from adline.ads.models import Ad

        ad = (
            await session.scalars(
                readable_ads(company_id).order_by(Ad.created_at.desc(), Ad.id.desc()).limit(1)
            )
        ).first()
        if ad is None:
            return None
        [body] = await ads.present_ads(session, principal, [ad], LIFETIME, now)
        return body
    cap = (
        await session.scalars(
            spend_caps.readable_spend_caps(company_id)
            .order_by(SpendCap.created_at.desc(), SpendCap.id.desc())
            .limit(1)
        )
    ).first()
    if cap is None:
        return None
    return await spend_caps.present_spend_cap(session, principal, cap, now)


async def send_test_event(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    webhook_id: str,
    event_type: str,
    *,
    allow_private: bool,
    wall_clock: Clock | None = None,
) -> sending.Outcome:
    """Send one sample `event_type` now (the account's latest object of its kind, in the
    endpoint's version, `previous_attributes` null) and log it with the deliveries."""
    webhook = await get_webhook(session, principal.company_id, webhook_id)
    _check_events([event_type], param="event")
    now = clock.now()
    object_kind = OBJECT_KIND_OF_EVENT[event_type]
    data = await sample_object(session, principal, object_kind, now)
    if data is None:
        raise InvalidRequest(
            f"Cannot test {event_type}: this account has no {object_kind} to send as the "
            "sample. Create one first.",
            param="event",
        )
    event = WebhookEvent(
        id=new_id("whmsg"),
        company_id=webhook.company_id,
        type=event_type,
        object_kind=object_kind,
        object_id=str(data["id"]),
        data=data,
        previous=None,
        dedupe_key=None,
        created_at=now,
    )
    session.add(event)
    await session.flush()
    body = sending.render_body(webhook, event, event.id)
    outcome = await sending.send_now(
        webhook, body, allow_private=allow_private, wall_clock=wall_clock or SystemClock()
    )
    attempt = WebhookDelivery(
        id=new_id("whdel"),
        company_id=webhook.company_id,
        webhook_id=webhook.id,
        event_id=event.id,
        event_type=event_type,
        message_id=event.id,
        attempt=1,
        replayed_from=None,
        status=PENDING,
        scheduled_at=now,
    )
    sending.record_attempt(attempt, body, outcome, clock.now())
    session.add(attempt)
    await session.flush()
    return outcome
