"""Input limits at the edge (docs/security.md): the body cap, the JSON depth cap, NUL bytes
and lone surrogates, and malformed ids, each answering in the error envelope on both stores
before any handler or query sees the input."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.core.edge import MAX_JSON_DEPTH
from adline.core.ids import is_well_formed_id, new_id
from tests.campaigns.payloads import abo_campaign
from tests.conftest import NEWEST_HEADER, Tenant
from tests.helpers import assert_error
from tests.test_http_methods import route_table

MIB = 1024 * 1024


async def campaign_titles(client: httpx.AsyncClient) -> list[str]:
    listed = await client.get("/ad_campaigns")
    assert listed.status_code == 200, listed.text
    return [campaign["title"] for campaign in listed.json()["data"]]


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


# ---------------------------------------------------------------------------- the body cap


async def test_the_default_cap_is_one_mebibyte() -> None:
    assert Settings().max_body_bytes == MIB


async def test_a_body_over_the_cap_is_413_by_its_content_length(
    client: httpx.AsyncClient,
) -> None:
    body = json.dumps(abo_campaign(title="x", padding="y" * MIB)).encode()
    response = await client.post("/ad_campaigns", content=body)
    error = assert_error(response, 413, "body_too_large", None)
    assert error["type"] == "invalid_request_error"
    assert "1048576 bytes" in error["message"]
    assert await campaign_titles(client) == []


async def test_a_body_at_the_cap_is_read(client: httpx.AsyncClient) -> None:
    # Exactly the cap: read and validated (the unknown field is refused), not a 413.
    body = json.dumps(abo_campaign(padding=""))
    body = json.dumps(abo_campaign(padding="y" * (MIB - len(body))))
    assert len(body.encode()) == MIB
    response = await client.post("/ad_campaigns", content=body)
    assert_error(response, 400, "parameter_invalid", "padding")


async def test_a_streamed_100_mb_body_is_refused_after_the_cap_not_read_whole(
    client: httpx.AsyncClient,
) -> None:
    """A chunked body (no Content-Length) is counted as it arrives: the server stops asking
    for chunks past the cap, so it never holds more than the cap."""
    chunk = b" " * (64 * 1024)
    total_chunks = 100 * MIB // len(chunk)
    sent = 0

    async def hundred_megabytes() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"title": "Streamed", "objective": "sales", "platform": "meta"'
        for _ in range(total_chunks):
            sent += 1
            yield chunk
        yield b"}"

    response = await client.post("/ad_campaigns", content=hundred_megabytes())
    assert_error(response, 413, "body_too_large", None)
    # 16 chunks make the cap; the 17th crosses it and nothing after it is asked for.
    assert sent <= MIB // len(chunk) + 1
    assert await campaign_titles(client) == []


async def test_the_cap_is_configurable(
    database_url: str, engine: AsyncEngine, clock: ManualClock, tenant: Tenant
) -> None:
    app = create_app(
        Settings(database_url=database_url, max_body_bytes=100), clock=clock, engine=engine
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://adline.test/api/v1",
        headers={**NEWEST_HEADER, **tenant.headers},
    ) as client:
        small = await client.post("/ad_campaigns", json=abo_campaign(title="Small"))
        assert small.status_code == 200, small.text
        big = await client.post("/ad_campaigns", json=abo_campaign(title="B" * 100))
        error = assert_error(big, 413, "body_too_large", None)
        assert "100 bytes" in error["message"]


# ---------------------------------------------------------------------------- JSON depth


def nested(depth: int) -> str:
    """A body whose `title` is arrays nested so that the whole body is `depth` deep."""
    inner = "[" * (depth - 1) + "]" * (depth - 1)
    return '{"title": ' + inner + ', "objective": "sales", "platform": "meta"}'


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 10_000, 500_000])
async def test_json_nested_deeper_than_the_cap_is_400(
    client: httpx.AsyncClient, depth: int
) -> None:
    response = await client.post("/ad_campaigns", content=nested(depth))
    error = assert_error(response, 400, "invalid_json", None)
    assert f"{MAX_JSON_DEPTH}" in error["message"]


async def test_json_at_the_depth_cap_is_parsed(client: httpx.AsyncClient) -> None:
    response = await client.post("/ad_campaigns", content=nested(MAX_JSON_DEPTH))
    # Parsed, then refused by the model: a list is not a title.
    assert_error(response, 400, "parameter_invalid", "title")


# ---------------------------------------------------------------------------- NUL and surrogates


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ('{"title": "a\\u0000b", "objective": "sales", "platform": "meta"}', "title"),
        ('{"title": "a\\ud800b", "objective": "sales", "platform": "meta"}', "title"),
        ('{"title": "a\\udfffb", "objective": "sales", "platform": "meta"}', "title"),
        # A high surrogate followed by something other than a low one is still alone.
        ('{"title": "\\ud800\\u0041", "objective": "sales", "platform": "meta"}', "title"),
        (
            '{"title": "T", "objective": "sales", "platform": "meta",'
            ' "special_ad_categories": ["credit", "x\\u0000"]}',
            "special_ad_categories[1]",
        ),
        ('{"title": "T", "objective": "sales", "platform": "meta", "a\\u0000b": 1}', "a\\u0000b"),
        ('{"title": "T", "objective": "sales", "platform": "meta", "\\udc00": 1}', "\\udc00"),
    ],
)
async def test_nul_and_lone_surrogates_in_a_body_are_400_naming_the_param(
    client: httpx.AsyncClient, body: str, param: str
) -> None:
    response = await client.post("/ad_campaigns", content=body)
    error = assert_error(response, 400, "parameter_invalid", param)
    assert "\\u" in error["message"]
    assert await campaign_titles(client) == []


async def test_a_surrogate_pair_is_one_character_and_welcome(client: httpx.AsyncClient) -> None:
    body = '{"title": "Launch \\ud83d\\ude80", "objective": "sales", "platform": "meta"}'
    response = await client.post("/ad_campaigns", content=body)
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Launch \U0001f680"


async def test_nul_in_an_update_body_is_400_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    created = (await client.post("/ad_campaigns", json=abo_campaign(title="Kept"))).json()
    response = await client.patch(f"/ad_campaigns/{created['id']}", json={"title": "a\x00b"})
    assert_error(response, 400, "parameter_invalid", "title")
    assert await campaign_titles(client) == ["Kept"]


async def test_nul_in_a_query_value_is_400_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.get("/ad_campaigns", params={"query": "a\x00b"})
    assert_error(response, 400, "parameter_invalid", "query")


async def test_undecodable_utf8_in_a_query_value_is_400_naming_it(
    client: httpx.AsyncClient,
) -> None:
    # %ED%A0%80 is a lone surrogate written as UTF-8: not UTF-8 at all.
    response = await client.get("/ad_campaigns?first=5&query=a%ED%A0%80b")
    assert_error(response, 400, "parameter_invalid", "query")
    response = await client.get("/ad_campaigns?query=%FF")
    assert_error(response, 400, "parameter_invalid", "query")


async def test_nul_in_a_path_param_is_400_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.get("/ad_campaigns/adcamp_x%00y")
    assert_error(response, 400, "parameter_invalid", "id")
    response = await client.get("/stats/time_series/ad_%00spend")
    assert_error(response, 400, "parameter_invalid", "metric")


async def test_nul_in_a_cursor_is_400(client: httpx.AsyncClient) -> None:
    # A cursor is base64 of JSON: one naming a row id with a NUL in it is no cursor of ours.
    import base64

    raw = json.dumps(["created_at", "2026-03-02T09:00:00+00:00", "adcamp_a\x00b"])
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    response = await client.get("/ad_campaigns", params={"after": cursor})
    assert_error(response, 400, "parameter_invalid", "after")


# ---------------------------------------------------------------------------- ids


def test_ids_are_a_lowercase_prefix_and_base62() -> None:
    for prefix in ("adcamp", "adgrp", "ad", "biz", "sc", "prod", "apik", "user"):
        assert is_well_formed_id(new_id(prefix))
    assert is_well_formed_id("biz_nope")
    for malformed in (
        "",
        "adcamp",
        "adcamp_",
        "_abc",
        "ADCAMP_abc",
        "adcamp_abc-def",
        "adcamp_abc def",
        "adcamp_é",
        "adcamp_\ufffd",
        "adcamp_abc;drop",
        "adcamp_" + "a" * 200,
    ):
        assert not is_well_formed_id(malformed), malformed


@pytest.mark.parametrize(
    "path",
    [
        "/ad_campaigns/adcamp_abc-def",
        "/ad_campaigns/adcamp_%ED%A0%80",
        "/ad_campaigns/adcamp_abc%20def/pause",
        "/ad_groups/adgrp_'or'1'='1",
        "/ads/ad_..",
        "/api_keys/apik_%F0%9F%9A%80",
        "/spend_caps/sc_x%3By",
        "/products/prod_" + "a" * 200,
    ],
)
async def test_a_malformed_path_id_is_404_before_any_query(
    client: httpx.AsyncClient, engine: AsyncEngine, path: str
) -> None:
    with statements(engine) as seen:
        response = await client.get(path) if "pause" not in path else await client.post(path)
    assert_error(response, 404, "resource_not_found", "id")
    assert seen == []


@pytest.mark.parametrize(
    ("path", "params", "param"),
    [
        ("/ad_campaigns", {"account_id": "biz_a.b"}, "account_id"),
        ("/ad_groups", {"ad_campaign_id": "adcamp_x y"}, "ad_campaign_id"),
        (
            "/ad_groups",
            [("ad_campaign_ids", "adcamp_ok"), ("ad_campaign_ids", "adcamp_no!")],
            "ad_campaign_ids[1]",
        ),
        ("/ad_reports", {"ad_id": "ad_\u00e9"}, "ad_id"),
        ("/api_keys", {"resource_id": "biz_"}, "resource_id"),
    ],
)
async def test_a_malformed_query_id_is_400_naming_it_before_any_query(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    path: str,
    params: Any,
    param: str,
) -> None:
    with statements(engine) as seen:
        response = await client.get(path, params=params)
    assert_error(response, 400, "parameter_invalid", param)
    assert seen == []


async def test_a_well_formed_unknown_id_answers_as_before(client: httpx.AsyncClient) -> None:
    unknown = "adcamp_AAAAAAAAAAAAAA"
    assert_error(await client.get(f"/ad_campaigns/{unknown}"), 404, "resource_not_found", "id")
    listed = await client.get("/ad_groups", params={"ad_campaign_id": unknown})
    assert listed.status_code == 200 and listed.json()["data"] == []


async def test_edge_checks_need_no_key(anonymous: httpx.AsyncClient) -> None:
    """They come before authentication: nothing about the caller is looked up for them."""
    assert_error(await anonymous.get("/ad_campaigns/adcamp_a-b"), 404, "resource_not_found", "id")
    assert_error(
        await anonymous.get("/ad_campaigns", params={"query": "\x00"}),
        400,
        "parameter_invalid",
        "query",
    )


async def test_every_route_checks_its_path_ids(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Any route whose path names an `..._id` refuses a malformed one, with no code of its
    own: the check is the app's, not the route's (the route table makes the cases)."""
    table = [(path, methods) for path, methods in route_table(app) if "_id}" in path]
    assert len(table) >= 20
    for path_format, methods in table:
        url = "http://adline.test" + re.sub(r"\{[a-z_]*_id\}", "x_a-b", path_format)
        for method in methods:
            response = await client.request(method, url, json={})
            assert_error(response, 404, "resource_not_found", "id")


# ---------------------------------------------------------------------------- length messages


async def test_a_string_too_long_says_characters(client: httpx.AsyncClient) -> None:
    response = await client.post("/ad_campaigns", json=abo_campaign(title="x" * 101))
    error = assert_error(response, 400, "parameter_invalid", "title")
    assert "100 characters" in error["message"]
    assert "items" not in error["message"]


async def test_a_blank_string_too_short_says_characters(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api_keys",
        json={
            "name": "",
            "permissions": {"statements": [{"actions": ["ad_campaign:basic:read"], "grant": True}]},
        },
    )
    error = assert_error(response, 400, "parameter_invalid", "name")
    assert "item" not in error["message"]


async def test_a_list_too_long_says_items(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api_keys",
        json={
            "name": "Many",
            "permissions": {"statements": [{"actions": ["ad_campaign:basic:read"], "grant": True}]},
            "ip_allowlist": [f"10.0.{i // 256}.{i % 256}" for i in range(101)],
        },
    )
    error = assert_error(response, 400, "parameter_invalid", "ip_allowlist")
    assert "100 items" in error["message"]
    assert "characters" not in error["message"]
