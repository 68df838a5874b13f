"""Ad pixel request bodies and the response shape (whop-sdk 2.6.0's `AdPixel`; the same in
every API version). `access_token` is write-only: no response model has it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from adline.core.schemas import AccessToken, PageInfoObject, RequestModel

Platform = Literal["meta"]
PixelStatus = Literal["active", "errored", "disabled"]
# A network's pixel id: Meta's are digits; any letters, digits, `_` and `-` are taken.
ExternalId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


class PixelCreate(RequestModel):
    access_token: AccessToken
    account_id: str
    external_id: ExternalId
    platform: Platform


class PixelUpdate(RequestModel):
    access_token: AccessToken


class PixelObject(BaseModel):
    id: str
    account_id: str
    platform: Platform
    external_id: str
    name: str | None
    status: PixelStatus
    error_message: str | None
    created_at: str
    updated_at: str


class PixelList(BaseModel):
    data: list[PixelObject]
    page_info: PageInfoObject


class DeletedPixel(BaseModel):
    id: str
    deleted: bool
