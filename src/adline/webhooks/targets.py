"""Where a webhook may point: http(s) URLs whose host resolves only to public addresses,
unless the server allows private targets (development: `ADLINE_WEBHOOKS_ALLOW_PRIVATE`).
Checked when a URL is saved, and again when a send connects: `CheckedBackend` resolves the
host itself, checks every address and connects to one of those very addresses, so a name
that answers a public address to the check and a private one to the connection (DNS
rebinding) reaches nothing."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore

from adline.core.errors import InvalidRequest

MAX_URL_LENGTH = 2048


class UnsafeTarget(Exception):
    """The URL may not be sent to; the message says why."""


def check_url(url: str) -> tuple[str, int]:
    """The URL's host and port, if its form may receive webhooks (its addresses are checked
    apart, when they are resolved)."""
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


async def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses `host` resolves to, if it may receive webhooks. Every one must be
    global: one private answer is enough for a rebinding attack."""
    addresses = await _addresses(host, port)
    if allow_private:
        return addresses
    for address in addresses:
        parsed = ipaddress.ip_address(address.split("%")[0])
        mapped = getattr(parsed, "ipv4_mapped", None)
        if not (mapped or parsed).is_global:
            raise UnsafeTarget(
                f"resolves to {address}, a loopback, private or otherwise non-public address"
            )
    return addresses


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raise UnsafeTarget unless `url` may receive webhooks."""
    host, port = check_url(url)
    if not allow_private:
        await checked_addresses(host, port, allow_private=False)


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the check in the connect: the host is resolved here,
    every address checked, and the connection made to a checked address (TLS still names
    the host: httpcore passes the URL's host as the server name)."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(host, port, allow_private=self.allow_private)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # _addresses answers at least one address or raises
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeTarget("must be an http or https URL")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


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
