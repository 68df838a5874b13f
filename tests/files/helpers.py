"""Small real media files, built byte by byte, and a helper that uploads one through the API.

The images are headers a decoder would start from (the PNG is a whole, valid image); the
videos are ISO base media files with a movie header, one video track and some media data,
`moov` after `mdat` when asked (as cameras write them), so the box walk has to find it.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import httpx


def png(width: int = 1080, height: int = 1080) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int = 1200, height: int = 628, *, exif_bytes: int = 0) -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    segments = b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
    if exif_bytes:  # an APP1 segment before the frame header, as cameras write
        exif = b"Exif\x00\x00" + b"\x00" * exif_bytes
        segments += b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    segments += b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame
    return (
        b"\xff\xd8"
        + segments
        + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
        + b"\x00" * 32
        + b"\xff\xd9"
    )


def gif(width: int = 600, height: int = 600) -> bytes:
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + b",\x00\x00\x00\x00;"


def webp(width: int = 1080, height: int = 1920) -> bytes:
    vp8x = (
        b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    chunk = b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def _box(kind: bytes, *content: bytes) -> bytes:
    body = b"".join(content)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _track(handler: bytes, width: int, height: int) -> bytes:
    tkhd = (
        b"\x00\x00\x00\x07"  # version 0, flags
        + struct.pack(">IIIII", 0, 0, 1, 0, 0)
        + b"\x00" * 8
        + b"\x00" * 8  # layer, alternate group, volume, reserved
        + b"\x00" * 36  # matrix
        + struct.pack(">II", width << 16, height << 16)
    )
    hdlr = b"\x00" * 8 + handler + b"\x00" * 12 + b"track\x00"
    return _box(b"trak", _box(b"tkhd", tkhd), _box(b"mdia", _box(b"hdlr", hdlr)))


def mp4(
    width: int = 1080,
    height: int = 1920,
    *,
    seconds: int = 15,
    brand: bytes = b"isom",
    media_bytes: int = 1024,
    moov_last: bool = True,
    video: bool = True,
) -> bytes:
    ftyp = _box(b"ftyp", brand, b"\x00\x00\x02\x00", brand, b"mp41")
    mvhd = b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, 1000, seconds * 1000) + b"\x00" * 80
    tracks = _track(b"soun", 0, 0) + (_track(b"vide", width, height) if video else b"")
    moov = _box(b"moov", _box(b"mvhd", mvhd), tracks)
    mdat = _box(b"mdat", b"\x00" * media_bytes)
    return ftyp + (mdat + moov if moov_last else moov + mdat)


def mp3(size: int = 2048) -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * (size - 14)


async def upload_file(
    client: httpx.AsyncClient, filename: str = "creative.png", content: bytes | None = None
) -> dict[str, Any]:
    """Create a file and PUT its bytes to the upload URL the create answered (with no API
    key, as a browser or a CDN would); the file it answers, ready."""
    created = await client.post("/files", json={"filename": filename})
    assert created.status_code == 200, created.text
    body = png() if content is None else content
    async with httpx.AsyncClient(transport=client._transport) as uploader:
        answer = await uploader.put(created.json()["upload_url"], content=body)
    assert answer.status_code == 200, answer.text
    ready: dict[str, Any] = answer.json()
    assert ready["upload_status"] == "ready"
    return ready


def upload_file_sync(api_url: str, key: str, filename: str = "creative.png") -> str:
    """`upload_file` for synchronous tests against a real server: the ready file's id."""
    created = httpx.post(
        f"{api_url}/files",
        json={"filename": filename},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert created.status_code == 200, created.text
    answer = httpx.put(created.json()["upload_url"], content=png())
    assert answer.status_code == 200, answer.text
    file_id: str = answer.json()["id"]
    return file_id


def customer_csv(header: list[str], rows: list[list[str]], *, newline: str = "\r\n") -> bytes:
    """A customer list as a spreadsheet saves it: UTF-8, comma-separated, CRLF lines, a field
    quoted when it holds a comma, a quote or a line break."""

    def field(value: str) -> str:
        if any(char in value for char in ',"\r\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [",".join(field(value) for value in row) for row in [header, *rows]]
    return (newline.join(lines) + newline).encode()
