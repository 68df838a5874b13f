"""The tenant matrix: every route of the app, called by one company with another's ids.

Company B (a key with every scope) sends company A's ids: in the path, and in each query
parameter or body field that names an object or a company. Each such request must answer
what an id that never existed answers (a 404 `resource_not_found` naming the parameter),
change nothing in the store (A's rows and B's, `updated_at` included), and no answer to B
may carry an id or a title of A's. Lists are also read plainly, searched for A's titles and
paged with A's cursors.

The routes come from the app's own route table, so a route added tomorrow is in the matrix
without a test of its own. Path parameters, query parameters and body fields are mapped to
A's objects by their names (`REFERENCES`); request bodies are B's valid bodies per request
model (`BODIES`). What names cannot tell is in three small tables: `ROUTE_RULES` (how to
call a route), `OPAQUE_FIELDS` (id-like fields that name nothing of Adline's) and
`EXCLUDED` (routes without company data). A route, field or table the rules do not reach
fails with what to add.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import UnionType
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.params import Depends
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.ad_groups.router import DuplicateAdGroup
from adline.ad_groups.schemas import AdGroupCreate, AdGroupUpdate, ReachEstimateRequest
from adline.ads.router import DuplicateAd
from adline.ads.schemas import AdCreate, AdUpdate
from adline.audiences.schemas import AudienceCreate, AudiencePeopleAdd, AudienceUpdate
from adline.auth import scopes
from adline.auth.schemas import ApiKeyCreate, ApiKeyRotate, ApiKeyUpdate
from adline.auth.scopes import ALL_SCOPES
from adline.campaigns.router import DuplicateCampaign
from adline.campaigns.schemas import CampaignCreate, CampaignUpdate
from adline.connections.schemas import (
    ExternalAccountConnect,
    ExternalAccountCreate,
    ExternalAccountRefresh,
    NetworkConnectionCreate,
    NetworkConnectionUpdate,
    PartnerCreate,
)
from adline.conversions.schemas import (
    ConversionCreate,
    EventBatch,
    EventCreate,
    ValidatePixelRequest,
)
from adline.conversions.service import record_click
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.core.ids import new_id
from adline.files.schemas import FileComplete, FileCreate
from adline.funding.schemas import CheckoutSessionCreate, CreditCreate
from adline.issues.service import IssueReport, report_issue
from adline.models import SpendCap, metadata
from adline.pixels.schemas import PixelCreate, PixelUpdate
from adline.products.schemas import ProductCreate, ProductUpdate
from adline.spend_caps.campaigns import WrappedCampaignCreate
from adline.spend_caps.schemas import SpendCapCreate, SpendCapUpdate
from adline.stats.service import HourStats, ingest
from adline.value_rules.schemas import RuleCreate, RuleUpdate
from adline.versions import NEWEST
from adline.webhooks.delivery import Outcome, record_attempt, render_body
from adline.webhooks.models import Webhook, WebhookDelivery, WebhookEvent
from adline.webhooks.schemas import (
    WebhookCreate,
    WebhookReplay,
    WebhookReplayDelivery,
    WebhookTest,
    WebhookUpdate,
)
from tests.audiences.helpers import sha256
from tests.campaigns.payloads import abo_campaign
from tests.conftest import NEWEST_HEADER, START, Tenant
from tests.connections.helpers import META_TOKEN, OTHER_META_TOKEN, meta_ad_account
from tests.files.helpers import png
from tests.hierarchy.builders import ad_body, group_body
from tests.pixels.test_pixels import GOOD_TOKEN, OTHER_GOOD_TOKEN, pixel_id_on_meta
from tests.spend_caps.payloads import cap_body
from tests.versions.requests import Dialect

API = "/api/v1"
PUBLIC_HOOK = "https://93.184.215.14/hooks"
DEFAULT_VERSION = "2025-01-01"  # what a request without Api-Version-Date speaks

# --- what the matrix leaves out ----------------------------------------------------------

# "METHOD path" (a trailing * matches any rest) -> why no company's data is reached there.
EXCLUDED = {
    "GET /healthz": "liveness probe: no key, answers no company data",
    "GET /api/v1/openapi.json": "the public OpenAPI document of a version: no key, no data",
    "GET /api/v1/docs*": "the docs pages on those documents and their static assets",
    "GET /openapi.json": "a redirect to /api/v1/openapi.json",
    "GET /docs": "a redirect to /api/v1/docs",
    # docs/files.md: the upload URLs a create answers. They take no API key (the URL's token
    # is the credential, tests/files/test_files.py) and answer only the file they upload.
    "POST /api/v1/files": "a new file of the caller's own company: it takes no id at all",
    "PUT /api/v1/files/{file_id}/upload": "an upload URL: its token, not a key, is the caller",
    "PUT /api/v1/files/{file_id}/parts/{part_number}": "a multipart upload URL, as above",
    "GET /api/v1/files/{file_id}/content": "a download URL: public, or signed (its signature "
    "is the credential; a wrong one is a 404, tests/files/test_files.py)",
    # docs/funding.md: the checkout pages take no key; a session's unguessable id is the
    # credential (as a Stripe Checkout URL's), and the deposit page shows nothing of the
    # company it pays into (tests/funding/test_checkout.py).
    "GET /checkout/{checkout_id}": "a checkout page: its session's id, not a key, is the caller",
    "POST /checkout/{checkout_id}": "paying a checkout page, as above",
    "GET /checkout": "the deposit page: no key, shows no company data",
    "POST /checkout": "paying into a company's balance from its deposit page: no key",
    # docs/web.md: the ads manager's pages. They take no API key but a signed session
    # cookie, and answer HTML; each page reads through the API's services scoped to the
    # session's company, and another company's campaign or cap is a 404 page that changes
    # nothing (tests/web/test_campaigns.py, tests/web/test_spend_caps.py).
    "GET /web/static/{name}": "the pages' stylesheet, script and icon: no company data",
    "GET /": "a redirect to /campaigns, or to /sign-in without a session",
    "GET /campaigns": "a page listing the session's own company's campaigns (tests/web)",
    "GET /spend_caps": "a page listing the session's own company's caps (tests/web)",
    "POST /sign-in": "takes a key, names no object: a wrong key is a 401 page (tests/web)",
    "POST /sign-out": "ends the caller's own session: names no object",
    "GET /campaigns/{cid}": "a page: another company's campaign is a 404 page (tests/web)",
    "POST /campaigns/{cid}/pause": "a page's button: another company's is a 404 (tests/web)",
    "POST /campaigns/{cid}/unpause": "as above",
    "POST /campaigns/{cid}/duplicate": "as above",
    "GET /campaigns/{cid}/status.json": "a page's progress poll: another company's campaign "
    "reads as gone, as a missing one does (tests/web)",
    "GET /spend_caps/{cap}": "a page: another company's cap is a 404 page (tests/web)",
    "GET /spend_caps/{cap}/daily_summary.csv": "the page's download: as above",
    # docs/demo.md: the demo clock is the server's, not a company's; its routes name no
    # object (tests/demo, tests/web/test_demo.py).
    "GET /demo": "the demo server's clock: no company's object",
    "GET /demo/status": "as above",
    "GET /api/v1/demo": "as above",
    "POST /demo/step": "moves the demo server's own clock: no company's object",
    "POST /demo/run": "as above",
    "POST /demo/stop": "as above",
    "POST /api/v1/demo/step": "as above",
    "POST /api/v1/demo/run": "as above",
    "POST /api/v1/demo/stop": "as above",
}


def _matches(entry: str, key: str) -> bool:
    return key == entry or (entry.endswith("*") and key.startswith(entry[:-1]))


def excluded(key: str) -> bool:
    return any(_matches(entry, key) for entry in EXCLUDED)


# --- names -> A's objects ----------------------------------------------------------------

# A parameter or field whose name is one of these, or ends in `_` + one of these (its
# plural `..._ids` too), names an object of that kind. First match wins.
REFERENCES = (
    ("checkout_session_id", "checkout_session"),
    ("webhook_id", "webhook"),
    ("delivery_id", "webhook_delivery"),
    ("ad_campaign_id", "campaign"),
    ("campaign_id", "campaign"),
    ("ad_group_id", "group"),
    ("ad_set_id", "group"),
    ("ad_id", "ad"),
    ("spend_cap_id", "spend_cap"),
    ("product_id", "product"),
    ("file_id", "file"),
    # A saved audience (`{audience_id}`, `?audience_id`, `source_audience_id`).
    ("audience_id", "audience"),
    # A conversion value rule (`{rule_id}`, `replace_rule_ids`).
    ("rule_id", "value_rule"),
    ("pixel_id", "pixel"),
    ("connection_id", "network_connection"),
    ("external_account_id", "external_account"),
    ("partner_id", "partner"),
    ("key_id", "api_key"),
    ("account_id", "company"),
    ("company_id", "company"),
    ("resource_id", "company"),
    # Adline has no apps: an app id (here A's company) names nothing, as any other would.
    ("app_id", "company"),
)
# A path's `{id}` names an object of the collection before it.
COLLECTIONS = {
    "ad_campaigns": "campaign",
    "campaigns": "campaign",
    "ad_groups": "group",
    "ads": "ad",
    "api_keys": "api_key",
    "spend_caps": "spend_cap",
    "products": "product",
    "webhooks": "webhook",
    "files": "file",
    "ad_pixels": "pixel",
    "network_connections": "network_connection",
    "checkout_sessions": "checkout_session",
}

# A field whose unseen ids answer otherwise than 404 `resource_not_found`, as documented:
# field name -> (status, code). Still the same answer as for an id that never existed.
NOT_FOUND_ANSWERS = {
    # docs/products.md: a campaign's unknown product_id (2025-01-01) is a 400.
    "product_id": (400, "parameter_invalid"),
    # docs/ads.md#creatives: a creative's file the company does not have (creatives[i].id).
    "id": (400, "parameter_invalid"),
}

# Request model -> fields (dotted, from the body's root) that look like ids but name
# nothing Adline looks up. Any other `*_id` field that names no kind above fails the matrix.
_EVENT_OPAQUE = {
    # Attribution hints and the client's own ids: kept as sent, in the caller's own event
    # row (`details`); attribution goes by click ids among the caller's own clicks only.
    "context.ad_campaign_id": "attribution hint, stored as sent, never looked up",
    "context.ad_set_id": "attribution hint, stored as sent, never looked up",
    "context.ad_id": "attribution hint, stored as sent, never looked up",
    "context.utm_id": "UTM tag, stored as sent",
    "event_id": "the client's own deduplication key, per company",
    "plan_id": "a Whop plan id, stored as sent",
    "product_id": "a Whop product id on the event, stored as sent",
    "user.user_id": "the client's user, stored as sent",
    "user.external_id": "the client's user, stored as sent",
    "user.anonymous_id": "the client's user, stored as sent",
    "user.member_id": "the client's user, stored as sent",
    "user.membership_id": "the client's user, stored as sent",
}
_AD_OPAQUE = {
    "creatives.id": "a file: probed by the ad routes' extra cases (_ad_file_cases)",
    "existing_post_id": "a post on the platform, not an Adline object",
    "lead_form_id": "a lead form on the platform, not an Adline object",
    "external_accounts.id": "an external account: probed by the ad routes' extra cases "
    "(_ad_account_cases)",
    "music.id": "a file, looked up as creatives' are (adline.files.service.check_ad_files)",
}
_TARGETING_OPAQUE = {  # the platform's targeting catalogue
    f"detailed_targeting.{kind}.id": f"one of the platform's {kind}"
    for kind in ("interests", "behaviors", "demographics")
}
# Request model -> id fields inside lists of objects or ids, which the generic cases cannot
# aim at (their errors name the item, `targets[0].resource_id`): the route's Rule.extra does.
IN_LISTS: dict[str, set[str]] = {
    "RuleCreate": {"targets.resource_id", "replace_rule_ids"},
    "RuleUpdate": {"targets.resource_id", "replace_rule_ids"},
}
OPAQUE_FIELDS: dict[str, dict[str, str]] = {
    "EventCreate": _EVENT_OPAQUE,
    "ConversionCreate": _EVENT_OPAQUE,
    "AdCreate": _AD_OPAQUE,
    "AdUpdate": _AD_OPAQUE,
    "AdGroupCreate": _TARGETING_OPAQUE,
    "AdGroupUpdate": _TARGETING_OPAQUE,
    "ReachEstimateRequest": _TARGETING_OPAQUE,
    "WebhookReplayDelivery": {"regenerate_id": "a flag (ask for a new webhook-id), no id"},
    "WebhookReplay": {"regenerate_ids": "a flag (ask for new webhook-ids), no id"},
    "FileComplete": {"multipart_upload_id": "compared with the path's file's own, never looked up"},
    "PixelCreate": {"external_id": "the pixel's id on the network, not an Adline object"},
    "NetworkConnectionCreate": {
        "external_id": "the ad account's id on the network (act_...), not an Adline object",
        "page_id": "the page's id on the network, not an Adline object",
    },
    "NetworkConnectionUpdate": {"page_id": "the page's id on the network, not an Adline object"},
}


@dataclass
class World:
    """One company with one of everything."""

    tenant: Tenant
    ids: dict[str, str]  # kind -> id
    marker: str  # in every title of this company's
    others: list[str] = field(default_factory=list)  # ids no route takes (issue, click...)

    @property
    def secrets(self) -> list[str]:
        return [*self.ids.values(), *self.others, self.marker]

    @property
    def headers(self) -> dict[str, str]:
        """Its key, speaking the newest version."""
        return {**self.tenant.headers, **NEWEST_HEADER}


# --- B's bodies --------------------------------------------------------------------------

Body = Callable[[World, str], dict[str, Any]]


def _campaign(b: World, version: str) -> dict[str, Any]:
    if version == DEFAULT_VERSION:
        body = Dialect(version).campaign(b.ids["company"], title="B's campaign")
        return {**body, "product_id": b.ids["product"], "spend_cap_id": b.ids["spend_cap"]}
    return abo_campaign(
        title="B's campaign", account_id=b.ids["company"], spend_cap_id=b.ids["spend_cap"]
    )


def _group(b: World, version: str) -> dict[str, Any]:
    if version == DEFAULT_VERSION:
        return Dialect(version).group(b.ids["campaign"], title="B's group")
    return group_body(b.ids["campaign"], title="B's group")


def _ad(b: World, version: str) -> dict[str, Any]:
    if version == DEFAULT_VERSION:
        return Dialect(version).ad(b.ids["group"], title="B's ad")
    return ad_body(b.ids["group"], title="B's ad")


def _value_rule(b: World, version: str) -> dict[str, Any]:
    return {
        "account_id": b.ids["company"],
        "adjustment_type": "fixed",
        "fixed_value": {"amount": "5.00", "currency": "usd"},
        "events": [{"event_name": "lead"}],
        "targets": [{"platform": "meta", "scope": "campaign", "resource_id": b.ids["campaign"]}],
    }


def _event(b: World, version: str) -> dict[str, Any]:
    return {"account_id": b.ids["company"], "event_name": "purchase", "value": 5}


# Request model -> B's valid body in a version's shape, naming B's own objects.
BODIES: dict[type[BaseModel], Body] = {
    CampaignCreate: _campaign,
    CampaignUpdate: lambda b, v: {
        **Dialect(v).campaign_update("Renamed by B"),
        **({"product_id": b.ids["product"]} if v == DEFAULT_VERSION else {}),
        "spend_cap_id": b.ids["spend_cap"],
    },
    DuplicateCampaign: lambda b, v: {"count": 1},
    CreditCreate: lambda b, v: {"amount": 1},
    CheckoutSessionCreate: lambda b, v: {"amount": 10, "account_id": b.ids["company"]},
    AdGroupCreate: _group,
    AdGroupUpdate: lambda b, v: Dialect(v).group_update("Renamed by B"),
    DuplicateAdGroup: lambda b, v: {"target_ad_campaign_id": b.ids["campaign"]},
    ReachEstimateRequest: lambda b, v: {"platform": "meta", "account_id": b.ids["company"]},
    AdCreate: _ad,
    AdUpdate: lambda b, v: {"title": "Renamed by B"},
    DuplicateAd: lambda b, v: {"target_ad_group_id": b.ids["group"]},
    SpendCapCreate: lambda b, v: cap_body(account_id=b.ids["company"]),
    SpendCapUpdate: lambda b, v: {"spend_cap": {"title": "Renamed by B"}},
    WrappedCampaignCreate: lambda b, v: {
        "campaign": {
            "title": "B's campaign",
            "account_id": b.ids["company"],
            "spend_cap_id": b.ids["spend_cap"],
        }
    },
    ApiKeyCreate: lambda b, v: {
        "name": "B's key",
        "permissions": {
            "statements": [{"actions": [scopes.AD_CAMPAIGN_BASIC_READ], "grant": True}]
        },
        "resource_id": b.ids["company"],
        "resource_type": "account",
    },
    ApiKeyUpdate: lambda b, v: {"name": "Renamed by B"},
    ApiKeyRotate: lambda b, v: {"grace_period_seconds": 60},
    ProductCreate: lambda b, v: {
        "title": "B's product",
        "route": "bs-product",
        # 2025-01-01's clients name the company company_id (newer ones: account_id).
        ("company_id" if v == DEFAULT_VERSION else "account_id"): b.ids["company"],
    },
    ProductUpdate: lambda b, v: {"title": "Renamed by B"},
    RuleCreate: _value_rule,
    RuleUpdate: lambda b, v: {"events": [{"event_name": "contact"}]},
    AudienceCreate: lambda b, v: {"account_id": b.ids["company"], "name": "B's audience"},
    AudienceUpdate: lambda b, v: {"name": "Renamed by B"},
    AudiencePeopleAdd: lambda b, v: {"people": [{"email": sha256("b@example.com")}]},
    EventCreate: _event,
    ConversionCreate: lambda b, v: {"company_id": b.ids["company"], "event_name": "lead"},
    EventBatch: lambda b, v: {"events": [_event(b, v)]},
    PixelCreate: lambda b, v: {
        "account_id": b.ids["company"],
        "platform": "meta",
        "external_id": pixel_id_on_meta(),
        "access_token": OTHER_GOOD_TOKEN,
    },
    PixelUpdate: lambda b, v: {"access_token": OTHER_GOOD_TOKEN},
    ValidatePixelRequest: lambda b, v: {"account_id": b.ids["company"]},
    NetworkConnectionCreate: lambda b, v: {
        "account_id": b.ids["company"],
        "platform": "tiktok",
        "external_id": meta_ad_account().removeprefix("act_"),
        "access_token": "tiktokToken0000000000Bee",
    },
    NetworkConnectionUpdate: lambda b, v: {"access_token": OTHER_META_TOKEN},
    ExternalAccountCreate: lambda b, v: {"account_id": b.ids["company"], "platform": "tiktok"},
    ExternalAccountConnect: lambda b, v: {
        "account_id": b.ids["company"],
        "platform": "tiktok",
        "redirect_url": "https://b.example.com/done",
        "scopes": ["advertise"],
    },
    ExternalAccountRefresh: lambda b, v: {"account_id": b.ids["company"]},
    PartnerCreate: lambda b, v: {"account_id": b.ids["company"], "username": "b.creator"},
    # A public address (no DNS lookup): the matrix' app refuses private targets.
    WebhookCreate: lambda b, v: {"url": PUBLIC_HOOK, "resource_id": b.ids["company"]},
    WebhookUpdate: lambda b, v: {"events": ["ad.created"]},
    WebhookReplayDelivery: lambda b, v: {},
    WebhookReplay: lambda b, v: {"sent_after": "2026-03-01T00:00:00Z"},
    WebhookTest: lambda b, v: {"event": "ad_campaign.created"},
    FileCreate: lambda b, v: {"filename": "b.png"},
    FileComplete: lambda b, v: {
        "multipart_parts": [{"part_number": 1, "etag": '"b"'}],
        "multipart_upload_id": "upload_b",
    },
}


# --- routes the names cannot call --------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How to call a route beyond what its names tell."""

    path: dict[str, str] = field(default_factory=dict)  # non-id path parameters
    query: dict[str, str] = field(default_factory=dict)  # always sent
    # Sent when reading a list plainly: values are formatted with B's ids ("{company}").
    listing: dict[str, str] = field(default_factory=dict)
    # The body's list field holding items of this model, each answered on its own (200,
    # with a per-item error): A's ids go into the first item.
    items: tuple[str, type[BaseModel]] | None = None
    # Extra cases: (label, A's id to send, where it goes in the body, param the 404 names).
    extra: Callable[[World, World, str], list[tuple[str, str, dict[str, Any], str]]] | None = None


