"""Assertions shared by the API tests."""

from __future__ import annotations

import httpx


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
