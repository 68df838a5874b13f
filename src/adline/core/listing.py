"""Filters every list endpoint shares: `query`, `created_before`, `created_after`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, or_
from sqlalchemy.orm import InstrumentedAttribute

from adline.core.errors import InvalidRequest
from adline.core.timestamps import parse_timestamp

T = TypeVar("T")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_optional_timestamp(value: str | None, param: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise InvalidRequest(f"Invalid value for {param}: {error}.", param=param) from None


def apply_common_filters(
    statement: Select[T],
    *,
    title: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[str],
    created_at: InstrumentedAttribute[datetime],
    query: str | None,
    created_before: str | None,
    created_after: str | None,
) -> Select[T]:
    """`query` is a case-insensitive substring of the title or the id (wildcards are literal)."""
    if query:
        pattern = f"%{_escape_like(query)}%"
        statement = statement.where(
            or_(title.ilike(pattern, escape="\\"), id_column.ilike(pattern, escape="\\"))
        )
    before = parse_optional_timestamp(created_before, "created_before")
    after = parse_optional_timestamp(created_after, "created_after")
    if before is not None:
        statement = statement.where(created_at < before)
    if after is not None:
        statement = statement.where(created_at > after)
    return statement


def check_id_list(values: list[str] | None, param: str, maximum: int = 100) -> list[str] | None:
    if values is not None and len(values) > maximum:
        raise InvalidRequest(
            f"Invalid value for {param}: at most {maximum} ids may be given.", param=param
        )
    return values


def id_scope(single: str | None, many: list[str] | None, many_param: str) -> list[str] | None:
    """`x_id` and repeated `x_ids` (at most 100) narrow a list to their union; None: all."""
    check_id_list(many, many_param)
    if single is None and many is None:
        return None
    return [*([single] if single else []), *(many or [])]
