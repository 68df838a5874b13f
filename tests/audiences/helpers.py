"""Hashed people and audiences, made as a client makes them."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from tests.hierarchy.builders import ok


def sha256(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def people(count: int, start: int = 0, domain: str = "example.com") -> list[dict[str, str]]:
    """`count` distinct people by the hash of their email."""
    return [{"email": sha256(f"person{n}@{domain}")} for n in range(start, start + count)]


async def make_audience(
    client: httpx.AsyncClient, account_id: str, name: str = "Buyers"
) -> dict[str, Any]:
    return await ok(await client.post("/audiences", json={"account_id": account_id, "name": name}))


async def add(client: httpx.AsyncClient, audience_id: str, sent: list[Any]) -> dict[str, Any]:
    return await ok(
        await client.post(f"/audiences/{audience_id}/add_people", json={"people": sent})
    )
