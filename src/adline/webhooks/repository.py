"""Webhook queries. Every statement starts from `readable_webhooks`, scoped to one company."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.core.ids import is_well_formed_id
from adline.webhooks.models import FAILED, SUCCEEDED, Webhook, WebhookDelivery


def readable_webhooks(company_id: str) -> Select[Webhook]:
    return select(Webhook).where(Webhook.company_id == company_id)


async def find_webhook(
    session: AsyncSession, company_id: str, webhook_id: str, *, for_update: bool = False
) -> Webhook | None:
    """The company's webhook, or None (another company's is as missing as none)."""
    if not is_well_formed_id(webhook_id):
        return None
    statement = readable_webhooks(company_id).where(Webhook.id == webhook_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


def sent_deliveries(webhook_id: str) -> Select[WebhookDelivery]:
    """The attempts made to one webhook (pending and cancelled ones were not); check the
    webhook is the caller's company's first."""
    return select(WebhookDelivery).where(
        WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status.in_((SUCCEEDED, FAILED))
    )
