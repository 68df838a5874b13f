"""Where uploaded bytes live: a small interface, a directory on local disk (the default) and
an S3-compatible bucket (docs/files.md#storage).

Bytes arrive as an async stream and are never held whole: the local store writes each chunk
as it comes; the S3 store sends parts of `S3_PART_BYTES` (S3's multipart upload), so one
upload holds at most one part in memory. boto3 blocks, so every call to it runs in a
thread, as every file-system call of the local store does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from adline.config import Settings

# What one read of a stored object asks for at most while streaming it (a copy).
READ_CHUNK_BYTES = 1024 * 1024
# The part size of the S3 store's multipart uploads: S3 takes parts of 5 MiB or more (but
# the last), and this many bytes is what an upload holds in memory.
S3_PART_BYTES = 8 * 1024 * 1024


class ObjectTooLarge(Exception):
    """The stream went on past `max_bytes`; nothing of it was kept."""


@dataclass(frozen=True)
class StoredObject:
    size: int
    # The MD5 of the bytes, hex: what a multipart part's `ETag` is.
    md5: str


class FileStorage(Protocol):
    async def write(
        self, key: str, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> StoredObject:
        """Store the stream under `key` (replacing what was there) and say what was stored;
        `ObjectTooLarge` once it passes `max_bytes`, nothing kept."""
        ...

    async def read(self, key: str, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset` (fewer at the end of the object)."""
        ...

    async def size(self, key: str) -> int | None:
        """The object's size, or None when there is no such object."""
        ...

    def stream(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove the objects; a missing one is no error."""
        ...


async def concatenate(
    storage: FileStorage, keys: list[str], destination: str, *, max_bytes: int
) -> StoredObject:
    """Store the objects `keys`, one after the other, as `destination` (the parts of a
    multipart upload, assembled), streamed: no object is read whole."""

    async def chained() -> AsyncIterator[bytes]:
        for key in keys:
            async for chunk in storage.stream(key):
                yield chunk

    return await storage.write(destination, chained(), max_bytes=max_bytes)


class LocalDiskStorage:
    """Objects as files under `root`; a key's slashes are directories."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # Keys are made by Adline, never by a caller; this only guards against a bug.
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key outside the store: {key!r}")
        return path

    def _open_partial(self, key: str) -> tuple[Path, Path, BinaryIO]:
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the final name, then renamed: a reader never sees half a file.
        partial = final.with_name(f"{final.name}.partial-{secrets.token_hex(4)}")
        return final, partial, partial.open("wb")

    async def write(
        self, key: str, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> StoredObject:
        final, partial, handle = await asyncio.to_thread(self._open_partial, key)
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            try:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise ObjectTooLarge
                    digest.update(chunk)
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, partial, final)
        except BaseException:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
            raise
        return StoredObject(size=size, md5=digest.hexdigest())

    def _read(self, key: str, offset: int, length: int) -> bytes:
        with self._path(key).open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    async def read(self, key: str, offset: int, length: int) -> bytes:
        return await asyncio.to_thread(self._read, key, offset, length)

    def _size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    async def size(self, key: str) -> int | None:
        return await asyncio.to_thread(self._size, key)

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        offset = 0
        while chunk := await self.read(key, offset, READ_CHUNK_BYTES):
            offset += len(chunk)
            yield chunk

    def _delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)

    async def delete(self, keys: Iterable[str]) -> None:
        await asyncio.to_thread(self._delete, list(keys))


class S3Storage:
    """Objects in one bucket of an S3-compatible store (AWS, MinIO, Ceph, R2...), under
    `prefix`."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
    ) -> None:
        import boto3  # only the S3 store needs it loaded

        self.bucket = bucket
        self.prefix = prefix
        # One client for the process: boto3 clients are safe to share between threads.
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    async def _call(self, method: str, **arguments: Any) -> Any:
        return await asyncio.to_thread(getattr(self.client, method), **arguments)

    async def write(
        self, key: str, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> StoredObject:
        target = {"Bucket": self.bucket, "Key": self._key(key)}
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []

        async def send_part() -> None:
            nonlocal upload_id
            if upload_id is None:
                upload_id = (await self._call("create_multipart_upload", **target))["UploadId"]
            number = len(parts) + 1
            answer = await self._call(
                "upload_part", **target, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            buffer.clear()

        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise ObjectTooLarge
                digest.update(chunk)
                buffer.extend(chunk)
                if len(buffer) >= S3_PART_BYTES:
                    await send_part()
            if upload_id is None:
                await self._call("put_object", **target, Body=bytes(buffer))
            else:
                if buffer:
                    await send_part()
                await self._call(
                    "complete_multipart_upload",
                    **target,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await self._call("abort_multipart_upload", **target, UploadId=upload_id)
            raise
        return StoredObject(size=size, md5=digest.hexdigest())

    async def read(self, key: str, offset: int, length: int) -> bytes:
        from botocore.exceptions import ClientError

        if length <= 0:
            return b""
        try:
            answer = await self._call(
                "get_object",
                Bucket=self.bucket,
                Key=self._key(key),
                Range=f"bytes={offset}-{offset + length - 1}",
            )
        except ClientError as error:
            # A range starting at or past the end: there is nothing more to read.
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""
            raise
        body = answer["Body"]
        try:
            data: bytes = await asyncio.to_thread(body.read)
        finally:
            body.close()
        return data

    async def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            answer = await self._call("head_object", Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(answer["ContentLength"])

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        offset = 0
        while chunk := await self.read(key, offset, S3_PART_BYTES):
            offset += len(chunk)
            yield chunk

    async def delete(self, keys: Iterable[str]) -> None:
        objects = [{"Key": self._key(key)} for key in keys]
        # DeleteObjects takes at most 1000 keys a call.
        for start in range(0, len(objects), 1000):
            await self._call(
                "delete_objects",
                Bucket=self.bucket,
                Delete={"Objects": objects[start : start + 1000], "Quiet": True},
            )


def storage_from_settings(settings: Settings) -> FileStorage:
    if settings.files_store == "local":
        return LocalDiskStorage(settings.files_root)
    if settings.files_store == "s3":
        if not settings.s3_bucket:
            raise ValueError("ADLINE_FILES_STORE=s3 needs ADLINE_S3_BUCKET")
        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
        )
    raise ValueError(f"ADLINE_FILES_STORE must be local or s3, not {settings.files_store!r}")
