"""Idempotency-Key on POST: replays, mismatches, the in-flight race, expiry, errors, and the
answer committed with the write (docs/api.md#idempotent-requests)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from whop_sdk import AsyncWhop
from whop_sdk.environment import WhopEnvironment

from adline.campaigns import service as campaigns_service
from adline.core.clock import ManualClock
from adline.core.db import create_sessionmaker
from adline.idempotency import middleware as idempotency_middleware
from adline.idempotency.models import IdempotencyRecord
from adline.idempotency.service import LEASE, fingerprint, purge_expired
from adline.versions import NEWEST
from tests.campaigns.payloads import abo_campaign
from tests.conftest import Tenant

KEY = "Idempotency-Key"


def with_key(key: str, **headers: str) -> dict[str, str]:
    return {KEY: key, **headers}


async def campaign_ids(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/ad_campaigns", params={"first": 100})
    assert response.status_code == 200, response.text
    return [campaign["id"] for campaign in response.json()["data"]]


async def stored_keys(engine: AsyncEngine, tenant: Tenant) -> list[Any]:
    async with create_sessionmaker(engine)() as session:
        statement = (
            select(IdempotencyRecord.idempotency_key, IdempotencyRecord.status_code)
            .where(IdempotencyRecord.api_key_id == tenant.key_id)
            .order_by(IdempotencyRecord.idempotency_key)
        )
        return [tuple(row) for row in (await session.execute(statement)).all()]


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


# --- replay ------------------------------------------------------------------------------


async def test_a_retry_answers_the_first_answer_byte_for_byte(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    first = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("create-1"))
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers

    again = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("create-1"))
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    for name in ("content-type", "content-length", "api-version-date", "cache-control"):
        assert again.headers[name] == first.headers[name], name
    assert await campaign_ids(client) == [first.json()["id"]]
    assert await stored_keys(engine, tenant) == [("create-1", 200)]


async def test_the_same_body_spelled_differently_is_the_same_request(
    client: httpx.AsyncClient,
) -> None:
    body = abo_campaign()
    first = await client.post("/ad_campaigns", json=body, headers=with_key("spelled"))
    respelled = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    again = await client.post(
        "/ad_campaigns",
        content=respelled,
        headers=with_key("spelled", **{"Content-Type": "application/json"}),
    )
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


async def test_keys_belong_to_one_api_key(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    mine = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("shared"))
    theirs = await other_client.post(
        "/ad_campaigns", json=abo_campaign(), headers=with_key("shared")
    )
    assert theirs.status_code == 200, theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


# --- mismatch ----------------------------------------------------------------------------


async def test_the_same_key_with_another_request_is_refused(client: httpx.AsyncClient) -> None:
    first = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("once"))
    assert first.status_code == 200, first.text
    other_body = client.post(
        "/ad_campaigns", json=abo_campaign(title="Another"), headers=with_key("once")
    )
    other_path = client.post(
        "/products", json={"title": "A product", "route": "a-product"}, headers=with_key("once")
    )
    other_version = client.post(
        "/ad_campaigns",
        json=abo_campaign(),
        headers=with_key("once", **{"Api-Version-Date": "2026-06-20"}),
    )
    for attempt in (other_body, other_path, other_version):
        error = error_of(await attempt, 400)
        assert error["type"] == "invalid_request_error"
        assert (error["code"], error["param"]) == ("idempotency_key_mismatch", KEY)
    assert await campaign_ids(client) == [first.json()["id"]]


async def test_a_malformed_key_is_refused_naming_the_header(client: httpx.AsyncClient) -> None:
    for bad in ("x" * 256, ""):
        error = error_of(
            await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key(bad)), 400
        )
        assert (error["code"], error["param"]) == ("parameter_invalid", KEY)
    # Bytes count, not characters: 128 two-byte characters are 256 bytes.
    utf8 = await client.post(
        "/ad_campaigns", json=abo_campaign(), headers={KEY: "é".encode() * 128}
    )
    assert "256" in error_of(utf8, 400)["message"]
    longest = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("k" * 255))
    assert longest.status_code == 200, longest.text
    assert await campaign_ids(client) == [longest.json()["id"]]


# --- in flight ---------------------------------------------------------------------------


class Gate:
    """Holds `create_campaign` until opened; says when a request has reached it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reached = asyncio.Event()
        self.open = asyncio.Event()
        original = campaigns_service.create_campaign

        async def held(*args: Any, **kwargs: Any) -> Any:
            self.reached.set()
            await self.open.wait()
            return await original(*args, **kwargs)

        monkeypatch.setattr(campaigns_service, "create_campaign", held)


