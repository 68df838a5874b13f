"""Seed 001 as printed: `POST /ads/{id}/pause` at the seed's version (its OpenAPI
`x-api-version-date: '2026-06-09'`), answering the seed's `Ad` schema exactly (every
required key, the type of each), the permissions it requires (`ad_campaign:update` and
`ad_campaign:basic:read`), and the error envelope it documents for each status."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.ads import service as ads_service
from adline.auth import scopes
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.issues.service import IssueReport, report_issue
from tests.conftest import Tenant
from tests.hierarchy.builders import Tree, launched_tree, ok
from tests.seeds.printed import (
    DATE_TIME,
    INTEGER,
    NUMBER,
    STRING,
    ArrayOf,
    Spec,
    assert_shape,
    enum,
    nullable,
)

VERSION = "2026-06-09"
# The seed's example id; no ad has it, so it is also the 404's.
EXAMPLE_ID = "ad_xxxxxxxxxxxxxxx"

# components.schemas.Currencies, in the seed's order.
PRINTED_CURRENCIES = """
    usd sgd inr aud brl cad dkk eur nok gbp sek chf hkd huf jpy mxn myr pln czk nzd aed eth
    ape cop ron thb bgn idr dop php try krw twd vnd pkr clp uyu ars zar dzd tnd mad kes kwd jod
    all xcd amd bsd bhd bob bam khr crc xof egp etb gmd ghs gtq gyd ils jmd mop mga mur mdl mnt
    nad ngn mkd omr pyg pen qar rwf sar rsd lkr tzs ttd uzs rub btc cny usdt kzt awg whop_usd
    xau"""
CURRENCIES = tuple(PRINTED_CURRENCIES.split())

# components.schemas.Ad: its properties (all required), typed as printed.
AD: dict[str, Spec] = {
    "id": STRING,
    "title": nullable(STRING),
    "status": enum("active", "paused", "inactive", "in_review", "rejected", "flagged"),
    "platform": enum("meta", "tiktok"),
    "created_at": DATE_TIME,
    "updated_at": DATE_TIME,
    "issues": ArrayOf(
        {
            "category": nullable(
                enum("policy_rejection", "creative_media", "audience_targeting", "ad_volume_limit")
            ),
            "subtype": nullable(STRING),
            "resource_type": STRING,
            "resource_id": nullable(STRING),
            "created_at": DATE_TIME,
            "resolution_status": enum("open", "resolved", "acknowledged"),
        }
    ),
    "spend": NUMBER,
    "spend_currency": nullable(enum(*CURRENCIES)),
    "impressions": INTEGER,
    "reach": INTEGER,
    "clicks": INTEGER,
    "unique_clicks": INTEGER,
    "frequency": nullable(NUMBER),
    "click_through_rate": NUMBER,
    "unique_click_through_rate": nullable(NUMBER),
    "return_on_ad_spend": NUMBER,
    "purchases": INTEGER,
    "purchase_value": NUMBER,
    "leads": INTEGER,
    "cost_per_click": NUMBER,
    "cost_per_mille": NUMBER,
    "cost_per_result": nullable(NUMBER),
    "cost_per_purchase": nullable(NUMBER),
    "cost_per_lead": nullable(NUMBER),
    "ad_group": {"id": STRING},
    "ad_campaign": {"id": STRING},
}

# The error body of every status the seed documents: `type` and `message` required, `code`
# and `param` string or null. Adline always sends all four (docs/api.md#errors).
ERROR: dict[str, Spec] = {
    "error": {
        "type": STRING,
        "message": STRING,
        "code": nullable(STRING),
        "param": nullable(STRING),
    }
}

# The example `error.type` the seed shows per status.
SEED_TYPES = {
    400: "invalid_request_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    500: "internal_server_error",
}


@pytest.fixture
async def raw(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """No key and no version of its own: each request sends what the seed's does."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://adline.test/api/v1") as c:
        yield c


