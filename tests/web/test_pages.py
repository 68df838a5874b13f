"""What every page shares: its own Content-Security-Policy, which it keeps (no inline
script or style, nothing from another site), the static files it loads, and the landmarks
and labels of the layout."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Tenant
from tests.hierarchy.builders import build_tree
from tests.web.helpers import signed_in


async def test_pages_keep_their_content_security_policy(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    tree = await build_tree(client)
    sign_in = await browser.get("/sign-in")
    await signed_in(browser, tenant.key)
    pages = [
        sign_in,
        await browser.get("/campaigns"),
        await browser.get(f"/campaigns/{tree.campaign['id']}"),
        await browser.get("/spend_caps"),
        await browser.get("/campaigns/adcamp_missing"),
    ]
    for page in pages:
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        # Under `no-referrer` a browser's form POST says `Origin: null`, which is refused.
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["content-type"].startswith("text/html")
        # Every script is a file of this site; no style attribute or element, no handler.
        assert re.findall(r"<script(?![^>]*\bsrc=\"/web/static/)", page.text) == []
        assert " style=" not in page.text and "<style" not in page.text
        assert not re.search(r"\son[a-z]+=", page.text)
        assert "http://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in page.text
        assert '<a class="skip-link" href="#main">' in page.text and '<main id="main"' in page.text


async def test_the_static_files_are_served(browser: httpx.AsyncClient) -> None:
    css = await browser.get("/web/static/web.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text and "@media (max-width: 600px)" in css.text
    js = await browser.get("/web/static/web.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    icon = await browser.get("/web/static/icon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert (await browser.get("/web/static/secret.key")).status_code == 404
    assert (await browser.get("/web/static/..%2Fsession.py")).status_code == 404


async def test_the_layout_is_labelled(browser: httpx.AsyncClient, tenant: Tenant) -> None:
    await signed_in(browser, tenant.key)
    page = (await browser.get("/campaigns")).text
    assert '<nav aria-label="Main">' in page
    assert '<button type="submit">Sign out</button>' in page
    for field in ("from", "to", "tz", "q"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    headers = re.findall(r"<th ([^>]*)>", page)
    assert headers and all('scope="' in attributes for attributes in headers)
    assert 'class="table-scroll"' in page
