"""products, and the original campaign config kept as sent

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NEW_SCOPES = ("product:read", "product:write")
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
        "products",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("route", sa.String(length=64), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_products_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(
            "ix_products_company_created", ["company_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_products_company_route", ["company_id", "route"], unique=False)

    # Before products existed a `product_id` was kept without meaning anything (no version
    # ever showed it back: `product` read null). None names a product now: they go.
    op.execute(sa.text("UPDATE ad_campaigns SET product_id = NULL WHERE product_id IS NOT NULL"))
    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_bid_strategy", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("original_conversion_goal", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("original_config_status", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("original_special_categories", sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ad_campaigns_product_id_products"), "products", ["product_id"], ["id"]
        )

    _set_scopes("grant")


def downgrade() -> None:
    _set_scopes("revoke")
    with op.batch_alter_table("ad_campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ad_campaigns_product_id_products"), type_="foreignkey"
        )
        batch_op.drop_column("original_special_categories")
        batch_op.drop_column("original_config_status")
        batch_op.drop_column("original_conversion_goal")
        batch_op.drop_column("original_bid_strategy")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_company_route")
        batch_op.drop_index("ix_products_company_created")

    op.drop_table("products")
