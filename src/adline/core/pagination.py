"""Relay-style cursor pagination (`first`/`after`, `last`/`before`, `page_info`).

Keyset pagination over (sort column, id): a cursor names the last row seen, not an
offset, so pages stay stable while rows are inserted between requests.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adline.core.errors import InvalidRequest

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


def encode_cursor(order: str, sort_value: datetime, row_id: str) -> str:
    raw = json.dumps([order, sort_value.isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: str, param: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_order, sort_value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if cursor_order != order:
            raise ValueError("cursor from another ordering")
        return datetime.fromisoformat(sort_value), str(row_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest(
            f"Invalid value for {param}: not a cursor of this list in this order.", param=param
        ) from None


async def paginate(
    session: AsyncSession,
    statement: Select[T],
    *,
    model: type[T],
    order: str,
    direction: Direction,
    page: PageRequest,
) -> Page[T]:
    """Run `statement` (already filtered and tenant-scoped) for one page of `model` rows,
    ordered by the timestamp column named `order` (`created_at`, `updated_at`), then id."""
    sort_column: InstrumentedAttribute[datetime] = getattr(model, order)
    id_column: InstrumentedAttribute[str] = getattr(model, "id")  # noqa: B009 - any model

    def beyond(cursor: str, param: str, forward: bool) -> ColumnElement[bool]:
        value, row_id = decode_cursor(cursor, order, param)
        # Rows "after" the cursor in display order: larger keys when ascending.
        larger = (direction == "asc") == forward
        if larger:
            return or_(sort_column > value, and_(sort_column == value, id_column > row_id))
        return or_(sort_column < value, and_(sort_column == value, id_column < row_id))

    forward = not page.backward
    query = statement
    cursor, cursor_param = (page.after, "after") if forward else (page.before, "before")
    if cursor is not None:
        query = query.where(beyond(cursor, cursor_param, forward))
    ascending = (direction == "asc") == forward
    ordering = (
        (sort_column.asc(), id_column.asc())
        if ascending
        else (sort_column.desc(), id_column.desc())
    )
    rows: Sequence[T] = (
        await session.scalars(query.order_by(*ordering).limit(page.size + 1))
    ).all()
    more_beyond = len(rows) > page.size
    items = list(rows[: page.size])
    if not forward:
        items.reverse()

    # Is there anything on the other side of the cursor we came from?
    more_behind = False
    if cursor is not None:
        behind = statement.where(~beyond(cursor, cursor_param, forward)).limit(1)
        more_behind = (await session.scalars(behind)).first() is not None

    def cursor_of(item: T) -> str:
        return encode_cursor(order, getattr(item, sort_column.key), getattr(item, id_column.key))

    start = cursor_of(items[0]) if items else None
    end = cursor_of(items[-1]) if items else None
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
