"""Ad networks, and the `X-Ads-Platform` guard on writes (spec A.2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from adline.core.errors import Conflict, InvalidRequest

PLATFORM_HEADER = "X-Ads-Platform"
# The optional header as a FastAPI parameter of the write endpoints.
PlatformHeader = Annotated[str | None, Header(alias=PLATFORM_HEADER)]
HEADER_PLATFORMS = ("meta", "google", "tiktok")


def check_platform_header(header: str | None, platform: str) -> None:
    """The caller echoes the platform it last read; a different current platform is a 409."""
    if header is None:
        return
    value = header.strip().lower()
    if value not in HEADER_PLATFORMS:
        raise InvalidRequest(
            f"Invalid value for {PLATFORM_HEADER}: must be one of {', '.join(HEADER_PLATFORMS)}.",
            param=PLATFORM_HEADER,
        )
    if value != platform:
        raise Conflict(
            f"The object now runs on {platform}, not {value}; read it again before changing it.",
            code="campaign_changed",
        )
