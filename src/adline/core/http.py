"""The API edge: reading JSON bodies and rendering responses in the caller's API version.

Request bodies are parsed here rather than by FastAPI so that (1) they can be migrated
up from the caller's version before validation and (2) every mistake becomes the API's
own error (invalid_json, parameter_missing, parameter_invalid) instead of a 422.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from adline.core.edge import parse_json_body
from adline.core.errors import InvalidJson, InvalidRequest, from_pydantic
from adline.core.json_encoding import JsonResponse
from adline.core.pagination import PageInfo
from adline.core.versioning import VersionBundle, request_version

ModelT = TypeVar("ModelT", bound=BaseModel)


def version_bundle(request: Request) -> VersionBundle:
    bundle: VersionBundle = request.app.state.version_bundle
    return bundle


async def read_json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    # Not JSON, nested too deep, or a NUL / lone surrogate in a string: 400 (core/edge.py).
    data = parse_json_body(raw)
    if not isinstance(data, dict):
        raise InvalidJson("The request body must be a JSON object.")
    return data


def validate_body(
    model: type[ModelT], data: dict[str, Any], location: tuple[str, ...] = ()
) -> ModelT:
    """Validate a newest-shape body (or a part of one at `location`); the first problem
    becomes the API's 400."""
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as error:
        raise from_pydantic(error, location) from None


PRIVATE_PREFIX = "_"


def strip_private(value: Any) -> Any:
    """Drop `_`-prefixed keys: facts carried for older versions' migrations, never sent.
    An `EncodedList` (core/json_encoding.py) holds none and is passed by."""
    if isinstance(value, dict):
        return {
            key: strip_private(item)
            for key, item in value.items()
            if not key.startswith(PRIVATE_PREFIX)
        }
    if isinstance(value, list):
        return [strip_private(item) for item in value]
    return value


def _refuse_private_keys(data: dict[str, Any]) -> None:
    for key in data:
        if key.startswith(PRIVATE_PREFIX):
            raise InvalidRequest(f"Unknown parameter: {key}.", param=key)


class JsonBody(Generic[ModelT]):
    """A dependency that reads the body, migrates it to the newest version and validates it.

    Its `model` and `kind` (`<kind>.<action>`) also describe the body in each version's
    OpenAPI document (`adline.openapi` finds every route's `JsonBody` among its
    dependencies), so a route that reads its body this way is documented by itself.
    """

    def __init__(self, model: type[ModelT], kind: str) -> None:
        self.model = model
        self.kind = kind

    async def __call__(self, request: Request) -> ModelT:
        data = await read_json_object(request)
        # `_` keys are how migrations hand data up; a client may not send them.
        _refuse_private_keys(data)
        data = version_bundle(request).migrate_request(request_version(request), self.kind, data)
        # From here on errors name newest parameters; the error handler renames them to
        # the caller's version's (errors of the migrations above already use those).
        request.state.request_kind = self.kind
        return validate_body(self.model, data)


def json_body(model: type[ModelT], kind: str) -> JsonBody[ModelT]:
    """The `JsonBody` dependency of `model`, for requests of `kind`."""
    return JsonBody(model, kind)


def facts_needed(request: Request) -> frozenset[str]:
    """Private facts the caller's version needs in the bodies rendered for it."""
    return version_bundle(request).facts_needed(request_version(request))


def render(
    request: Request, kind: str, body: dict[str, Any], status_code: int = 200
) -> JSONResponse:
    bundle = version_bundle(request)
    migrated = bundle.migrate_response(request_version(request), kind, body)
    return JsonResponse(strip_private(migrated), status_code=status_code)


def render_list(
    request: Request, kind: str, items: Iterable[dict[str, Any]], page_info: PageInfo
) -> JSONResponse:
    bundle = version_bundle(request)
    version = request_version(request)
    data = [bundle.migrate_response(version, kind, item) for item in items]
    envelope = {"data": data, "page_info": page_info.as_dict()}
    return JsonResponse(strip_private(bundle.migrate_response(version, f"{kind}.list", envelope)))


def render_collection(request: Request, kind: str, items: Iterable[dict[str, Any]]) -> JSONResponse:
    """`{"data": [...]}` without page info (duplicate endpoints)."""
    bundle = version_bundle(request)
    version = request_version(request)
    data = [bundle.migrate_response(version, kind, item) for item in items]
    collection = bundle.migrate_response(version, f"{kind}.collection", {"data": data})
    return JsonResponse(strip_private(collection))


def render_deleted(request: Request, kind: str, object_id: str) -> JSONResponse:
    return render(request, f"{kind}.deleted", {"id": object_id, "deleted": True})
