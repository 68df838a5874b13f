"""Alembic environment: runs migrations over the async engine of the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from adline.core.db import create_engine
from adline.models import metadata

config = context.config
# The advisory lock that serializes migrations on PostgreSQL (any constant of our own).
MIGRATION_LOCK = 0x61646C696E65  # "adline"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # One migration at a time: processes started together (the server's parent,
            # `adline worker`s, several hosts) would each run the same DDL, and all but the
            # first fail. The others wait here, then find the schema at head. Released at
            # commit. (SQLite takes one writer at a time anyway.)
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Adline runs migrations online only (adline migrate).")
asyncio.run(_run_async())
