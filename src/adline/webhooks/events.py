"""Event types and the outbox: an event and one pending delivery per subscribed endpoint,
written (with the delivery jobs) in the transaction of the change that caused them.

Domain services call `subscribed` first (so an unsubscribed company pays no snapshot) and
then `record_event` with the object's newest-shape body, private facts included: the
delivery renders it down to each endpoint's pinned version."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.core.clock import Clock
from adline.core.ids import new_id
from adline.jobs.service import enqueue
from adline.metrics.formulas import ResultGoal, StatTotals, compute_metrics
from adline.versions import VERSION_BUNDLE
from adline.versions.v2025_01_01 import METRICS_2026_06_09
from adline.versions.v2026_06_20 import RELEASE_METRICS
from adline.webhooks.models import Webhook, WebhookDelivery, WebhookEvent

DELIVER_JOB = "webhook.deliver"

# The events Adline sends: Whop's ad events (spec H; `ad_campaign.events` aside: Adline
# has no per-campaign event stream) and its own spend-cap ones.
OBJECT_KIND_OF_EVENT: dict[str, str] = {
    "ad_campaign.created": "ad_campaign",
    "ad_campaign.updated": "ad_campaign",
    "ad_campaign.payment_failed": "ad_campaign",
    "ad_group.created": "ad_group",
    "ad_group.updated": "ad_group",
    "ad.created": "ad",
    "ad.updated": "ad",
    "spend_cap.updated": "spend_cap",
    "spend_cap.depleted": "spend_cap",
}
EVENT_TYPES: tuple[str, ...] = tuple(OBJECT_KIND_OF_EVENT)
# Subscribing to nothing would make an endpoint that never hears anything: every event.
DEFAULT_EVENTS: tuple[str, ...] = EVENT_TYPES

# Webhook data is the object without its statistics (spec H): the newest metric fields
# and what older versions called theirs.
METRIC_FIELDS: frozenset[str] = frozenset(
    {
        *compute_metrics(StatTotals(), ResultGoal(), "usd"),
        *METRICS_2026_06_09,
        *RELEASE_METRICS,
        # The original (2025-01-01) campaign's statistics.
        "clicks_count",
        "impressions_count",
        "purchases_count",
        "revenue",
        "todays_spend",
        "total_spend",
    }
)


def every_fact() -> frozenset[str]:
    """The private facts any version's migrations read: a snapshot keeps them all, since
    an endpoint may be pinned to any version (and re-pinned before a retry)."""
    return VERSION_BUNDLE.facts_needed(VERSION_BUNDLE.values[-1])


async def subscribed(session: AsyncSession, company_id: str, event_type: str) -> list[Webhook]:
    """The company's enabled endpoints that listen for `event_type`, oldest first."""
    rows = await session.scalars(
        select(Webhook)
        .where(Webhook.company_id == company_id, Webhook.enabled.is_(True))
        .order_by(Webhook.created_at, Webhook.id)
    )
    return [webhook for webhook in rows if event_type in webhook.events]


