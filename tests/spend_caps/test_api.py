"""The spend cap API (seed 004): create, read, update and list; scopes, tenancy, pagination,
the status filter, the update rules and optimistic concurrency."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from adline.core.clock import ManualClock
from adline.spend_caps import service
from tests.conftest import NEWEST_HEADER, Tenant
from tests.helpers import assert_error
from tests.spend_caps.payloads import cap_body

CAP_KEYS = {
    "id",
    "title",
    "schedule",
    "budget",
    "applied_ad_spending",
    "remaining",
    "current_period",
    "status",
    "status_reason",
    "comment",
    "campaign_count",
    "created_at",
    "updated_at",
}
ID = re.compile(r"^sc_[0-9A-Za-z]{14}$")
NOW = "2026-03-02T09:00:00.000000Z"


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def create(client: httpx.AsyncClient, **options: Any) -> dict[str, Any]:
    body = await ok(await client.post("/spend_caps", json=cap_body(**options)))
    assert set(body) == {"spend_cap"}
    cap: dict[str, Any] = body["spend_cap"]
    return cap


async def read(client: httpx.AsyncClient, cap_id: str) -> dict[str, Any]:
    body = await ok(await client.get(f"/spend_caps/{cap_id}"))
    assert set(body) == {"spend_cap"}
    cap: dict[str, Any] = body["spend_cap"]
    return cap


async def patch(client: httpx.AsyncClient, cap: dict[str, Any], **changes: Any) -> httpx.Response:
    """PATCH `changes` on top of the `updated_at` last read in `cap`."""
    body = {"spend_cap": {"updated_at": cap["updated_at"], **changes}}
    return await client.patch(f"/spend_caps/{cap['id']}", json=body)


def money(amount_micro: str, currency: str = "USD") -> dict[str, str]:
    return {"currency": currency, "amount_micro": amount_micro}


@pytest.fixture
async def keyed(app: FastAPI) -> AsyncIterator[Any]:
    """Clients for other keys: `await keyed(secret)`; closed at the end of the test."""
    opened: list[httpx.AsyncClient] = []

    def make(secret: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        made = httpx.AsyncClient(
            transport=transport,
            base_url="http://adline.test/api/v1",
            headers={**NEWEST_HEADER, "Authorization": f"Bearer {secret}"},
        )
        opened.append(made)
        return made

    yield make
    for made in opened:
        await made.aclose()


class TestCreate:
    async def test_the_seeds_example_answers_the_whole_object(
        self, client: httpx.AsyncClient
    ) -> None:
        cap = await create(client)
        assert set(cap) == CAP_KEYS
        assert ID.match(cap["id"]), cap["id"]
        assert cap == {
            "id": cap["id"],
            "title": "Q2 2026 - Brand Campaign IO",
            "schedule": {
                "start": "2026-03-01T00:00:00.000000Z",
                "end": "2026-06-30T23:59:59.000000Z",
            },
            "budget": {"period": "TOTAL", "amount": money("50000000000")},
            "applied_ad_spending": money("0"),
            "remaining": money("50000000000"),
            # TOTAL: the whole schedule; the inclusive end stops serving one second later.
            "current_period": {
                "start": "2026-03-01T00:00:00.000000Z",
                "end": "2026-07-01T00:00:00.000000Z",
            },
            "status": "ACTIVE",
            "status_reason": None,
            "comment": "Payer XYZ",
            "campaign_count": 0,
            "created_at": NOW,
            "updated_at": NOW,
        }

    async def test_read_answers_what_create_answered(self, client: httpx.AsyncClient) -> None:
        cap = await create(client)
        assert await read(client, cap["id"]) == cap

    async def test_optional_fields(self, client: httpx.AsyncClient) -> None:
        body = cap_body(end=None, period="DAILY")
        del body["comment"]
        cap = (await ok(await client.post("/spend_caps", json=body)))["spend_cap"]
        assert set(cap) == CAP_KEYS
        assert cap["schedule"] == {"start": "2026-03-01T00:00:00.000000Z", "end": None}
        assert cap["comment"] is None
        assert cap["budget"]["period"] == "DAILY"
        # The company's day (UTC by default).
        assert cap["current_period"] == {
            "start": "2026-03-02T00:00:00.000000Z",
            "end": "2026-03-03T00:00:00.000000Z",
        }

    async def test_ids_differ(self, client: httpx.AsyncClient) -> None:
        ids = {(await create(client))["id"] for _ in range(3)}
        assert len(ids) == 3

    async def test_created_inactive(self, client: httpx.AsyncClient) -> None:
        cap = await create(client, status="INACTIVE")
        assert cap["status"] == "INACTIVE"
        assert cap["status_reason"]
        assert (await read(client, cap["id"]))["status"] == "INACTIVE"

    async def test_created_active_explicitly(self, client: httpx.AsyncClient) -> None:
        assert (await create(client, status="ACTIVE"))["status"] == "ACTIVE"

    @pytest.mark.parametrize("status", ["SCHEDULED", "ENDED", "DEPLETED", "ERROR", "active", ""])
    async def test_only_user_statuses(self, client: httpx.AsyncClient, status: str) -> None:
        response = await client.post("/spend_caps", json=cap_body(status=status))
        assert_error(response, 400, "parameter_invalid", "status")
        await self.assert_none_created(client)

    async def test_schedule_end_before_start(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/spend_caps",
            json=cap_body(start="2026-04-01T00:00:00Z", end="2026-03-31T23:59:59Z"),
        )
        assert_error(response, 400, "parameter_invalid", "schedule.end")
        await self.assert_none_created(client)

    async def test_a_one_second_schedule_is_allowed(self, client: httpx.AsyncClient) -> None:
        cap = await create(client, start="2026-04-01T00:00:00Z", end="2026-04-01T00:00:00Z")
        assert cap["status"] == "SCHEDULED"

    @pytest.mark.parametrize(
        ("body", "code", "param"),
        [
            ({"title": ""}, "parameter_invalid", "title"),
            ({"title": "x" * 201}, "parameter_invalid", "title"),
            ({"title": " \t "}, "parameter_invalid", "title"),
            ({"title": 12}, "parameter_invalid", "title"),
            ({"schedule": {"end": "2026-06-30T23:59:59Z"}}, "parameter_missing", "schedule.start"),
            ({"schedule": {"start": "soon"}}, "parameter_invalid", "schedule.start"),
            ({"budget": {"amount": money("1")}}, "parameter_missing", "budget.period"),
            (
                {"budget": {"period": "MONTHLY", "amount": money("1")}},
                "parameter_invalid",
                "budget.period",
            ),
            ({"budget": {"period": "TOTAL"}}, "parameter_missing", "budget.amount"),
            ({"colour": "red"}, "parameter_invalid", "colour"),
            (
                {"budget": {"period": "TOTAL", "amount": money("1"), "x": 1}},
                "parameter_invalid",
                "budget.x",
            ),
            ({"account_id": "biz_AAAAAAAAAAAAAA"}, "resource_not_found", "account_id"),
        ],
    )
    async def test_bad_bodies(
        self, client: httpx.AsyncClient, body: dict[str, Any], code: str, param: str
    ) -> None:
        status = 404 if code == "resource_not_found" else 400
        response = await client.post("/spend_caps", json=cap_body(**body))
        error = assert_error(response, status, code, param)
        if status == 400:
            assert param in error["message"]
        await self.assert_none_created(client)

    @pytest.mark.parametrize("field", ["title", "schedule", "budget"])
    async def test_required(self, client: httpx.AsyncClient, field: str) -> None:
        body = cap_body()
        del body[field]
        response = await client.post("/spend_caps", json=body)
        assert_error(response, 400, "parameter_missing", field)

    async def test_own_account_id_is_accepted(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        cap = await create(client, account_id=tenant.company_id)
        assert cap["status"] == "ACTIVE"

    @staticmethod
    async def assert_none_created(client: httpx.AsyncClient) -> None:
        assert (await ok(await client.get("/spend_caps")))["spend_caps"] == []


class TestLimits:
    async def test_max_spend_caps_per_company(
        self, client: httpx.AsyncClient, other_client: httpx.AsyncClient, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(service, "MAX_SPEND_CAPS_PER_COMPANY", 2)
        first = await create(client)
        await create(client, status="INACTIVE")
        response = await client.post("/spend_caps", json=cap_body())
        assert_error(response, 400, "max_spend_cap_count_reached", None)
        assert len((await ok(await client.get("/spend_caps")))["spend_caps"]) == 2
        # Per company.
        await create(other_client)
        # Caps are never deleted: an old one is updated and reused instead.
        reused = await ok(await patch(client, first, title="Reused", status="ACTIVE"))
        assert reused["spend_cap"]["title"] == "Reused"

    async def test_concurrent_creates_do_not_pass_the_limit_together(
        self, client: httpx.AsyncClient, monkeypatch: Any
    ) -> None:
        monkeypatch.setattr(service, "MAX_SPEND_CAPS_PER_COMPANY", 3)
        answers = await asyncio.gather(
            *(client.post("/spend_caps", json=cap_body()) for _ in range(6))
        )
        assert sorted(answer.status_code for answer in answers) == [200] * 3 + [400] * 3
        assert len((await ok(await client.get("/spend_caps")))["spend_caps"]) == 3


class TestScopes:
    async def test_without_a_key(self, anonymous: httpx.AsyncClient) -> None:
        assert_error(await anonymous.get("/spend_caps"), 401, "invalid_api_key", None)
        assert_error(
            await anonymous.post("/spend_caps", json=cap_body()), 401, "invalid_api_key", None
        )
        assert_error(
            await anonymous.get("/spend_caps/sc_AAAAAAAAAAAAAA"), 401, "invalid_api_key", None
        )
        response = await anonymous.patch(
            "/spend_caps/sc_AAAAAAAAAAAAAA", json={"spend_cap": {"updated_at": NOW}}
        )
        assert_error(response, 401, "invalid_api_key", None)

    async def test_a_read_only_key_cannot_write(
        self, client: httpx.AsyncClient, tenant: Tenant, make_key: Any, keyed: Any
    ) -> None:
        cap = await create(client)
        reader = keyed(await make_key(tenant, ["spend_cap:read"]))
        assert await read(reader, cap["id"]) == cap
        assert [c["id"] for c in (await ok(await reader.get("/spend_caps")))["spend_caps"]] == [
            cap["id"]
        ]
        error = assert_error(
            await reader.post("/spend_caps", json=cap_body()), 403, "missing_scope", None
        )
        assert "spend_cap:write" in error["message"]
        error = assert_error(await patch(reader, cap, title="Nope"), 403, "missing_scope", None)
        assert "spend_cap:write" in error["message"]
        assert await read(client, cap["id"]) == cap
        assert len((await ok(await client.get("/spend_caps")))["spend_caps"]) == 1

    async def test_a_key_without_spend_cap_scopes_cannot_read(
        self, client: httpx.AsyncClient, tenant: Tenant, make_key: Any, keyed: Any
    ) -> None:
        cap = await create(client)
        other = keyed(await make_key(tenant, ["ad_campaign:basic:read", "spend_cap:write"]))
        for response in (
            await other.get("/spend_caps"),
            await other.get(f"/spend_caps/{cap['id']}"),
        ):
            error = assert_error(response, 403, "missing_scope", None)
            assert "spend_cap:read" in error["message"]

    async def test_a_write_only_key_can_create_and_update(
        self, tenant: Tenant, make_key: Any, keyed: Any
    ) -> None:
        writer = keyed(await make_key(tenant, ["spend_cap:write"]))
        cap = await create(writer)
        updated = (await ok(await patch(writer, cap, title="Renamed")))["spend_cap"]
        assert updated["title"] == "Renamed"


class TestTenancy:
    async def test_another_companys_cap_is_not_found(
        self, client: httpx.AsyncClient, other_client: httpx.AsyncClient
    ) -> None:
        cap = await create(client)
        response = await other_client.get(f"/spend_caps/{cap['id']}")
        assert_error(response, 404, "resource_not_found", None)
        response = await patch(other_client, cap, title="Taken over", status="INACTIVE")
        assert_error(response, 404, "resource_not_found", None)
        assert (await ok(await other_client.get("/spend_caps")))["spend_caps"] == []
        assert (await ok(await other_client.get("/spend_caps", params={"status": "ACTIVE"})))[
            "spend_caps"
        ] == []
        assert await read(client, cap["id"]) == cap

    async def test_an_unknown_id_is_not_found(self, client: httpx.AsyncClient) -> None:
        assert_error(
            await client.get("/spend_caps/sc_AAAAAAAAAAAAAA"), 404, "resource_not_found", None
        )
        response = await client.patch(
            "/spend_caps/sc_AAAAAAAAAAAAAA", json={"spend_cap": {"updated_at": NOW}}
        )
        assert_error(response, 404, "resource_not_found", None)

    async def test_another_companys_account_id(
        self, client: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        response = await client.post(
            "/spend_caps", json=cap_body(account_id=other_tenant.company_id)
        )
        assert_error(response, 404, "resource_not_found", "account_id")


class TestList:
    async def test_shape(self, client: httpx.AsyncClient) -> None:
        cap = await create(client)
        body = await ok(await client.get("/spend_caps"))
        assert set(body) == {"spend_caps", "page_info"}
        assert body["spend_caps"] == [cap]
        assert set(body["page_info"]) == {
            "start_cursor",
            "end_cursor",
            "has_next_page",
            "has_previous_page",
        }
        assert body["page_info"]["has_next_page"] is False
        assert body["page_info"]["has_previous_page"] is False

    async def test_empty(self, client: httpx.AsyncClient) -> None:
        body = await ok(await client.get("/spend_caps"))
        assert body == {
            "spend_caps": [],
            "page_info": {
                "start_cursor": None,
                "end_cursor": None,
                "has_next_page": False,
                "has_previous_page": False,
            },
        }

    async def test_pages(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        ids = []
        for number in range(5):
            ids.append((await create(client, title=f"Cap {number}"))["id"])
            clock.advance(timedelta(seconds=1))
        newest_first = ids[::-1]

        def page_ids(body: dict[str, Any]) -> list[str]:
            return [cap["id"] for cap in body["spend_caps"]]

        first = await ok(await client.get("/spend_caps", params={"first": 2}))
        assert page_ids(first) == newest_first[:2]
        assert first["page_info"]["has_next_page"] is True
        assert first["page_info"]["has_previous_page"] is False

        second = await ok(
            await client.get(
                "/spend_caps", params={"first": 2, "after": first["page_info"]["end_cursor"]}
            )
        )
        assert page_ids(second) == newest_first[2:4]
        assert second["page_info"]["has_next_page"] is True
        assert second["page_info"]["has_previous_page"] is True

        third = await ok(
            await client.get(
                "/spend_caps", params={"first": 2, "after": second["page_info"]["end_cursor"]}
            )
        )
        assert page_ids(third) == newest_first[4:]
        assert third["page_info"]["has_next_page"] is False
        assert third["page_info"]["has_previous_page"] is True

        back = await ok(
            await client.get(
                "/spend_caps", params={"last": 2, "before": second["page_info"]["start_cursor"]}
            )
        )
        assert page_ids(back) == newest_first[:2]
        assert back["page_info"]["has_previous_page"] is False
        assert back["page_info"]["has_next_page"] is True

        last = await ok(await client.get("/spend_caps", params={"last": 2}))
        assert page_ids(last) == newest_first[3:]
        assert last["page_info"]["has_previous_page"] is True

        ascending = await ok(await client.get("/spend_caps", params={"direction": "asc"}))
        assert page_ids(ascending) == ids

    @pytest.mark.parametrize(
        ("params", "param"),
        [
            ({"first": 0}, "first"),
            ({"first": 101}, "first"),
            ({"after": "not-a-cursor"}, "after"),
            ({"first": 1, "last": 1}, "last"),
            ({"direction": "sideways"}, "direction"),
        ],
    )
    async def test_bad_page_parameters(
        self, client: httpx.AsyncClient, params: dict[str, Any], param: str
    ) -> None:
        assert_error(
            await client.get("/spend_caps", params=params), 400, "parameter_invalid", param
        )

    async def test_status_filter(self, client: httpx.AsyncClient) -> None:
        active = await create(client, title="Active")
        inactive = await create(client, title="Inactive", status="INACTIVE")
        scheduled = await create(client, title="Scheduled", start="2026-04-01T00:00:00Z")
        ended = await create(
            client, title="Ended", start="2026-01-01T00:00:00Z", end="2026-01-31T23:59:59Z"
        )
        depleted = await create(client, title="Depleted", amount_micro="0")
        assert [c["status"] for c in (active, inactive, scheduled, ended, depleted)] == [
            "ACTIVE",
            "INACTIVE",
            "SCHEDULED",
            "ENDED",
            "DEPLETED",
        ]

        async def titles(params: Any) -> set[str]:
            body = await ok(await client.get("/spend_caps", params=params))
            return {cap["title"] for cap in body["spend_caps"]}

        assert await titles({"status": "ACTIVE"}) == {"Active"}
        assert await titles([("status", "ACTIVE"), ("status", "INACTIVE")]) == {
            "Active",
            "Inactive",
        }
        assert await titles({"status": "SCHEDULED,ENDED"}) == {"Scheduled", "Ended"}
        assert await titles([("status", "DEPLETED, ENDED"), ("status", "ACTIVE")]) == {
            "Depleted",
            "Ended",
            "Active",
        }
        assert await titles({"status": "ERROR"}) == set()
        assert len(await titles({})) == 5

    async def test_status_filter_pages(self, client: httpx.AsyncClient, clock: ManualClock) -> None:
        for number in range(3):
            await create(client, title=f"Active {number}")
            await create(client, title=f"Inactive {number}", status="INACTIVE")
            clock.advance(timedelta(seconds=1))
        first = await ok(await client.get("/spend_caps", params={"status": "INACTIVE", "first": 2}))
        assert [c["title"] for c in first["spend_caps"]] == ["Inactive 2", "Inactive 1"]
        assert first["page_info"]["has_next_page"] is True
        rest = await ok(
            await client.get(
                "/spend_caps",
                params={
                    "status": "INACTIVE",
                    "first": 2,
                    "after": first["page_info"]["end_cursor"],
                },
            )
        )
        assert [c["title"] for c in rest["spend_caps"]] == ["Inactive 0"]
        assert rest["page_info"]["has_next_page"] is False

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "PAUSED"},
            {"status": "active"},
            {"status": "ACTIVE,"},
            {"status": ""},
            [("status", "ACTIVE"), ("status", "NOPE")],
        ],
    )
    async def test_unknown_status(self, client: httpx.AsyncClient, params: Any) -> None:
        await create(client)
        response = await client.get("/spend_caps", params=params)
        assert_error(response, 400, "parameter_invalid", "status")


class TestUpdate:
    async def test_every_field_the_seed_changes(
        self, client: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        cap = await create(client)
        clock.advance(timedelta(minutes=5))
        response = await patch(
            client,
            cap,
            title="Q2 2026 - Brand Campaign IO (extended)",
            schedule={"start": "2026-03-01T00:00:00Z", "end": "2026-07-31T23:59:59Z"},
            budget={"period": "TOTAL", "amount": money("75000000000")},
            status="ACTIVE",
            comment="Payer Name XYZ",
        )
        body = await ok(response)
        assert set(body) == {"spend_cap"}
        updated = body["spend_cap"]
        assert set(updated) == CAP_KEYS
        assert updated == {
            **cap,
            "title": "Q2 2026 - Brand Campaign IO (extended)",
            "schedule": {
                "start": "2026-03-01T00:00:00.000000Z",
                "end": "2026-07-31T23:59:59.000000Z",
            },
            "budget": {"period": "TOTAL", "amount": money("75000000000")},
            "remaining": money("75000000000"),
            "current_period": {
                "start": "2026-03-01T00:00:00.000000Z",
                "end": "2026-08-01T00:00:00.000000Z",
            },
            "comment": "Payer Name XYZ",
            "updated_at": "2026-03-02T09:05:00.000000Z",
        }
        assert await read(client, cap["id"]) == updated

    async def test_title_and_comment(self, client: httpx.AsyncClient) -> None:
        cap = await create(client)
        titled = (await ok(await patch(client, cap, title="New title")))["spend_cap"]
        assert titled["title"] == "New title"
        assert titled["comment"] == "Payer XYZ"
        commented = (await ok(await patch(client, titled, comment="IO 4711")))["spend_cap"]
        assert commented["comment"] == "IO 4711"
        assert commented["title"] == "New title"
        cleared = (await ok(await patch(client, commented, comment=None)))["spend_cap"]
        assert cleared["comment"] is None
        assert await read(client, cap["id"]) == cleared
        assert len({cap["updated_at"], titled["updated_at"], commented["updated_at"]}) == 3

    async def test_an_update_in_the_same_instant_still_moves_updated_at(
        self, client: httpx.AsyncClient
    ) -> None:
        cap = await create(client)
        updated = (await ok(await patch(client, cap, title="Same instant")))["spend_cap"]
        assert updated["updated_at"] > cap["updated_at"]
        # The old token is stale now, although no time passed.
        response = await patch(client, cap, title="Stale")
        assert response.status_code == 409

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"title": "Q2 2026 - Brand Campaign IO"},
            {"comment": "Payer XYZ", "status": "ACTIVE"},
            {"budget": {"period": "TOTAL", "amount": money("50000000000")}},
            {"budget": {"amount": money("50000000000")}},
            {"schedule": {"start": "2026-03-01T00:00:00Z"}},
            {"schedule": {"end": "2026-06-30T23:59:59Z"}},
        ],
    )
    async def test_a_no_op_keeps_updated_at(
        self, client: httpx.AsyncClient, clock: ManualClock, changes: dict[str, Any]
    ) -> None:
        cap = await create(client)
        clock.advance(timedelta(hours=1))
        unchanged = (await ok(await patch(client, cap, **changes)))["spend_cap"]
        assert unchanged == cap
        assert await read(client, cap["id"]) == cap
        # And the token still works.
        assert (await ok(await patch(client, cap, title="Then a change")))["spend_cap"][
            "updated_at"
        ] == "2026-03-02T10:00:00.000000Z"

    async def test_schedule_keys_change_alone(self, client: httpx.AsyncClient) -> None:
        cap = await create(client)
        moved = (await ok(await patch(client, cap, schedule={"end": "2026-12-31T23:59:59Z"})))[
            "spend_cap"
        ]
        assert moved["schedule"] == {
            "start": "2026-03-01T00:00:00.000000Z",
            "end": "2026-12-31T23:59:59.000000Z",
        }
        opened = (await ok(await patch(client, moved, schedule={"end": None})))["spend_cap"]
        assert opened["schedule"] == {"start": "2026-03-01T00:00:00.000000Z", "end": None}
        assert opened["current_period"] == {"start": "2026-03-01T00:00:00.000000Z", "end": None}
        later = (await ok(await patch(client, opened, schedule={"start": "2026-04-01T00:00:00Z"})))[
            "spend_cap"
        ]
        assert later["schedule"] == {"start": "2026-04-01T00:00:00.000000Z", "end": None}
        assert later["status"] == "SCHEDULED"
        assert later["current_period"] is None

    @pytest.mark.parametrize(
        "schedule",
        [
            {"end": "2026-02-28T23:59:59Z"},
            {"start": "2026-07-01T00:00:00Z"},
            {"start": "2026-05-01T00:00:00Z", "end": "2026-04-30T00:00:00Z"},
        ],
    )
    async def test_schedule_end_before_start(
        self, client: httpx.AsyncClient, schedule: dict[str, Any]
    ) -> None:
        cap = await create(client)
        response = await patch(client, cap, schedule=schedule)
        assert_error(response, 400, "parameter_invalid", "spend_cap.schedule.end")
        assert await read(client, cap["id"]) == cap

    async def test_status_switch(self, client: httpx.AsyncClient) -> None:
        cap = await create(client)
        off = (await ok(await patch(client, cap, status="INACTIVE")))["spend_cap"]
        assert off["status"] == "INACTIVE"
        assert off["status_reason"]
        on = (await ok(await patch(client, off, status="ACTIVE")))["spend_cap"]
        assert on["status"] == "ACTIVE"
        assert on["status_reason"] is None

    @pytest.mark.parametrize("status", ["DEPLETED", "ENDED", "SCHEDULED", "ERROR", "PAUSED", None])
    async def test_users_set_only_active_or_inactive(
        self, client: httpx.AsyncClient, status: str | None
    ) -> None:
        cap = await create(client)
        response = await patch(client, cap, status=status, title="Not applied")
        assert_error(response, 400, "parameter_invalid", "spend_cap.status")
        assert await read(client, cap["id"]) == cap

    @pytest.mark.parametrize("period", ["DAILY", "WEEKLY"])
    async def test_the_period_cannot_change(self, client: httpx.AsyncClient, period: str) -> None:
        cap = await create(client)
        response = await patch(
            client,
            cap,
            title="Not applied",
            budget={"period": period, "amount": money("1000000")},
        )
        error = assert_error(response, 400, "parameter_invalid", "spend_cap.budget.period")
        assert "TOTAL" in error["message"]
        assert await read(client, cap["id"]) == cap

    async def test_the_currency_cannot_change(self, client: httpx.AsyncClient) -> None:
        cap = await create(client)
        response = await patch(
            client,
            cap,
            title="Not applied",
            budget={"period": "TOTAL", "amount": money("1000000", "EUR")},
        )
        assert_error(response, 400, "parameter_invalid", "spend_cap.budget.amount.currency")
        assert await read(client, cap["id"]) == cap

    async def test_without_updated_at_the_update_applies_to_the_cap_as_it_is(
        self, client: httpx.AsyncClient
    ) -> None:
        """Seed 004's update has no `updated_at`: it applies unconditionally (last write
        wins), and still moves the token, so an older read answers 409 afterwards."""
        cap = await create(client)
        other = (await ok(await patch(client, cap, title="Changed by someone else")))["spend_cap"]
        response = await client.patch(
            f"/spend_caps/{cap['id']}", json={"spend_cap": {"comment": "No token"}}
        )
        updated = (await ok(response))["spend_cap"]
        assert (updated["title"], updated["comment"]) == ("Changed by someone else", "No token")
        assert updated["updated_at"] > other["updated_at"]
        assert await read(client, cap["id"]) == updated
        assert (await patch(client, other, title="Stale")).status_code == 409
        # Nothing to change: answered as it is, the token kept.
        same = await client.patch(
            f"/spend_caps/{cap['id']}", json={"spend_cap": {"comment": "No token"}}
        )
        assert (await ok(same))["spend_cap"] == updated

    async def test_updated_at_null_is_refused(self, client: httpx.AsyncClient) -> None:
        cap = await create(client)
        response = await client.patch(
            f"/spend_caps/{cap['id']}", json={"spend_cap": {"updated_at": None, "title": "x"}}
        )
        assert_error(response, 400, "parameter_invalid", "spend_cap.updated_at")
        assert await read(client, cap["id"]) == cap

    async def test_concurrent_updates_without_updated_at_all_apply_in_turn(
        self, client: httpx.AsyncClient
    ) -> None:
        cap = await create(client)
        responses = await asyncio.gather(
            *(
                client.patch(
                    f"/spend_caps/{cap['id']}", json={"spend_cap": {"title": f"Writer {number}"}}
                )
                for number in range(4)
            )
        )
        assert [response.status_code for response in responses] == [200] * 4
        tokens = [response.json()["spend_cap"]["updated_at"] for response in responses]
        # Each write moved the token past the one before it.
        assert len(set(tokens)) == 4
        # The cap is what the last of them wrote.
        last = max((r.json()["spend_cap"] for r in responses), key=lambda c: c["updated_at"])
        assert await read(client, cap["id"]) == last

    @pytest.mark.parametrize(
        ("body", "code", "param"),
        [
            ({}, "parameter_missing", "spend_cap"),
            ({"title": "Unwrapped"}, "parameter_missing", "spend_cap"),
            (
                {"spend_cap": {"updated_at": NOW, "colour": "red"}},
                "parameter_invalid",
                "spend_cap.colour",
            ),
            ({"spend_cap": {"updated_at": NOW}, "extra": 1}, "parameter_invalid", "extra"),
            (
                {"spend_cap": {"updated_at": "yesterday"}},
                "parameter_invalid",
                "spend_cap.updated_at",
            ),
            (
                {"spend_cap": {"updated_at": NOW, "title": ""}},
                "parameter_invalid",
                "spend_cap.title",
            ),
            (
                {"spend_cap": {"updated_at": NOW, "title": None}},
                "parameter_invalid",
                "spend_cap.title",
            ),
            (
                {"spend_cap": {"updated_at": NOW, "title": "   "}},
                "parameter_invalid",
                "spend_cap.title",
            ),
            (
                {"spend_cap": {"updated_at": NOW, "schedule": None}},
                "parameter_invalid",
                "spend_cap.schedule",
            ),
            (
                {"spend_cap": {"updated_at": NOW, "budget": None}},
                "parameter_invalid",
                "spend_cap.budget",
            ),
            (
                {"spend_cap": {"updated_at": NOW, "schedule": {"start": None}}},
                "parameter_invalid",
                "spend_cap.schedule.start",
            ),
            (
                {"spend_cap": {"updated_at": NOW, "budget": {"period": "TOTAL"}}},
                "parameter_missing",
                "spend_cap.budget.amount",
            ),
        ],
    )
    async def test_bad_bodies(
        self, client: httpx.AsyncClient, body: dict[str, Any], code: str, param: str
    ) -> None:
        cap = await create(client)
        response = await client.patch(f"/spend_caps/{cap['id']}", json=body)
        assert_error(response, 400, code, param)
        assert await read(client, cap["id"]) == cap

    async def test_a_stale_updated_at_answers_409_with_the_current_cap(
        self, client: httpx.AsyncClient, clock: ManualClock
    ) -> None:
        cap = await create(client)
        clock.advance(timedelta(minutes=1))
        current = (await ok(await patch(client, cap, title="Changed by someone else")))["spend_cap"]
        clock.advance(timedelta(minutes=1))
        response = await patch(
            client, cap, title="Lost update", budget={"amount": money("1")}, status="INACTIVE"
        )
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert set(error) == {"type", "message", "code", "param", "spend_cap"}
        assert error["type"] == "conflict"
        assert error["code"] == "spend_cap_changed"
        assert error["param"] == "spend_cap.updated_at"
        assert cap["updated_at"] in error["message"]
        assert error["spend_cap"] == current
        assert await read(client, cap["id"]) == current
        # Re-applied on the current token, the change goes through.
        retried = (await ok(await patch(client, error["spend_cap"], title="Re-applied")))[
            "spend_cap"
        ]
        assert retried["title"] == "Re-applied"

    async def test_a_token_from_the_future_is_stale_too(self, client: httpx.AsyncClient) -> None:
        cap = await create(client)
        response = await patch(client, {**cap, "updated_at": "2026-03-02T09:00:00.000001Z"})
        assert response.status_code == 409, response.text
        assert response.json()["error"]["spend_cap"] == cap

    async def test_the_token_may_be_written_in_another_offset(
        self, client: httpx.AsyncClient
    ) -> None:
        cap = await create(client)
        response = await patch(
            client, {**cap, "updated_at": "2026-03-02T10:00:00.000000+01:00"}, title="Same instant"
        )
        assert (await ok(response))["spend_cap"]["title"] == "Same instant"

    async def test_two_concurrent_updates_from_the_same_read(
        self, client: httpx.AsyncClient
    ) -> None:
        cap = await create(client)
        responses = await asyncio.gather(
            patch(client, cap, title="First writer", comment="first"),
            patch(client, cap, title="Second writer", comment="second"),
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200, 409], [response.text for response in responses]
        [won] = [r.json()["spend_cap"] for r in responses if r.status_code == 200]
        [lost] = [r.json()["error"] for r in responses if r.status_code == 409]
        assert lost["code"] == "spend_cap_changed"
        assert lost["param"] == "spend_cap.updated_at"
        assert lost["spend_cap"] == won
        current = await read(client, cap["id"])
        assert current == won
        # Whole, never a mix of the two.
        assert (current["title"], current["comment"]) in {
            ("First writer", "first"),
            ("Second writer", "second"),
        }

    async def test_many_concurrent_updates_from_the_same_read(
        self, client: httpx.AsyncClient
    ) -> None:
        cap = await create(client)
        responses = await asyncio.gather(
            *(patch(client, cap, title=f"Writer {number}") for number in range(5))
        )
        assert sorted(response.status_code for response in responses) == [200, 409, 409, 409, 409]
