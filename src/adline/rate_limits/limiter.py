"""Token buckets: per API key, and per client address for calls without a valid key
(docs/api.md#rate-limits, docs/decisions.md).

A bucket holds at most `burst` tokens and gains `per_second` tokens a second; a request
takes one, or is refused (429) when less than one is left. On PostgreSQL every server
process shares one bucket per key: one row, taken from with one statement
(`INSERT ... ON CONFLICT DO UPDATE ... WHERE <a token is left> RETURNING`) that computes the
refill in SQL by the database's clock, in a transaction of its own (autocommit, on the
edge's own small pool without synchronous commit: `adline.core.db.bookkeeping_engine`), so
the row is locked only for that statement. A refusal writes nothing. On SQLite (one
process) the buckets live in the process's memory.

The buckets measure time by the database's clock (PostgreSQL) or the process's monotonic
clock (SQLite), not by the app's `Clock`: one clock for every process sharing a bucket, and
tests that move their `ManualClock` by days neither drain nor flood a bucket. Only
`X-RateLimit-Reset`, a point in time, is told by the app's clock.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import BindParameter, Double, Table, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.config import Settings
from adline.core.clock import Clock
from adline.core.db import bookkeeping_engine
from adline.core.errors import AdlineError
from adline.rate_limits.models import RateLimitBucket

TABLE = cast(Table, RateLimitBucket.__table__)

LIMIT_HEADER = "X-RateLimit-Limit"
REMAINING_HEADER = "X-RateLimit-Remaining"
RESET_HEADER = "X-RateLimit-Reset"


class RateLimited(AdlineError):
    status_code = 429
    type = "too_many_requests"
    code = "rate_limited"


@dataclass(frozen=True)
class Limit:
    per_second: float
    burst: int

    @property
    def enabled(self) -> bool:
        return self.per_second > 0 and self.burst > 0

    @property
    def seconds_to_fill(self) -> float:
        return self.burst / self.per_second


@dataclass(frozen=True)
class Decision:
    """One request's take from one bucket."""

    allowed: bool
    limit: Limit
    # Tokens left after this request (a fraction: the refill is continuous).
    tokens: float

    @property
    def remaining(self) -> int:
        return max(0, math.floor(self.tokens))

    @property
    def retry_after(self) -> int:
        """Whole seconds until a token is there again (at least 1)."""
        return max(1, math.ceil((1 - self.tokens) / self.limit.per_second))

    def headers(self, clock: Clock) -> dict[str, str]:
        """`X-RateLimit-Reset` is when the bucket is full again, in Unix seconds (as the
        official client reads it), by the app's clock."""
        full_in = max(0.0, (self.limit.burst - self.tokens) / self.limit.per_second)
        headers = {
            LIMIT_HEADER: str(self.limit.burst),
            REMAINING_HEADER: str(self.remaining),
            RESET_HEADER: str(math.ceil(clock.now().timestamp() + full_in)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class Buckets(Protocol):
    async def take(self, bucket_id: str, limit: Limit) -> Decision: ...


class MemoryBuckets:
    """The buckets of one process (SQLite). Bounded: the least recently used go first (an
    idle bucket refills anyway; forgetting a full one changes nothing)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def take(self, bucket_id: str, limit: Limit) -> Decision:
        now = time.monotonic()
        tokens, at = self._buckets.get(bucket_id, (float(limit.burst), now))
        level = min(float(limit.burst), tokens + limit.per_second * max(0.0, now - at))
        allowed = level >= 1
        left = level - 1 if allowed else level
        self._buckets[bucket_id] = (left, now)
        self._buckets.move_to_end(bucket_id)
        while len(self._buckets) > self.max_entries:
            self._buckets.popitem(last=False)
        return Decision(allowed, limit, left)


_NOW = func.extract("epoch", func.statement_timestamp())
_BURST: BindParameter[float] = bindparam("burst", type_=Double())
_RATE: BindParameter[float] = bindparam("rate", type_=Double())
_LEVEL = func.least(_BURST, TABLE.c.tokens + _RATE * func.greatest(0.0, _NOW - TABLE.c.refilled_at))
_TAKE = (
    postgresql.insert(TABLE)
    .values(id=bindparam("id"), tokens=_BURST - 1, refilled_at=_NOW)
    .on_conflict_do_update(
        index_elements=[TABLE.c.id],
        set_={"tokens": _LEVEL - 1, "refilled_at": func.greatest(TABLE.c.refilled_at, _NOW)},
        # No token left: nothing is written and no row returned.
        where=_LEVEL >= 1,
    )
    .returning(TABLE.c.tokens)
)
_LEVEL_NOW = select(_LEVEL).where(TABLE.c.id == bindparam("id"))


class PostgresBuckets:
    """Buckets every process on one PostgreSQL shares: a row each (`rate_limit_buckets`)."""

    # How often (seconds, per process) rows idle long enough to be full again are deleted.
    PURGE_EVERY = 60.0

    def __init__(self, engine: AsyncEngine, limits: tuple[Limit, ...]) -> None:
        self.engine = bookkeeping_engine(engine)
        # A row idle this long is full again: the same as no row.
        self.idle = max((limit.seconds_to_fill for limit in limits if limit.enabled), default=0)
        self._last_purge = time.monotonic()
        # The take, every request's statement, compiled once and run on the driver itself
        # (asyncpg, as a prepared statement): through SQLAlchemy's execution it cost several
        # times the statement's own round trip in this process's CPU.
        self._take = _TAKE.compile(dialect=self.engine.dialect)

    async def take(self, bucket_id: str, limit: Limit) -> Decision:
        parameters: dict[str, Any] = {
            "id": bucket_id,
            "burst": float(limit.burst),
            "rate": limit.per_second,
        }
        values = self._take.construct_params(parameters)
        async with self.engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None  # a checked-out connection is open
            tokens = await driver.fetchval(
                self._take.string, *(values[name] for name in self._take.positiontup or ())
            )
            if tokens is not None:
                decision = Decision(True, limit, float(tokens))
            else:
                level = (await connection.execute(_LEVEL_NOW, parameters)).scalar_one_or_none()
                decision = Decision(False, limit, 0.0 if level is None else float(level))
            if time.monotonic() - self._last_purge > self.PURGE_EVERY:
                self._last_purge = time.monotonic()
                await connection.execute(
                    delete(TABLE).where(TABLE.c.refilled_at < _NOW - (self.idle + 60.0))
                )
        return decision


def address_bucket(host: str | None) -> str:
    """The bucket of a client address: an IPv6 client by its /64 (one host's usual share),
    an IPv4-mapped IPv6 address as the IPv4 address."""
    if host is None:
        return "address:unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"address:{host[:64]}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"address:{address}"


def key_bucket(key_id: str) -> str:
    return f"key:{key_id}"


def pixel_bucket(pixel_id: str) -> str:
    return f"pixel:{pixel_id}"


class RateLimiter:
    """The app's limits (from `Settings`) and buckets (chosen by the store, on first use)."""

    def __init__(self, settings: Settings) -> None:
        self.key_limit = Limit(settings.rate_limit_per_second, settings.rate_limit_burst)
        self.address_limit = Limit(
            settings.address_rate_limit_per_second, settings.address_rate_limit_burst
        )
        self.pixel_limit = Limit(
            settings.pixel_rate_limit_per_second, settings.pixel_rate_limit_burst
        )
        self._buckets: Buckets | None = None

    def buckets(self, engine: AsyncEngine) -> Buckets:
        if self._buckets is None:
            if engine.dialect.name == "postgresql":
                self._buckets = PostgresBuckets(
                    engine, (self.key_limit, self.address_limit, self.pixel_limit)
                )
            else:
                self._buckets = MemoryBuckets()
        return self._buckets

    async def take(self, engine: AsyncEngine, bucket_id: str, limit: Limit) -> Decision | None:
        """This request's take, or None when `limit` is off."""
        if not limit.enabled:
            return None
        return await self.buckets(engine).take(bucket_id, limit)
