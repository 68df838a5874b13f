"""One OpenAPI document per API version, and the pages that serve them.

`GET /api/v1/openapi.json?version=V` (or the `Api-Version-Date` header; default: the
bundle's default version) answers the document of version V; `GET /api/v1/docs?version=V`
a Swagger UI page on it; `GET /api/v1/docs` an index of the versions. None needs a key.

FastAPI's generated schema describes the handlers, which know only the newest shapes and
read their bodies themselves (`adline.core.http.json_body`), so it shows no request bodies.
`openapi_for` starts from it and:

- on the campaign, ad group and ad endpoints, replaces the response schemas with the
  version's models (`RESPONSE_SHAPES`): one object, a list `{data: [T], page_info}`, a
  duplicate's `{data: [T]}`, a delete's `{id, deleted}` (or whatever the version's migration
  of `<kind>.deleted` answers: 2025-01-01's ad group delete is a bare `true`);
- on every route that reads its body through a `JsonBody` dependency (found among the
  route's dependencies, so a new route needs nothing here), adds the request body: the
  newest request model in the newest document; in an older one the newest model minus the
  fields its `VersionChange`s declare (`added_fields`, `renamed_fields`) when those
  declarations are all that changed that body, else an open object. Either way the
  operation's description lists the changes to the body;
- adds OpenAPI `links` to each create's answer (`_add_links`): to every operation on the
  object it made (`/things/{id}` and `/things/{id}/<action>`: retrieve, update, delete,
  pause, unpause, duplicate ...), and to each create whose body names such an object
  (`thing_id`), so a client or a stateful fuzzer can follow them to real objects.

It also names the version (`info["x-api-version-date"]`), describes the bearer key, the
`Api-Version-Date` header (defaulting to the document's version, so Swagger UI's "try it
out" speaks it) and the error envelope, and drops the components no operation uses.
"""

from __future__ import annotations

import copy
import functools
import html
import inspect
import re
from collections.abc import Iterator, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from adline import __version__
from adline.campaigns.schemas import DeletedObject
from adline.core.http import PRIVATE_PREFIX, JsonBody
from adline.core.schemas import PageInfoObject
from adline.core.versioning import VERSION_HEADER, VersionBundle, VersionChange
from adline.docs_page import assets_url, swagger_ui_page
from adline.versions.shapes import RESPONSE_SHAPES

Schema = dict[str, Any]
ChangeT = type[VersionChange]

REF_PREFIX = "#/components/schemas/"
REF_TEMPLATE = REF_PREFIX + "{model}"
SECURITY_SCHEME = "ApiKey"
VERSION_PARAM = "version"

# Collection path segment -> resource kind.
RESOURCES = {"ad_campaigns": "ad_campaign", "ad_groups": "ad_group", "ads": "ad"}
RESOURCE_PATH = re.compile(
    r"^(?P<prefix>.*)/(?P<collection>ad_campaigns|ad_groups|ads)"
    r"(?P<item>/\{[^/}]+\}(?:/(?P<action>pause|unpause|duplicate|credits))?)?$"
)


class ErrorDetail(BaseModel):
    type: str
    message: str
    code: str | None
    param: str | None
    # Only on a 402 `payment_required`: where the company adds funds (docs/funding.md).
    deposit_url: str | None = None


class Error(BaseModel):
    """Every non-2xx answer (docs/api.md, Errors)."""

    error: ErrorDetail


# ---------------------------------------------------------------------------- the document


def openapi_for(app: FastAPI, version: str) -> Schema:
    """The OpenAPI document of `version` (supported by the app's bundle), built once per
    app and version. The dict is shared: do not mutate it."""
    cache: dict[str, Schema] | None = getattr(app.state, "openapi_documents", None)
    if cache is None:
        cache = app.state.openapi_documents = {}
    if version not in cache:
        bundle: VersionBundle = app.state.version_bundle
        if not bundle.is_supported(version):
            raise ValueError(f"version {version} is not in the app's bundle")
        shape = bundle.shape_of(version)
        if shape not in cache:
            cache[shape] = _build(app, bundle, shape)
        cache[version] = cache[shape]
    return cache[version]


