"""webhooks: endpoints, events (the outbox) and delivery attempts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NEW_SCOPES = ("webhook:read", "webhook:write")
# Every scope Adline knew before this revision: a key holding them all was issued with
# every scope (the demo key, `adline keys create --all-scopes`) and gets the new ones too.
SCOPES_BEFORE = (
    "ad_campaign:basic:read",
    "ad_campaign:read",
    "ad_campaign:basic:export",
    "ad_campaign:create",
    "ad_campaign:update",
    "ad_campaign:delete",
    "ad_campaign:stats:read",
    "ad_campaign:credit:create",
    "ad_campaign:conversion:create",
    "ad_pixel:manage",
    "ad_publisher:read",
    "event:create",
    "webhook_receive:ad_campaigns",
    "webhook_receive:ad_groups",
    "webhook_receive:ads",
    "developer:manage_api_key",
    "spend_cap:read",
    "spend_cap:write",
    "product:read",
    "product:write",
)

api_keys = sa.table("api_keys", sa.column("id", sa.String()), sa.column("scopes", sa.JSON()))


def _set_scopes(change: str) -> None:
    connection = op.get_bind()
    for key_id, scopes in connection.execute(sa.select(api_keys.c.id, api_keys.c.scopes)).all():
        held = list(scopes or [])
        if change == "grant" and set(SCOPES_BEFORE) <= set(held):
            wanted = held + [scope for scope in NEW_SCOPES if scope not in held]
        elif change == "revoke":
            wanted = [scope for scope in held if scope not in NEW_SCOPES]
        else:
            continue
        if wanted != held:
            connection.execute(
                sa.update(api_keys).where(api_keys.c.id == key_id).values(scopes=wanted)
            )


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("api_version_date", sa.String(length=32), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("child_resource_events", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_failure_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("disabled_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("disabled_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_webhooks_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhooks_company_created", ["company_id", "created_at", "id"], unique=False
        )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_webhook_events_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_events_company_created", ["company_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_webhook_events_dedupe_key", ["dedupe_key"], unique=True)
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("webhook_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("replayed_from", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("request_body", sa.JSON(), nullable=True),
        sa.Column("sent_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("total_time", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_webhook_deliveries_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_deliveries_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhook_deliveries_event_id_webhook_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_webhook_sent", ["webhook_id", "sent_at", "id"], unique=False
        )
        batch_op.create_index("ix_webhook_deliveries_event", ["event_id"], unique=False)
    _set_scopes("grant")


def downgrade() -> None:
    _set_scopes("revoke")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("webhooks")
