"""File request bodies and the response shape (whop-sdk 2.6.0's `File`; the same in every
API version)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from adline.core.schemas import PageInfoObject, RequestModel, not_blank

Visibility = Literal["public", "private"]
UploadStatus = Literal["pending", "processing", "ready", "failed"]

Filename = Annotated[str, BeforeValidator(not_blank), Field(min_length=1, max_length=255)]


class FileCreate(RequestModel):
    filename: Filename
    # Required for a multipart upload; for a single-part one, the upload must then be
    # exactly this size.
    byte_size: Annotated[int, Field(ge=1)] | None = None
    multipart: bool | None = None
    visibility: Visibility | None = None


class MultipartPart(RequestModel):
    part_number: Annotated[int, Field(ge=1)]
    etag: Annotated[str, Field(min_length=1, max_length=100)]


class FileComplete(RequestModel):
    multipart_parts: list[MultipartPart]
    multipart_upload_id: Annotated[str, Field(min_length=1, max_length=64)]


class MultipartUrl(BaseModel):
    part_number: int
    url: str


class FileObject(BaseModel):
    id: str
    object: Literal["file"]
    filename: str | None
    content_type: str | None
    size: int | None
    upload_status: UploadStatus
    visibility: Visibility
    url: str | None
    width: int | None
    height: int | None
    duration_seconds: float | None
    blurhash: str | None
    waveform_url: str | None
    removed_by_moderation: bool
    created_at: str
    # Only in the answer to a create: where to send the bytes.
    upload_url: str | None = None
    upload_headers: dict[str, Any] | None = None
    multipart_upload_id: str | None = None
    multipart_chunk_size: int | None = None
    multipart_upload_urls: list[MultipartUrl] | None = None


class FileList(BaseModel):
    data: list[FileObject]
    page_info: PageInfoObject
