"""demo clock: a demo server's offset from the system clock, and the demo:control scope
(docs/demo.md)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

NEW_SCOPES = ("demo:control",)
# Every scope Adline knew before this revision: a key holding them all was issued with
# every scope (the demo key, `adline keys create --all-scopes`) and gets the new one too.
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
    "webhook:read",
    "webhook:write",
    "social_account:read",
    "social_account:create",
    "social_account:delete",
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
        "demo_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offset_micros", sa.BigInteger(), nullable=False),
        sa.Column("reached_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_clock")),
    )
    _set_scopes("grant")


def downgrade() -> None:
    _set_scopes("revoke")
    op.drop_table("demo_clock")
