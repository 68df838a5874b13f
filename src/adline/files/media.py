"""What an uploaded file really is: its content type from its first bytes (never from its
name), its size limit, and an image's or video's width and height read from its headers
(docs/files.md#checks).

Headers are parsed here rather than with an imaging library: only a few bytes of each file
are needed, read by range from the store, so a 4 GB video is never loaded, and nothing
decodes pixels a caller sent. MP4 and MOV are ISO base media files: the box tree is walked
(`moov` → `trak` → `tkhd` / `mdia` → `hdlr`) to the video track's `tkhd`, wherever in the
file `moov` sits.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

# Reads up to `length` bytes at `offset` of the stored file (fewer at its end).
RangeReader = Callable[[int, int], Awaitable[bytes]]

MediaType = Literal["image", "video", "audio", "text"]

# The content type a file's name promises, by extension: only what ads can show (images,
# videos) or play (a TikTok carousel's music, MP3), and the customer lists audiences take
# (CSV, checked by adline.files.customer_lists).
CONTENT_TYPES_BY_EXTENSION = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "mp3": "audio/mpeg",
    "csv": "text/csv",
}
MEDIA_TYPES: dict[str, MediaType] = {
    "image/png": "image",
    "image/jpeg": "image",
    "image/gif": "image",
    "image/webp": "image",
    "video/mp4": "video",
    "video/quicktime": "video",
    "audio/mpeg": "audio",
    "text/csv": "text",
}
# The largest file of each kind: Meta's ad image (30 MB) and video (4 GB) limits, the
# spec's 10 MB for a TikTok carousel's music, and 100 MB for a customer list (a CSV of
# hashed identifiers; an audience takes a bounded number of its rows per call).
MAX_BYTES: dict[str, int] = {
    "image": 30 * 1024**2,
    "video": 4 * 1024**3,
    "audio": 10 * 1024**2,
    "text": 100 * 1024**2,
}
# Each kind in a sentence ("an image may be at most ...").
KIND_NOUNS: dict[str, str] = {
    "image": "an image",
    "video": "a video",
    "audio": "an audio file",
    "text": "a customer list (CSV)",
}
# Each side of an image or a video, in pixels: smaller than any placement shows, or larger
# than any network takes, is refused.
MIN_SIDE_PIXELS = 100
MAX_SIDE_PIXELS = 16384

# How much of a JPEG's segments or an MP4's boxes is walked before giving up: a crafted
# file cannot make the walk run long.
MAX_SEGMENTS = 4096
MAX_BOXES = 4096

# Major brands of ISO base media files that are still images, not videos (HEIF, AVIF).
_IMAGE_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"}
# JPEG markers that start a frame and carry its size (SOF0-15 but DHT, JPG and DAC).
_JPEG_FRAME_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class MediaRefused(Exception):
    """The file is not what it claims, or breaks a limit; `message` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class MediaFacts:
    content_type: str
    media_type: MediaType
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


