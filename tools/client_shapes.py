"""Reconstruct the ad-related shapes of each official `whop-sdk` release from its wheel.

For every release in RELEASES this reads the wheel (a zip; nothing is installed), imports
that release in a subprocess of its own and writes one normalized table per release to
`src/adline/versions/releases/whop-sdk-<release>.json`: the `Api-Version-Date` the client
sends by default, the version tokens it declares, the response objects (campaign, ad
group, ad, issue, list pages, delete results, reports) with every field's required /
nullable / type / enum / nested-object reference, the nested objects they reference, and
per ads resource the methods the client exposes with their HTTP method, path, parameters
(and where each is sent) and response class.

    .venv/bin/python tools/client_shapes.py [--wheels /tmp/wheels] [--out DIR]
    .venv/bin/python tools/client_shapes.py --diff [--out DIR] > DIR/DIFF.md

A missing wheel is fetched with `pip download --no-deps whop-sdk==X -d WHEELS` (pass
`--no-download` to fail instead). `--diff` reads only the written JSON files and prints,
for each pair of neighbouring releases, every difference as Markdown.

Each release is imported with PYTHONPATH pointing at its extracted wheel, so `import
whop_sdk` picks that release and not the one installed in the virtualenv (the worker
checks `whop_sdk.__file__`). Models are read with pydantic (`model_fields`), parameters
with `inspect`/`typing.get_type_hints`, and HTTP method, path and parameter placement from
the resource's source with `ast` (that is only visible in the code that builds requests).
"""

from __future__ import annotations

import argparse
import ast
import collections.abc
import datetime as dt
import enum
import importlib
import inspect
import itertools
import json
import os
import subprocess
import sys
import tempfile
import types
import typing
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RELEASES = ("0.0.41", "1.0.14", "1.1.5", "2.0.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "adline" / "versions" / "releases"
DEFAULT_WHEELS = Path("/tmp/wheels")

# Client attributes read as ads resources; absent ones are skipped for that release.
RESOURCES = (
    "ad_campaigns",
    "ad_groups",
    "ads",
    "ad_reports",
    "ad_pixels",
    "ad_conversion_value_rules",
    "stats",
    "stats.time_series",
)
# role -> (resource, method) whose response is that role's object.
RESPONSE_ROLES = {
    "ad_campaign": ("ad_campaigns", "retrieve"),
    "ad_campaign_list": ("ad_campaigns", "list"),
    "ad_campaign_delete": ("ad_campaigns", "delete"),
    "ad_group": ("ad_groups", "retrieve"),
    "ad_group_list": ("ad_groups", "list"),
    "ad_group_delete": ("ad_groups", "delete"),
    "ad": ("ads", "retrieve"),
    "ad_list": ("ads", "list"),
    "ad_delete": ("ads", "delete"),
    "ad_report": ("ad_reports", "retrieve"),
    "stat": ("stats", "retrieve"),
    "time_series": ("stats.time_series", "retrieve"),
}
# The order DIFF.md lists roles in: each entity with its list page and delete result.
ROLE_ORDER = (
    *("ad_campaign", "ad_campaign_list", "ad_campaign_delete"),
    *("ad_group", "ad_group_list", "ad_group_delete"),
    *("ad", "ad_list", "ad_delete"),
    *("issue", "ad_report", "stat", "time_series"),
)
# The Stainless resource methods that send a request, and the HTTP method each sends.
STAINLESS_VERBS = {
    "_get": "GET",
    "_get_api_list": "GET",
    "_post": "POST",
    "_patch": "PATCH",
    "_put": "PUT",
    "_delete": "DELETE",
}
# Where a Fern raw client's request(...) keyword puts the parameters it is built from.
FERN_PLACEMENT = {
    "params": "query",
    "json": "body",
    "data": "body",
    "files": "body",
    "headers": "header",
}
# Keyword arguments every generated method takes that are client plumbing, not API params.
PLUMBING = {"self", "request_options", "extra_headers", "extra_query", "extra_body", "timeout"}

Spec = dict[str, Any]
Table = dict[str, Spec]


# --------------------------------------------------------------------------------------
# Worker: runs inside the subprocess that imports one release.
# --------------------------------------------------------------------------------------


def _stub_unneeded_dependencies() -> None:
    """Stand in for runtime-only dependencies the virtualenv may lack.

    The Stainless client imports `sniffio` (async library detection) and `distro` (the
    X-Stainless-OS header) at import time but only calls them while sending requests; a
    stub keeps the extractor independent of what happens to be installed.
    """
    for name in ("sniffio", "distro"):
        try:
            __import__(name)
        except ImportError:
            stub = types.ModuleType(name)
            stub.id = lambda: "unknown"  # type: ignore[attr-defined]
            sys.modules[name] = stub


@dataclass
class Norm:
    """A type reduced to the small vocabulary of the output."""

    type: str
    nullable: bool = False
    enum: list[Any] | None = None
    refs: list[Any] = field(default_factory=list)


def _is_model(tp: Any) -> bool:
    """A class whose instances are JSON objects: a pydantic model or a TypedDict."""
    if not inspect.isclass(tp):
        return False
    if typing.is_typeddict(tp) or getattr(tp, "__total__", None) is not None:
        return True
    return hasattr(tp, "model_fields")


def _strip_wrappers(tp: Any) -> Any:
    """Drop Annotated / Required / NotRequired / ReadOnly around a type."""
    while True:
        origin = typing.get_origin(tp)
        wrapper = getattr(origin, "_name", None) in {"Required", "NotRequired", "ReadOnly"}
        if origin is typing.Annotated or wrapper:
            tp = typing.get_args(tp)[0]
        else:
            return tp


def _is_sentinel(tp: Any) -> bool:
    """Stainless's "argument not given" marker types (Omit, NotGiven)."""
    return inspect.isclass(tp) and tp.__name__ in {"Omit", "NotGiven"}


def _literal_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values}
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int}:
        return "integer"
    if kinds <= {int, float}:
        return "number"
    return "string"


