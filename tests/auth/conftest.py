"""Fixtures of the auth tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI


@pytest.fixture
def from_address(app: FastAPI) -> Callable[[str], Any]:
    """A client connecting from the given address (what `request.client.host` sees)."""

    @asynccontextmanager
    async def connect(host: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(host, 123), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://adline.test/api/v1"
        ) as c:
            yield c

    return connect