async def test_the_same_key_while_the_first_request_runs_is_409(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    first = asyncio.create_task(
        client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("slow"))
    )
    await asyncio.wait_for(gate.reached.wait(), 30)

    second = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("slow"))
    error = error_of(second, 409)
    assert error["type"] == "conflict"
    assert (error["code"], error["param"]) == ("idempotency_request_in_progress", KEY)
    assert second.headers["retry-after"] == "1"

    gate.open.set()
    answered = await asyncio.wait_for(first, 30)
    assert answered.status_code == 200, answered.text
    third = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("slow"))
    assert third.headers["idempotent-replayed"] == "true"
    assert third.content == answered.content
    assert await campaign_ids(client) == [answered.json()["id"]]


async def test_ten_racing_copies_of_one_create_make_one_campaign(
    client: httpx.AsyncClient,
) -> None:
    answers = await asyncio.gather(
        *(
            client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("race"))
            for _ in range(10)
        )
    )
    ids = await campaign_ids(client)
    assert len(ids) == 1
    created = [answer for answer in answers if answer.status_code == 200]
    assert created, [answer.text for answer in answers]
    assert {answer.content for answer in created} == {created[0].content}
    assert created[0].json()["id"] == ids[0]
    for answer in answers:
        if answer.status_code != 200:
            assert error_of(answer, 409)["code"] == "idempotency_request_in_progress"


async def test_a_reservation_whose_attempt_died_is_taken_over_after_the_lease(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, clock: ManualClock
) -> None:
    """A crash leaves the key reserved (the attempt's writes died with it): 409 until the
    lease runs out, then the next attempt runs."""
    body = abo_campaign()
    now = clock.now()
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            insert(IdempotencyRecord).values(
                api_key_id=tenant.key_id,
                idempotency_key="crashed",
                fingerprint=fingerprint(
                    "POST", "/api/v1/ad_campaigns", b"", NEWEST, json.dumps(body).encode()
                ),
                attempt="dead",
                started_at=now,
                created_at=now,
                expires_at=now + timedelta(hours=24),
            )
        )
    held = await client.post("/ad_campaigns", json=body, headers=with_key("crashed"))
    assert error_of(held, 409)["code"] == "idempotency_request_in_progress"
    clock.advance(LEASE)
    taken = await client.post("/ad_campaigns", json=body, headers=with_key("crashed"))
    assert taken.status_code == 200, taken.text
    assert await campaign_ids(client) == [taken.json()["id"]]
    assert await stored_keys(engine, tenant) == [("crashed", 200)]


# --- expiry ------------------------------------------------------------------------------


async def test_a_key_is_kept_for_24_hours(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, clock: ManualClock
) -> None:
    first = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("daily"))
    clock.advance(timedelta(hours=24) - timedelta(microseconds=1))
    replayed = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("daily"))
    assert replayed.headers["idempotent-replayed"] == "true"

    clock.advance(timedelta(microseconds=1))
    # Forgotten: another request may take the key, and runs.
    anew = await client.post(
        "/ad_campaigns", json=abo_campaign(title="Next day"), headers=with_key("daily")
    )
    assert anew.status_code == 200, anew.text
    assert "idempotent-replayed" not in anew.headers
    assert sorted(await campaign_ids(client)) == sorted([first.json()["id"], anew.json()["id"]])
    assert await stored_keys(engine, tenant) == [("daily", 200)]


async def test_expired_keys_are_purged(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, clock: ManualClock
) -> None:
    await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("old-1"))
    clock.advance(timedelta(hours=1))
    await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("old-2"))
    clock.advance(timedelta(hours=23))
    async with create_sessionmaker(engine)() as session, session.begin():
        assert await purge_expired(session, clock.now()) >= 1
    assert await stored_keys(engine, tenant) == [("old-2", 200)]


# --- errors ------------------------------------------------------------------------------


async def test_an_error_is_answered_again(client: httpx.AsyncClient) -> None:
    """Pausing a draft is 409; once the campaign runs, a retry of that pause still answers
    the 409 it answered (and pauses nothing)."""
    campaign = (await client.post("/ad_campaigns", json=abo_campaign())).json()
    pause = f"/ad_campaigns/{campaign['id']}/pause"
    refused = await client.post(pause, headers=with_key("pause-draft"))
    assert error_of(refused, 409)["code"] == "invalid_state"

    await client.post(
        "/ad_groups",
        json={
            "ad_campaign_id": campaign["id"],
            "title": "Prospecting",
            "budget_type": "daily",
            "budget_amount": 10,
            "optimization_goal": "conversions",
            "conversion_location": "website",
            "conversion_event": "purchase",
        },
    )
    again = await client.post(pause, headers=with_key("pause-draft"))
    assert again.status_code == 409
    assert again.content == refused.content
    assert again.headers["idempotent-replayed"] == "true"

    untitled = {"objective": "sales", "platform": "meta"}
    invalid = await client.post("/ad_campaigns", json=untitled, headers=with_key("v"))
    assert error_of(invalid, 400)["code"] == "parameter_missing"
    replayed = await client.post("/ad_campaigns", json=untitled, headers=with_key("v"))
    assert replayed.content == invalid.content
    assert replayed.headers["idempotent-replayed"] == "true"


