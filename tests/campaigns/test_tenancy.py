"""Another company's campaign is invisible: 404, the same answer as for an id that never existed."""

from __future__ import annotations

import httpx
import pytest

from tests.campaigns.payloads import cbo_campaign
from tests.helpers import assert_error

REQUESTS = [
    ("GET", "/ad_campaigns/{id}", None),
    ("PATCH", "/ad_campaigns/{id}", {"title": "Hijacked"}),
    ("POST", "/ad_campaigns/{id}/pause", None),
    ("POST", "/ad_campaigns/{id}/unpause", None),
    ("DELETE", "/ad_campaigns/{id}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
async def test_another_companys_campaign_is_404(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    other_tenant,  # type: ignore[no-untyped-def]
    method: str,
    path: str,
    body: dict | None,
) -> None:
    theirs = (
        await anonymous.post("/ad_campaigns", json=cbo_campaign(), headers=other_tenant.headers)
    ).json()
    response = await client.request(method, path.format(id=theirs["id"]), json=body)
    error = assert_error(response, 404, "resource_not_found", "id")
    never = await client.request(method, path.format(id="adcamp_AAAAAAAAAAAAAA"), json=body)
    # Same answer as for an id that does not exist, apart from the id in the message.
    assert error["message"].replace(theirs["id"], "X") == never.json()["error"]["message"].replace(
        "adcamp_AAAAAAAAAAAAAA", "X"
    )
    still = await anonymous.get(f"/ad_campaigns/{theirs['id']}", headers=other_tenant.headers)
    assert still.json() == theirs


async def test_lists_show_only_the_callers_campaigns(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    other_tenant,  # type: ignore[no-untyped-def]
) -> None:
    mine = (await client.post("/ad_campaigns", json=cbo_campaign(title="mine"))).json()
    await anonymous.post(
        "/ad_campaigns", json=cbo_campaign(title="theirs"), headers=other_tenant.headers
    )
    listed = (await client.get("/ad_campaigns")).json()["data"]
    assert [c["id"] for c in listed] == [mine["id"]]
    searched = (await client.get("/ad_campaigns", params={"query": "theirs"})).json()["data"]
    assert searched == []