def _build(app: FastAPI, bundle: VersionBundle, version: str) -> Schema:
    if version not in RESPONSE_SHAPES:
        raise LookupError(f"no response shapes for {version} in adline.versions.shapes")
    document = copy.deepcopy(app.openapi())
    components = _Components()
    changes = changes_down_to(bundle, version)
    error_ref = components.model(Error)
    prefixes: set[str] = set()

    bodies = request_bodies(app)
    for path, method, operation in _operations(document):
        body = bodies.get((path, method))
        if body is not None:
            _set_request_body(operation, components, version, changes, body)
        match = RESOURCE_PATH.match(path)
        if match is None:
            # The report's own older shape, where the version has one.
            report = RESPONSE_SHAPES[version].get("ad_report")
            if path.endswith("/ad_reports") and report is not None:
                _set_response(operation, components.model(report))
            continue
        prefixes.add(match["prefix"])
        kind = RESOURCES[match["collection"]]
        shape = RESPONSE_SHAPES[version][kind]
        item, action = match["item"], match["action"]
        if item is None:
            form = "object" if method == "post" else "list"
        elif action == "duplicate":
            form = "collection"
        elif action is not None or method != "delete":  # pause, unpause; retrieve, update
            form = "object"
        else:
            form = "deleted"
        _set_response(operation, _response_schema(components, bundle, version, kind, shape, form))

    _add_links(document, components.schemas)

    prefix = min(prefixes, key=len) if prefixes else ""
    for path, _, operation in _operations(document):
        if not path.startswith(prefix + "/"):
            continue
        operation.setdefault("responses", {}).pop("422", None)
        operation["responses"]["default"] = {
            "description": "An error, in the one envelope of every version",
            "content": {"application/json": {"schema": error_ref}},
        }
        operation["security"] = [{SECURITY_SCHEME: []}]
        operation["parameters"] = [
            *operation.get("parameters", []),
            _version_header_parameter(version),
        ]

    document["info"] = _info(document["info"], bundle, version, changes, prefix)
    schemas = {**document.get("components", {}).get("schemas", {}), **components.schemas}
    document["components"] = {
        "schemas": _reachable(document, schemas),
        "securitySchemes": {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "An Adline API key: `Authorization: Bearer adl_sk_...`",
            }
        },
    }
    return document


def _operations(document: Schema) -> Iterator[tuple[str, str, Schema]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}:
                yield path, method, operation


def _info(
    info: Schema, bundle: VersionBundle, version: str, changes: list[ChangeT], prefix: str
) -> Schema:
    lines = [
        info.get("description", ""),
        "",
        f"This document describes API version **{version}**: send "
        f"`{VERSION_HEADER}: {version}` (or use a key pinned to it). Without the header or "
        f"a pin the default version applies: `{bundle.default}`. Other versions: "
        f"`{prefix}/openapi.json?{VERSION_PARAM}=...` ({', '.join(bundle.values)}).",
    ]
    if changes:
        lines += ["", f"How {version} differs from the newest version ({bundle.newest}):", ""]
        lines += [f"- **{change.__name__}**: {_one_line(change)}" for change in changes]
    return {
        **info,
        "title": f"{info.get('title', 'Adline')} (API version {version})",
        "version": __version__,
        "x-api-version-date": version,
        "description": "\n".join(lines).strip(),
    }


def _version_header_parameter(version: str) -> Schema:
    return {
        "name": VERSION_HEADER,
        "in": "header",
        "required": False,
        "description": f"The API version; this document describes {version}.",
        "schema": {"type": "string", "default": version},
    }


# ---------------------------------------------------------------------------- responses


def _response_schema(
    components: _Components,
    bundle: VersionBundle,
    version: str,
    kind: str,
    shape: type[BaseModel],
    form: str,
) -> Schema:
    if form == "object":
        return components.model(shape)
    if form == "deleted":
        # Whatever this version's migrations make of a deletion: `{id, deleted}` or `true`.
        deleted = bundle.migrate_response(version, f"{kind}.deleted", {"id": "", "deleted": True})
        if isinstance(deleted, bool):
            return {"type": "boolean", "const": True}
        return components.model(DeletedObject)
    name = f"{shape.__name__}{'List' if form == 'list' else 'Collection'}"
    properties: Schema = {"data": {"type": "array", "items": components.model(shape)}}
    if form == "list":
        properties["page_info"] = components.model(PageInfoObject)
    components.add(
        name,
        {
            "title": name,
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        },
    )
    return {"$ref": REF_TEMPLATE.format(model=name)}


def _set_response(operation: Schema, schema: Schema) -> None:
    responses = operation.setdefault("responses", {})
    ok = responses.setdefault("200", {"description": "Successful Response"})
    ok["content"] = {"application/json": {"schema": schema}}


# ---------------------------------------------------------------------------- links

ITEM_PATH = re.compile(r"^(?P<collection>.*)/\{(?P<param>[^/{}]+)\}(?:/[a-z_]+)?$")


