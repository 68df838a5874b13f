"""network connections (sealed tokens), network object ids, external accounts; the
social_account scopes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-27 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

NEW_SCOPES = ("social_account:read", "social_account:create", "social_account:delete")
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
    "webhook:read",
    "webhook:write",
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
        "network_connections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("ad_account_id", sa.String(length=64), nullable=False),
        sa.Column("page_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("broken_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("access_token_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_network_connections_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_connections")),
        sa.UniqueConstraint("company_id", "platform", name="uq_network_connections_company"),
        sa.UniqueConstraint("platform", "ad_account_id", name="uq_network_connections_account"),
    )
    op.create_index(
        "ix_network_connections_company_created",
        "network_connections",
        ["company_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "network_objects",
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("network_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["network_connections.id"],
            name=op.f("fk_network_objects_connection_id_network_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_network_objects_company_id_companies")
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "kind", "local_id", name=op.f("pk_network_objects")
        ),
        sa.UniqueConstraint(
            "connection_id", "kind", "network_id", name="uq_network_objects_network_id"
        ),
    )
    op.create_table(
        "external_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("connected_to", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("trust_level", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("profile_picture_url", sa.Text(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("partnership_status", sa.String(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_external_accounts_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_accounts")),
        sa.UniqueConstraint(
            "company_id",
            "connected_to",
            "platform",
            "external_id",
            name="uq_external_accounts_company_external",
        ),
    )
    op.create_index(
        "ix_external_accounts_company_created",
        "external_accounts",
        ["company_id", "created_at", "id"],
        unique=False,
    )
    _set_scopes("grant")


def downgrade() -> None:
    _set_scopes("revoke")
    op.drop_index("ix_external_accounts_company_created", table_name="external_accounts")
    op.drop_table("external_accounts")
    op.drop_table("network_objects")
    op.drop_index("ix_network_connections_company_created", table_name="network_connections")
    op.drop_table("network_connections")
