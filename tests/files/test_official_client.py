"""whop-sdk 2.6.0's own `client.files` (create, retrieve, list, complete), unmodified, against
the tests' app in process: a single-part upload and a multipart one, on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from whop_sdk import AsyncWhop, BadRequestError, NotFoundError
from whop_sdk.files.types import CompleteFilesRequestMultipartPartsItem

from adline.core.clock import ManualClock
from tests.files.conftest import CHUNK_BYTES
from tests.files.helpers import mp4, png


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield http


async def test_a_single_part_upload(
    whop: AsyncWhop, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    image = png(1080, 1350)
    created = await whop.files.create(filename="spring.png", byte_size=len(image))
    assert created.id.startswith("file_") and created.object == "file"
    assert (created.upload_status, created.visibility, created.size) == ("pending", "private", None)
    assert created.upload_url and created.multipart_upload_urls is None

    # The upload URL needs no API key: its token is the credential.
    put = await http.put(created.upload_url, content=image, headers=created.upload_headers)
    assert put.status_code == 200, put.text

    ready = await whop.files.retrieve(created.id)
    assert (ready.upload_status, ready.content_type, ready.size) == (
        "ready",
        "image/png",
        len(image),
    )
    assert (ready.width, ready.height, ready.filename) == (1080, 1350, "spring.png")
    assert ready.upload_url is None  # only a create's answer says where to upload
    assert ready.url is not None  # private: signed and expiring, but no key needed
    assert (await http.get(ready.url)).content == image

    clock.advance(timedelta(seconds=1))
    other = await whop.files.create(filename="other.png")
    listed = [item.id async for item in await whop.files.list(file_ids=[created.id])]
    assert listed == [created.id]
    everything = [item.id async for item in await whop.files.list()]
    assert everything == [other.id, created.id]  # newest first

    with pytest.raises(NotFoundError):
        await whop.files.retrieve("file_AAAAAAAAAAAAAA")


async def test_a_multipart_upload(whop: AsyncWhop, http: httpx.AsyncClient) -> None:
    video = mp4(1080, 1920, seconds=30, media_bytes=3 * CHUNK_BYTES)
    created = await whop.files.create(filename="launch.mp4", byte_size=len(video), multipart=True)
    assert created.multipart_upload_id and created.multipart_chunk_size == CHUNK_BYTES
    urls = created.multipart_upload_urls or []
    assert [url.part_number for url in urls] == [1, 2, 3, 4]

    parts = []
    for url in urls:
        start = (url.part_number - 1) * CHUNK_BYTES
        put = await http.put(url.url, content=video[start : start + CHUNK_BYTES])
        assert put.status_code == 200, put.text
        parts.append(
            CompleteFilesRequestMultipartPartsItem(
                part_number=url.part_number, etag=put.headers["ETag"]
            )
        )
    assert (await whop.files.retrieve(created.id)).upload_status == "pending"

    with pytest.raises(BadRequestError) as refused:
        await whop.files.complete(
            created.id, multipart_parts=parts[:3], multipart_upload_id=created.multipart_upload_id
        )
    assert refused.value.body["error"]["param"] == "multipart_parts"

    done = await whop.files.complete(
        created.id, multipart_parts=parts, multipart_upload_id=created.multipart_upload_id
    )
    assert (done.upload_status, done.content_type, done.size) == ("ready", "video/mp4", len(video))
    assert (done.width, done.height, done.duration_seconds) == (1080, 1920, 30.0)
    assert (await whop.files.retrieve(created.id)).upload_status == "ready"