def _add_links(document: Schema, schemas: Mapping[str, Schema]) -> None:
    """Links from each create (a POST on `/things` whose answer carries an `id`, at its top
    or inside one wrapping object):

    - to every operation on `/things/{param}` and `/things/{param}/<action>`, with `param`
      the created object's id;
    - when `/things` has such operations, to each create whose request body has a
      `thing_id` property (singular of `/things`), with that property the created object's
      id (merged into the body the client writes).
    """
    creates: dict[str, tuple[Schema, str]] = {}  # collection path -> (operation, id pointer)
    for path, method, operation in _operations(document):
        if method != "post" or "{" in path:
            continue
        pointer = _id_pointer(_ok_schema(operation), document, schemas)
        if pointer is not None:
            creates[path] = (operation, pointer)
    addressable: set[str] = set()  # collections whose objects have operations of their own
    for path, _, operation in _operations(document):
        match = ITEM_PATH.match(path)
        if match is None or match["collection"] not in creates:
            continue
        source, pointer = creates[match["collection"]]
        _link(source, operation, {match["param"]: f"$response.body#{pointer}"})
        addressable.add(match["collection"])
    for path in sorted(addressable):
        source, pointer = creates[path]
        singular = path.rsplit("/", 1)[-1].removesuffix("s")
        for target_path, (target, _) in creates.items():
            body = target.get("requestBody", {}).get("content", {}).get("application/json", {})
            properties = _resolve(body.get("schema", {}), schemas).get("properties", {})
            if f"{singular}_id" in properties and target_path != path:
                _link(source, target, {}, {f"{singular}_id": f"$response.body#{pointer}"})


def _ok_schema(operation: Schema) -> Schema:
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema: Schema = content.get("application/json", {}).get("schema", {})
    return schema


def _resolve(schema: Schema, schemas: Mapping[str, Schema]) -> Schema:
    while isinstance(schema.get("$ref"), str) and schema["$ref"].startswith(REF_PREFIX):
        schema = schemas[schema["$ref"].removeprefix(REF_PREFIX)]
    return schema


def _id_pointer(schema: Schema, document: Schema, schemas: Mapping[str, Schema]) -> str | None:
    """Where a created object's id is in the answer: `/id`, or `/<wrapper>/id`."""
    all_schemas = {**document.get("components", {}).get("schemas", {}), **schemas}
    properties = _resolve(schema, all_schemas).get("properties", {})
    if "id" in properties:
        return "/id"
    wrapped = [
        name
        for name, inner in properties.items()
        if "id" in _resolve(inner, all_schemas).get("properties", {})
    ]
    return f"/{wrapped[0]}/id" if len(properties) == 1 and wrapped else None


def _link(
    source: Schema,
    target: Schema,
    parameters: dict[str, str],
    request_body: dict[str, str] | None = None,
) -> None:
    links: Schema = source["responses"]["200"].setdefault("links", {})
    link: Schema = {"operationId": target["operationId"]}
    if parameters:
        link["parameters"] = parameters
    if request_body is not None:
        link["requestBody"] = request_body
    name = "".join(part.title() for part in target["operationId"].split("_api_v1_")[0].split("_"))
    if links.setdefault(name, link) != link:
        raise ValueError(f"two links named {name} from {source['operationId']}")


# ---------------------------------------------------------------------------- request bodies


def request_bodies(app: FastAPI) -> dict[tuple[str, str], JsonBody[Any]]:
    """The body each operation reads (`(path, method)`, as the document names them): the
    `JsonBody` among its route's dependencies, at any depth."""
    found: dict[tuple[str, str], JsonBody[Any]] = {}
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        readers = list(_body_readers(route.dependant))
        if len(readers) > 1:
            raise ValueError(f"{route.path_format} reads its body twice")
        for method in route.methods or ():
            if readers:
                found[(str(route.path_format), method.lower())] = readers[0]
    return found


def _body_readers(dependant: Dependant) -> Iterator[JsonBody[Any]]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, JsonBody):
            yield dependency.call
        yield from _body_readers(dependency)


def changes_down_to(bundle: VersionBundle, version: str) -> list[ChangeT]:
    """The changes from the newest version down to `version`, newest first."""
    changes: list[ChangeT] = []
    for entry in bundle.versions[1 : bundle.values.index(version) + 1]:
        changes.extend(entry.changes)
    return changes


def _custom_request_migrations(change: ChangeT, request_kind: str) -> list[str]:
    """Names of the change's own `@request_migration` methods for `request_kind` (the
    declared field changes are migrations too, built by the base class)."""
    return [
        migration.__name__
        for migration in change.request_migrations.get(request_kind, ())
        if "_declared_request_migration" not in migration.__qualname__
    ]


