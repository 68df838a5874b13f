"""The edge: what every request passes before a route sees it (docs/security.md).

One place for all routes, so a new route is covered without code of its own:

- `BodyLimitMiddleware`: a body larger than `Settings.max_body_bytes` answers 413 before
  it is read whole: at once by its Content-Length, else (chunked) as soon as the chunks
  received add up to more than the cap; nothing past the cap is asked for.
- `parse_json_body` (called by `adline.core.http.read_json_object`, which every body goes
  through): JSON nested deeper than `MAX_JSON_DEPTH` is 400 `invalid_json`; a NUL or a lone
  surrogate in any string of the body, keys included, is 400 naming where it is.
- `check_path_and_query` (a dependency of the whole app, run before the route's own):
  the same character rules for path parameters and query values (which must also be
  UTF-8), then the id alphabet: a malformed id in the path is 404 `resource_not_found`,
  as an id of nothing is; a malformed id in the query is 400 naming it.
- `HttpMethodsMiddleware`: HEAD answers as GET without the body, OPTIONS answers 204 with
  `Allow`, and a 405's `Allow` lists every method of the path.
- `PublicCorsMiddleware`: CORS preflights and `Access-Control-Allow-Origin` on the paths a
  web page may call without a key (the browser pixel's `POST /events`), and no others.
- `SecurityHeadersMiddleware`: the headers of `adline.core.headers` on every response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adline.core.errors import (
    InvalidJson,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    error_response,
)
from adline.core.headers import SECURITY_HEADERS
from adline.core.ids import is_well_formed_id

# How deeply a request body may nest objects and arrays (the body itself is level 1).
MAX_JSON_DEPTH = 64

# NUL, which PostgreSQL text cannot hold, and UTF-16 surrogates, which only a lone
# `\udxxx` escape in JSON can produce (a pair decodes to one character) and no UTF-8 can
# encode.
_FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")

# Query parameters that carry ids: `id`, `..._id`, `..._ids` (a trailing `[]` allowed).
_ID_QUERY_PARAM = re.compile(r"(?:.*_)?ids?(?:\[\])?")
# Query parameters that carry a network's id, not Adline's (`GET /external_accounts/{id}/posts
# ?post_id=`, a Meta `pageID_postID`): checked for characters only.
_NETWORK_ID_QUERY_PARAMS = frozenset({"post_id"})
# What a path id is called in errors (as every route's 404 calls it), and the noun of its
# message.
_PATH_ID_PARAM = "id"
_PATH_ID_NOUNS = {
    "campaign_id": "ad campaign",
    "ad_group_id": "ad group",
    "ad_id": "ad",
    "key_id": "API key",
    "spend_cap_id": "spend cap",
    "product_id": "product",
    "file_id": "file",
}
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# ---------------------------------------------------------------------------- characters


def _escaped(text: str) -> str:
    """`text` with each forbidden character written as its JSON escape (`\\u0000`)."""
    return _FORBIDDEN_CHARACTERS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _shown(value: str, limit: int = 100) -> str:
    value = _escaped(value)
    return value if len(value) <= limit else value[:limit] + "..."


def _character_problem(text: str) -> str | None:
    """What is wrong with `text`, if a forbidden character is in it."""
    match = _FORBIDDEN_CHARACTERS.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "must not contain the NUL character (\\u0000)"
    return f"must not contain an unpaired UTF-16 surrogate (\\u{ord(match.group()):04x})"


def refuse_forbidden_characters(value: str, param: str) -> None:
    problem = _character_problem(value)
    if problem is not None:
        raise InvalidRequest(f"Invalid value for {param}: {problem}.", param=param)


# ---------------------------------------------------------------------------- JSON bodies


def _too_deep() -> InvalidJson:
    return InvalidJson(
        f"The request body nests objects and arrays more than {MAX_JSON_DEPTH} levels deep."
    )


def _path(parts: tuple[str | int, ...]) -> str:
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def check_json_value(data: Any) -> None:
    """Refuse a parsed body nested deeper than MAX_JSON_DEPTH, or holding a NUL or a lone
    surrogate in any string (keys included). Iterative: no depth can exhaust the stack."""
    pending: list[tuple[Any, tuple[str | int, ...], int]] = [(data, (), 1)]
    while pending:
        value, where, depth = pending.pop()
        if isinstance(value, str):
            problem = _character_problem(value)
            if problem is not None:
                param = _path(where) or None
                raise InvalidRequest(f"Invalid value for {param}: {problem}.", param=param)
        elif isinstance(value, dict):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            # Reversed, so that the first problem in reading order is the one reported.
            for key, item in reversed(value.items()):
                problem = _character_problem(key)
                if problem is not None:
                    param = _path((*where, _escaped(key)))
                    raise InvalidRequest(f"Invalid parameter name {param}: {problem}.", param=param)
                pending.append((item, (*where, key), depth + 1))
        elif isinstance(value, list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            for position in range(len(value) - 1, -1, -1):
                pending.append((value[position], (*where, position), depth + 1))


def parse_json_body(raw: bytes) -> Any:
    """The JSON value of a request body, refused (400) if it is not JSON, nests deeper than
    MAX_JSON_DEPTH or holds a forbidden character."""
    try:
        data = json.loads(raw)
    except RecursionError:
        # Deeper than the parser goes (about a thousand levels): deeper than the cap too.
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidJson("The request body is not valid JSON.") from None
    check_json_value(data)
    return data


# ---------------------------------------------------------------------------- path and query


def _query_items(raw: bytes) -> Iterator[tuple[str, str]]:
    """The query string's (name, value) pairs as Starlette reads them, but decoded strictly:
    percent-escapes that are not UTF-8 are refused (400 naming the parameter) instead of
    becoming U+FFFD."""
    for pair in raw.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(raw_name.replace(b"+", b" "))
        name = name_bytes.decode("utf-8", "replace")
        try:
            name_bytes.decode("utf-8")
            value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(
                f"Invalid value for {name}: not UTF-8 once percent-decoded.", param=name
            ) from None
        yield name, value


async def check_path_and_query(request: Request) -> None:
    """Path parameters and query values: no forbidden character, UTF-8, well-formed ids.

    Installed as a dependency of the whole app (`create_app`), so FastAPI runs it before
    each route's own dependencies: before authentication and before any query.
    """
    for name, value in request.path_params.items():
        if not isinstance(value, str):
            continue
        is_id = name == "id" or name.endswith("_id")
        refuse_forbidden_characters(value, _PATH_ID_PARAM if is_id else name)
        if is_id and not is_well_formed_id(value):
            noun = _PATH_ID_NOUNS.get(name, "object")
            raise NotFound(f"No {noun} with id {_shown(value)}.", param=_PATH_ID_PARAM)
    positions: dict[str, int] = {}
    for name, value in _query_items(request.scope.get("query_string", b"")):
        refuse_forbidden_characters(name, _escaped(name))
        is_list = name.endswith("_ids") or name.endswith("[]")
        position = positions[name] = positions.get(name, -1) + 1
        param = f"{name.removesuffix('[]')}[{position}]" if is_list else name
        refuse_forbidden_characters(value, param)
        network_id = name in _NETWORK_ID_QUERY_PARAMS
        if _ID_QUERY_PARAM.fullmatch(name) and not network_id and not is_well_formed_id(value):
            raise InvalidRequest(
                f"Invalid value for {param}: {_shown(value)!r} is not an id"
                " (a lowercase prefix, an underscore and letters and digits).",
                param=param,
            )


# ---------------------------------------------------------------------------- the body cap


class BodyLimitMiddleware:
    """413 for a body over `max_body_bytes`, before it is read whole.

    `larger_caps` lifts the cap for a few routes that stream their bodies instead of
    reading them whole (file uploads, adline.files): (method, path pattern, cap)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        larger_caps: Sequence[tuple[str, re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger_caps = tuple(larger_caps)

    def _cap(self, scope: Scope) -> int:
        for method, pattern, cap in self.larger_caps:
            if scope.get("method") == method and pattern.fullmatch(scope.get("path", "")):
                return cap
        return self.max_body_bytes

    @staticmethod
    def _error(cap: int) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body is larger than the limit of {cap} bytes.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self._cap(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            # Refused unread: the app never runs and no byte of the body is asked for.
            await error_response(self._error(cap))(scope, receive, send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    # Rendered by the app's error handler (the request's writes roll back).
                    raise self._error(cap)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except PayloadTooLarge as error:
            # Read outside a route (no handler caught it): answer here if still possible.
            if started:
                raise
            await error_response(error)(scope, receive, send)


# ---------------------------------------------------------------------------- methods


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """The methods some route of `app` answers at the scope's path (HEAD with GET, OPTIONS
    with any); empty when no route has the path."""
    allowed = []
    for method in _METHODS:
        probe: Scope = {
            "type": "http",
            "method": method,
            "path": scope.get("path", ""),
            "root_path": scope.get("root_path", ""),
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(probe)[0] == Match.FULL for route in app.router.routes):
            allowed.append(method)
    if "GET" in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    return [*allowed, "OPTIONS"] if allowed else []


class HttpMethodsMiddleware:
    """HEAD is GET without the body; OPTIONS answers 204 with the path's `Allow`; a 405
    lists every method of the path in `Allow` (the router names only one route's)."""

    def __init__(self, app: ASGIApp, routes_of: Any) -> None:
        self.app = app
        # The FastAPI app whose routes are matched (this middleware is inside it).
        self.routes_of = routes_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            allowed = allowed_methods(self.routes_of, scope)
            if allowed:
                start: Message = {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(b"allow", ", ".join(allowed).encode())],
                }
                await send(start)
                await send({"type": "http.response.body", "body": b""})
                return
        if method == "HEAD":
            scope = {**scope, "method": "GET"}

        async def send_adjusted(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                headers = MutableHeaders(scope=message)
                headers["allow"] = ", ".join(allowed_methods(self.routes_of, scope))
            elif message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_adjusted)


# ---------------------------------------------------------------------------- CORS


class PublicCorsMiddleware:
    """Cross-origin access to the few paths a web page may call without a key (the
    browser pixel's `POST /events`): a preflight `OPTIONS` answers 204 with the
    `Access-Control-Allow-*` headers, and every answer on those paths says any origin may
    read it. No credentials are allowed and `Authorization` is not an allowed header, so a
    page elsewhere cannot send a key it does not hold, nor one its browser holds."""

    def __init__(
        self, app: ASGIApp, paths: frozenset[str], methods: str, allowed_headers: str
    ) -> None:
        self.app = app
        self.paths = paths
        self.methods = methods
        self.allowed_headers = allowed_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        if (
            scope["method"] == "OPTIONS"
            and "origin" in request_headers
            and "access-control-request-method" in request_headers
        ):
            headers = [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", self.methods.encode()),
                (b"access-control-allow-headers", self.allowed_headers.encode()),
                (b"access-control-max-age", b"86400"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_origin(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["access-control-allow-origin"] = "*"
            await send(message)

        await self.app(scope, receive, send_with_origin)


# ---------------------------------------------------------------------------- headers


class SecurityHeadersMiddleware:
    """Adds `SECURITY_HEADERS` to every response that does not set its own value."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