async def record_event(
    session: AsyncSession,
    clock: Clock,
    company_id: str,
    event_type: str,
    data: dict[str, Any],
    *,
    previous: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    endpoints: list[Webhook] | None = None,
) -> WebhookEvent | None:
    """Write the event, a pending delivery per subscribed endpoint and its job, in the
    caller's transaction. None when nobody listens, or when `dedupe_key` was used before."""
    if endpoints is None:
        endpoints = await subscribed(session, company_id, event_type)
    if not endpoints:
        return None
    if dedupe_key is not None:
        seen = await session.scalar(
            select(WebhookEvent.id).where(WebhookEvent.dedupe_key == dedupe_key)
        )
        if seen is not None:
            return None
    now = clock.now()
    event = WebhookEvent(
        id=new_id("whmsg"),
        company_id=company_id,
        type=event_type,
        object_kind=OBJECT_KIND_OF_EVENT[event_type],
        object_id=str(data["id"]),
        data=data,
        previous=previous,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    session.add(event)
    await session.flush()
    for webhook in endpoints:
        await queue_delivery(session, clock, webhook, event, message_id=event.id)
    return event


async def queue_delivery(
    session: AsyncSession,
    clock: Clock,
    webhook: Webhook,
    event: WebhookEvent,
    *,
    message_id: str,
    attempt: int = 1,
    replayed_from: str | None = None,
    request_body: dict[str, Any] | None = None,
    delay_seconds: float = 0.0,
) -> WebhookDelivery:
    """A pending attempt and the job that sends it."""
    run_at = clock.now() + timedelta(seconds=delay_seconds)
    delivery = WebhookDelivery(
        id=new_id("whdel"),
        company_id=webhook.company_id,
        webhook_id=webhook.id,
        event_id=event.id,
        event_type=event.type,
        message_id=message_id,
        attempt=attempt,
        replayed_from=replayed_from,
        status="pending",
        scheduled_at=run_at,
        request_body=request_body,
    )
    session.add(delivery)
    await session.flush()
    await enqueue(
        session,
        clock,
        DELIVER_JOB,
        {"delivery_id": delivery.id},
        run_at=run_at,
        dedupe_key=f"{DELIVER_JOB}:{delivery.id}",
        company_id=webhook.company_id,
    )
    return delivery


def without_metrics(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in METRIC_FIELDS}


def previous_attributes(
    data: dict[str, Any], previous: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The old values of exactly the top-level fields that changed; null when none."""
    if previous is None:
        return None
    changed = {
        key: previous.get(key)
        for key in previous.keys() | data.keys()
        if previous.get(key) != data.get(key)
    }
    return changed or None


# The object's newest-shape body, private facts included (a domain service's presenter).
Presenter = Callable[[], Awaitable[dict[str, Any]]]


async def announce_created(
    session: AsyncSession, clock: Clock, company_id: str, event_type: str, present: Presenter
) -> None:
    """`<kind>.created`, if anyone listens (only then is the object presented)."""
    endpoints = await subscribed(session, company_id, event_type)
    if endpoints:
        data = await present()
        await record_event(session, clock, company_id, event_type, data, endpoints=endpoints)


@dataclass
class ChangeWatch:
    """The object before a change, taken only when someone listens: `finish` then sends
    `<kind>.updated` with what it was (if anything but statistics changed), and a status
    event (`ad_campaign.payment_failed`) when the status became one that has its own."""

    company_id: str
    updated_type: str
    present: Presenter
    status_events: Mapping[str, str] = field(default_factory=dict)
    before: dict[str, Any] | None = None
    endpoints: dict[str, list[Webhook]] = field(default_factory=dict)

    @classmethod
    async def start(
        cls,
        session: AsyncSession,
        company_id: str,
        updated_type: str,
        present: Presenter,
        status_events: Mapping[str, str] | None = None,
    ) -> ChangeWatch:
        watch = cls(company_id, updated_type, present, dict(status_events or {}))
        for event_type in (updated_type, *watch.status_events.values()):
            listeners = await subscribed(session, company_id, event_type)
            if listeners:
                watch.endpoints[event_type] = listeners
        if watch.endpoints:
            watch.before = await present()
        return watch

    async def finish(self, session: AsyncSession, clock: Clock) -> None:
        if self.before is None:
            return
        after = await self.present()
        if without_metrics(after) == without_metrics(self.before):
            return
        if self.updated_type in self.endpoints:
            await record_event(
                session,
                clock,
                self.company_id,
                self.updated_type,
                after,
                previous=self.before,
                endpoints=self.endpoints[self.updated_type],
            )
        status = after.get("status")
        status_event = self.status_events.get(status) if isinstance(status, str) else None
        if status_event in self.endpoints and self.before.get("status") != status:
            assert status_event is not None
            await record_event(
                session,
                clock,
                self.company_id,
                status_event,
                after,
                endpoints=self.endpoints[status_event],
            )
