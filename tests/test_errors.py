"""Every non-2xx answer is the one error envelope, never FastAPI's default shapes."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import assert_error


async def test_unknown_route_is_404_in_the_envelope(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/no_such_thing"), 404, "unknown_endpoint", None)


async def test_wrong_method_is_405_in_the_envelope(client: httpx.AsyncClient) -> None:
    assert_error(await client.put("/ad_campaigns"), 405, "method_not_allowed", None)


async def test_a_bug_is_a_500_that_leaks_nothing(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    with caplog.at_level(logging.ERROR, logger="adline.errors"):
        response = await client.get("/boom")
    error = assert_error(response, 500, "internal_error", None)
    assert error["type"] == "internal_server_error"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    # The traceback goes to the server log instead.
    assert any("hunter2" in (record.exc_text or "") for record in caplog.records)


async def test_an_empty_key_is_named(client: httpx.AsyncClient) -> None:
    """Found by fuzzing: `{"": 1}` answered "Unknown parameter: None." with no param."""
    body = {"title": "Spring", "objective": "sales", "platform": "meta", "": 1}
    answer = await client.post("/ad_campaigns", json=body)
    error = assert_error(answer, 400, "parameter_invalid", '""')
    assert error["message"] == 'Unknown parameter: "".'
