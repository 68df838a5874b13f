"""whop-sdk 2.6.0's own `client.audiences` drives all five operations, typed models in and
out, against the tests' app (in process): customer CSVs by `file_id` as the client sends
them, and Adline's own hashed `people`, which the client sends as an additional body
parameter (docs/audiences.md#people)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from whop_sdk import AsyncWhop, BadRequestError
from whop_sdk.audiences import CreateAudiencesRequestColumnMapping
from whop_sdk.core.api_error import ApiError
from whop_sdk.types import Audience

from tests.audiences.helpers import people
from tests.conftest import Tenant
from tests.files.helpers import customer_csv, upload_file
from tests.hierarchy.builders import ok


def with_people(sent: list[dict[str, str]]) -> Any:
    return {"additional_body_parameters": {"people": sent}}


def csv_of(sent: list[dict[str, str]]) -> bytes:
    return customer_csv(["hashed email"], [[person["email"]] for person in sent])


async def test_the_client_drives_every_operation(
    whop: AsyncWhop, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    audiences = whop.audiences
    created = await audiences.create(account_id=tenant.company_id, name="Past buyers")
    assert isinstance(created, Audience)
    assert created.id.startswith("adaud_")
    assert (created.audience_type, created.source_type, created.status) == (
        "custom",
        "csv_upload",
        "ready",
    )
    assert created.total_rows == 0 and created.match_rates[0].status == "unavailable"

    grown = await audiences.add_people(
        created.id,
        file_id=None,
        request_options=with_people(people(300)),  # type: ignore[arg-type]
    )
    assert grown.total_rows == grown.processed_rows == 300
    assert 0 < grown.matched_rows < 300
    assert grown.match_rates[0].status == "available"

    renamed = await audiences.update(created.id, name="Loyal buyers")
    assert renamed.name == "Loyal buyers" and renamed.matched_rows == grown.matched_rows

    listed = [item async for item in await audiences.list(account_id=tenant.company_id)]
    assert listed == [renamed]
    only = await audiences.list(account_id=tenant.company_id, audience_id=created.id, first=1)
    assert [item.id for item in only.items] == [created.id]
    assert [
        item
        async for item in await audiences.list(
            account_id=tenant.company_id, audience_type="lookalike"
        )
    ] == []

    # Refusals arrive as the client's errors, in the one error envelope.
    with pytest.raises(BadRequestError) as raw:
        await audiences.create(account_id=tenant.company_id, name="L", audience_type="lookalike")
    assert raw.value.body["error"]["param"] == "audience_type"
    image = await upload_file(client)
    with pytest.raises(ApiError) as csv:
        await audiences.add_people(created.id, file_id=image["id"])
    assert csv.value.status_code == 400 and csv.value.body["error"]["param"] == "file_id"
    with pytest.raises(ApiError) as unhashed:
        await audiences.add_people(
            created.id,
            file_id=None,  # type: ignore[arg-type]
            request_options=with_people([{"email": "jane@example.com"}]),
        )
    assert unhashed.value.status_code == 400
    assert unhashed.value.body["error"]["param"] == "people[0].email"

    # A customer CSV through the client: made with a column mapping, grown by file_id.
    listed = await audiences.create(
        account_id=tenant.company_id,
        name="CSV buyers",
        file_id=(await upload_file(client, "a.csv", csv_of(people(20))))["id"],
        column_mapping=CreateAudiencesRequestColumnMapping(email="hashed email"),
    )
    assert isinstance(listed, Audience) and listed.total_rows == 20
    more = await upload_file(client, "b.csv", csv_of(people(10, start=15)))
    added = await audiences.add_people(listed.id, file_id=more["id"])
    assert added.total_rows == 25
    await audiences.delete(listed.id)

    deleted = await audiences.delete(created.id)
    assert deleted.success is True
    assert [item async for item in await audiences.list(account_id=tenant.company_id)] == []
    with pytest.raises(ApiError) as gone:
        await audiences.delete(created.id)
    assert gone.value.status_code == 404
    read = await ok(await client.get("/audiences", params={"account_id": tenant.company_id}))
    assert read["data"] == []
