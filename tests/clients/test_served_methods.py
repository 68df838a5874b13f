"""Every ads-related method of the installed official client (whop-sdk 2.6.0) has a route.

The methods are read from the client itself (each resource's `raw_client.py`: the path and
HTTP method every call sends), not from a list kept by hand, so a method the client has and
Adline lacks shows up here. `NOT_SERVED_YET` names the ones still missing (issue 15); the
test fails both when another goes missing and when a listed one becomes served, so the list
only ever shrinks to empty.
"""

from __future__ import annotations

import re
from pathlib import Path

import whop_sdk
from fastapi import FastAPI

from adline.app import API_PREFIX
from tests.test_route_order import routes_in_match_order

# The resources of the ads product: campaigns, groups, ads and everything they reference
# or report through.
ADS_RESOURCES = (
    "ad_campaigns",
    "ad_groups",
    "ads",
    "ad_pixels",
    "ad_conversion_value_rules",
    "audiences",
    "events",
    "stats",
    "files",
    "api_keys",
    "webhooks",
    "external_accounts",
)
# Calls of those resources that are about Whop's payments platform, not ads: Adline holds
# no such data (docs/reports.md names the report it leaves out).
NOT_ADS = {
    ("GET", "events/pulse"): "an anonymized feed of money movement across all of Whop",
    ("GET", "stats/reports/platform_trends"): "payments across all of Whop, by industry",
}
NOT_SERVED_YET: set[tuple[str, str]] = set()

# One call of a Fern raw client: the path (a literal or an f-string), then `method=`.
CALL = re.compile(
    r"httpx_client\.request\(\s*f?\"(?P<path>[^\"]*)\",.*?method=\"(?P<method>[A-Z]+)\"",
    re.DOTALL,
)
PARAMETER = re.compile(r"\{[^}]*\}")


def client_methods() -> set[tuple[str, str]]:
    """(HTTP method, path with every parameter as `{}`) of each call the client can send."""
    package = Path(whop_sdk.__file__).parent
    calls: set[tuple[str, str]] = set()
    for resource in ADS_RESOURCES:
        for source in sorted((package / resource).rglob("raw_client.py")):
            for call in CALL.finditer(source.read_text()):
                path = PARAMETER.sub("{}", call["path"]).strip("/")
                calls.add((call["method"], path))
    return calls


def served(app: FastAPI) -> set[tuple[str, str]]:
    routes: set[tuple[str, str]] = set()
    for path, methods in routes_in_match_order(app):
        if path.startswith(API_PREFIX + "/"):
            routes |= {
                (method, PARAMETER.sub("{}", path.removeprefix(API_PREFIX + "/")))
                for method in methods
            }
    return routes


def test_the_client_is_the_newest_release_and_its_methods_were_found() -> None:
    assert whop_sdk.__version__ == "2.6.0"
    methods = client_methods()
    # Every resource contributes (a parse that found nothing would pass the next test).
    assert {path.split("/")[0] for _, path in methods} == set(ADS_RESOURCES)
    assert ("POST", "ad_campaigns/{}/pause") in methods


def test_every_ads_method_of_the_newest_client_is_served(app: FastAPI) -> None:
    methods = client_methods()
    assert set(NOT_ADS) <= methods
    assert methods - set(NOT_ADS) - served(app) == NOT_SERVED_YET