def headers(key: str, version: str = VERSION) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Api-Version-Date": version}


async def report_on_ad(
    engine: AsyncEngine, clock: ManualClock, tenant: Tenant, tree: Tree, report: IssueReport
) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await report_issue(
            session,
            clock,
            company_id=tenant.company_id,
            ad_campaign_id=tree.campaign["id"],
            report=report,
        )


def warning(ad_id: str) -> IssueReport:
    return IssueReport(
        resource_type="ad",
        resource_id=ad_id,
        severity="warning",
        title="Image resolution is low",
        message="Upload an image of at least 1080 x 1080 pixels.",
        category="creative_media",
        subtype="low_resolution",
    )


def assert_error_as_printed(
    response: httpx.Response, status: int, error_type: str
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert_shape(body, ERROR)
    assert body["error"]["type"] == error_type
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


async def ad_status(client: httpx.AsyncClient, ad_id: str) -> str:
    status: str = (await ok(await client.get(f"/ads/{ad_id}")))["status"]
    return status


async def test_pause_at_2026_06_09_answers_the_seeds_ad(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
) -> None:
    tree = await launched_tree(client)
    ad_id = tree.ad["id"]
    await report_on_ad(engine, clock, tenant, tree, warning(ad_id))
    clock.advance(timedelta(minutes=5))

    response = await raw.post(f"/ads/{ad_id}/pause", headers=headers(tenant.key))

    assert response.status_code == 200, response.text
    assert response.headers["Api-Version-Date"] == VERSION
    ad = response.json()
    assert_shape(ad, AD)
    assert (ad["id"], ad["status"]) == (ad_id, "paused")
    assert ad["updated_at"].startswith("2026-03-02T09:05:00")
    assert ad["ad_group"] == {"id": tree.group["id"]}
    assert ad["ad_campaign"] == {"id": tree.campaign["id"]}
    [issue] = ad["issues"]
    assert issue["category"] == "creative_media"
    assert issue["subtype"] == "low_resolution"
    assert (issue["resource_type"], issue["resource_id"]) == ("ad", ad_id)
    assert issue["resolution_status"] == "open"


async def test_400_an_unrecognized_version(
    client: httpx.AsyncClient, raw: httpx.AsyncClient, tenant: Tenant
) -> None:
    tree = await launched_tree(client)
    response = await raw.post(
        f"/ads/{tree.ad['id']}/pause", headers=headers(tenant.key, "2026-13-01")
    )
    error = assert_error_as_printed(response, 400, SEED_TYPES[400])
    assert (error["code"], error["param"]) == ("parameter_invalid", "Api-Version-Date")
    assert await ad_status(client, tree.ad["id"]) == "active"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer adl_sk_NoSuchKeyNoSuchKeyNoSuchKeyNoSuchKey1234", "Basic dXNlcjpwYXNz"],
)
async def test_401_a_missing_or_invalid_key(
    client: httpx.AsyncClient, raw: httpx.AsyncClient, authorization: str | None
) -> None:
    tree = await launched_tree(client)
    sent = {"Api-Version-Date": VERSION}
    if authorization is not None:
        sent["Authorization"] = authorization
    response = await raw.post(f"/ads/{tree.ad['id']}/pause", headers=sent)
    error = assert_error_as_printed(response, 401, SEED_TYPES[401])
    assert error["code"] == "invalid_api_key"
    assert await ad_status(client, tree.ad["id"]) == "active"


