"""Idempotency keys: reserve one when a request starts, store its answer with its writes, and
answer a retry with what the first attempt answered (docs/api.md#idempotent-requests).

- `reserve` runs once the caller is authenticated and allowed the endpoint (the auth
  dependency): it inserts the key "in progress" and commits that at once, in a short
  transaction of its own (an autocommit statement on PostgreSQL, the request's session
  committed at once on SQLite), with the table's primary key (API key, Idempotency-Key) as
  the race guard. A key already there answers the stored response
  (`Replay`), 400 `idempotency_key_mismatch` when the request differs, or 409
  `idempotency_request_in_progress` while its first attempt runs.
- `store_answer` writes the answer into the reservation inside the request's transaction
  (`IdempotencyMiddleware` calls it before committing), so a write never commits without its
  answer or an answer without its write. Only the attempt holding the reservation may store.
- `release` gives the key up after a 5xx (not stored, so that a retry can succeed).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from fastapi import Request
from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from adline.core.clock import Clock
from adline.core.db import bookkeeping_engine
from adline.core.errors import Conflict, InvalidRequest
from adline.core.ids import random_base62
from adline.idempotency.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_BYTES = 255
# How long a key is kept: a retry within a day of the first attempt is answered from it.
RETENTION = timedelta(hours=24)
# A reservation whose attempt has not answered for this long is taken to have died (a crash:
# its writes rolled back with it) and is taken over by the next attempt.
LEASE = timedelta(seconds=60)
# What a 409 in progress asks the client to wait before retrying, in seconds.
RETRY_IN_PROGRESS_AFTER = 1
# How often (seconds, per process) a reservation also deletes every expired key.
PURGE_EVERY = 600.0

# `request.state` keys: the header's value (set by the middleware) and the reservation.
KEY_STATE = "idempotency_key"
RESERVATION_STATE = "idempotency_reservation"

TABLE = cast(Table, IdempotencyRecord.__table__)


class IdempotencyKeyMismatch(InvalidRequest):
    code = "idempotency_key_mismatch"


class RequestInProgress(Conflict):
    code = "idempotency_request_in_progress"


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes
    api_version: str | None


class Replay(Exception):
    """Raised by `reserve` to answer a retry with the stored answer (rendered by
    `adline.idempotency.middleware.replay_response`)."""

    def __init__(self, answer: StoredAnswer) -> None:
        super().__init__("replay")
        self.answer = answer


@dataclass(frozen=True)
class Reservation:
    api_key_id: str
    idempotency_key: str
    attempt: str


def key_problem(raw: bytes) -> str | None:
    """What is wrong with an `Idempotency-Key` header's raw value, if anything."""
    if not raw:
        return "must not be empty"
    if len(raw) > MAX_KEY_BYTES:
        return f"must be at most {MAX_KEY_BYTES} bytes, not {len(raw)}"
    if any(byte < 0x20 or byte == 0x7F for byte in raw):
        return "must not contain control characters"
    return None