def _merge_enum(a: list[Any] | None, b: list[Any] | None) -> list[Any] | None:
    if a is None and b is None:
        return None
    out = list(a or [])
    out += [v for v in b or [] if v not in out]
    return out


def normalize(tp: Any) -> Norm:
    """Map a Python annotation onto string/integer/number/boolean/object/array/map/any."""
    tp = _strip_wrappers(tp)
    if tp is None or tp is type(None):
        return Norm("null", nullable=True)
    if isinstance(tp, typing.ForwardRef):
        return Norm("object", refs=[tp.__forward_arg__])
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        return _normalize_union(args)
    if origin is typing.Literal:
        values = list(args)
        return Norm(_literal_type(values), enum=values)
    if origin is not None and _is_sequence(origin):
        inner = normalize(args[0]) if args else Norm("any")
        return Norm(f"array<{inner.type}>", enum=inner.enum, refs=inner.refs)
    if origin in {dict, collections.abc.Mapping, collections.abc.MutableMapping}:
        value = normalize(args[1]) if len(args) == 2 else Norm("any")
        kind = "map" if value.type == "any" else f"map<{value.type}>"
        return Norm(kind, enum=value.enum, refs=value.refs)
    if tp is typing.Any or tp is object:
        return Norm("any")
    if tp is bool:
        return Norm("boolean")
    if tp is int:
        return Norm("integer")
    if tp is float:
        return Norm("number")
    if tp in {str, bytes, dt.datetime, dt.date, dt.time}:
        return Norm("string")
    if inspect.isclass(tp) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        return Norm(_literal_type(values), enum=values)
    if _is_model(tp):
        return Norm("object", refs=[tp])
    if isinstance(tp, typing.TypeVar):
        return Norm("any")
    return Norm(f"unknown<{tp!r}>")


def _is_sequence(origin: Any) -> bool:
    if origin in {list, tuple, set, frozenset}:
        return True
    # Stainless declares id lists as its own Protocol SequenceNotStr[str].
    return "Sequence" in getattr(origin, "__name__", "") or origin in {
        collections.abc.Sequence,
        collections.abc.Iterable,
    }


def _normalize_union(args: tuple[Any, ...]) -> Norm:
    nullable = any(a is None or a is type(None) for a in args)
    members = [a for a in args if a is not None and a is not type(None) and not _is_sentinel(a)]
    literal_values: list[Any] = []
    others: list[Norm] = []
    for member in members:
        norm = normalize(member)
        nullable = nullable or norm.nullable
        if typing.get_origin(_strip_wrappers(member)) is typing.Literal:
            literal_values += [v for v in norm.enum or [] if v not in literal_values]
        else:
            others.append(norm)
    if literal_values:
        # An "open" enum (Fern: Literal[...] | Any, Stainless: Literal[...] | str) is still a
        # string with the listed values; the fallback only admits values added later.
        rest = [o for o in others if o.type not in {"any", "string"} or o.enum]
        others = [Norm(_literal_type(literal_values), enum=literal_values), *rest]
    unique: list[Norm] = []
    for norm in others:
        same = next((u for u in unique if u.type == norm.type), None)
        if same is None:
            unique.append(Norm(norm.type, enum=norm.enum, refs=list(norm.refs)))
        else:
            same.enum = _merge_enum(same.enum, norm.enum)
            same.refs += [r for r in norm.refs if r not in same.refs]
    if not unique:
        return Norm("null", nullable=True)
    if len(unique) == 1:
        only = unique[0]
        return Norm(only.type, nullable=nullable, enum=only.enum, refs=only.refs)
    enum_values: list[Any] | None = None
    refs: list[Any] = []
    for norm in unique:
        enum_values = _merge_enum(enum_values, norm.enum)
        refs += [r for r in norm.refs if r not in refs]
    kind = "union<" + ", ".join(n.type for n in unique) + ">"
    return Norm(kind, nullable=nullable, enum=enum_values, refs=refs)


