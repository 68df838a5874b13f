"""/audiences: create, list, update, delete and add_people, through HTTP and the service."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.audiences.models import AudienceMember
from adline.core.db import create_sessionmaker
from adline.delivery.audience import person_matched
from tests.audiences.helpers import add, make_audience, people, sha256
from tests.conftest import Tenant
from tests.files.helpers import upload_file
from tests.helpers import assert_error
from tests.hierarchy.builders import ok

AUDIENCE_KEYS = {
    "id",
    "name",
    "audience_type",
    "source_type",
    "status",
    "auto_refresh",
    "engagement",
    "filters",
    "error_message",
    "lookalike_ratio",
    "lookalike_starting_ratio",
    "source_audience_id",
    "match_rates",
    "platform_audience_ids",
    "total_rows",
    "processed_rows",
    "matched_rows",
    "progress_percent",
    "last_refreshed_at",
    "created_at",
    "updated_at",
}


async def member_count(engine: AsyncEngine, audience_id: str) -> int:
    async with create_sessionmaker(engine)() as session:
        count = await session.scalar(
            select(func.count()).where(AudienceMember.audience_id == audience_id)
        )
    return int(count or 0)


class TestCreate:
    async def test_a_customer_list_starts_empty_and_ready(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        made = await make_audience(client, tenant.company_id, "  Past buyers ")
        assert set(made) == AUDIENCE_KEYS
        assert made["id"].startswith("adaud_")
        assert made["name"] == "Past buyers"
        assert (made["audience_type"], made["source_type"], made["status"]) == (
            "custom",
            "csv_upload",
            "ready",
        )
        assert made["auto_refresh"] is False
        assert (made["total_rows"], made["matched_rows"], made["progress_percent"]) == (0, 0, 100)
        assert made["match_rates"] == [
            {"platform": "meta", "status": "unavailable", "lower_bound": None, "upper_bound": None}
        ]
        assert made["last_refreshed_at"] is None
        assert made["created_at"] == made["updated_at"]

    @pytest.mark.parametrize(
        ("body", "status", "code", "param"),
        [
            ({}, 400, "parameter_missing", "name"),
            ({"name": "   "}, 400, "parameter_missing", "name"),
            ({"name": "x" * 256}, 400, "parameter_invalid", "name"),
            (
                {"name": "L", "audience_type": "lookalike"},
                400,
                "parameter_invalid",
                "audience_type",
            ),
            ({"name": "L", "count": 2}, 400, "parameter_invalid", "count"),
            ({"name": "L", "percentage": 4}, 400, "parameter_invalid", "percentage"),
            ({"name": "F", "filters": {"country": "US"}}, 400, "parameter_invalid", "filters"),
            (
                {"name": "F", "source_type": "people_filter"},
                400,
                "parameter_invalid",
                "source_type",
            ),
            (
                {"name": "E", "engagement": {"platform": "meta", "include": []}},
                400,
                "parameter_invalid",
                "engagement",
            ),
            (
                {"name": "C", "column_mapping": {"first_name": "First"}},
                400,
                "parameter_invalid",
                "column_mapping",
            ),
            (
                {"name": "C", "column_mapping": {"email": " "}},
                400,
                "parameter_invalid",
                "column_mapping.email",
            ),
            (
                {"name": "C", "column_mapping": {"email": "Email", "zip": "Zip"}},
                400,
                "parameter_invalid",
                "column_mapping.zip",
            ),
            ({"name": "C", "auto_refresh": True}, 400, "parameter_invalid", "auto_refresh"),
            ({"name": "C", "shape": "round"}, 400, "parameter_invalid", "shape"),
            ({"name": "C", "file_id": "file_neverMade123"}, 404, "resource_not_found", "file_id"),
            (
                {"name": "L", "source_audience_id": "adaud_neverMade123"},
                404,
                "resource_not_found",
                "source_audience_id",
            ),
        ],
    )
    async def test_refusals_change_nothing(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        body: dict[str, object],
        status: int,
        code: str,
        param: str,
    ) -> None:
        response = await client.post("/audiences", json={"account_id": tenant.company_id, **body})
        assert_error(response, status, code, param)
        listed = await ok(await client.get("/audiences", params={"account_id": tenant.company_id}))
        assert listed["data"] == []

    async def test_a_media_file_is_no_customer_list(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        image = await upload_file(client)
        response = await client.post(
            "/audiences",
            json={"account_id": tenant.company_id, "name": "CSV", "file_id": image["id"]},
        )
        error = assert_error(response, 400, "parameter_invalid", "file_id")
        assert "CSV" in error["message"]

    async def test_another_account_is_not_found(
        self, client: httpx.AsyncClient, other_tenant: Tenant
    ) -> None:
        response = await client.post(
            "/audiences", json={"account_id": other_tenant.company_id, "name": "Theirs"}
        )
        assert_error(response, 404, "resource_not_found", "account_id")


class TestListUpdateDelete:
    async def test_list_filters_and_pages(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        from datetime import timedelta

        first = await make_audience(client, tenant.company_id, "First")
        clock.advance(timedelta(seconds=1))
        second = await make_audience(client, tenant.company_id, "Second")
        listed = await ok(await client.get("/audiences", params={"account_id": tenant.company_id}))
        assert [item["id"] for item in listed["data"]] == [second["id"], first["id"]]
        page = await ok(
            await client.get("/audiences", params={"account_id": tenant.company_id, "first": 1})
        )
        assert [item["id"] for item in page["data"]] == [second["id"]]
        assert page["page_info"]["has_next_page"] is True
        rest = await ok(
            await client.get(
                "/audiences",
                params={"account_id": tenant.company_id, "after": page["page_info"]["end_cursor"]},
            )
        )
        assert [item["id"] for item in rest["data"]] == [first["id"]]
        one = await ok(
            await client.get(
                "/audiences", params={"account_id": tenant.company_id, "audience_id": first["id"]}
            )
        )
        assert [item["id"] for item in one["data"]] == [first["id"]]
        for query, expected in (
            ({"audience_type": "custom"}, 2),
            ({"audience_type": "lookalike"}, 0),
            ({"source_type": "csv_upload"}, 2),
            ({"source_type": "people_filter"}, 0),
        ):
            found = await ok(
                await client.get("/audiences", params={"account_id": tenant.company_id, **query})
            )
            assert len(found["data"]) == expected, query
        bad = await client.get(
            "/audiences", params={"account_id": tenant.company_id, "audience_type": "saved"}
        )
        assert bad.status_code == 400

    async def test_another_companys_audiences_are_not_found(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
    ) -> None:
        mine = await make_audience(client, tenant.company_id)
        theirs = await other_client.get(
            "/audiences", params={"account_id": other_tenant.company_id}
        )
        assert (await ok(theirs))["data"] == []
        for response in (
            await other_client.patch(f"/audiences/{mine['id']}", json={"name": "Taken"}),
            await other_client.delete(f"/audiences/{mine['id']}"),
            await other_client.post(
                f"/audiences/{mine['id']}/add_people", json={"people": people(1)}
            ),
        ):
            assert_error(response, 404, "resource_not_found", "id")
        after = await ok(
            await client.get(
                "/audiences", params={"account_id": tenant.company_id, "audience_id": mine["id"]}
            )
        )
        assert after["data"] == [mine]

    async def test_update_renames_and_refuses_filters(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        from datetime import timedelta

        made = await make_audience(client, tenant.company_id, "Old")
        clock.advance(timedelta(minutes=1))
        renamed = await ok(await client.patch(f"/audiences/{made['id']}", json={"name": "New"}))
        assert renamed["name"] == "New" and renamed["updated_at"] > made["updated_at"]
        blank = await ok(await client.patch(f"/audiences/{made['id']}", json={"name": " "}))
        assert blank == renamed  # a blank name is ignored, nothing changes
        refused = await client.patch(
            f"/audiences/{made['id']}", json={"name": "Other", "filters": {"os": "iOS"}}
        )
        assert_error(refused, 400, "parameter_invalid", "filters")
        read = await ok(
            await client.get(
                "/audiences", params={"account_id": tenant.company_id, "audience_id": made["id"]}
            )
        )
        assert read["data"] == [renamed]
        missing = await client.patch("/audiences/adaud_neverMade123", json={"name": "X"})
        assert_error(missing, 404, "resource_not_found", "id")

    async def test_delete(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        made = await make_audience(client, tenant.company_id)
        assert await ok(await client.delete(f"/audiences/{made['id']}")) == {"success": True}
        listed = await ok(await client.get("/audiences", params={"account_id": tenant.company_id}))
        assert listed["data"] == []
        again = await client.delete(f"/audiences/{made['id']}")
        assert_error(again, 404, "resource_not_found", "id")
        gone = await client.post(f"/audiences/{made['id']}/add_people", json={"people": people(1)})
        assert_error(gone, 404, "resource_not_found", "id")


class TestAddPeople:
    async def test_hashes_are_stored_once_and_matched_by_the_network(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        from datetime import timedelta

        made = await make_audience(client, tenant.company_id)
        sent = people(200)
        clock.advance(timedelta(minutes=5))
        first = await add(client, made["id"], sent)
        expected = sum(person_matched(person["email"]) for person in sent)
        assert 0 < expected < 200  # the network finds some, not all
        assert (first["total_rows"], first["processed_rows"], first["matched_rows"]) == (
            200,
            200,
            expected,
        )
        assert first["last_refreshed_at"] == first["updated_at"] > made["updated_at"]
        [rate] = first["match_rates"]
        assert rate["status"] == "available"
        assert rate["lower_bound"] <= 100 * expected / 200 <= rate["upper_bound"]
        assert await member_count(engine, made["id"]) == 200

        # Again, with 50 of the same people and 50 new ones (one of them twice).
        clock.advance(timedelta(minutes=5))
        more = [*people(50, start=150), *people(50, start=200), *people(1, start=249)]
        second = await add(client, made["id"], more)
        new = people(50, start=200)
        assert second["total_rows"] == 250
        assert second["matched_rows"] == expected + sum(person_matched(p["email"]) for p in new)
        assert await member_count(engine, made["id"]) == 250

        # Only people it already holds: nothing changes, updated_at included.
        clock.advance(timedelta(minutes=5))
        assert await add(client, made["id"], people(10)) == second

    async def test_a_person_is_known_by_email_else_phone(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        made = await make_audience(client, tenant.company_id)
        phone = sha256("+15551234567")
        added = await add(
            client,
            made["id"],
            [
                {"email": sha256("a@example.com"), "phone": phone},
                {"phone": phone},
                {"email": sha256("a@example.com")},
            ],
        )
        # The first and third are one person (same email); the second is another.
        assert added["total_rows"] == 2

    @pytest.mark.parametrize(
        ("person", "param", "words"),
        [
            ({"email": "jane@example.com"}, "people[1].email", "raw email"),
            ({"phone": "+1 (555) 123-4567"}, "people[1].phone", "raw phone"),
            ({"email": sha256("jane@example.com").upper()}, "people[1].email", "uppercase"),
            ({"email": "abc123"}, "people[1].email", "no SHA-256"),
            ({"phone": sha256("x")[:63]}, "people[1].phone", "no SHA-256"),
            ({}, "people[1]", "email or a phone"),
        ],
    )
    async def test_raw_or_malformed_identifiers_refuse_the_whole_request(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        person: dict[str, str],
        param: str,
        words: str,
    ) -> None:
        made = await make_audience(client, tenant.company_id)
        response = await client.post(
            f"/audiences/{made['id']}/add_people", json={"people": [*people(1), person]}
        )
        code = "parameter_missing" if not person else "parameter_invalid"
        error = assert_error(response, 400, code, param)
        assert words in error["message"]
        assert await member_count(engine, made["id"]) == 0

    async def test_bodies_without_people(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        made = await make_audience(client, tenant.company_id)
        path = f"/audiences/{made['id']}/add_people"
        assert_error(await client.post(path, json={}), 400, "parameter_missing", "file_id")
        assert_error(
            await client.post(path, json={"people": []}), 400, "parameter_invalid", "people"
        )
        image = await upload_file(client)
        assert_error(
            await client.post(path, json={"file_id": image["id"]}),
            400,
            "parameter_invalid",
            "file_id",
        )
        assert_error(
            await client.post(path, json={"file_id": "file_neverMade123"}),
            404,
            "resource_not_found",
            "file_id",
        )
        assert_error(
            await client.post(path, json={"people": [{"email": sha256("a"), "name": "A"}]}),
            400,
            "parameter_invalid",
            "people[0].name",
        )
        assert await member_count(engine, made["id"]) == 0
