"""The permission catalogue (`GET /api_keys/permissions`): every scope Adline knows, what it
is, and the operations that need it.

The operations are read off the app's own route table (each route's `ScopeCheck`), so the
catalogue cannot drift from what the endpoints enforce.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from adline.auth.dependencies import ScopeCheck
from adline.auth.scopes import ALL_SCOPES, DETAILS


def _scope_checks(dependant: Dependant) -> Iterator[ScopeCheck]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, ScopeCheck):
            yield dependency.call
        yield from _scope_checks(dependency)


def operations_by_scope(routes: Sequence[BaseRoute]) -> dict[str, list[str]]:
    """Scope -> the documented operations (`"PATCH /api/v1/ads/{ad_id}"`) that need it,
    sorted by path then method. An operation needing two scopes is under both."""
    found: dict[str, set[tuple[str, str]]] = {scope: set() for scope in ALL_SCOPES}
    for context in iter_route_contexts(routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        needed = {scope for check in _scope_checks(context.dependant) for scope in check.scopes}
        for scope in needed:
            for method in context.methods or ():
                found[scope].add((str(context.path_format), method))
    return {
        scope: [f"{method} {path}" for path, method in sorted(operations)]
        for scope, operations in found.items()
    }


def permission_catalogue(routes: Sequence[BaseRoute]) -> list[dict[str, Any]]:
    """The newest-shape `Permission` of every scope, in `ALL_SCOPES` order.

    Adline has API keys only: no apps, no user tokens and no system roles, so each action
    is allowed on API keys alone and granted to no role."""
    operations = operations_by_scope(routes)
    return [
        {
            "action": scope,
            "name": DETAILS[scope].name,
            "description": DETAILS[scope].description,
            "category": DETAILS[scope].category,
            "allowed_on_api_key": True,
            "allowed_on_app": False,
            "allowed_on_user": False,
            "granted_to_system_roles": [],
            "operations": operations[scope],
        }
        for scope in ALL_SCOPES
    ]
