"""Signed-in browsers: the session row, its signed cookie, CSRF and Origin checks.

The API key's secret is only ever in the sign-in POST: the server checks it with the auth
service, then keeps the key's *id* in a `web_sessions` row, and the browser gets that row's
id signed with a key derived from the deployment's secret key (`TokenCipher.derived_key`).
Every request re-checks the key by id (`authenticate_key_id`), so a revoked or expired key
signs its browsers out at once. docs/web.md#the-security-model.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth.service import Principal, authenticate_key_id
from adline.core.clock import Clock
from adline.core.encryption import TokenCipher
from adline.core.errors import Forbidden, Unauthorized
from adline.web.models import WebSession

COOKIE = "adline_session"
# Before sign-in there is no session: the sign-in form's token is double-submitted
# (this cookie and the form's field must agree).
SIGN_IN_COOKIE = "adline_sign_in"
LIFETIME = timedelta(hours=12)
_PURPOSE = "adline.web.session-cookie"


@dataclass(frozen=True)
class SignedIn:
    """A request from a signed-in browser: its session and the key's principal."""

    session_id: str
    csrf_token: str
    principal: Principal


def _signing_key(request: Request) -> bytes:
    cipher: TokenCipher = request.app.state.token_cipher
    return cipher.derived_key(_PURPOSE)


def _signature(key: bytes, value: str) -> str:
    digest = hmac.new(key, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(request: Request, value: str) -> str:
    return f"{value}.{_signature(_signing_key(request), value)}"


def unsign(request: Request, signed: str | None) -> str | None:
    """The value of a cookie this server signed, or None (missing, forged, tampered)."""
    if not signed or "." not in signed:
        return None
    value, _, signature = signed.rpartition(".")
    expected = _signature(_signing_key(request), value)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    return value


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        sign(request, value),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )


def real_now(clock: Clock) -> datetime:
    """Now in real time: a session lasts 12 real hours even on a demo server, whose clock
    (adline.demo.clock.DemoClock) runs ahead of the real one by its `offset`."""
    offset = getattr(clock, "offset", None)
    now = clock.now()
    return now - offset if isinstance(offset, timedelta) else now


def _client_host(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


async def start_session(session: AsyncSession, clock: Clock, principal: Principal) -> WebSession:
    now = real_now(clock)
    row = WebSession(
        id=secrets.token_urlsafe(32),
        api_key_id=principal.key_id,
        company_id=principal.company_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(row)
    await session.flush()
    return row


async def end_session(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id == session_id))
    await session.flush()


async def signed_in(request: Request, session: AsyncSession, clock: Clock) -> SignedIn | None:
    """The browser's session with its key re-checked, or None: no cookie, a forged one, an
    expired session, or a key revoked, expired or used from outside its allowlist (its
    session is then deleted)."""
    session_id = unsign(request, request.cookies.get(COOKIE))
    if session_id is None:
        return None
    row = (await session.scalars(select(WebSession).where(WebSession.id == session_id))).first()
    if row is None:
        return None
    if row.expires_at <= real_now(clock):
        await end_session(session, row.id)
        return None
    try:
        principal = await authenticate_key_id(
            session, clock, row.api_key_id, client_host=_client_host(request)
        )
    except Unauthorized:
        await end_session(session, row.id)
        return None
    except Forbidden:
        return None
    if principal.company_id != row.company_id:
        await end_session(session, row.id)
        return None
    return SignedIn(row.id, row.csrf_token, principal)


def same_origin(request: Request) -> bool:
    """Whether a POST comes from this site's own pages: an `Origin` (or, without one, a
    `Referer`) naming another site, or `Sec-Fetch-Site: cross-site`, is refused."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return False
    own = f"{request.url.scheme}://{request.url.netloc}".lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() == own
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == own
    return True


async def form_fields(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body, first value of each field."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body).items()}


def tokens_match(sent: str | None, expected: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())
