"""HTTP for files: parse, call the service, render. The same shape in every API version
(docs/files.md).

The upload URLs a create answers are Adline's own (`PUT .../upload`, `PUT .../parts/{n}`):
like a presigned URL they need no API key, their `token` is the credential. Their bodies
are the file's raw bytes, streamed to the store, so they are left out of the OpenAPI
documents (as an S3 URL is out of Whop's) and the body cap lets them carry up to
`Settings.files_max_upload_bytes` (`UPLOAD_PATH`, used by `create_app`). The download
URL (`GET .../content`, a file's `url`) is left out of the documents for the same reason.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from adline.auth.dependencies import CanCreateAds, CanReadAds, ClockDep, SessionDep
from adline.config import Settings
from adline.core.clock import Clock
from adline.core.http import json_body, render, render_list
from adline.core.pagination import Direction, PageRequest, page_params
from adline.files import service
from adline.files.models import File
from adline.files.schemas import FileComplete, FileCreate, FileList, FileObject
from adline.files.storage import FileStorage

router = APIRouter(prefix="/files", tags=["files"])

KIND = "file"

# The upload routes' paths (below /api/v1), which take bodies larger than JSON's cap.
UPLOAD_PATH = re.compile(r"/api/v1/files/[^/]+/(?:upload|parts/[0-9]+)")


def file_storage(request: Request) -> FileStorage:
    """The app's files store (audiences read customer lists from it too)."""
    storage: FileStorage = request.app.state.file_storage
    return storage


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _present(request: Request, clock: Clock, file: File, **upload: Any) -> dict[str, Any]:
    query = service.download_query(file, clock)
    url = None
    if query is not None:
        address = request.url_for("download_file", file_id=file.id)
        url = str(address.include_query_params(**query) if query else address)
    return service.file_object(file, url=url, **upload)


def _upload_urls(request: Request, file: File, token: str) -> dict[str, Any]:
    if file.multipart_upload_id is None:
        url = request.url_for("upload_file", file_id=file.id).include_query_params(token=token)
        return {"upload_url": str(url)}
    urls = []
    for number in range(1, service.part_count(file) + 1):
        url = request.url_for("upload_file_part", file_id=file.id, part_number=str(number))
        urls.append({"part_number": number, "url": str(url.include_query_params(token=token))})
    return {"multipart_upload_urls": urls}


@router.post("", response_model=FileObject, summary="Create a file (and where to upload it)")
async def create_file(
    request: Request,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[FileCreate, Depends(json_body(FileCreate, f"{KIND}.create"))],
) -> JSONResponse:
    created = await service.create_file(session, clock, principal, body, _settings(request))
    urls = _upload_urls(request, created.file, created.upload_token)
    return render(request, KIND, _present(request, clock, created.file, **urls))


@router.get("", response_model=FileList, summary="List files")
async def list_files(
    request: Request,
    principal: CanReadAds,
    session: SessionDep,
    clock: ClockDep,
    page: Annotated[PageRequest, Depends(page_params)],
    file_ids: Annotated[list[str] | None, Query()] = None,
    direction: Direction = "desc",
    order: Annotated[str, Query(pattern="^created_at$")] = "created_at",
) -> JSONResponse:
    del order  # created_at is the only order
    result = await service.list_files(
        session, principal, file_ids=file_ids, page=page, direction=direction
    )
    items = [_present(request, clock, file) for file in result.items]
    return render_list(request, KIND, items, result.page_info)


@router.get("/{file_id}", response_model=FileObject, summary="Retrieve a file")
async def retrieve_file(
    request: Request, file_id: str, principal: CanReadAds, session: SessionDep, clock: ClockDep
) -> JSONResponse:
    file = await service.get_file(session, principal.company_id, file_id)
    return render(request, KIND, _present(request, clock, file))


@router.post(
    "/{file_id}/complete", response_model=FileObject, summary="Complete a multipart upload"
)
async def complete_file(
    request: Request,
    file_id: str,
    principal: CanCreateAds,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[FileComplete, Depends(json_body(FileComplete, f"{KIND}.complete"))],
) -> JSONResponse:
    file = await service.complete_file(
        session, clock, principal, file_storage(request), file_id, body, _settings(request)
    )
    return render(request, KIND, _present(request, clock, file))


@router.put("/{file_id}/upload", name="upload_file", include_in_schema=False)
async def upload_file(
    request: Request, file_id: str, session: SessionDep, clock: ClockDep, token: str = ""
) -> JSONResponse:
    # The token is checked in a session of its own, closed before the bytes stream in: no
    # transaction stays open while a large upload arrives.
    async with request.app.state.read_sessionmaker() as reading:
        file = await service.authorize_upload(reading, clock, file_id, token)
    storage = file_storage(request)
    received = await service.receive_upload(storage, file, request.stream(), _settings(request))
    file = await service.finish_upload(session, clock, storage, file_id, token, received)
    return JSONResponse(_present(request, clock, file))


@router.put("/{file_id}/parts/{part_number}", name="upload_file_part", include_in_schema=False)
async def upload_file_part(
    request: Request,
    file_id: str,
    part_number: int,
    session: SessionDep,
    clock: ClockDep,
    token: str = "",
) -> JSONResponse:
    async with request.app.state.read_sessionmaker() as reading:
        file = await service.authorize_upload(reading, clock, file_id, token, part_number)
    part = await service.receive_part(file_storage(request), file, part_number, request.stream())
    await service.finish_part(session, clock, file_id, token, part)
    # As S3 does: the part's ETag, which `complete` takes back.
    return JSONResponse(
        {"part_number": part.part_number, "etag": part.etag}, headers={"ETag": part.etag}
    )


@router.get("/{file_id}/content", name="download_file", include_in_schema=False)
async def download_file(
    request: Request,
    file_id: str,
    session: SessionDep,
    clock: ClockDep,
    expires: str | None = None,
    signature: str | None = None,
) -> StreamingResponse:
    """A ready file's bytes, streamed from the store: a public file's URL is permanent, a
    private file's is signed and expires (`url` in the file's answers)."""
    file = await service.file_for_download(session, clock, file_id, expires, signature)
    cache = "public, max-age=86400" if file.visibility == "public" else "private, no-store"
    return StreamingResponse(
        file_storage(request).stream(file.storage_key),
        media_type=file.content_type,
        headers={"Content-Length": str(file.size), "Cache-Control": cache},
    )
