"""Version plumbing, exercised through the real app with a toy older version.

Only 2026-10-15-1 exists today; the toy `2000-01-01` renames a campaign's `title` to
`name` so the request-up and response-down paths run end to end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.app import create_app
from adline.config import Settings
from adline.core.versioning import (
    Version,
    VersionBundle,
    VersionChange,
    request_migration,
    response_migration,
    token_order,
)
from adline.versions import NEWEST, TOKENS, VERSION_BUNDLE
from tests.campaigns.payloads import cbo_campaign
from tests.helpers import assert_error

TOY = "2000-01-01"


class RenameCampaignTitleToName(VersionChange):
    """Campaigns were called `name` before they were called `title`."""

    @request_migration("ad_campaign.create", "ad_campaign.update")
    @staticmethod
    def name_to_title(body: dict[str, Any]) -> dict[str, Any]:
        if "name" in body:
            body["title"] = body.pop("name")
        return body

    @response_migration("ad_campaign")
    @staticmethod
    def title_to_name(body: dict[str, Any]) -> dict[str, Any]:
        body["name"] = body.pop("title")
        return body

    @response_migration("ad_campaign.list")
    @staticmethod
    def no_page_info(body: dict[str, Any]) -> dict[str, Any]:
        body.pop("page_info")
        return body


TOY_BUNDLE = VersionBundle(
    versions=[Version(NEWEST), Version(TOY, [RenameCampaignTitleToName])], default=NEWEST
)


@pytest.fixture
async def toy_client(
    database_url: str,
    engine: AsyncEngine,
    clock,
    tenant,  # type: ignore[no-untyped-def]
) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(
        Settings(database_url=database_url), clock=clock, engine=engine, version_bundle=TOY_BUNDLE
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://adline.test/api/v1", headers=tenant.headers
    ) as client:
        yield client


CAMPAIGN = {"objective": "sales", "platform": "meta"}


async def test_old_version_request_is_migrated_up_and_response_down(
    toy_client: httpx.AsyncClient,
) -> None:
    response = await toy_client.post(
        "/ad_campaigns", json={"name": "Old style", **CAMPAIGN}, headers={"Api-Version-Date": TOY}
    )
    assert response.status_code == 200, response.text
    assert response.headers["Api-Version-Date"] == TOY
    body = response.json()
    assert body["name"] == "Old style"
    assert "title" not in body

    newest = await toy_client.get(f"/ad_campaigns/{body['id']}")
    assert newest.headers["Api-Version-Date"] == NEWEST
    assert newest.json()["title"] == "Old style"
    assert "name" not in newest.json()

    listed = await toy_client.get("/ad_campaigns", headers={"Api-Version-Date": TOY})
    assert set(listed.json()) == {"data"}
    assert listed.json()["data"][0]["name"] == "Old style"


async def test_newest_shape_fields_are_refused_by_the_old_version_only_if_unknown(
    toy_client: httpx.AsyncClient,
) -> None:
    response = await toy_client.post(
        "/ad_campaigns",
        json={"name": "x", "nickname": "y", **CAMPAIGN},
        headers={"Api-Version-Date": TOY},
    )
    assert_error(response, 400, "parameter_invalid", "nickname")


async def test_unknown_version_is_400_naming_the_newest_and_the_list(
    toy_client: httpx.AsyncClient,
) -> None:
    response = await toy_client.get("/ad_campaigns", headers={"Api-Version-Date": "2026-13-45"})
    error = assert_error(response, 400, "parameter_invalid", "Api-Version-Date")
    assert f"The newest version is {NEWEST}" in error["message"]
    assert "/api/v1/docs lists all 2 supported versions" in error["message"]


async def test_a_key_pinned_to_a_version_gets_it_unless_the_header_says_otherwise(
    toy_client: httpx.AsyncClient,
    make_key,
    tenant,  # type: ignore[no-untyped-def]
) -> None:
    pinned = await make_key(
        tenant, ["ad_campaign:basic:read", "ad_campaign:create"], api_version_date=TOY
    )
    headers = {"Authorization": f"Bearer {pinned}"}
    created = await toy_client.post(
        "/ad_campaigns", json={"name": "Pinned", **CAMPAIGN}, headers=headers
    )
    assert created.headers["Api-Version-Date"] == TOY
    assert created.json()["name"] == "Pinned"
    explicit = await toy_client.get(
        f"/ad_campaigns/{created.json()['id']}", headers={**headers, "Api-Version-Date": NEWEST}
    )
    assert explicit.headers["Api-Version-Date"] == NEWEST
    assert explicit.json()["title"] == "Pinned"


async def test_the_real_bundle(client: httpx.AsyncClient) -> None:
    assert VERSION_BUNDLE.values[0] == NEWEST
    response = await client.get("/ad_campaigns", headers={"Api-Version-Date": NEWEST})
    assert response.headers["Api-Version-Date"] == NEWEST
    response = await client.get("/ad_campaigns", headers={"Api-Version-Date": "2026-07-02"})
    error = assert_error(response, 400, "parameter_invalid", "Api-Version-Date")
    assert "'2026-07-02'" in error["message"]
    assert f"The newest version is {NEWEST}" in error["message"]
    assert "/api/v1/docs lists all 70 supported versions" in error["message"]


async def test_every_token_of_the_newest_client_reads_a_campaign(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/ad_campaigns", json=cbo_campaign())
    assert created.status_code == 200, created.text
    assert len(TOKENS) == 70
    for token in TOKENS:
        response = await client.get(
            f"/ad_campaigns/{created.json()['id']}", headers={"Api-Version-Date": token}
        )
        assert response.status_code == 200, (token, response.text)
        # The response names the token asked for; its shape is the nearest known version's.
        assert response.headers["Api-Version-Date"] == token
        assert response.json()["id"] == created.json()["id"]


def test_a_token_answers_in_the_nearest_known_version_at_or_before_it() -> None:
    assert VERSION_BUNDLE.shape_of("2026-06-08") == "2025-01-01"
    assert VERSION_BUNDLE.shape_of("2026-06-09") == "2026-06-09"
    assert VERSION_BUNDLE.shape_of("2026-10-15") != NEWEST
    for token in TOKENS:
        shape = VERSION_BUNDLE.shape_of(token)
        assert token_order(shape) <= token_order(token)
        assert VERSION_BUNDLE.is_exact(token) == (shape == token)


def test_token_order_puts_same_day_suffixes_between_days() -> None:
    ordered = ["2026-07-08", "2026-07-08-1", "2026-07-08-2", "2026-07-09", "2026-07-09-10"]
    assert sorted(reversed(ordered), key=token_order) == ordered


async def test_unauthenticated_answers_still_name_a_version(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/ad_campaigns")
    assert response.status_code == 401
    assert response.headers["Api-Version-Date"] == NEWEST


def test_a_change_must_say_what_changed() -> None:
    with pytest.raises(TypeError):

        class Undocumented(VersionChange):
            pass


def test_the_newest_version_has_no_changes() -> None:
    with pytest.raises(ValueError):
        VersionBundle([Version(NEWEST, [RenameCampaignTitleToName])], default=NEWEST)


def test_only_versions_that_need_private_facts_pay_for_them() -> None:
    assert VERSION_BUNDLE.facts_needed(NEWEST) == frozenset()
    assert VERSION_BUNDLE.facts_needed("2026-06-09") == frozenset()
    assert VERSION_BUNDLE.facts_needed("2025-01-01") == {"ad_campaign._original"}
