"""Checking a connection's token with its network before Adline stores it
(docs/connections.md#the-token-check).

`app.state.connection_checker` holds the checker the API uses: `NetworkConnectionChecker`,
which asks the real network through the same thin clients the delivery worker's adapters
use (the settings' URLs and Meta's Graph version; in tests, each platform's in-process
fake through its transport). Meta reads the ad account
(`GET /act_<id>?fields=name,account_status,currency,timezone_name`), TikTok the advertiser
(`GET /advertiser/info/`), both with the token being checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from adline.config import Settings
from adline.core.clock import Clock, SystemClock
from adline.delivery.adapter import ConnectionBroken, InvalidSpec, ObjectNotFound
from adline.networks.base import MemoryDirectory, NetworkCredentials
from adline.networks.meta.adapter import MetaAdapter
from adline.networks.meta.client import MetaGraphClient, RetryPolicy
from adline.networks.tiktok.adapter import TikTokAdapter
from adline.networks.tiktok.client import TikTokClient

# What a network answers that settles the question "may this token run ads on this
# account?" with a no: the token (expired, revoked, missing a permission), or the account
# (none such, or not this token's). Rate limits, timeouts and anything else mean the
# network did not answer it: they raise, and the API answers 503.
REFUSALS = (ConnectionBroken, InvalidSpec, ObjectNotFound)
# Someone waits on the API for the answer: each attempt is cut shorter than the worker's,
# and Meta's client tries twice rather than four times (TikTok's client tries three times,
# 1 s and 2 s apart). A rate limit is never waited for: it answers 503 at once.
CHECK_TIMEOUT_SECONDS = 15.0
META_CHECK_RETRY = RetryPolicy(max_attempts=2)


@dataclass(frozen=True)
class ConnectionCheck:
    """The network's answer about a token on an account: accepted (with the account's name
    when it told one) or refused (with its reason)."""

    accepted: bool
    name: str | None = None
    error_message: str | None = None


class ConnectionChecker(Protocol):
    async def check(self, credentials: NetworkCredentials) -> ConnectionCheck:
        """Raises `adline.delivery.adapter.AdapterError` (rate limit, timeout) when the
        network could not answer; the caller stores nothing then."""
        ...


class NetworkAccount(Protocol):
    """An account as its network's adapter reads it (Meta's `AdAccount`, TikTok's
    `Advertiser`)."""

    @property
    def name(self) -> str | None: ...

    @property
    def unusable(self) -> str | None: ...


class NetworkConnectionChecker:
    """Reads the connection's account on its network with the token: accepted when the
    network answers it and the account is active (Meta `account_status` 1, TikTok
    `STATUS_ENABLE`), refused with the network's own message otherwise.

    `transports` maps a platform to the httpx transport its client uses: none in
    production (the network's API at the settings' URL); an in-process fake's in tests."""

    def __init__(
        self,
        settings: Settings,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._settings = settings
        self._transports = dict(transports or {})
        self._clock: Clock = clock or SystemClock()

    async def check(self, credentials: NetworkCredentials) -> ConnectionCheck:
        adapter = self._adapter(credentials)
        try:
            account: NetworkAccount = await adapter.read_account()
        except REFUSALS as refusal:
            return ConnectionCheck(False, error_message=str(refusal))
        finally:
            await adapter.client.aclose()
        if account.unusable is not None:
            return ConnectionCheck(False, name=account.name, error_message=account.unusable)
        return ConnectionCheck(True, name=account.name)

    def _adapter(self, credentials: NetworkCredentials) -> MetaAdapter | TikTokAdapter:
        # A throwaway adapter: a check reads one account and writes nothing, so its
        # directory is never asked.
        transport = self._transports.get(credentials.platform)
        directory = MemoryDirectory()
        if credentials.platform == "meta":
            graph = MetaGraphClient(
                self._settings.meta_graph_url,
                self._settings.meta_api_version,
                credentials.access_token,
                transport=transport,
                retry=META_CHECK_RETRY,
                timeout=CHECK_TIMEOUT_SECONDS,
            )
            return MetaAdapter(credentials, directory, self._clock, graph)
        if credentials.platform == "tiktok":
            client = TikTokClient(
                self._settings.tiktok_api_url,
                credentials.access_token,
                transport=transport,
                clock=self._clock,
                timeout=CHECK_TIMEOUT_SECONDS,
            )
            return TikTokAdapter(credentials, directory, clock=self._clock, client=client)
        raise ValueError(f"No network checks tokens for platform {credentials.platform!r}")
