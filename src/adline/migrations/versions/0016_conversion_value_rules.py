"""conversion value rules, and the values they credit on conversion events

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-23 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

EVENT_COLUMNS = (
    ("last_touch_value_micros", sa.BigInteger()),
    ("last_touch_value_rule_id", sa.String(length=32)),
    ("first_touch_value_micros", sa.BigInteger()),
    ("first_touch_value_rule_id", sa.String(length=32)),
)


def upgrade() -> None:
    op.create_table(
        "ad_conversion_value_rules",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("adjustment_type", sa.String(length=16), nullable=False),
        sa.Column("fixed_amount_micros", sa.BigInteger(), nullable=True),
        sa.Column("fixed_currency", sa.String(length=3), nullable=True),
        sa.Column("percentage_change_centis", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_ad_conversion_value_rules_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_conversion_value_rules")),
    )
    op.create_index(
        "ix_ad_conversion_value_rules_company_created",
        "ad_conversion_value_rules",
        ["company_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "ad_conversion_value_rule_targets",
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_value_rule_targets_company"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["ad_conversion_value_rules.id"],
            name=op.f("fk_value_rule_targets_rule"),
        ),
        sa.PrimaryKeyConstraint(
            "rule_id", "position", name=op.f("pk_ad_conversion_value_rule_targets")
        ),
    )
    op.create_index(
        "ix_ad_conversion_value_rule_targets_resource",
        "ad_conversion_value_rule_targets",
        ["resource_id"],
        unique=False,
    )
    op.create_table(
        "ad_conversion_value_rule_selections",
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("resource_key", sa.String(length=32), nullable=False),
        sa.Column("event_name", sa.String(length=32), nullable=False),
        sa.Column("custom_key", sa.String(length=35), nullable=False),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_value_rule_selections_company"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["ad_conversion_value_rules.id"],
            name=op.f("fk_value_rule_selections_rule"),
        ),
        sa.PrimaryKeyConstraint(
            "company_id",
            "platform",
            "resource_key",
            "event_name",
            "custom_key",
            name=op.f("pk_ad_conversion_value_rule_selections"),
        ),
    )
    op.create_index(
        "ix_ad_conversion_value_rule_selections_rule",
        "ad_conversion_value_rule_selections",
        ["rule_id"],
        unique=False,
    )
    # Events recorded before rules existed were valued by no rule: null, as the model says.
    with op.batch_alter_table("conversion_events", schema=None) as batch_op:
        for name, type_ in EVENT_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversion_events", schema=None) as batch_op:
        for name, _ in reversed(EVENT_COLUMNS):
            batch_op.drop_column(name)
    op.drop_index(
        "ix_ad_conversion_value_rule_selections_rule",
        table_name="ad_conversion_value_rule_selections",
    )
    op.drop_table("ad_conversion_value_rule_selections")
    op.drop_index(
        "ix_ad_conversion_value_rule_targets_resource",
        table_name="ad_conversion_value_rule_targets",
    )
    op.drop_table("ad_conversion_value_rule_targets")
    op.drop_index(
        "ix_ad_conversion_value_rules_company_created", table_name="ad_conversion_value_rules"
    )
    op.drop_table("ad_conversion_value_rules")