@pytest.mark.parametrize(
    ("held", "lacking"),
    [
        ([scopes.AD_CAMPAIGN_BASIC_READ], scopes.AD_CAMPAIGN_UPDATE),
        ([scopes.AD_CAMPAIGN_UPDATE], scopes.AD_CAMPAIGN_BASIC_READ),
        (
            [s for s in scopes.ALL_SCOPES if s != scopes.AD_CAMPAIGN_UPDATE],
            scopes.AD_CAMPAIGN_UPDATE,
        ),
    ],
)
async def test_403_a_key_lacking_a_required_permission(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    tenant: Tenant,
    make_key: Any,
    held: list[str],
    lacking: str,
) -> None:
    """The seed requires both `ad_campaign:update` and `ad_campaign:basic:read`."""
    tree = await launched_tree(client)
    key = await make_key(tenant, held)
    response = await raw.post(f"/ads/{tree.ad['id']}/pause", headers=headers(key))
    error = assert_error_as_printed(response, 403, SEED_TYPES[403])
    assert error["code"] == "missing_scope"
    assert lacking in error["message"]
    assert await ad_status(client, tree.ad["id"]) == "active"
    both = await make_key(tenant, [scopes.AD_CAMPAIGN_UPDATE, scopes.AD_CAMPAIGN_BASIC_READ])
    allowed = await raw.post(f"/ads/{tree.ad['id']}/pause", headers=headers(both))
    assert (await ok(allowed))["status"] == "paused"


async def test_404_no_such_ad_or_another_companys(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    tenant: Tenant,
) -> None:
    response = await raw.post(f"/ads/{EXAMPLE_ID}/pause", headers=headers(tenant.key))
    error = assert_error_as_printed(response, 404, SEED_TYPES[404])
    assert error["code"] == "resource_not_found"
    theirs = await launched_tree(other_client)
    response = await raw.post(f"/ads/{theirs.ad['id']}/pause", headers=headers(tenant.key))
    assert assert_error_as_printed(response, 404, SEED_TYPES[404]) == error | {
        "message": error["message"].replace(EXAMPLE_ID, theirs.ad["id"])
    }
    assert await ad_status(other_client, theirs.ad["id"]) == "active"


async def test_409_the_ads_state_forbids_a_pause(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    engine: AsyncEngine,
    clock: ManualClock,
    tenant: Tenant,
) -> None:
    """Not in the seed's list for this operation; Whop declares 409 on pause (spec E) and
    it has the seed's envelope, with type `conflict`."""
    tree = await launched_tree(client)
    rejection = IssueReport(
        resource_type="ad",
        resource_id=tree.ad["id"],
        severity="error",
        title="Ad rejected",
        message="The ad mentions personal attributes. Edit the primary text and resubmit.",
        category="policy_rejection",
        subtype="personal_attributes",
    )
    await report_on_ad(engine, clock, tenant, tree, rejection)
    response = await raw.post(f"/ads/{tree.ad['id']}/pause", headers=headers(tenant.key))
    error = assert_error_as_printed(response, 409, "conflict")
    assert (error["code"], error["param"]) == ("invalid_state", None)
    assert await ad_status(client, tree.ad["id"]) == "rejected"


async def test_500_a_crash_leaks_nothing_and_changes_nothing(
    client: httpx.AsyncClient,
    raw: httpx.AsyncClient,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The pause is written, then presenting the ad crashes: the answer is the seed's 500
    envelope with nothing of the crash in it, and the pause is rolled back."""
    tree = await launched_tree(client)
    secret = "connection to db.internal:5432 failed for user adline password=hunter2"

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(secret)

    monkeypatch.setattr(ads_service, "present_ads", crash)
    with caplog.at_level(logging.ERROR, logger="adline.errors"):
        response = await raw.post(f"/ads/{tree.ad['id']}/pause", headers=headers(tenant.key))
    monkeypatch.undo()

    error = assert_error_as_printed(response, 500, SEED_TYPES[500])
    assert (error["code"], error["param"]) == ("internal_error", None)
    for leak in ("hunter2", "db.internal", "RuntimeError", "Traceback", ".py", "adline."):
        assert leak not in response.text
    assert any(secret in (record.exc_text or "") for record in caplog.records)
    assert await ad_status(client, tree.ad["id"]) == "active"
