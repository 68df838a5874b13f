"""The one error envelope: `{"error": {"type", "message", "code", "param"}}` (spec section E).

Every failure is an AdlineError subclass carrying its HTTP status, type, code and param;
`install_error_handlers` renders them, and maps FastAPI's and Starlette's own errors
(validation, unknown route, wrong method, crashes) into the same envelope.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from adline.core.headers import SECURITY_HEADERS

logger = logging.getLogger("adline.errors")

# `request.state` key of the headers every answer to the request carries (the rate limit's,
# adline.rate_limits): a crash's answer, made outside every middleware, carries them too.
RESPONSE_HEADERS_STATE = "response_headers"


class AdlineError(Exception):
    status_code = 500
    type = "internal_server_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.extra = extra or {}
        # Headers the answer carries besides the body (a 429's Retry-After).
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "type": self.type,
                "message": self.message,
                "code": self.code,
                "param": self.param,
                **self.extra,
            }
        }


class InvalidRequest(AdlineError):
    """400: the request is wrong; `param` names the offending parameter."""

    status_code = 400
    type = "invalid_request_error"
    code = "parameter_invalid"


class ParameterMissing(InvalidRequest):
    code = "parameter_missing"


class InvalidJson(InvalidRequest):
    code = "invalid_json"


class Unauthorized(AdlineError):
    status_code = 401
    type = "unauthorized"
    code = "invalid_api_key"


class Forbidden(AdlineError):
    status_code = 403
    type = "forbidden"
    code = "missing_scope"


class NotFound(AdlineError):
    status_code = 404
    type = "not_found"
    code = "resource_not_found"


class PaymentRequired(AdlineError):
    """402: the action needs money the company has not put in (docs/funding.md). The body
    carries `deposit_url`, where the company can add funds; it has no code nor param
    (spec section E). A path-only `deposit_url` is made absolute with the request's base."""

    status_code = 402
    type = "payment_required"
    code = None

    def __init__(self, message: str, *, deposit_url: str) -> None:
        super().__init__(message, extra={"deposit_url": deposit_url})


class AdPlatformUnavailable(AdlineError):
    """503: an ad network Adline had to ask first (a token check) could not answer, a
    timeout or a rate limit: nothing was stored; the same request may pass later."""

    status_code = 503
    type = "service_unavailable"
    code = "ad_platform_unavailable"


class Conflict(AdlineError):
    """409: the object's current state forbids the action."""

    status_code = 409
    type = "conflict"
    code = "invalid_state"


class PayloadTooLarge(AdlineError):
    """413: the request body is over the server's cap (`Settings.max_body_bytes`)."""

    status_code = 413
    type = "invalid_request_error"
    code = "body_too_large"


class MethodNotAllowed(AdlineError):
    status_code = 405
    type = "invalid_request_error"
    code = "method_not_allowed"


def error_response(error: AdlineError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status_code, headers=headers)


def param_path(location: Sequence[int | str]) -> str | None:
    """`("regions", "include", "countries", 0)` -> `regions.include.countries[0]`; a key
    that is the empty string reads `""` (`{"": 1}` is an unknown parameter named `""`)."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = part or '""'
            path += f".{name}" if path else name
    return path or None


def from_validation_errors(
    errors: Sequence[Any], *, strip_location: int = 0, prefix: tuple[str, ...] = ()
) -> InvalidRequest:
    """Turn the first pydantic error into the API's error; the first is enough to act on.

    `prefix` names where the validated value sits in the request (`("ad_group",)`).
    """
    first = errors[0]
    location = prefix + tuple(first.get("loc", ()))[strip_location:]
    param = param_path(location)
    kind = first.get("type", "")
    if kind in {"json_invalid", "json_type"}:
        return InvalidJson("The request body is not valid JSON.")
    if kind == "missing":
        return ParameterMissing(f"Missing required parameter: {param}.", param=param)
    if kind == "extra_forbidden":
        return InvalidRequest(f"Unknown parameter: {param}.", param=param)
    if kind in {"too_long", "too_short"}:
        return InvalidRequest(f"Invalid value for {param}: {_length_message(first)}.", param=param)
    message = str(first.get("msg", "is invalid"))
    # pydantic prefixes messages from our own validators with "Value error, ".
    message = message.removeprefix("Value error, ")
    return InvalidRequest(f"Invalid value for {param}: {message}.", param=param)


def _length_message(error: Any) -> str:
    """A length error in the value's own unit: a string counts characters, a list or an
    object items (pydantic says "items" for both when a validator wraps the string)."""
    context = error.get("ctx", {})
    value = error.get("input")
    unit = "character" if isinstance(value, str) else "item"
    if error["type"] == "too_long":
        bound, limit = "at most", context.get("max_length")
    else:
        bound, limit = "at least", context.get("min_length")
    plural = "" if limit == 1 else "s"
    actual = context.get("actual_length")
    got = f", not {actual}" if actual is not None else ""
    return f"should have {bound} {limit} {unit}{plural}{got}"


def from_pydantic(error: ValidationError, prefix: tuple[str, ...] = ()) -> InvalidRequest:
    return from_validation_errors(error.errors(), prefix=prefix)


def install_error_handlers(app: FastAPI) -> None:
    async def adline_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AdlineError)
        kind = getattr(request.state, "request_kind", None)
        version = getattr(request.state, "api_version", None)
        if exc.param is not None and kind is not None and version is not None:
            # An error about a body names the parameter as the caller's version calls it.
            request.app.state.version_bundle.error_in_caller_terms(version, kind, exc)
        deposit_url = exc.extra.get("deposit_url")
        if isinstance(deposit_url, str) and deposit_url.startswith("/"):
            exc.extra["deposit_url"] = str(request.base_url).rstrip("/") + deposit_url
        return error_response(exc, headers=exc.headers)

    async def request_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # FastAPI locations start with where the value came from: ("query", "first").
        return error_response(from_validation_errors(exc.errors(), strip_location=1))

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error: AdlineError
        if exc.status_code == 404:
            error = NotFound("No such endpoint.", code="unknown_endpoint")
        elif exc.status_code == 405:
            error = MethodNotAllowed("This endpoint does not accept that HTTP method.")
        else:
            error = AdlineError(str(exc.detail))
            error.status_code = exc.status_code
            error.type = "invalid_request_error" if exc.status_code < 500 else error.type
        return error_response(error, headers=getattr(exc, "headers", None))

    async def crash(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        # Answered by Starlette's outermost middleware, outside Adline's own: the security
        # headers are set here, and those the edge chose for this request (rate limits).
        edge_headers: dict[str, str] = getattr(request.state, RESPONSE_HEADERS_STATE, None) or {}
        return error_response(
            AdlineError("An internal error occurred.", code="internal_error"),
            headers={**SECURITY_HEADERS, **edge_headers},
        )

    app.add_exception_handler(AdlineError, adline_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, crash)
