"""The docs pages load Swagger UI from Adline itself (vendored, pinned): no CDN, no URL
elsewhere, assets with their true types, and a Content-Security-Policy that allows only
what Swagger UI needs."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import httpx

from adline.docs_page import ASSET_TYPES
from adline.versions import NEWEST, VERSION_BUNDLE

ASSETS = resources.files("adline").joinpath("static", "swagger-ui")


def recorded_sha256() -> dict[str, str]:
    """The README's table of the vendored files: name -> sha256."""
    readme = ASSETS.joinpath("README.md").read_text()
    return dict(re.findall(r"^\| ([\w.-]+) \| ([0-9a-f]{64}) \|$", readme, re.MULTILINE))


def test_the_vendored_files_are_the_recorded_release() -> None:
    recorded = recorded_sha256()
    assert "5.36.0" in ASSETS.joinpath("README.md").read_text()
    assert set(recorded) == {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "favicon-32x32.png",
        "LICENSE",
        "NOTICE",
    }
    for name, digest in recorded.items():
        assert hashlib.sha256(ASSETS.joinpath(name).read_bytes()).hexdigest() == digest, name
    # Every asset served is vendored or Adline's own starter.
    assert set(ASSET_TYPES) <= {*recorded, "adline-docs.js"}


async def test_a_docs_page_names_no_url_elsewhere(anonymous: httpx.AsyncClient) -> None:
    for version in (NEWEST, VERSION_BUNDLE.default):
        page = await anonymous.get("/docs", params={"version": version})
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert not re.search(r"https?://", page.text), page.text
        assert "cdn" not in page.text.lower()
        # Scripts are files (no inline script for the CSP to allow).
        assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page.text) == []
        assert f'data-openapi-url="/api/v1/openapi.json?version={version}"' in page.text


async def test_the_index_names_no_url_elsewhere(anonymous: httpx.AsyncClient) -> None:
    index = await anonymous.get("/docs")
    assert index.status_code == 200
    assert not re.search(r"https?://", index.text)


async def test_every_asset_a_page_loads_is_served_with_its_type(
    anonymous: httpx.AsyncClient,
) -> None:
    page = (await anonymous.get("/docs", params={"version": NEWEST})).text
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(links) == 4
    expected = {
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".png": "image/png",
    }
    for link in links:
        assert link.startswith("/api/v1/docs/assets/"), link
        asset = await anonymous.get("http://adline.test" + link)
        assert asset.status_code == 200, link
        name = link.rsplit("/", 1)[1]
        assert asset.headers["content-type"] == expected["." + name.rsplit(".", 1)[1]]
        assert asset.content == ASSETS.joinpath(name).read_bytes()
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert asset.headers["cache-control"] == "public, max-age=86400"


async def test_no_other_file_is_served(anonymous: httpx.AsyncClient) -> None:
    for name in ("README.md", "LICENSE", "..%2F..%2Fconfig.py", "swagger-ui-bundle.js.map", "x"):
        response = await anonymous.get(f"/docs/assets/{name}")
        assert response.status_code == 404, name


async def test_the_page_csp_allows_swagger_ui_and_nothing_else(
    anonymous: httpx.AsyncClient,
) -> None:
    page = await anonymous.get("/docs", params={"version": NEWEST})
    policy = {
        name: value
        for name, _, value in (
            directive.partition(" ")
            for directive in page.headers["content-security-policy"].split("; ")
        )
    }
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert len(page.headers.get_list("content-security-policy")) == 1
    assert page.headers["cache-control"] == "no-store"
