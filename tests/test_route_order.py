"""No route is shadowed: a fixed path segment is never taken by a `{param}` route declared
earlier for the same method (FastAPI matches routes in declaration order, so
`GET /ad_groups/{ad_group_id}` declared before `GET /ad_groups/targeting_options` would answer
"No ad group with id targeting_options")."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path


def routes_in_match_order(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    """(path, methods) of every route, included routers flattened, in matching order."""
    return [
        (context.path, frozenset(context.methods))
        for context in iter_route_contexts(app.routes)
        if context.path and context.methods
    ]


def shadowed(routes: list[tuple[str, frozenset[str]]]) -> list[str]:
    """Each later route that an earlier one with a common method would answer instead."""
    found = []
    for index, (path, methods) in enumerate(routes):
        # A request for the later route: its own parameters filled in with a plain value.
        request_path = re.sub(r"{[^}]+}", "value", path)
        for earlier, earlier_methods in routes[:index]:
            common = methods & earlier_methods
            if earlier != path and common and compile_path(earlier)[0].match(request_path):
                found.append(f"{sorted(common)} {path} is taken by {earlier}, declared before")
    return found


def test_no_fixed_path_is_shadowed_by_a_parameter(app: FastAPI) -> None:
    routes = routes_in_match_order(app)
    assert ("/api/v1/ad_groups/targeting_options", frozenset({"GET"})) in routes
    assert shadowed(routes) == []


def test_the_check_sees_a_shadowed_route() -> None:
    assert shadowed(
        [
            ("/ad_groups/{ad_group_id}", frozenset({"GET"})),
            ("/ad_groups/targeting_options", frozenset({"GET"})),
            ("/ad_groups/estimate_reach", frozenset({"POST"})),  # another method: reachable
        ]
    ) == [
        "['GET'] /ad_groups/targeting_options is taken by /ad_groups/{ad_group_id}, declared before"
    ]
    assert (
        shadowed(
            [
                ("/ad_groups/targeting_options", frozenset({"GET"})),
                ("/ad_groups/{ad_group_id}", frozenset({"GET"})),
            ]
        )
        == []
    )
