"""Proxy trust is explicit (docs/security.md): `adline serve` believes X-Forwarded-For only
from the proxies --forwarded-allow-ips lists, none by default, so a key limited to an IP
range cannot be used from outside it by forging the header.

Each test runs the real `adline serve` (uvicorn on a local port) on the test store."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from adline.auth.scopes import AD_CAMPAIGN_BASIC_READ
from tests.conftest import Tenant
from tests.helpers import assert_error
from tests.test_serve import ADLINE, free_port, wait_until_serving

FORGED = {"X-Forwarded-For": "10.1.2.3"}


@contextmanager
def adline_serve(database_url: str, *options: str, **env: str) -> Iterator[str]:
    """`adline serve` with `options` on the test store; yields its /api/v1 URL."""
    with adline_serve_process(database_url, *options, **env) as (api, _):
        yield api


@contextmanager
def adline_serve_process(
    database_url: str, *options: str, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`adline serve` with `options` on the test store; yields its /api/v1 URL and process."""
    port = free_port()
    process = subprocess.Popen(
        [ADLINE, "serve", "--port", str(port), *options],
        env={
            **os.environ,
            "ADLINE_DATABASE_URL": database_url,
            "ADLINE_DELIVERY_INTERVAL": "0",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(process, url)
        yield f"{url}/api/v1", process
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
async def allowlisted_key(tenant: Tenant, make_key) -> str:  # type: ignore[no-untyped-def]
    """A key usable only from 10.0.0.0/8 (the tenant exists first: the store is not empty,
    so serve makes no demo company)."""
    key: str = await make_key(tenant, [AD_CAMPAIGN_BASIC_READ], ip_allowlist=["10.0.0.0/8"])
    return key


def campaigns(api: str, key: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(
        f"{api}/ad_campaigns", headers={"Authorization": f"Bearer {key}", **(headers or {})}
    )


def test_a_forged_forwarded_for_is_not_believed_by_default(
    database_url: str, allowlisted_key: str
) -> None:
    # uvicorn's own variable would trust every peer: serve does not read it.
    with adline_serve(database_url, FORWARDED_ALLOW_IPS="*") as api:
        forged = campaigns(api, allowlisted_key, FORGED)
        error = assert_error(forged, 403, "ip_not_allowed", None)
        assert "127.0.0.1" in error["message"]
        assert_error(campaigns(api, allowlisted_key), 403, "ip_not_allowed", None)


def test_an_empty_list_trusts_no_proxy(database_url: str, allowlisted_key: str) -> None:
    with adline_serve(database_url, "--forwarded-allow-ips", "") as api:
        assert_error(campaigns(api, allowlisted_key, FORGED), 403, "ip_not_allowed", None)


def test_a_listed_proxy_is_believed(database_url: str, allowlisted_key: str) -> None:
    with adline_serve(database_url, "--forwarded-allow-ips", "127.0.0.1") as api:
        believed = campaigns(api, allowlisted_key, FORGED)
        assert believed.status_code == 200, believed.text
        # Without the header the proxy itself is the client: outside the list.
        assert_error(campaigns(api, allowlisted_key), 403, "ip_not_allowed", None)
        # A proxy appends the peer it saw to what the client sent: the rightmost address
        # that is not a listed proxy is the client, whatever it forged to its left.
        appended = {"X-Forwarded-For": "10.1.2.3, 198.51.100.7"}
        error = assert_error(campaigns(api, allowlisted_key, appended), 403, "ip_not_allowed", None)
        assert "198.51.100.7" in error["message"]


def test_the_environment_can_list_the_proxies(database_url: str, allowlisted_key: str) -> None:
    with adline_serve(database_url, ADLINE_FORWARDED_ALLOW_IPS="127.0.0.0/8") as api:
        assert campaigns(api, allowlisted_key, FORGED).status_code == 200


def test_serve_takes_the_body_cap_and_names_no_server(
    database_url: str, allowlisted_key: str
) -> None:
    with adline_serve(database_url, "--max-body-bytes", "10") as api:
        response = httpx.post(f"{api}/ad_campaigns", content=b"{" + b" " * 20 + b"}")
        error = assert_error(response, 413, "body_too_large", None)
        assert "10 bytes" in error["message"]
        assert "server" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
