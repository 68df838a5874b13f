"""`inspect_media`: what the bytes are, their size limit, and the sides read from headers."""

from __future__ import annotations

import pytest

from adline.files.media import (
    MAX_BYTES,
    MediaFacts,
    MediaRefused,
    content_type_of_name,
    inspect_media,
)
from tests.files.helpers import gif, jpeg, mp3, mp4, png, webp


async def inspect(data: bytes, declared: str, size: int | None = None) -> MediaFacts:
    async def read(offset: int, length: int) -> bytes:
        return data[offset : offset + length]

    return await inspect_media(read, len(data) if size is None else size, declared)


@pytest.mark.parametrize(
    ("data", "declared", "facts"),
    [
        (png(1080, 1350), "image/png", MediaFacts("image/png", "image", 1080, 1350)),
        (jpeg(1200, 628), "image/jpeg", MediaFacts("image/jpeg", "image", 1200, 628)),
        # The frame header after a 30 KB EXIF segment: found by walking the segments.
        (
            jpeg(1200, 628, exif_bytes=30_000),
            "image/jpeg",
            MediaFacts("image/jpeg", "image", 1200, 628),
        ),
        (gif(600, 600), "image/gif", MediaFacts("image/gif", "image", 600, 600)),
        (webp(1080, 1920), "image/webp", MediaFacts("image/webp", "image", 1080, 1920)),
        (
            mp4(1920, 1080, seconds=12),
            "video/mp4",
            MediaFacts("video/mp4", "video", 1920, 1080, 12.0),
        ),
        (
            mp4(720, 1280, moov_last=False, brand=b"qt  "),
            "video/quicktime",
            MediaFacts("video/quicktime", "video", 720, 1280, 15.0),
        ),
        (mp3(), "audio/mpeg", MediaFacts("audio/mpeg", "audio")),
    ],
)
async def test_each_kind_is_recognised_and_measured(
    data: bytes, declared: str, facts: MediaFacts
) -> None:
    assert await inspect(data, declared) == facts


@pytest.mark.parametrize(
    ("data", "declared", "message"),
    [
        (b"", "image/png", "The file is empty."),
        (b"%PDF-1.7 not an image", "image/png", "are not a PNG, JPEG, GIF, WebP, MP4, MOV or MP3"),
        (jpeg(), "image/png", "promised image/png, but its bytes are image/jpeg"),
        (mp4(brand=b"qt  "), "video/mp4", "promised video/mp4, but its bytes are video/quicktime"),
        (png(99, 500), "image/png", "width is 99 px; each side must be between 100 and 16384"),
        (gif(600, 20000), "image/gif", "height is 20000 px"),
        (mp4(video=False), "video/mp4", "The file has no video track."),
        (mp4()[:40], "video/mp4", "'mdat' box at byte 24 is malformed"),
        (jpeg()[:24], "image/jpeg", "no frame header (SOF)"),
        (webp()[:20], "image/webp", "no readable VP8, VP8L or VP8X header"),
    ],
)
async def test_refusals_say_what_is_wrong(data: bytes, declared: str, message: str) -> None:
    with pytest.raises(MediaRefused) as refused:
        await inspect(data, declared)
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("data", "declared", "kind"),
    [(png(), "image/png", "image"), (mp4(), "video/mp4", "video"), (mp3(), "audio/mpeg", "audio")],
)
async def test_each_kind_has_its_size_limit(data: bytes, declared: str, kind: str) -> None:
    limit = MAX_BYTES[kind]
    assert (await inspect(data, declared, size=limit)).media_type == kind
    with pytest.raises(MediaRefused) as refused:
        await inspect(data, declared, size=limit + 1)
    assert f"may be at most {limit} bytes" in refused.value.message


def test_the_name_promises_a_content_type() -> None:
    assert content_type_of_name("Spring.PNG") == "image/png"
    assert content_type_of_name("clip.final.mov") == "video/quicktime"
    assert content_type_of_name("terms.pdf") is None
    assert content_type_of_name(".png") is None
    assert content_type_of_name("png") is None
