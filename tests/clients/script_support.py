"""What the client-side scripts of tests/clients share (not a test module).

stainless_lifecycle.py and fern_lifecycle.py import it as a sibling (the script's own
directory is first on sys.path) in a subprocess whose PYTHONPATH is one official client
release's directory, so `httpx` and `whop_sdk` here are that release's own.

- `Recorder` is the httpx client handed to the client (a constructor option of every
  release: `http_client=` for Stainless, `httpx_client=` for Fern). It keeps every exchange:
  the `Api-Version-Date` the client sent, the one the server answered, and the JSON body.
- `Run.step` makes one call through the client and notes what came back (or which error
  was raised), which requests it made, and what the family's strict check found wrong in
  each answer.
- `Newest` is plain HTTP in the newest version, for what a release cannot do itself and
  for waiting out a copy in progress.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import httpx

MODEL_FIELDS = ("id", "status", "title", "budget_amount", "deleted")
PARENT_FIELDS = ("ad_campaign", "ad_group")


class Recorder:
    def __init__(self) -> None:
        self.exchanges: list[dict[str, Any]] = []

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        try:
            body = response.json()
        except ValueError:
            body = response.text
        request = response.request
        self.exchanges.append(
            {
                "method": request.method,
                "url": str(request.url),
                "sent_version": request.headers.get("api-version-date"),
                "sent_body": json.loads(request.content) if request.content else None,
                "status": response.status_code,
                "answered_version": response.headers.get("api-version-date"),
                "body": body,
            }
        )

    def http_client(self) -> httpx.Client:
        return httpx.Client(timeout=60, event_hooks={"response": [self._keep]})


def summarize(value: Any) -> Any:
    """What a user would look at in a client object: ids, status, title, budget; a list of
    objects becomes a list of those."""
    if isinstance(value, list | tuple):
        return [summarize(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    out: dict[str, Any] = {"class": f"{type(value).__module__}.{type(value).__qualname__}"}
    for name in MODEL_FIELDS:
        if hasattr(value, name):
            out[name] = getattr(value, name)
    for name in PARENT_FIELDS:
        parent = getattr(value, name, None)
        if parent is not None:
            out[f"{name}.id"] = (
                parent.get("id") if isinstance(parent, dict) else getattr(parent, "id", None)
            )
    return out


def describe_error(error: BaseException, not_found: type[BaseException]) -> dict[str, Any]:
    cause = error.__cause__ or getattr(error, "cause", None)
    described: dict[str, Any] = {
        "class": f"{type(error).__module__}.{type(error).__qualname__}",
        "not_found": isinstance(error, not_found),
        "status_code": getattr(error, "status_code", None),
        "body": getattr(error, "body", None),
    }
    errors = getattr(cause, "errors", None)
    if callable(errors):  # a pydantic ValidationError: one line per field
        described["validation"] = [problem(e) for e in errors()]
    elif described["status_code"] is None:  # the client could not send or could not parse
        described["message"] = str(error)[:500]
        described["traceback"] = traceback.format_exc()[-3000:]
    return described


def problem(error: Mapping[str, Any]) -> str:
    """One pydantic error as one line: where, what, and the value when there was one."""
    line = f"{'.'.join(map(str, error['loc']))}: {error['type']}"
    if error["type"] != "missing":
        text = json.dumps(error.get("input"), default=str)
        line += f" (got {text if len(text) <= 80 else text[:77] + '...'})"
    return line


class Run:
    """The steps of one release's run, in order, as one JSON report."""

    def __init__(
        self,
        recorder: Recorder,
        not_found: type[BaseException],
        strict: Callable[[Any, Any], list[str]] | None,
    ) -> None:
        self.recorder = recorder
        self.not_found = not_found
        self.strict = strict
        self.steps: list[dict[str, Any]] = []

    def step(
        self,
        name: str,
        call: Callable[[], Any],
        *,
        expect: Any = None,
        show: Callable[[Any], Any] = summarize,
    ) -> Any:
        """Run `call`; note its result or error, the requests it made and, where `expect`
        (the type the client parses the answer into) is given and the family checks
        answers itself, what that check found."""
        start = len(self.recorder.exchanges)
        entry: dict[str, Any] = {"step": name}
        result = None
        try:
            result = call()
        except Exception as error:  # what the client raised is the finding
            entry["ok"] = False
            entry["error"] = describe_error(error, self.not_found)
        else:
            entry["ok"] = True
            entry["result"] = show(result)
        exchanges = self.recorder.exchanges[start:]
        entry["requests"] = [
            {k: v for k, v in exchange.items() if k != "body"} for exchange in exchanges
        ]
        if entry["ok"] and expect is not None and self.strict is not None:
            entry["strict_errors"] = [
                error
                for exchange in exchanges
                if 200 <= exchange["status"] < 300
                for error in self.strict(expect, exchange["body"])
            ]
        self.steps.append(entry)
        return result

    def note(self, name: str, **facts: Any) -> None:
        """A step the harness did itself (plain HTTP), noted so the report says so."""
        self.steps.append({"step": name, "ok": True, "harness": True, "result": facts})


class Newest:
    """Plain HTTP in the newest version, outside the client under test."""

    def __init__(self, base_url: str, api_key: str, version: str) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "Api-Version-Date": version},
            timeout=60,
        )

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    def create(self, run: Run, path: str, body: dict[str, Any]) -> str:
        """Create over plain HTTP what the release could not, and note that in the report."""
        created: dict[str, Any] = self.send("POST", f"/{path}", body)
        run.note(f"{path}.create.fallback", over="plain HTTP, newest version", id=created["id"])
        object_id: str = created["id"]
        return object_id

    def settled(self, path: str) -> dict[str, Any]:
        """Wait until a copy is no longer being made (Adline finishes copies right after
        answering the duplicate, not before)."""
        deadline = time.monotonic() + 20
        while True:
            body: dict[str, Any] = self.send("GET", path)
            if body["status"] != "duplicating":
                return body
            if time.monotonic() > deadline:
                raise RuntimeError(f"{path} is still duplicating")
            time.sleep(0.05)