def _camel(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


class Namer:
    """Stable, unique names for model classes across one release."""

    def __init__(self, generator: str) -> None:
        self.generator = generator
        self.by_class: dict[Any, str] = {}
        self.taken: set[str] = set()

    def name(self, cls: Any) -> str:
        if isinstance(cls, str):
            return cls
        if cls in self.by_class:
            return self.by_class[cls]
        base = cls.__name__
        module = cls.__module__
        primary = _camel(module.rsplit(".", 1)[-1])
        # Stainless nests a response's sub-objects in the response's own module under short
        # names (`Issue`, `Regions`, even `AdCampaign` inside ad_group.py): qualify them.
        if (
            self.generator == "stainless"
            and module.startswith("whop_sdk.types")
            and base != primary
        ):
            base = f"{primary}.{base}"
        name = base if base not in self.taken else f"{module}.{cls.__qualname__}"
        self.by_class[cls] = name
        self.taken.add(name)
        return name


def _spec(norm: Norm, required: bool, namer: Namer) -> Spec:
    refs = [namer.name(r) for r in norm.refs]
    return {
        "required": required,
        "nullable": norm.nullable,
        "type": norm.type,
        "enum": norm.enum,
        "ref": " | ".join(refs) if refs else None,
    }


def model_table(cls: Any, namer: Namer) -> tuple[Table, list[Any]]:
    """Field table of a pydantic model or TypedDict, and the model classes it references."""
    table: Table = {}
    refs: list[Any] = []
    if hasattr(cls, "model_fields"):
        for name, info in cls.model_fields.items():
            norm = normalize(info.annotation)
            table[info.alias or name] = _spec(norm, info.is_required(), namer)
            refs += norm.refs
        return table, refs
    hints = typing.get_type_hints(cls, include_extras=True)
    for name, hint in hints.items():
        norm = normalize(hint)
        table[_alias(hint) or name] = _spec(norm, _typeddict_required(cls, hint), namer)
        refs += norm.refs
    return table, refs


def _typeddict_required(cls: Any, hint: Any) -> bool:
    # Resolved from the annotation itself: with `from __future__ import annotations`,
    # `__required_keys__` cannot see Required[...] wrappers.
    while True:
        origin = typing.get_origin(hint)
        if getattr(origin, "_name", None) == "Required":
            return True
        if getattr(origin, "_name", None) == "NotRequired":
            return False
        if origin is typing.Annotated:
            hint = typing.get_args(hint)[0]
            continue
        return bool(getattr(cls, "__total__", True))


def _alias(hint: Any) -> str | None:
    """The wire name Stainless declares with Annotated[..., PropertyInfo(alias=...)]."""
    while True:
        origin = typing.get_origin(hint)
        if origin is typing.Annotated:
            for meta in hint.__metadata__:
                alias = getattr(meta, "alias", None)
                if isinstance(alias, str):
                    return alias
            hint = typing.get_args(hint)[0]
        elif getattr(origin, "_name", None) in {"Required", "NotRequired", "ReadOnly"}:
            hint = typing.get_args(hint)[0]
        else:
            return None


@dataclass
class Call:
    """What a resource method's source shows about the request it sends."""

    http: str | None = None
    locations: dict[str, str] = field(default_factory=dict)  # python param -> in
    wire: dict[str, str] = field(default_factory=dict)  # python param -> wire name
    response_name: str | None = None
    params_classes: list[str] = field(default_factory=list)


def _method_node(source_file: str, class_name: str, method: str) -> ast.FunctionDef | None:
    tree = ast.parse(Path(source_file).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    return item
    return None


def _path_text(node: ast.expr) -> str | None:
    """The path a request call sends to, with path parameters as {name}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "/" + node.value.lstrip("/")
    if isinstance(node, ast.Call) and node.args:  # Stainless path_template("/x/{id}", id=id)
        return _path_text(node.args[0])
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                names = [n.id for n in ast.walk(value.value) if isinstance(n, ast.Name)]
                parts.append("{" + (names[-1] if names else "?") + "}")
        return "/" + "".join(parts).lstrip("/")
    return None


def _dict_params(node: ast.expr, params: set[str]) -> Iterator[tuple[str, str]]:
    """(wire key, python param) pairs of a literal dict whose values use parameters."""
    for dict_node in (n for n in ast.walk(node) if isinstance(n, ast.Dict)):
        for key, value in zip(dict_node.keys, dict_node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            used = [n.id for n in ast.walk(value) if isinstance(n, ast.Name) and n.id in params]
            if used:
                yield key.value, used[0]


def _params_class(node: ast.expr) -> str | None:
    """The `x_params.XParams` TypedDict a Stainless maybe_transform(...) call names."""
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        if len(call.args) == 2 and isinstance(call.args[1], ast.Attribute | ast.Name):
            return ast.unparse(call.args[1])
    return None


def stainless_call(func_node: ast.FunctionDef, params: set[str]) -> Call:
    """Request of a Stainless resource method: self._post(path, body=..., options=...)."""
    call = Call()
    for node in ast.walk(func_node):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in STAINLESS_VERBS or not node.args:
            continue
        path = _path_text(node.args[0]) or "?"
        call.http = f"{STAINLESS_VERBS[node.func.attr]} {path}"
        for name in params:
            if "{" + name + "}" in path:
                call.locations[name] = "path"
        for keyword in node.keywords:
            if keyword.arg == "body":
                where = "body"
            elif keyword.arg == "options":
                where = "query"
            elif keyword.arg == "cast_to":
                call.response_name = ast.unparse(keyword.value)
                continue
            else:
                continue
            for _wire, name in _dict_params(keyword.value, params):
                call.locations.setdefault(name, where)
            cls = _params_class(keyword.value)
            if cls:
                call.params_classes.append(cls)
        # The page class is the response of list methods, not the item model.
        page = next((k for k in node.keywords if k.arg == "page"), None)
        if page is not None:
            call.response_name = ast.unparse(page.value)
        break
    return call


def fern_call(func_node: ast.FunctionDef, params: set[str]) -> Call:
    """Request of a Fern raw-client method: httpx_client.request(path, method=..., ...)."""
    call = Call()
    for node in ast.walk(func_node):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "request" or not node.args:
            continue
        method = next((k.value for k in node.keywords if k.arg == "method"), None)
        verb = str(method.value) if isinstance(method, ast.Constant) else "?"
        path = _path_text(node.args[0]) or "?"
        call.http = f"{verb} {path}"
        for name in params:
            if "{" + name + "}" in path:
                call.locations[name] = "path"
        for keyword in node.keywords:
            where = FERN_PLACEMENT.get(keyword.arg or "")
            if where is None:
                continue
            if isinstance(keyword.value, ast.Name) and keyword.value.id in params:
                call.locations.setdefault(keyword.value.id, where)  # a whole-body parameter
                continue
            for wire, name in _dict_params(keyword.value, params):
                call.locations.setdefault(name, where)
                if wire != name:
                    call.wire[name] = wire
        break
    return call


def _signature_params(func: Any) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(func).parameters.values() if p.name not in PLUMBING]


def _stainless_aliases(module: Any, class_paths: list[str]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for path in class_paths:
        target: Any = module
        for part in path.split("."):
            target = getattr(target, part, None)
        if target is None:
            continue
        for name, hint in typing.get_type_hints(target, include_extras=True).items():
            alias = _alias(hint)
            if alias and alias != name:
                aliases[name] = alias
    return aliases


def _response_type(generator: str, hints: dict[str, Any], call: Call, module: Any) -> Any:
    """The class the method parses its response into (the page class for list methods)."""
    returned = hints.get("return")
    if generator == "fern":
        origin = typing.get_origin(returned)
        if origin is not None and getattr(origin, "__name__", "").endswith("Pager"):
            return typing.get_args(returned)[-1]  # SyncPager[Item, ListXResponse]
        return returned
    if call.response_name and "[" not in call.response_name:
        # A Stainless alias such as AdCampaignDeleteResponse = bool keeps its name only in
        # the source, so name it from there.
        target = getattr(module, call.response_name, None)
        if target is not None and not _is_model(target):
            return ("alias", call.response_name, target)
    return returned


def method_table(
    generator: str, resource_path: str, resource: Any, method: str, namer: Namer
) -> tuple[Spec, list[Any], Any]:
    """One method: call path, HTTP method and path, params, response class name."""
    func = getattr(type(resource), method)
    hints = typing.get_type_hints(func, include_extras=True)
    sig_params = _signature_params(func)
    names = {p.name for p in sig_params}
    module = sys.modules[type(resource).__module__]
    aliases: dict[str, str] = {}
    if generator == "fern":
        raw = type(resource._raw_client)
        raw_file = inspect.getsourcefile(raw) or ""
        node = _method_node(raw_file, raw.__name__, method)
        call = fern_call(node, names) if node else Call()
        aliases = call.wire
    else:
        node = _method_node(
            inspect.getsourcefile(type(resource)) or "", type(resource).__name__, method
        )
        call = stainless_call(node, names) if node else Call()
        aliases = _stainless_aliases(module, call.params_classes)
    params: Table = {}
    refs: list[Any] = []
    for param in sig_params:
        norm = normalize(hints.get(param.name, typing.Any))
        spec = _spec(norm, param.default is inspect.Parameter.empty, namer)
        spec["in"] = call.locations.get(param.name, "unknown")
        if aliases.get(param.name, param.name) != param.name:
            spec["alias"] = aliases[param.name]
        params[param.name] = spec
        refs += norm.refs
    response = _response_type(generator, hints, call, module)
    entry: Spec = {
        "call": f"client.{resource_path}.{method}",
        "http": call.http,
        "params": params,
        "response": _response_name(response, namer),
        "response_type": _response_kind(response),
    }
    return entry, refs, response


def _response_name(response: Any, namer: Namer) -> str | None:
    if response is None:
        return None
    if isinstance(response, tuple):  # ("alias", name, target)
        return str(response[1])
    if _is_model(response):
        return namer.name(response)
    return normalize(response).type


def _response_kind(response: Any) -> str | None:
    if response is None:
        return None
    if isinstance(response, tuple):
        return normalize(response[2]).type
    return normalize(response).type


def _resource(client: Any, path: str) -> Any:
    target = client
    for part in path.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def _public_methods(resource: Any) -> list[str]:
    skip = {"with_raw_response", "with_streaming_response"}
    return sorted(
        name
        for name, value in inspect.getmembers(type(resource), inspect.isfunction)
        if not name.startswith("_") and name not in skip
    )


def _version_tokens(generator: str) -> list[str] | None:
    if generator != "fern":
        return None
    try:
        module = __import__("whop_sdk.types.api_key_api_version_date", fromlist=["x"])
    except ImportError:
        return None
    norm = normalize(module.ApiKeyApiVersionDate)
    return [str(v) for v in norm.enum or []] or None


def _client(generator: str) -> tuple[Any, str]:
    """A client (no request is sent) and the Api-Version-Date header it sends by default."""
    # Typed as Any: the release imported here is not the one mypy sees in the virtualenv.
    whop_sdk: Any = importlib.import_module("whop_sdk")

    if generator == "stainless":
        # The Stainless client takes its default from WHOP_API_VERSION before the built-in.
        os.environ.pop("WHOP_API_VERSION", None)
        client = whop_sdk.Whop(api_key="unused")
        return client, str(client.default_headers["Api-Version-Date"])
    client = whop_sdk.Whop(token="unused")
    return client, client._client_wrapper.get_headers()["Api-Version-Date"]


def extract(release: str, root: Path) -> Spec:
    """The whole table of the release imported from `root` (run in the worker)."""
    _stub_unneeded_dependencies()
    whop_sdk: Any = importlib.import_module("whop_sdk")

    location = Path(whop_sdk.__file__).resolve()
    if root.resolve() not in location.parents:
        raise SystemExit(f"imported whop_sdk from {location}, not from {root}")
    generator = "stainless" if (root / "whop_sdk" / "_client.py").exists() else "fern"
    namer = Namer(generator)
    client, default_version = _client(generator)
    found = Found()
    requests = read_requests(client, generator, namer, found)
    objects, object_classes = read_objects(found, namer)
    role_classes = {c["class"] for c in object_classes.values()}
    nested = read_nested(found.pending, namer, role_classes)
    return {
        "release": release,
        "generator": generator,
        "default_api_version": default_version,
        "api_version_tokens": _version_tokens(generator),
        "objects": objects,
        "object_classes": object_classes,
        "nested_objects": nested,
        "requests": requests,
    }


@dataclass
class Found:
    """What reading the resources turned up: responses by method, classes still to read."""

    responses: dict[tuple[str, str], Any] = field(default_factory=dict)
    pending: list[Any] = field(default_factory=list)


def read_requests(client: Any, generator: str, namer: Namer, found: Found) -> Spec:
    """Per resource in RESOURCES the client has: its methods, as method_table reads them."""
    requests: Spec = {}
    for path in RESOURCES:
        resource = _resource(client, path)
        if resource is None:
            continue
        methods: Spec = {}
        for method in _public_methods(resource):
            entry, refs, response = method_table(generator, path, resource, method, namer)
            methods[method] = entry
            found.responses[(path, method)] = response
            found.pending += refs
            if _is_model(response):
                found.pending.append(response)
        requests[path] = {"client": f"client.{path}", "methods": methods}
    return requests


def read_objects(found: Found, namer: Namer) -> tuple[Spec, Spec]:
    """Field tables of the role objects (RESPONSE_ROLES and issue) and their class names."""
    objects: Spec = {}
    classes: Spec = {}
    for role, key in RESPONSE_ROLES.items():
        if key not in found.responses:
            continue
        response = found.responses[key]
        if _is_model(response):
            objects[role], refs = model_table(response, namer)
            classes[role] = {"class": namer.name(response), "type": "object"}
            found.pending += refs
        else:  # Stainless deletes return a bare boolean
            objects[role] = None
            classes[role] = {
                "class": _response_name(response, namer),
                "type": _response_kind(response),
            }
    issue = _issue_class(found.responses.get(("ad_campaigns", "retrieve")))
    if issue is not None:
        objects["issue"], _ = model_table(issue, namer)
        classes["issue"] = {"class": namer.name(issue), "type": "object"}
    return objects, classes


def read_nested(pending: list[Any], namer: Namer, role_classes: set[str]) -> Spec:
    """Field tables of every model reachable from the roles and methods, at any depth."""
    nested: Spec = {}
    seen: set[Any] = set()
    while pending:
        cls = pending.pop()
        if isinstance(cls, str) or cls in seen:
            continue
        seen.add(cls)
        table, refs = model_table(cls, namer)
        pending += refs
        if namer.name(cls) not in role_classes:
            nested[namer.name(cls)] = table
    return nested


def _issue_class(campaign: Any) -> Any:
    """The element class of the campaign's `issues` list (its name varies by release)."""
    if not _is_model(campaign):
        return None
    info = campaign.model_fields.get("issues")
    refs = normalize(info.annotation).refs if info else []
    return refs[0] if refs else None


# --------------------------------------------------------------------------------------
# Driver: wheels -> subprocess per release -> JSON files.
# --------------------------------------------------------------------------------------


def wheel_path(wheels: Path, release: str, download: bool) -> Path:
    path = wheels / f"whop_sdk-{release}-py3-none-any.whl"
    if path.exists() or not download:
        if not path.exists():
            raise SystemExit(f"missing {path} (and --no-download was given)")
        return path
    wheels.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", f"whop-sdk=={release}"]
    subprocess.run([*command, "-d", str(wheels)], check=True)
    if not path.exists():
        raise SystemExit(f"pip download did not produce {path}")
    return path


def run_release(release: str, wheel: Path) -> Spec:
    """Extract the wheel to a temporary dir and import it in a subprocess of its own."""
    with tempfile.TemporaryDirectory(prefix=f"whop-sdk-{release}-") as tmp:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tmp)
        env = {**os.environ, "PYTHONPATH": tmp, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("WHOP_API_VERSION", None)
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", release, tmp]
        result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    data: Spec = json.loads(result.stdout)
    return data


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_releases(wheels: Path, out: Path, download: bool, releases: tuple[str, ...]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for release in releases:
        data = run_release(release, wheel_path(wheels, release, download))
        target = out / f"whop-sdk-{release}.json"
        target.write_text(dump(data))
        print(f"{target}: default {data['default_api_version']}", file=sys.stderr)


# --------------------------------------------------------------------------------------
# --diff: neighbouring releases, as Markdown.
# --------------------------------------------------------------------------------------


def _flag(spec: Spec) -> str:
    kind = f"{spec['type']} {spec['ref']}" if spec.get("ref") else spec["type"]
    parts = [kind, "required" if spec["required"] else "optional"]
    if spec["nullable"]:
        parts.append("nullable")
    if spec.get("in"):
        parts.append(f"in {spec['in']}")
    if spec.get("alias"):
        parts.append(f"sent as {spec['alias']}")
    if spec.get("enum"):
        parts.append("enum " + ", ".join(map(str, spec["enum"])))
    return "(" + "; ".join(parts) + ")"


class TableDiff:
    """Differences between two field/param tables, following nested references."""

    def __init__(self, old: Spec, new: Spec) -> None:
        self.old_nested: Spec = old.get("nested_objects", {})
        self.new_nested: Spec = new.get("nested_objects", {})
        self.old_roles = _class_tables(old)
        self.new_roles = _class_tables(new)
        self.seen: set[tuple[str, str]] = set()

    def table(self, label: str, old: Table, new: Table, depth: int = 0) -> list[str]:
        lines: list[str] = []
        added = sorted(set(new) - set(old))
        removed = sorted(set(old) - set(new))
        if added:
            lines.append("added: " + "; ".join(f"`{k}` {_flag(new[k])}" for k in added))
        if removed:
            lines.append("removed: " + ", ".join(f"`{k}`" for k in removed))
        # One line per kind of change, listing every field it applies to: a generator
        # switch makes dozens of fields "now nullable" at once.
        by_change: dict[str, list[str]] = {}
        nested: list[str] = []
        for key in sorted(set(old) & set(new)):
            for change in _spec_changes(old[key], new[key]):
                by_change.setdefault(change, []).append(f"`{key}`")
            nested += self.follow(f"{label}.{key}", old[key], new[key], depth)
        lines += [f"{change}: {', '.join(keys)}" for change, keys in by_change.items()]
        out = [f"- **{label}**: {line}" for line in lines]
        return out + nested

    def follow(self, label: str, old: Spec, new: Spec, depth: int) -> list[str]:
        old_refs = (old.get("ref") or "").split(" | ")
        new_refs = (new.get("ref") or "").split(" | ")
        if not old.get("ref") or not new.get("ref") or len(old_refs) != len(new_refs):
            return []
        lines: list[str] = []
        for old_ref, new_ref in zip(old_refs, new_refs, strict=True):
            if (old_ref, new_ref) in self.seen or depth > 6:
                continue
            self.seen.add((old_ref, new_ref))
            old_table = self._lookup(old_ref, self.old_nested, self.old_roles)
            new_table = self._lookup(new_ref, self.new_nested, self.new_roles)
            if old_table is None or new_table is None:
                continue
            lines += self.table(label, old_table, new_table, depth + 1)
        return lines

    @staticmethod
    def _lookup(name: str, nested: Spec, roles: dict[str, Table]) -> Table | None:
        if name in nested:
            table: Table = nested[name]
            return table
        return roles.get(name)


def _class_tables(data: Spec) -> dict[str, Table]:
    out: dict[str, Table] = {}
    for role, meta in data.get("object_classes", {}).items():
        table = data["objects"].get(role)
        if table is not None:
            out[meta["class"]] = table
    return out


def _spec_changes(old: Spec, new: Spec) -> list[str]:
    changes: list[str] = []
    if old["required"] != new["required"]:
        changes.append("now required" if new["required"] else "now optional")
    if old["nullable"] != new["nullable"]:
        changes.append("now nullable" if new["nullable"] else "no longer nullable")
    if old["type"] != new["type"]:
        target = f"{new['type']} {new['ref']}" if new.get("ref") else new["type"]
        changes.append(f"type {old['type']} → {target}")
    old_enum, new_enum = old.get("enum") or [], new.get("enum") or []
    added = [v for v in new_enum if v not in old_enum]
    removed = [v for v in old_enum if v not in new_enum]
    if old.get("enum") and not new.get("enum"):
        changes.append("no longer an enum (was " + ", ".join(map(str, old_enum)) + ")")
    elif new.get("enum") and not old.get("enum"):
        changes.append("now an enum: " + ", ".join(map(str, new_enum)))
    else:
        if added:
            changes.append("enum values added: " + ", ".join(map(str, added)))
        if removed:
            changes.append("enum values removed: " + ", ".join(map(str, removed)))
    if old.get("in") != new.get("in"):
        changes.append(f"sent in {old.get('in')} → {new.get('in')}")
    if old.get("alias") != new.get("alias"):
        changes.append(f"wire name {old.get('alias')} → {new.get('alias')}")
    return changes


def diff_pair(old: Spec, new: Spec) -> list[str]:
    """Markdown lines for everything that differs between two release tables."""
    lines = [f"## {old['release']} → {new['release']}", ""]
    if old["generator"] != new["generator"]:
        lines.append(f"- generator: {old['generator']} → {new['generator']}")
    lines.append(
        f"- default Api-Version-Date: {old['default_api_version']} → {new['default_api_version']}"
    )
    old_tokens, new_tokens = old["api_version_tokens"] or [], new["api_version_tokens"] or []
    if old_tokens != new_tokens:
        added = [t for t in new_tokens if t not in old_tokens]
        removed = [t for t in old_tokens if t not in new_tokens]
        lines.append(
            "- version tokens added: "
            + (", ".join(added) or "none")
            + ("; removed: " + ", ".join(removed) if removed else "")
        )
    differ = TableDiff(old, new)
    # Role objects are compared under their role, not again wherever they are referenced.
    for role, meta in old["object_classes"].items():
        if role in new["object_classes"]:
            differ.seen.add((meta["class"], new["object_classes"][role]["class"]))
    lines += ["", "### Objects", ""]
    object_lines: list[str] = []
    for role in _ordered(ROLE_ORDER, {**old["object_classes"], **new["object_classes"]}):
        object_lines += _role_diff(role, old, new, differ)
    lines += object_lines or ["- no differences"]
    lines += ["", "### Requests", ""]
    request_lines: list[str] = []
    for resource in _ordered(RESOURCES, {**old["requests"], **new["requests"]}):
        request_lines += _resource_diff(resource, old["requests"], new["requests"], differ)
    lines += request_lines or ["- no differences"]
    return [*lines, ""]


def _ordered(order: tuple[str, ...], present: Spec) -> list[str]:
    """The keys present in either release, in the canonical order first."""
    return [*(k for k in order if k in present), *sorted(k for k in present if k not in order)]


def _role_diff(role: str, old: Spec, new: Spec, differ: TableDiff) -> list[str]:
    old_meta, new_meta = old["object_classes"].get(role), new["object_classes"].get(role)
    if old_meta is None or new_meta is None:
        if new_meta is None:
            return [f"- **{role}**: gone (was {old_meta['class']})"]
        return [f"- **{role}**: new ({new_meta['class']})"]
    lines = []
    if old_meta["class"] != new_meta["class"]:
        lines.append(f"- **{role}**: class {old_meta['class']} → {new_meta['class']}")
    old_table, new_table = old["objects"][role], new["objects"][role]
    if old_table is None or new_table is None:
        if (old_table is None) != (new_table is None):
            lines.append(f"- **{role}**: type {old_meta['type']} → {new_meta['type']}")
            if new_table is not None:
                shown = "; ".join(f"`{k}` {_flag(v)}" for k, v in sorted(new_table.items()))
                lines.append(f"- **{role}**: fields {shown}")
        return lines
    return lines + differ.table(role, old_table, new_table)


def _resource_diff(resource: str, old: Spec, new: Spec, differ: TableDiff) -> list[str]:
    if resource not in new:
        return [f"- `client.{resource}`: gone"]
    if resource not in old:
        listing = []
        for name, entry in new[resource]["methods"].items():
            params = ", ".join(f"`{k}`" for k in entry["params"]) or "no params"
            listing.append(f"  - `{name}` {entry['http']} ({params}) → {entry['response']}")
        return [f"- `client.{resource}`: new resource", *listing]
    old_methods, new_methods = old[resource]["methods"], new[resource]["methods"]
    lines: list[str] = []
    added = [m for m in new_methods if m not in old_methods]
    removed = [m for m in old_methods if m not in new_methods]
    for name in added:
        entry = new_methods[name]
        params = "; ".join(f"`{k}` {_flag(v)}" for k, v in entry["params"].items())
        lines.append(
            f"- `client.{resource}.{name}`: new method, {entry['http']} → {entry['response']}"
            + (f"; params {params}" if params else "")
        )
    for name in removed:
        lines.append(f"- `client.{resource}.{name}`: method gone ({old_methods[name]['http']})")
    for name in [m for m in old_methods if m in new_methods]:
        before, after = old_methods[name], new_methods[name]
        label = f"{resource}.{name}"
        if before["http"] != after["http"]:
            lines.append(f"- **{label}**: HTTP {before['http']} → {after['http']}")
        if before["response"] != after["response"]:
            lines.append(f"- **{label}**: response {before['response']} → {after['response']}")
        lines += differ.table(label, before["params"], after["params"])
        lines += _response_follow(label, before["response"], after["response"], differ)
    return lines


def _response_follow(label: str, old: str | None, new: str | None, differ: TableDiff) -> list[str]:
    if not old or not new or old.startswith("{") or (old, new) in differ.seen:
        return []
    fake_old: Spec = {"ref": old, "required": True, "nullable": False, "type": "object"}
    fake_new: Spec = {"ref": new, "required": True, "nullable": False, "type": "object"}
    return differ.follow(f"{label} response", fake_old, fake_new, 0)


def render_diff(out: Path, releases: tuple[str, ...]) -> str:
    tables = [json.loads((out / f"whop-sdk-{r}.json").read_text()) for r in releases]
    lines = [
        "# Differences between neighbouring whop-sdk releases",
        "",
        "Generated from the JSON files in this directory by "
        "`.venv/bin/python tools/client_shapes.py --diff > "
        "src/adline/versions/releases/DIFF.md`; do not edit by hand.",
        "",
        "Per pair: generator, default `Api-Version-Date`, version tokens; then per object "
        "(by role, nested objects followed through their fields, whatever the client names "
        "their classes) and per resource method (params, then the response's objects): "
        "fields added (with type; required/optional; nullable; enum), fields removed, and "
        "per field: now required/optional, now nullable / no longer nullable, type, enum "
        "values added / removed, where a param is sent, its wire name.",
        "",
    ]
    for old, new in itertools.pairwise(tables):
        lines += diff_pair(old, new)
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS, help="wheel directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON directory")
    parser.add_argument("--no-download", action="store_true", help="fail on a missing wheel")
    parser.add_argument("--release", action="append", help="only these releases")
    parser.add_argument("--diff", action="store_true", help="print DIFF.md from the JSON")
    parser.add_argument("--worker", nargs=2, metavar=("RELEASE", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        release, root = args.worker
        sys.stdout.write(dump(extract(release, Path(root))))
        return 0
    releases = tuple(args.release) if args.release else RELEASES
    if args.diff:
        sys.stdout.write(render_diff(args.out, releases))
        return 0
    write_releases(args.wheels, args.out, not args.no_download, releases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
