"""Schemathesis fuzzes every exact API version through its own OpenAPI document, in-process
(the ASGI app, its own engine on this run's store), with a tenant's key of every scope.

Checks: no 5xx (`not_a_server_error`), every answer in its documented schema
(`response_schema_conformance`), status code and content type documented
(`status_code_conformance`, `content_type_conformance`). Data: schema-valid and invalid
(`positive` and `negative` modes), derandomized with a fixed seed, so a run is repeatable.

Versions are covered by their distinct shapes: an operation whose document (parameters,
body, answers) is the same in every version is fuzzed once, in the newest version; the
others (the campaign, ad group and ad endpoints, reports) in each of the 12 exact versions.
The budget (`ADLINE_FUZZ_EXAMPLES`, generated requests in all, spread evenly over those
operation-version pairs, at least one each) keeps CI at about a minute per store; raise it
for a deeper local run. Then the stateful phase follows the documents' links (create ->
retrieve, update, pause, unpause, duplicate, delete; create -> a child's create) for
`ADLINE_FUZZ_SCENARIOS` scenarios per version, so real objects get fuzzed too.
See CONTRIBUTING.md, Fuzzing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.engine import events, from_schema
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER, HookContext
from schemathesis.python import asgi
from schemathesis.specs.openapi import stateful as openapi_stateful
from schemathesis.specs.openapi.stateful import RootTransitions, classify_root_transitions

from adline.app import create_app
from adline.config import Settings
from adline.core.clock import ManualClock
from adline.openapi import openapi_for
from adline.versions import VERSION_BUNDLE
from tests.conftest import Tenant
from tests.hierarchy.builders import launched_tree
from tests.networks.offline import offline_transports

VERSIONS = VERSION_BUNDLE.values
EXAMPLES = int(os.environ.get("ADLINE_FUZZ_EXAMPLES", "1200"))
SCENARIOS = int(os.environ.get("ADLINE_FUZZ_SCENARIOS", "8"))
STEPS = int(os.environ.get("ADLINE_FUZZ_STEPS", "10"))
SEED = int(os.environ.get("ADLINE_FUZZ_SEED", "20261015"))
CHECKS = [
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
]
REF = "#/components/schemas/"
# An id the fuzzer's own key is swapped for when it would revoke itself (below).
NOT_A_KEY = "apik_" + "0" * 14


@pytest.fixture(scope="module")
def served(fuzz_app: FastAPI) -> AsServed:
    return AsServed(fuzz_app)


@pytest.fixture(scope="module")
def fuzz_app(database_url: str) -> Iterator[FastAPI]:
    """The app under fuzzing: its lifespan opens an engine of its own on this run's store,
    in schemathesis' event loop thread (the test's engine belongs to another loop)."""
    app = create_app(
        # The fuzzer sends faster than a key may (docs/api.md, rate limits; they have tests
        # of their own): with the limits on, a bigger budget would mostly meet 429s.
        Settings(
            database_url=database_url,
            delivery_interval=0,
            rate_limit_per_second=0,
            address_rate_limit_per_second=0,
        ),
        clock=ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        # Connections' token checks reach no real network.
        network_transports=offline_transports(),
    )
    yield app
    asgi.shutdown_lifespans()


class AsServed:
    """The app as a server runs it: an exception after the 500 went out (Starlette's
    ServerErrorMiddleware answers, then raises again for the server to log) reaches the
    log, not the client, so the fuzzer sees the 500 and reports it with a reproducer."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception:
            if scope["type"] != "http":
                raise
            logging.getLogger("adline.fuzz").exception("the app raised after answering")


def _deref(document: dict[str, Any], value: Any, seen: tuple[str, ...] = ()) -> Any:
    """`value` with every `$ref` replaced by what it names, and no prose."""
    if isinstance(value, dict):
        if "$ref" in value:
            name = value["$ref"].removeprefix(REF)
            if name in seen:
                return {"$cycle": name}
            return _deref(document, document["components"]["schemas"][name], (*seen, name))
        return {
            key: _deref(document, item, seen)
            for key, item in value.items()
            if key not in {"description", "title", "summary", "links", "operationId"}
        }
    if isinstance(value, list):
        return [_deref(document, item, seen) for item in value]
    return value


def _shape(document: dict[str, Any], operation: dict[str, Any]) -> str:
    """What an operation looks like to a client, but for the version it names."""
    parameters = [p for p in operation.get("parameters", []) if p["name"] != "Api-Version-Date"]
    described = {
        "parameters": parameters,
        "body": operation.get("requestBody"),
        "responses": operation.get("responses"),
    }
    return json.dumps(_deref(document, described), sort_keys=True)


def operations_to_fuzz(app: FastAPI) -> dict[str, list[str]]:
    """`{version: [operationId]}`: in the newest version every operation; in the others
    those whose shape is not the same in every version, and the creates that link to them
    (so the stateful phase can make what they need: a spend cap for a campaign)."""
    shapes: dict[str, dict[str, str]] = {}  # operationId -> {version: shape}
    links: dict[str, dict[str, set[str]]] = {}  # version -> target -> its link sources
    for version in VERSIONS:
        document = openapi_for(app, version)
        for item in document["paths"].values():
            for operation in item.values():
                source = operation["operationId"]
                shapes.setdefault(source, {})[version] = _shape(document, operation)
                for link in operation["responses"].get("200", {}).get("links", {}).values():
                    targets = links.setdefault(version, {})
                    targets.setdefault(link["operationId"], set()).add(source)
    chosen: dict[str, list[str]] = {}
    for version in VERSIONS:
        varying = {
            operation_id
            for operation_id, by_version in shapes.items()
            if version == VERSION_BUNDLE.newest
            or len(set(by_version.values())) > 1
            or len(by_version) < len(VERSIONS)
        }
        sources = {s for target in varying for s in links.get(version, {}).get(target, ())}
        chosen[version] = sorted(varying | sources)
    return chosen


