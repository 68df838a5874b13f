"""Every response carries the security headers (docs/security.md): no answer is cached,
sniffed, framed or leaks a referrer, errors and crashes included."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from adline.core.headers import SECURITY_HEADERS

API_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


def assert_api_headers(response: httpx.Response) -> None:
    for name, value in API_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    # Each once: a handler's own value is not doubled by the middleware's.
    for name in API_HEADERS:
        assert len(response.headers.get_list(name)) == 1, name


def test_the_documented_headers_are_the_ones_set() -> None:
    assert {name.lower(): value for name, value in SECURITY_HEADERS.items()} == API_HEADERS


async def test_a_new_key_with_its_secret_is_never_stored(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api_keys",
        json={
            "name": "Reporting",
            "permissions": {"statements": [{"actions": ["ad_campaign:basic:read"], "grant": True}]},
        },
    )
    assert created.status_code == 200, created.text
    assert created.json()["secret_key"].startswith("adl_sk_")
    assert_api_headers(created)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "http://adline.test/healthz", 200),
        ("GET", "/ad_campaigns", 200),
        ("HEAD", "/ad_campaigns", 200),
        ("OPTIONS", "/ad_campaigns", 204),
        ("GET", "/ad_campaigns/adcamp_AAAAAAAAAAAAAA", 404),
        ("GET", "/ad_campaigns/adcamp_a-b", 404),
        ("GET", "/nothing_here", 404),
        ("PUT", "/ad_campaigns", 405),
        ("POST", "/ad_campaigns", 400),
        ("GET", "/openapi.json", 200),
    ],
)
async def test_every_answer_has_them(
    client: httpx.AsyncClient, method: str, url: str, status: int
) -> None:
    response = await client.request(method, url)
    assert response.status_code == status, response.text
    assert_api_headers(response)


async def test_refusals_before_the_app_have_them(client: httpx.AsyncClient) -> None:
    too_large = await client.post("/ad_campaigns", content=b" " * (1024 * 1024 + 1))
    assert too_large.status_code == 413
    assert_api_headers(too_large)
    unauthenticated = await client.get("/ad_campaigns", headers={"Authorization": "Bearer no"})
    assert unauthenticated.status_code == 401
    assert_api_headers(unauthenticated)


async def test_a_crash_has_them(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.get("/api/v1/boom_headers")
    async def boom() -> None:
        raise RuntimeError("boom")

    response = await client.get("/boom_headers")
    assert response.status_code == 500
    assert_api_headers(response)
