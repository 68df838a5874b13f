"""Replays TikTok contract fixtures (tests/contracts/tiktok/<version>/) through respx.

A fixture is one exchange: the request TikTok's documentation says we send and the answer
it documents. `Replay(name, ...)` serves the named fixtures in order per endpoint, checks
each outgoing request against its fixture exactly (method, path, the `Access-Token` header,
every JSON or query key: exact values, `*_regex` patterns, no key unlisted, `forbidden`
keys absent), and answers the fixture's response. Nothing reaches the network: the
client's transport is the router, which also refuses any unmocked request.
"""

from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import respx

from adline.networks.tiktok.client import API_VERSION

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "tiktok"
FIXTURES = CONTRACTS / API_VERSION
HOST = "https://business-api.tiktok.com"
BASE_URL = f"{HOST}/open_api/{API_VERSION}"
TOKEN = "test-access-token"
ADVERTISER_ID = "7000000000000000001"


def load(name: str) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return fixture


class Replay:
    """respx routes serving `names` in order (a name may repeat: one call each)."""

    def __init__(self, *names: str) -> None:
        self.router = respx.MockRouter(assert_all_called=True, assert_all_mocked=True)
        self.served: list[str] = []
        self._queues: dict[tuple[str, str], deque[tuple[str, dict[str, Any]]]] = {}
        for name in names:
            fixture = load(name)
            key = (fixture["request"]["method"], fixture["request"]["path"])
            if key not in self._queues:
                self._queues[key] = deque()
                self.router.route(method=key[0], url=HOST + key[1]).mock(side_effect=self._answer)
            self._queues[key].append((name, fixture))

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.router.async_handler)

    def __enter__(self) -> Replay:
        self.router.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.router.__exit__(kind, error, trace)
        if kind is None:
            left = [name for queue in self._queues.values() for name, _ in queue]
            assert not left, f"fixtures never requested: {left}"

    def _answer(self, request: httpx.Request) -> httpx.Response:
        queue = self._queues[(request.method, request.url.path)]
        assert queue, f"unexpected extra call {request.method} {request.url.path}"
        name, fixture = queue.popleft()
        check_request(name, fixture["request"], request)
        self.served.append(name)
        response = fixture["response"]
        return httpx.Response(response["status"], json=response["body"])


def check_request(name: str, expected: dict[str, Any], request: httpx.Request) -> None:
    for header, value in expected["headers"].items():
        assert request.headers.get(header) == value, f"{name}: header {header}"
    if request.method == "GET":
        assert not request.content, f"{name}: a GET carries no body"
        sent: dict[str, Any] = dict(request.url.params)
        decode = _query_value
        wanted = expected.get("query", {})
    else:
        assert request.headers.get("content-type") == "application/json", name
        sent = json.loads(request.content)
        decode = _same
        wanted = expected.get("json", {})
        assert not request.url.params, f"{name}: a POST carries no query"
    patterns: dict[str, str] = expected.get("json_regex", {}) | expected.get("query_regex", {})
    for key in expected.get("forbidden", []):
        assert key not in sent, f"{name}: forbidden key {key!r} sent"
    assert set(sent) == set(wanted) | set(patterns), (
        f"{name}: keys sent {sorted(sent)} != expected {sorted(set(wanted) | set(patterns))}"
    )
    for key, value in wanted.items():
        assert decode(sent[key], value) == value, f"{name}: {key}={sent[key]!r}, wanted {value!r}"
    for key, pattern in patterns.items():
        assert re.fullmatch(pattern, str(sent[key])), f"{name}: {key}={sent[key]!r} !~ {pattern}"


def _query_value(sent: str, wanted: Any) -> Any:
    """Query values are strings; a list or object the fixture names must have been sent as
    compact JSON (TikTok's encoding), and compares decoded."""
    if not isinstance(wanted, list | dict):
        return sent
    assert sent == json.dumps(wanted, separators=(",", ":")), f"not compact JSON: {sent!r}"
    return json.loads(sent)


def _same(sent: Any, wanted: Any) -> Any:
    return sent
