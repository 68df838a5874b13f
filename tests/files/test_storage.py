"""Both stores behind `FileStorage`, directly: streamed writes larger than one S3 part (so
the S3 store's multipart path runs), ranges, the cap, concatenation and deletion."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adline.files.storage import (
    S3_PART_BYTES,
    FileStorage,
    LocalDiskStorage,
    ObjectTooLarge,
    S3Storage,
    concatenate,
)
from tests.files.conftest import make_bucket


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> FileStorage:
    if request.param == "local":
        return LocalDiskStorage(tmp_path / "files")
    endpoint: str = request.getfixturevalue("s3_endpoint")
    return S3Storage(
        make_bucket(endpoint),
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        prefix="p/",
    )


def pattern(size: int) -> bytes:
    return bytes(index % 251 for index in range(size))


async def chunks_of(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_large_stream_is_stored_and_read_back(storage: FileStorage) -> None:
    data = pattern(S3_PART_BYTES * 2 + 12_345)  # three S3 parts
    stored = await storage.write("c/f/content", chunks_of(data), max_bytes=len(data))
    assert (stored.size, stored.md5) == (len(data), hashlib.md5(data).hexdigest())
    assert await storage.size("c/f/content") == len(data)
    assert (
        await storage.read("c/f/content", S3_PART_BYTES - 3, 6)
        == data[S3_PART_BYTES - 3 : S3_PART_BYTES + 3]
    )
    assert await storage.read("c/f/content", len(data) - 2, 10) == data[-2:]
    assert await storage.read("c/f/content", len(data), 10) == b""
    assert b"".join([chunk async for chunk in storage.stream("c/f/content")]) == data

    await storage.delete(["c/f/content", "c/f/never-written"])
    assert await storage.size("c/f/content") is None


async def test_a_stream_past_its_cap_keeps_nothing(storage: FileStorage) -> None:
    data = pattern(S3_PART_BYTES + 10)
    with pytest.raises(ObjectTooLarge):
        await storage.write("c/f/big", chunks_of(data), max_bytes=S3_PART_BYTES + 9)
    assert await storage.size("c/f/big") is None


async def test_parts_are_concatenated(storage: FileStorage) -> None:
    parts = [pattern(1000), b"middle", pattern(70_000)]
    for number, part in enumerate(parts):
        await storage.write(f"c/f/parts/{number}", chunks_of(part), max_bytes=len(part))
    keys = [f"c/f/parts/{number}" for number in range(len(parts))]
    joined = await concatenate(storage, keys, "c/f/whole", max_bytes=10**6)
    assert joined.size == sum(map(len, parts))
    assert await storage.read("c/f/whole", 0, joined.size) == b"".join(parts)
