"""Request authentication as FastAPI dependencies.

`Authenticated(scope, ...)` builds the dependency a router declares, e.g.
`principal: Annotated[Principal, Authenticated(AD_CAMPAIGN_UPDATE)]`. It resolves the API
version (header, else the key's pin, else the default) and stores it on the request, then
checks the key (401), its IP allowlist (403 `ip_not_allowed`) and the scopes (403
`missing_scope`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from adline.auth import scopes
from adline.auth.service import Principal, authenticate
from adline.core.clock import Clock
from adline.core.db import session_dependency
from adline.core.errors import Forbidden, Unauthorized
from adline.core.http import version_bundle
from adline.core.versioning import VERSION_HEADER
from adline.idempotency.service import reserve
from adline.rate_limits.edge import charge_address, charge_key


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


SessionDep = Annotated[AsyncSession, Depends(session_dependency, scope="function")]
ClockDep = Annotated[Clock, Depends(get_clock)]


def _bearer_secret(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("Missing API key: send it as 'Authorization: Bearer <key>'.")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("Malformed Authorization header: expected 'Bearer <key>'.")
    return secret.strip()


class ScopeCheck:
    """The dependency `Authenticated(*scopes)` declares: authenticates the request and
    requires `scopes`. A class (not a closure) so that the scopes each route needs can be
    read off the route table (`adline.auth.catalogue`, `GET /api_keys/permissions`)."""

    def __init__(self, scopes: tuple[str, ...]) -> None:
        self.scopes = scopes

    async def __call__(self, request: Request, session: SessionDep, clock: ClockDep) -> Principal:
        bundle = version_bundle(request)
        header_version = request.headers.get(VERSION_HEADER)
        # An unknown version is refused before anything else; a 401 still names a version.
        request.state.api_version = bundle.resolve(header_version, None)
        # The peer's address; behind a reverse proxy, uvicorn's --proxy-headers (on for
        # proxies listed in --forwarded-allow-ips) makes it the forwarded client's.
        client_host = request.client.host if request.client is not None else None
        try:
            principal = await authenticate(
                session, clock, _bearer_secret(request), client_host=client_host
            )
        except (Unauthorized, Forbidden):
            # No valid key: the caller's address pays (429 once its bucket is empty).
            await charge_address(request)
            raise
        await charge_key(request, principal.key_id)
        request.state.api_version = bundle.resolve(header_version, principal.api_version_date)
        for scope in self.scopes:
            if scope not in principal.scopes:
                raise Forbidden(f"This API key lacks the scope this endpoint needs: {scope}.")
        request.state.principal = principal
        # A POST's Idempotency-Key: reserved for this attempt, or answered from (a replay,
        # 400 on another request, 409 while the first runs).
        await reserve(request, session, clock, principal.key_id, request.state.api_version)
        return principal


def Authenticated(*scopes: str) -> Any:
    return Depends(ScopeCheck(scopes))


# The campaign -> ad group -> ad endpoints share Whop's ad_campaign scopes (spec F).
CanReadAds = Annotated[Principal, Authenticated(scopes.AD_CAMPAIGN_BASIC_READ)]
CanCreateAds = Annotated[Principal, Authenticated(scopes.AD_CAMPAIGN_CREATE)]
CanUpdateAds = Annotated[Principal, Authenticated(scopes.AD_CAMPAIGN_UPDATE)]
CanDeleteAds = Annotated[Principal, Authenticated(scopes.AD_CAMPAIGN_DELETE)]
CanCreditCampaigns = Annotated[Principal, Authenticated(scopes.AD_CAMPAIGN_CREDIT_CREATE)]
CanReadSpendCaps = Annotated[Principal, Authenticated(scopes.SPEND_CAP_READ)]
CanWriteSpendCaps = Annotated[Principal, Authenticated(scopes.SPEND_CAP_WRITE)]
CanControlDemo = Annotated[Principal, Authenticated(scopes.DEMO_CONTROL)]
CanReadProducts = Annotated[Principal, Authenticated(scopes.PRODUCT_READ)]
CanWriteProducts = Annotated[Principal, Authenticated(scopes.PRODUCT_WRITE)]
CanReadWebhooks = Annotated[Principal, Authenticated(scopes.WEBHOOK_READ)]
CanWriteWebhooks = Annotated[Principal, Authenticated(scopes.WEBHOOK_WRITE)]