def content_type_of_name(filename: str) -> str | None:
    """The content type `filename`'s extension promises, or None for one Adline refuses."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem:
        return None
    return CONTENT_TYPES_BY_EXTENSION.get(extension.lower())


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return None
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def _png_size(head: bytes) -> tuple[int, int]:
    if head[12:16] != b"IHDR" or len(head) < 24:
        raise MediaRefused("The PNG file has no image header (IHDR).")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _gif_size(head: bytes) -> tuple[int, int]:
    if len(head) < 10:
        raise MediaRefused("The GIF file ends inside its header.")
    width, height = struct.unpack("<HH", head[6:10])
    return width, height


def _webp_size(head: bytes) -> tuple[int, int]:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8X" and len(head) >= 30:
        width = 1 + int.from_bytes(head[24:27], "little")
        height = 1 + int.from_bytes(head[27:30], "little")
        return width, height
    raise MediaRefused("The WebP file has no readable VP8, VP8L or VP8X header.")


async def _jpeg_size(read: RangeReader, size: int) -> tuple[int, int]:
    position = 2  # past SOI
    for _ in range(MAX_SEGMENTS):
        marker = await read(position, 4)
        if len(marker) < 2 or marker[0] != 0xFF:
            break
        kind = marker[1]
        if kind == 0xFF:  # a fill byte before the marker
            position += 1
            continue
        if kind in (0x01, *range(0xD0, 0xD8)):  # markers without a segment
            position += 2
            continue
        if kind in (0xD9, 0xDA) or len(marker) < 4:  # end of image, start of scan
            break
        length = int.from_bytes(marker[2:4], "big")
        if kind in _JPEG_FRAME_MARKERS:
            frame = await read(position + 4, 5)
            if len(frame) < 5:
                break
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        if length < 2 or position + 2 + length > size:
            break
        position += 2 + length
    raise MediaRefused("The JPEG file has no frame header (SOF) before its image data.")


async def _boxes(
    read: RangeReader, start: int, end: int, budget: list[int]
) -> AsyncIterator[tuple[bytes, int, int]]:
    """The boxes between `start` and `end`: (type, where the content starts, where the box
    ends). `budget` counts the boxes left to visit in the whole walk."""
    position = start
    while position + 8 <= end:
        budget[0] -= 1
        if budget[0] < 0:
            raise MediaRefused(f"The video file has more than {MAX_BOXES} boxes.")
        header = await read(position, 16)
        if len(header) < 8:
            raise MediaRefused("The video file ends inside a box header.")
        box_size, kind = struct.unpack(">I4s", header[:8])
        header_length = 8
        if box_size == 1:
            if len(header) < 16:
                raise MediaRefused("The video file ends inside a box header.")
            box_size = struct.unpack(">Q", header[8:16])[0]
            header_length = 16
        elif box_size == 0:  # the box runs to the end of its parent
            box_size = end - position
        if box_size < header_length or position + box_size > end:
            raise MediaRefused(
                f"The video file's {kind.decode('latin-1')!r} box at byte {position} is "
                "malformed (its size does not fit the file)."
            )
        yield kind, position + header_length, position + box_size
        position += box_size


async def _child(
    read: RangeReader, start: int, end: int, kind: bytes, budget: list[int]
) -> tuple[int, int] | None:
    async for found, content, box_end in _boxes(read, start, end, budget):
        if found == kind:
            return content, box_end
    return None


async def _video_facts(read: RangeReader, size: int) -> tuple[int, int, float | None]:
    budget = [MAX_BOXES]
    moov = await _child(read, 0, size, b"moov", budget)
    if moov is None:
        raise MediaRefused("The video file has no movie header (moov box).")
    duration: float | None = None
    mvhd = await _child(read, *moov, b"mvhd", budget)
    if mvhd is not None:
        header = await read(mvhd[0], 32)
        if header[:1] == b"\x01" and len(header) >= 32:
            timescale, length = struct.unpack(">IQ", header[20:32])
        elif len(header) >= 20:
            timescale, length = struct.unpack(">II", header[12:20])
        else:
            timescale = length = 0
        if timescale:
            duration = round(length / timescale, 3)
    async for kind, content, box_end in _boxes(read, *moov, budget):
        if kind != b"trak":
            continue
        mdia = await _child(read, content, box_end, b"mdia", budget)
        hdlr = None if mdia is None else await _child(read, *mdia, b"hdlr", budget)
        if hdlr is None or (await read(hdlr[0] + 8, 4)) != b"vide":
            continue
        tkhd = await _child(read, content, box_end, b"tkhd", budget)
        if tkhd is None or tkhd[1] - tkhd[0] < 8:
            raise MediaRefused("The video track has no track header (tkhd box).")
        # A track header ends with the width and height, 16.16 fixed-point numbers.
        width, height = struct.unpack(">II", await read(tkhd[1] - 8, 8))
        return width >> 16, height >> 16, duration
    raise MediaRefused("The file has no video track.")


def _check_sides(width: int, height: int, media_type: str) -> None:
    for side, pixels in (("width", width), ("height", height)):
        if not MIN_SIDE_PIXELS <= pixels <= MAX_SIDE_PIXELS:
            raise MediaRefused(
                f"The {media_type}'s {side} is {pixels} px; each side must be between "
                f"{MIN_SIDE_PIXELS} and {MAX_SIDE_PIXELS} px."
            )


async def inspect_media(read: RangeReader, size: int, declared: str) -> MediaFacts:
    """The facts of a stored file of `size` bytes whose name promised `declared`, or
    `MediaRefused` saying what is wrong with it."""
    if size == 0:
        raise MediaRefused("The file is empty.")
    head = await read(0, 64)
    actual = _sniff(head)
    if actual is None:
        raise MediaRefused(
            "The file's bytes are not a PNG, JPEG, GIF, WebP, MP4, MOV or MP3 file "
            f"(its name promised {declared})."
        )
    if actual != declared:
        raise MediaRefused(f"The file's name promised {declared}, but its bytes are {actual}.")
    media_type = MEDIA_TYPES[actual]
    limit = MAX_BYTES[media_type]
    if size > limit:
        raise MediaRefused(
            f"The file is {size} bytes; {KIND_NOUNS[media_type]} may be at most {limit} bytes."
        )
    if media_type == "audio":
        return MediaFacts(actual, media_type)
    duration: float | None = None
    if actual == "image/png":
        width, height = _png_size(head)
    elif actual == "image/gif":
        width, height = _gif_size(head)
    elif actual == "image/webp":
        width, height = _webp_size(head)
    elif actual == "image/jpeg":
        width, height = await _jpeg_size(read, size)
    else:
        width, height, duration = await _video_facts(read, size)
    _check_sides(width, height, media_type)
    return MediaFacts(actual, media_type, width, height, duration)
