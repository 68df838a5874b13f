"""Customer lists (CSV) as files, on both stores: uploaded single-part or multipart, checked
when the bytes land (UTF-8, valid CSV, a header row, data rows), refused with the file left
pending, and never taken as an ad's creative (docs/files.md#customer-lists)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adline.files.customer_lists import rows
from adline.files.media import MediaRefused
from tests.audiences.helpers import sha256
from tests.files.conftest import CHUNK_BYTES
from tests.files.helpers import customer_csv, png, upload_file
from tests.helpers import assert_error

HASHES = [[sha256(f"buyer{n}@example.com"), sha256(f"+1555000{n:04d}")] for n in range(3)]


@pytest.fixture
async def uploader(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """No API key: what an upload URL is called with."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield http


async def create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    answer = await client.post("/files", json={"filename": "buyers.csv", **body})
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    return created


class TestUpload:
    async def test_a_csv_is_ready_once_its_bytes_land(self, client: httpx.AsyncClient) -> None:
        content = customer_csv(["Email", "Phone"], HASHES)
        created = await create(client)
        assert created["upload_headers"] == {"Content-Type": "text/csv"}
        ready = await upload_file(client, "buyers.csv", content)
        assert (ready["content_type"], ready["size"]) == ("text/csv", len(content))
        assert (ready["width"], ready["height"], ready["duration_seconds"]) == (None, None, None)
        download = await client.get(ready["url"])
        assert download.content == content
        assert download.headers["content-type"].startswith("text/csv")

    @pytest.mark.parametrize(
        ("content", "says"),
        [
            (b"", "empty"),
            (b"\r\n \r\n,,\r\n", "no header row"),
            (b"Email,Phone\r\n", "no data rows"),
            (b"Email,Phone\r\n\xe9a,b\r\n", "not UTF-8"),
            (png(), "not UTF-8"),
            (b"Email\r\nab\x00c\r\n", "NUL"),
            (b"Email,Phone\r\na,b\r\nc\r\n", "Row 3 has 1 field; the header row has 2"),
            (b"Email,Email\r\na,b\r\n", 'names the column "Email" twice'),
            (b'Email,Phone\r\n"a"b,c\r\n', "Row 2 is not valid CSV"),
            (b'Email,Phone\r\na,"b\r\nc,d\r\n', "Row 2 opens a quoted field that never closes"),
        ],
    )
    async def test_malformed_lists_are_refused_and_the_file_stays_pending(
        self,
        client: httpx.AsyncClient,
        uploader: httpx.AsyncClient,
        content: bytes,
        says: str,
    ) -> None:
        created = await create(client)
        answer = await uploader.put(created["upload_url"], content=content)
        error = assert_error(answer, 400, "file_invalid", None)
        assert says in error["message"] and "stays pending" in error["message"]
        assert (await client.get(f"/files/{created['id']}")).json()["upload_status"] == "pending"
        # The same URL takes a corrected list.
        fixed = await uploader.put(
            created["upload_url"], content=customer_csv(["Email", "Phone"], HASHES)
        )
        assert fixed.json()["upload_status"] == "ready", fixed.text

    async def test_the_size_limit_is_its_own(self, client: httpx.AsyncClient) -> None:
        answer = await client.post(
            "/files", json={"filename": "huge.csv", "byte_size": 100 * 1024**2 + 1}
        )
        error = assert_error(answer, 400, "parameter_invalid", "byte_size")
        assert "a customer list (CSV) may be at most 104857600 bytes" in error["message"]

    async def test_a_multipart_list_is_checked_on_complete(
        self, client: httpx.AsyncClient, uploader: httpx.AsyncClient
    ) -> None:
        many = [[sha256(f"p{n}@example.com"), f"Name, {n}"] for n in range(2000)]
        good = customer_csv(["Email", "Name"], many)
        bad = good + b'"unclosed\r\n'
        assert len(good) > 2 * CHUNK_BYTES

        async def upload(content: bytes) -> httpx.Response:
            created = await create(client, byte_size=len(content), multipart=True)
            parts = []
            for number, part in enumerate(created["multipart_upload_urls"]):
                chunk = content[number * CHUNK_BYTES : (number + 1) * CHUNK_BYTES]
                answer = await uploader.put(part["url"], content=chunk)
                parts.append({"part_number": number + 1, "etag": answer.headers["ETag"]})
            body = {"multipart_parts": parts, "multipart_upload_id": created["multipart_upload_id"]}
            return await client.post(f"/files/{created['id']}/complete", json=body)

        refused = await upload(bad)
        error = assert_error(refused, 400, "file_invalid", None)
        assert "Row 2002 opens a quoted field" in error["message"]
        done = await upload(good)
        assert (done.json()["upload_status"], done.json()["size"]) == ("ready", len(good))


async def read(content: bytes, chunk: int) -> list[tuple[int, list[str]]]:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), chunk):
            yield content[start : start + chunk]

    return [(row.number, row.cells) async for row in rows(chunks())]


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
async def test_the_reader_is_the_same_whatever_the_chunks(chunk: int) -> None:
    content = '\ufeffEmail , Note\n a@b , "x, ""y""\nz"\n\n,\n"é",last'.encode()
    assert await read(content, chunk) == [
        (1, ["Email", "Note"]),
        (2, ["a@b", 'x, "y"\nz']),
        (6, ["é", "last"]),
    ]
    with pytest.raises(MediaRefused, match="not UTF-8"):
        await read(b"Email\nab\n" + "é".encode()[:1], chunk)