def fingerprint(method: str, path: str, query: bytes, api_version: str, body: bytes) -> str:
    """What makes two requests "the same" for one key: method, path, query, the API version
    the request is answered in, and the body (as JSON when it is JSON, so that key order and
    spacing do not count; else its bytes)."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8", "surrogatepass")
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, api_version.encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    digest.update(canonical)
    return digest.hexdigest()


def _this_key(api_key_id: str, idempotency_key: str) -> Any:
    return (TABLE.c.api_key_id == api_key_id) & (TABLE.c.idempotency_key == idempotency_key)


_last_purge = 0.0


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete every expired key (in the caller's transaction); answers how many."""
    result = await session.execute(delete(TABLE).where(TABLE.c.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


async def reserve(
    request: Request, session: AsyncSession, clock: Clock, api_key_id: str, api_version: str
) -> None:
    """Reserve the request's `Idempotency-Key` for this attempt, or answer from it.

    Does nothing without the header (or for a method other than POST: the middleware sets
    the key only for POST). The reservation commits before the handler's writes begin: on
    PostgreSQL as autocommit statements on the edge's bookkeeping pool (no transaction to
    open or close, no wait for the flush: the request's final, synchronous commit flushes
    the log up to itself, this reservation included); on SQLite on the request's session,
    committed at once (so far it holds only the key's lookup)."""
    key: str | None = getattr(request.state, KEY_STATE, None)
    if key is None or getattr(request.state, RESERVATION_STATE, None) is not None:
        return
    body = await request.body()
    request_fingerprint = fingerprint(
        request.method, request.url.path, request.scope.get("query_string", b""), api_version, body
    )
    now = clock.now()
    engine: AsyncEngine = request.app.state.engine
    if engine.dialect.name == "postgresql":
        async with bookkeeping_engine(engine).connect() as connection:
            reservation = await _reserve(
                connection.execute, "postgresql", api_key_id, key, request_fingerprint, now
            )
    else:
        reservation = await _reserve(
            session.execute, "sqlite", api_key_id, key, request_fingerprint, now
        )
        await session.commit()
    setattr(request.state, RESERVATION_STATE, reservation)


Execute = Callable[..., Awaitable[Any]]


async def _reserve(
    execute: Execute,
    dialect: str,
    api_key_id: str,
    key: str,
    request_fingerprint: str,
    now: datetime,
) -> Reservation:
    global _last_purge
    if time.monotonic() - _last_purge > PURGE_EVERY:
        _last_purge = time.monotonic()
        await execute(delete(TABLE).where(TABLE.c.expires_at <= now))
    attempt = random_base62(20)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Twice at most: once more after an expired key of the same name was deleted.
    for _ in range(2):
        inserted = await execute(
            insert(TABLE)
            .values(
                api_key_id=api_key_id,
                idempotency_key=key,
                fingerprint=request_fingerprint,
                attempt=attempt,
                started_at=now,
                created_at=now,
                expires_at=now + RETENTION,
            )
            .on_conflict_do_nothing(index_elements=["api_key_id", "idempotency_key"])
        )
        if getattr(inserted, "rowcount", 0) == 1:
            return Reservation(api_key_id, key, attempt)
        row = (await execute(select(TABLE).where(_this_key(api_key_id, key)))).one_or_none()
        if row is None:
            continue
        if row.expires_at <= now:
            # Kept for a day only: an expired key is forgotten, and this request runs anew.
            await execute(
                delete(TABLE).where(_this_key(api_key_id, key), TABLE.c.expires_at <= now)
            )
            continue
        if row.fingerprint != request_fingerprint:
            raise IdempotencyKeyMismatch(
                f"This {HEADER} was used with another request (a different path, body or "
                "API version) within the last 24 hours: send a new key for a new request.",
                param=HEADER,
            )
        if row.status_code is not None:
            raise Replay(
                StoredAnswer(
                    status_code=row.status_code,
                    headers=[(name, value) for name, value in row.headers or []],
                    body=row.body or b"",
                    api_version=row.api_version,
                )
            )
        if row.started_at + LEASE <= now:
            # The attempt holding the key died without answering (nothing of it committed):
            # this one takes the key over.
            taken = await execute(
                update(TABLE)
                .where(_this_key(api_key_id, key), TABLE.c.attempt == row.attempt)
                .values(attempt=attempt, started_at=now)
            )
            if getattr(taken, "rowcount", 0) == 1:
                return Reservation(api_key_id, key, attempt)
        break
    raise RequestInProgress(
        f"A request with this {HEADER} is still being processed: retry once it has finished.",
        param=HEADER,
        headers={"Retry-After": str(RETRY_IN_PROGRESS_AFTER)},
    )


async def store_answer(
    session: AsyncSession,
    reservation: Reservation,
    answer: StoredAnswer,
) -> bool:
    """Write the answer into the reservation, in the session's (the request's) transaction.
    False when this attempt no longer holds the key (its lease ran out and another attempt
    took it over): the caller must then roll its writes back."""
    result = await session.execute(
        update(TABLE)
        .where(
            _this_key(reservation.api_key_id, reservation.idempotency_key),
            TABLE.c.attempt == reservation.attempt,
        )
        .values(
            status_code=answer.status_code,
            headers=[list(pair) for pair in answer.headers],
            body=answer.body,
            api_version=answer.api_version,
        )
    )
    return getattr(result, "rowcount", 0) == 1


async def release(session: AsyncSession, reservation: Reservation) -> None:
    """Give the key up (its attempt answered a 5xx or crashed): the next attempt runs anew.
    In the caller's transaction."""
    await session.execute(
        delete(TABLE).where(
            _this_key(reservation.api_key_id, reservation.idempotency_key),
            TABLE.c.attempt == reservation.attempt,
            TABLE.c.status_code.is_(None),
        )
    )
