"""Product request bodies and the response shape (the same in every API version)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator

from adline.core.schemas import PageInfoObject, RequestModel, Title

MAX_ROUTE_LENGTH = 64
# Lowercase letters and digits in words joined by single hyphens: `pickaxe-analytics`.
ROUTE_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _route(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # strict validation answers "must be a string"
    if not 1 <= len(value) <= MAX_ROUTE_LENGTH or not ROUTE_PATTERN.fullmatch(value):
        raise ValueError(
            f"must be a slug of 1 to {MAX_ROUTE_LENGTH} lowercase letters and digits, words "
            "joined by single hyphens (such as pickaxe-analytics)"
        )
    return value


Route = Annotated[str, BeforeValidator(_route)]


class ProductCreate(RequestModel):
    title: Title
    route: Route
    # The company (account) the product belongs to; both names, as in every version.
    account_id: str | None = None
    company_id: str | None = None


class ProductUpdate(RequestModel):
    """Every key optional; only the keys sent change. Neither may be null."""

    title: Title | None = None
    route: Route | None = None


class ProductObject(BaseModel):
    id: str
    title: str
    route: str
    created_at: str
    updated_at: str


class ProductList(BaseModel):
    data: list[ProductObject]
    page_info: PageInfoObject


class DeletedProduct(BaseModel):
    id: str
    deleted: bool
