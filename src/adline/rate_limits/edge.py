"""Where requests are charged, and the headers every answer carries.

- An authenticated request is charged to its API key's bucket by the auth dependency, right
  after the key is known (before its scopes are checked and before any work).
- A request without `Authorization` is charged to its client address's bucket before the
  app runs; one whose key fails (401, or 403 `ip_not_allowed`) when it fails.
- A request answered before authentication (an unknown route, a malformed path or body,
  an unknown version) is charged when its answer starts: to its key's bucket when the key
  was authenticated lately in this process (`KEY_CACHE`), else to its address's; an empty
  bucket turns that answer into the 429.

Only paths under `/api/` are limited (`/healthz` is not). A 429 says `Retry-After`;
`X-RateLimit-Limit`, `-Remaining` and `-Reset` are on every answer, a crash's included.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adline.auth.service import KEY_CACHE, hash_secret
from adline.core.errors import RESPONSE_HEADERS_STATE, error_response
from adline.rate_limits.limiter import (
    Limit,
    RateLimited,
    RateLimiter,
    address_bucket,
    key_bucket,
    pixel_bucket,
)

# `request.state` key: this request's decision (or OFF when its limit is off).
RATE_LIMIT_STATE = "rate_limit"
OFF = "off"
LIMITED_PREFIX = "/api/"


async def _charge(
    state: dict[str, Any], app: Any, bucket_id: str, limit: Limit, whose: str
) -> None:
    """Take a token from `bucket_id` for this request (once per request); 429 when none is
    left."""
    if RATE_LIMIT_STATE in state:
        return
    limiter: RateLimiter = app.state.rate_limiter
    decision = await limiter.take(app.state.engine, bucket_id, limit)
    if decision is None:
        state[RATE_LIMIT_STATE] = OFF
        return
    state[RATE_LIMIT_STATE] = decision
    headers = decision.headers(app.state.clock)
    state[RESPONSE_HEADERS_STATE] = headers
    if not decision.allowed:
        raise RateLimited(
            f"Too many requests {whose}: at most {limit.burst} at once, refilled at "
            f"{limit.per_second:g} a second. Retry after {decision.retry_after} s.",
            headers=headers,
        )


def _state(request: Request) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


async def charge_key(request: Request, key_id: str) -> None:
    """The auth dependency, once the key is known."""
    limiter: RateLimiter = request.app.state.rate_limiter
    await _charge(
        _state(request), request.app, key_bucket(key_id), limiter.key_limit, "for this API key"
    )


async def charge_pixel(request: Request, pixel_id: str) -> None:
    """The public `POST /events?pixel_id=`, once the pixel is known: its bucket is charged
    too. The address's bucket was charged before the app ran; the pixel's decision
    replaces it in the answer's headers (the limit a site's traffic meets first)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    state = _state(request)
    state.pop(RATE_LIMIT_STATE, None)
    await _charge(state, request.app, pixel_bucket(pixel_id), limiter.pixel_limit, "for this pixel")


async def charge_address(request: Request) -> None:
    """The auth dependency, when the key is missing or fails."""
    host = request.client.host if request.client is not None else None
    await _charge_address(_state(request), request.app, host)


async def _charge_address(state: dict[str, Any], app: Any, host: str | None) -> None:
    limiter: RateLimiter = app.state.rate_limiter
    await _charge(
        state, app, address_bucket(host), limiter.address_limit, "without a valid API key"
    )


def _known_key_id(authorization: str) -> str | None:
    """The id of the key behind a bearer secret, if this process authenticated it lately."""
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    known = KEY_CACHE.get(hash_secret(secret.strip()))
    return None if known is None else known.key_id


class RateLimitMiddleware:
    """Charges what the auth dependency does not (see the module's docstring) and puts the
    rate-limit headers on every answer."""

    def __init__(self, app: ASGIApp, app_of: Any) -> None:
        self.app = app
        # The FastAPI app whose state holds the limiter, engine and clock.
        self.app_of = app_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIX):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        client = scope.get("client")
        host = client[0] if client else None
        authorization = Headers(scope=scope).get("authorization")
        if authorization is None:
            try:
                await _charge_address(state, self.app_of, host)
            except RateLimited as error:
                await error_response(error, headers=error.headers)(scope, receive, send)
                return

        replaced = False

        async def send_with_limits(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                if RATE_LIMIT_STATE not in state:
                    # Answered before authentication.
                    key_id = _known_key_id(authorization) if authorization else None
                    try:
                        if key_id is not None:
                            limiter: RateLimiter = self.app_of.state.rate_limiter
                            await _charge(
                                state,
                                self.app_of,
                                key_bucket(key_id),
                                limiter.key_limit,
                                "for this API key",
                            )
                        else:
                            await _charge_address(state, self.app_of, host)
                    except RateLimited as error:
                        replaced = True
                        refusal = error_response(error, headers=error.headers)
                        await send(
                            {
                                "type": "http.response.start",
                                "status": refusal.status_code,
                                "headers": refusal.raw_headers,
                            }
                        )
                        await send({"type": "http.response.body", "body": refusal.body})
                        return
                extra: dict[str, str] | None = state.get(RESPONSE_HEADERS_STATE)
                if extra:
                    headers = list(message.get("headers", []))
                    present = {name.lower() for name, _ in headers}
                    for name, value in extra.items():
                        if name.lower().encode() not in present:
                            headers.append((name.lower().encode(), value.encode()))
                    message = {**message, "headers": headers}
            elif replaced:
                return
            await send(message)

        await self.app(scope, receive, send_with_limits)
