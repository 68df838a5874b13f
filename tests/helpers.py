"""Assertions and store changes shared by the API tests."""

from __future__ import annotations

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.auth.service import KEY_CACHE
from adline.companies.models import Company
from adline.core.db import create_sessionmaker


async def set_company_timezone(engine: AsyncEngine, company_id: str, zone: str) -> None:
    """Change a company's time zone in the store, as an operator would (Adline has no
    endpoint for it). Servers pick such a change up within 0.5 s, with the key it is read
    with (docs/api-keys.md); the tests' server is told at once."""
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(update(Company).where(Company.id == company_id).values(timezone=zone))
    KEY_CACHE.clear()


def assert_error(
    response: httpx.Response, status: int, code: str | None, param: str | None
) -> dict:
    """The response is the one error envelope with this status, code and param."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"type", "message", "code", "param"}
    assert error["code"] == code
    assert error["param"] == param
    assert isinstance(error["message"], str) and error["message"]
    return error
