"""Database plumbing: the declarative base, a UTC timestamp column type, engines and sessions.

SQLite (aiosqlite) is the embedded default, PostgreSQL (asyncpg) the production store.
The request owns the transaction: services only flush, `session_dependency` commits
once the handler has returned and before the response is sent.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Request
from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    Select,
    String,
    Table,
    Text,
    bindparam,
    cast,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


RowT = TypeVar("RowT", bound=Base)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite has no time zones), always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers run beside the one writer; foreign keys are off by default.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # JIT off: the reads are short indexed statements, for which PostgreSQL's JIT (taken on
    # cost estimates alone) compiles for longer than the query runs.
    # No pre-ping: it would cost a round trip per request. A connection the server dropped
    # fails one statement; SQLAlchemy then recognises the disconnect and refreshes the pool.
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=20,
        connect_args={"server_settings": {"jit": "off"}},
    )


# The edge's bookkeeping connections (rate-limit buckets, idempotency reservations), per
# engine of the app: a request that holds a connection of the app's pool (its key's lookup,
# an open transaction) must never wait for another from that same pool, or a burst as large
# as the pool would hold every connection while waiting for one more. Each checkout here
# lasts one autocommit statement.
BOOKKEEPING_POOL_SIZE = 4
BOOKKEEPING_POOL_OVERFLOW = 8
_bookkeeping_engines: WeakKeyDictionary[Engine, AsyncEngine] = WeakKeyDictionary()


def bookkeeping_engine(engine: AsyncEngine) -> AsyncEngine:
    """PostgreSQL: a small autocommit pool beside `engine` (one per engine, shared by every
    app using it, disposed with it) whose statements do not wait for their commit's flush
    to disk (`synchronous_commit` off): what they write is the edge's bookkeeping, which a
    database crash may set back by its last moments (a bucket fuller than it was, a
    reservation gone before the request it reserved for committed anything)."""
    found = _bookkeeping_engines.get(engine.sync_engine)
    if found is not None:
        return found
    own = create_async_engine(
        engine.url,
        pool_size=BOOKKEEPING_POOL_SIZE,
        max_overflow=BOOKKEEPING_POOL_OVERFLOW,
        isolation_level="AUTOCOMMIT",
        connect_args={"server_settings": {"jit": "off", "synchronous_commit": "off"}},
    )
    _bookkeeping_engines[engine.sync_engine] = own

    def dispose_with(_: Engine) -> None:
        # Inside the disposing engine's greenlet: the async pool may close its connections.
        own.sync_engine.dispose()

    event.listen(engine.sync_engine, "engine_disposed", dispose_with)
    return own


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that only read (GET, HEAD). On PostgreSQL they run without a
    transaction (autocommit): no BEGIN and COMMIT round trips around a read; each statement
    sees what was committed when it started. SQLite reads outside a transaction anyway."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return create_sessionmaker(engine)


READ_METHODS = frozenset({"GET", "HEAD"})

# `request.state` key of a session the edge opened for the request and commits itself, once
# the answer is known: an idempotent POST stores its answer in the transaction of its writes
# (adline.idempotency).
EDGE_SESSION_STATE = "edge_session"


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    edge_session: AsyncSession | None = getattr(request.state, EDGE_SESSION_STATE, None)
    if edge_session is not None:
        # The edge commits (or rolls back) after the handler; a failure rolls back here, so
        # that what the edge then writes starts from nothing of the request's.
        try:
            yield edge_session
        except BaseException:
            await edge_session.rollback()
            raise
        return
    state = request.app.state
    sessionmaker: async_sessionmaker[AsyncSession] = (
        state.read_sessionmaker if request.method in READ_METHODS else state.sessionmaker
    )
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


async def lock_row(session: AsyncSession, column: InstrumentedAttribute[Any], row_id: str) -> None:
    """Lock one row (by `id`) for the rest of the transaction with a no-op write of `column`.

    The row lock on PostgreSQL, the database's write lock on SQLite: whoever comes second
    waits, then reads what the first committed. Make it the transaction's first write
    (before reads that must be current). `column` is one the write leaves as it was."""
    model = column.class_
    await session.execute(
        update(model)
        .where(model.id == row_id)
        .values({column: column})
        .execution_options(synchronize_session=False)
    )


def _array_type(column: Any) -> Any:
    # Strings as TEXT: a cast to VARCHAR(n) would silently cut a longer value.
    if isinstance(column.type, String):
        return postgresql.ARRAY(Text())
    return postgresql.ARRAY(column.type)


def unnest_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> Select[Any]:
    """PostgreSQL: `rows` (dicts with the same keys, columns of `table`) as a SELECT of one
    array per column, unnested back into rows. One statement, prepared once, carries any
    number of rows (no parameter per value); use it in `INSERT ... SELECT`."""
    names = list(rows[0])
    arrays = [
        cast(
            bindparam(
                f"unnest_{name}", [row[name] for row in rows], type_=_array_type(table.c[name])
            ),
            _array_type(table.c[name]),
        )
        for name in names
    ]
    source = func.unnest(*arrays).table_valued(*names).render_derived(name="new_rows")
    return select(*(cast(source.c[name], table.c[name].type) for name in names))


def column_values(row: Base) -> dict[str, Any]:
    """A deep copy of a row's column values: a snapshot to compare, or the stuff of a clone."""
    return {column.key: copy.deepcopy(getattr(row, column.key)) for column in row.__table__.columns}


def clone_row(row: RowT, **overrides: Any) -> RowT:
    """A new, unsaved row of the same table with the same values, except `overrides`."""
    return type(row)(**{**column_values(row), **overrides})
