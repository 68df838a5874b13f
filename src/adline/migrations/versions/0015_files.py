"""files: uploads that ad creatives reference

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-22 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adline.core.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("upload_status", sa.String(length=16), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("multipart_upload_id", sa.String(length=64), nullable=True),
        sa.Column("multipart_chunk_size", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_parts", sa.JSON(), nullable=True),
        sa.Column("upload_token_hash", sa.String(length=64), nullable=True),
        sa.Column("upload_expires_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("completed_at", adline.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", adline.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_files_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_files_company_created", ["company_id", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index("ix_files_company_created")
    op.drop_table("files")