def _inline_group(a: World, b: World, version: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """An ad created with its ad group inline (newer versions), the group in A's campaign."""
    if version == DEFAULT_VERSION:
        return []
    body = {k: v for k, v in ad_body(b.ids["group"]).items() if k != "ad_group_id"}
    body["ad_group"] = group_body(a.ids["campaign"])
    return [("inline ad group", a.ids["campaign"], body, "ad_group.ad_campaign_id")]


def _value_rule_lists(
    body: dict[str, Any],
) -> Callable[[World, World, str], list[tuple[str, str, dict[str, Any], str]]]:
    """A's campaign as a target and A's rule to replace, in B's rule body (IN_LISTS)."""

    def cases(a: World, b: World, version: str) -> list[tuple[str, str, dict[str, Any], str]]:
        del b, version
        theirs = {"platform": "meta", "scope": "campaign", "resource_id": a.ids["campaign"]}
        return [
            (
                "A's campaign in targets",
                a.ids["campaign"],
                {**body, "targets": [theirs]},
                "targets[0].resource_id",
            ),
            (
                "A's rule in replace_rule_ids",
                a.ids["value_rule"],
                {**body, "replace_rule_ids": [a.ids["value_rule"]]},
                "replace_rule_ids[0]",
            ),
        ]

    return cases


def _audience_cases(
    body: Callable[[World], dict[str, Any]],
) -> Callable[[World, World, str], list[tuple[str, str, dict[str, Any], str]]]:
    """A's audience in B's targeting (a list of ids: the generic cases cannot aim at it)."""

    def cases(a: World, b: World, version: str) -> list[tuple[str, str, dict[str, Any], str]]:
        if version == DEFAULT_VERSION:  # 2025-01-01 names no saved audiences
            return []
        theirs = a.ids["audience"]
        return [
            (
                f"A's audience in audiences.{side}",
                theirs,
                {**body(b), "audiences": {side: [theirs]}},
                f"audiences.{side}[0]",
            )
            for side in ("include", "exclude")
        ]

    return cases


def _ad_file_cases(a: World, b: World, version: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """A's file as a creative of B's ad: refused as a file that never existed."""
    if version == DEFAULT_VERSION:  # 2025-01-01 ads have no creatives
        return []
    creatives = [{"id": a.ids["file"], "format": "square"}]
    return [("A's file as a creative", a.ids["file"], {"creatives": creatives}, "creatives[0].id")]


def _ad_account_cases(
    a: World, b: World, version: str
) -> list[tuple[str, str, dict[str, Any], str]]:
    """A's Facebook page as an external account of B's ad: refused as one never made."""
    if version == DEFAULT_VERSION:  # 2025-01-01 ads name no external accounts
        return []
    theirs = [{"id": a.ids["external_account_page"]}]
    return [
        (
            "A's page in external_accounts",
            a.ids["external_account_page"],
            {"external_accounts": theirs},
            "external_accounts[0].id",
        )
    ]


def _ad_patch_cases(a: World, b: World, version: str) -> list[tuple[str, str, dict[str, Any], str]]:
    return [*_ad_file_cases(a, b, version), *_ad_account_cases(a, b, version)]


def _ad_create_cases(
    a: World, b: World, version: str
) -> list[tuple[str, str, dict[str, Any], str]]:
    extras = [
        (label, a_id, {**ad_body(b.ids["group"]), **body}, param)
        for label, a_id, body, param in [
            *_ad_file_cases(a, b, version),
            *_ad_account_cases(a, b, version),
        ]
    ]
    return [*_inline_group(a, b, version), *extras]


ROUTE_RULES: dict[str, Rule] = {
    "GET /api/v1/stats/time_series/{metric}": Rule(
        path={"metric": "ad_spend"}, query={"from": "2026-02-01", "to": "2026-03-31"}
    ),
    "GET /api/v1/stats/{metric}": Rule(
        path={"metric": "ad_spend"}, query={"from": "2026-02-01", "to": "2026-03-31"}
    ),
    "GET /api/v1/ad_reports": Rule(
        query={"from": "2026-02-01", "to": "2026-03-31"}, listing={"company_id": "{company}"}
    ),
    "GET /api/v1/events": Rule(query={"from": "2026-02-01", "to": "2026-03-31"}),
    "GET /api/v1/spend_caps/{spend_cap_id}/daily_summary": Rule(
        query={"from": "2026-03-01", "to": "2026-03-31"}
    ),
    "POST /api/v1/events/batch": Rule(items=("events", EventCreate)),
    "POST /api/v1/ads": Rule(extra=_ad_create_cases),
    "PATCH /api/v1/ads/{ad_id}": Rule(extra=_ad_patch_cases),
    "POST /api/v1/ad_conversion_value_rules": Rule(
        extra=lambda a, b, v: _value_rule_lists(_value_rule(b, v))(a, b, v)
    ),
    "PATCH /api/v1/ad_conversion_value_rules/{rule_id}": Rule(
        extra=_value_rule_lists({"events": [{"event_name": "contact"}]})
    ),
    "POST /api/v1/ad_groups": Rule(
        extra=_audience_cases(lambda b: group_body(b.ids["campaign"], title="B's group"))
    ),
    "PATCH /api/v1/ad_groups/{ad_group_id}": Rule(extra=_audience_cases(lambda b: {})),
    "POST /api/v1/ad_groups/estimate_reach": Rule(
        extra=_audience_cases(lambda b: {"platform": "meta"})
    ),
    # The taxonomy is the network's, not a company's: the matrix aims A's account_id at it.
    "GET /api/v1/ad_groups/targeting_options": Rule(query={"platform": "meta"}),
    # A post's id on the network: it filters the account's posts, names no Adline object.
    "GET /api/v1/external_accounts/{external_account_id}/posts": Rule(
        query={"post_id": "1234567890123456"}
    ),
}


# --- the route table ---------------------------------------------------------------------


@dataclass(frozen=True)
class RouteInfo:
    key: str  # "METHOD path"
    method: str
    path: str
    route: APIRoute | None  # None: not a FastAPI route (a mount, a plain Starlette route)


def route_table(app: FastAPI) -> list[RouteInfo]:
    """Every (method, path) of the app, included routers flattened."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or repr(route)
        for method in sorted(context.methods or {"ANY"}):
            api = route if isinstance(route, APIRoute) else None
            found.append(RouteInfo(f"{method} {path}", method, path, api))
    return found


def kind_of(name: str) -> str | None:
    base = name[:-1] if name.endswith("_ids") else name
    for suffix, kind in REFERENCES:
        if base == suffix or base.endswith("_" + suffix):
            return kind
    return None


def looks_like_id(name: str) -> bool:
    return name == "id" or name.endswith("_id") or name.endswith("_ids")


def path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)(?::\w+)?}", path)


def path_kind(path: str, name: str) -> str | None:
    if name != "id":
        return kind_of(name)
    before = path.split("{" + name)[0].rstrip("/").rsplit("/", 1)[-1]
    return COLLECTIONS.get(before)


def query_params(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from query_params(sub)


def body_model(route: APIRoute) -> type[BaseModel] | None:
    """The model the handler reads its body into (`Annotated[Model, Depends(...)]`)."""
    hints = typing.get_type_hints(route.endpoint, include_extras=True)
    for hint in hints.values():
        if typing.get_origin(hint) is not Annotated:
            continue
        model, *extras = typing.get_args(hint)
        if (
            isinstance(model, type)
            and issubclass(model, BaseModel)
            and any(isinstance(extra, Depends) for extra in extras)
        ):
            return model
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, UnionType, list, tuple, set):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def model_id_fields(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the id-like fields of a model, nested models included."""
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key.startswith("_"):
            continue
        dotted = f"{prefix}{key}"
        if looks_like_id(key):
            yield dotted
        for nested in _models_in(info.annotation):
            yield from model_id_fields(nested, dotted + ".")


def body_id_fields(body: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of the id-like keys in a body."""
    if isinstance(body, dict):
        for key, value in body.items():
            dotted = f"{prefix}{key}"
            if looks_like_id(key):
                yield dotted
            elif isinstance(value, dict):
                yield from body_id_fields(value, dotted + ".")


def set_dotted(body: dict[str, Any], dotted: str, value: Any, kind: str) -> dict[str, Any]:
    """A copy of `body` with `value` at `dotted`, and without the fields beside it that name
    the same kind (two names of one thing, such as `account_id` and `company_id`)."""
    body = json.loads(json.dumps(body))
    *parents, last = dotted.split(".")
    target = body
    for parent in parents:
        target = target.setdefault(parent, {})
    for sibling in [key for key in target if key != last and kind_of(key) == kind]:
        del target[sibling]
    target[last] = value
    return body


# --- cases -------------------------------------------------------------------------------


@dataclass
class Case:
    route: str
    label: str
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    a_ids: list[str] = field(default_factory=list)  # A's ids in the request
    # "not_found": a 404 naming `param` (any param when None), as for an id never made;
    # "hidden": that, or a 200 without A's data (a list's filter that matches nothing);
    # "item_not_found": a 200 whose first item is that 404;
    # "listed": a 200 without any of A's data (a plain list, a search, A's cursor).
    expect: str = "not_found"
    param: str | None = None
    cursor_of: str | None = None  # "listed" with A's cursor of this same list


class Unplanned(Exception):
    """The rules cannot call a route: the message says what to add."""


def plan(routes: list[RouteInfo], a: World, b: World, version: str) -> list[Case]:
    cases: list[Case] = []
    for info in routes:
        if excluded(info.key):
            continue
        cases.extend(plan_route(info, a, b, version))
    return cases


def plan_route(info: RouteInfo, a: World, b: World, version: str) -> list[Case]:
    where = "tests/test_tenant_matrix.py"
    if info.route is None:
        raise Unplanned(
            f"{info.key} is not a FastAPI route: add it to EXCLUDED in {where} with the "
            "reason it serves no company's data, or make it an APIRoute"
        )
    rule = ROUTE_RULES.get(info.key, Rule())
    names = path_params(info.path)
    kinds: dict[str, str] = {}
    for name in names:
        if name in rule.path:
            continue
        kind = path_kind(info.path, name)
        if kind is None:
            raise Unplanned(
                f"{info.key}: no object kind for the path parameter {{{name}}}. Add its "
                f"name to REFERENCES (or its collection to COLLECTIONS), and a new kind to "
                f"build_world(), in {where}; or "
                f'ROUTE_RULES["{info.key}"] = Rule(path={{"{name}": ...}}) when it is no id '
                "(or, for a route that serves no company's data, an EXCLUDED entry and why)"
            )
        kinds[name] = kind

    def concrete(owner: dict[str, World]) -> str:
        path = info.path
        for name in names:
            value = rule.path[name] if name in rule.path else owner[name].ids[kinds[name]]
            path = re.sub(r"{" + name + r"(?::\w+)?}", value, path)
        return path

    model = body_model(info.route)
    template: dict[str, Any] | None = None
    if model is not None:
        if model not in BODIES:
            raise Unplanned(
                f"{info.key} reads a {model.__name__} body: add B's valid body for it to "
                f"BODIES in {where}"
            )
        template = BODIES[model](b, version)

    method = info.method
    mine = concrete(dict.fromkeys(names, b))
    base = Case(info.key, "", method, mine, dict(rule.query), template)
    cases = []
    if kinds:
        theirs = concrete(dict.fromkeys(names, a))
        aimed = replace(
            base, label="A's ids in the path", path=theirs, a_ids=[a.ids[k] for k in kinds.values()]
        )
        cases.append(aimed)
        if method == "GET":  # HEAD answers as GET does, without the body
            cases.append(replace(aimed, label="HEAD, A's ids in the path", method="HEAD"))

    # Query parameters that name objects.
    query_names = list(dict.fromkeys(query_params(info.route.dependant)))
    for name in query_names:
        if name in rule.query:
            continue
        kind = kind_of(name)
        if kind is None:
            if looks_like_id(name):
                raise Unplanned(
                    f"{info.key}: the query parameter {name} looks like an id but names no "
                    f"kind: add it to REFERENCES in {where}"
                )
            continue
        value: Any = [a.ids[kind]] if name.endswith("_ids") else a.ids[kind]
        cases.append(
            replace(
                base,
                label=f"A's {kind} in ?{name}",
                query={**base.query, name: value},
                a_ids=[a.ids[kind]],
                # A list (it pages) filtered by an unseen object may also answer as a filter
                # that matches nothing; another company's id is always a 404.
                expect="hidden" if "after" in query_names and kind != "company" else "not_found",
                param=name,
            )
        )

    # Body fields that name objects.
    if template is not None and model is not None:
        opaque = OPAQUE_FIELDS.get(model.__name__, {})
        fields = list(body_id_fields(template))
        if version == NEWEST:
            fields += list(model_id_fields(model))
        for dotted in dict.fromkeys(fields):
            if dotted in opaque or dotted in IN_LISTS.get(model.__name__, set()):
                continue
            kind = kind_of(dotted.rsplit(".", 1)[-1])
            if kind is None:
                raise Unplanned(
                    f"{info.key}: the body field {dotted} of {model.__name__} looks like an "
                    f"id but names no kind: add it to REFERENCES, or to "
                    f'OPAQUE_FIELDS["{model.__name__}"] with why it names nothing, in {where}'
                )
            value = [a.ids[kind]] if dotted.endswith("_ids") else a.ids[kind]
            cases.append(
                replace(
                    base,
                    label=f"A's {kind} in body {dotted}",
                    body=set_dotted(template, dotted, value, kind),
                    a_ids=[a.ids[kind]],
                    param=dotted,
                )
            )
    if rule.items is not None and template is not None:
        list_field, item_model = rule.items
        item = template[list_field][0]
        opaque = OPAQUE_FIELDS.get(item_model.__name__, {})
        for dotted in dict.fromkeys([*body_id_fields(item), *model_id_fields(item_model)]):
            kind = kind_of(dotted.rsplit(".", 1)[-1])
            if dotted in opaque or kind is None:
                continue
            cases.append(
                replace(
                    base,
                    label=f"A's {kind} in item {dotted}",
                    body={list_field: [set_dotted(item, dotted, a.ids[kind], kind)]},
                    a_ids=[a.ids[kind]],
                    expect="item_not_found",
                    param=f"{list_field}[0].{dotted}",
                )
            )
    if rule.extra is not None:
        for extra_label, a_id, body, param in rule.extra(a, b, version):
            cases.append(replace(base, label=extra_label, body=body, a_ids=[a_id], param=param))

    # Lists: read plainly, searched for A's titles, paged with A's cursor.
    if method == "GET" and not kinds:
        listing = {name: value.format(**b.ids) for name, value in rule.listing.items()}
        base = replace(base, query={**base.query, **listing})
        cases.append(replace(base, label="plain", expect="listed"))
        if "query" in query_names:
            cases.append(
                replace(
                    base,
                    label="searched for A's title",
                    query={**base.query, "query": a.marker},
                    expect="listed",
                )
            )
        if "after" in query_names:
            cases.append(replace(base, label="A's cursor", expect="listed", cursor_of=mine))

    if not cases:
        raise Unplanned(
            f"{info.key} takes no id the matrix can aim at another company: say how to call "
            f'it in ROUTE_RULES["{info.key}"] (Rule(extra=...)), or add it to EXCLUDED with '
            f"why it reaches no company's data, in {where}"
        )
    return cases


# --- the store, before and after ---------------------------------------------------------


async def snapshot(engine: AsyncEngine, companies: list[str]) -> dict[str, list[Any]]:
    """Every row of every table that belongs to one of the companies, and every row of the
    tables that belong to none, but for tables marked `info={"bookkeeping": True}`."""
    caps = select(SpendCap.id).where(SpendCap.company_id.in_(companies))
    rows: dict[str, list[Any]] = {}
    owned: set[Any] = set(companies)
    later = []
    async with create_sessionmaker(engine)() as session:
        for table in metadata.sorted_tables:
            columns = table.c
            if table.info.get("bookkeeping"):
                continue  # the edge's own counters (rate limits): they move with every request
            if "company_id" in columns:
                where = columns.company_id.in_(companies)
            elif table.name == "companies":
                where = columns.id.in_(companies)
            elif "spend_cap_id" in columns:
                where = columns.spend_cap_id.in_(caps)
            elif "object_id" in columns:
                later.append(table)
                continue
            else:
                where = true()  # no company's own rows (the networks' state): read whole
            order = list(table.primary_key.columns)
            found = (await session.execute(select(table).where(where).order_by(*order))).all()
            rows[table.name] = [tuple(row) for row in found]
            for row in found:
                mapping = row._mapping
                owned.update(mapping[name] for name in ("id", "object_id") if name in mapping)
        for table in later:
            where = table.c.object_id.in_(sorted(v for v in owned if isinstance(v, str)))
            order = list(table.primary_key.columns)
            found = (await session.execute(select(table).where(where).order_by(*order))).all()
            rows[table.name] = [tuple(row) for row in found]
    return rows


# --- the worlds --------------------------------------------------------------------------


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.url}: {response.text}"
    return response.json()


async def build_world(
    http: httpx.AsyncClient, engine: AsyncEngine, clock: ManualClock, tenant: Tenant, marker: str
) -> World:
    """A company with one of everything, made as its clients and networks make them."""
    headers = {**tenant.headers, **NEWEST_HEADER}

    async def write(path: str, body: dict[str, Any], method: str = "POST") -> Any:
        return await _ok(await http.request(method, API + path, json=body, headers=headers))

    webhook = await write("/webhooks", {"url": PUBLIC_HOOK})
    checkout = await write("/checkout_sessions", {"amount": 10})
    product = await write("/products", {"title": f"{marker} product", "route": f"{marker}-p"})
    cap = (await write("/spend_caps", cap_body(title=f"{marker} cap")))["spend_cap"]
    campaign = await write(
        "/ad_campaigns", abo_campaign(title=f"{marker} campaign", spend_cap_id=cap["id"])
    )
    group = await write("/ad_groups", group_body(campaign["id"], title=f"{marker} group"))
    image = await write("/files", {"filename": f"{marker}.png"})
    await _ok(await http.put(image["upload_url"], content=png()))
    ad = await write("/ads", ad_body(group["id"], image["id"], title=f"{marker} ad"))
    await write(f"/ad_campaigns/{campaign['id']}", {"status": "active"}, "PATCH")
    target = {"platform": "meta", "scope": "campaign", "resource_id": campaign["id"]}
    value_rule = await write(
        "/ad_conversion_value_rules",
        {
            "account_id": tenant.company_id,
            "adjustment_type": "percentage",
            "percentage_change": 10,
            "events": [{"event_name": "purchase"}],
            "targets": [target],
        },
    )
    pixel = await write(
        "/ad_pixels",
        {
            "account_id": tenant.company_id,
            "platform": "meta",
            "external_id": pixel_id_on_meta(),
            "access_token": GOOD_TOKEN,
        },
    )
    audience = await write(
        "/audiences", {"account_id": tenant.company_id, "name": f"{marker} audience"}
    )
    ad_account = meta_ad_account()
    connection = await write(
        "/network_connections",
        {
            "account_id": tenant.company_id,
            "platform": "meta",
            "external_id": ad_account,
            "access_token": META_TOKEN,
        },
    )
    await write(
        "/external_accounts/connect",
        {
            "account_id": tenant.company_id,
            "platform": "meta_business",
            "redirect_url": "https://a.example.com/done",
            "scopes": ["advertise"],
        },
    )
    linked = (await _ok(await http.get(API + "/external_accounts", headers=headers)))["data"]
    page = next(account for account in linked if account["platform"] == "facebook")
    instagram = next(account for account in linked if account["platform"] == "instagram")
    partner = await write(
        f"/external_accounts/{instagram['id']}/partners", {"username": f"{marker}.creator"}
    )
    await write(
        f"/audiences/{audience['id']}/add_people",
        {"people": [{"email": sha256(f"{marker}@example.com")}]},
    )
    grant = {"actions": [scopes.AD_CAMPAIGN_BASIC_READ], "grant": True}
    key = await write(
        "/api_keys", {"name": f"{marker} key", "permissions": {"statements": [grant]}}
    )
    # What the networks write: an issue, a click, an hour of stats; then a conversion.
    click_id = f"{marker}-click"
    async with create_sessionmaker(engine)() as session, session.begin():
        issue = await report_issue(
            session,
            clock,
            company_id=tenant.company_id,
            ad_campaign_id=campaign["id"],
            report=IssueReport(
                resource_type="ad_group",
                resource_id=group["id"],
                severity="warning",
                title=f"{marker} issue",
                message="Widen the regions.",
                category="audience_targeting",
            ),
        )
        click = await record_click(session, ad["id"], click_id, clock.now() - timedelta(hours=1))
        hour = START - timedelta(hours=2)
        await ingest(
            session,
            clock,
            [
                HourStats(
                    ad_id=ad["id"],
                    hour_start=hour,
                    revision=1,
                    impressions=1000,
                    spend_micros=12_340_000,
                )
            ],
        )
    async with create_sessionmaker(engine)() as session, session.begin():
        # One delivery as if sent (nothing listens at PUBLIC_HOOK): the deliveries' routes
        # take its id.
        delivery = await session.scalar(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook["id"])
            .order_by(WebhookDelivery.scheduled_at, WebhookDelivery.id)
            .limit(1)
        )
        assert delivery is not None
        hook = await session.get(Webhook, webhook["id"])
        sent = await session.get(WebhookEvent, delivery.event_id)
        assert hook is not None and sent is not None
        body = render_body(hook, sent, delivery.message_id)
        record_attempt(delivery, body, Outcome(200, "{}", {}, 0.1), clock.now())
    # Switched off, so that a job runner sharing this store sends nothing to PUBLIC_HOOK.
    await write(f"/webhooks/{webhook['id']}", {"enabled": False}, "PATCH")
    event = await write(
        "/events",
        {
            "account_id": tenant.company_id,
            "event_name": "purchase",
            "value": 10,
            "currency": "usd",
            "context": {"fbclid": click_id},
        },
    )
    return World(
        tenant,
        {
            "company": tenant.company_id,
            "campaign": campaign["id"],
            "group": group["id"],
            "ad": ad["id"],
            "spend_cap": cap["id"],
            "product": product["id"],
            "api_key": key["id"],
            "webhook": webhook["id"],
            "webhook_delivery": delivery.id,
            "value_rule": value_rule["id"],
            "file": image["id"],
            "audience": audience["id"],
            "pixel": pixel["id"],
            "network_connection": connection["id"],
            "external_account": instagram["id"],
            "external_account_page": page["id"],
            "partner": partner["id"],
            "checkout_session": checkout["id"],
        },
        marker,
        # The pixel's network id and its token (never answered, to anyone) are A's too.
        [
            tenant.user_id,
            tenant.key_id,
            issue.id,
            click,
            click_id,
            event["id"],
            pixel["external_id"],
            GOOD_TOKEN,
            ad_account,
            META_TOKEN,
            page["external_id"],
            instagram["external_id"],
        ],
    )


# --- running a case ----------------------------------------------------------------------


def _swap(value: Any, ids: dict[str, str]) -> Any:
    text = json.dumps(value)
    for old, new in ids.items():
        text = text.replace(old, new)
    return json.loads(text)


def _never_existed(a_ids: list[str]) -> dict[str, str]:
    return {a_id: new_id(a_id.rsplit("_", 1)[0]) for a_id in a_ids}


def _normalized(response: httpx.Response, ids: list[str]) -> tuple[int, str]:
    text = response.text
    for value in ids:
        text = text.replace(value, "<id>")
    return response.status_code, text


def _find(body: Any, key: str) -> Any:
    if isinstance(body, dict):
        if body.get(key) is not None:
            return body[key]
        values = body.values()
    elif isinstance(body, list):
        values = body
    else:
        return None
    for value in values:
        found = _find(value, key)
        if found is not None:
            return found
    return None


async def send(
    http: httpx.AsyncClient, case: Case, headers: dict[str, str], ids: dict[str, str] | None = None
) -> httpx.Response:
    ids = ids or {}
    path = case.path
    for old, new in ids.items():
        path = path.replace(old, new)
    return await http.request(
        case.method,
        path,
        params=_swap(case.query, ids) or None,
        json=None if case.body is None else _swap(case.body, ids),
        headers=headers,
    )


async def run_case(
    http: httpx.AsyncClient, case: Case, a: World, b_headers: dict[str, str]
) -> list[str]:
    """What is wrong with B's answer to the case (nothing: an empty list)."""
    problems = []
    query = case.query
    if case.cursor_of is not None:
        first = await http.get(case.cursor_of, params={**query, "first": 1}, headers=a.headers)
        cursor = _find(first.json(), "end_cursor") if first.status_code == 200 else None
        if cursor is None:
            return []  # A's list has no cursor to try
        case = replace(case, query={**query, "after": cursor})
    response = await send(http, case, b_headers)
    body: Any = None
    if case.method not in ("HEAD", "OPTIONS") and response.content:
        try:
            body = response.json()
        except ValueError:
            body = response.text

    if case.method == "HEAD":
        if response.status_code != 404:
            problems.append(f"wanted 404, got {response.status_code}")
    elif case.expect in ("not_found", "item_not_found", "hidden"):
        field_name = (case.param or "").rsplit(".", 1)[-1]
        status, code = NOT_FOUND_ANSWERS.get(field_name, (404, "resource_not_found"))
        error = body.get("error") if isinstance(body, dict) else None
        if case.expect == "item_not_found":
            error = _find(body, "error") if response.status_code == 200 else None
        elif response.status_code != status:
            error = None
        if case.expect == "hidden" and response.status_code == 200:
            pass  # an empty answer: checked below for A's data, and against the twin
        elif not isinstance(error, dict) or error.get("code") != code:
            problems.append(f"wanted {status} {code}, got {response.status_code} {body}")
        elif case.param is not None and error.get("param") != case.param:
            problems.append(f"the error names param {error.get('param')!r}, not {case.param!r}")
    elif response.status_code != 200:
        problems.append(f"wanted 200, got {response.status_code} {response.text}")
    if case.a_ids:
        # The same answer as for ids that never existed: nothing tells A's ids apart.
        fakes = _never_existed(case.a_ids)
        twin = await send(http, case, b_headers, fakes)
        if _normalized(response, [*fakes, *fakes.values()]) != _normalized(
            twin, [*fakes, *fakes.values()]
        ):
            problems.append(
                f"answers {response.status_code} {response.text} for A's ids but "
                f"{twin.status_code} {twin.text} for ids that never existed"
            )

    # Nothing of A's comes back, but for the ids B sent echoed in an error message.
    echoed = case.a_ids if response.status_code >= 400 or case.expect == "item_not_found" else []
    leaked = [value for value in a.secrets if value in response.text and value not in echoed]
    if leaked:
        problems.append(f"the answer carries A's {leaked}: {response.text[:500]}")
    return problems


# --- the tests ---------------------------------------------------------------------------


def _dummy(name: str) -> World:
    ids = {kind: new_id(kind) for kind in ("campaign", "group", "ad", "spend_cap", "product")}
    ids |= {"company": new_id("biz"), "api_key": new_id("key")}
    ids |= {"webhook": new_id("hook"), "webhook_delivery": new_id("whdel")}
    ids |= {"value_rule": new_id("adcvr")}
    ids |= {"file": new_id("file"), "audience": new_id("adaud")}
    ids |= {"pixel": new_id("adpx"), "checkout_session": new_id("cs")}
    ids |= {"network_connection": new_id("netc"), "partner": new_id("sacc")}
    ids |= {"external_account": new_id("sacc"), "external_account_page": new_id("sacc")}
    return World(Tenant(ids["company"], new_id("user"), "secret", new_id("key")), ids, name)


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    """Each route of the app is either planned or excluded with a reason; the tables name
    only routes that exist."""
    routes = route_table(app)
    keys = {info.key for info in routes}
    unplanned = []
    for version in (NEWEST, DEFAULT_VERSION):
        for info in routes:
            if excluded(info.key):
                continue
            try:
                assert plan_route(info, _dummy("A"), _dummy("B"), version)
            except Unplanned as missing:
                unplanned.append(str(missing))
    assert not unplanned, "\n".join(dict.fromkeys(unplanned))
    stale = [rule for rule in ROUTE_RULES if rule not in keys]
    stale += [entry for entry in EXCLUDED if not any(_matches(entry, key) for key in keys)]
    assert not stale, f"EXCLUDED/ROUTE_RULES name routes the app no longer has: {stale}"


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://adline.test") as c:
        yield c


@pytest.mark.parametrize("version", [NEWEST, None], ids=["newest", "unversioned"])
async def test_another_companys_ids_are_not_found_and_change_nothing(
    app: FastAPI,
    http: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    make_tenant,  # type: ignore[no-untyped-def]
    version: str | None,
) -> None:
    """B's key holds every scope, so that only the company can refuse it."""
    a = await build_world(http, engine, clock, await make_tenant("Company A"), "acmesecret")
    tenant_b = await make_tenant("Company B", scopes=list(ALL_SCOPES))
    b = await build_world(http, engine, clock, tenant_b, "betaown")
    b_headers = {**tenant_b.headers, **({"Api-Version-Date": version} if version else {})}

    routes = route_table(app)
    cases = plan(routes, a, b, version or DEFAULT_VERSION)
    exercised: set[str] = set()
    failures = []
    companies = [a.ids["company"], b.ids["company"]]
    before = await snapshot(engine, companies)
    for case in cases:
        problems = await run_case(http, case, a, b_headers)
        after = await snapshot(engine, companies)
        changed = sorted(name for name in before if before[name] != after[name])
        if changed:
            problems.append(f"the store changed in {changed}")
            before = after
        exercised.add(case.route)
        failures.extend(f"{case.route} [{case.label}]: {problem}" for problem in problems)

    missing = sorted(
        info.key for info in routes if not excluded(info.key) and info.key not in exercised
    )
    assert not missing, f"routes the matrix never called: {missing}"
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)