async def test_a_5xx_is_not_stored_so_the_retry_can_succeed(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, engine: AsyncEngine, tenant: Tenant
) -> None:
    original = campaigns_service.create_campaign

    async def write_then_crash(*args: Any, **kwargs: Any) -> Any:
        await original(*args, **kwargs)
        raise RuntimeError("after the write")

    monkeypatch.setattr(campaigns_service, "create_campaign", write_then_crash)
    crashed = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("crash"))
    assert error_of(crashed, 500)["code"] == "internal_error"
    monkeypatch.undo()
    assert await campaign_ids(client) == []
    assert await stored_keys(engine, tenant) == []

    retried = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("crash"))
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert await campaign_ids(client) == [retried.json()["id"]]


async def test_the_answer_commits_with_the_write_or_neither_does(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, engine: AsyncEngine, tenant: Tenant
) -> None:
    """Storing the answer fails: the campaign is not created either, and the key is free."""

    async def broken(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(idempotency_middleware, "store_answer", broken)
    failed = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("atomic"))
    assert error_of(failed, 500)["code"] == "internal_error"
    monkeypatch.undo()
    assert await campaign_ids(client) == []
    assert await stored_keys(engine, tenant) == []
    retried = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("atomic"))
    assert retried.status_code == 200, retried.text
    assert await campaign_ids(client) == [retried.json()["id"]]


# --- other methods -----------------------------------------------------------------------


async def test_get_and_delete_ignore_the_header(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    product = (await client.post("/products", json={"title": "Shoes", "route": "shoes"})).json()
    for _ in range(2):
        read = await client.get(f"/products/{product['id']}", headers=with_key("x" * 300))
        assert read.status_code == 200, read.text
        assert "idempotent-replayed" not in read.headers
    deleted = await client.delete(f"/products/{product['id']}", headers=with_key("reused"))
    assert deleted.status_code == 200, deleted.text
    again = await client.delete(f"/products/{product['id']}", headers=with_key("reused"))
    assert "idempotent-replayed" not in again.headers
    assert await stored_keys(engine, tenant) == []
    # The key the DELETE carried is free for a POST.
    created = await client.post("/ad_campaigns", json=abo_campaign(), headers=with_key("reused"))
    assert created.status_code == 200, created.text
    assert await stored_keys(engine, tenant) == [("reused", 200)]


async def test_unauthenticated_posts_store_nothing(
    anonymous: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with create_sessionmaker(engine)() as session:
        before = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
    for _ in range(2):
        answer = await anonymous.post(
            "/ad_campaigns", json=abo_campaign(), headers=with_key("nobody")
        )
        assert error_of(answer, 401)["code"] == "invalid_api_key"
        assert "idempotent-replayed" not in answer.headers
    async with create_sessionmaker(engine)() as session:
        after = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
    assert after == before


# --- the official client -----------------------------------------------------------------


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """The first POST's answer is lost on its way back (a 503 from a proxy, say), after the
    server committed it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and not self.lost:
            self.lost += 1
            await response.aread()
            return httpx.Response(503, json={"error": {"type": "proxy", "message": "lost"}})
        return response


async def test_the_official_clients_retry_of_a_lost_answer_makes_one_campaign(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """whop-sdk 2.6.0 retries a 5xx by itself with the same Idempotency-Key: the retry is
    answered with the campaign the first attempt made."""
    transport = LoseFirstAnswer(httpx.ASGITransport(app=app))
    api = "http://adline.test/api/v1"
    async with httpx.AsyncClient(transport=transport) as http:
        sdk = AsyncWhop(
            environment=WhopEnvironment(api=api, vault=api),
            token=tenant.key,
            idempotency_key="sdk-create-1",
            httpx_client=http,
        )
        campaign = await sdk.ad_campaigns.create(
            title="Retried", objective="sales", platform="meta"
        )
    assert transport.lost == 1
    assert await campaign_ids(client) == [campaign.id]
