"""Replay of the Meta contract fixtures (tests/contracts/meta/<version>/<scenario>.json).

A fixture is a scenario: the exchanges a call makes, in order. Each exchange holds the
request Adline must send (method, path, query and form keys, each an exact string, a
`{"json": value}` sent as Graph's canonical JSON encoding, or a `{"regex": pattern}`; any
key not listed fails the match, and `forbidden` names keys that must never appear; a POST
is form-encoded unless the exchange lists `files`, each `{"filename", "content_type",
"sha256"}`: then it is multipart form data, its text fields matched as `form`) and the
response Meta gives (status, headers, a JSON `body` or a raw `text`). The bodies are
written from Meta's documented shapes (networks.md), not recorded.

`replay(router, *scenarios)` registers one respx route per method and path; each answer
checks that the request is the next one the scenarios expect. With respx's
`assert_all_called` and `Replay.assert_done`, every exchange happened, in order, and no
other request reached the transport.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import respx

from adline.networks.fakes.meta import parse_multipart

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "meta"
VERSION = "v26.0"
GRAPH = "https://graph.facebook.com"


def scenario(name: str, version: str = VERSION) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CONTRACTS / version / f"{name}.json").read_text())
    return document


@dataclass
class Exchange:
    scenario: str
    request: dict[str, Any]
    response: dict[str, Any]


class Replay:
    def __init__(self, exchanges: list[Exchange]) -> None:
        self.pending = deque(exchanges)
        self.seen: list[httpx.Request] = []

    def answer(self, request: httpx.Request) -> httpx.Response:
        assert self.pending, f"unexpected request {request.method} {request.url}"
        expected = self.pending.popleft()
        check_request(request, expected)
        self.seen.append(request)
        response = expected.response
        headers = dict(response.get("headers") or {})
        if "text" in response:
            return httpx.Response(response["status"], headers=headers, text=response["text"])
        return httpx.Response(response["status"], headers=headers, json=response["body"])

    def assert_done(self) -> None:
        left = [f"{e.scenario}: {e.request['method']} {e.request['path']}" for e in self.pending]
        assert not left, f"exchanges never requested: {left}"


def replay(router: respx.Router, *names: str) -> Replay:
    exchanges = [
        Exchange(name, exchange["request"], exchange["response"])
        for name in names
        for exchange in scenario(name)["exchanges"]
    ]
    played = Replay(exchanges)
    routes: set[tuple[str, str]] = set()
    for exchange in exchanges:
        key = (exchange.request["method"], exchange.request["path"])
        if key not in routes:
            routes.add(key)
            router.route(method=key[0], url=GRAPH + key[1]).mock(side_effect=played.answer)
    return played


def check_request(request: httpx.Request, expected: Exchange) -> None:
    spec = expected.request
    where = f"{expected.scenario}: {spec['method']} {spec['path']}"
    assert request.method == spec["method"], f"{where}: method {request.method}"
    assert request.url.path == spec["path"], f"{where}: path {request.url.path}"
    query = _single(list(request.url.params.multi_items()), where)
    _match(query, spec.get("query") or {}, f"{where} query")
    content_type = request.headers.get("content-type", "")
    if "files" in spec:
        assert content_type.startswith("multipart/form-data"), where
        form, files = parse_multipart(content_type, request.content)
        sent = {
            name: {
                "filename": filename,
                "content_type": kind,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for name, (filename, data, kind) in files.items()
        }
        assert sent == spec["files"], f"{where}: files {sent}, expected {spec['files']}"
    else:
        if request.method == "POST":
            assert content_type.startswith("application/x-www-form-urlencoded"), where
        form = _single(parse_qsl(request.content.decode(), keep_blank_values=True), where)
    _match(form, spec.get("form") or {}, f"{where} form")
    for key in spec.get("forbidden") or ():
        assert key not in query and key not in form, f"{where}: forbidden {key!r} sent"


def _single(items: list[tuple[str, str]], where: str) -> dict[str, str]:
    values = dict(items)
    assert len(values) == len(items), f"{where}: a key sent twice in {items}"
    return values


def _match(sent: dict[str, str], expected: dict[str, Any], where: str) -> None:
    assert set(sent) == set(expected), (
        f"{where}: keys differ; extra {sorted(set(sent) - set(expected))}, "
        f"missing {sorted(set(expected) - set(sent))}"
    )
    for key, want in expected.items():
        got = sent[key]
        if isinstance(want, dict) and "json" in want:
            canonical = json.dumps(want["json"], sort_keys=True, separators=(",", ":"))
            assert got == canonical, f"{where}: {key}={got!r}, expected {canonical!r}"
        elif isinstance(want, dict) and "regex" in want:
            assert re.fullmatch(want["regex"], got), f"{where}: {key}={got!r} !~ {want['regex']}"
        else:
            assert got == want, f"{where}: {key}={got!r}, expected {want!r}"