def _set_request_body(
    operation: Schema,
    components: _Components,
    version: str,
    changes: list[ChangeT],
    body: JsonBody[Any],
) -> None:
    model, request_kind = body.model, body.kind
    kind = request_kind.partition(".")[0]
    relevant = [
        change
        for change in changes
        if change.request_migrations.get(request_kind) or change.unknown_in_requests(request_kind)
    ]
    newest = components.model(model, mode="validation")
    fields = set(components.schemas[model.__name__].get("properties", {}))
    if not relevant:
        schema = newest
    elif any(_custom_request_migrations(change, request_kind) for change in relevant):
        schema = {
            "type": "object",
            "description": f"The body of version {version}: see the operation's description.",
        }
    else:
        # Only declared differences: the newest body minus added fields, renames undone.
        derived = copy.deepcopy(components.schemas[model.__name__])
        properties: Schema = derived.setdefault("properties", {})
        required: list[str] = derived.get("required", [])
        for change in relevant:
            for name in (
                *change.added_fields.get(kind, ()),
                *change.added_request_fields.get(request_kind, ()),
            ):
                properties.pop(name, None)
                required = [field for field in required if field != name]
            for older, newer in change.renamed_fields.get(kind, {}).items():
                if newer in properties:
                    properties[older] = properties.pop(newer)
                required = [older if field == newer else field for field in required]
        if required:
            derived["required"] = required
        else:
            derived.pop("required", None)
        name = f"{model.__name__}{_compact(version)}"
        derived["title"] = name
        components.add(name, derived)
        schema = {"$ref": REF_TEMPLATE.format(model=name)}
    # An empty body reads as `{}`: optional where `{}` can be a whole request.
    body_required = request_kind.endswith(".create") or bool(
        components.schemas[model.__name__].get("required")
    )
    operation["requestBody"] = {
        "required": body_required,
        "content": {"application/json": {"schema": schema}},
    }
    custom = [bool(_custom_request_migrations(change, request_kind)) for change in relevant]
    notes = [
        note
        for position, change in enumerate(relevant)
        if (note := _request_note(change, request_kind, fields, any(custom[position + 1 :])))
    ]
    if notes:
        heading = f"**Request body in {version}** (differs from the newest version):"
        description = [operation.get("description", ""), "", heading, "", *notes]
        operation["description"] = "\n".join(description).strip()


def _request_note(
    change: ChangeT, request_kind: str, fields: set[str], superseded: bool
) -> str | None:
    """What `change` does to the body of `request_kind`, whose newest fields are `fields`.

    `superseded`: an older change migrates this body with methods of its own, so the
    client never writes what this change renames or describes; only its refusals hold.
    """
    kind = request_kind.partition(".")[0]
    facts: list[str] = []
    added = [
        name
        for name in (
            *change.added_fields.get(kind, ()),
            *change.added_request_fields.get(request_kind, ()),
        )
        if name in fields
    ]
    if added:
        facts.append("not accepted (added later): " + ", ".join(f"`{name}`" for name in added))
    if superseded:
        return f"- **{change.__name__}**: " + "; ".join(facts) if facts else None
    renamed = {
        older: newer
        for older, newer in change.renamed_fields.get(kind, {}).items()
        if newer in fields
    }
    if renamed:
        facts.append(
            "named "
            + ", ".join(f"`{older}` (newest: `{newer}`)" for older, newer in renamed.items())
        )
    custom = _custom_request_migrations(change, request_kind)
    if custom:
        facts.append(_one_line(change))
    return f"- **{change.__name__}**: " + "; ".join(facts) if facts else None


def _one_line(change: ChangeT) -> str:
    return " ".join(inspect.cleandoc(change.__doc__ or "").split())


