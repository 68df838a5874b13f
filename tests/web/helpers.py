"""A browser for the web pages: httpx on the ASGI app, with cookies, and small readers of
the pages' markup (the contract the browser tests rely on, docs/web.md)."""

from __future__ import annotations

import html
import re
from datetime import datetime

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROW = re.compile(r'<tr data-testid="campaign-row" data-campaign-id="([^"]+)">(.*?)</tr>', re.S)
CELL = re.compile(r'<td data-metric="(\w+)" data-value="([^"]*)">')


def csrf_token(page: str) -> str:
    match = CSRF.search(page)
    assert match is not None, "the page has no form with a csrf_token"
    return match.group(1)


async def sign_in(browser: httpx.AsyncClient, key: str) -> httpx.Response:
    form = await browser.get("/sign-in")
    assert form.status_code == 200, form.text
    return await browser.post(
        "/sign-in", data={"api_key": key, "csrf_token": csrf_token(form.text)}
    )


async def signed_in(browser: httpx.AsyncClient, key: str) -> httpx.AsyncClient:
    answer = await sign_in(browser, key)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/campaigns"
    return browser


async def post_form(
    browser: httpx.AsyncClient, page_path: str, action: str, **fields: str
) -> httpx.Response:
    """Submit a form of the page at `page_path` as a browser would: its CSRF token and
    this site's Origin."""
    page = await browser.get(page_path)
    assert page.status_code == 200, page.text
    return await browser.post(
        action,
        data={"csrf_token": csrf_token(page.text), **fields},
        headers={"Origin": "http://adline.test"},
    )


def rows(page: str) -> dict[str, dict[str, str]]:
    """The campaigns table: {campaign id: {metric: data-value}}, in the page's order."""
    return {
        campaign_id: {name: html.unescape(value) for name, value in CELL.findall(body)}
        for campaign_id, body in ROW.findall(page)
    }


def day(moment: datetime) -> str:
    return moment.date().isoformat()
