"""A company without funds (`funded=False`) and its client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import NEWEST_HEADER, Tenant


@pytest.fixture
async def poor(make_tenant) -> Tenant:  # type: ignore[no-untyped-def]
    return await make_tenant(name="Poor Co", funded=False)


@pytest.fixture
async def poor_client(app: FastAPI, poor: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://adline.test/api/v1",
        headers={**NEWEST_HEADER, **poor.headers},
    ) as c:
        yield c


@pytest.fixture
async def pages(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The payer's browser: the checkout pages, at the server's root."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://adline.test") as c:
        yield c
