"""HTTP for webhooks: parse, call one service function, render. The same shape in every
API version (docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from adline.auth.dependencies import CanReadWebhooks, CanWriteWebhooks, ClockDep, SessionDep
from adline.config import Settings
from adline.core.http import json_body, render, render_deleted, render_list
from adline.core.pagination import PageRequest, page_params
from adline.webhooks import service
from adline.webhooks.schemas import (
    DeletedWebhook,
    ReplayQueued,
    SendResult,
    TestResult,
    WebhookCreate,
    WebhookDeliveryList,
    WebhookList,
    WebhookObject,
    WebhookReplay,
    WebhookReplayDelivery,
    WebhookTest,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

KIND = "webhook"


def _allow_private(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.webhooks_allow_private


@router.post("", response_model=WebhookObject, summary="Create a webhook")
async def create_webhook(
    request: Request,
    principal: CanWriteWebhooks,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[WebhookCreate, Depends(json_body(WebhookCreate, f"{KIND}.create"))],
) -> JSONResponse:
    webhook = await service.create_webhook(
        session, clock, principal, body, allow_private=_allow_private(request)
    )
    # The only answer that shows the secret.
    return render(request, KIND, service.webhook_object(webhook, with_secret=True))


@router.get("", response_model=WebhookList, summary="List webhooks")
async def list_webhooks(
    request: Request,
    principal: CanReadWebhooks,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
    account_id: str | None = None,
    app_id: str | None = None,
    include_app_webhooks: bool | None = None,
    has_failures: bool | None = None,
) -> JSONResponse:
    result = await service.list_webhooks(
        session,
        principal,
        account_id=account_id,
        app_id=app_id,
        include_app_webhooks=include_app_webhooks,
        has_failures=has_failures,
        page=page,
    )
    items = [service.webhook_object(webhook) for webhook in result.items]
    return render_list(request, KIND, items, result.page_info)


@router.get("/{webhook_id}", response_model=WebhookObject, summary="Retrieve a webhook")
async def retrieve_webhook(
    request: Request, webhook_id: str, principal: CanReadWebhooks, session: SessionDep
) -> JSONResponse:
    webhook = await service.get_webhook(session, principal.company_id, webhook_id)
    return render(request, KIND, service.webhook_object(webhook))


@router.patch("/{webhook_id}", response_model=WebhookObject, summary="Update a webhook")
async def update_webhook(
    request: Request,
    webhook_id: str,
    principal: CanWriteWebhooks,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[WebhookUpdate, Depends(json_body(WebhookUpdate, f"{KIND}.update"))],
) -> JSONResponse:
    webhook = await service.update_webhook(
        session, clock, principal, webhook_id, body, allow_private=_allow_private(request)
    )
    return render(request, KIND, service.webhook_object(webhook))


@router.delete("/{webhook_id}", response_model=DeletedWebhook, summary="Delete a webhook")
async def delete_webhook(
    request: Request, webhook_id: str, principal: CanWriteWebhooks, session: SessionDep
) -> JSONResponse:
    deleted_id = await service.delete_webhook(session, principal, webhook_id)
    return render_deleted(request, KIND, deleted_id)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=WebhookDeliveryList,
    summary="List a webhook's delivery attempts",
)
async def list_deliveries(
    request: Request,
    webhook_id: str,
    principal: CanReadWebhooks,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_params)],
) -> JSONResponse:
    result = await service.list_deliveries(session, principal, webhook_id, page)
    items = [service.delivery_object(delivery) for delivery in result.items]
    return render_list(request, "webhook_delivery", items, result.page_info)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/replay",
    response_model=SendResult,
    summary="Re-send one delivery now",
)
async def replay_delivery(
    request: Request,
    webhook_id: str,
    delivery_id: str,
    principal: CanWriteWebhooks,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[
        WebhookReplayDelivery,
        Depends(json_body(WebhookReplayDelivery, f"{KIND}.replay_delivery")),
    ],
) -> JSONResponse:
    outcome = await service.replay_delivery(
        session,
        clock,
        principal,
        webhook_id,
        delivery_id,
        regenerate_id=bool(body.regenerate_id),
        allow_private=_allow_private(request),
    )
    answer = {"status": outcome.status, "body": outcome.body_text, "success": outcome.success}
    return render(request, f"{KIND}.replay_delivery", answer)


@router.post(
    "/{webhook_id}/replay",
    response_model=ReplayQueued,
    summary="Re-send the deliveries of a time window",
)
async def replay_webhook(
    request: Request,
    webhook_id: str,
    principal: CanWriteWebhooks,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[WebhookReplay, Depends(json_body(WebhookReplay, f"{KIND}.replay"))],
) -> JSONResponse:
    await service.replay_deliveries(session, clock, principal, webhook_id, body)
    return render(request, f"{KIND}.replay", {"queued": True})


@router.post("/{webhook_id}/test", response_model=TestResult, summary="Send a sample event")
async def test_webhook(
    request: Request,
    webhook_id: str,
    principal: CanWriteWebhooks,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[WebhookTest, Depends(json_body(WebhookTest, f"{KIND}.test"))],
) -> JSONResponse:
    outcome = await service.send_test_event(
        session, clock, principal, webhook_id, body.event, allow_private=_allow_private(request)
    )
    answer = {
        "status": outcome.status,
        "body": outcome.response_body,
        "success": outcome.success,
    }
    return render(request, f"{KIND}.test", answer)
