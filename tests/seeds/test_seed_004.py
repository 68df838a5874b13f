"""Seed 004 as printed (spend caps, Moloco-style): its create body, its update body (which
carries no `updated_at`) and its campaign body (`{"campaign": {...}}` with `spend_cap_id`
and `ad_type`), each sent exactly as the seed prints them, with only the example cap id
replaced by the one created. The seed's surface is the same in every API version, so each
example is sent with no `Api-Version-Date`, at the seed-000 version and at the newest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adline.core.clock import ManualClock
from adline.spend_caps.campaigns import ItemCampaignObject
from adline.versions import NEWEST
from tests.conftest import Tenant
from tests.hierarchy.builders import ok
from tests.seeds.printed import (
    INTEGER,
    STRING,
    Spec,
    assert_shape,
    enum,
    nullable,
)

CREATE_AS_PRINTED: dict[str, Any] = {
    "title": "Q2 2026 - Brand Campaign IO",
    "schedule": {"start": "2026-04-01T00:00:00Z", "end": "2026-06-30T23:59:59Z"},
    "budget": {"period": "TOTAL", "amount": {"currency": "USD", "amount_micro": "50000000000"}},
    "comment": "Payer XYZ",
}

UPDATE_AS_PRINTED: dict[str, Any] = {
    "spend_cap": {
        "schedule": {"start": "2026-04-01T00:00:00Z", "end": "2026-07-31T23:59:59Z"},
        "budget": {
            "period": "TOTAL",
            "amount": {"currency": "USD", "amount_micro": "75000000000"},
        },
        "status": "ACTIVE",
        "comment": "Payer Name XYZ",
    }
}

EXAMPLE_CAP_ID = "sc_abc123def456"


def campaign_as_printed(spend_cap_id: str) -> dict[str, Any]:
    return {
        "campaign": {
            "title": "Spring Promo - Display",
            "spend_cap_id": spend_cap_id,
            "ad_type": "ITEM",
        }
    }


STATUSES = enum("SCHEDULED", "ACTIVE", "INACTIVE", "ENDED", "DEPLETED", "ERROR")
MONEY_MICRO: dict[str, Spec] = {"currency": STRING, "amount_micro": STRING}
WINDOW: dict[str, Spec] = {"start": STRING, "end": nullable(STRING)}
# The fields the seed names (title, schedule, budget with MoneyMicro as strings, status,
# comment, the id to store, applied spend) and the rest of Adline's object
# (docs/spend-caps.md, "The object").
SPEND_CAP: dict[str, Spec] = {
    "id": STRING,
    "title": STRING,
    "schedule": WINDOW,
    "budget": {"period": enum("DAILY", "WEEKLY", "TOTAL"), "amount": MONEY_MICRO},
    "applied_ad_spending": MONEY_MICRO,
    "remaining": MONEY_MICRO,
    "current_period": nullable(WINDOW),
    "status": STATUSES,
    "status_reason": nullable(STRING),
    "comment": nullable(STRING),
    "campaign_count": INTEGER,
    "created_at": STRING,
    "updated_at": STRING,
}

VERSIONS = [None, "2026-06-20", NEWEST]


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
async def raw(app: FastAPI, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """The bearer key and nothing else; the key pins no version."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://adline.test/api/v1",
        headers={"Authorization": f"Bearer {tenant.key}"},
    ) as c:
        yield c


def at(version: str | None) -> dict[str, str]:
    return {} if version is None else {"Api-Version-Date": version}


async def create_cap(raw: httpx.AsyncClient, version: str | None) -> dict[str, Any]:
    response = await raw.post("/spend_caps", json=CREATE_AS_PRINTED, headers=at(version))
    body = await ok(response)
    assert set(body) == {"spend_cap"}
    cap: dict[str, Any] = body["spend_cap"]
    return cap


