"""Where a webhook may point: http(s) URLs whose host resolves only to public addresses,
unless the server allows private targets (development: `ADLINE_WEBHOOKS_ALLOW_PRIVATE`).
Checked when a URL is saved and again before each send (DNS may have changed)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from adline.core.errors import InvalidRequest

MAX_URL_LENGTH = 2048


class UnsafeTarget(Exception):
    """The URL may not be sent to; the message says why."""


def _parse(url: str) -> tuple[str, int]:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeTarget(f"is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("must be an http or https URL")
    if not parts.hostname:
        raise UnsafeTarget("must name a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("must not carry credentials")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeTarget(f"names a host that does not resolve ({host})") from error
    return [str(info[4][0]) for info in infos]


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raise UnsafeTarget unless `url` may receive webhooks. Every address the host
    resolves to must be global: one private answer is enough for a rebinding attack."""
    host, port = _parse(url)
    if allow_private:
        return
    for address in await _addresses(host, port):
        parsed = ipaddress.ip_address(address.split("%")[0])
        mapped = getattr(parsed, "ipv4_mapped", None)
        if not (mapped or parsed).is_global:
            raise UnsafeTarget(
                f"resolves to {address}, a loopback, private or otherwise non-public address"
            )


async def require_safe_target(url: str, *, allow_private: bool, param: str = "url") -> None:
    """check_target, as the API's 400."""
    try:
        await check_target(url, allow_private=allow_private)
    except UnsafeTarget as error:
        raise InvalidRequest(
            f"Invalid value for {param}: {error}. Webhooks go only to public addresses "
            "(a server for development may allow private ones: ADLINE_WEBHOOKS_ALLOW_PRIVATE=1).",
            param=param,
            code="webhook_target_refused",
        ) from None
