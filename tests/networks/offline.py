"""No test reaches a real network: a worker serving connections gets a transport for every
platform. Connections other tests left in the shared store reach `foreign_token`, which
answers as the network answers a token it does not know, so the worker marks them broken
once and leaves them alone (instead of the real API, which is not reachable offline)."""

from __future__ import annotations

import json

import httpx

# Graph's answer to a token it does not accept (networks.md §1.7), and TikTok's (§3.4).
_META_REFUSAL = {
    "error": {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
        "fbtrace_id": "offline",
    }
}
_TIKTOK_REFUSAL = {
    "code": 40105,
    "message": "Access token is invalid or expired.",
    "request_id": "offline",
    "data": {},
}


def _refuse(request: httpx.Request) -> httpx.Response:
    if "open_api" in request.url.path:
        return httpx.Response(200, content=json.dumps(_TIKTOK_REFUSAL).encode())
    return httpx.Response(400, content=json.dumps(_META_REFUSAL).encode())


async def no_wait(seconds: float) -> None:
    """The clients' waits (retries, report polls), on a test's manual clock."""


def offline_transports(
    **given: httpx.AsyncBaseTransport,
) -> dict[str, httpx.AsyncBaseTransport]:
    """`given` (platform -> transport, e.g. a fake's), and a refusing one for the rest."""
    refusing = httpx.MockTransport(_refuse)
    return {platform: given.get(platform, refusing) for platform in ("meta", "tiktok")}
