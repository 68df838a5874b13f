"""Relay-style cursor pagination (`first`/`after`, `last`/`before`, `page_info`).

Keyset pagination over (sort key, id): a cursor names the last row seen, not an offset,
so pages stay stable while rows are inserted between requests. The sort key is a
timestamp column, or an expression computed in SQL (`SortKey`: stats over a window).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import ColumnElement, Float, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adline.core.errors import InvalidRequest
from adline.core.ids import is_well_formed_id

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

Direction = Literal["asc", "desc"]
T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def __post_init__(self) -> None:
        if self.first is not None and self.last is not None:
            raise InvalidRequest("Send either first or last, not both.", param="last")
        if self.after is not None and self.before is not None:
            raise InvalidRequest("Send either after or before, not both.", param="before")
        for name in ("first", "last"):
            size = getattr(self, name)
            if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
                raise InvalidRequest(
                    f"Invalid value for {name}: must be between 1 and {MAX_PAGE_SIZE}.",
                    param=name,
                )

    @property
    def backward(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)

    @property
    def size(self) -> int:
        return (self.last if self.backward else self.first) or DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class PageInfo:
    start_cursor: str | None
    end_cursor: str | None
    has_next_page: bool
    has_previous_page: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "end_cursor": self.end_cursor,
            "start_cursor": self.start_cursor,
            "has_next_page": self.has_next_page,
            "has_previous_page": self.has_previous_page,
        }


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page_info: PageInfo


@dataclass(frozen=True)
class SortKey:
    """An ordering computed in SQL instead of a timestamp column (e.g. a stat over a window).

    `expression` is selected beside each row and must never be NULL (map NULLs to a
    sentinel); its values are JSON numbers. `tag` names the ordering in cursors, and
    `snapshot` rides along in them so later pages can rank as of the first one
    (`cursor_snapshot`).
    """

    tag: str
    expression: ColumnElement[Any]
    snapshot: datetime | None = None


def _b64(raw: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()


def encode_cursor(
    order: str, sort_value: datetime | int | float, row_id: str, snapshot: datetime | None = None
) -> str:
    value = sort_value.isoformat() if isinstance(sort_value, datetime) else sort_value
    raw: list[Any] = [order, value, row_id]
    if snapshot is not None:
        raw.append(snapshot.isoformat())
    return _b64(raw).rstrip("=")


def _invalid_cursor(param: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid value for {param}: not a cursor of this list in this order.", param=param
    )


def _parts(cursor: str, order: str, param: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _invalid_cursor(param) from None
    if not isinstance(parts, list) or len(parts) not in (3, 4) or parts[0] != order:
        raise _invalid_cursor(param)
    # The row id goes into a query: only an id of ours (no NUL, no surrogate, nothing odd).
    if not isinstance(parts[2], str) or not is_well_formed_id(parts[2]):
        raise _invalid_cursor(param)
    return parts


def decode_cursor(cursor: str, order: str, param: str) -> tuple[datetime, str]:
    """A timestamp ordering's cursor: (sort value, row id)."""
    parts = _parts(cursor, order, param)
    try:
        return datetime.fromisoformat(parts[1]), str(parts[2])
    except (ValueError, TypeError):
        raise _invalid_cursor(param) from None


def decode_number_cursor(cursor: str, order: str, param: str) -> tuple[int | float, str]:
    """A computed ordering's cursor: (sort value, row id)."""
    parts = _parts(cursor, order, param)
    value = parts[1]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid_cursor(param)
    return value, str(parts[2])


def cursor_snapshot(page: PageRequest, order: str) -> datetime | None:
    """The snapshot instant a cursor of a computed ordering carries (None: no cursor)."""
    cursor, param = (page.after, "after") if page.after is not None else (page.before, "before")
    if cursor is None:
        return None
    parts = _parts(cursor, order, param)
    try:
        snapshot = datetime.fromisoformat(parts[3])
    except (IndexError, ValueError, TypeError):
        raise _invalid_cursor(param) from None
    if snapshot.tzinfo is None:
        raise _invalid_cursor(param)
    return snapshot


async def paginate(
    session: AsyncSession,
    statement: Select[T],
    *,
    model: type[T],
    order: str,
    direction: Direction,
    page: PageRequest,
    sort: SortKey | None = None,
) -> Page[T]:
    """Run `statement` (already filtered and tenant-scoped) for one page of `model` rows,
    ordered by the timestamp column named `order` (`created_at`, `updated_at`), or by
    `sort` when given, then id."""
    id_column: InstrumentedAttribute[str] = getattr(model, "id")  # noqa: B009 - any model
    key: ColumnElement[Any] = getattr(model, order) if sort is None else sort.expression
    tag = order if sort is None else sort.tag
    snapshot = None if sort is None else sort.snapshot

    def beyond(cursor: str, param: str, forward: bool) -> ColumnElement[bool]:
        value: Any
        if sort is None:
            value, row_id = decode_cursor(cursor, tag, param)
        else:
            value, row_id = decode_number_cursor(cursor, tag, param)
            # Bind the value as the key's own type (asyncpg is strict about it).
            if isinstance(key.type, Float):
                value = float(value)
            elif not isinstance(value, int):
                raise _invalid_cursor(param)
        # Rows "after" the cursor in display order: larger keys when ascending.
        larger = (direction == "asc") == forward
        if larger:
            return or_(key > value, and_(key == value, id_column > row_id))
        return or_(key < value, and_(key == value, id_column < row_id))

    forward = not page.backward
    query = statement
    cursor, cursor_param = (page.after, "after") if forward else (page.before, "before")
    if cursor is not None:
        query = query.where(beyond(cursor, cursor_param, forward))
    ascending = (direction == "asc") == forward
    ordering = (key.asc(), id_column.asc()) if ascending else (key.desc(), id_column.desc())
    rows = (
        await session.execute(query.add_columns(key).order_by(*ordering).limit(page.size + 1))
    ).all()
    more_beyond = len(rows) > page.size
    kept: list[Any] = list(rows[: page.size])
    if not forward:
        kept.reverse()
    items: list[T] = [row[0] for row in kept]

    # Is there anything on the other side of the cursor we came from?
    more_behind = False
    if cursor is not None:
        behind = statement.where(~beyond(cursor, cursor_param, forward)).limit(1)
        more_behind = (await session.execute(behind)).first() is not None

    def cursor_of(row: Any) -> str:
        return encode_cursor(tag, row[1], getattr(row[0], id_column.key), snapshot)

    start = cursor_of(kept[0]) if kept else None
    end = cursor_of(kept[-1]) if kept else None
    if forward:
        info = PageInfo(start, end, has_next_page=more_beyond, has_previous_page=more_behind)
    else:
        info = PageInfo(start, end, has_next_page=more_behind, has_previous_page=more_beyond)
    return Page(items, info)


async def page_params(
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> PageRequest:
    """FastAPI dependency: the Relay-style pagination query parameters."""
    return PageRequest(first=first, after=after, last=last, before=before)