@dataclass
class Outcome:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    key_refused: int = 0  # 401s to requests that carried the tenant's key
    linked_successes: int = 0  # stateful steps that followed a link and answered 2xx
    object_successes: int = 0  # 2xx answers about one object (a path id)
    explicit_links: int = 0
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def fuzz(
    app: FastAPI, served: AsServed, version: str, key: str, key_id: str, operations: list[str]
) -> Outcome:
    examples = max(1, -(-EXAMPLES // sum(map(len, operations_to_fuzz(app).values()))))
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {key}", "Api-Version-Date": version},
            "generation": {
                "mode": "all",
                "max-examples": examples,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                # The examples phase has no examples to send; the coverage phase sends
                # thousands of requests per version: run it locally (CONTRIBUTING.md).
                "examples": {"enabled": False},
                "coverage": {"enabled": os.environ.get("ADLINE_FUZZ_COVERAGE") == "1"},
                "stateful": {
                    # Valid data, so creates succeed and their links lead to real objects.
                    "generation": {"mode": "positive", "max-examples": SCENARIOS},
                    "max-steps": STEPS,
                    # The documents' links only: links guessed from field names lead, here,
                    # mostly to lists and random ids, and crowd out the creates' links.
                    "inference": {"algorithms": []},
                },
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )
    schema = schemathesis.openapi.from_asgi(
        f"/api/v1/openapi.json?version={version}", served, config=config
    ).include(operation_id=operations)

    def before_call(context: HookContext, case: Any, kwargs: dict[str, Any]) -> None:
        # Revoking its own key, rotating it or narrowing it (scopes, IP allowlist, expiry)
        # could turn every later answer into a 401 or 403 and end the run's use; such a
        # request names a key that does not exist instead.
        if case.method != "GET" and (case.path_parameters or {}).get("key_id") == key_id:
            case.path_parameters["key_id"] = NOT_A_KEY

    outcome = Outcome()
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(before_call, "before_call")
    try:
        for event in from_schema(schema).execute():
            _record(event, outcome, key)
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(before_call)
    return outcome


def _record(event: events.EngineEvent, outcome: Outcome, key: str) -> None:
    if isinstance(event, events.PhaseStarted) and event.payload is not None:
        payload = event.payload
        outcome.explicit_links = payload.transitions_total - payload.inferred_transitions
    elif isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
        recorder = event.recorder
        for case_id, interaction in recorder.interactions.items():
            if interaction.response is None:
                continue
            status = interaction.response.status_code
            outcome.requests += 1
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            sent = interaction.request.headers.get("Authorization") or []
            if status == 401 and f"Bearer {key}" in (sent if isinstance(sent, list) else [sent]):
                outcome.key_refused += 1
            node = recorder.cases.get(case_id)
            if node is None or not 200 <= status < 300:
                continue
            outcome.linked_successes += node.transition is not None
            outcome.object_successes += bool(node.value.path_parameters)
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                outcome.failures.append(
                    f"{check.name} {recorder.cases[case_id].value.operation.label}: "
                    f"{failure.title}\n{failure.message}\n{check.failure_info.code_sample}"
                )
    elif isinstance(event, events.NonFatalError):
        outcome.errors.append(f"{event.label}: {event.value!r}")
    elif isinstance(event, events.FatalError):
        outcome.errors.append(repr(event.exception))


def every_linked_create_starts_scenarios(
    operations: Any, transitions: Any, graph: Any
) -> RootTransitions:
    """Schemathesis starts scenarios only from the creates its dependency analysis trusts,
    and that analysis reads `account_id` (the caller's own company) and a `spend_cap_id` as
    foreign keys nothing produces: in the older versions it would start every scenario at
    POST /ads alone (whose body is described in words). Every create the documents link
    from is a start here."""
    roots = classify_root_transitions(operations, transitions, graph)
    roots.reliable |= roots.fallback
    return roots


@pytest.mark.parametrize("version", VERSIONS)
async def test_fuzz_version(
    fuzz_app: FastAPI,
    served: AsServed,
    client: httpx.AsyncClient,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
) -> None:
    monkeypatch.setattr(
        openapi_stateful, "classify_root_transitions", every_linked_create_starts_scenarios
    )
    # Real objects from the start (a launched campaign, its ad group and ad), whose ids the
    # fuzzer picks up from the lists it reads, in every version.
    await launched_tree(client)
    operations = operations_to_fuzz(fuzz_app)[version]
    outcome = await asyncio.to_thread(
        fuzz, fuzz_app, served, version, tenant.key, tenant.key_id, operations
    )
    assert not outcome.errors, "\n".join(outcome.errors)
    assert not outcome.failures, f"{len(outcome.failures)} failures:\n\n" + "\n\n".join(
        outcome.failures
    )
    # It did fuzz, as the tenant, real objects too.
    assert outcome.requests >= len(operations), outcome
    assert outcome.key_refused == 0, outcome
    assert outcome.object_successes > 0, outcome
    assert outcome.explicit_links > 0, outcome
    # Where the campaign's create body is described (not in words: 2026-06-09 and older),
    # the stateful phase makes objects and follows the links to them.
    create = openapi_for(fuzz_app, version)["paths"]["/api/v1/ad_campaigns"]["post"]
    if "$ref" in create["requestBody"]["content"]["application/json"]["schema"]:
        assert outcome.linked_successes > 0, outcome
