"""Checking a connection's token with its network, behind one small interface so the API
and the tests need no network (docs/connections.md#the-token-check).

`app.state.connection_checker` holds the checker the API uses. The default is the
simulated network's rule; a deployment that talks to Meta and TikTok sets a checker that
asks them (the real adapters read the ad account with the token: Meta
`GET /act_<id>?fields=name,account_status`, TikTok `GET /advertiser/info/`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from adline.delivery.simulator import PIXEL_TOKEN_BODY, PIXEL_TOKEN_PREFIX
from adline.networks.base import NetworkCredentials

TIKTOK_TOKEN = re.compile(r"[0-9A-Za-z]{16,}")


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


class SimulatedConnectionChecker:
    """The simulated rule, stateless and deterministic: a Meta token has Meta's shape
    (`EAA` then at least 10 letters or digits, as pixel tokens, docs/pixels.md), a TikTok
    token is at least 16 letters or digits; a token whose body starts with `invalid` is
    refused as revoked."""

    async def check(self, credentials: NetworkCredentials) -> ConnectionCheck:
        token = credentials.access_token
        if credentials.platform == "meta":
            body = token[len(PIXEL_TOKEN_PREFIX) :]
            if not token.startswith(PIXEL_TOKEN_PREFIX) or not PIXEL_TOKEN_BODY.fullmatch(body):
                return ConnectionCheck(
                    False, error_message="Invalid OAuth access token: cannot parse access token."
                )
        else:
            body = token
            if not TIKTOK_TOKEN.fullmatch(token):
                return ConnectionCheck(False, error_message="Access token is invalid (40105).")
        if body.lower().startswith("invalid"):
            return ConnectionCheck(
                False,
                error_message="Error validating access token: the session has been invalidated.",
            )
        return ConnectionCheck(True, name=f"Simulated ad account {credentials.account_id}")
