from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adline.core.db import Base, UTCDateTime

# A delivery attempt's status.
PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"
# The endpoint was disabled before the attempt was due: nothing was sent.
CANCELLED = "cancelled"


class Webhook(Base):
    """An endpoint that receives the company's events (docs/webhooks.md)."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_company_created", "company_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    url: Mapped[str] = mapped_column(Text)
    # The signing secret (`ws_...`); shown once, by the create.
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON)
    # Null: unpinned, payloads in the newest shape.
    api_version_date: Mapped[str | None] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean)
    child_resource_events: Mapped[bool] = mapped_column(Boolean)
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set only when Adline disabled the endpoint itself (a 410, or failures).
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookEvent(Base):
    """Something that happened, as its object looked then (newest shape, with the private
    facts older versions need): rendered per endpoint when delivered."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_company_created", "company_id", "created_at"),
        # `spend_cap.depleted` is sent once per cap period.
        Index("ix_webhook_events_dedupe_key", "dedupe_key", unique=True),
    )

    # The message id: the envelope's `id` and the `webhook-id` header.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    type: Mapped[str] = mapped_column(String(64))
    # The response kind whose migrations render `data` (`ad_campaign`, `spend_cap`).
    object_kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The object before an `.updated` change; null otherwise.
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One attempt to send a message to an endpoint. The first is written with the event;
    a failed attempt writes the next one (a retry) until the schedule runs out."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_webhook_sent", "webhook_id", "sent_at", "id"),
        Index("ix_webhook_deliveries_event", "event_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id"))
    event_type: Mapped[str] = mapped_column(String(64))
    # The `webhook-id` sent: the event's id unless a replay asked for a new one.
    message_id: Mapped[str] = mapped_column(String(32))
    # 1 for a message's first attempt; retries count up. A replay starts again at 1.
    attempt: Mapped[int] = mapped_column(Integer)
    replayed_from: Mapped[str | None] = mapped_column(String(32))
    # PENDING, SUCCEEDED, FAILED or CANCELLED.
    status: Mapped[str] = mapped_column(String(16))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The exact body a replay re-sends; set when sent (or, for a replay, when written).
    request_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 0 when the endpoint could not be reached.
    response_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    total_time: Mapped[float | None] = mapped_column(Float)
