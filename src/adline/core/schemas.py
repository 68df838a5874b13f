"""Building blocks shared by request schemas: strict models and typed scalars."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from adline.core.timestamps import parse_timestamp


class RequestModel(BaseModel):
    """A request body: unknown keys are refused, values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 timestamp string")
    return parse_timestamp(value)


def not_blank(value: Any) -> Any:
    """Refuse a string of only whitespace (a BeforeValidator or an AfterValidator)."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be blank")
    return value


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
# Dollar amounts arrive as JSON numbers; at most two decimals (checked by adline.core.money).
Dollars = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Title = Annotated[str, BeforeValidator(not_blank), Field(min_length=1, max_length=100)]
# A network's access token (pixels, connections): write-only. Meta's long-lived tokens run
# to a few hundred characters; 4 KB leaves room for any. Printable ASCII only: tokens are,
# and a token goes out in an HTTP header (TikTok's `Access-Token`), where anything else
# cannot be sent.
AccessToken = Annotated[
    str,
    BeforeValidator(not_blank),
    Field(min_length=1, max_length=4096, pattern=r"^[\x21-\x7e]+$"),
]


class PageInfoObject(BaseModel):
    """The `page_info` of every paginated list."""

    end_cursor: str | None
    start_cursor: str | None
    has_next_page: bool
    has_previous_page: bool
