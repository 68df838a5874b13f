"""Webhook request bodies and response shapes (the same in every API version; whop-sdk
2.6.0's `Webhook`, `WebhookListItem`, `WebhookDelivery` and the action answers)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from adline.core.schemas import PageInfoObject, RequestModel, Timestamp


class WebhookCreate(RequestModel):
    url: str
    api_version_date: str | None = None
    child_resource_events: bool | None = None
    enabled: bool | None = None
    events: list[str] | None = None
    # The account the webhook belongs to: only the caller's own (apps have none here).
    resource_id: str | None = None


class WebhookUpdate(RequestModel):
    """Every key optional; only the keys sent change. `api_version_date: null` unpins."""

    url: str | None = None
    api_version_date: str | None = None
    child_resource_events: bool | None = None
    enabled: bool | None = None
    events: list[str] | None = None


class WebhookReplayDelivery(RequestModel):
    regenerate_id: bool | None = None


class WebhookReplay(RequestModel):
    sent_after: Timestamp
    sent_before: Timestamp | None = None
    events: list[str] | None = None
    failed_only: bool | None = None
    regenerate_ids: bool | None = None


class WebhookTest(RequestModel):
    event: str


class WebhookObject(BaseModel):
    id: str
    url: str
    enabled: bool
    events: list[str]
    api_version: str
    api_version_date: str | None
    child_resource_events: bool
    resource_id: str
    testable_events: list[str]
    consecutive_failures: int
    failing_since: str | None
    last_failure_at: str | None
    disabled_at: str | None
    disabled_reason: str | None
    created_at: str
    # Only in the create's answer; null on every later read.
    webhook_secret: str | None


class WebhookList(BaseModel):
    data: list[WebhookObject]
    page_info: PageInfoObject


class DeletedWebhook(BaseModel):
    id: str
    deleted: bool


class WebhookDeliveryObject(BaseModel):
    id: str
    event: str | None
    replayed_from: str | None
    request_body: dict[str, Any]
    resource_id: str
    response_body: dict[str, Any] | None
    response_code: int
    sent_at: str
    success: bool
    total_time: float


class WebhookDeliveryList(BaseModel):
    data: list[WebhookDeliveryObject]
    page_info: PageInfoObject


class SendResult(BaseModel):
    """What `replay_delivery` answers: the endpoint's answer to the re-send."""

    status: int
    body: str
    success: bool


class TestResult(BaseModel):
    """What `test` answers: the endpoint's answer to the sample."""

    status: int
    body: Any
    success: bool


class ReplayQueued(BaseModel):
    queued: bool