def _compact(version: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", version)


# ---------------------------------------------------------------------------- components


class _Components:
    """Schemas generated here, by name; one name never means two schemas."""

    def __init__(self) -> None:
        self.schemas: dict[str, Schema] = {}

    def add(self, name: str, schema: Schema) -> None:
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are both named {name}")

    def model(self, model: type[BaseModel], mode: str = "serialization") -> Schema:
        """A reference to `model`'s schema, its `$defs` merged into the components."""
        schema = copy.deepcopy(_json_schema(model, mode == "validation"))
        definitions = schema.pop("$defs", {})
        if mode == "validation":
            # `_` keys are how migrations hand facts up; clients never send them.
            _drop_private_properties(schema)
            for definition in definitions.values():
                _drop_private_properties(definition)
        for name, definition in definitions.items():
            self.add(name, definition)
        self.add(model.__name__, schema)
        return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


@functools.cache
def _json_schema(model: type[BaseModel], validation: bool) -> Schema:
    """`model`'s JSON schema, computed once per process (every document asks again)."""
    return model.model_json_schema(
        by_alias=True,
        ref_template=REF_TEMPLATE,
        mode="validation" if validation else "serialization",
    )


def _drop_private_properties(schema: Schema) -> None:
    properties: Schema = schema.get("properties", {})
    for name in [name for name in properties if name.startswith(PRIVATE_PREFIX)]:
        del properties[name]
        if "required" in schema:
            schema["required"] = [field for field in schema["required"] if field != name]


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(REF_PREFIX):
                yield item.removeprefix(REF_PREFIX)
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _reachable(document: Schema, schemas: Mapping[str, Schema]) -> dict[str, Schema]:
    """The schemas the paths use, directly or through other schemas."""
    seen: set[str] = set()
    pending = list(_refs(document.get("paths", {})))
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise LookupError(f"the document refers to a missing schema {name}")
        seen.add(name)
        pending.extend(_refs(schemas[name]))
    return {name: schemas[name] for name in sorted(seen)}


# ---------------------------------------------------------------------------- HTTP


def _requested_version(request: Request, version: str | None) -> str:
    """`?version=`, else the `Api-Version-Date` header, else the default version."""
    bundle: VersionBundle = request.app.state.version_bundle
    if version is not None:
        value, param = version, VERSION_PARAM
    elif VERSION_HEADER in request.headers:
        value, param = request.headers[VERSION_HEADER], VERSION_HEADER
    else:
        return bundle.default
    if not bundle.is_supported(value.strip()):
        raise bundle.unsupported(value, param)
    # The response names its version in its `Api-Version-Date` header, as every other does.
    request.state.api_version = value.strip()
    return value.strip()


def docs_router(prefix: str) -> APIRouter:
    """The documentation routes, under `prefix` (`/api/v1`); `/openapi.json` and `/docs` at
    the root redirect there."""
    router = APIRouter(include_in_schema=False)
    json_path, docs_path = f"{prefix}/openapi.json", f"{prefix}/docs"

    @router.get(json_path)
    async def openapi_json(request: Request, version: str | None = None) -> JSONResponse:
        chosen = _requested_version(request, version)
        return JSONResponse(openapi_for(request.app, chosen))

    @router.get(docs_path)
    async def docs(request: Request, version: str | None = None) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        if version is None:
            return HTMLResponse(_index_page(request.app.state.version_bundle, root + prefix))
        chosen = _requested_version(request, version)
        # Swagger UI from Adline's own copy (adline.docs_page): no CDN, works offline.
        return swagger_ui_page(
            assets_url(request, prefix),
            openapi_url=f"{root}{json_path}?{VERSION_PARAM}={chosen}",
            title=f"Adline API {chosen}",
        )

    @router.get("/openapi.json")
    async def root_openapi_json(request: Request) -> RedirectResponse:
        return RedirectResponse(_with_query(json_path, request))

    @router.get("/docs")
    async def root_docs(request: Request) -> RedirectResponse:
        return RedirectResponse(_with_query(docs_path, request))

    return router


def _with_query(path: str, request: Request) -> str:
    root = request.scope.get("root_path", "").rstrip("/")
    query = request.url.query
    return f"{root}{path}?{query}" if query else f"{root}{path}"


def _index_page(bundle: VersionBundle, base: str) -> str:
    rows = []
    for value in bundle.tokens:
        marks = [
            mark
            for mark, applies in (
                ("newest", value == bundle.newest),
                ("default", value == bundle.default),
                (f"shapes of {bundle.shape_of(value)}", not bundle.is_exact(value)),
            )
            if applies
        ]
        label = html.escape(value) + (f" ({', '.join(marks)})" if marks else "")
        query = f"?{VERSION_PARAM}={html.escape(value)}"
        rows.append(
            f'<li>{label}: <a href="{base}/docs{query}">docs</a> · '
            f'<a href="{base}/openapi.json{query}">openapi.json</a></li>'
        )
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8"><title>Adline API versions</title>',
            "</head><body>",
            "<h1>Adline API versions</h1>",
            f"<p>Pin a version with the <code>{VERSION_HEADER}</code> request header; without"
            " it the API key's pinned version applies, else the default. Each version has"
            " its own OpenAPI document.</p>",
            "<ul>",
            *rows,
            "</ul>",
            "</body></html>",
        ]
    )
