"""File rules: create, receive the bytes, complete a multipart upload, read, list, and what
an ad may reference (docs/files.md). Services only flush; the request owns the transaction.

The bytes of an upload are streamed to the store and checked (`adline.files.media`) before
the file's row is locked; the row is then updated only if the upload it was checked for is
still the file's. Bytes that fail a check are deleted at once, and the file stays `pending`
with its upload URLs, so the same URLs take a corrected upload.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from adline.ads.models import Ad
from adline.auth.service import Principal
from adline.config import Settings
from adline.core.clock import Clock
from adline.core.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    ParameterMissing,
    PayloadTooLarge,
)
from adline.core.ids import is_well_formed_id, new_id, random_base62
from adline.core.pagination import MAX_PAGE_SIZE, Direction, Page, PageRequest, paginate
from adline.core.timestamps import format_timestamp
from adline.files import customer_lists, repository
from adline.files.media import (
    CONTENT_TYPES_BY_EXTENSION,
    KIND_NOUNS,
    MAX_BYTES,
    MEDIA_TYPES,
    MediaFacts,
    MediaRefused,
    content_type_of_name,
    inspect_media,
)
from adline.files.models import File
from adline.files.schemas import FileComplete, FileCreate
from adline.files.storage import FileStorage, ObjectTooLarge, concatenate

# Whop's limits: a multipart upload has at most 10,000 parts; a list takes 250 ids.
MAX_PARTS = 10_000
MAX_LISTED_IDS = 250
# How long a private file's download URL works, from the answer that carried it.
DOWNLOAD_URL_TTL = timedelta(hours=1)


class FileRefused(InvalidRequest):
    """400: the uploaded bytes are not a file Adline takes (docs/files.md#checks)."""

    code = "file_invalid"


class UploadForbidden(Forbidden):
    code = "invalid_upload_token"


class FileAlreadyComplete(Conflict):
    code = "file_already_complete"


class DownloadExpired(Forbidden):
    code = "download_url_expired"


@dataclass(frozen=True)
class CreatedFile:
    file: File
    # The secret of the upload URLs: answered once, never stored (its hash is).
    upload_token: str


@dataclass(frozen=True)
class ReceivedUpload:
    """Bytes stored under `key` and found to be `facts`, not yet recorded on the file."""

    key: str
    size: int
    facts: MediaFacts


@dataclass(frozen=True)
class ReceivedPart:
    part_number: int
    size: int
    etag: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def part_count(file: File) -> int:
    assert file.byte_size is not None and file.multipart_chunk_size is not None
    return math.ceil(file.byte_size / file.multipart_chunk_size)


def part_size(file: File, part_number: int) -> int:
    """The exact size of part `part_number`: the chunk size, the last part the rest."""
    assert file.byte_size is not None and file.multipart_chunk_size is not None
    if part_number < part_count(file):
        return file.multipart_chunk_size
    return file.byte_size - file.multipart_chunk_size * (part_count(file) - 1)


def _folder(file: File) -> str:
    return f"{file.company_id}/{file.id}"


def _part_key(file: File, part_number: int) -> str:
    return f"{_folder(file)}/parts/{part_number}"


def _new_content_key(file: File) -> str:
    # A fresh key per upload: a refused upload is deleted without touching one that passed.
    return f"{_folder(file)}/content-{random_base62(10)}"


# ---------------------------------------------------------------------------- create


async def create_file(
    session: AsyncSession, clock: Clock, principal: Principal, body: FileCreate, settings: Settings
) -> CreatedFile:
    content_type = content_type_of_name(body.filename)
    if content_type is None:
        extensions = ", ".join(f".{extension}" for extension in CONTENT_TYPES_BY_EXTENSION)
        raise InvalidRequest(
            f"Invalid value for filename: Adline stores images, videos and music for ads, and "
            f"customer lists (CSV) for audiences; the name must end in one of {extensions}.",
            param="filename",
        )
    media_type = MEDIA_TYPES[content_type]
    limit = min(MAX_BYTES[media_type], settings.files_max_upload_bytes)
    if body.byte_size is not None and body.byte_size > MAX_BYTES[media_type]:
        raise InvalidRequest(
            f"Invalid value for byte_size: {KIND_NOUNS[media_type]} may be at most "
            f"{MAX_BYTES[media_type]} bytes.",
            param="byte_size",
        )
    chunk: int | None = None
    if body.multipart:
        chunk = settings.files_multipart_chunk_bytes
        if body.byte_size is None:
            raise ParameterMissing(
                "Missing required parameter: byte_size (a multipart upload declares its size).",
                param="byte_size",
            )
        if body.byte_size <= chunk:
            raise InvalidRequest(
                f"Invalid value for multipart: a multipart upload is for files larger than "
                f"one part ({chunk} bytes); upload this one in a single PUT.",
                param="multipart",
            )
        if math.ceil(body.byte_size / chunk) > MAX_PARTS:
            raise InvalidRequest(
                f"Invalid value for byte_size: a multipart upload has at most {MAX_PARTS} "
                f"parts of {chunk} bytes.",
                param="byte_size",
            )
    elif body.byte_size is not None and body.byte_size > limit:
        raise InvalidRequest(
            f"Invalid value for byte_size: one PUT takes at most {limit} bytes; create the "
            "file with multipart: true.",
            param="byte_size",
        )
    token = secrets.token_urlsafe(32)
    now = clock.now()
    file_id = new_id("file")
    file = File(
        id=file_id,
        company_id=principal.company_id,
        filename=body.filename,
        content_type=content_type,
        byte_size=body.byte_size,
        visibility=body.visibility or "private",
        upload_status="pending",
        storage_key=f"{principal.company_id}/{file_id}",
        multipart_upload_id=None if chunk is None else f"upload_{random_base62(24)}",
        multipart_chunk_size=chunk,
        uploaded_parts=None if chunk is None else {},
        upload_token_hash=_token_hash(token),
        upload_expires_at=now + timedelta(seconds=settings.files_upload_url_ttl_seconds),
        created_at=now,
        updated_at=now,
    )
    session.add(file)
    await session.flush()
    return CreatedFile(file, token)


# ---------------------------------------------------------------------------- upload


def _check_upload(file: File | None, clock: Clock, token: str, part_number: int | None) -> File:
    # One answer for an unknown file and a wrong token: the URL names nothing it may use.
    if (
        file is None
        or file.upload_token_hash is None
        or not hmac.compare_digest(file.upload_token_hash, _token_hash(token))
    ):
        raise UploadForbidden("This upload URL is not valid: its token does not match a file.")
    if file.upload_status == "ready":
        raise FileAlreadyComplete(f"File {file.id} is already uploaded and ready.")
    assert file.upload_expires_at is not None
    if clock.now() >= file.upload_expires_at:
        raise UploadForbidden(
            f"This upload URL expired at {format_timestamp(file.upload_expires_at)}; create "
            "the file again for a new one."
        )
    if part_number is None and file.multipart_upload_id is not None:
        raise InvalidRequest(
            f"File {file.id} is a multipart upload: PUT its parts to multipart_upload_urls."
        )
    if part_number is not None:
        if file.multipart_upload_id is None:
            raise InvalidRequest(f"File {file.id} is a single-part upload: PUT it to upload_url.")
        if not 1 <= part_number <= part_count(file):
            raise InvalidRequest(
                f"Invalid value for part_number: file {file.id} has parts 1 to {part_count(file)}.",
                param="part_number",
            )
    return file


async def authorize_upload(
    session: AsyncSession, clock: Clock, file_id: str, token: str, part_number: int | None = None
) -> File:
    """The pending file an upload URL names, or why its bytes cannot be taken: 403 for a
    wrong or expired token, 409 once the file is ready, 400 for the wrong kind of URL."""
    file = await repository.file_for_upload(session, file_id)
    return _check_upload(file, clock, token, part_number)


def _upload_limit(file: File, settings: Settings) -> int:
    return min(MAX_BYTES[MEDIA_TYPES[file.content_type]], settings.files_max_upload_bytes)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The upload is larger than this file may be ({limit} bytes).")


async def _inspect(storage: FileStorage, file: File, key: str, size: int) -> MediaFacts:
    async def read(offset: int, length: int) -> bytes:
        return await storage.read(key, offset, length)

    try:
        if file.byte_size is not None and size != file.byte_size:
            raise MediaRefused(
                f"The upload is {size} bytes, but the file was created with byte_size "
                f"{file.byte_size}."
            )
        if file.content_type == customer_lists.CSV_CONTENT_TYPE:
            return await customer_lists.inspect_customer_list(storage.stream(key), size)
        return await inspect_media(read, size, file.content_type)
    except MediaRefused as refused:
        await storage.delete([key])
        raise FileRefused(
            f"{refused.message} File {file.id} stays pending; upload it again."
        ) from None


async def receive_upload(
    storage: FileStorage, file: File, chunks: AsyncIterator[bytes], settings: Settings
) -> ReceivedUpload:
    """Stream a single-part upload to the store and check it; nothing recorded yet."""
    key = _new_content_key(file)
    limit = _upload_limit(file, settings)
    try:
        stored = await storage.write(key, chunks, max_bytes=limit)
    except ObjectTooLarge:
        raise _too_large(limit) from None
    facts = await _inspect(storage, file, key, stored.size)
    return ReceivedUpload(key, stored.size, facts)


def _mark_ready(file: File, clock: Clock, key: str, size: int, facts: MediaFacts) -> None:
    now = clock.now()
    file.upload_status = "ready"
    file.storage_key = key
    file.size = size
    file.width = facts.width
    file.height = facts.height
    file.duration_seconds = facts.duration_seconds
    # The token's hash stays: its URLs then answer 409 (already uploaded), not 403.
    file.uploaded_parts = None
    file.completed_at = now
    file.updated_at = now


async def finish_upload(
    session: AsyncSession,
    clock: Clock,
    storage: FileStorage,
    file_id: str,
    token: str,
    received: ReceivedUpload,
) -> File:
    """Record a checked single-part upload: the file is ready."""
    try:
        file = _check_upload(
            await repository.file_for_upload(session, file_id, for_update=True), clock, token, None
        )
    except Exception:
        # Another upload finished first (or the URL expired meanwhile): these bytes are no one's.
        await storage.delete([received.key])
        raise
    _mark_ready(file, clock, received.key, received.size, received.facts)
    await session.flush()
    return file


async def receive_part(
    storage: FileStorage, file: File, part_number: int, chunks: AsyncIterator[bytes]
) -> ReceivedPart:
    """Stream one part of a multipart upload to the store; it must be exactly its size."""
    expected = part_size(file, part_number)
    key = _part_key(file, part_number)
    try:
        stored = await storage.write(key, chunks, max_bytes=expected)
    except ObjectTooLarge:
        raise PayloadTooLarge(
            f"Part {part_number} of file {file.id} must be exactly {expected} bytes."
        ) from None
    if stored.size != expected:
        await storage.delete([key])
        raise InvalidRequest(
            f"Part {part_number} of file {file.id} must be exactly {expected} bytes; "
            f"{stored.size} arrived.",
            param="part_number",
        )
    return ReceivedPart(part_number, stored.size, f'"{stored.md5}"')


async def finish_part(
    session: AsyncSession, clock: Clock, file_id: str, token: str, part: ReceivedPart
) -> File:
    file = _check_upload(
        await repository.file_for_upload(session, file_id, for_update=True),
        clock,
        token,
        part.part_number,
    )
    # A new dict: the JSON column is saved when it is replaced, not when mutated.
    file.uploaded_parts = {
        **(file.uploaded_parts or {}),
        str(part.part_number): {"etag": part.etag, "size": part.size},
    }
    file.updated_at = clock.now()
    await session.flush()
    return file


# ---------------------------------------------------------------------------- complete


async def get_file(
    session: AsyncSession, company_id: str, file_id: str, *, for_update: bool = False
) -> File:
    """The company's file, or 404: the same answer for another company's and for none."""
    file = await repository.find_file(session, company_id, file_id, for_update=for_update)
    if file is None:
        raise NotFound(f"No file with id {file_id}.", param="id")
    return file


def _check_parts(file: File, body: FileComplete) -> None:
    if file.upload_status == "ready":
        raise FileAlreadyComplete(f"File {file.id} is already complete.")
    if file.multipart_upload_id is None:
        raise InvalidRequest(
            f"Invalid value for multipart_upload_id: file {file.id} is a single-part upload, "
            "complete once its bytes are PUT to upload_url; only multipart uploads are "
            "completed.",
            param="multipart_upload_id",
        )
    if not hmac.compare_digest(body.multipart_upload_id, file.multipart_upload_id):
        raise InvalidRequest(
            f"Invalid value for multipart_upload_id: it is not file {file.id}'s upload.",
            param="multipart_upload_id",
        )
    count = part_count(file)
    uploaded = file.uploaded_parts or {}
    for index, part in enumerate(body.multipart_parts):
        if part.part_number != index + 1:
            raise InvalidRequest(
                f"Invalid value for multipart_parts[{index}].part_number: list the parts in "
                f"order, 1 to {count}; expected {index + 1}.",
                param=f"multipart_parts[{index}].part_number",
            )
        if index >= count:
            raise InvalidRequest(
                f"Invalid value for multipart_parts: file {file.id} has {count} parts.",
                param="multipart_parts",
            )
        received = uploaded.get(str(part.part_number))
        if received is None:
            raise InvalidRequest(
                f"Invalid value for multipart_parts[{index}]: part {part.part_number} has not "
                "been uploaded.",
                param=f"multipart_parts[{index}].part_number",
            )
        if part.etag.strip('"') != str(received["etag"]).strip('"'):
            raise InvalidRequest(
                f"Invalid value for multipart_parts[{index}].etag: it is not the ETag part "
                f"{part.part_number}'s upload answered.",
                param=f"multipart_parts[{index}].etag",
            )
    if len(body.multipart_parts) < count:
        raise InvalidRequest(
            f"Invalid value for multipart_parts: file {file.id} has {count} parts; "
            f"{len(body.multipart_parts)} listed.",
            param="multipart_parts",
        )


async def complete_file(
    session: AsyncSession,
    clock: Clock,
    principal: Principal,
    storage: FileStorage,
    file_id: str,
    body: FileComplete,
    settings: Settings,
) -> File:
    """Assemble a multipart upload's parts, check the file, and make it ready."""
    file = await get_file(session, principal.company_id, file_id)
    _check_parts(file, body)
    parts = [_part_key(file, number) for number in range(1, part_count(file) + 1)]
    key = _new_content_key(file)
    limit = _upload_limit(file, settings)
    try:
        stored = await concatenate(storage, parts, key, max_bytes=limit)
    except ObjectTooLarge:
        raise _too_large(limit) from None
    facts = await _inspect(storage, file, key, stored.size)
    # Checked without a lock (assembling takes a while); recorded only if nothing changed.
    await session.refresh(file, with_for_update=True)
    try:
        _check_parts(file, body)
    except Exception:
        await storage.delete([key])
        raise
    _mark_ready(file, clock, key, stored.size, facts)
    await session.flush()
    await storage.delete(parts)
    return file


# ---------------------------------------------------------------------------- download


def _download_signature(file: File, expires: int) -> str:
    # Keyed by the upload token's hash, which never leaves the store: no server-wide secret
    # to configure and share between workers (only the uploader could derive it).
    assert file.upload_token_hash is not None
    key = bytes.fromhex(file.upload_token_hash)
    return hmac.new(key, f"{file.id}:{expires}".encode(), hashlib.sha256).hexdigest()


def download_query(file: File, clock: Clock) -> dict[str, str] | None:
    """The query of the file's download URL: none for a public file, a signature and its
    expiry for a private one; None until the file is ready."""
    if file.upload_status != "ready":
        return None
    if file.visibility == "public":
        return {}
    expires = int((clock.now() + DOWNLOAD_URL_TTL).timestamp())
    return {"expires": str(expires), "signature": _download_signature(file, expires)}


async def file_for_download(
    session: AsyncSession, clock: Clock, file_id: str, expires: str | None, signature: str | None
) -> File:
    """The ready file a download URL names. A private file needs the URL's signature; a
    wrong one answers as a file that does not exist (the URL reveals nothing)."""
    file = await repository.file_for_upload(session, file_id)
    missing = NotFound(f"No file with id {file_id}.", param="id")
    if file is None or file.upload_status != "ready":
        raise missing
    if file.visibility == "public":
        return file
    if not (expires and expires.isdigit() and len(expires) <= 12 and signature):
        raise missing
    if not hmac.compare_digest(signature, _download_signature(file, int(expires))):
        raise missing
    if clock.now().timestamp() >= int(expires):
        raise DownloadExpired(
            "This download URL has expired; retrieve the file (GET /files/{id}) for a fresh one."
        )
    return file


# ---------------------------------------------------------------------------- read


async def list_files(
    session: AsyncSession,
    principal: Principal,
    *,
    file_ids: list[str] | None,
    page: PageRequest,
    direction: Direction,
) -> Page[File]:
    """One page of the company's files, those named in `file_ids` when given (ids of no
    file of the company are left out)."""
    statement = repository.readable_files(principal.company_id)
    if file_ids is not None:
        if len(file_ids) > MAX_LISTED_IDS:
            raise InvalidRequest(
                f"Invalid value for file_ids: at most {MAX_LISTED_IDS} ids per request.",
                param="file_ids",
            )
        statement = statement.where(File.id.in_(set(file_ids)))
        if page.first is None and page.last is None:
            # Whop answers a batch of up to 100 in one page (either way it is paged).
            size = max(1, min(len(set(file_ids)), MAX_PAGE_SIZE))
            page = (
                PageRequest(last=size, before=page.before)
                if page.backward
                else PageRequest(first=size, after=page.after)
            )
    return await paginate(
        session, statement, model=File, order="created_at", direction=direction, page=page
    )


def file_object(
    file: File,
    *,
    url: str | None = None,
    upload_url: str | None = None,
    multipart_upload_urls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The file as whop-sdk's `File`; the upload fields only in a create's answer. `url` is
    the download URL (`download_query`), made by the router, which knows the address."""
    body: dict[str, Any] = {
        "id": file.id,
        "object": "file",
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "upload_status": file.upload_status,
        "visibility": file.visibility,
        "url": url,
        "width": file.width,
        "height": file.height,
        "duration_seconds": file.duration_seconds,
        "blurhash": None,
        "waveform_url": None,
        "removed_by_moderation": False,
        "created_at": format_timestamp(file.created_at),
    }
    if upload_url is not None:
        body["upload_url"] = upload_url
        body["upload_headers"] = {"Content-Type": file.content_type}
    if multipart_upload_urls is not None:
        body["upload_headers"] = {"Content-Type": file.content_type}
        body["multipart_upload_id"] = file.multipart_upload_id
        body["multipart_chunk_size"] = file.multipart_chunk_size
        body["multipart_upload_urls"] = multipart_upload_urls
    return body


# ---------------------------------------------------------------------------- audiences


async def customer_list_file(
    session: AsyncSession, company_id: str, file_id: str, *, param: str = "file_id"
) -> File:
    """The company's ready customer list (CSV) `file_id`, for an audience: 404 when the
    company has no such file (another company's reads the same), 400 when its upload has not
    completed or it is not a CSV."""
    file = (
        await repository.find_file(session, company_id, file_id)
        if is_well_formed_id(file_id)
        else None
    )
    if file is None:
        raise NotFound(f"No file with id {file_id}.", param=param)
    if file.content_type != customer_lists.CSV_CONTENT_TYPE:
        raise _unusable(
            param,
            f"file {file_id} is {file.content_type}, not a customer list (a CSV file, "
            "uploaded through POST /files with a name ending in .csv).",
        )
    if file.upload_status != "ready":
        raise _unusable(
            param, f"file {file_id} is {file.upload_status}: its upload has not completed."
        )
    return file


def customer_list_rows(
    storage: FileStorage, file: File
) -> AsyncGenerator[customer_lists.Row, None]:
    """A ready customer list's header, then its data rows, streamed from the store (checked
    as they were when its bytes landed: `customer_lists.rows`)."""
    return customer_lists.rows(storage.stream(file.storage_key))


# ---------------------------------------------------------------------------- ads


def _unusable(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for {param}: {message}", param=param)


async def check_ad_files(session: AsyncSession, ad: Ad) -> None:
    """An ad's creatives and music name ready files of its own company: images or videos
    for creatives, MP3 for music. Each creative's `media_type` is set from its file."""
    creatives = list(ad.creatives or [])
    wanted = [creative["id"] for creative in creatives]
    if ad.music is not None:
        wanted.append(ad.music["id"])
    files = await repository.files_by_id(session, ad.company_id, wanted)

    def usable(file_id: str, param: str) -> File:
        file = files.get(file_id)
        if file is None:
            raise _unusable(
                param, f"this account has no file {file_id}; upload it with POST /files first."
            )
        if file.upload_status != "ready":
            raise _unusable(
                param, f"file {file_id} is {file.upload_status}: its upload has not completed."
            )
        return file

    typed = []
    for index, creative in enumerate(creatives):
        param = f"creatives[{index}].id"
        media_type = MEDIA_TYPES[usable(creative["id"], param).content_type]
        if media_type not in ("image", "video"):
            raise _unusable(param, f"file {creative['id']} is {media_type}, not an image or video.")
        typed.append({**creative, "media_type": media_type})
    if typed != creatives:
        ad.creatives = typed
    if ad.music is not None:
        music = usable(ad.music["id"], "music.id")
        if MEDIA_TYPES[music.content_type] != "audio":
            raise _unusable("music.id", f"file {music.id} is not audio (MP3).")
