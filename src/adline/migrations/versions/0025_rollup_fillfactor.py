"""rollup tables leave room on each page, so that the upserts that move them update in place

Every write to the stats (an ingest, a batch of events) updates rows of the rollup tables:
with full pages each updated row moves to another page and gets a new entry in each index;
with room left on its page PostgreSQL updates it there (a HOT update: no index entry),
about twice as fast for these upserts (docs/benchmarks.md). Pages written from now on keep
the room; existing ones get it as they are rewritten. PostgreSQL only: SQLite has no such
setting.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 19:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

ROLLUP_TABLES = (
    "stat_days",
    "stat_lifetimes",
    "stat_spans",
    "stat_entry_days",
    "stat_entry_lifetimes",
    "stat_entry_cumulative",
)
# Percent of each page filled by inserts; the rest is for the updated rows.
FILLFACTOR = 70


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ROLLUP_TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ROLLUP_TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
