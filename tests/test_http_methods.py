"""HEAD, OPTIONS and 405: every path answers the methods it has, and says which."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.campaigns.payloads import abo_campaign
from tests.helpers import assert_error


async def test_head_answers_as_get_without_a_body(client: httpx.AsyncClient) -> None:
    await client.post("/ad_campaigns", json=abo_campaign())
    got = await client.get("/ad_campaigns")
    head = await client.head("/ad_campaigns")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["api-version-date"] == got.headers["api-version-date"]


async def test_head_is_authenticated_as_get_is(anonymous: httpx.AsyncClient) -> None:
    head = await anonymous.head("/ad_campaigns")
    assert head.status_code == 401
    assert head.content == b""


async def test_head_on_health_and_docs(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.head("http://adline.test/healthz")).status_code == 200
    assert (await anonymous.head("/docs")).status_code == 200


async def test_options_lists_the_methods_of_the_path(anonymous: httpx.AsyncClient) -> None:
    collection = await anonymous.options("/ad_campaigns")
    assert collection.status_code == 204
    assert collection.content == b""
    assert collection.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    item = await anonymous.options("/ad_campaigns/adcamp_AAAAAAAAAAAAAA")
    assert item.status_code == 204
    assert item.headers["allow"] == "GET, HEAD, PATCH, DELETE, OPTIONS"
    pause = await anonymous.options("/ad_campaigns/adcamp_AAAAAAAAAAAAAA/pause")
    assert pause.headers["allow"] == "POST, OPTIONS"


async def test_options_on_no_route_is_404(anonymous: httpx.AsyncClient) -> None:
    assert_error(await anonymous.options("/no_such_thing"), 404, "unknown_endpoint", None)


async def test_a_method_the_path_lacks_is_405_naming_every_method_it_has(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/ad_campaigns")
    assert_error(response, 405, "method_not_allowed", None)
    assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    response = await client.post("/ad_campaigns/adcamp_AAAAAAAAAAAAAA")
    assert_error(response, 405, "method_not_allowed", None)
    assert response.headers["allow"] == "GET, HEAD, PATCH, DELETE, OPTIONS"


def route_table(app: FastAPI) -> list[tuple[str, set[str]]]:
    """Every route's full path (with its `{params}`) and methods."""
    table: list[tuple[str, set[str]]] = []
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            table.extend((context.path_format, set(context.methods)) for context in contexts())
        elif isinstance(route, APIRoute):
            table.append((route.path_format, set(route.methods)))
    return table


async def test_every_route_is_in_its_paths_allow(
    app: FastAPI, anonymous: httpx.AsyncClient
) -> None:
    """Generated from the route table: a new route is covered by itself."""
    table = route_table(app)
    assert len(table) > 30
    for path_format, methods in table:
        path = re.sub(r"\{[^}]+\}", "x_AAAAAAAAAAAAAA", path_format)
        response = await anonymous.options("http://adline.test" + path)
        assert response.status_code == 204, (path, response.text)
        allowed = response.headers["allow"].split(", ")
        assert methods <= set(allowed), (path, allowed)
        assert ("HEAD" in allowed) == ("GET" in allowed)
