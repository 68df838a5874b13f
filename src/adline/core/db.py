"""Database plumbing: the declarative base, a UTC timestamp column type, engines and sessions.

SQLite (aiosqlite) is the embedded default, PostgreSQL (asyncpg) the production store.
The request owns the transaction: services only flush, `session_dependency` commits
once the handler has returned and before the response is sent.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import aiosqlite
from fastapi import Request
from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    event,
    select,
    update,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
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
ResultT = TypeVar("ResultT")


def stored_utc(value: datetime | None) -> datetime | None:
    """An aware datetime as a `UTCDateTime` column stores it: naive UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite has no time zones), always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return stored_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class _PrefetchedCursor:
    """The cursor of a `OneTripConnection`: a statement runs, its rows are fetched and its
    sqlite3 cursor is closed in one call on the connection's thread. (aiosqlite's own cursor,
    as SQLAlchemy drives it, takes four: open, execute, fetch, close.)"""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> _PrefetchedCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._rows = []

    @staticmethod
    def _run(
        raw: sqlite3.Connection, operation: str, parameters: Any, many: bool
    ) -> tuple[Any, int, int | None, list[Any]]:
        cursor = raw.cursor()
        try:
            if many:
                cursor.executemany(operation, parameters)
            elif parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            rows = cursor.fetchall() if cursor.description else []
            return cursor.description, cursor.rowcount, cursor.lastrowid, rows
        finally:
            cursor.close()

    async def _call(self, operation: str, parameters: Any, many: bool) -> _PrefetchedCursor:
        connection = self._connection
        self.description, self.rowcount, self.lastrowid, self._rows = await connection.on_thread(
            partial(self._run, connection._conn, operation, parameters, many)
        )
        return self

    async def execute(self, operation: str, parameters: Any = None) -> _PrefetchedCursor:
        return await self._call(operation, parameters, many=False)

    async def executemany(self, operation: str, parameters: Any) -> _PrefetchedCursor:
        return await self._call(operation, parameters, many=True)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite with fewer trips to the connection's thread, each a thread handoff (and,
    with many requests in flight, a wait for the GIL): one per statement, and none for a
    commit or rollback with no transaction open (sqlite3's are no-ops then)."""

    def cursor(self) -> _PrefetchedCursor:  # type: ignore[override]
        return _PrefetchedCursor(self)

    async def on_thread(self, function: Callable[[], ResultT]) -> ResultT:
        """`function()`, called on the connection's thread."""
        execute: Callable[[Callable[[], ResultT]], Awaitable[ResultT]] = self._execute
        return await execute(function)

    async def commit(self) -> None:
        if self._conn.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await super().rollback()


def _sqlite_connector(url: str, timeout: float) -> Any:
    """`async_creator` of a SQLite engine: a `OneTripConnection` with the arguments
    SQLAlchemy's aiosqlite dialect would give `aiosqlite.connect` for `url`."""
    parsed = make_url(url)
    args, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    kwargs = {**kwargs, "timeout": timeout}

    async def connect() -> OneTripConnection:
        connection = OneTripConnection(partial(sqlite3.connect, *args, **kwargs), 64)
        # As SQLAlchemy does for aiosqlite: the thread never holds the process open.
        connection._thread.daemon = True
        await connection
        return connection

    return connect


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        in_memory = not database or database == ":memory:" or "mode=memory" in url
        # A file's pool keeps every connection it may open (as many as SQLAlchemy's default
        # 5 + 10 overflow): an overflow connection is otherwise closed when returned, and
        # under load each request would open one (a thread and the pragmas below) anew.
        pool = {} if in_memory else {"pool_size": 15, "max_overflow": 0}
        engine = create_async_engine(url, async_creator=_sqlite_connector(url, timeout=30), **pool)

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
    # No overflow: a returned overflow connection is closed, and under load requests then
    # open new ones (a backend started, asyncpg's statements prepared again) all the time;
    # the pool keeps as many as it may open (30, the same cap as 10 + 20 overflow before).
    return create_async_engine(
        url,
        pool_size=30,
        max_overflow=0,
        connect_args={"server_settings": {"jit": "off"}},
    )


# The edge's bookkeeping connections (rate-limit buckets, idempotency reservations), per
# engine of the app: a request that holds a connection of the app's pool (its key's lookup,
# an open transaction) must never wait for another from that same pool, or a burst as large
# as the pool would hold every connection while waiting for one more. Each checkout here
# lasts one autocommit statement.
# Kept open (no overflow, as for the main pool): at most 12 connections, as 4 + 8 before.
BOOKKEEPING_POOL_SIZE = 12
BOOKKEEPING_POOL_OVERFLOW = 0
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
    """Lock one row (by `id`) for the rest of the transaction (`lock_rows`)."""
    await lock_rows(session, column, [row_id])


# Ids locked per statement by `lock_rows` (a bound parameter each).
LOCK_CHUNK = 500


async def lock_rows(
    session: AsyncSession, column: InstrumentedAttribute[Any], row_ids: Iterable[str]
) -> dict[str, Any]:
    """Lock rows of `column`'s table (by `id`) for the rest of the transaction; answers each
    locked row's `column` as it stands now, under the lock.

    The rows' locks on PostgreSQL (`FOR NO KEY UPDATE`, what an update of a non-key column
    takes), taken in id order so that two transactions locking overlapping rows cannot
    deadlock; the database's write lock on SQLite (a no-op write of `column`, which must be
    one the write leaves as it was): whoever comes second waits, then reads what the first
    committed. Make it the transaction's first write (before reads that must be current)."""
    ids = sorted(set(row_ids))
    if not ids:
        return {}
    model = column.class_
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        await session.execute(
            update(model)
            .where(model.id == ids[0])
            .values({column: column})
            .execution_options(synchronize_session=False)
        )
    values: dict[str, Any] = {}
    for offset in range(0, len(ids), LOCK_CHUNK):
        statement = (
            select(model.id, column)
            .where(model.id.in_(ids[offset : offset + LOCK_CHUNK]))
            .order_by(model.id)
        )
        if postgres:
            statement = statement.with_for_update(key_share=True)
        values.update({row_id: value for row_id, value in await session.execute(statement)})
    return values


def postgres_array_type(column: Any) -> str:
    """PostgreSQL: the array type a column's values travel in when a batch of rows is sent as
    one array per column and `unnest`ed (one statement text for any number of rows):
    integers as BIGINT[], `UTCDateTime` as TIMESTAMP[] (naive UTC), days as DATE[], the
    rest as TEXT[] (a cast to VARCHAR(n) would silently cut a longer value; JSON is cast
    back by the statement)."""
    if isinstance(column.type, BigInteger | Integer):
        return "BIGINT[]"
    if isinstance(column.type, UTCDateTime):
        return "TIMESTAMP[]"
    if isinstance(column.type, Date):
        return "DATE[]"
    return "TEXT[]"


def postgres_array_values(column: Any, values: Iterable[Any]) -> list[Any]:
    """A column's values as its `postgres_array_type` array takes them: `UTCDateTime` as
    naive UTC (its own conversion), JSON as text (the statement casts it back), the rest as
    they are."""
    if isinstance(column.type, JSON):
        return [json.dumps(value) for value in values]
    if isinstance(column.type, UTCDateTime):
        return [stored_utc(value) for value in values]
    return list(values)


async def execute_rows_in_driver(
    connection: AsyncConnection,
    statement: str,
    table: Table,
    names: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
) -> None:
    """Execute `statement` (the driver's own SQL text, with a named parameter `:name` per
    name in `names`, each a column of `table`) once per row, looping in the driver: each
    value converted by its column's type exactly as SQLAlchemy converts it (dates and times
    as it stores them, JSON through the engine's serializer), without SQLAlchemy's per-row
    execution work. For SQLite's bulk writes; PostgreSQL's send arrays
    (`postgres_array_type`)."""
    dialect = connection.dialect
    plain: list[str] = []
    converted: list[tuple[str, Callable[[Any], Any]]] = []
    for name in names:
        convert = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if convert is None:
            plain.append(name)
        else:
            converted.append((name, convert))
    parameters = [
        {
            **{name: row[name] for name in plain},
            **{name: convert(row[name]) for name, convert in converted},
        }
        for row in rows
    ]
    if parameters:
        await connection.exec_driver_sql(statement, parameters)


def column_values(row: Base) -> dict[str, Any]:
    """A deep copy of a row's column values: a snapshot to compare, or the stuff of a clone."""
    return {column.key: copy.deepcopy(getattr(row, column.key)) for column in row.__table__.columns}


def clone_row(row: RowT, **overrides: Any) -> RowT:
    """A new, unsaved row of the same table with the same values, except `overrides`."""
    return type(row)(**{**column_values(row), **overrides})
