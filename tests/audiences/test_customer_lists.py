"""Audiences from customer CSVs, on both files stores: a list uploaded through /files (create,
PUT to the upload URL), named by `file_id` on create (with `column_mapping`, saved) or on
add_people (the saved mapping, or Adline's own per-call `column_mapping`). Each row is
checked as `people` are, and every refusal changes nothing (docs/audiences.md#a-customer-csv)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adline.audiences.service import MAX_PEOPLE_PER_REQUEST
from adline.delivery.audience import person_matched
from tests.audiences.helpers import make_audience, people, sha256
from tests.audiences.test_audiences import member_count
from tests.conftest import Tenant
from tests.files.conftest import (  # noqa: F401 (fixtures: every test runs on both stores)
    app,
    files_settings,
    s3_endpoint,
    store,
)
from tests.files.helpers import customer_csv, upload_file
from tests.helpers import assert_error
from tests.hierarchy.builders import ok

HEADER = ["First name", "Email", "Phone"]


def buyers(count: int, start: int = 0) -> list[list[str]]:
    """Rows of `count` people: a name, their email's hash, and a phone hash for every
    other one (the first has no phone)."""
    return [
        [
            f"Buyer {n}",
            sha256(f"buyer{n}@example.com"),
            sha256(f"+1555{n:07d}") if n % 2 else "",
        ]
        for n in range(start, start + count)
    ]


def emails(rows: list[list[str]]) -> list[str]:
    return [row[1] for row in rows]


async def upload_list(
    client: httpx.AsyncClient, rows: list[list[str]], header: list[str] = HEADER
) -> str:
    ready = await upload_file(client, "buyers.csv", customer_csv(header, rows))
    file_id: str = ready["id"]
    return file_id


async def audience(client: httpx.AsyncClient, audience_id: str, account_id: str) -> dict[str, Any]:
    listed = await ok(
        await client.get(
            "/audiences", params={"account_id": account_id, "audience_id": audience_id}
        )
    )
    [found] = listed["data"]
    return found


class TestCreate:
    async def test_a_list_made_from_a_csv_then_grown_by_another(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
        clock,  # type: ignore[no-untyped-def]
    ) -> None:
        from datetime import timedelta

        first = buyers(120)
        made = await ok(
            await client.post(
                "/audiences",
                json={
                    "account_id": tenant.company_id,
                    "name": "CSV buyers",
                    "source_type": "csv_upload",
                    "file_id": await upload_list(client, first),
                    "column_mapping": {
                        "email": "Email",
                        "phone": "Phone",
                        "first_name": "First name",
                    },
                },
            )
        )
        matched = sum(person_matched(key) for key in emails(first))
        assert (made["total_rows"], made["processed_rows"], made["matched_rows"]) == (
            120,
            120,
            matched,
        )
        assert made["status"] == "ready" and made["last_refreshed_at"] is not None
        assert await member_count(engine, made["id"]) == 120

        # whop-sdk 2.6.0's add_people sends only file_id: the saved mapping reads it. 20 of
        # these people are held already; 40 are new.
        clock.advance(timedelta(minutes=5))
        second = buyers(60, start=100)
        grown = await ok(
            await client.post(
                f"/audiences/{made['id']}/add_people",
                json={"file_id": await upload_list(client, second)},
            )
        )
        new = emails(second)[20:]
        assert grown["total_rows"] == 160
        assert grown["matched_rows"] == matched + sum(person_matched(key) for key in new)
        assert grown["updated_at"] > made["updated_at"]
        assert await member_count(engine, made["id"]) == 160

    async def test_a_person_without_an_email_is_known_by_the_phone(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        phone = sha256("+15551234567")
        rows = [["A", "", phone], ["A again", "", phone], ["B", sha256("b@x.io"), phone]]
        made = await ok(
            await client.post(
                "/audiences",
                json={
                    "account_id": tenant.company_id,
                    "name": "Phones",
                    "file_id": await upload_list(client, rows),
                    "column_mapping": {"email": "Email", "phone": "Phone"},
                },
            )
        )
        assert made["total_rows"] == 2  # the phone's person once, and B by email

    async def test_an_empty_list_saves_its_mapping_for_add_people(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        made = await ok(
            await client.post(
                "/audiences",
                json={
                    "account_id": tenant.company_id,
                    "name": "Later",
                    "column_mapping": {"phone": "Phone"},
                },
            )
        )
        assert made["total_rows"] == 0
        rows = [[f"P{n}", "jane@example.com", sha256(f"+4420{n:08d}")] for n in range(5)]
        # Only the phone column is mapped: the email column (raw here) is never read.
        grown = await ok(
            await client.post(
                f"/audiences/{made['id']}/add_people",
                json={"file_id": await upload_list(client, rows)},
            )
        )
        assert grown["total_rows"] == 5

    @pytest.mark.parametrize(
        ("rows", "mapping", "status", "code", "param", "says"),
        [
            (buyers(3), None, 400, "parameter_missing", "column_mapping", "column_mapping"),
            (
                [*buyers(2), ["C", "carol@example.com", ""]],
                {"email": "Email"},
                400,
                "parameter_invalid",
                "file_id",
                'row 4, column "Email" looks like a raw email address',
            ),
            (
                buyers(3),
                {"email": "E-mail"},
                400,
                "parameter_invalid",
                "column_mapping.email",
                'has no column "E-mail"',
            ),
        ],
    )
    async def test_refusals_leave_no_audience(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        rows: list[list[str]],
        mapping: dict[str, str] | None,
        status: int,
        code: str,
        param: str,
        says: str,
    ) -> None:
        body: dict[str, Any] = {
            "account_id": tenant.company_id,
            "name": "Refused",
            "file_id": await upload_list(client, rows),
        }
        if mapping is not None:
            body["column_mapping"] = mapping
        error = assert_error(await client.post("/audiences", json=body), status, code, param)
        assert says in error["message"]
        listed = await ok(await client.get("/audiences", params={"account_id": tenant.company_id}))
        assert listed["data"] == []


class TestAddPeople:
    async def test_a_mapping_sent_with_the_file_reads_it(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        """Adline's own `column_mapping` on add_people: for an audience made without one
        (or to read a file of other headers), used for this call only."""
        made = await make_audience(client, tenant.company_id)
        rows = [[key] for key in emails(buyers(30))]
        file_id = await upload_list(client, rows, header=["hashed_email"])
        path = f"/audiences/{made['id']}/add_people"
        missing = await client.post(path, json={"file_id": file_id})
        assert_error(missing, 400, "parameter_missing", "column_mapping")
        grown = await ok(
            await client.post(
                path, json={"file_id": file_id, "column_mapping": {"email": "hashed_email"}}
            )
        )
        assert grown["total_rows"] == 30
        assert await member_count(engine, made["id"]) == 30
        again = await client.post(path, json={"file_id": file_id})  # nothing was saved
        assert_error(again, 400, "parameter_missing", "column_mapping")

    async def test_the_hashed_people_path_still_works_beside_files(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        made = await make_audience(client, tenant.company_id)
        grown = await ok(
            await client.post(f"/audiences/{made['id']}/add_people", json={"people": people(7)})
        )
        assert grown["total_rows"] == 7

    async def test_refusals_change_nothing(
        self,
        client: httpx.AsyncClient,
        other_client: httpx.AsyncClient,
        tenant: Tenant,
        engine: AsyncEngine,
    ) -> None:
        made = await ok(
            await client.post(
                "/audiences",
                json={
                    "account_id": tenant.company_id,
                    "name": "Guarded",
                    "file_id": await upload_list(client, buyers(10)),
                    "column_mapping": {"email": "Email", "phone": "Phone"},
                },
            )
        )
        before = await audience(client, made["id"], tenant.company_id)
        assert before["total_rows"] == 10
        path = f"/audiences/{made['id']}/add_people"
        mapping = {"email": "Email", "phone": "Phone"}

        good = buyers(5, start=50)
        raw_email = [*good, ["Jane", "jane@example.com", ""]]
        raw_phone = [*good, ["Joe", sha256("joe@x.io"), "+1 (555) 123-4567"]]
        upper = [*good, ["Ann", sha256("ann@x.io").upper(), ""]]
        no_one = [*good, ["Nobody", "", ""]]
        theirs = (await upload_file(other_client, "theirs.csv", customer_csv(HEADER, good)))["id"]
        image = (await upload_file(client))["id"]
        pending = (await client.post("/files", json={"filename": "later.csv"})).json()["id"]
        refused_upload = (await client.post("/files", json={"filename": "broken.csv"})).json()
        async with httpx.AsyncClient(transport=client._transport) as uploader:
            broken = await uploader.put(refused_upload["upload_url"], content=b"Email\r\n\xff\r\n")
        assert_error(broken, 400, "file_invalid", None)

        cases: list[tuple[dict[str, Any], int, str, str, str]] = [
            (
                {"file_id": await upload_list(client, raw_email)},
                400,
                "parameter_invalid",
                "file_id",
                'row 7, column "Email" looks like a raw email address',
            ),
            (
                {"file_id": await upload_list(client, raw_phone)},
                400,
                "parameter_invalid",
                "file_id",
                'row 7, column "Phone" looks like a raw phone number',
            ),
            (
                {"file_id": await upload_list(client, upper)},
                400,
                "parameter_invalid",
                "file_id",
                "uppercase hash",
            ),
            (
                {"file_id": await upload_list(client, no_one)},
                400,
                "parameter_invalid",
                "file_id",
                'row 7 has no one: its "Email" and "Phone" cells are empty',
            ),
            (
                {
                    "file_id": await upload_list(client, good),
                    "column_mapping": {**mapping, "last_name": "Surname"},
                },
                400,
                "parameter_invalid",
                "column_mapping.last_name",
                'has no column "Surname"',
            ),
            (
                # The saved mapping's column is missing from this file.
                {"file_id": await upload_list(client, [[key] for key in emails(good)], ["x"])},
                400,
                "parameter_invalid",
                "file_id",
                'has no column "Email"',
            ),
            ({"file_id": theirs}, 404, "resource_not_found", "file_id", theirs),
            ({"file_id": "file_neverMade123"}, 404, "resource_not_found", "file_id", ""),
            ({"file_id": image}, 400, "parameter_invalid", "file_id", "not a customer list"),
            ({"file_id": pending}, 400, "parameter_invalid", "file_id", "pending"),
            ({"file_id": refused_upload["id"]}, 400, "parameter_invalid", "file_id", "pending"),
            (
                {"file_id": await upload_list(client, good), "people": people(1)},
                400,
                "parameter_invalid",
                "people",
                "not both",
            ),
            (
                {"people": people(1), "column_mapping": mapping},
                400,
                "parameter_invalid",
                "column_mapping",
                "send it with file_id",
            ),
        ]
        for body, status, code, param, says in cases:
            error = assert_error(await client.post(path, json=body), status, code, param)
            assert says in error["message"], (body, error)
            assert await audience(client, made["id"], tenant.company_id) == before
            assert await member_count(engine, made["id"]) == 10

    async def test_a_list_longer_than_one_call_takes_is_refused_whole(
        self, client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
    ) -> None:
        made = await make_audience(client, tenant.company_id)
        rows = [[sha256(f"p{n}@example.com")] for n in range(MAX_PEOPLE_PER_REQUEST + 1)]
        file_id = await upload_list(client, rows, header=["Email"])
        error = assert_error(
            await client.post(
                f"/audiences/{made['id']}/add_people",
                json={"file_id": file_id, "column_mapping": {"email": "Email"}},
            ),
            400,
            "parameter_invalid",
            "file_id",
        )
        assert f"more than {MAX_PEOPLE_PER_REQUEST} rows" in error["message"]
        assert await member_count(engine, made["id"]) == 0
        exactly = await upload_list(client, rows[:MAX_PEOPLE_PER_REQUEST], header=["Email"])
        grown = await ok(
            await client.post(
                f"/audiences/{made['id']}/add_people",
                json={"file_id": exactly, "column_mapping": {"email": "Email"}},
            )
        )
        assert grown["total_rows"] == MAX_PEOPLE_PER_REQUEST
