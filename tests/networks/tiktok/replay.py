"""Replays TikTok contract fixtures (tests/contracts/tiktok/<version>/) through respx.

A fixture is one exchange: the request TikTok's documentation says we send and the answer
it documents. `Replay(name, ...)` serves the named fixtures in order per endpoint, checks
each outgoing request against its fixture exactly (method, path, the `Access-Token` header,
every JSON, query or multipart key: exact values, `*_regex` patterns, no key unlisted,
`forbidden` keys absent; a multipart file part by its file name, content type and MD5),
and answers the fixture's response (`body` null: an answer without an envelope). Nothing
reaches the network: the client's transport is the router, which also refuses any unmocked
request.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
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
        if response["body"] is None:
            return httpx.Response(response["status"])
        return httpx.Response(response["status"], json=response["body"])


def check_request(name: str, expected: dict[str, Any], request: httpx.Request) -> None:
    for header, value in expected["headers"].items():
        assert request.headers.get(header) == value, f"{name}: header {header}"
    if request.method == "GET":
        assert not request.content, f"{name}: a GET carries no body"
        sent: dict[str, Any] = dict(request.url.params)
        decode = _query_value
        wanted = expected.get("query", {})
    elif "multipart" in expected:
        sent = _multipart(name, request)
        decode = _same
        wanted = expected["multipart"]
        assert not request.url.params, f"{name}: a POST carries no query"
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


def _multipart(name: str, request: httpx.Request) -> dict[str, Any]:
    """A multipart/form-data request's parts: text fields as strings, each file part as
    `{"filename", "content_type", "md5"}` (the form the fixtures name them in)."""
    content_type = request.headers.get("content-type", "")
    assert content_type.startswith("multipart/form-data"), f"{name}: not multipart"
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.read()
    )
    parts: dict[str, Any] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        field = part.get_param("name", header="content-disposition")
        assert isinstance(field, str), f"{name}: a part without a name"
        data = part.get_payload(decode=True)
        payload = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            parts[field] = payload.decode()
        else:
            parts[field] = {
                "filename": filename,
                "content_type": part.get_content_type(),
                "md5": hashlib.md5(payload).hexdigest(),
            }
    return parts


def _query_value(sent: str, wanted: Any) -> Any:
    """Query values are strings; a list or object the fixture names must have been sent as
    compact JSON (TikTok's encoding), and compares decoded."""
    if not isinstance(wanted, list | dict):
        return sent
    assert sent == json.dumps(wanted, separators=(",", ":")), f"not compact JSON: {sent!r}"
    return json.loads(sent)


def _same(sent: Any, wanted: Any) -> Any:
    return sent