@pytest.mark.parametrize("version", VERSIONS)
async def test_create_as_printed(raw: httpx.AsyncClient, version: str | None) -> None:
    cap = await create_cap(raw, version)

    assert_shape(cap, SPEND_CAP)
    assert cap["id"].startswith("sc_")
    assert cap["title"] == CREATE_AS_PRINTED["title"]
    assert {key: instant(value) for key, value in cap["schedule"].items()} == {
        "start": instant("2026-04-01T00:00:00Z"),
        "end": instant("2026-06-30T23:59:59Z"),
    }
    assert cap["budget"] == CREATE_AS_PRINTED["budget"]
    assert cap["comment"] == "Payer XYZ"
    # The clock reads 2026-03-02: the schedule has not started.
    assert cap["status"] == "SCHEDULED"
    assert cap["applied_ad_spending"] == {"currency": "USD", "amount_micro": "0"}
    # Stored: the id returned reads it back.
    assert (await ok(await raw.get(f"/spend_caps/{cap['id']}")))["spend_cap"] == cap


@pytest.mark.parametrize("version", VERSIONS)
async def test_update_as_printed_applies_without_updated_at(
    raw: httpx.AsyncClient, clock: ManualClock, version: str | None
) -> None:
    cap = await create_cap(raw, version)
    clock.advance(timedelta(minutes=5))

    response = await raw.patch(
        f"/spend_caps/{cap['id']}", json=UPDATE_AS_PRINTED, headers=at(version)
    )

    body = await ok(response)
    assert set(body) == {"spend_cap"}
    updated = body["spend_cap"]
    assert_shape(updated, SPEND_CAP)
    assert {key: instant(value) for key, value in updated["schedule"].items()} == {
        "start": instant("2026-04-01T00:00:00Z"),
        "end": instant("2026-07-31T23:59:59Z"),
    }
    assert updated["budget"] == UPDATE_AS_PRINTED["spend_cap"]["budget"]
    assert updated["remaining"] == {"currency": "USD", "amount_micro": "75000000000"}
    assert updated["comment"] == "Payer Name XYZ"
    # ACTIVE is the switch; before the schedule starts the cap still reads SCHEDULED.
    assert updated["status"] == "SCHEDULED"
    assert updated["title"] == cap["title"]
    assert updated["updated_at"] == "2026-03-02T09:05:00.000000Z"
    assert (await ok(await raw.get(f"/spend_caps/{cap['id']}")))["spend_cap"] == updated


@pytest.mark.parametrize("version", VERSIONS)
async def test_campaign_as_printed_joins_the_cap_and_ad_type_round_trips(
    raw: httpx.AsyncClient, client: httpx.AsyncClient, version: str | None
) -> None:
    cap = await create_cap(raw, version)
    body = campaign_as_printed(cap["id"])
    assert body["campaign"]["spend_cap_id"] != EXAMPLE_CAP_ID

    response = await raw.post("/campaigns", json=body, headers=at(version))

    answer = await ok(response)
    assert set(answer) == {"campaign"}
    campaign = answer["campaign"]
    # The newest campaign, whatever the caller's version, and its ad_type.
    assert set(campaign) == set(ItemCampaignObject.model_fields)
    ItemCampaignObject.model_validate(campaign, strict=True)
    assert_shape(
        {key: campaign[key] for key in ("title", "spend_cap_id", "ad_type")},
        {"title": STRING, "spend_cap_id": STRING, "ad_type": STRING},
    )
    assert (campaign["title"], campaign["spend_cap_id"], campaign["ad_type"]) == (
        "Spring Promo - Display",
        cap["id"],
        "ITEM",
    )
    assert campaign["id"].startswith("adcamp_")
    assert (campaign["status"], campaign["objective"], campaign["platform"]) == (
        "draft",
        "sales",
        "meta",
    )
    # Read back in the seed's form: the same campaign, the same ad_type.
    again = await ok(await raw.get(f"/campaigns/{campaign['id']}", headers=at(version)))
    assert again == answer
    # Whop's endpoints show the link where the version has it (the seeds' versions print
    # their campaigns without it); the cap counts the campaign in every version.
    read = await ok(await raw.get(f"/ad_campaigns/{campaign['id']}", headers=at(version)))
    listed = await ok(await raw.get("/ad_campaigns", headers=at(version)))
    assert [c["id"] for c in listed["data"]] == [campaign["id"]]
    if version == NEWEST:
        assert read["spend_cap_id"] == listed["data"][0]["spend_cap_id"] == cap["id"]
    else:
        assert "spend_cap_id" not in read and "spend_cap_id" not in listed["data"][0]
    assert (await ok(await client.get(f"/spend_caps/{cap['id']}")))["spend_cap"][
        "campaign_count"
    ] == 1
